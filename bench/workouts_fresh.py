"""CPU per fresh-seed ``GET /workouts`` in one process: bench/workouts.lua's six queries, a new seed each request.

The app as ``make bench`` serves it (production middleware, access log to /dev/null, rate limits never
reached), called as ASGI with no sockets, identity and ``Accept-Encoding: gzip``, beside bare Starlette:

    PYTHONPATH=<tree> .venv/bin/python -m bench.workouts_fresh [--n 2000] [--rounds 7]

Seeds come from ``random.Random(20)``, so instruction counts repeat: ``--callgrind`` runs this module under
``valgrind --tool=callgrind`` for each variant at two values of ``--n`` and prints the difference of the totals
over the difference of n, the instructions of one request (warm-up and start-up cancel out):

    PYTHONPATH=<tree> .venv/bin/python -m bench.workouts_fresh --callgrind [--n 400]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.read_instructions import QUERIES
from bench.read_layers import SCOPE, bare

HEADERS = {"identity": [(b"host", b"bench")], "gzip": [(b"host", b"bench"), (b"accept-encoding", b"gzip")]}


def make() -> Any:
    from app.main import create_app
    from app.settings import Settings

    folder = tempfile.mkdtemp(prefix="hipflex-fresh-")
    settings = Settings(database_url=f"sqlite:///{folder}/b.db", auto_migrate=True, log_level="info",
                        rate_limit_tenant="1000000/second", rate_limit_client="1000000/second")
    return create_app(settings)


async def _receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def measure(app: Any, n: int, rounds: int, warm: int, only: str | None = None) -> dict[str, float]:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    draw = random.Random(20)
    found = {}
    async with app.router.lifespan_context(app):
        for name, headers in HEADERS.items():
            if only is not None and name != only:
                continue
            best = float("inf")
            for lap in range(rounds + 1):
                count = warm if lap == 0 else n
                raws = [draw.choice(QUERIES) + b"&seed=%d" % draw.randrange(2**31) for _ in range(count)]
                started = time.process_time()
                for raw in raws:
                    sent.clear()
                    scope = {**SCOPE, "path": "/workouts", "raw_path": b"/workouts", "query_string": raw,
                             "headers": headers}
                    await app(scope, _receive, send)
                if lap:
                    best = min(best, (time.process_time() - started) / n)
                assert sent[0]["status"] == 200, sent[0]
            found[name] = best * 1e6
    return found


async def main(n: int, rounds: int, warm: int, only: str | None) -> None:
    base = 0.0 if only else await bare(n, rounds)
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # the access log
        found = await measure(make(), n, rounds, warm, only)
    print(f"bare Starlette GET /  {base:6.1f} us")
    for name, us in found.items():
        print(f"/workouts fresh seed, {name:8s} {us:6.1f} us  ({base / us:.2f}x bare)")



def instructions(variant: str, n: int, warm: int) -> int:
    """Instructions of a whole run of one variant under callgrind (PYTHONHASHSEED fixed)."""
    args = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m", __spec__.name,
            "--only", variant, "--rounds", "1", "--n", str(n), "--warm", str(warm)]
    run = subprocess.run(args, env={**os.environ, "PYTHONHASHSEED": "0"}, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", run.stderr)
    assert found is not None, run.stderr[-2000:]
    return int(found.group(1))


def callgrind(n: int, warm: int) -> None:
    for variant in HEADERS:
        low, high = instructions(variant, n, warm), instructions(variant, 2 * n, warm)
        print(f"/workouts fresh seed, {variant:8s} {(high - low) / n:10,.0f} instructions a request")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.workouts_fresh")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--warm", type=int, default=3000, help="requests before the rounds (fills the caches)")
    parser.add_argument("--only", choices=sorted(HEADERS), help="one variant, no bare row (for callgrind)")
    parser.add_argument("--callgrind", action="store_true", help="instructions a request, under valgrind")
    args = parser.parse_args()
    if args.callgrind:
        callgrind(args.n, args.warm)
    else:
        asyncio.run(main(args.n, args.rounds, args.warm, args.only))
