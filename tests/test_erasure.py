"""Erasure that erases (issue 21, item 4): after DELETE /users/{id}, the erased notes are not in the
database's files, not only gone from its tables.

SQLite: the -wal holds none of the notes at the 204; in either mode the database file, its -wal and -shm
hold no byte of them once the background VACUUM ran (read byte by byte while the service runs).
Postgres: on a database of the test's own, the tables' pages are read with pageinspect (plain VACUUM:
no tuple, live or dead, holds the note), and with VACUUM FULL the database's data files are read
after a CHECKPOINT (no byte of the note left in them). WAL is not read: it keeps the note until it is
recycled, as the README says.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import LogFactory, PostgresServer, _libpq, make_settings, new_tenant
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import migrations
from app.catalogue import Catalogue
from app.erasure import ERASED_TABLES
from app.main import create_app
from app.state import state_of


def _store_and_erase(
    client: TestClient, app: FastAPI, make_log: LogFactory, marker: str, tenant: str = "acme"
) -> None:
    """Logs, a check-in and an idempotent response with ``marker`` in them; another user's beside;
    then the first user erased."""
    acme = new_tenant(app, tenant)
    user = f"erased-{marker}"
    for n in range(3):
        headers = {**acme.headers, "Idempotency-Key": f"key-{n}"}
        body = make_log(performed_at=f"2026-11-2{n}T09:30:00+01:00", notes=f"knee {marker} {n}")
        assert client.post(f"/users/{user}/logs", json=body, headers=headers).status_code == 201
        kept = make_log(performed_at=f"2026-11-2{n}T10:30:00+01:00", notes=f"kept note {n}")
        assert client.post("/users/kept/logs", json=kept, headers=acme.headers).status_code == 201
    checkin = {"date": "2026-11-21", "pain": 3, "notes": f"morning {marker}"}
    assert client.post(f"/users/{user}/checkins", json=checkin, headers=acme.headers).status_code == 201
    assert marker in client.get(f"/users/{user}/export", headers=acme.headers).text
    assert client.delete(f"/users/{user}", headers=acme.headers).status_code == 204
    assert client.get(f"/users/{user}/export", headers=acme.headers).status_code == 404
    assert client.get("/users/kept/logs", headers=acme.headers).json()["items"]  # the other user is untouched


def test_erased_notes_leave_the_sqlite_wal_before_the_answer(
    tmp_path: Path, catalogue: Catalogue, make_log: LogFactory
) -> None:
    database = tmp_path / "erase.db"
    marker = uuid.uuid4().hex
    app = create_app(make_settings(f"sqlite:///{database}"), catalogue=catalogue)
    with TestClient(app) as client:
        _store_and_erase(client, app, make_log, marker)
        # checkpointed and truncated before the 204 (the background VACUUM may have begun writing its clean
        # pages there since)
        wal = database.with_name("erase.db-wal")
        assert not wal.exists() or marker.encode() not in wal.read_bytes()
        shm = database.with_name("erase.db-shm")
        assert not shm.exists() or marker.encode() not in shm.read_bytes()


@pytest.mark.parametrize("mode", ["plain", "full"])
def test_erased_notes_are_in_no_sqlite_file(
    tmp_path: Path, catalogue: Catalogue, make_log: LogFactory, mode: str
) -> None:
    """``secure_delete`` overwrites the rows, but a copy SQLite left behind when it moved a row between pages
    (a page split) stays in the old page's unused space: one erased user in three left one before the
    VACUUM ran in ``plain`` mode too, so eight are erased here. Within the interval no file holds any."""
    database = tmp_path / "erase.db"
    markers = [uuid.uuid4().hex for _ in range(8)]
    settings = make_settings(f"sqlite:///{database}", erasure_vacuum=mode, erasure_vacuum_interval_s=0.5)
    app = create_app(settings, catalogue=catalogue)

    def holding() -> list[tuple[str, str]]:
        files = [path for path in tmp_path.iterdir() if path.name.startswith("erase.db")]
        assert database in files
        return [(path.name, m) for path in files for m in markers if m.encode() in path.read_bytes()]

    with TestClient(app) as client:
        for n, marker in enumerate(markers):
            _store_and_erase(client, app, make_log, marker, tenant=f"tenant-{n}")
        assert _wait_for(lambda: holding() == [], 10), holding()
        assert state_of(app).scrubber.vacuums >= 1


@pytest.fixture
def own_database(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create("hipflex_erasure")
    migrations.upgrade(url)
    yield url
    postgres_server.drop(url)


def _tuples_holding(url: str, marker: str) -> dict[str, int]:
    """Tuples (live or dead, heap and TOAST) whose bytes hold ``marker``, by table."""
    found = {}
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        for table in ERASED_TABLES:
            relations = [table]
            toast = connection.execute(
                "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = %s::regclass AND reltoastrelid <> 0",
                (table,),
            ).fetchone()
            relations += [toast[0]] if toast else []
            for relation in relations:
                count = connection.execute(
                    "SELECT count(*) FROM generate_series(0, pg_relation_size(%s::regclass) / 8192 - 1) AS page, "
                    "heap_page_items(get_raw_page(%s, page::int)) WHERE position(%s::bytea IN t_data) > 0",
                    (relation, relation, marker.encode()),
                ).fetchone()
                if count and count[0]:
                    found[relation] = count[0]
    return found


def _files_holding(url: str, marker: str) -> list[str]:
    """The database's own data files (not WAL) that hold ``marker``, after a CHECKPOINT wrote every page."""
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute("CHECKPOINT")
        row = connection.execute(
            "SELECT current_setting('data_directory'), oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    folder = Path(row[0]) / "base" / str(row[1])
    return [path.name for path in folder.iterdir() if path.is_file() and marker.encode() in path.read_bytes()]


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.postgres
def test_a_plain_vacuum_after_erasure_leaves_no_tuple_holding_the_notes(
    own_database: str, catalogue: Catalogue, make_log: LogFactory
) -> None:
    marker = uuid.uuid4().hex
    settings = make_settings(own_database, erasure_vacuum_interval_s=0.5)
    app = create_app(settings, catalogue=catalogue)
    with TestClient(app) as client:
        # autovacuum must not be what clears them
        with psycopg.connect(_libpq(own_database), autocommit=True) as connection:
            for table in ERASED_TABLES:
                connection.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        _store_and_erase(client, app, make_log, marker)
        assert _wait_for(lambda: state_of(app).scrubber.vacuums >= 1)
        assert _tuples_holding(own_database, marker) == {}


@pytest.mark.postgres
def test_vacuum_full_after_erasure_leaves_no_byte_of_the_notes_in_the_data_files(
    own_database: str, catalogue: Catalogue, make_log: LogFactory
) -> None:
    data_directory_readable = Path("/var/lib/postgresql").exists()
    marker = uuid.uuid4().hex
    settings = make_settings(own_database, erasure_vacuum="full", erasure_vacuum_interval_s=0.5)
    app = create_app(settings, catalogue=catalogue)
    with TestClient(app) as client:
        _store_and_erase(client, app, make_log, marker)
        assert _wait_for(lambda: state_of(app).scrubber.vacuums >= 1)
        assert _tuples_holding(own_database, marker) == {}
        if data_directory_readable:
            assert _files_holding(own_database, marker) == []


@pytest.mark.postgres
def test_vacuums_after_erasures_are_rate_bounded(
    own_database: str, catalogue: Catalogue, make_log: LogFactory
) -> None:
    app = create_app(make_settings(own_database, erasure_vacuum_interval_s=5), catalogue=catalogue)
    with TestClient(app) as client:
        acme = new_tenant(app, "acme")
        started = time.monotonic()
        for n in range(5):
            assert client.delete(f"/users/u{n}", headers=acme.headers).status_code == 204
        assert time.monotonic() - started < 2  # nobody waited for a VACUUM
        assert _wait_for(lambda: state_of(app).scrubber.vacuums >= 1, 10)
        time.sleep(1)
        assert state_of(app).scrubber.vacuums == 1  # five erasures, one VACUUM
