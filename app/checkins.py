"""Check-ins: a user's rest or next-morning pain on a calendar date, and the store behind them.

One check-in a user a date: the date is the key. A second POST for a date
already checked in is refused (409) rather than silently replacing the
first, because a morning pain score is clinical data an app must not lose
by a double tap or a sync race; a correction is an explicit DELETE and POST.
Retries are made safe by ``Idempotency-Key``, exactly as for logs. This
module is the only writer of ``checkins``; every change bumps the user's revision
(app/revisions.py) in its transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from sqlalchemy import and_, delete, exists, insert, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from app import idempotency, revisions
from app.db import connected, write_session
from app.logs.schemas import MAX_NOTES, NO_NUL, CleanStr, Pain
from app.tables import Checkin, Log

CHECKINS = Checkin.__table__  # type: ignore[attr-defined]
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)

# A calendar date as ISO 8601 writes it, and nothing else (no Unix times, no date-times).
DATE_PATTERN = r"^(19|2[01])\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_DATE = re.compile(DATE_PATTERN)


def _date_input(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _DATE.match(value)):
        return value
    raise ValueError("must be a calendar date, YYYY-MM-DD, in the years 1900-2199")


CalendarDate = Annotated[
    date,
    BeforeValidator(_date_input),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]


class CheckinCreate(BaseModel):
    """How the hip feels at rest or on the next morning."""

    model_config = ConfigDict(extra="forbid")

    date: CalendarDate = Field(description="The user's local calendar date of the check-in.")
    pain: Pain = Field(description="Rest or next-morning pain, 0 (none) to 10 (worst).")
    stiffness: Pain | None = Field(default=None, description="Stiffness, 0 (none) to 10 (worst).")
    notes: CleanStr | None = Field(default=None, max_length=MAX_NOTES, json_schema_extra=NO_NUL)


class CheckinPublic(BaseModel):
    """A stored check-in."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "user-1842",
                    "date": "2026-11-21",
                    "pain": 2,
                    "stiffness": 3,
                    "notes": "Stiff on getting up, easing by noon.",
                    "created_at": "2026-11-21T07:05:12.118402Z",
                }
            ]
        }
    )

    user_id: str
    date: date
    pain: int
    stiffness: int | None
    notes: str | None
    created_at: datetime


class CheckinPage(BaseModel):
    """One page of check-ins, latest date first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "user_id": "user-1842",
                            "date": "2026-11-21",
                            "pain": 2,
                            "stiffness": 3,
                            "notes": None,
                            "created_at": "2026-11-21T07:05:12.118402Z",
                        }
                    ],
                    "next": None,
                }
            ]
        }
    )

    items: list[CheckinPublic]
    next: str | None = Field(
        description="Absolute URL of the next page (also in the `Link` header), or null on the last one."
    )


class CheckinExists(Exception):
    """The user already has a check-in on that date."""


@dataclass(frozen=True)
class Created:
    checkin: CheckinPublic
    body: bytes
    location: str


def checkin_path(user_id: str, day: date) -> str:
    return f"/users/{quote(user_id, safe='')}/checkins/{day.isoformat()}"


def _owned(tenant: str, user_id: str) -> Any:
    return and_(CHECKINS.c.tenant == tenant, CHECKINS.c.user_id == user_id)


_COLUMNS = [c for c in CHECKINS.c if c.name != "tenant"]


def _public(row: Any) -> CheckinPublic:
    return CheckinPublic.model_validate(row, from_attributes=True)


def create(
    engine: Engine, tenant: str, user_id: str, data: CheckinCreate, key: str | None = None, ttl: timedelta | None = None
) -> Created | idempotency.Replay:
    """Store a check-in; with ``key``, claim it first and store the answer in the same transaction.

    Raises ``CheckinExists``, and from the key ``idempotency.KeyReused`` or ``KeyInFlight``.
    """
    claim = None
    if key is not None:
        fingerprint = idempotency.fingerprint(user_id, data.model_dump(mode="json"))
        outcome = idempotency.claim(engine, tenant, key, user_id, fingerprint, ttl or timedelta(hours=24))
        if isinstance(outcome, idempotency.Replay):
            return outcome
        claim = outcome
    now = datetime.now(UTC)
    row = {"tenant": tenant, "user_id": user_id, **data.model_dump(), "created_at": now}
    public = CheckinPublic(user_id=user_id, created_at=now, **data.model_dump())
    body = public.__pydantic_serializer__.to_json(public)
    location = checkin_path(user_id, data.date)
    try:
        with write_session(engine) as session:
            session.connection().execute(insert(CHECKINS), row)
            if claim is not None and not idempotency.complete(session, claim, 201, body, location, None):
                raise idempotency.KeyInFlight()
            revisions.bump(session.connection(), [(tenant, user_id)])
            session.commit()
    except BaseException as exc:
        if claim is not None:
            idempotency.release(engine, claim)
        if isinstance(exc, IntegrityError):
            raise CheckinExists() from None
        raise
    return Created(public, body, location)


def get(engine: Engine, tenant: str, user_id: str, day: date) -> CheckinPublic | None:
    with engine.connect() as connection:
        row = connection.execute(select(*_COLUMNS).where(_owned(tenant, user_id), CHECKINS.c.date == day)).first()
    return _public(row) if row is not None else None


def delete_checkin(engine: Engine, tenant: str, user_id: str, day: date) -> bool:
    """Delete one check-in (and the stored answer that created it); False if there was none."""
    with write_session(engine) as session:
        deleted = session.exec(delete(CHECKINS).where(_owned(tenant, user_id), CHECKINS.c.date == day))
        if deleted.rowcount != 1:
            return False
        idempotency.forget_location(session, tenant, user_id, checkin_path(user_id, day))
        revisions.bump(session.connection(), [(tenant, user_id)])
        session.commit()
    return True


def erase_user(engine: Engine, tenant: str, user_id: str) -> int:
    """Delete every check-in of a user; returns how many."""
    with write_session(engine) as session:
        deleted = session.exec(delete(CHECKINS).where(_owned(tenant, user_id)))
        revisions.forget(session.connection(), tenant, user_id)
        session.commit()
    return int(deleted.rowcount)


def known_user(connection: Connection, tenant: str, user_id: str) -> bool:
    """Whether the tenant has logs or check-ins for this user: anyone else does not exist (a 404)."""
    logs = Log.__table__  # type: ignore[attr-defined]
    with_logs = exists().where(logs.c.tenant == tenant, logs.c.user_id == user_id)
    return bool(connection.execute(select(or_(with_logs, exists().where(_owned(tenant, user_id))))).scalar())


def page(
    engine: Engine, tenant: str, user_id: str, *, limit: int, before: date | None = None
) -> tuple[list[CheckinPublic], date | None] | None:
    """A page of check-ins, latest date first, and the date the next page starts before; None for an unknown user."""
    statement = select(*_COLUMNS).where(_owned(tenant, user_id))
    if before is not None:
        statement = statement.where(CHECKINS.c.date < before)
    statement = statement.order_by(CHECKINS.c.date.desc()).limit(limit + 1)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
        if not rows and not known_user(connection, tenant, user_id):
            return None
    items = [_public(row) for row in rows[:limit]]
    return items, items[-1].date if len(rows) > limit else None


def between(
    engine: Engine | Connection, tenant: str, user_id: str, first: date, last: date
) -> list[CheckinPublic]:
    """Check-ins dated ``first`` to ``last`` inclusive, oldest first (on ``engine``'s connection if it is one)."""
    statement = (
        select(*_COLUMNS)
        .where(_owned(tenant, user_id), CHECKINS.c.date >= first, CHECKINS.c.date <= last)
        .order_by(CHECKINS.c.date)
    )
    with connected(engine) as connection:
        return [_public(row) for row in connection.execute(statement)]


def export(engine: Engine, tenant: str, user_id: str) -> list[CheckinPublic]:
    """Every check-in of a user, oldest first."""
    return between(engine, tenant, user_id, EARLIEST, LATEST)
