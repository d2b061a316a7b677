"""The database engine and sessions, SQLite or Postgres by URL.

SQLite is tuned for many concurrent writers in one process: WAL, a busy
timeout, and ``BEGIN IMMEDIATE`` so a write transaction takes the lock up
front instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from app import stalls
from app.settings import Settings

# The WAL is cut back to this after a checkpoint (not left at its largest, with old frames in it).
SQLITE_JOURNAL_LIMIT_BYTES = 4 * 1024 * 1024

# One writer at a time per SQLite engine, queued in-process: threads waiting
# on a lock are woken at once, while SQLite's busy handler polls with sleeps
# of up to 100 ms (slow, and it gives up after the busy timeout).
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class WriteLimits:
    """How much the log writer may queue, and how long a write may wait for it to start."""

    queue: int = 1024
    timeout: float = 2.5


_WRITE_LIMITS: weakref.WeakKeyDictionary[Engine, WriteLimits] = weakref.WeakKeyDictionary()


def write_limits(engine: Engine | None) -> WriteLimits:
    return (_WRITE_LIMITS.get(engine) if engine is not None else None) or WriteLimits()


def make_engine(settings: Settings) -> Engine:
    engine = _make_engine(settings)
    _WRITE_LIMITS[engine] = WriteLimits(settings.db_write_queue, settings.db_write_timeout_ms / 1000)
    return engine


def _make_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout_ms / 1000},
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_s,
            hide_parameters=True,  # user ids, tenants and keys never reach a logged traceback
        )
        _tune_sqlite(engine, settings.sqlite_busy_timeout_ms)
        _WRITE_LOCKS[engine] = threading.Lock()
        return engine
    keepalive = settings.db_tcp_keepalive_s
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_s,
        pool_pre_ping=True,
        pool_recycle=1800,
        hide_parameters=True,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
            # Keepalives and TCP_USER_TIMEOUT catch a lost host or network; a frozen server's
            # kernel still acknowledges everything, which is what the stall watchdog is for.
            "keepalives": 1,
            "keepalives_idle": keepalive,
            "keepalives_interval": max(1, keepalive // 3),
            "keepalives_count": 3,
            "tcp_user_timeout": keepalive * 2000,
        },
    )
    stalls.watch(engine, settings.db_stall_timeout_ms / 1000)
    return engine


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process (the WAL is in the OS
        # page cache); only a power cut can lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Erased data must not linger in the files (app.erasure): deleted content and freed pages are
        # overwritten with zeros, and the WAL is cut back to this size after each checkpoint.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_LIMIT_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the lock up front (no "database is locked" half-way
        # through); readers stay deferred and, in WAL mode, never wait.
        mode = "IMMEDIATE" if connection.get_execution_options().get("writer") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one state of the database: for an answer made of several reads.

    Postgres reads in READ COMMITTED, where each statement sees what was committed when it began:
    /progress took sessions from one state and check-ins from the next (4 in 2,767 reads with two
    processes writing). Here the transaction is REPEATABLE READ and READ ONLY (psycopg puts both in
    its BEGIN: no extra round trip). SQLite's reads in one transaction already see one state (WAL).
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        yield connection


@contextmanager
def connected(source: Engine | Connection) -> Iterator[Connection]:
    """``source`` itself if it is a connection (a caller's snapshot), else a connection of its own."""
    if isinstance(source, Connection):
        yield source
        return
    with source.connect() as connection:
        yield connection


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def write_lock(engine: Engine) -> Any:
    """The in-process lock SQLite writers take in turn (a no-op context on Postgres)."""
    return _WRITE_LOCKS.get(engine) or nullcontext()


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes SQLite's write lock at BEGIN."""
    with _WRITE_LOCKS.get(engine) or nullcontext(), Session(engine, expire_on_commit=False) as session:
        # (an option on the connection, not engine.execution_options(),
        # which builds a new engine object on every call)
        session.connection(execution_options={"writer": True})
        yield session
