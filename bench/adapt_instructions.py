"""Instructions per POST /workouts/adapt (30 sessions, each request a different history: every set's RPE rewritten,
as bench/adapt_varied.lua does), whole and by stage, counted by callgrind (as bench.read_instructions counts reads).

    .venv/bin/python -m bench.adapt_instructions [--tree <dir>] [--n 20]

Whole requests go through the app as ASGI (access log on), with the thread hop made a direct call so that the
route's work is counted in this thread; then the stages alone on the same bodies: the body gate's JSON parse, the
lean validation (app.api.posted_history) and the coach's answer (``adapted_answer``: decision and serialisation).
The body carries ``seed: 7`` so that every request plans the same workout (the bench's draws one). ``--tree``: a
before tree (``git archive main | tar -x -C /tmp/before``) measured with this venv's interpreter (its app and
bench helpers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

STAGES = ["whole request (ASGI)", "bodies.parse", "lean validation", "adapted_answer"]


async def _inner(n: int) -> None:
    import anyio.to_thread

    import app.api.fastpath
    from app.api import bodies, posted_history
    from app.api.coaching import AdaptRequest, adapted_answer
    from app.main import create_app
    from app.observability import AccessLog
    from app.settings import Settings
    from app.state import state_of
    from bench.coaching import history
    from bench.coaching_timing import varied

    AccessLog.max_delay = float("inf")  # (as bench.read_instructions: written every 256 lines, never by the clock)

    async def direct(func: Any, *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = direct  # type: ignore[assignment]
    app.api.fastpath.to_thread.run_sync = direct  # type: ignore[assignment]
    folder = tempfile.mkdtemp(prefix="hipflex-callgrind-")
    api = create_app(Settings(database_url=f"sqlite:///{folder}/b.db", auto_migrate=True, log_level="info",
                              rate_limit_tenant="1000000/second", rate_limit_client="1000000/second"))
    template = json.dumps({"goal": "rehab", "equipment": ["mini_band", "bench"], "history": history(30), "seed": 7})
    raw = [varied(template, i).encode() for i in range(n + 20)]
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def one(body: bytes) -> None:
        sent.clear()
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Any:
            return pending.pop() if pending else {"type": "http.disconnect"}

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/workouts/adapt", "raw_path": b"/workouts/adapt", "root_path": "",
                 "query_string": b"", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000),
                 "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())]}
        await api(scope, receive, send)
        assert sent[0]["status"] == 200, sent

    async with api.router.lifespan_context(api):
        for body in raw[:20]:  # warm: caches filled, the access log's first flush done
            await one(body)
        catalogue, metrics = state_of(api).catalogue, state_of(api).metrics
        values = [bodies.parse(body) for body in raw[:n]]
        requests = [posted_history.validate(AdaptRequest, value) for value in values]
        adapted_answer(catalogue, requests[0], metrics)
        subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
        os.getpgid(0)  # callgrind dumps here: what came before is not counted
        for body in raw[20:20 + n]:
            await one(body)
        os.getpgid(0)
        for body in raw[:n]:
            bodies.parse(body)
        os.getpgid(0)
        for value in values:
            posted_history.validate(AdaptRequest, value)
        os.getpgid(0)
        for request in requests:
            adapted_answer(catalogue, request, metrics)
        os.getpgid(0)
    shutil.rmtree(folder, ignore_errors=True)


def _total(path: str) -> int:
    with open(path) as dump:
        for line in dump:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise ValueError(f"no totals in {path}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.adapt_instructions")
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--n", type=int, default=20, help="requests (and calls of each stage)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            asyncio.run(_inner(args.n))
        return 0
    from bench.read_instructions import callgrind  # (here: the inner run imports from the tree it counts)

    out = callgrind(args.tree, __file__, ["--n", str(args.n)])
    dumps = sorted(glob.glob(out + ".*"), key=lambda name: int(name.rsplit(".", 1)[1].split("-")[0]))
    print(f"tree {args.tree}")
    for name, dump in zip(STAGES, dumps[1:], strict=False):
        print(f"  {name:<22} {_total(dump) / args.n:12,.0f} instructions")
    shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
