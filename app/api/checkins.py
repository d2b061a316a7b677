"""/users/{user_id}/checkins: a user's rest and next-morning pain, one a date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, Field

from app import checkins, idempotency
from app.api import pages
from app.api.auth import TenantDep
from app.api.deps import EngineDep, SettingsDep
from app.api.idempotency_key import IdempotencyKey, created, created_answer, key_problem
from app.api.logs import UserIdPath, user_not_found
from app.checkins import CalendarDate, CheckinCreate, CheckinPage, CheckinPublic
from app.problems import Problem, responses

router = APIRouter(prefix="/users/{user_id}/checkins", tags=["checkins"])

_THIS_CHECKIN = {"user_id": "$request.path.user_id", "day": "$response.body#/date"}
_THIS_USER = {"user_id": "$request.path.user_id"}
# OpenAPI links: what a client can do next with the check-in it created.
_NEW_CHECKIN_LINKS = {
    "GetCheckin": {"operationId": "get_checkin", "parameters": _THIS_CHECKIN},
    "DeleteCheckin": {"operationId": "delete_checkin", "parameters": _THIS_CHECKIN},
    "ListCheckins": {"operationId": "list_checkins", "parameters": _THIS_USER},
    "ListRecords": {"operationId": "list_records", "parameters": _THIS_USER},
    "GetProgress": {"operationId": "get_progress", "parameters": _THIS_USER},
}

DatePath = Annotated[CalendarDate, Path(description="The check-in's date, YYYY-MM-DD.")]

_CREATE_EXAMPLES = {
    "morning": {
        "summary": "The morning after a session",
        "value": {"date": "2026-11-21", "pain": 2, "stiffness": 3, "notes": "Stiff on getting up, easing by noon."},
    }
}


def checkin_not_found(user_id: str, day: date) -> Problem:
    """The one 404 for a check-in that is missing, another user's or another tenant's."""
    return Problem(404, "not-found", f"No check-in on {day.isoformat()} for user {user_id!r}.")


class CheckinQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100, description="Check-ins per page.")
    cursor: CalendarDate | None = Field(default=None, description="Where to continue: from a `next` link.")


@router.post(
    "",
    status_code=201,
    response_model=CheckinPublic,
    summary="Record a check-in",
    responses={
        201: created("The new check-in.", _NEW_CHECKIN_LINKS),
        **responses(400, 401, 409, 413, 415, 422),
    },
)
def create_checkin(
    tenant: TenantDep,
    user_id: UserIdPath,
    body: Annotated[CheckinCreate, Body(openapi_examples=_CREATE_EXAMPLES)],
    engine: EngineDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """One check-in a date: a second one for the same date is a 409 `checkin-exists` (delete it first to correct
    it), so a double tap never overwrites what the user entered. `Idempotency-Key` works as for logs."""
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    try:
        outcome = checkins.create(engine, tenant, user_id, body, idempotency_key, ttl)
    except checkins.CheckinExists:
        location = checkins.checkin_path(user_id, body.date)
        raise Problem(
            409,
            "checkin-exists",
            f"User {user_id!r} already has a check-in on {body.date.isoformat()}; delete it to replace it.",
            headers={"Location": location},
        ) from None
    except (idempotency.KeyReused, idempotency.KeyInFlight) as exc:
        raise key_problem(exc) from None
    return created_answer(outcome)


@router.get("", response_model=CheckinPage, summary="List a user's check-ins", responses=responses(401, 404, 422))
def list_checkins(
    tenant: TenantDep,
    user_id: UserIdPath,
    query: Annotated[CheckinQuery, Query()],
    engine: EngineDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> CheckinPage:
    """Latest date first. Follow `next` (or the `Link` header) for the following page. A user with neither
    logs nor check-ins is a 404."""
    found = checkins.page(engine, tenant, user_id, limit=query.limit, before=query.cursor)
    if found is None:
        raise user_not_found(user_id)
    items, before = found
    following = pages.next_link(request, response, settings.public_url, before.isoformat() if before else None)
    return CheckinPage(items=items, next=following)


@router.get("/{day}", response_model=CheckinPublic, summary="Get one check-in", responses=responses(401, 404, 422))
def get_checkin(tenant: TenantDep, user_id: UserIdPath, day: DatePath, engine: EngineDep) -> CheckinPublic:
    """The user's check-in of that date. Another user's or tenant's is a 404, like a missing one."""
    found = checkins.get(engine, tenant, user_id, day)
    if found is None:
        raise checkin_not_found(user_id, day)
    return found


@router.delete("/{day}", status_code=204, summary="Delete a check-in", responses=responses(401, 404, 422))
def delete_checkin(tenant: TenantDep, user_id: UserIdPath, day: DatePath, engine: EngineDep) -> Response:
    """Delete the check-in of that date (204), to correct it with a new one."""
    if not checkins.delete_checkin(engine, tenant, user_id, day):
        raise checkin_not_found(user_id, day)
    return Response(status_code=204)
