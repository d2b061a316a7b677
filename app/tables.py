"""Every database table, on one SQLModel metadata that Alembic compares against.

Table models never go out on the wire: routes answer with the ``…Public``
models of their resource.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Named constraints, so migrations can drop and alter them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = SQLModel.metadata


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as UTC on every backend and read back aware.

    Postgres keeps it in a ``timestamptz``; SQLite has no time zones, so the
    UTC wall time is stored (fixed-width text, so it sorts correctly).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetimes are not stored: give a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utc(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UtcDateTime(), **kwargs))


class ApiKey(SQLModel, table=True):
    """A tenant's API key. Only the sha256 of the secret is kept."""

    __tablename__ = "api_keys"

    id: str = Field(sa_column=Column(String(16), primary_key=True))  # the public part, e.g. "k7f3q9x2"
    tenant: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    name: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False))
    created_at: datetime = _utc(nullable=False)
    revoked_at: datetime | None = _utc(nullable=True)


class Log(SQLModel, table=True):
    """One performed workout. ``entries`` is read and written whole, as JSON."""

    __tablename__ = "logs"
    __table_args__ = (Index("ix_logs_tenant_user_id_performed_at_id", "tenant", "user_id", "performed_at", "id"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    tenant: str = Field(sa_column=Column(String(64), nullable=False))
    user_id: str = Field(sa_column=Column(String(128), nullable=False))
    performed_at: datetime = _utc(nullable=False)
    workout: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    duration_minutes: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    session_rpe: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    pain_before: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    pain_after: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    entries: Any = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    # The programme session the log fulfils ({id, week, day}): read with the row, never searched on.
    programme: Any = Field(default=None, sa_column=Column(JSON, nullable=True))


class LogExercise(SQLModel, table=True):
    """Which exercises a log contains: the index behind ``?exercise=``."""

    __tablename__ = "log_exercises"

    log_id: str = Field(
        sa_column=Column(String(36), ForeignKey("logs.id", ondelete="CASCADE"), primary_key=True),
    )
    slug: str = Field(sa_column=Column(String(64), primary_key=True))


class IdempotencyRecord(SQLModel, table=True):
    """An ``Idempotency-Key`` seen from a tenant: in flight, then its stored response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        Index("ix_idempotency_keys_created_at", "created_at"),
        # erasing a user (or one log) erases the responses stored for them
        Index("ix_idempotency_keys_tenant_user_id", "tenant", "user_id"),
    )

    tenant: str = Field(sa_column=Column(String(64), primary_key=True))
    key: str = Field(sa_column=Column(String(255), primary_key=True))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    # Whoever holds the row now; a take-over of an abandoned row changes it.
    owner: str = Field(sa_column=Column(String(36), nullable=False))
    user_id: str = Field(sa_column=Column(String(128), nullable=False))
    created_at: datetime = _utc(nullable=False)
    locked_at: datetime = _utc(nullable=False)
    log_id: str | None = Field(default=None, sa_column=Column(String(36), nullable=True))
    response_status: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    response_location: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Checkin(SQLModel, table=True):
    """A user's rest or next-morning pain on one calendar date: one a user a date (the primary key)."""

    __tablename__ = "checkins"

    tenant: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: str = Field(sa_column=Column(String(128), primary_key=True))
    date: dt.date = Field(sa_column=Column(Date, primary_key=True))
    pain: int = Field(sa_column=Column(Integer, nullable=False))
    stiffness: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _utc(nullable=False)


class LogSet(SQLModel, table=True):
    """Every set of every log, one row each: what records and progress aggregate with GROUP BY.

    A copy of ``logs.entries`` made in the same transaction by the same writer (app/logs/writer.py), so it
    can never disagree with the log; it goes with its log (ON DELETE CASCADE).
    """

    __tablename__ = "log_sets"
    # Records are one GROUP BY over a user's sets in (exercise, log) order, read from this index alone
    # (it covers every column records read: no join, no table lookups; measured 2x faster on SQLite).
    __table_args__ = (
        Index(
            "ix_log_sets_records",
            "tenant", "user_id", "slug", "log_id",
            "performed_at", "pain_after", "completed", "reps", "hold_seconds", "load_kg",
        ),
    )

    log_id: str = Field(
        sa_column=Column(String(36), ForeignKey("logs.id", ondelete="CASCADE"), primary_key=True),
    )
    position: int = Field(sa_column=Column(Integer, primary_key=True))  # entry index x 1000 + set index
    # Copies of the log's columns (kept equal by the writer and update_log), so records need no join.
    tenant: str = Field(sa_column=Column(String(64), nullable=False))
    user_id: str = Field(sa_column=Column(String(128), nullable=False))
    performed_at: datetime = _utc(nullable=False)
    pain_after: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    slug: str = Field(sa_column=Column(String(64), nullable=False))
    reps: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    hold_seconds: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    load_kg: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    rpe: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    rir: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    completed: bool = Field(sa_column=Column(Boolean, nullable=False))


class UserRevision(SQLModel, table=True):
    """A user's revision: changed in the same transaction as every change to their logs or check-ins.

    Answers computed from a user's data are cached under it (app/answers.py), so a change makes the old
    ones unreachable. Written only by app/revisions.py; erasing a user deletes the row.
    """

    __tablename__ = "user_revisions"

    tenant: str = Field(sa_column=Column(String(64), primary_key=True))
    user_id: str = Field(sa_column=Column(String(128), primary_key=True))
    revision: int = Field(sa_column=Column(BigInteger, nullable=False))


class Assessment(SQLModel, table=True):
    """One session of one range-of-motion test (app/assessments): its trials, side by side, as JSON.

    Written only by app/assessments/store.py; every change bumps the user's revision.
    """

    __tablename__ = "assessments"
    # Lists page by (performed_at, id) and trends read one test's sessions in time order.
    __table_args__ = (
        Index("ix_assessments_tenant_user_id_performed_at_id", "tenant", "user_id", "performed_at", "id"),
        Index("ix_assessments_tenant_user_id_test_performed_at", "tenant", "user_id", "test", "performed_at"),
    )

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    tenant: str = Field(sa_column=Column(String(64), nullable=False))
    user_id: str = Field(sa_column=Column(String(128), nullable=False))
    test: str = Field(sa_column=Column(String(64), nullable=False))
    performed_at: datetime = _utc(nullable=False)
    method: str = Field(sa_column=Column(String(32), nullable=False))
    rater: str = Field(sa_column=Column(String(16), nullable=False))
    controls: Any = Field(sa_column=Column(JSON, nullable=False))
    pain: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    trials: Any = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)


class Programme(SQLModel, table=True):
    """A user's multi-week plan (app/programmes): its canonical parameters; the weeks are computed from them.

    Written only by app/programmes/store.py; every change bumps the user's revision. ``open_goal`` is the
    goal while the programme is active and null otherwise: its unique index is "one active programme per goal
    per user", kept by the database on both backends (nulls never collide).
    """

    __tablename__ = "programmes"
    __table_args__ = (
        Index("ix_programmes_tenant_user_id_created_at_id", "tenant", "user_id", "created_at", "id"),
        Index("ix_programmes_tenant_user_id_open_goal", "tenant", "user_id", "open_goal", unique=True),
    )

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    tenant: str = Field(sa_column=Column(String(64), nullable=False))
    user_id: str = Field(sa_column=Column(String(128), nullable=False))
    goal: str = Field(sa_column=Column(String(32), nullable=False))
    open_goal: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    parameters: Any = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    paused: Any = Field(sa_column=Column(JSON, nullable=False))
    ended: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
