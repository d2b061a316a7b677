"""When the database cannot answer: a 503 the client can retry, never a 500.

Connection refused, a connect or pool timeout, a connection cut by the stall
watchdog (app.stalls), a statement cancelled by ``statement_timeout``, a full
or stuck log writer: each is the database being unavailable for now, not a bug.
"""

from __future__ import annotations

import traceback

from sqlalchemy import exc as sa

RETRY_AFTER_SECONDS = 2


class WriterUnavailable(Exception):
    """The log writer could not take this write in time (or its queue is full); nothing was written."""


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means "the database is unavailable, try again shortly"."""
    if isinstance(error, WriterUnavailable | sa.OperationalError | sa.TimeoutError | sa.InterfaceError):
        return True
    return isinstance(error, sa.DBAPIError) and error.connection_invalidated


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
