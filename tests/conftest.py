"""Shared fixtures: the real app, over httpx (Starlette's TestClient), on real databases.

Tests that take ``database_url`` (or ``db_client``) run twice: on a fresh
SQLite file and on Postgres. Postgres gets one database per test session,
migrated with the real ``alembic upgrade head`` and emptied between tests.
Point ``HIPFLEX_TEST_POSTGRES_URL`` at another server if 127.0.0.1:5432 is
not yours. Without a server the Postgres cases are skipped, loudly; under CI
(``CI=true``) they fail instead.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.state import state_of
from app import keys, migrations
from app.catalogue import Catalogue, load_catalogue
from app.main import create_app
from app.settings import Settings
from app.tables import metadata

POSTGRES_SERVER = os.environ.get("HIPFLEX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hipflex.db'}"


@pytest.fixture
def client(sqlite_url: str, catalogue: Catalogue) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=sqlite_url), catalogue=catalogue)
    with TestClient(app) as test_client:
        yield test_client


# --- databases -------------------------------------------------------------------


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as psycopg wants it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresServer:
    """Creates and drops whole databases on the test server."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)

    def _admin(self) -> psycopg.Connection[Any]:
        url = _libpq(self.url.render_as_string(hide_password=False))
        return psycopg.connect(url, autocommit=True, connect_timeout=3)

    def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    server = PostgresServer(POSTGRES_SERVER)
    try:
        server._admin().close()
    except psycopg.OperationalError as exc:
        where = f"{server.url.host}:{server.url.port or 5432}"
        reason = f"Postgres at {where} unreachable: {str(exc).strip()}"
        if _in_ci():
            pytest.fail(reason + " (CI is set, so this fails instead of skipping)")
        pytest.skip(reason)
    return server


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    """One database for the session, at the head revision."""
    url = postgres_server.create("hipflex_test")
    try:
        migrations.upgrade(url)
        yield url
    finally:
        postgres_server.drop(url)


def _empty(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute(f"TRUNCATE {tables} CASCADE")


BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no data: a fresh SQLite file (not yet migrated), or the emptied Postgres one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'logs.db'}"
    url: str = request.getfixturevalue("postgres_database")
    _empty(url)
    return url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all: for migrating up and down."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create("hipflex_migrations")
    try:
        yield url
    finally:
        server.drop(url)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    return Settings(database_url=database_url, auto_migrate=True, access_log=False, **overrides)


@pytest.fixture
def db_app(database_url: str, catalogue: Catalogue) -> FastAPI:
    return create_app(make_settings(database_url), catalogue=catalogue)


@pytest.fixture
def db_client(db_app: FastAPI) -> Iterator[TestClient]:
    """The real app on ``database_url`` (a fresh SQLite file is migrated at start)."""
    with TestClient(db_app) as test_client:
        yield test_client


# --- tenants and logs -------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    name: str
    key: str
    prefix: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def new_tenant(app: FastAPI, name: str) -> Tenant:
    """A real key from ``app.keys``, on the app's own database."""
    key, info = keys.create(state_of(app).engine, name)
    return Tenant(name, key, info.prefix)


@pytest.fixture
def acme(db_client: TestClient) -> Tenant:
    return new_tenant(db_client.app, "acme")


@pytest.fixture
def globex(db_client: TestClient) -> Tenant:
    return new_tenant(db_client.app, "globex")


LogFactory = Callable[..., dict[str, Any]]


def count_rows(app: FastAPI, table: str) -> int:
    """Rows in one of our tables, read straight from the app's database."""
    with state_of(app).engine.connect() as connection:
        return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


@pytest.fixture(scope="session")
def slugs(catalogue: Catalogue) -> list[str]:
    return [exercise.slug for exercise in catalogue.exercises]


@pytest.fixture(scope="session")
def make_log(slugs: list[str]) -> LogFactory:
    """A valid log body: ``entries`` exercises (from the real catalogue) of three sets each."""

    def make(
        performed_at: str = "2026-11-20T09:30:00+01:00",
        entries: int = 5,
        exercises: list[str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        chosen = exercises if exercises is not None else [slugs[i % len(slugs)] for i in range(entries)]
        body: dict[str, Any] = {
            "performed_at": performed_at,
            "workout": {"goal": "rehab", "seed": 42},
            "duration_minutes": 35,
            "session_rpe": 6,
            "pain_before": 3,
            "pain_after": 2,
            "notes": "felt good",
            "entries": [
                {
                    "exercise": slug,
                    "sets": [
                        {"reps": 10, "load_kg": 12.5, "side": "left", "rpe": 7, "pain": 1},
                        {"reps": 10, "load_kg": 12.5, "side": "right", "rpe": 7},
                        {"hold_seconds": 30, "side": "both", "completed": False},
                    ],
                }
                for slug in chosen
            ],
        }
        body.update(fields)
        return body

    return make


# --- a real server ------------------------------------------------------------------


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
