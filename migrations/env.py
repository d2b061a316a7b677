"""Alembic environment: SQLite (batch mode) and Postgres from one set of migrations."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import engine_from_config, event, pool
from sqlalchemy.engine import Connection, Engine

from app.settings import Settings
from app.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        _one_sqlite_transaction(engine)
    with engine.connect() as connection:
        _run(connection, transactional_ddl=True if sqlite else None)
    engine.dispose()


def _one_sqlite_transaction(engine: Engine) -> None:
    """The whole upgrade in one SQLite transaction, as on Postgres.

    SQLite's DDL is transactional, but the sqlite3 module commits each DDL statement on its own: a fresh
    file took 112 fsyncs, about 500 ms of a cold start (issue 20), and a failed upgrade left a file half
    migrated. SQLAlchemy's recipe for pysqlite: the driver begins nothing, we send BEGIN ourselves.
    """

    @event.listens_for(engine, "connect")
    def _driver_begins_nothing(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def _run(connection: Connection, transactional_ddl: bool | None = None) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transactional_ddl=transactional_ddl,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
