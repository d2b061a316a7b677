"""Before and after, back to back: the hot rows for two source trees in one run, beside bare Starlette.

On a machine shared with other work, absolute figures move from minute to minute; rows of two trees
measured a minute apart, each as a ratio to a bare Starlette run of the same minute, compare fairly.

    git archive main | tar -x -C /tmp/before        # the tree to compare with
    .venv/bin/python -m bench.ab --before /tmp/before [--duration 5] [--rows next,adapt]

Each tree is served by this venv's interpreter with the tree first on ``PYTHONPATH``. Rows: the reads,
a log write, the coach's two doors (a user of 2,000 logs; adapt with a different history every
request), records and progress (2,000 logs), and the cold start to the first 200 on a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import coaching, history
from bench.__main__ import PYTHON, ROOT, Result, free_port, wrk

ROWS = ("exercises", "slug", "workouts", "logs", "next", "adapt", "records", "progress")


class TreeServer:
    """A uvicorn process serving ``tree``'s app (as ``bench.__main__.Server``, from another folder)."""

    def __init__(self, tree: Path, env: dict[str, str], app: str = "app.main:create_app") -> None:
        self.port = free_port()
        args = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(self.port), "--loop", "uvloop",
                "--http", "httptools", "--no-access-log", "--log-level", "warning"]
        if app.endswith("create_app"):
            args.append("--factory")
        full = {**os.environ, **env, "PYTHONPATH": str(tree)}
        started = time.perf_counter()
        self.process = subprocess.Popen(args, cwd=tree, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = started + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode()[-2000:])  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.perf_counter() > deadline:
                    raise
                time.sleep(0.005)
        self.cold_start = time.perf_counter() - started

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def _cli(tree: Path, database_url: str, *args: str) -> str:
    env = {**os.environ, "HIPFLEX_DATABASE_URL": database_url, "PYTHONPATH": str(tree)}
    return subprocess.run([PYTHON, "-m", "app.cli", *args], cwd=tree, env=env, check=True, capture_output=True,
                          text=True).stdout


@dataclass
class Tree:
    """One source tree's server on a fresh SQLite file, its key and bench users made."""

    label: str
    root: Path
    rows: set[str]
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hipflex-ab-")))

    def start(self) -> float:
        """Serve the tree; the cold start (a fresh file, migrations included), in seconds."""
        url = f"sqlite:///{self.folder / 'bench.db'}"
        env = {"HIPFLEX_DATABASE_URL": url, "HIPFLEX_LOG_LEVEL": "info", "HIPFLEX_ACCESS_LOG": "true",
               "HIPFLEX_AUTO_MIGRATE": "true"}
        self.server = TreeServer(self.root, env)
        cold = self.server.cold_start
        words = _cli(self.root, url, "keys", "create", "--tenant", "bench", "--name", "bench").split()
        self.key = next(word for word in words if word.startswith("hf_"))
        self.url = f"http://127.0.0.1:{self.server.port}"
        if "next" in self.rows:
            coaching.seed_user(self.server.port, self.key)
        if self.rows & {"records", "progress"}:
            self.user = history.seed(self.url, self.key)
        self.body = coaching.adapt_body(self.folder)
        return cold

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def row(self, row: str, duration: int) -> Result:
        name, path, connections, script, extra = ROW_SPECS[row]
        path = path.replace("{user}", getattr(self, "user", ""))
        env = {"HIPFLEX_BENCH_KEY": self.key, "HIPFLEX_BENCH_USER": coaching.USER, "HIPFLEX_BENCH_BODY": str(self.body),
               **extra}
        return wrk(f"{self.label}: {name}", self.url + path, connections=connections, duration=duration, script=script,
                   env=env)


ROW_SPECS: dict[str, tuple[str, str, int, str | None, dict[str, str]]] = {
    "exercises": ("`GET /exercises`", "/exercises", 32, None, {}),
    "slug": ("`GET /exercises/{slug}`", "/exercises/king-runner", 32, None, {}),
    "workouts": ("`GET /workouts` (random seeds)", "/workouts", 32, "workouts.lua", {}),
    "logs": ("`POST /users/{id}/logs` SQLite", "", 16, "post_log.lua", {}),
    "next": ("`GET /users/{id}/workouts/next` SQLite, 2,000 logs", "", 16, "next_workout.lua", {}),
    "adapt": ("`POST /workouts/adapt`, 30 sessions, a different history each request", "/workouts/adapt", 32,
              "adapt_varied.lua", {}),
    "records": ("`GET {user}/records` 2,000 logs SQLite", "{user}/records", 16, "get_authorized.lua", {}),
    "progress": ("`GET {user}/progress?window=90d` 2,000 logs SQLite", "{user}/progress?window=90d&tz=Europe/Berlin",
                 16, "get_authorized.lua", {}),
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab")
    parser.add_argument("--before", type=Path, required=True, help="the source tree to compare with")
    parser.add_argument("--after", type=Path, default=ROOT, help="default: this checkout")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="bare, before, after: this many times a row")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"any of {','.join(ROWS)}")
    args = parser.parse_args()
    rows = [row for row in ROWS if row in args.rows.split(",")]
    trees = [Tree("before", args.before.resolve(), set(rows)), Tree("after", args.after.resolve(), set(rows))]
    bare = TreeServer(ROOT, {}, app="bench.bare:app")
    lines = ["| row | requests/s | p50 ms | p99 ms | errors | × bare Starlette (same round) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]

    def out(r: Result) -> None:
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else ""
        lines.append(f"| {r.name} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | {ratio} |")
        print(lines[-1], flush=True)

    try:
        for tree in trees:
            cold = tree.start()
            lines.append(f"| {tree.label}: cold start to first 200 (fresh SQLite, migrations), ms | | {cold * 1000:.0f} | | | |")
            print(lines[-1], flush=True)
        for row in rows:
            for _ in range(args.rounds):
                base = wrk("bare Starlette `GET /`", f"http://127.0.0.1:{bare.port}/", connections=32,
                           duration=args.duration)
                out(base)
                for tree in trees:
                    result = tree.row(row, args.duration)
                    result.ratio = result.rps / base.rps
                    out(result)
    finally:
        bare.stop()
        for tree in trees:
            tree.stop()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
