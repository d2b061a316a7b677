"""CPU time per log write, in one process: 16 writers at once through the whole app (the writer thread's
CPU included: ``time.process_time`` counts every thread), on a real SQLite file or Postgres.

    PYTHONPATH=<tree> .venv/bin/python -m bench.inprocess_logs [--postgres URL] [--keyed] [--profile FILE]

The body is bench/post_log.lua's five-entry log, to 500 rotating users.
"""
import argparse
import asyncio
import cProfile
import json
import tempfile
import time
from pathlib import Path

from app import keys
from app.main import create_app
from app.settings import Settings

BODY = (Path(__file__).parent / "post_log.lua").read_text().split("[[", 1)[1].split("]]", 1)[0].encode()
CONCURRENCY = 16


async def run(app, key: str, n: int, keyed: bool, start: int) -> float:
    auth = [(b"host", b"b"), (b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json")]

    async def one(i: int) -> None:
        sent = []
        async def receive(): return {"type": "http.request", "body": BODY, "more_body": False}
        async def send(m): sent.append(m)
        headers = [*auth, (b"idempotency-key", f"k-{start + i}".encode())] if keyed else auth
        path = f"/users/bench-user-{i % 500}/logs"
        scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "headers": headers, "scheme": "http", "server": ("127.0.0.1", 80), "root_path": "",
                 "http_version": "1.1", "client": ("127.0.0.1", 1)}
        await app(scope, receive, send)
        assert sent[0]["status"] == 201, (sent[0]["status"], sent[1]["body"])

    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            await one(i)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a Postgres URL (a fresh schema is the caller's)")
    parser.add_argument("--keyed", action="store_true", help="an Idempotency-Key on every write")
    parser.add_argument("--profile", help="write a cProfile of the measured rounds here")
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    url = args.postgres or f"sqlite:///{tempfile.mkdtemp()}/x.db"
    limits = {"rate_limit_tenant": "1000000/second", "rate_limit_client": "1000000/second"}  # as bench.__main__
    app = create_app(Settings(database_url=url, access_log=False, auto_migrate=True, **limits))

    async def go() -> None:
        async with app.router.lifespan_context(app):
            running = app.state.hipflex
            key, _ = keys.create(running.engine, "acme")
            await run(app, key, 300, args.keyed, 10**6)
            profile = cProfile.Profile() if args.profile else None
            best = (1e9, 1e9)
            for r in range(3):
                if profile:
                    profile.enable()
                cpu, wall = await run(app, key, args.n, args.keyed, r * args.n)
                if profile:
                    profile.disable()
                best = min(best, (cpu / args.n, wall / args.n))
            if profile:
                profile.dump_stats(args.profile)
            print(json.dumps({"cpu_us_per_write": round(best[0] * 1e6), "wall_us_per_write": round(best[1] * 1e6),
                              "keyed": args.keyed, "db": url.split(":")[0]}))

    asyncio.run(go())


if __name__ == "__main__":
    main()
