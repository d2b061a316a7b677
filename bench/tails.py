"""What makes a person-aware read's p99: a server that records each request, each GC pause and the event
loop's lag over time, driven by wrk as ``make bench`` drives it (16 connections, one worker).

    .venv/bin/python -m bench.tails [--database sqlite|postgres] [--route next|records|progress] [--duration 10]
        [--tree DIR]   # serve another source tree (a before tree) with this one's probe
    PYTHONPATH=<tree> .venv/bin/python -m bench.tails --first-lap [--database ...]
        # in-process CPU, no server: a new seed's shape (generator.variant) and a random-seed /workouts body,
        # then /next's answer alone (next_reply) over 1,000 new seeds and again over the same seeds (kept)

The server is the real app (``app.main:create_app``) wrapped by ``probed`` below, in the environment
``make bench`` gives it. At exit it writes, per request, when it arrived at the app and how long the app
took (ASGI call to the last body message); per GC collection, its generation and pause; and every 2 ms
the event loop's lag (how late a 1 ms sleep woke). The report splits the run by second and names the
slowest requests' neighbours, so a tail is seen where it happens (the first lap of new seeds, a GC, a
minute's turn) rather than guessed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = "HIPFLEX_TAILS_OUT"


def probed() -> Any:
    """``create_app()`` with the probe around it (a uvicorn factory)."""
    from app.main import create_app
    from app.state import state_of

    app = create_app()
    requests: list[tuple[float, float, str, float, int]] = []  # (arrived, took, path, wall clock, misses so far)
    pauses: list[tuple[float, int, float]] = []
    lags: list[tuple[float, float, float]] = []  # (when, lag, process CPU so far)
    started: dict[str, float] = {}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started["gc"] = time.perf_counter()
        else:
            pauses.append((started["gc"], info["generation"], time.perf_counter() - started["gc"]))

    gc.callbacks.append(on_gc)

    async def sample_lag() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append((before, time.perf_counter() - before - 0.001, time.process_time()))
            await asyncio.sleep(0.001)

    def dump() -> None:
        path = os.environ.get(OUT)
        if path:
            Path(path).write_text(json.dumps({"requests": requests, "gc": pauses, "lag": lags}), encoding="utf-8")

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            async def lifespan_send(message: Any) -> None:
                if message["type"] == "lifespan.startup.complete":
                    started["lag"] = asyncio.get_running_loop().create_task(sample_lag())  # type: ignore[assignment]
                if message["type"] == "lifespan.shutdown.complete":
                    dump()
                await send(message)

            await app(scope, receive, lifespan_send)
            return
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        begun, wall = time.perf_counter(), time.time()

        async def timed(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                misses = state_of(app).answers.stats.misses
                requests.append((begun, time.perf_counter() - begun, scope["path"], wall, misses))

        await app(scope, receive, timed)

    return wrapped


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def report(data: dict[str, Any], since: float) -> str:
    requests = [(r[0] - since, r[1] * 1000) for r in data["requests"] if r[0] >= since and r[2] != "/healthz"]
    lags = [(t - since, d * 1000) for t, d, _ in data["lag"] if t >= since]
    cpu = [(t - since, c) for t, _, c in data["lag"] if t >= since]
    pauses = [(t - since, g, d * 1000) for t, g, d in data["gc"] if t >= since]
    lines = [f"requests {len(requests)}: app p50 {_percentile([d for _, d in requests], 0.5):.1f} ms, "
             f"p99 {_percentile([d for _, d in requests], 0.99):.1f} ms, max {max(d for _, d in requests):.1f} ms"]
    lines.append(f"loop lag: p99 {_percentile([d for _, d in lags], 0.99):.1f} ms, max "
                 f"{max((d for _, d in lags), default=0):.1f} ms; over 5 ms: {sum(d > 5 for _, d in lags)}")
    by_gen = {g: [d for _, gg, d in pauses if gg == g] for g in (0, 1, 2)}
    lines.append("gc: " + ", ".join(f"gen{g} {len(ds)} (max {max(ds, default=0):.1f} ms, sum {sum(ds):.0f} ms)"
                                    for g, ds in by_gen.items()))
    lines.append("second | requests | app p50 | app p99 | app max | lag max | gc ms | CPU ms a request")
    end = max((t for t, _ in requests), default=0)
    for second in range(int(end) + 1):
        inside = [d for t, d in requests if second <= t < second + 1]
        lag = [d for t, d in lags if second <= t < second + 1]
        gcs = sum(d for t, _, d in pauses if second <= t < second + 1)
        spent = [c for t, c in cpu if second <= t < second + 1]
        per = (spent[-1] - spent[0]) * 1000 / len(inside) if len(spent) > 1 and inside else 0.0
        if inside:
            lines.append(f"{second:6} | {len(inside):8} | {_percentile(inside, 0.5):7.1f} | {_percentile(inside, 0.99):7.1f} "
                         f"| {max(inside):7.1f} | {max(lag, default=0):7.1f} | {gcs:5.0f} | {per:5.2f}")
    # The first 2,000 requests hold /next's first lap over 1,000 seeds (wrk's two threads each count their own)
    ordered = sorted(requests)
    for name, part in (("first 2,000", ordered[:2000]), ("the rest", ordered[2000:])):
        if len(part) > 1:
            spent = [c for t, c in cpu if part[0][0] <= t <= part[-1][0]]
            per = (spent[-1] - spent[0]) * 1000 / len(part) if len(spent) > 1 else 0.0
            lines.append(f"{name} requests: CPU {per:.2f} ms a request, app p50 "
                         f"{_percentile([d for _, d in part], 0.5):.1f} ms, p99 {_percentile([d for _, d in part], 0.99):.1f} ms")
    slow = sorted(requests, key=lambda r: -r[1])[: max(1, len(requests) // 100)]
    first = [t for t, _ in slow]
    lines.append(f"the slowest 1% ({len(slow)}): from {min(first):.2f} s to {max(first):.2f} s; "
                 f"in the first second {sum(t < 1 for t in first)}, the first 3 s {sum(t < 3 for t in first)}")
    return "\n".join(lines)


def first_lap(database: str) -> None:
    """In-process CPU a request, the least noisy figure on a shared machine (see the module docstring)."""
    from fastapi.testclient import TestClient

    from app import keys, migrations
    from app.api import coaching as api
    from app.api.fastpath import Call
    from app.catalogue import load_catalogue
    from app.main import create_app
    from app.settings import Settings
    from app.state import state_of
    from app.workouts import WorkoutQuery, generate_json
    from app.workouts.generator import variant
    from bench.__main__ import drop_postgres, fresh_postgres
    from bench.coaching import USER
    from bench.coaching_timing import _seed

    settings = Settings()
    catalogue = load_catalogue(settings.catalogue_path, settings.catalogue_mode)
    query = WorkoutQuery(goal="rehab", equipment=["mini_band", "bench"])
    best: dict[str, float] = {}
    for rep in range(5):  # fresh seeds each round; the shapes are made in the first
        for name, make in (("variant", variant), ("generate_json", generate_json)):
            offset = (10**5 if name == "generate_json" else 0) + rep * 1000
            cpu = time.process_time()
            for seed in range(offset, offset + 1000):
                make(catalogue, query, seed)
            best[name] = min(best.get(name, 1e9), time.process_time() - cpu)
    print(f"a new seed, CPU (best of 5 x 1,000): variant {best['variant']:.3f} ms, "
          f"generate_json {best['generate_json']:.3f} ms")
    pg_name = None
    if database == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hipflex-tails-')) / 'bench.db'}"
    else:
        url, pg_name = fresh_postgres()
    try:
        migrations.upgrade(url)
        from sqlalchemy import create_engine

        engine = create_engine(url)
        key, _ = keys.create(engine, "bench")
        engine.dispose()
        app = create_app(Settings(database_url=url, access_log=False, rate_limits=False))
        with TestClient(app) as client:
            _seed(client, key)
            state = state_of(app)
            for lap in ("first lap", "kept", "kept"):
                calls = [
                    Call(state, {"headers": [], "query_string": b""}, {"user_id": USER},
                         api.NextParams.model_validate({"goal": "rehab", "equipment": "mini_band,bench", "seed": seed}),
                         None, "bench")
                    for seed in range(1000)
                ]
                cpu = time.process_time()
                for call in calls:
                    api.next_reply(call)
                print(f"next_reply alone, {database}, {lap}: {time.process_time() - cpu:.3f} ms CPU a request")
    finally:
        if pg_name is not None:
            drop_postgres(pg_name)


def main() -> int:
    from bench import coaching, history
    from bench.__main__ import ROOT, UNREACHED_LIMITS, drop_postgres, fresh_postgres, make_key, migrate, wrk
    from bench.ab import TreeServer

    parser = argparse.ArgumentParser(prog="python -m bench.tails")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--route", choices=["next", "records", "progress"], default="next")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1, help="wrk runs on the same server (the first has the new seeds)")
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--first-lap", action="store_true", help="in-process CPU of /next's first lap, no server")
    args = parser.parse_args()
    if args.first_lap:
        first_lap(args.database)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="hipflex-tails-"))
    pg_name = None
    if args.database == "sqlite":
        url = f"sqlite:///{folder / 'bench.db'}"
    else:
        url, pg_name = fresh_postgres()
    out = folder / "probe.json"
    try:
        migrate(url)
        key = make_key(url)
        env = {"HIPFLEX_DATABASE_URL": url, "HIPFLEX_LOG_LEVEL": "info", "HIPFLEX_ACCESS_LOG": "true",
               "HIPFLEX_FAST_PATH": "true", **UNREACHED_LIMITS, OUT: str(out)}
        server = TreeServer(args.tree.resolve(), env, app="bench.tails:probed")
        base = f"http://127.0.0.1:{server.port}"
        try:
            if args.route == "next":
                coaching.seed_user(server.port, key)
                target, script = base, "next_workout.lua"
            else:
                user = history.seed(base, key)
                history.analyze(url)
                path = "/records" if args.route == "records" else "/progress?window=90d&tz=Europe/Berlin"
                target, script = base + user + path, "get_authorized.lua"
            wrk_env = {"HIPFLEX_BENCH_KEY": key, "HIPFLEX_BENCH_USER": coaching.USER}
            marks = []
            for _ in range(args.runs):
                marks.append(time.perf_counter())
                row = wrk(args.route, target, connections=16, duration=args.duration, script=script, env=wrk_env)
                print(f"wrk: {row.rps:,.0f} req/s, p50 {row.p50_ms:.2f} ms, p99 {row.p99_ms:.2f} ms, "
                      f"errors {row.errors}; load {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            server.stop()
        data = json.loads(out.read_text(encoding="utf-8"))
        for mark in marks:
            # (perf_counter is the same clock in both processes: CLOCK_MONOTONIC)
            window = {**data, "requests": [r for r in data["requests"] if mark <= r[0] < mark + args.duration + 1]}
            if window["requests"]:
                print(f"(run began at {time.strftime('%H:%M:%S', time.gmtime(window['requests'][0][3]))} UTC; "
                      f"probe data: {out})")
            print(report(window, mark))
    finally:
        if pg_name is not None:
            drop_postgres(pg_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
