"""/users/{user_id}/programmes: stored plans, followed day by day (GET /programmes, the stateless door, and the
parameters' query form are app.api.programme_plans; ``router`` is its router)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app import idempotency
from app.answers import user_answer
from app.api import pages
from app.api.auth import TenantDep
from app.api.deps import EngineDep, LocalisedCatalogueDep, SettingsDep
from app.api.fastpath import Call, Reply, fast, respond
from app.api.idempotency_key import IdempotencyKey, created, created_answer, key_problem
from app.api.logs import UserIdPath, user_not_found
from app.api.programme_plans import JSON, build, canonical, catalogue_headers
from app.api.programme_plans import router as router  # (app.main includes it beside ``users``)
from app.api.representations import body_etag, not_modified
from app.api.workouts import workout_problem
from app.db import snapshot
from app.languages import LOCALISED
from app.logs import CURSOR_PATTERN
from app.problems import FieldError, Problem, invalid, responses
from app.programmes import examples
from app.programmes import store as programmes
from app.programmes.calendar import feed, local_today
from app.programmes.models import Advance, Programme, ProgrammeParameters
from app.programmes.replay import moved
from app.programmes.schemas import (
    ProgrammeCreate,
    ProgrammePage,
    ProgrammePublic,
    ProgrammeStatus,
    ProgrammeSummary,
    ProgrammeUpdate,
    TodayPublic,
)
from app.programmes.today import out_of_range, today_answer
from app.workouts import UnknownExercises, WorkoutImpossible

ICS = "text/calendar; charset=utf-8"
WORKERS = 4  # today's answers computed at once on the fast path (as /workouts/next: app.api.coaching.WORKERS)


def programme_not_found(user_id: str, programme_id: str) -> Problem:
    """The one 404 for a programme that is missing, another user's or another tenant's."""
    return Problem(404, "not-found", f"No programme {programme_id!r} for user {user_id!r}.")


users = APIRouter(prefix="/users/{user_id}/programmes", tags=["programmes"])
ProgrammeIdPath = Annotated[str, Path(description="The programme's id (a UUID).", max_length=36)]


def _public(stored: programmes.Stored, programme: Programme) -> bytes:
    public = ProgrammePublic(**stored.state.model_dump(), **dict(programme))
    return public.__pydantic_serializer__.to_json(public)


_THIS = {"user_id": "$request.path.user_id", "programme_id": "$response.body#/id"}
_LINKS = {
    "GetProgramme": {"operationId": "get_programme", "parameters": _THIS},
    "UpdateProgramme": {"operationId": "update_programme", "parameters": _THIS},
    "DeleteProgramme": {"operationId": "delete_programme", "parameters": _THIS},
    "GetProgrammeToday": {"operationId": "get_programme_today", "parameters": _THIS},
    "GetProgrammeCalendar": {"operationId": "get_programme_calendar", "parameters": _THIS},
}
_CREATE_EXAMPLES = {"mobility": {"summary": "6 weeks of mobility, Mon/Wed/Fri", "value": examples.CREATE}}


@users.post(
    "",
    status_code=201,
    response_model=ProgrammePublic,
    summary="Start a programme",
    responses={
        201: created("The new programme, its weeks computed.", _LINKS), **responses(400, 401, 409, 413, 415, 422)
    },
)
def create_programme(
    tenant: TenantDep,
    user_id: UserIdPath,
    body: Annotated[ProgrammeCreate, Body(openapi_examples=_CREATE_EXAMPLES)],
    catalogue: LocalisedCatalogueDep,
    engine: EngineDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Stores the parameters (canonical: `start` today in `tz` and a drawn `seed` when not sent) and answers the
    whole plan with the programme's `id` and `self`. One open programme (active or paused) per goal: a second is a
    409 `programme-exists` naming the first (end it first). `Idempotency-Key` works as for logs."""
    parameters = canonical(body)
    found = build(catalogue, parameters, "body")
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    try:
        outcome = programmes.create(
            engine, tenant, user_id, parameters, lambda stored: _public(stored, found), idempotency_key, ttl,
            request=body.model_dump(mode="json"),
        )
    except programmes.GoalTaken as exc:
        location = programmes.programme_path(user_id, exc.existing)
        raise Problem(
            409,
            "programme-exists",
            f"User {user_id!r} already has an open {exc.goal} programme ({exc.existing}): end it "
            f"(PATCH {location} with status ended) before starting another.",
            headers={"Location": location},
            extra={"existing": location},
        ) from None
    except (idempotency.KeyReused, idempotency.KeyInFlight) as exc:
        raise key_problem(exc) from None
    return created_answer(outcome)


class ProgrammeListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ProgrammeStatus | None = Field(default=None, description="Only programmes in this status.")
    limit: int = Field(default=20, ge=1, le=100, description="Programmes per page.")
    cursor: str | None = Field(
        default=None,
        description="Where to continue: from a `next` link.",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    )


@users.get("", response_model=ProgrammePage, summary="List a user's programmes", responses=responses(401, 404, 422))
def list_programmes(
    tenant: TenantDep,
    user_id: UserIdPath,
    query: Annotated[ProgrammeListQuery, Query()],
    engine: EngineDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> ProgrammePage:
    """Newest first, each with its state and parameters (GET its `self` for the weeks). Follow `next` (or the
    `Link` header). A user with no logs, check-ins, assessments or programmes is a 404."""
    found = programmes.page(
        engine, tenant, user_id, limit=query.limit, after=pages.after(query.cursor), status=query.status
    )
    if found is None:
        raise user_not_found(user_id)
    items, cursor = found
    following = pages.next_link(request, response, settings.public_url, cursor.encode() if cursor else None)
    return ProgrammePage(
        items=[ProgrammeSummary(**s.state.model_dump(), parameters=s.parameters) for s in items], next=following
    )


def owned(engine: Any, tenant: str, user_id: str, programme_id: str) -> programmes.Stored:
    found = programmes.get(engine, tenant, user_id, programme_id)
    if found is None:
        raise programme_not_found(user_id, programme_id)
    return found


@users.get(
    "/{programme_id}", response_model=ProgrammePublic, summary="Get a programme", responses=responses(401, 404, 422)
)
def get_programme(
    tenant: TenantDep, user_id: UserIdPath, programme_id: ProgrammeIdPath, engine: EngineDep,
    catalogue: LocalisedCatalogueDep,
) -> Response:
    """The programme's state and its whole plan, as created."""
    stored = owned(engine, tenant, user_id, programme_id)
    return Response(_public(stored, build(catalogue, stored.parameters, "query")), media_type=JSON,
                    headers=catalogue_headers(catalogue))


@users.patch(
    "/{programme_id}", response_model=ProgrammePublic, summary="Pause, resume or end a programme",
    responses=responses(400, 401, 404, 409, 413, 415, 422),
)
def update_programme(
    tenant: TenantDep,
    user_id: UserIdPath,
    programme_id: ProgrammeIdPath,
    body: Annotated[ProgrammeUpdate, Body(openapi_examples=examples.UPDATES)],
    engine: EngineDep,
    catalogue: LocalisedCatalogueDep,
) -> Response:
    """`paused` opens a pause on `date` (default: today in the programme's zone), `active` closes it, `ended` ends
    the programme for good (a later change is a 409 `programme-ended`). The same status again changes nothing.
    A `date` before the last pause or resume is a 422."""
    stored = owned(engine, tenant, user_id, programme_id)
    day = body.date if body.date is not None else local_today(stored.parameters.tz)
    _in_range(day, stored.parameters, "body")
    try:
        changed = programmes.change_status(engine, tenant, user_id, programme_id, body.status, day)
    except programmes.Ended as exc:
        raise Problem(
            409, "programme-ended", f"Programme {programme_id!r} was ended on {exc.ended}: it does not change again."
        ) from None
    except programmes.TooEarly as exc:
        message = f"must not be before {exc.last.isoformat()}, the programme's last pause or resume"
        error = FieldError(location="body", field="date", message=message)
        raise invalid(f"field 'date': {message}", [error]) from None
    if changed is None:
        raise programme_not_found(user_id, programme_id)
    return Response(_public(changed, build(catalogue, changed.parameters, "query")), media_type=JSON,
                    headers=catalogue_headers(catalogue))


@users.delete("/{programme_id}", status_code=204, summary="Delete a programme", responses=responses(401, 404, 422))
def delete_programme(
    tenant: TenantDep, user_id: UserIdPath, programme_id: ProgrammeIdPath, engine: EngineDep
) -> Response:
    """Delete a programme for good (204). Logs that named it keep their `programme` reference."""
    if not programmes.delete_programme(engine, tenant, user_id, programme_id):
        raise programme_not_found(user_id, programme_id)
    return Response(status_code=204)


def _in_range(day: dt.date, parameters: ProgrammeParameters, location: str) -> None:
    message = out_of_range(day, parameters)
    if message is not None:
        where = "query parameter" if location == "query" else "field"
        raise invalid(f"{where} 'date': {message}", [FieldError(location=location, field="date", message=message)])


class TodayQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date | None = Field(default=None, description="The local day to answer for; default: today in the "
                                 "programme's time zone.")


def _past(day: dt.date, now: dt.date | None) -> str:
    """Whether ``day`` has passed where the programme is, for the key of a kept answer (a past session day
    answers `missed` where it answered `due`), without reading the programme for its zone: every zone's date
    is within a day of UTC's, and changes on a quarter hour of UTC (offsets are whole quarter hours)."""
    if now is not None:
        return str(day < now)
    utc = dt.datetime.now(dt.UTC)
    if day < utc.date() - timedelta(days=1):
        return "True"
    if day > utc.date() + timedelta(days=1):
        return "False"
    return utc.replace(minute=utc.minute // 15 * 15, second=0, microsecond=0).isoformat()


def today_reply(call: Call[TodayQuery, None]) -> Reply:
    """GET /users/{user_id}/programmes/{programme_id}/today, for the route and the fast path alike.

    Kept under the user's revision (app.answers) by programme and local day: with a `date`, a kept answer costs
    one revision read; without, the programme is read first for its zone."""
    state, catalogue, tenant = call.state, call.catalogue, call.tenant
    user_id, programme_id, engine = call.params["user_id"], call.params["programme_id"], call.state.engine
    day, now = call.query.date, None
    if day is None:
        day = now = local_today(owned(engine, tenant, user_id, programme_id).parameters.tz)

    def compute() -> bytes | None:
        with snapshot(engine) as connection:  # the programme, logs and check-ins of one state (app.db.snapshot)
            stored = programmes.get(connection, tenant, user_id, programme_id)
            if stored is None:
                return None  # (not kept: a 404)
            _in_range(day, stored.parameters, "query")
            real = now if now is not None else local_today(stored.parameters.tz)
            try:
                return today_answer(connection, tenant, user_id, stored, catalogue, day, real)
            except (UnknownExercises, WorkoutImpossible) as exc:
                raise workout_problem(exc, "query") from exc

    key = ("programme-today", catalogue.etag, programme_id, day.isoformat(), _past(day, now))
    body = user_answer(state.answers, engine, tenant, user_id, key, compute)
    if body is None:
        raise programme_not_found(user_id, programme_id)
    return Reply(200, body, catalogue_headers(catalogue))


@users.get(
    "/{programme_id}/today",
    response_model=TodayPublic,
    summary="What the programme asks of the user today",
    description=(
        "The week, the session of the week, the phase and whether it is a deload week; the day's `status` (`due`, "
        "`done`, `rest`, `missed`, `paused` or `finished`), how many sessions were missed and the next day one is "
        "due; the rules that advanced, held or repeated a week (`events`); and the session itself, adapted by the "
        "coach from the user's logs and check-ins exactly as GET /users/{user_id}/workouts/next adapts its "
        "workout. Days are local days in the programme's time zone. Kept until the user's data changes."
    ),
    responses={**LOCALISED, **responses(401, 404, 422)},
)
@fast(today_reply, query=TodayQuery, needs_key=True, thread=True, workers=WORKERS)
def get_programme_today(
    request: Request,
    tenant: TenantDep,
    user_id: UserIdPath,
    programme_id: ProgrammeIdPath,
    query: Annotated[TodayQuery, Query()],
    catalogue: LocalisedCatalogueDep,
) -> Response:
    return respond(request, today_reply, query=query, tenant=tenant, user_id=user_id, programme_id=programme_id)


@users.get(
    "/{programme_id}/calendar.ics",
    summary="The programme as a calendar feed (iCalendar)",
    description=(
        "RFC 5545: one all-day event per session on its local date in the programme's time zone (`X-WR-TIMEZONE`), "
        "named for the session and listing its exercises. Each event's UID is "
        "`<programme-id>-w<week>-d<session>@hipflex`, so a calendar app that subscribes updates events rather than "
        "adding them twice. With `advance=calendar`, the sessions after a pause move by whole weeks, as `today` "
        "reads them; with `advance=sessions` the dates are the plan's, and `today` says what is due after a shift."
    ),
    response_class=Response,
    responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}},
                     "description": "The calendar."}, 304: {"description": "Not modified (If-None-Match)"},
               **responses(401, 404, 422)},
)
def get_programme_calendar(
    request: Request,
    tenant: TenantDep,
    user_id: UserIdPath,
    programme_id: ProgrammeIdPath,
    engine: EngineDep,
    catalogue: LocalisedCatalogueDep,
) -> Response:
    stored = owned(engine, tenant, user_id, programme_id)
    parameters = stored.parameters
    found = build(catalogue, parameters, "query")
    name = f"hipflex: {parameters.goal.value}, {parameters.weeks} weeks"
    shift = None
    if parameters.advance is Advance.calendar and stored.state.paused:
        # as `today` reads them (app.programmes.follow): the pauses begun by today, an open one until tomorrow
        now = local_today(parameters.tz)
        pauses = sorted((p.start, p.end if p.end is not None else now + timedelta(days=1))
                        for p in stored.state.paused if p.start <= now)
        shift = partial(moved, pauses=pauses)
    body = feed(found, programme_id, name, stored.state.created_at, shift)
    headers = {"ETag": body_etag(body), "Cache-Control": "private, no-cache", **catalogue_headers(catalogue)}
    if not_modified(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers, media_type=ICS)
