"""The assessment store: create, read, change, page, export and erase a user's assessments.

The only writer of ``assessments``. Every change bumps the user's revision (app/revisions.py) in
its transaction, so trends and progress kept in the answer cache are never older than the data.
Retries are made safe by ``Idempotency-Key`` exactly as for check-ins.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Text, cast, insert, select, update
from sqlalchemy.engine import Connection, Engine

from app import checkins, idempotency, revisions
from app.assessments.schemas import AssessmentCreate, AssessmentPublic, AssessmentUpdate, stored_trials
from app.assessments.trends import Reading
from app.db import write_session
from app.logs import Cursor, is_log_id
from app.owned import Owned
from app.tables import Assessment

ASSESSMENTS = Assessment.__table__  # type: ignore[attr-defined]
_COLUMNS = [c for c in ASSESSMENTS.c if c.name != "tenant"]


@dataclass(frozen=True)
class Created:
    assessment: AssessmentPublic
    body: bytes
    location: str


def assessment_path(user_id: str, assessment_id: str) -> str:
    return f"/users/{quote(user_id, safe='')}/assessments/{assessment_id}"


_ROWS = Owned(ASSESSMENTS, newest="performed_at")
_owned = _ROWS.of
has_any = _ROWS.has_any


def _public(row: Any) -> AssessmentPublic:
    return AssessmentPublic.model_validate(row, from_attributes=True)


def _stored(data: AssessmentCreate | AssessmentUpdate, name: str) -> Any:
    value = getattr(data, name)
    if name == "trials":
        return stored_trials(value)
    if name == "controls":
        return value.model_dump(mode="json", exclude_none=True)
    if name in ("method", "rater"):
        return value.value
    return value


_CONTENT = ("test", "performed_at", "method", "rater", "controls", "pain", "notes", "trials")


def create(
    engine: Engine,
    tenant: str,
    user_id: str,
    data: AssessmentCreate,
    key: str | None = None,
    ttl: timedelta | None = None,
) -> Created | idempotency.Replay:
    """Store an assessment (``data`` checked against its test already); with ``key``, claim it first and
    store the answer in the same transaction. Raises ``idempotency.KeyReused`` or ``KeyInFlight``."""
    claim = None
    if key is not None:
        fingerprint = idempotency.fingerprint(user_id, data.model_dump(mode="json"))
        outcome = idempotency.claim(engine, tenant, key, user_id, fingerprint, ttl or timedelta(hours=24))
        if isinstance(outcome, idempotency.Replay):
            return outcome
        claim = outcome
    now = datetime.now(UTC)
    fields = {
        "id": str(uuid.uuid4()),
        "user_id": user_id,
        **{name: _stored(data, name) for name in _CONTENT},
        "created_at": now,
        "updated_at": now,
    }
    public = AssessmentPublic.model_validate(fields)
    body = public.__pydantic_serializer__.to_json(public)
    location = assessment_path(user_id, fields["id"])
    try:
        with write_session(engine) as session:
            session.connection().execute(insert(ASSESSMENTS), {"tenant": tenant, **fields})
            if claim is not None and not idempotency.complete(session, claim, 201, body, location, None):
                raise idempotency.KeyInFlight()
            revisions.bump(session.connection(), [(tenant, user_id)])
            session.commit()
    except BaseException:
        if claim is not None:
            idempotency.release(engine, claim)
        raise
    return Created(public, body, location)


def get(engine: Engine, tenant: str, user_id: str, assessment_id: str) -> AssessmentPublic | None:
    if not is_log_id(assessment_id):  # our ids are UUIDs, as log ids are
        return None
    with engine.connect() as connection:
        row = connection.execute(
            select(*_COLUMNS).where(_owned(tenant, user_id), ASSESSMENTS.c.id == assessment_id)
        ).first()
    return _public(row) if row is not None else None


def update_assessment(
    engine: Engine, tenant: str, user_id: str, assessment_id: str, data: AssessmentUpdate
) -> AssessmentPublic | None:
    """Replace the given fields (checked against the test by the caller); None if there is no such assessment."""
    if not is_log_id(assessment_id):
        return None
    values = {name: _stored(data, name) for name in data.model_fields_set if name != "units"}
    values["updated_at"] = datetime.now(UTC)
    with write_session(engine) as session:
        changed = session.exec(
            update(ASSESSMENTS).where(_owned(tenant, user_id), ASSESSMENTS.c.id == assessment_id).values(values)
        )
        if changed.rowcount != 1:
            return None
        row = session.connection().execute(select(*_COLUMNS).where(ASSESSMENTS.c.id == assessment_id)).one()
        revisions.bump(session.connection(), [(tenant, user_id)])
        session.commit()
    return _public(row)


def delete_assessment(engine: Engine, tenant: str, user_id: str, assessment_id: str) -> bool:
    """Delete one assessment (and the stored answer that created it); False if there was none."""
    if not is_log_id(assessment_id):
        return False
    path = assessment_path(user_id, assessment_id)
    return _ROWS.delete_one(engine, tenant, user_id, ASSESSMENTS.c.id == assessment_id,
                            lambda session: idempotency.forget_location(session, tenant, user_id, path))


def erase_user(engine: Engine, tenant: str, user_id: str) -> int:
    """Delete every assessment of a user; returns how many."""
    return _ROWS.erase(engine, tenant, user_id)


def known_user(connection: Connection, tenant: str, user_id: str) -> bool:
    """Whether the tenant has logs, check-ins or assessments for this user: anyone else is a 404."""
    return has_any(connection, tenant, user_id) or checkins.known_user(connection, tenant, user_id)


def page(
    engine: Engine,
    tenant: str,
    user_id: str,
    *,
    limit: int,
    after: Cursor | None = None,
    test: str | None = None,
    performed_from: datetime | None = None,
    performed_to: datetime | None = None,
) -> tuple[list[AssessmentPublic], Cursor | None] | None:
    """A page of assessments, newest first, and where the next page starts; None for an unknown user."""
    statement = select(*_COLUMNS).where(_owned(tenant, user_id))
    if test is not None:
        statement = statement.where(ASSESSMENTS.c.test == test)
    if performed_from is not None:
        statement = statement.where(ASSESSMENTS.c.performed_at >= performed_from)
    if performed_to is not None:
        statement = statement.where(ASSESSMENTS.c.performed_at < performed_to)
    statement = _ROWS.newest_first(statement, after, limit)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
        if not rows and not known_user(connection, tenant, user_id):
            return None
    items = [_public(row) for row in rows[:limit]]
    more = len(rows) > limit
    return items, Cursor(items[-1].performed_at, items[-1].id) if more else None


def export(engine: Engine, tenant: str, user_id: str) -> list[AssessmentPublic]:
    """Every assessment of a user, oldest first."""
    statement = (
        select(*_COLUMNS)
        .where(_owned(tenant, user_id))
        .order_by(ASSESSMENTS.c.performed_at, ASSESSMENTS.c.id)
    )
    with engine.connect() as connection:
        return [_public(row) for row in connection.execute(statement)]


# ``trials`` as its stored text: ``readings`` decodes every session's in one ``json.loads`` (the driver's
# JSON processing, a decode a row, was a third of reading 500 sessions).
_READING_COLUMNS = (
    ASSESSMENTS.c.id, ASSESSMENTS.c.test, ASSESSMENTS.c.performed_at, ASSESSMENTS.c.method,
    ASSESSMENTS.c.rater, ASSESSMENTS.c.pain, cast(ASSESSMENTS.c.trials, Text).label("trials"),
)


@contextmanager
def _reading(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection of its own, or the caller's (one snapshot for a whole answer: app.db.snapshot)."""
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as connection:
        yield connection


def readings(
    engine: Engine | Connection,
    tenant: str,
    user_id: str,
    test: str | None = None,
    until: datetime | None = None,
    *,
    ask_known: bool = True,
) -> tuple[list[Reading], bool]:
    """The user's sessions (of one test, or all) before ``until``, oldest first, as the trends read them; and
    whether the user is known at all (logs, check-ins or assessments; not asked with ``ask_known=False``:
    the coach reads them on every /workouts/next, and needs only the readings)."""
    statement = select(*_READING_COLUMNS).where(_owned(tenant, user_id))
    if test is not None:
        statement = statement.where(ASSESSMENTS.c.test == test)
    if until is not None:
        statement = statement.where(ASSESSMENTS.c.performed_at < until)
    statement = statement.order_by(ASSESSMENTS.c.performed_at, ASSESSMENTS.c.id)
    with _reading(engine) as connection:
        rows = connection.execute(statement).all()
        known = bool(rows) or (ask_known and known_user(connection, tenant, user_id))
    trials = json.loads(f"[{','.join(row[-1] for row in rows)}]")
    return [
        Reading(id_, test_code, at, method, rater, pain, tuple(t))
        for (id_, test_code, at, method, rater, pain, _), t in zip(rows, trials, strict=True)
    ], known
