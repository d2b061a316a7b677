"""Cold start to the first 200: hipflex on a fresh SQLite file (migrated at start) beside bare Starlette.

    .venv/bin/python -m bench.cold_start [--starts 7]

Target (issue 20): hipflex's cold start <= 3x bare Starlette's, measured the same way in the same run.
Each start is a new uvicorn process with the same settings (bench.__main__.Server) polled for /healthz;
hipflex gets a new, empty SQLite file each time and migrates it itself (HIPFLEX_AUTO_MIGRATE, as
`make serve` does), so the migrations are in the figure. One start is noisy, so several are made,
bare and hipflex alternating so both see the same load, and the min and median are given, in wall time
and in the server's own CPU time (less moved by other work on the machine).

Both apps run with their bytecode cached, as after any install (pip compiles a wheel's modules; a checkout
writes __pycache__ on its first run): a shell with PYTHONDONTWRITEBYTECODE set would otherwise have
hipflex compile its own modules at every start while Starlette's come compiled. One start of each, not
counted, writes that cache.

A third app, the floor (bench/floor.py: one FastAPI route and one SQLModel table on a fresh SQLite file),
says how much of the ratio the mandated dependencies take before any of hipflex's own work.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.__main__ import UNREACHED_LIMITS, Server

BYTECODE = {"PYTHONDONTWRITEBYTECODE": ""}  # (empty: unset)


@dataclass
class Starts:
    """Wall and CPU seconds of each start of one app."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, server: Server) -> None:
        self.wall.append(server.cold_start)
        self.cpu.append(server.cold_start_cpu)

    def describe(self) -> str:
        return (f"min {min(self.wall) * 1000:.0f} ms, median {statistics.median(self.wall) * 1000:.0f} ms "
                f"(CPU: min {min(self.cpu) * 1000:.0f} ms, median {statistics.median(self.cpu) * 1000:.0f} ms)")


def hipflex_fresh(folder: Path) -> Server:
    """hipflex as an operator starts it on a file that does not exist yet; its start migrates it."""
    env = {"HIPFLEX_DATABASE_URL": f"sqlite:///{folder / 'cold.db'}", "HIPFLEX_AUTO_MIGRATE": "true",
           "HIPFLEX_LOG_LEVEL": "info", "HIPFLEX_ACCESS_LOG": "true", **UNREACHED_LIMITS, **BYTECODE}
    return Server("app.main:create_app", env, factory=True)


def measure(starts: int) -> tuple[Starts, Starts, Starts]:
    """(hipflex, bare Starlette, the floor), ``starts`` starts each, alternating."""
    ours, bare, floor = Starts(), Starts(), Starts()
    for start in range(starts + 1):
        for app, starts_of in (("bench.bare:app", bare), ("bench.floor:app", floor)):
            server = Server(app, BYTECODE)
            if start:
                starts_of.add(server)
            server.stop()
        folder = Path(tempfile.mkdtemp(prefix="hipflex-cold-"))
        try:
            server = hipflex_fresh(folder)
            if start:
                ours.add(server)
            server.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return ours, bare, floor


def ratios(of: Starts, to: Starts) -> str:
    wall = statistics.median(of.wall) / statistics.median(to.wall)
    return f"{wall:.2f} wall, {statistics.median(of.cpu) / statistics.median(to.cpu):.2f} CPU"


def lines(starts: int) -> list[str]:
    ours, bare, floor = measure(starts)
    return [
        f"cold start to first 200 (fresh SQLite file, migrations at start), {starts} starts: {ours.describe()}",
        f"bare Starlette's cold start, same run, {starts} starts: {bare.describe()}",
        f"cold start ÷ bare Starlette's (medians; target <= 3): {ratios(ours, bare)}",
        f"the floor (one FastAPI route, one SQLModel table, fresh SQLite file: bench/floor.py), same run, {starts} "
        f"starts: {floor.describe()}; ÷ bare Starlette's {ratios(floor, bare)}; hipflex ÷ the floor {ratios(ours, floor)}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start")
    parser.add_argument("--starts", type=int, default=7, help="starts of each app")
    args = parser.parse_args()
    print("\n".join(lines(args.starts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
