"""One benchmark run: hipflex beside a bare Starlette app, same server settings.

    make bench            # or: .venv/bin/python -m bench [--duration 10] [--no-scaling]

Starts each server (uvicorn, one worker, uvloop + httptools), drives it with
wrk on loopback, and prints one Markdown table: requests/s, p50 and p99 per
endpoint, each read endpoint's ratio to the bare Starlette figure, log writes
on SQLite and on Postgres, cold start to first 200 on a fresh SQLite file beside
bare Starlette's (bench/cold_start.py), and resident memory. Each hot route runs
twice, the fast path on and off (HIPFLEX_FAST_PATH=false), side by side, with
the fast path's gain.
Needs `wrk` (Debian: apt-get install wrk) and, for the Postgres rows, the
server named by HIPFLEX_BENCH_POSTGRES_URL (default: the local one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench import coaching, history

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
COLD_STARTS = 5  # one start is noisy: min and median of these
POSTGRES = os.environ.get("HIPFLEX_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    ratio: float | None = None
    gain: float | None = None  # requests/s with the fast path over without it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A uvicorn process; measures its cold start and resident memory."""

    def __init__(self, app: str, env: dict[str, str], workers: int = 1, factory: bool = False) -> None:
        self.port = free_port()
        args = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
        if factory:
            args.append("--factory")
        started = time.perf_counter()
        self.process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.cold_start = self._wait(started)
        # CPU seconds the server spent until then: less moved by other work on the machine than the wall time
        self.cold_start_cpu = self.cpu_s()

    def _wait(self, started: float) -> float:
        deadline = started + 30
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.005)
        raise RuntimeError("server did not answer /healthz within 30 s")

    def cpu_s(self) -> float:
        """User and system CPU time of the server process so far, in seconds."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        """Resident memory of the server and its workers."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        total_kib = 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            total_kib += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return total_kib / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def wrk(name: str, url: str, *, connections: int, duration: int, script: str | None = None, env: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Result:
    # A slow answer is measured, not dropped: wrk's default 2 s timeout leaves such requests out of the
    # distribution (and, when all time out, prints none).
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency", url]
    for header, value in (headers or {}).items():
        args[1:1] = ["-H", f"{header}: {value}"]
    if script:
        args[1:1] = ["-s", str(HERE / script)]
    out = subprocess.run(args, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}).stdout
    # (a value in seconds comes with a trailing space: "  99%    1.82s ")
    if not re.search(r"^\s+99%\s+\S+\s*$", out, re.M):
        raise RuntimeError(f"{name}: no latency distribution in wrk's output:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # the latency distribution's own lines, not the "+/- Stdev" percentages above it
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in match.groups())
    return Result(name, rps, p50, p99, errors)


def make_key(database_url: str) -> str:
    """A tenant key made through the real CLI, as an operator would."""
    out = subprocess.run(
        [PYTHON, "-m", "app.cli", "keys", "create", "--tenant", "bench", "--name", "bench"],
        capture_output=True, text=True, check=True, cwd=ROOT, env={**os.environ, "HIPFLEX_DATABASE_URL": database_url},
    ).stdout
    return re.search(r"(hf_[A-Za-z0-9_\-]+)", out).group(1)  # type: ignore[union-attr]


def fresh_postgres() -> tuple[str, str]:
    """A throw-away database on the Postgres server: (its URL, its name)."""
    import psycopg

    name = f"hipflex_bench_{uuid.uuid4().hex[:8]}"
    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES.rsplit("/", 1)[0] + "/" + name, name


def drop_postgres(name: str) -> None:
    import psycopg

    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(database_url: str) -> None:
    subprocess.run([PYTHON, "-m", "app.cli", "migrate"], check=True, cwd=ROOT, env={**os.environ, "HIPFLEX_DATABASE_URL": database_url}, capture_output=True)


# Rate limits counted (their cost is in the figures) but never reached: one client here is far busier
# than any tenant's real traffic.
UNREACHED_LIMITS = {"HIPFLEX_RATE_LIMIT_TENANT": "1000000/second", "HIPFLEX_RATE_LIMIT_CLIENT": "1000000/second"}


def hipflex(database_url: str, workers: int = 1, fast_path: bool = True) -> Server:
    # production settings: structured access log on (sent to /dev/null here)
    env = {"HIPFLEX_DATABASE_URL": database_url, "HIPFLEX_LOG_LEVEL": "info", "HIPFLEX_ACCESS_LOG": "true",
           "HIPFLEX_FAST_PATH": "true" if fast_path else "false", **UNREACHED_LIMITS}
    return Server("app.main:create_app", env, workers=workers, factory=True)


def progress_rows(database: str, url: str, key: str, duration: int, database_url: str) -> list[Result]:
    """`/records` and `/progress?window=90d` for one user with 2,000 logs (20,000 sets), 16 connections.

    Target (issue 10): p99 <= 50 ms on each database.
    """
    user = history.seed(url, key)
    history.analyze(database_url)
    env = {"HIPFLEX_BENCH_KEY": key}
    return [
        wrk(f"`GET {{user}}/records` 2,000 logs {database}", url + user + "/records", connections=16, duration=duration, script="get_authorized.lua", env=env),
        wrk(f"`GET {{user}}/progress?window=90d` 2,000 logs {database}", url + user + "/progress?window=90d&tz=Europe/Berlin", connections=16, duration=duration, script="get_authorized.lua", env=env),
    ]


def run(duration: int, scaling: bool) -> str:
    rows: list[Result] = []
    notes: list[str] = []
    bare = Server("bench.bare:app", {})
    base = wrk("bare Starlette `GET /`", f"http://127.0.0.1:{bare.port}/", connections=32, duration=duration)
    bare.stop()
    rows.append(base)

    tmp = Path(tempfile.mkdtemp(prefix="hipflex-bench-"))
    sqlite_url = f"sqlite:///{tmp / 'bench.db'}"
    migrate(sqlite_url)
    key = make_key(sqlite_url)
    hot = [
        ("`GET /exercises`", "/exercises", None, 32),
        ("`GET /exercises/{slug}`", "/exercises/king-runner", None, 32),
        ("`GET /workouts` (random seeds)", "/workouts", "workouts.lua", 32),
        ("`POST /users/{id}/logs` SQLite", "", "post_log.lua", 16),
    ]
    # Each hot route twice, the same app with its fast path on then off, so each lane's gain is measured.
    by_lane: dict[bool, list[Result]] = {}
    progress: list[Result] = []
    for fast_path in (True, False):
        server = hipflex(sqlite_url, fast_path=fast_path)
        url = f"http://127.0.0.1:{server.port}"
        by_lane[fast_path] = []
        try:
            for name, path, script, connections in hot:
                label = name if fast_path else f"{name}, fast path off"
                env = {"HIPFLEX_BENCH_KEY": key} if path == "" else None
                result = wrk(label, url + path, connections=connections, duration=duration, script=script, env=env)
                if path:
                    result.ratio = result.rps / base.rps
                by_lane[fast_path].append(result)
            if fast_path:
                progress = progress_rows("SQLite", url, key, duration, sqlite_url)
                rss = server.rss_mib()
        finally:
            server.stop()
    for on, off in zip(by_lane[True], by_lane[False], strict=True):
        on.gain = on.rps / off.rps
        rows += [on, off]
    rows += coaching.rows(base.rps, duration, sqlite_url, key, "SQLite", with_adapt=True)
    # What gzip costs (app/api/delivery.py): the biggest catalogue page (compressed once, then remembered)
    # and workouts (compressed per request), each beside the same request without it.
    server = hipflex(sqlite_url)
    url = f"http://127.0.0.1:{server.port}"
    try:
        for name, path, script in [
            ("`GET /exercises?limit=100`", "/exercises?limit=100", None),
            ("`GET /workouts` (random seeds)", "/workouts", "workouts.lua"),
        ]:
            for encoding in ("identity", "gzip"):
                result = wrk(f"{name}, Accept-Encoding: {encoding}", url + path, connections=32, duration=duration,
                             script=script, headers={"Accept-Encoding": encoding})
                result.ratio = result.rps / base.rps
                rows.append(result)
    finally:
        server.stop()
    rows += progress
    # (not this run's servers: each of those starts on a file migrated before it, by `hipflex migrate`)
    from bench import cold_start  # (here: it builds on this module's Server)

    notes += cold_start.lines(COLD_STARTS)
    notes.append(f"resident memory after the run (SQLite, 1 worker): {rss:.0f} MiB")

    pg_url, pg_name = fresh_postgres()
    try:
        migrate(pg_url)
        pg_key = make_key(pg_url)
        rows += coaching.rows(base.rps, duration, pg_url, pg_key, "Postgres", with_adapt=False)
        server = hipflex(pg_url)
        rows.append(wrk("`POST /users/{id}/logs` Postgres", f"http://127.0.0.1:{server.port}", connections=16, duration=duration, script="post_log.lua", env={"HIPFLEX_BENCH_KEY": pg_key}))
        rows += progress_rows("Postgres", f"http://127.0.0.1:{server.port}", pg_key, duration, pg_url)
        notes.append(f"resident memory after the run (Postgres, 1 worker): {server.rss_mib():.0f} MiB")
        server.stop()
        if scaling:
            server = hipflex(pg_url, workers=2)
            url = f"http://127.0.0.1:{server.port}"
            for name, path, script, conns, env in [
                ("2 workers: `GET /exercises/{slug}`", "/exercises/king-runner", None, 32, None),
                ("2 workers: `GET /workouts`", "/workouts", "workouts.lua", 32, None),
                ("2 workers: `POST /users/{id}/logs` Postgres", "", "post_log.lua", 16, {"HIPFLEX_BENCH_KEY": pg_key}),
            ]:
                result = wrk(name, url + path, connections=conns, duration=duration, script=script, env=env)
                rows.append(result)
            server.stop()
    finally:
        drop_postgres(pg_name)
    shutil.rmtree(tmp, ignore_errors=True)

    lines = [
        f"Run {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, Python {platform.python_version()}; "
        f"wrk -t2, {duration} s per row, 32 connections for reads, 16 for writes; one uvicorn worker unless stated.",
        "",
        "| endpoint | requests/s | p50 ms | p99 ms | errors | × bare Starlette | × fast path off |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        gain = f"{r.gain:.2f}" if r.gain is not None else ""
        lines.append(f"| {r.name} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {ratio} | {gain} |")
    lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 2-worker Postgres rows")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    table = run(args.duration, scaling=not args.no_scaling)
    print(table)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
