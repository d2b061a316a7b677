"""CPU per cached read in one process, with each of our middleware layers taken out in turn (issue 20).

Where a read's time goes beside bare Starlette: the app called as ASGI (no sockets), N requests a URL,
the best of R rounds of ``time.process_time``; then again without Observability, Delivery, Gates
(the body cap, rate limits and body gate), and without all three. Production settings: access log on (to /dev/null here),
rate limits on but never reached.

    PYTHONPATH=<tree> .venv/bin/python -m bench.read_layers [--n 300] [--rounds 40] [--layers]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from typing import Any

from app.main import create_app
from app.settings import Settings

OURS = ("Observability", "Delivery", "Gates")
URLS = [
    ("/exercises", b""),
    ("/exercises/king-runner", b""),
    ("/workouts", b"goal=mobility&seed=7"),
    ("/workouts", b"goal=balanced&level=beginner&minutes=20&seed=RAND"),  # a fresh seed each request
]
SCOPE = {"type": "http", "method": "GET", "scheme": "http", "server": ("127.0.0.1", 8000), "root_path": "",
         "http_version": "1.1", "client": ("127.0.0.1", 1), "asgi": {"version": "3.0"}}


def make(without: tuple[str, ...] = ()) -> Any:
    folder = tempfile.mkdtemp(prefix="hipflex-layers-")
    settings = Settings(database_url=f"sqlite:///{folder}/b.db", auto_migrate=True, log_level="info",
                        rate_limit_tenant="1000000/second", rate_limit_client="1000000/second")
    app = create_app(settings)
    app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ not in without]
    return app


async def _receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def measure(app: Any, n: int, rounds: int) -> dict[str, float]:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    found = {}
    draws = iter(range(1, 1 << 30))
    async with app.router.lifespan_context(app):
        for path, query in URLS:
            best = float("inf")
            for _ in range(rounds):
                queries = [query.replace(b"RAND", str(next(draws) * 7919).encode()) for _ in range(n)]
                started = time.process_time()
                for raw in queries:
                    sent.clear()
                    scope = {**SCOPE, "path": path, "raw_path": path.encode(), "query_string": raw,
                             "headers": [(b"host", b"bench")]}
                    await app(scope, _receive, send)
                best = min(best, (time.process_time() - started) / n)
            assert sent[0]["status"] == 200, sent[0]
            found[path + ("?" + query.decode() if query else "")] = best * 1e6
    return found


async def bare(n: int, rounds: int) -> float:
    from bench.bare import app

    async def send(message: Any) -> None:
        pass

    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(n):
            await app({**SCOPE, "path": "/", "raw_path": b"/", "query_string": b"", "headers": [(b"host", b"bench")]},
                      _receive, send)
        best = min(best, (time.process_time() - started) / n)
    return best * 1e6


async def main(n: int, rounds: int, layers: bool) -> None:
    rows = {"bare Starlette GET /": {"/": await bare(n, rounds)}}
    variants: list[tuple[str, tuple[str, ...]]] = [("hipflex", ())]
    if layers:
        variants += [(f"without {name}", (name,)) for name in OURS] + [("without all three", OURS)]
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # the access log
        for name, without in variants:
            rows[name] = await measure(make(without), n, rounds)
    for name, found in rows.items():
        print(f"{name:28s} " + "  ".join(f"{url} {us:6.1f} us" for url, us in found.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.read_layers")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--layers", action="store_true", help="also without each layer, and without all three")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.rounds, args.layers))
