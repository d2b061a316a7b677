"""The log writer's own parts: its inserts store what SQLAlchemy's would, and a group hears back at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import LogFactory, make_settings
from sqlalchemy import insert
from sqlalchemy.dialects import sqlite

from app import migrations
from app.db import make_engine, write_session
from app.logs import LogCreate, store
from app.logs import writer as logwriter
from app.tables import UtcDateTime

TIMES = [
    datetime(2026, 11, 20, 7, 30, tzinfo=UTC),
    datetime(2026, 11, 20, 7, 30, 0, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, 59, 999999, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2026, 10, 25, 2, 30, tzinfo=timezone(timedelta(hours=2))),
    datetime(1, 1, 1, 5, tzinfo=timezone(timedelta(hours=-3))),
    datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(9999, 12, 31, 20, tzinfo=timezone(timedelta(hours=3))),
]


def test_the_sqlite_time_text_is_sqlalchemys() -> None:
    dialect = sqlite.dialect()
    column = UtcDateTime()
    theirs = column.dialect_impl(dialect).bind_processor(dialect)  # (the writer's processors before)
    assert theirs is not None
    for value in TIMES:
        assert logwriter.sqlite_utc_text(value) == theirs(value)
    assert logwriter.sqlite_utc_text(None) is None
    with pytest.raises(ValueError, match="naive datetimes are not stored") as ours:
        logwriter.sqlite_utc_text(datetime(2026, 1, 1))
    with pytest.raises(ValueError) as sqlalchemys:
        theirs(datetime(2026, 1, 1))
    assert str(ours.value) == str(sqlalchemys.value)


def _raw(engine: Any, table: Any, key: str, ids: list[str]) -> list[tuple[Any, ...]]:
    """The rows as the driver reads them back (no SQLAlchemy result processing), without their ids."""
    names = ", ".join(c.name for c in table.c if c.name not in ("id", "log_id"))
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    sql = f"SELECT {names} FROM {table.name} WHERE {key} IN ({', '.join([mark] * len(ids))})"
    with engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql, tuple(ids))]


def test_the_writer_stores_what_sqlalchemy_would(database_url: str, make_log: LogFactory) -> None:
    """A group written by the writer, and the same logs written through SQLAlchemy's own inserts:
    the same raw values in every column (times as text on SQLite, JSON text, flags)."""
    if database_url.startswith("sqlite"):
        migrations.upgrade(database_url)
    engine = make_engine(make_settings(database_url))
    try:
        body = make_log()
        body["performed_at"] = "2026-03-29T01:30:59+05:30"  # (no fraction: stored with six zeros)
        body["entries"][0]["sets"][0]["load_kg"] = 12.5
        body["entries"][0]["sets"][0]["completed"] = False
        data = LogCreate.model_validate(body)
        now = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
        ours = [store._prepare("acme", f"u{i}", data, None)[1] for i in range(3)]
        theirs = [store._prepare("acme", f"u{i}", data, None)[1] for i in range(3)]
        for job in ours + theirs:  # the same times in both (each log took its own "now")
            job.row["created_at"] = job.row["updated_at"] = now
        logwriter.LogWriter(engine)._commit(list(ours))
        with write_session(engine) as session:
            session.execute(insert(logwriter.LOGS), [job.row for job in theirs])
            session.execute(insert(logwriter.LOG_EXERCISES), [e for job in theirs for e in job.exercises])
            session.execute(insert(logwriter.LOG_SETS), [s for job in theirs for s in job.sets])
            session.commit()
        for table, key in ((logwriter.LOGS, "id"), (logwriter.LOG_EXERCISES, "log_id"), (logwriter.LOG_SETS, "log_id")):
            mine = _raw(engine, table, key, [job.row["id"] for job in ours])
            reference = _raw(engine, table, key, [job.row["id"] for job in theirs])
            assert mine and sorted(mine, key=repr) == sorted(reference, key=repr), table.name
    finally:
        engine.dispose()


def test_a_group_wakes_its_loop_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every waiting request of a group is told with one wake-up of its loop, after the commit."""
    calls: list[int] = []

    class Writer(logwriter.LogWriter):
        def _commit(self, group: list[logwriter.Job]) -> None:
            calls.append(len(group))

    writer = Writer.__new__(Writer)
    logwriter.LogWriter.__init__(writer, None)  # type: ignore[arg-type]

    async def go() -> None:
        loop = asyncio.get_running_loop()
        wakes: list[object] = []
        original = loop.call_soon_threadsafe

        def counted(*args: Any, **kwargs: Any) -> Any:
            wakes.append(args[0])
            return original(*args, **kwargs)

        monkeypatch.setattr(loop, "call_soon_threadsafe", counted)
        jobs = [logwriter.Job() for _ in range(5)]
        futures = []
        for job in jobs:
            future: asyncio.Future[None] = loop.create_future()
            job.waiter = (loop, future)
            futures.append(future)
        await asyncio.to_thread(writer._commit_group, jobs)
        await asyncio.wait_for(asyncio.gather(*futures), 5)
        assert wakes.count(logwriter._settle) == 1 and calls == [5]

    asyncio.run(go())


def test_set_rows_are_one_a_set_with_the_logs_values() -> None:
    performed = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    log = {"id": "L", "tenant": "t", "user_id": "u", "performed_at": performed, "pain_after": 2, "entries": [
        {"exercise": "a", "sets": [{"reps": 5}, {"hold_seconds": 30, "completed": False, "rpe": 7, "rir": 2}]},
        {"exercise": "b", "sets": [{"reps": 8, "load_kg": 12.5}]},
    ]}
    owner = {"tenant": "t", "user_id": "u", "performed_at": performed, "pain_after": 2}
    empty = {"reps": None, "hold_seconds": None, "load_kg": None, "rpe": None, "rir": None, "completed": True}
    assert logwriter.set_rows(log) == [
        {"log_id": "L", "position": 0, **owner, "slug": "a", **empty, "reps": 5},
        {"log_id": "L", "position": 1, **owner, "slug": "a", **empty, "hold_seconds": 30, "completed": False,
         "rpe": 7, "rir": 2},
        {"log_id": "L", "position": 1000, **owner, "slug": "b", **empty, "reps": 8, "load_kg": 12.5},
    ]
    assert list(logwriter.set_rows(log)[0]) == [c.name for c in logwriter.LOG_SETS.c]  # (column order, as before)
