"""Trends for one user with 500 assessments (issue 23's target: p99 <= 50 ms at 16 connections), without make bench.

    .venv/bin/python -m bench.assessments_timing [--database sqlite|postgres] [--requests 40] [--wrk 10]

Seeds 500 modified-Thomas-test sessions (two methods, three kinds of rater, both sides, up to three
trials a side) through the API, then times sequential GET .../assessments/trends requests over loopback:
from the answer cache (hits), and by a second server with the cache off (every request a miss: what
the first request after each new assessment costs). With ``--wrk N``: wrk, 16 connections, N seconds,
on both servers, and on bare Starlette first (the ratio's yardstick, same run). For looking at a change; it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.__main__ import Server, drop_postgres, fresh_postgres, hipflex, make_key, migrate, wrk
from bench.progress_timing import _line, _times

USER = "/users/bench-assessed"
PATH = "/assessments/trends?test=modified-thomas-hip"
SESSIONS = 500


def seed(base: str, key: str, sessions: int = SESSIONS) -> None:
    rng = random.Random(23)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for n in range(sessions):
        trials = [
            {"side": side, "thigh_angle": round(rng.uniform(-15, 15), 1)}
            for side in ("left", "right")
            for _ in range(rng.randint(1, 3))
        ]
        body = {
            "test": "modified-thomas-hip",
            "performed_at": (start + timedelta(hours=17 * n)).isoformat(),
            "method": rng.choice(["inclinometer", "goniometer"]),
            "rater": rng.choice(["self", "helper", "clinician"]),
            "trials": trials,
        }
        request = urllib.request.Request(
            f"{base}{USER}/assessments", data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 201, response.status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--wrk", type=int, default=0, help="seconds of wrk per row (0: none)")
    args = parser.parse_args()
    pg_name = None
    if args.database == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hipflex-timing-')) / 'bench.db'}"
    else:
        url, pg_name = fresh_postgres()
    try:
        migrate(url)
        key = make_key(url)
        env = {"HIPFLEX_BENCH_KEY": key}
        cached = hipflex(url)
        uncached = Server("app.main:create_app", {
            "HIPFLEX_DATABASE_URL": url, "HIPFLEX_LOG_LEVEL": "info", "HIPFLEX_ACCESS_LOG": "true",
            "HIPFLEX_ANSWER_CACHE_BYTES": "0",
        }, factory=True)
        try:
            started = time.perf_counter()
            seed(f"http://127.0.0.1:{cached.port}", key)
            print(f"seeded {SESSIONS} assessments in {time.perf_counter() - started:.0f} s ({args.database})")
            yardstick = None
            if args.wrk:  # the ratio's yardstick, measured in the same run (the machine's load moves)
                bare = Server("bench.bare:app", {})
                try:
                    yardstick = wrk("bare", f"http://127.0.0.1:{bare.port}/", connections=16, duration=args.wrk)
                finally:
                    bare.stop()
                print(f"wrk -c16 {args.wrk}s bare Starlette (same run): {yardstick.rps:7.0f} req/s  "
                      f"p50 {yardstick.p50_ms:7.2f} ms  p99 {yardstick.p99_ms:7.2f} ms")
            for name, server in (("hits", cached), ("misses: cache off", uncached)):
                target = f"http://127.0.0.1:{server.port}{USER}{PATH}"
                _times(target, key, 3)  # warm
                print(_line(f"trends, 500 sessions ({name})", _times(target, key, args.requests)))
                if args.wrk:
                    row = wrk(PATH, target, connections=16, duration=args.wrk, script="get_authorized.lua", env=env)
                    print(f"wrk -c16 {args.wrk}s trends ({name}): {row.rps:7.0f} req/s  p50 {row.p50_ms:7.2f} ms  "
                          f"p99 {row.p99_ms:7.2f} ms  errors {row.errors}"
                          + (f"  ({row.rps / yardstick.rps:.2f}x bare req/s)" if yardstick else ""))
        finally:
            cached.stop()
            uncached.stop()
    finally:
        if pg_name is not None:
            drop_postgres(pg_name)


if __name__ == "__main__":
    main()
