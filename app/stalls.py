"""Closes Postgres connections that wait on a server that answers nothing.

A frozen (SIGSTOPped) or hung Postgres still has a kernel that accepts and
acknowledges every byte: TCP keepalives and TCP_USER_TIMEOUT never fire, and
``statement_timeout`` is the server's own clock, stopped with it. A thread
reading the answer would wait forever, holding a worker thread or the log
writer. So one thread watches every connection: one that has been waiting for
an answer (query, commit, rollback or ping sent) with no new operation started
for ``timeout`` seconds has its socket shut down. The waiting call then fails
at once with a disconnect error (answered 503) and the pool replaces the
connection. Measured: freeze to error within ``timeout`` + 0.25 s.

A server that just stalled is not asked again at once: for a short cool-down after a
cut (or a connect that timed out), new connections fail immediately, then one at a
time may try (the others still fail at once) until one gets through. Without it, the
request whose connection was cut waited a second time, for the connect timeout, when
the pool reconnected it (4 s for a write with an Idempotency-Key, against 2 s).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger("hipflex.db")

_ACTIVE = 1  # libpq's PQTRANS_ACTIVE: a command is in flight, its answer not yet read


@dataclass(eq=False)
class _Breaker:
    """One engine's memory of a server that stalled: see the module docstring."""

    cool_down: float
    tripped_at: float | None = None
    probing: bool = False

    def admits(self, now: float) -> bool:
        """Whether a new connection may be tried now (if so, it is the probe until it ends)."""
        if self.tripped_at is not None:
            if self.probing or now - self.tripped_at < self.cool_down:
                return False
            self.probing = True
        return True


@dataclass(eq=False)
class _Watch:
    timeout: float
    breaker: _Breaker
    operations: int = 0  # bumped as each operation starts: a busy connection making progress changes it
    seen: int = -1
    since: float | None = None


_watched: weakref.WeakKeyDictionary[Any, _Watch] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def watch(engine: Engine, timeout: float) -> None:
    """Watch every psycopg connection ``engine`` opens."""
    breaker = _Breaker(cool_down=min(1.0, timeout))

    @event.listens_for(engine, "do_connect")
    def _on_do_connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        began = time.monotonic()
        with _lock:
            admitted = breaker.admits(began)
        if not admitted:
            raise dialect.loaded_dbapi.OperationalError("the database answered nothing just now: not asked again yet")
        try:
            connection = dialect.connect(*cargs, **cparams)
        except Exception:
            with _lock:
                breaker.probing = False
                if time.monotonic() - began >= breaker.cool_down:  # timed out (a refusal is quick)
                    breaker.tripped_at = time.monotonic()
            raise
        with _lock:
            breaker.probing, breaker.tripped_at = False, None
        return connection

    @event.listens_for(engine.pool, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with _lock:
            _watched[dbapi_connection] = _Watch(timeout, breaker)
        _start()

    def _bump(dbapi_connection: Any) -> None:
        if dbapi_connection is None:  # (a checkin after a failed connect)
            return
        watch = _watched.get(dbapi_connection)
        if watch is not None:
            watch.operations += 1

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        _bump(dbapi_connection)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        _bump(dbapi_connection)

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(connection: Any, *_args: Any) -> None:
        _bump(_dbapi_connection(connection))

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        _bump(_dbapi_connection(connection))

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        _bump(_dbapi_connection(connection))


def _dbapi_connection(connection: Any) -> Any:
    """The driver connection under ``connection``, or None once SQLAlchemy has invalidated it.

    Not ``connection.connection``: on an invalidated connection that property tries to
    reconnect, and inside the rollback of the dead transaction it raises PendingRollbackError,
    which replaced the disconnect error on its way out (a 500 for an outage).
    """
    if connection.invalidated or connection.closed:
        return None
    proxied = getattr(connection, "_dbapi_connection", None)
    return None if proxied is None else proxied.dbapi_connection


def _start() -> None:
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="hipflex-db-stalls", daemon=True)
            _thread.start()


def _run() -> None:
    while True:
        time.sleep(0.1)
        now = time.monotonic()
        with _lock:
            watched = list(_watched.items())
        for connection, watch in watched:
            try:
                busy = int(connection.pgconn.transaction_status) == _ACTIVE
            except Exception:  # closed under us
                busy = False
            if not busy:
                watch.since = None
            elif watch.since is None or watch.seen != watch.operations:
                watch.since, watch.seen = now, watch.operations
            elif now - watch.since >= watch.timeout:
                waited, watch.since = now - watch.since, None
                with _lock:
                    watch.breaker.tripped_at = now
                _cut(connection, waited)


def _cut(connection: Any, waited: float) -> None:
    try:
        fd = os.dup(connection.pgconn.socket)
    except Exception:
        return
    with socket.socket(fileno=fd) as sock:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # the blocked reader sees end-of-file now
        except OSError:
            return
    logger.warning("closed a database connection that had no answer for %.1f s", waited)
