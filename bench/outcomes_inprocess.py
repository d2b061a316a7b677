"""CPU time of a kept GET /outcomes in one process, against /healthz; with --profile, a cProfile of it.

    .venv/bin/python -m bench.outcomes_inprocess [--profile]

A throw-away Postgres database with 2,000 users (revisions and a few check-ins each): the kept report's
cost is the route's, the signature read and the look-up, whatever the size of the users' histories.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import sys
import time
from typing import Any

from sqlalchemy import create_engine, text

from app import keys
from app.main import create_app
from app.settings import Settings
from app.state import state_of
from bench.__main__ import drop_postgres, fresh_postgres, migrate

SEED = [
    "INSERT INTO user_revisions (tenant, user_id, revision) SELECT 'acme', 'user-' || u, u FROM generate_series(1, 2000) u",
    """INSERT INTO checkins (tenant, user_id, date, pain, created_at)
       SELECT 'acme', 'user-' || u, current_date - d, 5, now() FROM generate_series(1, 2000) u, generate_series(0, 30, 3) d""",
    "ANALYZE",
]


async def run(app: Any, profile: bool) -> None:
    async with app.router.lifespan_context(app):
        key, _ = keys.create(state_of(app).engine, "acme")
        headers = [(b"host", b"b"), (b"authorization", f"Bearer {key}".encode())]

        async def one(path: str) -> int:
            sent: list[Any] = []

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message: Any) -> None:
                sent.append(message)

            scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
                     "headers": headers, "scheme": "http", "server": ("127.0.0.1", 80), "root_path": "",
                     "http_version": "1.1", "client": ("127.0.0.1", 1)}
            await app(scope, receive, send)
            return int(sent[0]["status"])

        assert await one("/outcomes") == 200
        for path in ["/healthz", "/outcomes"]:
            for _ in range(50):
                await one(path)
            best = 1e9
            for _ in range(3):
                started = time.process_time()
                for _ in range(300):
                    await one(path)
                best = min(best, (time.process_time() - started) / 300)
            print(json.dumps({"url": path, "cpu_us_per_request": round(best * 1e6)}))
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(500):
                await one("/outcomes")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main() -> None:
    url, name = fresh_postgres()
    try:
        migrate(url)
        engine = create_engine(url)
        with engine.begin() as connection:
            for sql in SEED:
                connection.execute(text(sql))
        engine.dispose()
        asyncio.run(run(create_app(Settings(database_url=url, access_log=False)), "--profile" in sys.argv))
    finally:
        drop_postgres(name)


if __name__ == "__main__":
    main()
