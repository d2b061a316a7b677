"""When the database cannot answer: a 503 the client can retry, never a 500.

Connection refused, a connect or pool timeout, a connection cut by the stall
watchdog (app.stalls), a statement cancelled by ``statement_timeout``, a full
or stuck log writer: each is the database being unavailable for now, not a bug.
"""

from __future__ import annotations

import traceback

from sqlalchemy import exc as sa

RETRY_AFTER_SECONDS = 2
_INVALIDATED_TRANSACTION = "8s2b"  # SQLAlchemy's error code


class WriterUnavailable(Exception):
    """The log writer could not take this write in time (or its queue is full); nothing was written."""


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means "the database is unavailable, try again shortly"."""
    if isinstance(error, WriterUnavailable | sa.OperationalError | sa.TimeoutError | sa.InterfaceError):
        return True
    if isinstance(error, sa.PendingRollbackError):
        # "Can't reconnect until invalid transaction is rolled back" (8s2b): the connection was lost
        # under an open transaction. Its other kind (7s2a, a failed flush not rolled back) is a bug.
        return error.code == _INVALIDATED_TRANSACTION
    return isinstance(error, sa.DBAPIError) and error.connection_invalidated


def summary(error: BaseException) -> str:
    """An outage in one line: its class and, for a database error, the driver's class and SQLSTATE
    (a traceback of an outage is about 8 KB a request and says nothing an operator can act on)."""
    parts = [type(error).__name__]
    original = error.orig if isinstance(error, sa.DBAPIError) else None
    if original is not None:
        parts.append(f"{type(original).__name__} (SQLSTATE {getattr(original, 'sqlstate', None)})")
    cause = error.__cause__ or error.__context__
    if cause is not None and original is None:
        parts.append(f"caused by {type(cause).__name__}")
    return ": ".join(parts)


def describe(error: BaseException) -> str:
    """A traceback for the server log without the data: a database error's message can quote
    values (``DETAIL: Key (tenant, key)=(acme, …)``), so it is replaced by its class and SQLSTATE."""
    lines = ["Traceback (most recent call last):\n", *traceback.format_tb(error.__traceback__)]
    if isinstance(error, sa.StatementError):
        original = error.orig
        sqlstate = getattr(original, "sqlstate", None)
        lines.append(f"{type(error).__name__}: {type(original).__name__} (SQLSTATE {sqlstate}) in: {error.statement}")
    elif isinstance(error, sa.SQLAlchemyError):
        lines.append(type(error).__name__)
    else:
        lines.append("".join(traceback.format_exception_only(error)).rstrip())
    cause = error.__cause__ or error.__context__
    if cause is not None:
        lines.append(f"\n(caused by {type(cause).__module__}.{type(cause).__name__})")
    return "".join(lines)
