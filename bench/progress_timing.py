"""Quick timings of the progress reads for one user with 2,000 logs (20,000 sets), without wrk.

    .venv/bin/python -m bench.progress_timing [--database sqlite|postgres] [--requests 40] [--wrk 10]

Seeds the history through the API (bench/history.py), then times sequential requests to
`/records` and `/progress?window=90d` over loopback: answered from the answer cache (hits), and
by a second server with the cache off (HIPFLEX_ANSWER_CACHE_BYTES=0: every request a miss, what
a request costs after each change to the user's data). With ``--wrk N``: also `make bench`'s two
progress rows (wrk, 16 connections, N seconds) on the cached server. Then the store's records query
in-process and its plan. For looking at a change; the targets are judged by `make bench`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

from app.progress import reports, store
from app.progress.records import Metric
from bench import history
from bench.__main__ import UNREACHED_LIMITS, Server, drop_postgres, fresh_postgres, hipflex, make_key, migrate, wrk

PATHS = ("/records", "/progress?window=90d&tz=Europe/Berlin")


def _times(url: str, key: str, count: int) -> list[float]:
    headers = {"Authorization": f"Bearer {key}"}
    spent = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
            response.read()
            assert response.status == 200, response.status
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def _line(name: str, spent: list[float]) -> str:
    spent = sorted(spent)
    p99 = spent[min(len(spent) - 1, round(0.99 * (len(spent) - 1)))]
    return f"{name:<44} n={len(spent):<3} p50 {statistics.median(spent):7.1f} ms  p99 {p99:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--wrk", type=int, default=0, help="seconds of wrk per progress row (0: none)")
    args = parser.parse_args()
    pg_name = None
    if args.database == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hipflex-timing-')) / 'bench.db'}"
    else:
        url, pg_name = fresh_postgres()
    try:
        migrate(url)
        key = make_key(url)
        server = hipflex(url)
        try:
            base = f"http://127.0.0.1:{server.port}"
            started = time.perf_counter()
            user = history.seed(base, key)
            history.analyze(url)
            print(f"seeded 2,000 logs in {time.perf_counter() - started:.0f} s ({args.database})")
            for path in PATHS:
                _times(base + user + path, key, 3)  # warm
                print(_line(f"{path} (hits)", _times(base + user + path, key, args.requests)))
            if args.wrk:
                env = {"HIPFLEX_BENCH_KEY": key}
                for path in PATHS:
                    row = wrk(path, base + user + path, connections=16, duration=args.wrk,
                              script="get_authorized.lua", env=env)
                    print(f"wrk -c16 {args.wrk}s {path:<38} {row.rps:7.0f} req/s  p50 {row.p50_ms:7.2f} ms  "
                          f"p99 {row.p99_ms:7.2f} ms  errors {row.errors}")
        finally:
            server.stop()
        uncached = Server("app.main:create_app", {
            "HIPFLEX_DATABASE_URL": url, "HIPFLEX_LOG_LEVEL": "info", "HIPFLEX_ACCESS_LOG": "true",
            "HIPFLEX_ANSWER_CACHE_BYTES": "0", **UNREACHED_LIMITS,
        }, factory=True)
        try:
            base = f"http://127.0.0.1:{uncached.port}"
            for path in PATHS:
                _times(base + user + path, key, 2)
                print(_line(f"{path} (misses: cache off)", _times(base + user + path, key, max(5, args.requests // 4))))
        finally:
            uncached.stop()
        engine = create_engine(url)
        spent = []
        for _ in range(args.requests):
            started = time.perf_counter()
            reports.records(engine, "bench", history.USER)
            spent.append((time.perf_counter() - started) * 1000)
        print(_line("in-process reports.records", spent))
        with engine.connect() as connection:
            explain = "EXPLAIN QUERY PLAN " if args.database == "sqlite" else "EXPLAIN ANALYZE "
            sql = store._records_sql(connection.dialect.name, "", list(Metric))
            for row in connection.execute(text(explain + sql), {"tenant": "bench", "user_id": history.USER}):
                print("  ", *row)
        engine.dispose()
    finally:
        if pg_name is not None:
            drop_postgres(pg_name)


if __name__ == "__main__":
    main()
