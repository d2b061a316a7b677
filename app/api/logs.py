"""/users/{user_id}/logs: a tenant's users' workout logs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app import idempotency, logs
from app.api import pages
from app.api.auth import TenantDep
from app.api.deps import CatalogueDep, EngineDep, SettingsDep
from app.api.fastpath import Call, Reply, fast, respond_async
from app.api.idempotency_key import IdempotencyKey, created, key_problem, replay_headers
from app.catalogue import Catalogue
from app.logs import Instant, LogCreate, LogPage, LogPublic, LogUpdate, Slug
from app.observability import Metrics
from app.problems import FieldError, Problem, invalid, responses
from app.programmes import store as programmes

router = APIRouter(prefix="/users/{user_id}/logs", tags=["logs"])

UserIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=logs.MAX_USER_ID,
        description="Your own id for the user: 1-128 characters, no control characters.",
        # declared here, enforced (with a plainer message than a pattern's) by user_id_ok
        json_schema_extra={"pattern": logs.USER_ID_PATTERN},
    ),
    AfterValidator(logs.user_id_ok),
]
LogIdPath = Annotated[str, Path(description="The log's id (a UUID).")]
def log_not_found(user_id: str, log_id: str) -> Problem:
    """The one 404 for a log that is missing, another user's or another tenant's."""
    return Problem(404, "not-found", f"No log {log_id!r} for user {user_id!r}.")


def user_not_found(user_id: str) -> Problem:
    """The one 404 for a user with no logs, whoever's user it is."""
    return Problem(404, "not-found", f"No logs for user {user_id!r}.")


def check_exercises(entries: list[logs.EntryLog] | None, catalogue: Catalogue) -> None:
    errors = [
        FieldError(location="body", field=f"entries.{index}.exercise", message=f"unknown exercise {entry.exercise!r}")
        for index, entry in enumerate(entries or ())
        if catalogue.get(entry.exercise) is None
    ]
    if errors:
        detail = f"entries.{errors[0].field.split('.')[1]}: {errors[0].message} (see /exercises)."
        raise invalid(detail, errors)


def check_programme(engine: Any, tenant: str, user_id: str, link: logs.ProgrammeLink | None) -> None:
    """A log's `programme` must be one of this user's programmes, its week and session in the plan: else a 422
    naming the field (another user's or tenant's programme is simply not one of this user's)."""
    if link is None:
        return
    stored = programmes.get(engine, tenant, user_id, link.id)
    errors: list[tuple[str, str]] = []
    if stored is None:
        errors.append(("programme.id", f"no programme {link.id!r} for user {user_id!r}"))
    else:
        plan = stored.parameters
        if link.week > plan.weeks:
            errors.append(("programme.week", f"the programme has {plan.weeks} weeks"))
        if link.day > plan.days_per_week:
            errors.append(("programme.day", f"the programme has {plan.days_per_week} sessions a week"))
    if errors:
        fields = [FieldError(location="body", field=f, message=m) for f, m in errors]
        raise invalid(f"field '{errors[0][0]}': {errors[0][1]}.", fields)


_CREATE_EXAMPLES = {"log": {"summary": "A mobility session with two exercises", "value": logs.LOG_EXAMPLE}}
_UPDATE_EXAMPLES = {"pain": {"summary": "Correct the pain after and the notes", "value": logs.LOG_UPDATE_EXAMPLE}}


async def valid_log_update(
    body: Annotated[LogUpdate, Body(openapi_examples=_UPDATE_EXAMPLES)], catalogue: CatalogueDep
) -> LogUpdate:
    check_exercises(body.entries, catalogue)
    return body


class LogQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    performed_from: Instant | None = Field(
        default=None, alias="from", description="Only logs performed at or after this time (with a time zone)."
    )
    performed_to: Instant | None = Field(
        default=None, alias="to", description="Only logs performed before this time (with a time zone)."
    )
    exercise: Slug | None = Field(default=None, description="Only logs with this exercise.")
    limit: int = Field(default=20, ge=1, le=100, description="Logs per page.")
    cursor: str | None = Field(
        default=None,
        description="Where to continue: from a `next` link.",
        # declared here, enforced (with a plainer message than a pattern's) by Cursor.decode
        json_schema_extra={"pattern": logs.CURSOR_PATTERN},
    )


_THIS_LOG = {"user_id": "$request.path.user_id", "log_id": "$response.body#/id"}
_THIS_USER = {"user_id": "$request.path.user_id"}
# OpenAPI links: what a client can do next with the log it created.
_NEW_LOG_LINKS = {
    "GetLog": {"operationId": "get_log", "parameters": _THIS_LOG},
    "UpdateLog": {"operationId": "update_log", "parameters": _THIS_LOG},
    "DeleteLog": {"operationId": "delete_log", "parameters": _THIS_LOG},
    "ListLogs": {"operationId": "list_logs", "parameters": _THIS_USER},
    "ExportUser": {"operationId": "export_user", "parameters": _THIS_USER},
    "EraseUser": {"operationId": "erase_user", "parameters": _THIS_USER},
    "ListRecords": {"operationId": "list_records", "parameters": _THIS_USER},
    "GetProgress": {"operationId": "get_progress", "parameters": _THIS_USER},
    "GetExerciseProgress": {
        "operationId": "get_exercise_progress",
        "parameters": {**_THIS_USER, "slug": "$response.body#/entries/0/exercise"},
    },
}


async def new_log(call: Call[None, LogCreate]) -> Reply:
    """POST /users/{user_id}/logs, for the route and the fast path alike."""
    state = call.state
    check_exercises(call.body.entries, state.catalogue)
    if call.body.programme is not None:  # (a read: off the event loop)
        await asyncio.to_thread(check_programme, state.engine, call.tenant, call.params["user_id"], call.body.programme)
    ttl = timedelta(hours=state.settings.idempotency_ttl_hours)
    key, writer = call.header(b"idempotency-key"), state.log_writer
    try:
        outcome = await logs.create_async(writer, call.tenant, call.params["user_id"], call.body, key, ttl)
    except (idempotency.KeyReused, idempotency.KeyInFlight, logs.ClaimLost) as exc:
        raise key_problem(exc) from None
    status, headers, content = answer(outcome, state.metrics)
    return Reply(status, content, headers)


@router.post(
    "",
    status_code=201,
    response_model=LogPublic,
    summary="Record a workout log",
    responses={
        201: created("The new log.", _NEW_LOG_LINKS),
        **responses(400, 401, 409, 413, 415, 422),
    },
)
@fast(new_log, body=LogCreate, needs_key=True, headers={b"idempotency-key": idempotency.valid_key})
async def create_log(
    request: Request,
    tenant: TenantDep,
    user_id: UserIdPath,
    body: Annotated[LogCreate, Body(openapi_examples=_CREATE_EXAMPLES)],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Store a log. With an `Idempotency-Key`, a retry gets the first answer back and nothing is stored twice;
    the same key with another body is a 422, and a retry while the first is still running a 409."""
    return await respond_async(request, new_log, body=body, tenant=tenant, user_id=user_id)


def answer(outcome: logs.Created | idempotency.Replay, metrics: Metrics) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for a new log, or for the replay of an earlier answer."""
    if isinstance(outcome, idempotency.Replay):
        metrics.replays.inc()
        return outcome.status, replay_headers(outcome), outcome.body
    metrics.logs_written.inc()
    return 201, {"Location": outcome.location}, outcome.body


@router.get("", response_model=LogPage, summary="List a user's logs", responses=responses(401, 404, 422))
def list_logs(
    tenant: TenantDep,
    user_id: UserIdPath,
    query: Annotated[LogQuery, Query()],
    engine: EngineDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> LogPage:
    """Newest first (by `performed_at`, then id). Follow `next` (or the `Link` header) for the following page."""
    found = logs.page(
        engine,
        tenant,
        user_id,
        limit=query.limit,
        after=pages.after(query.cursor),
        performed_from=query.performed_from,
        performed_to=query.performed_to,
        exercise=query.exercise,
    )
    if found is None:
        raise user_not_found(user_id)
    items, cursor = found
    following = pages.next_link(request, response, settings.public_url, cursor.encode() if cursor else None)
    return LogPage(items=items, next=following)


@router.get("/{log_id}", response_model=LogPublic, summary="Get one log", responses=responses(401, 404, 422))
def get_log(tenant: TenantDep, user_id: UserIdPath, log_id: LogIdPath, engine: EngineDep) -> LogPublic:
    """One log, as stored. Another user's or another tenant's log is a 404, like a missing one."""
    log = logs.get(engine, tenant, user_id, log_id)
    if log is None:
        raise log_not_found(user_id, log_id)
    return log


@router.patch(
    "/{log_id}", response_model=LogPublic, summary="Change a log", responses=responses(400, 401, 404, 413, 415, 422)
)
def update_log(
    tenant: TenantDep,
    user_id: UserIdPath,
    log_id: LogIdPath,
    body: Annotated[LogUpdate, Depends(valid_log_update)],
    engine: EngineDep,
) -> LogPublic:
    """Replace the fields given (`entries` as a whole); the others keep their value. Bumps `updated_at`."""
    check_programme(engine, tenant, user_id, body.programme)
    log = logs.update_log(engine, tenant, user_id, log_id, body)
    if log is None:
        raise log_not_found(user_id, log_id)
    return log


@router.delete("/{log_id}", status_code=204, summary="Delete a log", responses=responses(401, 404, 422))
def delete_log(tenant: TenantDep, user_id: UserIdPath, log_id: LogIdPath, engine: EngineDep) -> Response:
    """Delete one log for good (204). A second delete of the same log is a 404."""
    if not logs.delete_log(engine, tenant, user_id, log_id):
        raise log_not_found(user_id, log_id)
    return Response(status_code=204)
