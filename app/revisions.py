"""Each user's revision: one number that changes with every change to their logs or check-ins.

Answers computed from a user's data are cached under it (app/answers.py). It
is written in the same transaction as the change it stands for, so a reader
that reads the revision first and the data after can only see data at least
that new. This module is the only writer of ``user_revisions``.

- A change bumps it: an upsert, ``revision + 1`` (one statement for a whole
  group, the same SQL on SQLite and Postgres; rows in (tenant, user) order,
  so two transactions cannot deadlock on them).
- Erasing a user deletes the row: no trace of the user id stays behind.
- A missing row means "not known to be cacheable": readers then compute
  afresh. A row starts at a random 62-bit number rather than 1, so a user
  erased and written again cannot come back to a revision whose answers a
  process still holds (a chance of about one in 10^18 per cached answer).
- Never keyed on timestamps: server clocks differ and can go back.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.tables import UserRevision

USER_REVISIONS = UserRevision.__table__  # type: ignore[attr-defined]
# One statement for the whole group, whatever its size: executemany of a per-row upsert cost Postgres a
# statement a user (16 users: ~4 ms more a group commit, measured; this: one statement, one round trip).
_BUMP = (
    "INSERT INTO user_revisions (tenant, user_id, revision) VALUES {rows} "
    "ON CONFLICT (tenant, user_id) DO UPDATE SET revision = user_revisions.revision + 1"
)
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_READ = select(USER_REVISIONS.c.revision).where(
    USER_REVISIONS.c.tenant == bindparam("tenant"), USER_REVISIONS.c.user_id == bindparam("user_id")
)


def first_revision() -> int:
    return secrets.randbits(62)


def bump(connection: Connection, owners: Iterable[tuple[str, str]]) -> None:
    """A new revision for each (tenant, user_id), in the caller's transaction (call it before its commit)."""
    rows = sorted(set(owners))
    if rows:
        mark = _PLACEHOLDER[connection.dialect.paramstyle]
        sql = _BUMP.format(rows=", ".join([f"({mark}, {mark}, {mark})"] * len(rows)))
        connection.exec_driver_sql(sql, tuple(v for t, u in rows for v in (t, u, first_revision())))


def forget(connection: Connection, tenant: str, user_id: str) -> None:
    """Drop a user's revision, in the transaction that erases their data."""
    connection.execute(
        delete(USER_REVISIONS).where(USER_REVISIONS.c.tenant == tenant, USER_REVISIONS.c.user_id == user_id)
    )


def read(connection: Connection, tenant: str, user_id: str) -> int | None:
    """The user's revision, or None when there is none (no data, or data not to be cached): one key lookup."""
    found = connection.execute(_READ, {"tenant": tenant, "user_id": user_id}).scalar()
    return None if found is None else int(found)


def of(engine: Engine, tenant: str, user_id: str) -> int | None:
    """``read`` on a connection of its own: for routes that cache an answer computed from a user's data."""
    with engine.connect() as connection:
        return read(connection, tenant, user_id)


_PEEK = "SELECT revision FROM user_revisions WHERE tenant = {0} AND user_id = {0}"


def peek(engine: Engine, tenant: str, user_id: str) -> int | None:
    """``of`` straight on the pool's DB-API connection: the read every kept answer costs (app/answers.py).

    Measured on SQLite: ~20 us against ~160 us CPU through a SQLAlchemy Connection (its begin,
    events and result objects), and on a hit this read is all the answer costs. The driver's errors
    are raised as SQLAlchemy raises them (a lost connection invalidated), so an outage is still a
    503 (app/outages.py). (Pool checkout and checkin still feed the Postgres stall watchdog, app/stalls.py.)
    """
    sql = _PEEK.format(_PLACEHOLDER[engine.dialect.paramstyle])
    dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    try:
        connection = engine.raw_connection()
    except dbapi_error as exc:  # (the pool's connect: raised bare, where engine.connect() wraps it)
        raise DBAPIError.instance(sql, (tenant, user_id), exc, dbapi_error, dialect=engine.dialect) from exc
    driver: Any = connection.driver_connection
    # Postgres: outside a transaction, so the pool's rollback on return has nothing to send (one round
    # trip fewer a hit). SQLite connections are in autocommit already (app/db.py).
    transactional = engine.dialect.name == "postgresql"
    try:
        if transactional:
            driver.autocommit = True
        cursor = connection.cursor()
        try:
            cursor.execute(sql, (tenant, user_id))
            row = cursor.fetchone()
        finally:
            cursor.close()
            if transactional:
                try:
                    driver.autocommit = False
                except Exception:
                    connection.invalidate()  # never back to the pool in autocommit: writers need transactions
                    raise
    except dbapi_error as exc:
        lost = engine.dialect.is_disconnect(exc, driver, None)  # type: ignore[arg-type]
        if lost:
            connection.invalidate()
        raise DBAPIError.instance(
            sql, (tenant, user_id), exc, dbapi_error, connection_invalidated=lost, dialect=engine.dialect
        ) from exc
    finally:
        connection.close()  # back to the pool
    return None if row is None else int(row[0])


class LoopReader:
    """``peek`` for the event loop itself, SQLite only: a kept answer found this way skips the thread hop,
    which measured about half the server CPU of a kept ``/workouts/next`` (0.4-0.7 ms against 0.23-0.31 ms
    answered on the loop, bench/tails.py).

    One connection of its own, used only by the loop: read-only, and never waiting for a lock (busy
    timeout 0; WAL readers do not wait for writers, and in the rare case one would, the read fails).
    Any failure, and Postgres (a network round trip), gives None: the caller then answers in its thread as
    before, through ``peek``. Each read is a statement of its own in autocommit, so it sees every commit
    made before it began, as ``peek`` does: kept answers outlive no write.
    """

    def __init__(self, engine: Engine) -> None:
        url = engine.url
        on_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        self._path = url.database if on_file else None
        self._connection: sqlite3.Connection | None = None

    def read(self, tenant: str, user_id: str) -> int | None:
        if self._path is None:
            return None
        try:
            if self._connection is None:
                connection = sqlite3.connect(
                    f"file:{quote(self._path)}?mode=rw", uri=True, timeout=0, isolation_level=None,
                    check_same_thread=False,
                )
                connection.execute("PRAGMA query_only=ON")
                self._connection = connection
            # (all rows read: the statement is done, so no read transaction stays open to hold up a checkpoint)
            rows = self._connection.execute(_PEEK.format("?"), (tenant, user_id)).fetchall()
        except sqlite3.Error:
            self.close()
            return None
        return int(rows[0][0]) if rows else None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
