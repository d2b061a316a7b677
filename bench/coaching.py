"""The coach's rows: GET /users/{id}/workouts/next for a user with 2,000 logs (SQLite and Postgres,
16 connections, target p99 <= 30 ms) and POST /workouts/adapt with a 30-session history (target
>= 0.3x bare Starlette).

    .venv/bin/python -m bench.coaching [--duration 10]   # these rows alone, beside bare Starlette

``make bench`` runs them too. The user's logs go in through the real API, two a day back from today,
so the 42-day window holds more than the 60 sessions read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

USER = "bench-coached"
LOGS = 2000
EXERCISES = ["prone-leg-lift-straight-leg", "core-brace", "isometric-hip-flexion-mini-band", "side-plank-clamshell"]


def session(when: dt.datetime, n: int) -> dict[str, Any]:
    return {
        "performed_at": when.isoformat(),
        "duration_minutes": 20,
        "session_rpe": 5 + n % 3,
        "pain_before": n % 3,
        "pain_after": (n + 1) % 4,
        "entries": [
            {"exercise": slug, "sets": [{"reps": 8 + n % 3, "hold_seconds": 3 + n % 3, "rpe": 5 + n % 4}] * 2}
            for slug in EXERCISES[n % 2 :]
        ],
    }


def history(count: int) -> list[dict[str, Any]]:
    """``count`` sessions, two a day, the newest this morning (UTC)."""
    today = dt.datetime.now(dt.UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    return [session(today - dt.timedelta(hours=12 * n), n) for n in range(count)]


def seed_user(port: int, key: str, count: int = LOGS) -> None:
    def post(body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/users/{USER}/logs",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, history(count)))


def adapt_body(directory: Path) -> Path:
    path = directory / "adapt.json"
    body = {"goal": "rehab", "equipment": ["mini_band", "bench"], "history": history(30)}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def rows(base_rps: float, duration: int, database_url: str, key: str, label: str, with_adapt: bool) -> list[Any]:
    from bench.__main__ import hipflex, wrk

    found = []
    server = hipflex(database_url)
    url = f"http://127.0.0.1:{server.port}"
    try:
        seed_user(server.port, key)
        env = {"HIPFLEX_BENCH_KEY": key, "HIPFLEX_BENCH_USER": USER}
        found.append(wrk(f"`GET /users/{{id}}/workouts/next` {label}, 2,000 logs", url, connections=16,
                         duration=duration, script="next_workout.lua", env=env))
        if with_adapt:
            body = adapt_body(Path(tempfile.mkdtemp(prefix="hipflex-bench-adapt-")))
            result = wrk("`POST /workouts/adapt`, 30 sessions", url + "/workouts/adapt", connections=32,
                         duration=duration, script="adapt_varied.lua", env={"HIPFLEX_BENCH_BODY": str(body)})
            result.ratio = result.rps / base_rps
            found.append(result)
    finally:
        server.stop()
    return found


def main() -> int:
    from bench.__main__ import Server, drop_postgres, fresh_postgres, make_key, migrate, wrk

    parser = argparse.ArgumentParser(prog="python -m bench.coaching")
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    bare = Server("bench.bare:app", {})
    base = wrk("bare Starlette `GET /`", f"http://127.0.0.1:{bare.port}/", connections=32, duration=args.duration)
    bare.stop()
    found = [base]
    sqlite_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hipflex-bench-')) / 'bench.db'}"
    migrate(sqlite_url)
    found += rows(base.rps, args.duration, sqlite_url, make_key(sqlite_url), "SQLite", with_adapt=True)
    pg_url, pg_name = fresh_postgres()
    try:
        migrate(pg_url)
        found += rows(base.rps, args.duration, pg_url, make_key(pg_url), "Postgres", with_adapt=False)
    finally:
        drop_postgres(pg_name)
    print("| endpoint | requests/s | p50 ms | p99 ms | errors | × bare Starlette |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in found:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        print(f"| {r.name} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
