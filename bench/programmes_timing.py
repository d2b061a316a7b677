"""Programmes (issue 22's targets), without make bench.

    .venv/bin/python -m bench.programmes_timing [--database sqlite|postgres] [--requests 40] [--wrk 10]

GET /programmes for 12 weeks x 4 days: each request a new seed (computed every time: target <= 100 ms),
then one seed again and again (the kept answer; with ``--wrk``, beside bare Starlette's /: target >= 0.5x).
Then one user with a 16-week programme and 2,000 logs through the API: GET .../today for dates one after
another (each a new answer: what the first request of a day costs) and for one date (the kept answer);
with ``--wrk N``: wrk, 16 connections, N seconds (target p99 <= 30 ms). It prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.__main__ import Server, drop_postgres, fresh_postgres, hipflex, make_key, migrate, wrk
from bench.progress_timing import _line, _times

USER = "/users/bench-planned"
LOGS = 2000
PLAN = "/programmes?goal=strength&weeks=12&days_per_week=4&start=2026-12-07&tz=Europe/Berlin"


def _post(url: str, key: str, body: dict[str, object]) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201, response.status
        answer: dict[str, object] = json.loads(response.read())
        return answer


def seed(base: str, key: str) -> str:
    """A 16-week strength programme from 2026-09-07 and 2,000 logs over its weeks; the programme's path."""
    body = {"goal": "strength", "weeks": 16, "days_per_week": 4, "start": "2026-09-07", "tz": "Europe/Berlin",
            "seed": 1}
    programme = _post(f"{base}{USER}/programmes", key, body)
    start = datetime(2026, 9, 7, 6, tzinfo=UTC)
    for n in range(LOGS):
        _post(f"{base}{USER}/logs", key, {
            "performed_at": (start + timedelta(minutes=80 * n)).isoformat(), "pain_after": n % 3, "session_rpe": 6,
            "duration_minutes": 20,
            "entries": [{"exercise": "core-brace", "sets": [{"reps": 10, "hold_seconds": 10, "rpe": 6}] * 2},
                        {"exercise": "lying-leg-raise", "sets": [{"reps": 8, "rpe": 6}] * 3}],
        })
    return str(programme["self"])


def _each(urls: list[str], key: str) -> list[float]:
    return [spent for url in urls for spent in _times(url, key, 1)]


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
        server = hipflex(url)
        bare = Server("bench.bare:app", {})
        try:
            base = f"http://127.0.0.1:{server.port}"
            plans = [f"{base}{PLAN}&seed={n}" for n in range(args.requests)]
            print(_line("GET /programmes 12x4, a new seed each", _each(plans, key)))
            print(_line("GET /programmes 12x4, kept", _times(plans[0], key, args.requests)))
            started = time.perf_counter()
            path = seed(base, key)
            print(f"seeded a programme and {LOGS} logs in {time.perf_counter() - started:.0f} s ({args.database})")
            days = [f"{base}{path}/today?date={date(2026, 10, 1) + timedelta(days=n)}" for n in range(args.requests)]
            print(_line("today, 2,000 logs, a new date each", _each(days, key)))
            print(_line("today, 2,000 logs, kept", _times(days[0], key, args.requests)))
            if args.wrk:
                rows = [("programmes kept", plans[0]), ("today kept", days[0]),
                        ("bare Starlette", f"http://127.0.0.1:{bare.port}/")]
                for name, target in rows:
                    row = wrk(name, target, connections=16, duration=args.wrk, script="get_authorized.lua", env=env)
                    print(f"wrk -c16 {args.wrk}s {name:<16}: {row.rps:7.0f} req/s  p50 {row.p50_ms:7.2f} ms  "
                          f"p99 {row.p99_ms:7.2f} ms  errors {row.errors}")
        finally:
            server.stop()
            bare.stop()
    finally:
        if pg_name is not None:
            drop_postgres(pg_name)


if __name__ == "__main__":
    main()
