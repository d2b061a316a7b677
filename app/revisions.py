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

import asyncio
import logging
import os
import secrets
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from sqlalchemy import bindparam, delete, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.tables import UserRevision

logger = logging.getLogger("hipflex.db")

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
    """``peek`` on the event loop itself: a kept answer found this way skips the thread hop, which measured
    about half the server CPU of a kept ``/workouts/next`` (SQLite: 0.4-0.7 ms against 0.23-0.31 ms answered
    on the loop, bench/tails.py; Postgres: the hop, a pool checkout with its ping, and two round trips).

    Connections of its own, used only by the loop. SQLite: read-only, never waiting for a lock (busy
    timeout 0; WAL readers do not wait for writers, and in the rare case one would, the read fails).
    Postgres: ``POSTGRES_CONNECTIONS`` psycopg async connections in autocommit (one round trip a read; the
    statement is prepared on the server after its fifth use), opened in the background on the first read,
    so no request waits for a connect. A read with no answer within ``POSTGRES_READ_S`` has its socket shut down (as
    app/stalls.py does for threads), so a frozen server cannot hold the loop's readers.

    Each read is a statement of its own in autocommit, so it sees every commit made before it began, as
    ``peek`` does: kept answers outlive no write, by this process or another. Any failure gives None (the
    caller then answers in its thread as before, through ``peek``), is logged and counted (``failed``),
    and for ``REST_S`` after it the reader gives None without trying (a server in trouble is not asked
    twice a request). None too while the Postgres connection opens, and when no connection is free within
    ``POSTGRES_READ_S`` (busy is not failed).
    """

    POSTGRES_READ_S = 0.25  # one primary-key lookup: well under a millisecond when the server is well
    # Reads on one connection wait their turn: at 16 clients on a loaded machine, one connection's queue
    # was most of a kept answer's time (app p50 ~6 ms against 0.2 ms on SQLite). A read takes whichever
    # is free first, so none waits behind a backend the machine has not scheduled.
    POSTGRES_CONNECTIONS = 4
    REST_S = 1.0

    def __init__(
        self, engine: Engine, connect_args: dict[str, Any] | None = None, failed: Callable[[], None] | None = None
    ) -> None:
        url = engine.url
        backend = url.get_backend_name()
        on_file = backend == "sqlite" and url.database not in (None, "", ":memory:")
        self._path = url.database if on_file else None
        self._conninfo = (
            url.set(drivername="postgresql").render_as_string(hide_password=False) if backend == "postgresql" else None
        )
        self._connect_args = connect_args or {}
        self._failed = failed
        self._connection: sqlite3.Connection | None = None
        self._postgres: list[Any] = []  # psycopg.AsyncConnections, once open
        self._idle: asyncio.Queue[Any] | None = None  # those with no read in flight
        self._opening: asyncio.Task[None] | None = None
        self._resting_until = 0.0

    async def read(self, tenant: str, user_id: str) -> int | None:
        if self._resting_until and time.monotonic() < self._resting_until:
            return None
        if self._path is not None:
            return self._read_sqlite(tenant, user_id)
        if self._conninfo is None:
            return None
        idle = self._idle
        if idle is None:
            self._open()
            return None
        try:
            connection = idle.get_nowait()
        except asyncio.QueueEmpty:  # the first free one, whichever: none waits behind a slow one
            try:
                async with asyncio.timeout(self.POSTGRES_READ_S):
                    connection = await idle.get()
            except TimeoutError:  # all four busy (many clients, a busy loop) is no fault of the server's: the
                return None  # thread answers (a stalled read is caught by its own watchdog)
        timer = asyncio.get_running_loop().call_later(self.POSTGRES_READ_S, _shut, connection)
        try:
            cursor = await connection.execute(_PEEK.format("%s"), (tenant, user_id))
            rows = await cursor.fetchall()
        except Exception as exc:  # (the driver's errors, and its state errors once the socket is shut)
            connection.pgconn.finish()  # (its read is over: the loop watches its socket no more)
            self._fail(exc, all_connections=idle is self._idle)
            return None
        except BaseException:  # cancelled (uvicorn's shutdown timeout): closed, as its state is not known
            connection.pgconn.finish()
            raise
        finally:
            timer.cancel()
        if idle is self._idle:
            idle.put_nowait(connection)
        else:  # dropped while this read was in flight
            connection.pgconn.finish()
        return int(rows[0][0]) if rows else None

    def _read_sqlite(self, tenant: str, user_id: str) -> int | None:
        assert self._path is not None
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
        except sqlite3.Error as exc:
            self._fail(exc)
            return None
        return int(rows[0][0]) if rows else None

    def _open(self) -> None:
        if self._opening is None or self._opening.done():
            self._opening = asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        import psycopg  # (here: a SQLite service never imports it)

        opened = []
        try:
            for _ in range(self.POSTGRES_CONNECTIONS):
                opened.append(await psycopg.AsyncConnection.connect(
                    self._conninfo or "", autocommit=True, **self._connect_args
                ))
        except BaseException as exc:
            for connection in opened:
                connection.pgconn.finish()
            if isinstance(exc, Exception):
                self._fail(exc)
                return
            raise
        self._postgres = opened
        self._idle = asyncio.Queue()
        for connection in opened:
            self._idle.put_nowait(connection)

    def _fail(self, exc: Exception, all_connections: bool = True) -> None:
        if all_connections:
            self._drop()
            self._resting_until = time.monotonic() + self.REST_S
        logger.warning("the event loop's revision read failed (answered in a thread instead): %s", type(exc).__name__)
        if self._failed is not None:
            self._failed()

    def close(self) -> None:
        """Close what no read is using; a read in flight closes its own connection when it ends (``_drop``)."""
        if self._opening is not None and not self._opening.done():
            self._opening.cancel()
        self._drop()

    def _drop(self) -> None:
        """Close the SQLite connection and the idle Postgres ones. One with a read in flight is closed by
        that read when it ends: a socket closed under the loop's watch of it can have its number taken by
        the next socket opened (an accepted client): uvloop then aborts the process (libuv's epoll_ctl),
        asyncio's loop never reads that client."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        while self._idle is not None and not self._idle.empty():
            self._idle.get_nowait().pgconn.finish()
        self._postgres, self._idle = [], None


def _shut(connection: Any) -> None:
    """Shut a connection's socket down: the read waiting on it sees end-of-file and fails at once."""
    try:
        with socket.socket(fileno=os.dup(connection.pgconn.socket)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception:  # (already closed)
        return
