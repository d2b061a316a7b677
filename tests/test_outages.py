"""A database that is gone, slow or locked gives 503 problem+json with Retry-After, never a 500; the
unexpected gives a 500 that still carries its request id; SQL parameters never reach the log."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from conftest import LogFactory, PostgresServer, _libpq, make_settings, new_tenant
from fastapi.testclient import TestClient

from app.state import state_of
from app import logs, migrations, outages
from app.catalogue import Catalogue
from app.db import make_engine
from app.main import create_app

USER = "secret-user-ümlaut"


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "2"
    assert response.headers["x-request-id"]
    assert response.json()["type"] == "https://hipflex.dev/problems/unavailable"


@pytest.mark.postgres
@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "routes"])
def test_a_database_gone_is_503_on_every_authenticated_route(
    postgres_server: PostgresServer, catalogue: Catalogue, make_log: LogFactory, fast_path: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = postgres_server.create("hipflex_gone")
    dropped = False
    try:
        migrations.upgrade(url)
        app = create_app(make_settings(url, fast_path=fast_path, db_connect_timeout_s=2), catalogue=catalogue)
        with TestClient(app) as client:
            acme = new_tenant(app, "acme")
            created = client.post(f"/users/{USER}/logs", json=make_log(), headers=acme.headers)
            assert created.status_code == 201, created.text  # (the key is now remembered: no database to check it)
            log_path = created.headers["location"]
            postgres_server.drop(url)
            dropped = True
            capsys.readouterr()
            headers = {**acme.headers, "Idempotency-Key": "k-" + USER.encode().hex()}
            _assert_unavailable(client.post(f"/users/{USER}/logs", json=make_log(), headers=acme.headers))
            _assert_unavailable(client.post(f"/users/{USER}/logs", json=make_log(), headers=headers))
            _assert_unavailable(client.get(f"/users/{USER}/logs", headers=acme.headers))
            _assert_unavailable(client.get(log_path, headers=acme.headers))
            _assert_unavailable(client.patch(log_path, json={"notes": "x"}, headers=acme.headers))
            _assert_unavailable(client.delete(log_path, headers=acme.headers))
            _assert_unavailable(client.get(f"/users/{USER}/export", headers=acme.headers))
            _assert_unavailable(client.delete(f"/users/{USER}", headers=acme.headers))
            unknown = acme.key[:-43] + "b" * 43  # well-formed, never seen: checking it needs the database
            _assert_unavailable(client.get(f"/users/{USER}/logs", headers={"Authorization": f"Bearer {unknown}"}))
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.headers["retry-after"] == "2"
        logged = capsys.readouterr().out
        assert "hipflex.errors" in logged  # the failures were logged ...
        assert USER not in logged and USER.encode().hex() not in logged  # ... without their parameters
    finally:
        if not dropped:
            postgres_server.drop(url)


@pytest.mark.postgres
def test_a_locked_table_hits_the_statement_timeout_as_a_503_without_parameters_in_the_log(
    postgres_database: str, catalogue: Catalogue, make_log: LogFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings(postgres_database, db_statement_timeout_ms=300), catalogue=catalogue)
    with TestClient(app) as client:
        acme = new_tenant(app, "acme")
        assert client.post(f"/users/{USER}/logs", json=make_log(), headers=acme.headers).status_code == 201
        locked, release = threading.Event(), threading.Event()

        def hold_lock() -> None:
            with psycopg.connect(_libpq(postgres_database)) as connection:
                connection.execute("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(10)

        holder = threading.Thread(target=hold_lock)
        holder.start()
        try:
            assert locked.wait(10)
            capsys.readouterr()
            _assert_unavailable(client.get(f"/users/{USER}/logs", headers=acme.headers))
        finally:
            release.set()
            holder.join(10)
        logged = capsys.readouterr().out
        errors = [json.loads(line) for line in logged.splitlines() if '"hipflex.errors"' in line]
        assert errors and "QueryCanceled" in errors[0]["message"]
        # one line, its class and SQLSTATE: not an 8 KB traceback per outage
        assert "SQLSTATE 57014" in errors[0]["message"] and "Traceback" not in errors[0]["message"]
        assert "\n" not in errors[0]["message"]
        assert USER not in logged and "acme" not in logged
        assert client.get(f"/users/{USER}/logs", headers=acme.headers).status_code == 200  # and it is over


def test_engines_hide_sql_parameters(database_url: str) -> None:
    engine = make_engine(make_settings(database_url))
    try:
        assert engine.hide_parameters is True
    finally:
        engine.dispose()


def test_an_unexpected_failure_is_a_500_problem_with_its_request_id(
    db_client: TestClient, acme: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(logs, "page", crash)  # a stand-in for any bug below a route
    response = db_client.get("/users/u1/logs", headers={**acme.headers, "X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "trace-500"
    assert response.json()["type"] == "https://hipflex.dev/problems/internal"
    assert "retry-after" not in response.headers
    assert "RuntimeError: a bug" in capsys.readouterr().out


def test_a_full_log_writer_queue_is_a_503(
    db_client: TestClient, acme: Any, make_log: LogFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import db

    engine = state_of(db_client.app).engine
    monkeypatch.setitem(db._WRITE_LIMITS, engine, db.WriteLimits(queue=0, timeout=3.0))
    _assert_unavailable(db_client.post("/users/u1/logs", json=make_log(), headers=acme.headers))
    monkeypatch.setitem(db._WRITE_LIMITS, engine, db.WriteLimits())
    assert db_client.post("/users/u1/logs", json=make_log(), headers=acme.headers).status_code == 201


def test_writes_queued_behind_an_unavailable_database_fail_with_it_not_one_timeout_later(
    database_url: str, catalogue: Catalogue, make_log: LogFactory
) -> None:
    """A frozen server used to answer a write queued behind another after two stalls, one each."""
    wait_ms = 1000
    settings = make_settings(database_url, db_statement_timeout_ms=wait_ms, sqlite_busy_timeout_ms=wait_ms)
    app = create_app(settings, catalogue=catalogue)
    data = logs.LogCreate.model_validate(make_log())
    with TestClient(app):
        writer = state_of(app).log_writer
        assert logs.create(writer, "acme", "u-before", data)  # (on SQLite, this also turns WAL on)
        locked, release = threading.Event(), threading.Event()

        def hold_lock() -> None:
            if database_url.startswith("sqlite"):
                connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
                connection.execute("BEGIN IMMEDIATE")
            else:
                connection = psycopg.connect(_libpq(database_url))
                connection.execute("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(20)
            connection.close()

        ended: dict[str, tuple[float, BaseException | None]] = {}

        def write(name: str) -> None:
            try:
                logs.create(writer, "acme", f"u-{name}", data)
                ended[name] = (time.monotonic(), None)
            except Exception as exc:
                ended[name] = (time.monotonic(), exc)

        holder = threading.Thread(target=hold_lock)
        holder.start()
        try:
            assert locked.wait(10)
            first = threading.Thread(target=write, args=("first",))
            first.start()
            deadline = time.monotonic() + 5
            while not (writer.thread is not None and writer.queue.empty()):  # the writer has it
                assert time.monotonic() < deadline
                time.sleep(0.01)
            time.sleep(0.1)
            behind = [threading.Thread(target=write, args=(f"behind-{n}",)) for n in range(3)]
            for thread in behind:
                thread.start()
            for thread in [first, *behind]:
                thread.join(20)
        finally:
            release.set()
            holder.join(20)
        assert len(ended) == 4, ended
        assert all(outages.unavailable(error) for _, error in ended.values() if error is not None)
        assert all(error is not None for _, error in ended.values())
        first_end = ended["first"][0]
        # with the first, not a whole wait later
        assert max(end for end, _ in ended.values()) - first_end < wait_ms / 2000
        assert logs.create(writer, "acme", "u-after", data)  # and the lock gone, writes land again


# --- a connection lost under an open transaction (issue 21, item 3) ---------------------------------


def _lose_connection(connection: Any, database_url: str) -> None:
    """Take the connection's server side away under it: its backend terminated (Postgres) or its
    SQLite handle closed, as a crash or a cut socket would."""
    if database_url.startswith("sqlite"):
        connection.connection.dbapi_connection.close()
        return
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with psycopg.connect(_libpq(database_url), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_lost_in_a_transaction_is_an_outage_on_its_way_out(database_url: str) -> None:
    """The failure that leaves the block is the outage, not a PendingRollbackError from the stall
    watchdog's rollback listener reading the invalidated connection (a 500, before)."""
    migrations.upgrade(database_url)
    engine = make_engine(make_settings(database_url))
    try:
        with pytest.raises(Exception) as caught, engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            _lose_connection(connection, database_url)
            connection.exec_driver_sql("SELECT 1")
        assert outages.unavailable(caught.value), repr(caught.value)
        with engine.connect() as connection:  # and the pool hands out a working one again
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


def test_a_second_statement_on_an_invalidated_connection_is_an_outage(database_url: str) -> None:
    """SQLAlchemy refuses to reconnect under the dead transaction (PendingRollbackError, 8s2b):
    the database was lost, so it is a 503, not a 500."""
    migrations.upgrade(database_url)
    engine = make_engine(make_settings(database_url))
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            _lose_connection(connection, database_url)
            with pytest.raises(Exception) as first:
                connection.exec_driver_sql("SELECT 1")
            assert outages.unavailable(first.value), repr(first.value)
            with pytest.raises(Exception) as second:
                connection.exec_driver_sql("SELECT 1")
            assert outages.unavailable(second.value), repr(second.value)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_backend_lost_mid_request_is_a_503(
    postgres_database: str, catalogue: Catalogue, make_log: LogFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the app: a read whose connection dies between its two statements answers 503."""
    from app import checkins

    app = create_app(make_settings(postgres_database, fast_path=False), catalogue=catalogue)
    real_export = checkins.export

    def export_after_losing_the_connection(engine: Any, tenant: str, user_id: str) -> Any:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            _lose_connection(connection, postgres_database)
            connection.exec_driver_sql("SELECT 1")
        return real_export(engine, tenant, user_id)

    with TestClient(app, raise_server_exceptions=False) as client:
        acme = new_tenant(app, "acme")
        assert client.post(f"/users/{USER}/logs", json=make_log(), headers=acme.headers).status_code == 201
        monkeypatch.setattr(checkins, "export", export_after_losing_the_connection)
        _assert_unavailable(client.get(f"/users/{USER}/export", headers=acme.headers))


@pytest.mark.postgres
def test_an_export_cut_by_an_outage_mid_stream_is_an_error_not_a_short_200(
    postgres_server: PostgresServer, catalogue: Catalogue, make_log: LogFactory
) -> None:
    """The database goes away while an export streams: the client must see the answer fail (the
    connection closed before the last chunk), never a complete-looking 200 with logs missing."""
    import httpx
    from conftest import live_server

    from app.logs import EXPORT_PAGE
    from app.logs.writer import LOGS
    from app.state import state_of

    url = postgres_server.create("hipflex_cut")
    dropped = False
    try:
        migrations.upgrade(url)
        app = create_app(make_settings(url, rate_limits=False), catalogue=catalogue)
        with live_server(app) as base_url:
            acme = new_tenant(app, "acme")
            with httpx.Client(base_url=base_url, headers=acme.headers, timeout=30) as client:
                assert client.post("/users/u1/logs", json=make_log(entries=100, notes="n" * 2000)).status_code == 201
                # more copies of it, straight into the table: far more than the sockets' buffers hold
                with state_of(app).engine.begin() as connection:
                    row = dict(connection.execute(LOGS.select()).mappings().one())
                    copies = [{**row, "id": str(uuid.uuid4())} for _ in range(EXPORT_PAGE * 50)]
                    connection.execute(LOGS.insert(), copies)
                state_of(app).engine.dispose()
                seen = _Records()
                with seen.on("hipflex.errors", "uvicorn.error"):
                    with pytest.raises(httpx.HTTPError), client.stream("GET", "/users/u1/export") as answer:
                        assert answer.status_code == 200
                        chunks = answer.iter_raw(1024)
                        next(chunks)  # the export has started ...
                        postgres_server.drop(url)  # ... and the database goes away under it
                        dropped = True
                        for _ in chunks:
                            pass
                    time.sleep(0.2)  # (the server's side of it may log a moment after the client's)
        # The server's side: the export failed on the database (not the client or a timeout), said in one line.
        logged = [(r.name, r.getMessage()) for r in seen.records]
        # (the driver's class: AdminShutdown if a page's query was running, else the refused connect)
        assert [name for name, _ in logged] == ["hipflex.errors"], logged  # and no traceback from uvicorn
        assert logged[0][1].startswith("request failed: OperationalError: "), logged
    finally:
        if not dropped:
            postgres_server.drop(url)


class _Records(logging.Handler):
    """The records some loggers emit while ``on`` is in force (ours do not propagate to caplog's root)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @contextmanager
    def on(self, *names: str) -> Iterator[None]:
        loggers = [logging.getLogger(name) for name in names]
        for logger in loggers:
            logger.addHandler(self)
        try:
            yield
        finally:
            for logger in loggers:
                logger.removeHandler(self)
