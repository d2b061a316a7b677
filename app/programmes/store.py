"""The programme store: create, read, change, page, export and erase a user's programmes.

The only writer of ``programmes``. A programme is stored as its canonical parameters (the weeks are computed
from them, deterministically, whenever they are asked for) and its state: status, pauses, the day it ended.
Every change bumps the user's revision (app/revisions.py) in its transaction, so a kept ``today`` is never
older than the data. Retries are made safe by ``Idempotency-Key`` as for assessments.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Text, cast, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from app import idempotency, revisions
from app.assessments.store import known_user
from app.db import connected, write_session
from app.logs import Cursor, is_log_id
from app.logs.writer import LOGS
from app.owned import Owned
from app.programmes.models import ProgrammeParameters
from app.programmes.schemas import Pause, ProgrammeState, ProgrammeStatus
from app.tables import Programme

PROGRAMMES = Programme.__table__  # type: ignore[attr-defined]
_COLUMNS = [c for c in PROGRAMMES.c if c.name not in ("tenant", "open_goal")]


@dataclass(frozen=True)
class Stored:
    state: ProgrammeState
    parameters: ProgrammeParameters


@dataclass(frozen=True)
class Created:
    stored: Stored
    body: bytes
    location: str


class GoalTaken(Exception):
    """The user has an open programme (active or paused) for this goal already."""

    def __init__(self, existing: str, goal: str) -> None:
        super().__init__(existing)
        self.existing, self.goal = existing, goal


class Ended(Exception):
    """An ended programme does not change again."""

    def __init__(self, ended: dt.date) -> None:
        super().__init__(ended)
        self.ended = ended


class TooEarly(Exception):
    """A pause, resume or end dated before the programme's last change of status."""

    def __init__(self, last: dt.date) -> None:
        super().__init__(last)
        self.last = last


def programme_path(user_id: str, programme_id: str) -> str:
    return f"/users/{quote(user_id, safe='')}/programmes/{programme_id}"


_ROWS = Owned(PROGRAMMES, newest="created_at")
_owned = _ROWS.of
has_any = _ROWS.has_any


def _stored(row: Any) -> Stored:
    state = ProgrammeState(
        id=row.id,
        self=programme_path(row.user_id, row.id),
        user_id=row.user_id,
        status=ProgrammeStatus(row.status),
        paused=[Pause.model_validate(p) for p in row.paused],
        ended=row.ended,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
    return Stored(state, ProgrammeParameters.model_validate(row.parameters))


def create(
    engine: Engine,
    tenant: str,
    user_id: str,
    parameters: ProgrammeParameters,
    render: Callable[[Stored], bytes],
    key: str | None = None,
    ttl: timedelta | None = None,
    request: Any = None,
) -> Created | idempotency.Replay:
    """Store a programme (``parameters`` canonical already) and answer ``render(stored)``; with ``key``, claim
    it first (``request``: what the client sent, fingerprinted) and store the answer in the same transaction.
    Raises ``GoalTaken``, ``idempotency.KeyReused`` or ``KeyInFlight``."""
    claim = None
    if key is not None:
        fingerprint = idempotency.fingerprint(user_id, request)
        outcome = idempotency.claim(engine, tenant, key, user_id, fingerprint, ttl or timedelta(hours=24))
        if isinstance(outcome, idempotency.Replay):
            return outcome
        claim = outcome
    now = datetime.now(UTC)
    programme_id = str(uuid.uuid4())
    row: dict[str, Any] = {
        "id": programme_id,
        "user_id": user_id,
        "goal": parameters.goal.value,
        "parameters": parameters.model_dump(mode="json"),
        "status": ProgrammeStatus.active.value,
        "paused": [],
        "ended": None,
        "created_at": now,
        "updated_at": now,
    }
    stored = _stored(_Row(row))
    try:
        body = render(stored)
        location = programme_path(user_id, programme_id)
        try:
            with write_session(engine) as session:
                session.connection().execute(
                    insert(PROGRAMMES), {"tenant": tenant, "open_goal": parameters.goal.value, **row}
                )
                if claim is not None and not idempotency.complete(session, claim, 201, body, location, None):
                    raise idempotency.KeyInFlight()
                revisions.bump(session.connection(), [(tenant, user_id)])
                session.commit()
        except IntegrityError:
            existing = open_for_goal(engine, tenant, user_id, parameters.goal.value)
            if existing is None:  # (ended in between: the client may simply try again)
                raise
            raise GoalTaken(existing, parameters.goal.value) from None
    except BaseException:
        if claim is not None:
            idempotency.release(engine, claim)
        raise
    return Created(stored, body, location)


class _Row:
    """A dict read as a row (attribute access), so a new programme is shaped by ``_stored`` like a read one."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def open_for_goal(engine: Engine, tenant: str, user_id: str, goal: str) -> str | None:
    """The id of the user's open programme for ``goal``, if any."""
    with engine.connect() as connection:
        return connection.execute(
            select(PROGRAMMES.c.id).where(_owned(tenant, user_id), PROGRAMMES.c.open_goal == goal)
        ).scalar()


def get(engine: Engine | Connection, tenant: str, user_id: str, programme_id: str) -> Stored | None:
    if not is_log_id(programme_id):  # our ids are UUIDs, as log ids are
        return None
    with connected(engine) as connection:
        row = connection.execute(
            select(*_COLUMNS).where(_owned(tenant, user_id), PROGRAMMES.c.id == programme_id)
        ).first()
    return _stored(row) if row is not None else None


def change_status(
    engine: Engine, tenant: str, user_id: str, programme_id: str, status: ProgrammeStatus, day: dt.date
) -> Stored | None:
    """Pause (a period opens on ``day``), resume (it closes) or end the programme; the same status again changes
    nothing. None if there is no such programme; raises ``Ended`` once it was ended, ``TooEarly`` for a ``day``
    before its last change of status."""
    if not is_log_id(programme_id):
        return None
    with write_session(engine) as session:
        connection = session.connection()
        row = connection.execute(
            select(*_COLUMNS).where(_owned(tenant, user_id), PROGRAMMES.c.id == programme_id)
        ).first()
        if row is None:
            return None
        if row.status == ProgrammeStatus.ended.value:
            raise Ended(row.ended)
        if row.status == status.value:
            return _stored(row)
        paused = [dict(p) for p in row.paused]
        last = max([dt.date.fromisoformat(v) for p in paused for v in p.values() if v is not None], default=None)
        if last is not None and day < last:
            raise TooEarly(last)
        values: dict[str, Any] = {"status": status.value, "updated_at": datetime.now(UTC)}
        if status is ProgrammeStatus.paused:
            paused.append({"from": day.isoformat(), "to": None})
        elif paused and paused[-1]["to"] is None:  # resumed or ended while paused: the pause ends that day
            paused[-1]["to"] = day.isoformat()
        values["paused"] = paused
        if status is ProgrammeStatus.ended:
            values["ended"] = day
            values["open_goal"] = None
        connection.execute(update(PROGRAMMES).where(PROGRAMMES.c.id == programme_id).values(values))
        changed = connection.execute(select(*_COLUMNS).where(PROGRAMMES.c.id == programme_id)).one()
        revisions.bump(connection, [(tenant, user_id)])
        session.commit()
    return _stored(changed)


def delete_programme(engine: Engine, tenant: str, user_id: str, programme_id: str) -> bool:
    """Delete one programme (and the stored answer that created it); False if there was none. Logs that named
    it keep their reference (a log is the person's record), which then names nothing."""
    if not is_log_id(programme_id):
        return False
    path = programme_path(user_id, programme_id)
    return _ROWS.delete_one(engine, tenant, user_id, PROGRAMMES.c.id == programme_id,
                            lambda session: idempotency.forget_location(session, tenant, user_id, path))


def erase_user(engine: Engine, tenant: str, user_id: str) -> int:
    """Delete every programme of a user; returns how many."""
    return _ROWS.erase(engine, tenant, user_id)


def page(
    engine: Engine, tenant: str, user_id: str, *, limit: int, after: Cursor | None = None,
    status: ProgrammeStatus | None = None,
) -> tuple[list[Stored], Cursor | None] | None:
    """A page of programmes, newest first, and where the next page starts; None for an unknown user (no logs,
    check-ins, assessments or programmes)."""
    statement = select(*_COLUMNS).where(_owned(tenant, user_id))
    if status is not None:
        statement = statement.where(PROGRAMMES.c.status == status.value)
    statement = _ROWS.newest_first(statement, after, limit)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
        if not rows and not has_any(connection, tenant, user_id) and not known_user(connection, tenant, user_id):
            return None
    items = [_stored(row) for row in rows[:limit]]
    more = len(rows) > limit
    return items, Cursor(items[-1].state.created_at, items[-1].state.id) if more else None


def export(engine: Engine, tenant: str, user_id: str) -> list[Stored]:
    """Every programme of a user, oldest first."""
    statement = select(*_COLUMNS).where(_owned(tenant, user_id)).order_by(PROGRAMMES.c.created_at, PROGRAMMES.c.id)
    with engine.connect() as connection:
        return [_stored(row) for row in connection.execute(statement)]


# What following a programme reads of a log: what the coach reads, and the programme session it names.
_FOLLOWED = (
    LOGS.c.performed_at, LOGS.c.duration_minutes, LOGS.c.session_rpe, LOGS.c.pain_before, LOGS.c.pain_after,
    cast(LOGS.c.entries, Text).label("entries"), cast(LOGS.c.programme, Text).label("programme"),
)
MAX_FOLLOWED_LOGS = 2000  # 16 weeks of several sessions a day; older ones beyond it are not read


def logs_since(
    connection: Connection, tenant: str, user_id: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """The user's logs performed in [since, until), oldest first, as dicts (``session_of`` reads them), with
    ``programme`` (the stored reference, or None)."""
    statement = (
        select(*_FOLLOWED)
        .where(
            LOGS.c.tenant == tenant, LOGS.c.user_id == user_id,
            LOGS.c.performed_at >= since, LOGS.c.performed_at < until,
        )
        .order_by(LOGS.c.performed_at.desc(), LOGS.c.id.desc())
        .limit(MAX_FOLLOWED_LOGS)
    )
    result = connection.execute(statement)
    names = tuple(result.keys())
    found = [dict(zip(names, row, strict=True)) for row in reversed(result.all())]
    for row in found:  # (as text: most logs name no programme, and a JSON column decodes each row's null)
        raw = row["programme"]
        row["programme"] = None if raw is None or raw == "null" else json.loads(raw)
    return found
