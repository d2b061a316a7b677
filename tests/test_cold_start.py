"""What a start leaves unloaded: modules only some requests or deployments need are imported where used.

Issue 20 (cold start to the first 200, `python -m bench.cold_start`): each of these cost a SQLite
service's start though its first request needs none of them. A fresh process imports app.main, then
starts the app on a new SQLite file, migrates it and answers /healthz, and says what it had loaded
after each step. (Alembic loads SQLAlchemy's Postgres dialect when it migrates: that one is only kept
out of `import app.main`, which the CLI and a start without auto-migration pay.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOT_AT_START = {
    "icalendar": "the programme's calendar feed (app.programmes.calendar.feed)",
    "psycopg": "Postgres only (app.erasure's VACUUM; SQLAlchemy loads it for a Postgres URL)",
    "redis": "a Redis rate-limit store only (app.api.rate_limits)",
}
NOT_AT_IMPORT = {
    **NOT_AT_START,
    "sqlalchemy.dialects.postgresql": "Postgres only (app.idempotency's INSERT ... ON CONFLICT)",
    "alembic": "migrating (app.migrations, imported by the lifespan, the CLI and /readyz)",
}

START = """
import asyncio, json, sys

from app.main import create_app
from app.settings import Settings

imported = sorted(sys.modules)

app = create_app(Settings(database_url=sys.argv[1], auto_migrate=True))


async def start_and_ask() -> int:
    lifespan = asyncio.Queue()
    await lifespan.put({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def send_lifespan(message):
        assert message["type"] == "lifespan.startup.complete", message
        started.set()

    running = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, lifespan.get,
                                      send_lifespan))
    await started.wait()
    answers = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        answers.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/healthz", "raw_path": b"/healthz", "query_string": b"", "headers": [],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "root_path": "", "state": {}}
    await app(scope, receive, send)
    await lifespan.put({"type": "lifespan.shutdown"})
    running.cancel()
    return answers[0]["status"]


status = asyncio.run(start_and_ask())
print(json.dumps({"status": status, "imported": imported, "started": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    database = tmp_path_factory.mktemp("cold") / "fresh.db"
    out = subprocess.run(
        [sys.executable, "-c", START, f"sqlite:///{database}"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent, timeout=120,
    ).stdout
    result: dict[str, object] = json.loads(out.splitlines()[-1])
    return result


def test_the_start_migrates_the_fresh_file_and_answers(started: dict[str, object]) -> None:
    assert started["status"] == 200
    assert "alembic" in started["started"]  # (the migrations ran at start: the checks below are not vacuous)


@pytest.mark.parametrize("module", sorted(NOT_AT_IMPORT))
def test_importing_the_app_does_not_import(started: dict[str, object], module: str) -> None:
    assert module not in started["imported"], f"import app.main imports {module}; it is for {NOT_AT_IMPORT[module]}"


@pytest.mark.parametrize("module", sorted(NOT_AT_START))
def test_a_sqlite_start_does_not_import(started: dict[str, object], module: str) -> None:
    assert module not in started["started"], f"{module} is imported at start; it is for {NOT_AT_START[module]}"
