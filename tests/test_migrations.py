"""The schema comes from migrations only: up from nothing, down to nothing, up again, and no drift from the models."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from app import migrations
from app.tables import metadata


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
