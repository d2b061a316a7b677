"""One snapshot per answer (issue 21, item 8): an answer made of several reads sees one state.

/progress read sessions on one connection and check-ins on another: on Postgres (READ COMMITTED)
a write landing between them gave an answer no state of the data had (4 in 2,767 reads with two
processes). Now each multi-read answer reads through ``app.db.snapshot``: one connection, and on
Postgres one REPEATABLE READ, READ ONLY transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import make_settings
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from app import checkins, migrations
from app.api.coaching import NextParams, next_answer
from app.catalogue import Catalogue
from app.db import make_engine, snapshot
from app.observability import Metrics
from app.progress import reports


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    migrations.upgrade(database_url)
    made = make_engine(make_settings(database_url))
    yield made
    made.dispose()


def _checkin(engine: Engine, day: str) -> None:
    checkins.create(engine, "acme", "u1", checkins.CheckinCreate.model_validate({"date": day, "pain": 3}))


def test_a_write_between_two_reads_of_a_snapshot_is_not_seen(engine: Engine) -> None:
    count = text("SELECT count(*) FROM checkins")
    with snapshot(engine) as connection:
        before = connection.execute(count).scalar_one()
        _checkin(engine, "2026-11-20")  # committed by another connection, between the two reads
        assert connection.execute(count).scalar_one() == before
    with engine.connect() as connection:
        assert connection.execute(count).scalar_one() == before + 1


def test_postgres_snapshots_are_repeatable_read_and_read_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's reads in one transaction see one state already")
    with snapshot(engine) as connection:
        assert connection.execute(text("SHOW transaction_isolation")).scalar_one() == "repeatable read"
        assert connection.execute(text("SHOW transaction_read_only")).scalar_one() == "on"
    with engine.connect() as connection:  # and the pooled connection is back to the default after
        assert connection.execute(text("SHOW transaction_isolation")).scalar_one() == "read committed"


def _checkouts(engine: Engine) -> list[int]:
    taken: list[int] = []

    @event.listens_for(engine.pool, "checkout")
    def _count(*_: Any) -> None:
        taken.append(1)

    return taken


def test_each_multi_read_answer_takes_one_connection(engine: Engine, catalogue: Catalogue) -> None:
    _checkin(engine, "2026-11-20")
    taken = _checkouts(engine)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    reports.progress(engine, "acme", "u1", window="28d", tz=ZoneInfo("UTC"), goal=None, now=now)
    assert len(taken) == 1
    taken.clear()
    reports.records(engine, "acme", "u1")
    assert len(taken) == 1
    taken.clear()
    query = NextParams.model_validate({"goal": "mobility", "today": date(2026, 11, 30)})
    next_answer(engine, "acme", "u1", catalogue, query, Metrics())
    assert len(taken) == 1
