"""201 means durable: SIGKILL the server under load, start it again, and every acknowledged log is there,
whole, on SQLite and on Postgres."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LogFactory
from sqlalchemy import select

from app import keys, migrations
from app.db import make_engine
from app.logs.writer import LOG_EXERCISES, LOGS
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(database_url: str, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`uvicorn app.main:create_app --factory` in its own process, on a free port."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIPFLEX_")}
    env |= {"HIPFLEX_DATABASE_URL": database_url, "HIPFLEX_ACCESS_LOG": "false"}
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1"]
    with log.open("ab") as output:
        process = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT, env=env, stdout=output, stderr=output)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield process, base_url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


@pytest.mark.slow
def test_acknowledged_logs_survive_sigkill(tmp_path: Path, database_url: str, make_log: LogFactory) -> None:
    migrations.upgrade(database_url)
    engine = make_engine(Settings(database_url=database_url))
    key, _ = keys.create(engine, "acme")
    engine.dispose()
    headers = {"Authorization": f"Bearer {key}"}

    acknowledged: dict[str, tuple[str | None, bytes]] = {}  # log id -> (idempotency key, body as acknowledged)
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int, base_url: str) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
            i = 0
            while not stop.is_set():
                i += 1
                idempotency_key = f"w{n}-{i}" if n % 2 == 0 else None  # half of them idempotent
                extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
                body = make_log(notes=f"writer {n} log {i}", entries=1 + i % 5)
                try:
                    response = client.post(f"/users/user-{n}/logs", json=body, headers=extra)
                except httpx.TransportError:
                    return  # the server is gone
                assert response.status_code == 201, response.text
                with lock:
                    acknowledged[response.json()["id"]] = (idempotency_key, response.content)

    log = tmp_path / "server.log"
    with server(database_url, log) as (process, base_url):
        threads = [threading.Thread(target=writer, args=(n, base_url)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)  # mid-load: writes are in flight right now
        process.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(acknowledged) >= 300

    with server(database_url, log) as (_, base_url), httpx.Client(base_url=base_url, headers=headers) as client:
        for log_id, (idempotency_key, body) in acknowledged.items():
            user = json.loads(body)["user_id"]
            response = client.get(f"/users/{user}/logs/{log_id}")
            assert response.status_code == 200, (log_id, response.text)
            assert response.json() == json.loads(body)
            if idempotency_key is not None:  # the stored answer survived with its log
                stored = json.loads(body)
                request = make_log(notes=stored["notes"], entries=len(stored["entries"]))
                replay = client.post(f"/users/{user}/logs", json=request, headers={"Idempotency-Key": idempotency_key})
                assert replay.status_code == 201 and replay.content == body

    # Nothing half-written: every log has exactly the exercises its entries name.
    engine = make_engine(Settings(database_url=database_url))
    try:
        with engine.connect() as connection:
            logs: list[Any] = list(connection.execute(select(LOGS.c.id, LOGS.c.entries)))
            indexed: dict[str, set[str]] = {}
            for log_id, slug in connection.execute(select(LOG_EXERCISES.c.log_id, LOG_EXERCISES.c.slug)):
                indexed.setdefault(log_id, set()).add(slug)
    finally:
        engine.dispose()
    assert len(logs) >= len(acknowledged)
    for log_id, entries in logs:
        assert indexed.get(log_id) == {entry["exercise"] for entry in entries}, log_id
