"""CPU time per request in one process (process_time, not wall time), no sockets: the app called as ASGI, N times a URL, fastest of R rounds.

Less exposed to a loaded machine than wrk (no client, no kernel, the best round kept), so two trees
compare fairly:  PYTHONPATH=<tree> .venv/bin/python -m bench.inprocess [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from typing import Any

from app.main import create_app
from app.settings import Settings

URLS = [
    ("GET", "/exercises", b""),
    ("GET", "/exercises/king-runner", b""),
    ("GET", "/workouts?goal=mobility&seed=7", b""),
]


async def main(n: int, rounds: int) -> None:
    folder = tempfile.mkdtemp(prefix="hipflex-inprocess-")
    app = create_app(Settings(database_url=f"sqlite:///{folder}/b.db", auto_migrate=True, access_log=False))
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def lifespan_receive() -> Any:
        await asyncio.sleep(3600)

    async with app.router.lifespan_context(app):
        for method, path, body in URLS:
            raw_path, _, query = path.partition("?")

            async def receive(body: bytes = body) -> Any:
                return {"type": "http.request", "body": body, "more_body": False}

            best = float("inf")
            for _ in range(rounds):
                started = time.process_time()
                for _ in range(n):
                    scope = {"type": "http", "method": method, "path": raw_path, "raw_path": raw_path.encode(),
                             "query_string": query.encode(), "headers": [(b"host", b"bench")], "scheme": "http",
                             "server": ("127.0.0.1", 8000), "root_path": "", "http_version": "1.1",
                             "client": ("127.0.0.1", 1)}
                    sent.clear()
                    await app(scope, receive, send)
                best = min(best, (time.process_time() - started) / n)
            assert sent[0]["status"] == 200, sent[0]
            print(json.dumps({"url": path, "us_per_request": round(best * 1e6, 1)}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.rounds))
