"""Where a coach request's time goes, without the noise wrk suffers on a shared machine.

    .venv/bin/python -m bench.coaching_timing [--database sqlite|postgres] [--repeat 200]
        stage by stage, in-process (wall and CPU per call), and whole requests through TestClient
    ... --profile adapt|next      cProfile of whole requests driven in one thread (ASGI, no thread pool)
    ... --server                  a real uvicorn server's CPU per request (/proc), one request at a time,
                                  beside bare Starlette and GET /workouts
    ... --adapt-wrk 1 32          POST /workouts/adapt (each a different history) through wrk at those
                                  connections, with the server's CPU per request
    ... --adapt-fairness          a cached read's latency beside POST /workouts/adapt at 16 connections, with the
                                  answer in a worker thread (as served) and on the event loop (inline_app), in turn
    ... --database-url URL --key KEY [--server | --wrk 1 16]
                                  the same on an already seeded database (no seeding); --wrk: /next
                                  through wrk at those connections, with the server's CPU per request

Seeds the bench user (2,000 logs, two a day, through the real API, as bench/coaching.py does). The
targets are judged by the wrk rows (bench/coaching.py); this is for finding where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import re
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app import keys, migrations
from app.api import coaching as api
from app.api import posted_history
from app.catalogue import load_catalogue
from app.coaching import adapt, session_of, session_of_model
from app.coaching.history import recent
from app.main import create_app
from app.settings import Settings
from app.state import state_of
from app.workouts import WorkoutQuery, generate
from bench.__main__ import drop_postgres, fresh_postgres
from bench.coaching import EXERCISES, LOGS, USER, adapt_body, history

PARAMS = {"goal": "rehab", "equipment": ["mini_band", "bench"]}
JSON = {"Content-Type": "application/json"}


def _mean_ms(repeat: int, call: Callable[[], Any]) -> tuple[float, float]:
    """(wall, CPU of this process) per call, in ms: the CPU time is what a shared machine's load changes least."""
    call()  # warm
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) * 1000 / repeat, (time.process_time() - cpu) * 1000 / repeat


def _seed(client: TestClient, key: str) -> None:
    headers = {"Authorization": f"Bearer {key}"}

    def post(body: dict[str, Any]) -> None:
        answer = client.post(f"/users/{USER}/logs", json=body, headers=headers)
        assert answer.status_code == 201, answer.text

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(post, history(LOGS)))


def stages(client: TestClient, key: str, repeat: int) -> list[tuple[str, tuple[float, float]]]:
    app: Any = client.app
    engine, catalogue = state_of(app).engine, load_catalogue()
    today = dt.datetime.now(dt.UTC).date()
    body = {**PARAMS, "history": history(30), "seed": 7, "today": today.isoformat()}
    raw = json.dumps(body).encode()
    request = api.AdaptRequest.model_validate_json(raw)
    value = json.loads(raw)
    slugs = [[entry.exercise for entry in log.entries] for log in request.history]
    query = WorkoutQuery.model_validate(PARAMS | {"seed": 7})
    workout = generate(catalogue, query, 7)
    posted = [log.model_dump() for log in request.history]
    stored = api.stored_history(engine, "bench", USER, today)
    sessions = recent((session_of(log) for log in stored), today)
    checkins = api.stored_checkins(engine, "bench", USER, today)
    adapted = adapt(workout, sessions, checkins, catalogue, today=today)
    headers = {"Authorization": f"Bearer {key}"}
    next_url = f"/users/{USER}/workouts/next?goal=rehab&equipment=mini_band,bench&seed=7&today={today}"
    assert client.post("/workouts/adapt", content=raw, headers=JSON).status_code == 200
    assert client.get(next_url, headers=headers).status_code == 200
    found = [
        ("adapt: AdaptRequest.model_validate_json (30 logs)", lambda: api.AdaptRequest.model_validate_json(raw)),
        ("adapt: lean validation (posted_history, 30 logs)", lambda: posted_history.validate(api.AdaptRequest, value)),
        ("adapt: check_history", lambda: api.check_history(slugs, catalogue)),
        ("adapt: history model_dump (before: the door dumped)", lambda: [log.model_dump() for log in request.history]),
        ("adapt: session_of of the dumps + recent (30)", lambda: recent((session_of(log) for log in posted), today)),
        ("adapt: session_of_model + recent (30)", lambda: recent([session_of_model(x) for x in request.history], today)),
        ("next: stored_history (logs.recent, 60)", lambda: api.stored_history(engine, "bench", USER, today)),
        ("next: session_of + recent (60)", lambda: recent((session_of(log) for log in stored), today)),
        ("next: stored_checkins", lambda: api.stored_checkins(engine, "bench", USER, today)),
        ("both: generate", lambda: generate(catalogue, query, 7)),
        ("both: adapt (60 sessions)", lambda: adapt(workout, sessions, checkins, catalogue, today=today)),
        ("both: model_dump_json", lambda: adapted.model_dump_json()),
        ("whole: POST /workouts/adapt (TestClient)", lambda: client.post("/workouts/adapt", content=raw, headers=JSON)),
        ("whole: GET /workouts/next (TestClient)", lambda: client.get(next_url, headers=headers)),
        ("whole: GET /workouts (TestClient)", lambda: client.get("/workouts?goal=rehab&equipment=mini_band,bench&seed=7")),
    ]
    return [(name, _mean_ms(repeat, call)) for name, call in found]


def profile(app: Any, key: str, which: str, repeat: int) -> None:
    """cProfile of whole requests, driven in this thread: the app through httpx's ASGI transport, with
    FastAPI's thread pool replaced by a direct call so that the route's own work shows in the profile."""
    import asyncio

    import fastapi.dependencies.utils
    import fastapi.routing
    import httpx

    async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    setattr(fastapi.routing, "run_in_threadpool", inline)  # noqa: B010
    setattr(fastapi.dependencies.utils, "run_in_threadpool", inline)  # noqa: B010
    today = dt.datetime.now(dt.UTC).date()
    raw = json.dumps({**PARAMS, "history": history(30), "seed": 7, "today": today.isoformat()}).encode()
    headers = {"Authorization": f"Bearer {key}"}
    next_url = f"/users/{USER}/workouts/next?goal=rehab&equipment=mini_band,bench&seed=7&today={today}"

    async def run() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

                async def call() -> None:
                    if which == "adapt":
                        answer = await client.post("/workouts/adapt", content=raw, headers=JSON)
                    else:
                        answer = await client.get(next_url, headers=headers)
                    assert answer.status_code == 200, answer.text

                await call()
                started, cpu = time.perf_counter(), time.process_time()
                for _ in range(repeat):
                    await call()
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                print(f"{which}: {wall * 1000 / repeat:.2f} ms wall, {cpu * 1000 / repeat:.2f} ms CPU a request, unprofiled")
                profiler = cProfile.Profile(time.process_time)  # CPU time: less noise from other load
                profiler.enable()
                for _ in range(repeat):
                    await call()
                profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)
        profiler.dump_stats(f"/tmp/coach-{which}.prof")

    asyncio.run(run())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _request(connection: Any, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> None:
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 200, answer.status


def server_cpu(url: str, key: str, count: int) -> list[tuple[str, float]]:
    """CPU of a real uvicorn server (one worker, as ``make bench`` runs it) per request, from /proc: requests one
    at a time over one kept-alive connection. What the server spends, whatever else runs on the machine."""
    import http.client

    from bench.__main__ import Server, hipflex

    today = dt.datetime.now(dt.UTC).date()
    raw = json.dumps({**PARAMS, "history": history(30)})
    auth = {"Authorization": f"Bearer {key}"}
    found = []
    for name, app, method, target, body, headers in [
        ("bare Starlette GET /", "bare", "GET", "/", None, {}),
        ("GET /workouts (random seeds)", "hipflex", "GET", "/workouts?goal=rehab&equipment=mini_band,bench", None, {}),
        ("POST /workouts/adapt, 30 sessions (varied)", "hipflex", "POST", "/workouts/adapt", raw, JSON),
        ("GET /users/{id}/workouts/next, 2,000 logs", "hipflex", "GET",
         f"/users/{USER}/workouts/next?goal=rehab&equipment=mini_band,bench&today={today}&seed=", None, auth),
    ]:
        server = Server("bench.bare:app", {}) if app == "bare" else hipflex(url)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            paths = [target + str(n % 1000) if target.endswith("seed=") else target for n in range(30 + count)]
            # each adapt request a different history, as bench/adapt_varied.lua sends them (made beforehand)
            bodies = [None if body is None else varied(body, n).encode() for n in range(30 + count)]
            for path, sent in zip(paths[:30], bodies, strict=False):
                _request(connection, method, path, sent, headers)
            before = _cpu_seconds(server.process.pid)
            for path, sent in zip(paths[30:], bodies[30:], strict=True):
                _request(connection, method, path, sent, headers)
            found.append((name, (_cpu_seconds(server.process.pid) - before) * 1000 / count))
            connection.close()
        finally:
            server.stop()
    return found


def varied(template: str, n: int) -> str:
    """``template`` with every set's RPE rewritten from ``n``, as bench/adapt_varied.lua does for request n."""
    count = 0

    def rpe(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f'"rpe": {4 + (n + count) % 6}'

    return re.sub(r'"rpe": \d+', rpe, template)


def server_cpu_under_wrk(url: str, key: str, connections: int, duration: int = 5, route: str = "next") -> str:
    """GET /users/{id}/workouts/next (bench/next_workout.lua) or POST /workouts/adapt, each request a different
    30-session history (bench/adapt_varied.lua), through wrk at ``connections``: the server's CPU per
    request under concurrency, beside wrk's own figures."""
    import subprocess

    from bench.__main__ import ROOT, hipflex

    server = hipflex(url)
    try:
        env = {**os.environ, "HIPFLEX_BENCH_KEY": key, "HIPFLEX_BENCH_USER": USER}
        base = f"http://127.0.0.1:{server.port}"
        script = str(ROOT / "bench" / "next_workout.lua")
        if route == "adapt":
            env["HIPFLEX_BENCH_BODY"] = str(adapt_body(Path(tempfile.mkdtemp(prefix="hipflex-bench-adapt-"))))
            base, script = base + "/workouts/adapt", str(ROOT / "bench" / "adapt_varied.lua")
        subprocess.run(["wrk", "-t1", "-c2", "-d1s", "-s", script, base], env=env, capture_output=True, check=True)
        before = _cpu_seconds(server.process.pid)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, base],
            env=env, capture_output=True, text=True, check=True,
        ).stdout
        cpu = _cpu_seconds(server.process.pid) - before
    finally:
        server.stop()
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = re.search(r"Requests/sec:\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    return f"{route}, {connections} connections: {rps} requests/s, p99 {p99}, server CPU {cpu * 1000 / count:.2f} ms a request"


def inline_app() -> Any:
    """The app with POST /workouts/adapt answered on the event loop, no thread hop: what the hop buys (uvicorn
    --factory bench.coaching_timing:inline_app)."""
    import dataclasses

    from app.api import fastpath

    app = create_app()
    hot = fastpath.REGISTRY[api.adapt_workout]
    fastpath.REGISTRY[api.adapt_workout] = dataclasses.replace(hot, thread=False)
    return app


def fairness(inline: bool, duration: int = 8) -> str:
    """GET /exercises/king-runner (2 connections, cached) while POST /workouts/adapt (varied) runs at 16."""
    import subprocess

    from bench.__main__ import ROOT, UNREACHED_LIMITS, Server

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hipflex-coach-')) / 'bench.db'}"
    migrations.upgrade(url)
    env = {"HIPFLEX_DATABASE_URL": url, "HIPFLEX_LOG_LEVEL": "info", "HIPFLEX_ACCESS_LOG": "true", **UNREACHED_LIMITS}
    server = Server("bench.coaching_timing:inline_app" if inline else "app.main:create_app", env, factory=True)
    try:
        body = adapt_body(Path(tempfile.mkdtemp(prefix="hipflex-bench-adapt-")))
        wrk_env = {**os.environ, "HIPFLEX_BENCH_BODY": str(body)}
        base, script = f"http://127.0.0.1:{server.port}", str(ROOT / "bench" / "adapt_varied.lua")
        before = _cpu_seconds(server.process.pid)
        adapt = subprocess.Popen(["wrk", "-t1", "-c16", f"-d{duration}s", "--latency", "-s", script,
                                  base + "/workouts/adapt"], env=wrk_env, stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        read = subprocess.run(["wrk", "-t1", "-c2", f"-d{duration - 2}s", "--latency", base + "/exercises/king-runner"],
                              capture_output=True, text=True, check=True).stdout
        out = adapt.communicate()[0]
        cpu = _cpu_seconds(server.process.pid) - before
    finally:
        server.stop()
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]

    def at(text: str, percent: str) -> str:
        return re.search(percent + r"%\s+(\S+)", text).group(1)  # type: ignore[union-attr]

    return (f"{'on the loop' if inline else 'in a thread'}: adapt server CPU {cpu * 1000 / count:.2f} ms a request, "
            f"p99 {at(out, '99')}; the cached read beside it p50 {at(read, '50')}, p99 {at(read, '99')}")


def _report_server(url: str, key: str, count: int) -> None:
    print(f"server CPU per request ({url.split(':')[0]}), {count} requests one at a time, after 30 to warm up")
    bare = None
    for name, ms in server_cpu(url, key, count):
        bare = bare or ms
        print(f"  {name:<52} {ms:8.3f} ms   x bare {bare / ms:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coaching_timing")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", choices=["adapt", "next"])
    parser.add_argument("--server", action="store_true", help="server CPU per request instead (uvicorn, /proc)")
    parser.add_argument("--database-url", help="an already seeded database (with --key): no seeding")
    parser.add_argument("--key")
    parser.add_argument("--wrk", type=int, nargs="*", help="with --database-url: /next through wrk at these connections")
    parser.add_argument("--adapt-wrk", type=int, nargs="*", help="POST /workouts/adapt through wrk at these connections")
    parser.add_argument("--adapt-fairness", action="store_true", help="a cached read beside adapt: thread or loop")
    args = parser.parse_args()
    if args.adapt_fairness:
        for inline in (False, True, False, True):
            print(fairness(inline))
        return
    if args.database_url and args.wrk:
        for connections in args.wrk:
            print(server_cpu_under_wrk(args.database_url, args.key, connections))
        return
    if args.adapt_wrk:  # (no history stored: a migrated database is enough)
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hipflex-coach-')) / 'bench.db'}"
        migrations.upgrade(url)
        for connections in args.adapt_wrk:
            print(server_cpu_under_wrk(url, "", connections, route="adapt"))
        return
    if args.database_url:
        _report_server(args.database_url, args.key, args.repeat)
        return
    pg_name = None
    if args.database == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='hipflex-coach-')) / 'bench.db'}"
    else:
        url, pg_name = fresh_postgres()
    try:
        migrations.upgrade(url)
        key, _ = keys.create(_engine(url), "bench")
        app = create_app(Settings(database_url=url, access_log=False, rate_limits=False))
        with TestClient(app) as client:
            _seed(client, key)
            if not args.profile and not args.server:
                print(f"{args.database}, {LOGS} logs of {len(EXERCISES)} exercises; mean of {args.repeat} calls")
                print(f"  {'stage':<52} {'wall ms':>8} {'CPU ms':>8}")
                for name, (wall, cpu) in stages(client, key, args.repeat):
                    print(f"  {name:<52} {wall:8.3f} {cpu:8.3f}")
        if args.profile:
            profile(app, key, args.profile, args.repeat)
        if args.server:
            _report_server(url, key, args.repeat)
    finally:
        if pg_name is not None:
            drop_postgres(pg_name)


def _engine(url: str) -> Any:
    from sqlalchemy import create_engine

    return create_engine(url)


if __name__ == "__main__":
    main()
