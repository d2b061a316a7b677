"""The check-in store: create, read, page, export and erase a user's check-ins (see the package's docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import exists, insert, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from app import idempotency, revisions
from app.checkins.schemas import CheckinCreate, CheckinPublic
from app.db import connected, write_session
from app.owned import Owned
from app.tables import Checkin, Log

CHECKINS = Checkin.__table__  # type: ignore[attr-defined]
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)


class CheckinExists(Exception):
    """The user already has a check-in on that date."""


@dataclass(frozen=True)
class Created:
    checkin: CheckinPublic
    body: bytes
    location: str


def checkin_path(user_id: str, day: date) -> str:
    return f"/users/{quote(user_id, safe='')}/checkins/{day.isoformat()}"


_ROWS = Owned(CHECKINS)
_owned = _ROWS.of


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
    path = checkin_path(user_id, day)
    return _ROWS.delete_one(engine, tenant, user_id, CHECKINS.c.date == day,
                            lambda session: idempotency.forget_location(session, tenant, user_id, path))


def erase_user(engine: Engine, tenant: str, user_id: str) -> int:
    """Delete every check-in of a user; returns how many."""
    return _ROWS.erase(engine, tenant, user_id)


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
