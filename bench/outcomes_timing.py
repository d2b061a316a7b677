"""The tenant outcome report on Postgres: 2,000 users, 200,000 logs (and 120,000 check-ins), without the API.

    .venv/bin/python -m bench.outcomes_timing [--users 2000] [--logs-per-user 100] [--requests 200] [--wrk 10]

Builds the tenant in a throw-away database with INSERT ... SELECT over generate_series (through the API
this would take an hour), starts hipflex on it, then times: the first GET /outcomes (computed), sequential
repeats (kept answers), the same at 16 connections with wrk, and a report after one new check-in (computed
again: what the first request after any change costs). Targets (issue 24): the first report <= 5 s, a
repeated one p99 <= 50 ms at 16 connections.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request

from sqlalchemy import create_engine, text

from bench.__main__ import Server, drop_postgres, fresh_postgres, hipflex, make_key, migrate, wrk

DAYS = 120  # the tenant's history: users start up to this many days ago

# Every user starts on a day of their own; logs and check-ins follow from there up to today.
SEED = [
    """INSERT INTO user_revisions (tenant, user_id, revision)
       SELECT 'bench', 'user-' || u, (random() * 1e15)::bigint FROM generate_series(1, :users) AS u""",
    """INSERT INTO logs (id, tenant, user_id, performed_at, pain_before, pain_after, session_rpe, entries,
                         created_at, updated_at)
       SELECT gen_random_uuid()::text, 'bench', 'user-' || u,
              now() - make_interval(days => (u % :days) * i / :per_user, hours => (i % 12)),
              (random() * 7)::int, (random() * 7)::int, 5, '[]'::json, now(), now()
       FROM generate_series(1, :users) AS u, generate_series(1, :per_user) AS i""",
    """INSERT INTO checkins (tenant, user_id, date, pain, created_at)
       SELECT 'bench', 'user-' || u, current_date - d, greatest(0, least(10, 6 - (:days - d) / 20 + (random() * 3)::int)),
              now()
       FROM generate_series(1, :users) AS u, generate_series(0, :days - 1, 2) AS d
       WHERE d <= u % :days""",
    "ANALYZE",
]


def _get(url: str, key: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - started) * 1000, body


def _line(name: str, spent: list[float]) -> str:
    spent = sorted(spent)
    p99 = spent[min(len(spent) - 1, round(0.99 * (len(spent) - 1)))]
    return f"{name:<46} n={len(spent):<4} p50 {statistics.median(spent):8.1f} ms  p99 {p99:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--logs-per-user", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--wrk", type=int, default=10, help="seconds of wrk at 16 connections (0: none)")
    args = parser.parse_args()
    url, name = fresh_postgres()
    try:
        migrate(url)
        key = make_key(url)
        engine = create_engine(url)
        started = time.perf_counter()
        with engine.begin() as connection:
            for sql in SEED:
                connection.execute(text(sql), {"users": args.users, "per_user": args.logs_per_user, "days": DAYS})
            logs = connection.execute(text("SELECT count(*) FROM logs")).scalar_one()
            checkins = connection.execute(text("SELECT count(*) FROM checkins")).scalar_one()
        engine.dispose()
        print(f"seeded {args.users} users, {logs} logs, {checkins} check-ins in {time.perf_counter() - started:.1f} s")
        server = hipflex(url)
        try:
            base = f"http://127.0.0.1:{server.port}"
            first, body = _get(base + "/outcomes", key)
            users = json.loads(body)["cohort"]["users"]
            print(f"first GET /outcomes (computed)                 {first:8.1f} ms  ({users} users in the report)")
            print(_line("repeated GET /outcomes (kept)", [_get(base + "/outcomes", key)[0] for _ in range(args.requests)]))
            filtered, _ = _get(base + "/outcomes?from=2026-01", key)
            print(f"a new filter (computed)                        {filtered:8.1f} ms")
            if args.wrk:
                bare = Server("bench.bare:app", {})
                try:
                    yardstick = wrk("bare", f"http://127.0.0.1:{bare.port}/", connections=16, duration=args.wrk)
                finally:
                    bare.stop()
                print(f"wrk -c16 {args.wrk}s bare Starlette (same run)      {yardstick.rps:7.0f} req/s  "
                      f"p50 {yardstick.p50_ms:7.2f} ms  p99 {yardstick.p99_ms:7.2f} ms")
                row = wrk("/outcomes", base + "/outcomes", connections=16, duration=args.wrk,
                          script="get_authorized.lua", env={"HIPFLEX_BENCH_KEY": key})
                print(f"wrk -c16 {args.wrk}s GET /outcomes (kept)          {row.rps:7.0f} req/s  p50 {row.p50_ms:7.2f} ms  "
                      f"p99 {row.p99_ms:7.2f} ms  errors {row.errors}  ({row.rps / yardstick.rps:.2f}x bare req/s)")
            after = []
            for day in range(3):
                request = urllib.request.Request(
                    base + "/users/user-1/checkins", method="POST",
                    data=json.dumps({"date": f"2030-01-0{day + 1}", "pain": 3}).encode(),
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                )
                urllib.request.urlopen(request, timeout=30).read()
                after.append(_get(base + "/outcomes", key)[0])
            print(_line("GET /outcomes after a new check-in (computed)", after))
            print(_line("GET /users/user-7/outcomes (computed, then kept)",
                        [_get(base + "/users/user-7/outcomes", key)[0] for _ in range(20)]))
        finally:
            server.stop()
    finally:
        drop_postgres(name)


if __name__ == "__main__":
    main()
