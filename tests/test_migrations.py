"""The schema comes from migrations only: up from nothing, down to nothing, up again, and no drift from the models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import create_engine, insert, inspect, select
from sqlalchemy.exc import DatabaseError

from app import migrations
from app.progress import reports
from app.progress.records import Metric
from app.tables import Log, LogSet, metadata


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_no_drift(empty_database_url: str) -> None:
    url = empty_database_url
    config = migrations.alembic_config(url)
    ours = {table.name for table in metadata.sorted_tables}
    assert {"api_keys", "logs", "log_exercises", "idempotency_keys", "checkins", "log_sets"} <= ours

    migrations.upgrade(url)
    assert _tables(url) == ours
    command.check(config)  # raises if the models and the migrations disagree

    command.downgrade(config, "base")
    assert _tables(url) == set()

    migrations.upgrade(url)
    assert _tables(url) == ours
    command.check(config)
    assert migrations.head_revision(url) is not None


def test_a_failed_upgrade_leaves_the_database_as_it_was(empty_database_url: str) -> None:
    """One transaction for the whole upgrade, on SQLite too (migrations/env.py): a migration that fails
    undoes the ones before it, instead of leaving a half-migrated file for the next start to trip on."""
    url = empty_database_url
    engine = create_engine(url)
    try:
        with engine.begin() as connection:  # the last migration creates this table: it fails there
            connection.exec_driver_sql("CREATE TABLE programmes (squatter INTEGER)")
    finally:
        engine.dispose()
    with pytest.raises(DatabaseError, match="programmes"):
        migrations.upgrade(url)
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == {"programmes"}
    finally:
        engine.dispose()


def test_the_indexes_behind_the_queries_exist(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        inspector = inspect(engine)
        logs = {tuple(ix["column_names"]) for ix in inspector.get_indexes("logs")}
        assert ("tenant", "user_id", "performed_at", "id") in logs
        assert inspector.get_pk_constraint("log_exercises")["constrained_columns"] == ["log_id", "slug"]
        (foreign_key,) = inspector.get_foreign_keys("log_exercises")
        assert foreign_key["referred_table"] == "logs"
        assert (foreign_key.get("options") or {}).get("ondelete", "").upper() == "CASCADE"
        assert inspector.get_pk_constraint("idempotency_keys")["constrained_columns"] == ["tenant", "key"]
    finally:
        engine.dispose()


def test_0004_copies_the_logs_already_stored_into_log_sets(empty_database_url: str) -> None:
    url = empty_database_url
    command.upgrade(migrations.alembic_config(url), "0003")
    engine = create_engine(url)
    when = datetime(2026, 11, 2, 7, 30, tzinfo=UTC)
    entries = [
        {"exercise": "thomas-test", "sets": [{"hold_seconds": 40}, {"hold_seconds": 50, "completed": False}]},
        {"exercise": "core-brace", "sets": [{"reps": 12, "load_kg": 5.0, "rir": 2}]},
    ]
    row = {"id": str(uuid.uuid4()), "tenant": "acme", "user_id": "u1", "performed_at": when, "pain_after": 6}
    try:
        with engine.begin() as connection:
            connection.execute(insert(Log.__table__), [{**row, "entries": entries, "created_at": when, "updated_at": when}])
        migrations.upgrade(url)
        with engine.connect() as connection:
            copied = connection.execute(select(LogSet.__table__).order_by(LogSet.__table__.c.position)).mappings().all()
        owner = ("tenant", "user_id", "performed_at", "pain_after")
        assert [(s["position"], s["slug"], s["completed"]) for s in copied] == [
            (0, "thomas-test", True), (1, "thomas-test", False), (1000, "core-brace", True)
        ]
        assert all({k: s[k] for k in owner} == {k: row[k] for k in owner} for s in copied)
        # read back through the records (a check like the Thomas test has none since issue 19: the brace)
        found = reports.records(engine, "acme", "u1", exercise="core-brace", metric=Metric.max_reps)
        assert found is not None
        (best,) = found.items
        assert (best.value, best.performed_at, best.log_id, best.pain_qualified) == (12, when, row["id"], False)
    finally:
        engine.dispose()


def test_0007_adds_programmes_and_keeps_the_logs_stored(empty_database_url: str) -> None:
    url = empty_database_url
    config = migrations.alembic_config(url)
    command.upgrade(config, "0006")
    engine = create_engine(url)
    when = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    log = {"id": str(uuid.uuid4()), "tenant": "acme", "user_id": "u1", "performed_at": when,
           "entries": [{"exercise": "thomas-test", "sets": [{"hold_seconds": 40}]}], "created_at": when,
           "updated_at": when}
    try:
        with engine.begin() as connection:  # (the columns 0006 has: not the model's programme)
            columns = [c for c in Log.__table__.c if c.name != "programme"]
            connection.execute(insert(Log.__table__).values({c.name: log[c.name] for c in columns if c.name in log}))
        migrations.upgrade(url)
        inspector = inspect(engine)
        assert "programmes" in inspector.get_table_names()
        assert "programme" in {c["name"] for c in inspector.get_columns("logs")}
        indexes = {tuple(ix["column_names"]): bool(ix["unique"]) for ix in inspector.get_indexes("programmes")}
        assert indexes[("tenant", "user_id", "created_at", "id")] is False
        assert indexes[("tenant", "user_id", "open_goal")] is True  # one open programme per goal, kept by the DB
        with engine.connect() as connection:
            (kept,) = connection.execute(select(Log.__table__.c.id, Log.__table__.c.programme)).all()
        assert kept == (log["id"], None)
        command.downgrade(config, "0006")
        inspector = inspect(engine)
        assert "programmes" not in inspector.get_table_names()
        assert "programme" not in {c["name"] for c in inspector.get_columns("logs")}
        with engine.connect() as connection:
            assert connection.execute(select(Log.__table__.c.id)).scalars().all() == [log["id"]]
    finally:
        engine.dispose()
