"""The group-commit writer: the one thread that writes new logs and claims their idempotency keys."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.engine import Connection, Dialect, Engine

from app import idempotency, outages, revisions
from app.db import write_limits, write_session
from app.outages import WriterUnavailable
from app.tables import Log, LogExercise, LogSet, UtcDateTime

LOGS = Log.__table__  # type: ignore[attr-defined]
LOG_EXERCISES = LogExercise.__table__  # type: ignore[attr-defined]
LOG_SETS = LogSet.__table__  # type: ignore[attr-defined]
# Built once: building a statement around its values costs more than running it.
INSERT_LOG = insert(LOGS)
INSERT_EXERCISES = insert(LOG_EXERCISES)
INSERT_SETS = insert(LOG_SETS)
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


class DriverInsert:
    """A table's INSERT as the database driver takes it: SQL text, and rows as plain tuples of what each
    column's type makes of a value (its bind processor: UTC text on SQLite, JSON text, ...), built once a dialect.

    The writer's inserts run through the driver's executemany: SQLAlchemy's per-row parameter work
    (``construct_params`` and processors, dict by dict) cost more than SQLite's own inserts (~100 us a
    log of 15 rows). The same processors, so the same stored values.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        columns = tuple(table.c)
        mark = _PLACEHOLDER[dialect.paramstyle]
        names = ", ".join(column.name for column in columns)
        self.sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(columns))})"
        self.values = itemgetter(*(column.name for column in columns))
        # (index, what its processed values are kept under: the type for UtcDateTime, whose columns all
        # process a time alike, else the column (its own settings: a JSON column's none_as_null), processor)
        self.processed = tuple(
            (index, UtcDateTime if isinstance(column.type, UtcDateTime) else (table.name, index), process)
            for index, column in enumerate(columns)
            if (process := _processor(column, dialect)) is not None
        )

    def rows(self, rows: Iterable[Mapping[str, Any]], done: dict[Any, Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows as the driver takes them; ``done`` holds values processed already (shared by a group's
        tables: a log's time is its sets' time, and its created_at its updated_at)."""
        values, processed = self.values, self.processed
        if not processed:
            return [values(row) for row in rows]
        out = []
        # A log's sets repeat its time (and most of their flags): each distinct value is processed once,
        # not once a row (the UTC text of a time is most of a set row's processing on SQLite).
        if done is None:
            done = {}
        for row in rows:
            one = list(values(row))
            for index, kind, process in processed:
                value = one[index]
                if isinstance(value, (dict, list)):  # (JSON: not hashable, and never repeated)
                    one[index] = process(value)
                    continue
                key = (kind, type(value), value)
                found = done.get(key, done)
                if found is done:
                    found = done[key] = process(value)
                one[index] = found
            out.append(tuple(one))
        return out

    def run(self, connection: Connection, rows: Iterable[Mapping[str, Any]],
            done: dict[Any, Any] | None = None) -> None:
        found = self.rows(rows, done)
        if found:
            connection.exec_driver_sql(self.sql, found)


def _processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(column.type, UtcDateTime) and dialect.name == "sqlite":
        return sqlite_utc_text
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """A ``UtcDateTime``'s stored text on SQLite, made in one step: the same text as its two processors
    (``UtcDateTime.process_bind_param``, then SQLAlchemy's SQLite DATETIME format
    ``%04d-%02d-%02d %02d:%02d:%02d.%06d``), at about a third of their cost (tests/test_log_writer.py)."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetimes are not stored: give a time zone")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def set_rows(log: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of ``log_sets`` for a stored log (its row as written): what records and progress aggregate."""
    log_id, tenant, user_id = log["id"], log["tenant"], log["user_id"]
    performed_at, pain_after = log["performed_at"], log["pain_after"]
    rows = []
    # (one dict literal a set, the log's values in locals: most of _prepare's set work was the dict unpacking)
    for entry_index, entry in enumerate(log["entries"]):
        slug, base = entry["exercise"], entry_index * 1000
        for set_index, one in enumerate(entry["sets"]):
            get = one.get
            rows.append({
                "log_id": log_id, "position": base + set_index, "tenant": tenant, "user_id": user_id,
                "performed_at": performed_at, "pain_after": pain_after, "slug": slug,
                "reps": get("reps"), "hold_seconds": get("hold_seconds"), "load_kg": get("load_kg"),
                "rpe": get("rpe"), "rir": get("rir"), "completed": get("completed", True),
            })
    return rows


class ClaimLost(Exception):
    """Another request took over this request's idempotency key."""


@dataclass(eq=False, kw_only=True)
class Job:
    """Work for the writer; once its transaction committed or failed, ``done`` is called (or its ``waiter``'s
    future settled)."""

    done: Callable[[], None] = lambda: None
    # Or, for a request waiting on an event loop: the future its loop settles (see ``_tell``).
    waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None
    error: BaseException | None = None
    state: str = "queued"  # -> "started" when the writer takes it, or "abandoned" when its wait ran out


@dataclass(eq=False, kw_only=True)
class Write(Job):
    """A new log (and, with a claim, its idempotent response)."""

    row: dict[str, Any]
    exercises: list[dict[str, str]]
    sets: list[dict[str, Any]]  # its rows of log_sets
    claim: idempotency.Claim | None
    body: bytes
    location: str


@dataclass(eq=False, kw_only=True)
class ClaimKey(Job):
    """An ``Idempotency-Key`` to claim before its log is written."""

    tenant: str
    key: str
    user_id: str
    request_hash: str
    ttl: timedelta
    outcome: idempotency.Claim | idempotency.Replay | None = None


class LogWriter:
    """Commits the writes of concurrent requests together: one thread, one transaction a group.

    Requests queue their job (a new log, or the idempotency claim that comes
    before one) and wait. The writer thread takes everything queued, does it
    in one transaction, then tells each request. A commit (and SQLite's write
    lock) is so paid once per group instead of once per request, and no
    request hears back before the transaction holding its work has
    committed. If a group fails, each of its jobs is retried alone: one bad
    write cannot fail the others (unless the database is unavailable: then
    they fail at once, as 503s, and so does every job queued behind them). A job not started within the write timeout,
    or beyond a full queue, is refused as ``WriterUnavailable`` (nothing
    written). The thread starts on the first job and leaves after
    ``IDLE_SECONDS`` without one.

    Measured (5-entry logs): a group of 4 costs 180 us a log on SQLite, a
    group of 16 170 us on SQLite and 260 us on Postgres, against 350 us and
    1.4 ms one at a time.
    """

    MAX_GROUP = 64
    IDLE_SECONDS = 5.0

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self._inserts: tuple[DriverInsert, DriverInsert, DriverInsert] | None = None

    def submit(self, job: Job) -> None:
        if self.queue.qsize() >= write_limits(self.engine).queue:
            raise WriterUnavailable("the log writer's queue is full")
        self.queue.put(job)
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="hipflex-log-writer", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        try:
            while True:
                try:
                    group = [self.queue.get(timeout=self.IDLE_SECONDS)]
                except queue.Empty:
                    with self.lock:
                        if self.queue.empty():  # (a submit may have come in just now)
                            self.thread = None
                            return
                    continue
                while len(group) < self.MAX_GROUP:
                    try:
                        group.append(self.queue.get_nowait())
                    except queue.Empty:
                        break
                with self.lock:  # a job whose request gave up waiting is not written
                    group = [job for job in group if job.state == "queued"]
                    for job in group:
                        job.state = "started"
                if group:
                    self._commit_group(group)
        finally:
            with self.lock:
                if self.thread is threading.current_thread():  # died: the next write starts another
                    self.thread = None

    def abandon(self, job: Job) -> bool:
        """Give up on a job the writer has not started (True); once started, it runs to its end."""
        with self.lock:
            if job.state == "queued":
                job.state = "abandoned"
                return True
            return False

    def _take_queued(self) -> list[Job]:
        """Every job waiting in the queue, marked started (abandoned ones are dropped)."""
        taken: list[Job] = []
        with self.lock:
            while True:
                try:
                    job = self.queue.get_nowait()
                except queue.Empty:
                    return taken
                if job.state == "queued":
                    job.state = "started"
                    taken.append(job)

    def _commit_group(self, group: list[Job]) -> None:
        try:
            self._commit(group)
        except Exception as failure:
            if outages.unavailable(failure):
                # No use retrying alone, and the jobs queued meanwhile would each wait out the same
                # timeouts in turn (a claim queued behind a frozen server answered after two stalls):
                # they fail now, with this group, and their clients retry after Retry-After.
                group.extend(self._take_queued())
                for one in group:
                    one.error = failure
                return
            for one in group:
                try:
                    self._commit([one])
                except Exception as exc:
                    one.error = exc
        except BaseException as exc:  # the process is going down: nobody may think they were saved
            for one in group:
                one.error = exc
            raise
        finally:
            _tell(group)

    def _commit(self, group: list[Job]) -> None:
        with write_session(self.engine) as session:
            now = datetime.now(UTC)
            written: list[Write] = []
            for job in group:
                job.error = None
                if isinstance(job, ClaimKey):
                    try:
                        job.outcome = idempotency.claim_in(
                            session, job.tenant, job.key, job.user_id, job.request_hash, job.ttl, now
                        )
                    except (idempotency.KeyReused, idempotency.KeyInFlight) as exc:  # an answer, not a failure
                        job.error = exc
                    continue
                assert isinstance(job, Write)
                if job.claim is not None and not idempotency.complete(
                    session, job.claim, 201, job.body, job.location, job.row["id"]
                ):
                    job.error = ClaimLost()
                    continue
                written.append(job)
            if written:
                connection = session.connection()
                if self._inserts is None:
                    dialect = connection.dialect
                    self._inserts = tuple(DriverInsert(t, dialect) for t in (LOGS, LOG_EXERCISES, LOG_SETS))  # type: ignore[assignment]
                logs, exercises, sets = self._inserts  # type: ignore[misc]
                done: dict[Any, Any] = {}
                logs.run(connection, [job.row for job in written], done)
                exercises.run(connection, [e for job in written for e in job.exercises], done)
                sets.run(connection, [one for job in written for one in job.sets], done)
                revisions.bump(connection, ((job.row["tenant"], job.row["user_id"]) for job in written))
            session.commit()

    def run(self, job: Job) -> None:
        """Hand a job to the writer and wait, in this thread, until it is committed."""
        committed = threading.Event()
        job.done = committed.set
        self.submit(job)
        if not committed.wait(write_limits(self.engine).timeout) and self.abandon(job):
            raise WriterUnavailable("the log writer did not take this write in time")
        committed.wait()  # (started: the stall watchdog bounds how long a commit can hang)
        if job.error is not None:
            raise job.error

    async def run_async(self, job: Job) -> None:
        """``run`` for the event loop: waits without holding a thread."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[None] = loop.create_future()
        job.waiter = (loop, committed)
        self.submit(job)
        try:
            # shielded: a cancelled request still gets its work done, as a retry would
            await asyncio.wait_for(asyncio.shield(committed), write_limits(self.engine).timeout)
        except TimeoutError:
            if self.abandon(job):
                raise WriterUnavailable("the log writer did not take this write in time") from None
            await asyncio.shield(committed)
        if job.error is not None:
            raise job.error


def _tell(group: list[Job]) -> None:
    """Tell each job of a group that it is done: one wake-up for all of a loop's, not one a job.

    Each ``call_soon_threadsafe`` writes to the loop's self-pipe, a system call that lets go of the GIL:
    the loop then took it, answered, and read the next requests, while the writer waited up to the
    switch interval (1 ms) to tell the next job. The group's last request heard back a group's worth of
    hand-offs after its commit.
    """
    waiting: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for one in group:
        if one.waiter is None:
            one.done()
        else:
            waiting.setdefault(one.waiter[0], []).append(one.waiter[1])
    for loop, futures in waiting.items():
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
            loop.call_soon_threadsafe(_settle, futures)


def _settle(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)
