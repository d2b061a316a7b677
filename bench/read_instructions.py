"""Instructions per cached read in one process, counted by callgrind: repeatable on a shared machine (issue 20).

Wall-clock rows move with whatever else the machine runs; instruction counts do not. The app is called
as ASGI, as in ``bench.read_layers`` (production settings: access log on, to /dev/null; rate limits on
but never reached), under ``valgrind --tool=callgrind``. After a warm-up, each URL is asked N times
between two calls of ``os.getpgid``, where callgrind is told to dump its counts: a URL's instructions,
divided by N, are one request's (the app's and the middleware's, not uvicorn's or the kernel's). Bare Starlette's
``GET /`` (bench.bare) is counted the same way, last. Counts repeat to within about 0.1% from run to run.

    .venv/bin/python -m bench.read_instructions [--tree <dir>] [--n 2000]

The last two rows are bench/workouts.lua's: its six queries in turn, each request a new seed (drawn from
``random.Random(20)``, so the counts repeat), without and with ``Accept-Encoding: gzip``, after 3,000 such
requests uncounted (a query's seeds are learnt as they come: ``app.workouts.generator.Seeds``).

``--tree`` measures another source tree (a before: ``git archive main | tar -x -C /tmp/before``)
with this venv's interpreter. Takes a few minutes: Python runs about 50 times slower under callgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
URLS = [
    ("/exercises", b""),
    ("/exercises/king-runner", b""),
    ("/workouts", b"goal=mobility&seed=7"),
    ("/workouts", FRESH := b"<bench/workouts.lua>&seed=<new>"),
    ("/workouts", FRESH_GZIP := b"<bench/workouts.lua>&seed=<new>, gzip"),
]
# bench/workouts.lua's queries, read from it (one list for the load test, these counts and the tests)
QUERIES = [q.encode() for q in re.findall(r'"(goal=[^"]*)"', (Path(__file__).parent / "workouts.lua").read_text())]
FRESH_WARM = 3000


SCOPE = {"type": "http", "method": "GET", "scheme": "http", "server": ("127.0.0.1", 8000), "root_path": "",
         "http_version": "1.1", "client": ("127.0.0.1", 1), "asgi": {"version": "3.0"}}


async def _receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _inner(n: int, without: list[str]) -> None:
    # (self-contained: the tree measured may not have this module, or the same bench helpers)
    from app.main import create_app
    from app.observability import AccessLog
    from app.settings import Settings

    # The access log is written every 256 lines, as under a bench's load, and never by the clock: no event loop
    # turn runs its timer here, and callgrind's slowness would otherwise make every request write.
    AccessLog.max_delay = float("inf")

    folder = tempfile.mkdtemp(prefix="hipflex-callgrind-")
    settings = Settings(database_url=f"sqlite:///{folder}/b.db", auto_migrate=True, log_level="info",
                        rate_limit_tenant="1000000/second", rate_limit_client="1000000/second")
    app = create_app(settings)
    app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ not in without]
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    draw = random.Random(20)
    gzip = [(b"host", b"bench"), (b"accept-encoding", b"gzip")]

    def requests(query: bytes, count: int) -> list[tuple[bytes, list[tuple[bytes, bytes]]]]:
        if query not in (FRESH, FRESH_GZIP):
            return [(query, [(b"host", b"bench")])] * count
        headers = gzip if query == FRESH_GZIP else [(b"host", b"bench")]
        return [(draw.choice(QUERIES) + b"&seed=%d" % draw.randrange(2**31), headers) for _ in range(count)]

    async with app.router.lifespan_context(app):
        for path, query in URLS * 2:  # a warm-up lap: caches filled, the access log's first flush done
            for raw, headers in requests(query, FRESH_WARM // 2 if query in (FRESH, FRESH_GZIP) else 50):
                sent.clear()
                scope = {**SCOPE, "path": path, "raw_path": path.encode(), "query_string": raw, "headers": headers}
                await app(scope, _receive, send)
            assert sent[0]["status"] == 200, sent[0]
        laps = [requests(query, n) for _, query in URLS]
        # Counting starts here (start-up ran uninstrumented, several times faster).
        subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
        for (path, _), lap in zip(URLS, laps, strict=True):
            os.getpgid(0)  # callgrind dumps here: what came before is not counted
            for raw, headers in lap:
                sent.clear()
                scope = {**SCOPE, "path": path, "raw_path": path.encode(), "query_string": raw, "headers": headers}
                await app(scope, _receive, send)
        os.getpgid(0)
    shutil.rmtree(folder, ignore_errors=True)
    from bench.bare import app as bare  # the yardstick, asked the same way

    scope = {**SCOPE, "path": "/", "raw_path": b"/", "query_string": b"", "headers": [(b"host", b"bench")]}
    for _ in range(50):
        await bare(dict(scope), _receive, send)
    os.getpgid(0)
    for _ in range(n):
        sent.clear()
        await bare({**SCOPE, "path": "/", "raw_path": b"/", "query_string": b"", "headers": [(b"host", b"bench")]},
                   _receive, send)
    os.getpgid(0)


def callgrind(tree: Path, script: str, arguments: list[str]) -> str:
    """Run ``script --inner arguments`` under callgrind with ``tree`` on the path; the dumps' common name."""
    out = os.path.join(tempfile.mkdtemp(prefix="hipflex-callgrind-"), "callgrind.out")
    env = {**os.environ, "PYTHONPATH": str(tree.resolve()), "PYTHONHASHSEED": "0"}
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-before=getpgid", "--instr-atstart=no",
         "--dump-instr=no", "--collect-jumps=no", sys.executable, script, "--inner", *arguments],
        cwd=tree, env=env, check=True, stderr=subprocess.DEVNULL,
    )
    return out


def _total(path: str) -> int:
    with open(path) as dump:
        for line in dump:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise ValueError(f"no totals in {path}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_instructions")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the source tree to measure (default: this one)")
    parser.add_argument("--n", type=int, default=2000, help="requests a URL")
    parser.add_argument("--without", action="append", default=[], help="a middleware class to leave out (repeatable)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            asyncio.run(_inner(args.n, args.without))
        return 0
    out = callgrind(args.tree, __file__, ["--n", str(args.n), *(f"--without={name}" for name in args.without)])
    # Dumps are numbered in order: the first holds start-up and warm-up, then one per URL, then the rest.
    dumps = sorted(glob.glob(out + ".*"), key=lambda name: int(name.rsplit(".", 1)[1].split("-")[0]))
    print(f"tree {args.tree}" + (f" without {', '.join(args.without)}" if args.without else ""))
    for (path, query), dump in zip(URLS, dumps[1:], strict=False):
        url = path + ("?" + query.decode() if query else "")
        print(f"{url:40s} {_total(dump) / args.n:10,.0f} instructions a request")
    print(f"{'bare Starlette GET /':40s} {_total(dumps[len(URLS) + 2]) / args.n:10,.0f} instructions a request")
    shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
