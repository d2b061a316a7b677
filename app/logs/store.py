"""The log store: create, read, change, page, export and erase a user's logs.

A log is written whole and read whole: its scalar fields are columns, its
entries one JSON column, and ``log_exercises`` lists the exercises it holds
so that ``?exercise=`` is an indexed lookup. A log and its exercises (and
its idempotent response) are written in one transaction, never in part; new
logs arriving together share a transaction (see ``LogWriter``). This package
is the only writer of ``logs``, ``log_exercises`` and ``log_sets``; every change bumps the
user's revision (app/revisions.py) in its transaction.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Text, bindparam, cast, delete, exists, func, select, update
from sqlalchemy.engine import Connection, Engine

from app import idempotency, revisions
from app.db import connected, write_session
from app.logs.cursor import Cursor
from app.logs.schemas import (
    CONTENT_FIELDS,
    LOG_FIELDS,
    EntryLog,
    LogCreate,
    LogPublic,
    LogUpdate,
    WorkoutSeed,
)
from app.logs.writer import (
    INSERT_EXERCISES,
    INSERT_SETS,
    LOG_EXERCISES,
    LOG_SETS,
    LOGS,
    ClaimKey,
    ClaimLost,
    Job,
    LogWriter,
    Write,
    set_rows,
)
from app.owned import Owned


@dataclass(frozen=True)
class Created:
    log: LogPublic
    body: bytes  # the JSON answer, as sent (and as replayed)
    location: str


_LOG_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_log_id(value: object) -> bool:
    """Whether ``value`` could be one of our log ids; anything else is simply not found."""
    return isinstance(value, str) and _LOG_ID.match(value) is not None


def log_path(user_id: str, log_id: str) -> str:
    return f"/users/{quote(user_id, safe='')}/logs/{log_id}"


def exercises_of(entries: Sequence[EntryLog]) -> list[str]:
    return list(dict.fromkeys(entry.exercise for entry in entries))


def _stored(name: str, value: Any) -> Any:
    """A content field's value as its column holds it."""
    if name == "entries":
        return [entry.model_dump(mode="json", exclude_defaults=True) for entry in value]
    if name == "workout" and isinstance(value, WorkoutSeed):
        return value.model_dump(mode="json")
    if name == "programme" and value is not None:
        return value.model_dump(mode="json")
    return value


def _public(row: Any) -> LogPublic:
    return LogPublic.model_validate({name: getattr(row, name) for name in LOG_FIELDS})


_PUBLIC_COLUMNS = [LOGS.c[name] for name in LOG_FIELDS]
_SELECT_LOG = select(*_PUBLIC_COLUMNS).where(
    LOGS.c.tenant == bindparam("tenant"), LOGS.c.user_id == bindparam("user_id"), LOGS.c.id == bindparam("log_id")
)


_ROWS = Owned(LOGS, newest="performed_at")
_owned = _ROWS.of


def _prepare(tenant: str, user_id: str, data: LogCreate, claim: idempotency.Claim | None) -> tuple[Created, Write]:
    now = datetime.now(UTC)
    log_id = str(uuid.uuid4())
    stored = {name: _stored(name, getattr(data, name)) for name in CONTENT_FIELDS}
    fields = {"id": log_id, "user_id": user_id, **stored, "created_at": now, "updated_at": now}
    # the entries as validated, not their JSON: nothing to validate twice
    public = LogPublic(**{**fields, "entries": data.entries})
    body = public.__pydantic_serializer__.to_json(public)
    location = log_path(user_id, log_id)
    exercises = [{"log_id": log_id, "slug": slug} for slug in exercises_of(data.entries)]
    row = {"tenant": tenant, **fields}
    job = Write(row=row, exercises=exercises, sets=set_rows(row), claim=claim, body=body, location=location)
    return Created(public, body, location), job


@dataclass(frozen=True)
class _Release:
    """Give a claimed key back, in its own transaction, after its write failed."""

    claim: idempotency.Claim


# What creating a log takes, step by step: each writer job (or release) to run, the outcome at the
# end. One plan for both callers: ``create`` runs it in a thread, ``create_async`` on the event loop.
_Plan = Generator[Job | _Release, None, "Created | idempotency.Replay"]


def _plan(
    tenant: str, user_id: str, data: LogCreate, key: str | None, ttl: timedelta, claim: idempotency.Claim | None
) -> _Plan:
    if key is None:
        created, job = _prepare(tenant, user_id, data, claim)
        yield job
        return created
    fingerprint = idempotency.fingerprint(user_id, data.model_dump(mode="json"))
    for _ in range(3):
        claiming = ClaimKey(tenant=tenant, key=key, user_id=user_id, request_hash=fingerprint, ttl=ttl)
        yield claiming
        if isinstance(claiming.outcome, idempotency.Replay):
            return claiming.outcome
        if isinstance(claiming.outcome, idempotency.Claim):
            created, job = _prepare(tenant, user_id, data, claiming.outcome)
            try:
                yield job
            except ClaimLost:
                raise
            except BaseException:
                yield _Release(claiming.outcome)
                raise
            return created
    raise idempotency.KeyInFlight()  # the key keeps being released under us: someone is busy with it


def create(
    writer: LogWriter,
    tenant: str,
    user_id: str,
    data: LogCreate,
    key: str | None = None,
    ttl: timedelta = timedelta(0),
    *,
    claim: idempotency.Claim | None = None,
) -> Created | idempotency.Replay:
    """Write a log in one transaction and return once it is committed.

    With an ``Idempotency-Key`` (``key``), claim it first, then write the log
    and its answer: a key seen before with the same request gives its first
    answer back (a ``Replay``) and writes nothing. Raises
    ``idempotency.KeyReused`` (another request had the key),
    ``idempotency.KeyInFlight`` (it is still running) or ``ClaimLost``. If the
    write fails, the key is released for a retry. ``claim`` writes under a key
    claimed already.
    """
    plan = _plan(tenant, user_id, data, key, ttl, claim)
    try:
        step = next(plan)
        while True:
            try:
                if isinstance(step, _Release):
                    idempotency.release(writer.engine, step.claim)
                else:
                    writer.run(step)
            except BaseException as exc:  # the plan decides: release a claim, or let it through
                step = plan.throw(exc)
            else:
                step = plan.send(None)
    except StopIteration as done:
        outcome: Created | idempotency.Replay = done.value
        return outcome


async def create_async(
    writer: LogWriter, tenant: str, user_id: str, data: LogCreate, key: str | None = None, ttl: timedelta = timedelta(0)
) -> Created | idempotency.Replay:
    """``create`` for the event loop: waits without holding a thread."""
    plan = _plan(tenant, user_id, data, key, ttl, None)
    try:
        step = next(plan)
        while True:
            try:
                if isinstance(step, _Release):
                    await asyncio.to_thread(idempotency.release, writer.engine, step.claim)
                else:
                    await writer.run_async(step)
            except BaseException as exc:
                step = plan.throw(exc)
            else:
                step = plan.send(None)
    except StopIteration as done:
        outcome: Created | idempotency.Replay = done.value
        return outcome


def get(engine: Engine, tenant: str, user_id: str, log_id: str) -> LogPublic | None:
    if not is_log_id(log_id):
        return None
    with engine.connect() as connection:
        row = connection.execute(_SELECT_LOG, {"tenant": tenant, "user_id": user_id, "log_id": log_id}).first()
    return _public(row) if row is not None else None


# The log's columns that log_sets copies (tenant and user_id never change).
_COPIED_TO_SETS = {"performed_at", "pain_after"}


def update_log(engine: Engine, tenant: str, user_id: str, log_id: str, data: LogUpdate) -> LogPublic | None:
    """Replace the given fields; None if there is no such log."""
    if not is_log_id(log_id):
        return None
    values = {name: _stored(name, getattr(data, name)) for name in data.model_fields_set}
    values["updated_at"] = datetime.now(UTC)
    with write_session(engine) as session:
        changed = session.exec(update(LOGS).where(_owned(tenant, user_id), LOGS.c.id == log_id).values(values))
        if changed.rowcount != 1:
            return None
        row = session.connection().execute(select(*_PUBLIC_COLUMNS).where(LOGS.c.id == log_id)).one()
        if data.entries is not None:
            session.exec(delete(LOG_EXERCISES).where(LOG_EXERCISES.c.log_id == log_id))
            session.exec(INSERT_EXERCISES, params=[{"log_id": log_id, "slug": s} for s in exercises_of(data.entries)])
            session.exec(delete(LOG_SETS).where(LOG_SETS.c.log_id == log_id))
            session.exec(INSERT_SETS, params=set_rows({"tenant": tenant, **row._mapping}))
        elif data.model_fields_set & _COPIED_TO_SETS:
            copied = {name: getattr(row, name) for name in _COPIED_TO_SETS}
            session.exec(update(LOG_SETS).where(LOG_SETS.c.log_id == log_id).values(copied))
        revisions.bump(session.connection(), [(tenant, user_id)])
        session.commit()
    return _public(row)


def delete_log(engine: Engine, tenant: str, user_id: str, log_id: str) -> bool:
    """Delete one log (its exercises go with it); False if there was none."""
    if not is_log_id(log_id):
        return False
    return _ROWS.delete_one(engine, tenant, user_id, LOGS.c.id == log_id,
                            lambda session: idempotency.forget_log(session, tenant, user_id, log_id))


def erase_user(engine: Engine, tenant: str, user_id: str) -> int:
    """Delete every log of a user, and the stored responses about them. Returns how many logs."""
    return _ROWS.erase(engine, tenant, user_id, lambda session: idempotency.forget_user(session, tenant, user_id))


def page(
    engine: Engine,
    tenant: str,
    user_id: str,
    *,
    limit: int,
    after: Cursor | None = None,
    performed_from: datetime | None = None,
    performed_to: datetime | None = None,
    exercise: str | None = None,
) -> tuple[list[LogPublic], Cursor | None] | None:
    """A page of a user's logs, newest first, and where the next page starts.

    None if the tenant has no log for this user at all: such a user, like
    another tenant's, does not exist.
    """
    statement = select(*_PUBLIC_COLUMNS).where(_owned(tenant, user_id))
    if performed_from is not None:
        statement = statement.where(LOGS.c.performed_at >= performed_from)
    if performed_to is not None:
        statement = statement.where(LOGS.c.performed_at < performed_to)
    if exercise is not None:
        statement = statement.where(
            exists().where(LOG_EXERCISES.c.log_id == LOGS.c.id, LOG_EXERCISES.c.slug == exercise)
        )
    statement = _ROWS.newest_first(statement, after, limit)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
        if not rows and not _ROWS.has_any(connection, tenant, user_id):
            return None
    logs = [_public(row) for row in rows[:limit]]
    more = len(rows) > limit
    return logs, Cursor(logs[-1].performed_at, logs[-1].id) if more else None


# What adaptation reads of a log; the rest (notes, ids, the workout followed) it never needs. The entries
# come as their JSON text: adaptation decodes each distinct text once (``app.coaching.history``), and
# decoding 60 logs' JSON on every request was the largest part of reading them.
_HISTORY_FIELDS = ("performed_at", "duration_minutes", "session_rpe", "pain_before", "pain_after")
_SELECT_RECENT = (
    select(*(LOGS.c[name] for name in _HISTORY_FIELDS), cast(LOGS.c.entries, Text).label("entries"))
    .where(
        LOGS.c.tenant == bindparam("tenant"),
        LOGS.c.user_id == bindparam("user_id"),
        LOGS.c.performed_at >= bindparam("since"),
        LOGS.c.performed_at < bindparam("until"),
    )
    .order_by(LOGS.c.performed_at.desc(), LOGS.c.id.desc())
    .limit(bindparam("limit"))
)


def recent(
    engine: Engine | Connection, tenant: str, user_id: str, *, since: datetime, until: datetime, limit: int
) -> list[dict[str, Any]]:
    """A user's newest ``limit`` logs performed in [since, until), oldest first: adaptation's history.

    Plain dicts in the log schema (zipped from the rows: ``dict(row._mapping)`` was a third of the
    time here), only the fields adaptation reads, with ``entries`` as the JSON text stored, not
    ``LogPublic``: they were validated when written, and validating 60 again was most of the time of
    a /workouts/next. An unknown user, or another tenant's, simply has none; the caller decides what
    that means.
    """
    params = {"tenant": tenant, "user_id": user_id, "since": since, "until": until, "limit": limit}
    with connected(engine) as connection:
        result = connection.execute(_SELECT_RECENT, params)
        names, rows = tuple(result.keys()), result.all()
    return [dict(zip(names, row, strict=True)) for row in reversed(rows)]


_SELECT_LAST = select(func.max(LOGS.c.performed_at)).where(
    LOGS.c.tenant == bindparam("tenant"),
    LOGS.c.user_id == bindparam("user_id"),
    LOGS.c.performed_at < bindparam("before"),
)


def last_performed(engine: Engine | Connection, tenant: str, user_id: str, *, before: datetime) -> datetime | None:
    """When the user's latest log before ``before`` was performed: the coach reads it only when its
    history window is empty, so a long break is said rather than every exercise silently ``new``."""
    with connected(engine) as connection:
        value = connection.execute(_SELECT_LAST, {"tenant": tenant, "user_id": user_id, "before": before}).scalar()
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's aggregate loses the column type
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
