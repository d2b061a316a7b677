"""Faults from outside: a frozen or stopped database, header bombs, slow clients, huge exports.

Each scenario runs ``hipflex serve`` in its own process on loopback and, for the database ones,
a private Postgres cluster of its own (``pg_createcluster`` on a free port), which it freezes
(SIGSTOP), stops and restarts, and always drops. The figures each scenario measures are printed
(``pytest -m slow -s tests/test_faults.py``); the README's "Failure behaviour" table comes from them.
Bounds asserted here are loose enough for a loaded machine and tight enough to catch the old
behaviour (hangs of a minute, stalls of seconds).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LogFactory

from app import keys, migrations
from app.db import make_engine
from app.logs.writer import LOGS
from app.settings import Settings

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def report(scenario: str, **figures: Any) -> None:
    print(f"\nFAULT {scenario}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


# --- a private Postgres cluster ----------------------------------------------------------


class Cluster:
    def __init__(self) -> None:
        self.name = f"hipflex_fault_{uuid.uuid4().hex[:8]}"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(["pg_ctlcluster", "15", self.name, *args], check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        subprocess.run(
            ["pg_createcluster", "15", self.name, "-p", str(self.port), "--", "--auth=trust"],
            check=True, capture_output=True, timeout=120,
        )
        self.start()

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def pids(self) -> list[int]:
        """The postmaster and every process it started."""
        pidfile = Path(f"/var/lib/postgresql/15/{self.name}/postmaster.pid")
        root = int(pidfile.read_text().split()[0])
        found = [root]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == root:
                    found.append(int(entry.name))
        return found

    def signal(self, number: int) -> None:
        for pid in self.pids():
            with suppress(ProcessLookupError):
                os.kill(pid, number)

    def drop(self) -> None:
        with suppress(OSError, ValueError):
            self.signal(signal.SIGCONT)
        subprocess.run(["pg_dropcluster", "15", self.name, "--stop"], capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if shutil.which("pg_createcluster") is None:
        pytest.skip("pg_createcluster is not installed")
    private = Cluster()
    try:
        private.create()
        migrations.upgrade(private.url)
        yield private
    finally:
        private.drop()


# --- the service in its own process ----------------------------------------------------------


@contextmanager
def serve(database_url: str, log: Path, **settings: Any) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``hipflex serve`` (the real command, with its protocol limits) on a free loopback port."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIPFLEX_")}
    env |= {"HIPFLEX_DATABASE_URL": database_url, "HIPFLEX_ACCESS_LOG": "false", "HIPFLEX_LOG_LEVEL": "warning"}
    env |= {f"HIPFLEX_{k.upper()}": str(v) for k, v in settings.items()}
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield process, base_url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _key(database_url: str) -> dict[str, str]:
    engine = make_engine(Settings(database_url=database_url))
    try:
        key, _ = keys.create(engine, f"t{uuid.uuid4().hex[:6]}")
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {key}"}


def _timed(call: Any) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


class Prober:
    """A normal client beside the fault: one small request after another, each timed."""

    def __init__(self, base_url: str, path: str = "/healthz") -> None:
        self.base_url, self.path = base_url, path
        self.latencies: list[float] = []
        self.failures = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            while not self.stop.is_set():
                start = time.monotonic()
                try:
                    ok = client.get(self.path).status_code == 200
                except httpx.TransportError:
                    ok = False
                self.latencies.append(time.monotonic() - start)
                self.failures += not ok
                time.sleep(0.005)

    def __enter__(self) -> Prober:
        self.thread.start()
        time.sleep(0.2)
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        self.thread.join(15)

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return {
            "requests": len(ordered),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(p99 * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
            "failures": self.failures,
        }


# --- the database misbehaves --------------------------------------------------------------


def test_frozen_postgres(cluster: Cluster, tmp_path: Path, make_log: LogFactory) -> None:
    headers = _key(cluster.url)
    with serve(cluster.url, tmp_path / "server.log") as (_, url), httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/users/u1/logs", json=make_log(), headers=headers).status_code == 201
        assert client.get("/readyz").status_code == 200
        kept_next = "/users/u1/workouts/next?goal=rehab&seed=5"  # kept: a hit reads only the user's revision
        for _ in range(3):
            assert client.get(kept_next, headers=headers).status_code == 200
        cluster.signal(signal.SIGSTOP)
        try:
            answers: dict[str, tuple[httpx.Response, float]] = {}

            def ask(name: str, call: Any) -> None:
                answers[name] = _timed(call)

            calls = {
                "readyz": lambda: client.get("/readyz"),
                "write": lambda: client.post("/users/u1/logs", json=make_log(), headers=headers),
                "write_idempotent": lambda: client.post(
                    "/users/u1/logs", json=make_log(), headers={**headers, "Idempotency-Key": "frozen-1"}
                ),
                "read": lambda: client.get("/users/u1/logs", headers=headers),
                "kept_next": lambda: client.get(kept_next, headers=headers),
            }
            threads = [threading.Thread(target=ask, args=item) for item in calls.items()]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            with Prober(url) as prober:  # the workers are not wedged: other routes answer
                time.sleep(1)
        finally:
            frozen_at = time.monotonic()
            cluster.signal(signal.SIGCONT)
        recovered = None
        while time.monotonic() - frozen_at < 30:
            if client.post("/users/u1/logs", json=make_log(), headers=headers).status_code == 201:
                recovered = time.monotonic() - frozen_at
                break
            time.sleep(0.1)
    report(
        "frozen-postgres",
        **{f"{name}": f"{r.status_code} in {t:.2f}s" for name, (r, t) in answers.items()},
        recovered_after_s=None if recovered is None else round(recovered, 2),
        healthz=prober.figures(),
    )
    response, elapsed = answers["readyz"]
    assert response.status_code == 503 and elapsed < 2.0
    for name in ("write", "write_idempotent", "read", "kept_next"):
        response, elapsed = answers[name]
        assert response.status_code == 503, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] and response.headers["x-request-id"]
        # The bound is 5 s. One stall (HIPFLEX_DB_STALL_TIMEOUT_MS, 2 s), not two: the
        # write queued behind a stalled one, and the reconnect after a cut, fail at once.
        assert elapsed < 3.5, (name, elapsed)
    assert prober.failures == 0
    assert recovered is not None and recovered < 10


def test_stopped_then_restarted_postgres(cluster: Cluster, tmp_path: Path, make_log: LogFactory) -> None:
    headers = _key(cluster.url)
    with serve(cluster.url, tmp_path / "server.log") as (_, url), httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/users/u2/logs", json=make_log(), headers=headers).status_code == 201
        cluster.stop()
        try:
            write, write_s = _timed(lambda: client.post("/users/u2/logs", json=make_log(), headers=headers))
            read, read_s = _timed(lambda: client.get("/users/u2/logs", headers=headers))
            ready, ready_s = _timed(lambda: client.get("/readyz"))
        finally:
            cluster.start()
            started = time.monotonic()
        recovered = None
        while time.monotonic() - started < 30:
            if client.post("/users/u2/logs", json=make_log(), headers=headers).status_code == 201:
                recovered = time.monotonic() - started
                break
            time.sleep(0.1)
    report(
        "stopped-postgres",
        write=f"{write.status_code} in {write_s:.2f}s",
        read=f"{read.status_code} in {read_s:.2f}s",
        readyz=f"{ready.status_code} in {ready_s:.2f}s",
        recovered_after_restart_s=None if recovered is None else round(recovered, 2),
    )
    for response in (write, read):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] and response.headers["x-request-id"]
    assert ready.status_code == 503
    assert max(write_s, read_s, ready_s) < 5.0
    assert recovered is not None and recovered < 10


# --- hostile clients ---------------------------------------------------------------------------


def _send_head(base_url: str, head: bytes, total: int) -> tuple[bytes, float, int]:
    """Send ``head`` then ``total`` bytes of one header value; the answer, how long, bytes sent."""
    port = int(base_url.rsplit(":", 1)[1])
    chunk = b"a" * 65536
    sent = 0
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(head)
            while sent < total:
                sock.sendall(chunk)
                sent += len(chunk)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # the server closed on us: what we want
        answer = b""
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    return answer, time.monotonic() - start, sent


def test_header_bomb_beside_a_normal_client(tmp_path: Path) -> None:
    with serve(f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "server.log") as (_, base_url):
        with Prober(base_url) as prober:
            bomb = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bomb: "
            answer, elapsed, sent = _send_head(base_url, bomb, 64 * 1024 * 1024)
            time.sleep(0.3)
        many = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
        counted, _, _ = _send_head(base_url, many, 0)
        normal = httpx.get(f"{base_url}/healthz", headers={"X-Fine": "a" * 8000})
    report(
        "header-bomb",
        answer=answer.split(b"\r\n", 1)[0].decode(),
        refused_after_s=round(elapsed, 3),
        bytes_sent_before_close=sent,
        healthz=prober.figures(),
    )
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"application/problem+json" in answer
    assert counted.startswith(b"HTTP/1.1 431 "), counted[:200]
    assert normal.status_code == 200
    assert sent < 64 * 1024 * 1024  # refused long before the end
    assert prober.failures == 0 and max(prober.latencies) < 1.0  # the old stall was 4.3 s


def test_slow_clients_are_disconnected(tmp_path: Path) -> None:
    with serve(f"sqlite:///{tmp_path / 's.db'}", tmp_path / "server.log", client_timeout_s=1) as (_, base_url):
        port = int(base_url.rsplit(":", 1)[1])
        openers = [
            b"",  # connects and says nothing
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n",  # never finishes its head
            b"POST /users/u/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        ]
        sockets = []
        for opener in openers * 20:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(opener)
            sockets.append(sock)
        start = time.monotonic()
        closed_after = []
        with Prober(base_url) as prober:
            for sock in sockets:
                try:
                    while sock.recv(4096):  # trickle on? no: we just wait to be cut off
                        pass
                except OSError:
                    pass
                closed_after.append(time.monotonic() - start)
                sock.close()
    closed = round(max(closed_after), 2)
    report("slow-loris", connections=len(sockets), all_closed_after_s=closed, healthz=prober.figures())
    assert max(closed_after) < 4.0
    assert prober.failures == 0


# --- one client's export beside the others ----------------------------------------------------


def _largest_log(slugs: list[str], limit: int) -> dict[str, Any]:
    """A valid log as close under the body cap as sets allow."""
    sets_each = 1
    body: dict[str, Any] = {}
    while True:
        full = {"reps": 1000, "hold_seconds": 3600, "load_kg": 999.25, "side": "right", "rpe": 10, "pain": 10}
        candidate = {
            "performed_at": "2026-11-20T09:30:00+01:00",
            "workout": {"goal": "rehab", "seed": 42},
            "duration_minutes": 600,
            "notes": "n" * 2000,
            "entries": [{"exercise": slugs[i % len(slugs)], "sets": [full] * sets_each} for i in range(100)],
        }
        if len(json.dumps(candidate)) > limit or sets_each > 50:
            return body
        body, sets_each = candidate, sets_each + 1


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


_EXPORT_READER = """
import json, sys, httpx
head, tail, size = b"", b"", 0
with httpx.stream("GET", sys.argv[1], headers={"Authorization": sys.argv[2]}, timeout=120) as response:
    for chunk in response.iter_bytes():
        head = head or chunk[:200]
        tail = (tail + chunk)[-200:]
        size += len(chunk)
print(json.dumps({"status": response.status_code, "size": size, "head": head.decode(), "tail": tail.decode()}))
"""

# The figure is for 1,000 logs (3 minutes here: HIPFLEX_FAULT_EXPORT_LOGS=1000); the memory
# bound does not depend on the total, since the export holds one page at a time.
EXPORT_LOGS = int(os.environ.get("HIPFLEX_FAULT_EXPORT_LOGS", "300"))


def test_export_of_maximum_size_logs_beside_a_normal_client(tmp_path: Path, slugs: list[str]) -> None:
    database_url = f"sqlite:///{tmp_path / 'export.db'}"
    migrations.upgrade(database_url)
    headers = _key(database_url)
    body = _largest_log(slugs, Settings().max_body_bytes)
    with serve(database_url, tmp_path / "server.log") as (process, base_url):
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            created = client.post("/users/big/logs", json=body)
            assert created.status_code == 201, created.text
        # More copies of that row, straight into the table: the export is what is measured here.
        engine = make_engine(Settings(database_url=database_url))
        try:
            with engine.begin() as connection:
                row = dict(connection.execute(LOGS.select()).mappings().one())
                copies = [{**row, "id": str(uuid.uuid4())} for _ in range(EXPORT_LOGS - 1)]
                connection.execute(LOGS.insert(), copies)
        finally:
            engine.dispose()
        baseline = _rss_bytes(process.pid)
        peak = baseline
        # The export is read by another process, as another client's would be: a reader thread
        # in this one would take the GIL from the prober and add to the figures it measures.
        reader = subprocess.Popen(
            [sys.executable, "-c", _EXPORT_READER, f"{base_url}/users/big/export", headers["Authorization"]],
            stdout=subprocess.PIPE,
        )
        with Prober(base_url) as prober:
            start = time.monotonic()
            while reader.poll() is None:
                peak = max(peak, _rss_bytes(process.pid))
                time.sleep(0.02)
            elapsed = time.monotonic() - start
        read = json.loads(reader.communicate()[0])
    growth = (peak - baseline) / 2**20
    figures = prober.figures()
    report(
        f"export-{EXPORT_LOGS}-max-logs",
        body_bytes=len(json.dumps(body)),
        export_mib=round(read["size"] / 2**20, 1),
        seconds=round(elapsed, 1),
        rss_growth_mib=round(growth, 1),
        healthz=figures,
    )
    assert read["status"] == 200
    assert read["head"].startswith('{"user_id":"big","exported_at":"')
    assert read["tail"].endswith(f'],"count":{EXPORT_LOGS},"checkins":[],"assessments":[],"programmes":[]}}')
    assert growth <= 50
    # No stalls: the p99 < 50 ms is a performance figure, measured here and reported in the
    # README (quiet machine: 9-19 ms; 53 ms before the export was rendered one entry at a time), not
    # asserted, since a timing assert flakes on a loaded machine. This bound catches the old unpaged
    # export, which stalled other clients for a second.
    assert figures["p99_ms"] < 250
    assert prober.failures == 0


# --- issue 21: abuse -------------------------------------------------------------------------------

ADAPT = {"goal": "mobility", "level": "beginner", "equipment": ["band"], "today": "2026-11-30", "seed": 1}


def _invalid_adapt_body(sets: int = 14_000) -> bytes:
    """The issue's body: a posted history whose every set is invalid (253 KB there; here as many sets)."""
    logs, left = [], sets
    while left:
        entries = []
        while left and len(entries) < 100:
            count = min(50, left)
            entries.append({"exercise": "hip-flexor-stretch", "sets": [{"reps": 0}] * count})
            left -= count
        logs.append({"performed_at": "2026-11-28T09:00:00Z", "entries": entries})
    return json.dumps({**ADAPT, "history": logs}).encode()


def test_an_invalid_adapt_body_repeated_beside_a_normal_client(tmp_path: Path) -> None:
    """One anonymous client repeating the 14,000-error body (rate limits off, to measure the work
    itself): its answers are bounded, and a normal client's /healthz is not held up behind it."""
    body = _invalid_adapt_body()
    with serve(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "server.log", rate_limits="false") as (_, base_url):
        sizes, times = [], []
        stop = threading.Event()

        def repeat() -> None:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                while not stop.is_set():
                    answer, took = _timed(
                        lambda: client.post("/workouts/adapt", content=body, headers={"Content-Type": "application/json"})
                    )
                    assert answer.status_code == 422
                    sizes.append(len(answer.content))
                    times.append(took)

        repeater = threading.Thread(target=repeat, daemon=True)
        with Prober(base_url) as prober:
            repeater.start()
            time.sleep(8)
            stop.set()
            repeater.join(30)
    figures = prober.figures()
    report(
        "invalid-adapt-repeater",
        body_bytes=len(body),
        answers=len(sizes),
        answer_bytes=max(sizes),
        answer_ms_p50=round(statistics.median(times) * 1000, 1),
        healthz=figures,
    )
    assert sizes and max(sizes) <= 64 * 1024
    # The target is p99 <= 50 ms (measured and reported above); asserted loosely, as the export
    # test does, so a loaded machine does not flake it. Before: p50 178 ms, p99 304 ms.
    assert figures["p50_ms"] < 50 and figures["p99_ms"] < 250
    assert prober.failures == 0


def test_a_burst_meets_429s_and_others_are_served(tmp_path: Path) -> None:
    with serve(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "server.log", rate_limit_client="20/second;100/minute") as (
        _,
        base_url,
    ):
        statuses: list[int] = []
        with Prober(base_url) as prober, httpx.Client(base_url=base_url, timeout=30) as client:
            start = time.monotonic()
            for _ in range(300):
                statuses.append(client.post("/workouts/adapt", json=ADAPT).status_code)
            elapsed = time.monotonic() - start
            refused = client.post("/workouts/adapt", json=ADAPT)
    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    report("burst-429", requests=len(statuses), statuses=counts, seconds=round(elapsed, 2), healthz=prober.figures())
    assert set(counts) == {200, 429} and counts[200] <= 100
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-policy"] and refused.headers["ratelimit"]
    assert prober.failures == 0


def test_erasure_leaves_nothing_in_the_files_sqlite(tmp_path: Path, make_log: LogFactory) -> None:
    database = tmp_path / "erase.db"
    marker = uuid.uuid4().hex
    migrations.upgrade(f"sqlite:///{database}")
    headers = _key(f"sqlite:///{database}")
    settings = {"erasure_vacuum": "full", "erasure_vacuum_interval_s": 0.5}
    with (
        serve(f"sqlite:///{database}", tmp_path / "server.log", **settings) as (_, base_url),
        httpx.Client(base_url=base_url, headers=headers, timeout=30) as client,
    ):
        for n in range(20):
            body = make_log(notes=f"knee {marker} {n}")
            assert client.post("/users/gone/logs", json=body, headers={"Idempotency-Key": f"k{n}"}).status_code == 201
            assert client.post("/users/kept/logs", json=make_log()).status_code == 201
        assert client.delete("/users/gone").status_code == 204
        wal = database.with_name("erase.db-wal")
        wal_bytes_at_204 = wal.stat().st_size if wal.exists() else 0
        deadline = time.monotonic() + 30
        while True:  # the VACUUM runs in the background
            files = [p for p in tmp_path.iterdir() if p.name.startswith("erase.db")]
            found = [p.name for p in files if marker.encode() in p.read_bytes()]
            if not found or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    # (the WAL at the 204 is not asserted here: the background VACUUM may already be writing it; the
    # WAL emptied before the 204 is tests/test_erasure.py's, in plain mode)
    report("erasure-sqlite", wal_bytes_at_204=wal_bytes_at_204, holding_marker=found)
    assert found == []


def test_erasure_leaves_nothing_in_the_files_postgres(cluster: Cluster, tmp_path: Path, make_log: LogFactory) -> None:
    """On the private cluster (its data directory is ours to read): VACUUM FULL after the erasure,
    CHECKPOINT, and no data file of the database holds the erased notes (WAL is not read: see README)."""
    import psycopg

    marker = uuid.uuid4().hex
    headers = _key(cluster.url)
    settings = {"erasure_vacuum": "full", "erasure_vacuum_interval_s": 0.5}
    with serve(cluster.url, tmp_path / "server.log", **settings) as (_, base_url):
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            for n in range(20):
                body = make_log(notes=f"knee {marker} {n}")
                assert client.post("/users/gone/logs", json=body, headers={"Idempotency-Key": f"p{n}-{marker}"}).status_code == 201
                assert client.post("/users/kept/logs", json=make_log()).status_code == 201
            assert client.delete("/users/gone").status_code == 204
        libpq = cluster.url.replace("postgresql+psycopg", "postgresql")
        deadline, found = time.monotonic() + 30, ["not looked yet"]
        while time.monotonic() < deadline:
            with psycopg.connect(libpq, autocommit=True) as connection:
                connection.execute("CHECKPOINT")
                row = connection.execute(
                    "SELECT current_setting('data_directory'), oid FROM pg_database WHERE datname = current_database()"
                ).fetchone()
            assert row is not None
            folder = Path(row[0]) / "base" / str(row[1])
            found = [p.name for p in folder.iterdir() if p.is_file() and marker.encode() in p.read_bytes()]
            if not found:
                break
            time.sleep(0.5)
    report("erasure-postgres", holding_marker=found, seconds=round(30 - (deadline - time.monotonic()), 1))
    assert found == []


_SLOW_READER = """
import json, select, socket, sys, time
port, key, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []
for _ in range(count):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET /users/big/export HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: {key}\\r\\n\\r\\n".encode())
    socks.append(s)
sent, heads = time.monotonic(), {}
while len(heads) < count and time.monotonic() - sent < 60:
    waiting = [s for s in socks if s.fileno() not in heads]
    for s in select.select(waiting, [], [], 1)[0]:
        # peeked, not read: the receive window stays shut, the export stays unread
        head = s.recv(4096, socket.MSG_PEEK).split(b"\\r\\n\\r\\n", 1)[0].decode().lower()
        heads[s.fileno()] = {"status": int(head.split()[1]), "after_s": time.monotonic() - sent, "head": head}
print(json.dumps(list(heads.values())), flush=True)
time.sleep(600)  # and never read a byte of an export: the server is the one to give up
"""


class RssPeak:
    """The largest resident size a process reaches while this runs (sampled every 50 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, _rss_bytes(pid)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(0.05):
            with suppress(OSError, AssertionError):
                self.peak = max(self.peak, _rss_bytes(self.pid))

    def __enter__(self) -> RssPeak:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        self.thread.join(5)


def test_a_hundred_exports_nobody_reads(tmp_path: Path, slugs: list[str]) -> None:
    """100 clients ask for an export of 40 logs at the body cap and never read it: at most
    ``export_streams`` (16 by default) stream, each cut by the send timeout; the others are refused
    at once with a 503 and Retry-After. Memory is bounded in total, not only per reader."""
    database_url = f"sqlite:///{tmp_path / 'slow.db'}"
    migrations.upgrade(database_url)
    headers = _key(database_url)
    body = _largest_log(slugs, Settings().max_body_bytes)
    send_timeout, cap = 3, Settings().export_streams
    settings = {"send_timeout_s": send_timeout, "export_streams": cap, "rate_limits": "false", "log_level": "info"}
    with serve(database_url, tmp_path / "server.log", **settings) as (
        process,
        base_url,
    ):
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            assert client.post("/users/big/logs", json=body).status_code == 201
        engine = make_engine(Settings(database_url=database_url))
        try:
            with engine.begin() as connection:
                row = dict(connection.execute(LOGS.select()).mappings().one())
                connection.execute(LOGS.insert(), [{**row, "id": str(uuid.uuid4())} for _ in range(40)])
        finally:
            engine.dispose()
        port = int(base_url.rsplit(":", 1)[1])
        baseline = _rss_bytes(process.pid)
        with RssPeak(process.pid) as rss, Prober(base_url) as prober:
            readers = subprocess.Popen(
                [sys.executable, "-c", _SLOW_READER, str(port), headers["Authorization"], "100"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            assert readers.stdout is not None and readers.stdin is not None
            answers = json.loads(readers.stdout.readline())
            start, cut = time.monotonic(), 0
            streamed = sum(a["status"] == 200 for a in answers)
            while time.monotonic() - start < 60:
                cut = (tmp_path / "server.log").read_text().count("read none of its answer")
                if cut >= streamed:
                    break
                time.sleep(0.1)
            all_cut_after = time.monotonic() - start
        after = _rss_bytes(process.pid)
        readers.kill()
        readers.communicate(timeout=10)
    refused = [a for a in answers if a["status"] == 503]
    growth = (rss.peak - baseline) / 2**20
    report(
        "100-slow-readers",
        export_streams=cap,
        streamed=streamed,
        refused_503=len(refused),
        refused_within_s=[round(statistics.median(a["after_s"] for a in refused), 2), round(max(a["after_s"] for a in refused), 2)]
        if refused
        else None,
        rss_baseline_mib=round(baseline / 2**20, 1),
        rss_peak_growth_mib=round(growth, 1),
        rss_after_cut_growth_mib=round((after - baseline) / 2**20, 1),
        cut_by_server=cut,
        all_cut_after_s=round(all_cut_after, 1),
        healthz=prober.figures(),
    )
    assert len(answers) == 100 and streamed + len(refused) == 100
    # The first ``cap`` stream; a request that arrived after a cut may stream too, never more than ``cap`` at once.
    assert cap <= streamed <= 2 * cap and cut == streamed  # every stream cut by the send timeout
    for answer in refused:  # refused at once, clearly, before any stream was cut
        assert "content-type: application/problem+json" in answer["head"] and "retry-after: 5" in answer["head"]
        assert answer["after_s"] < send_timeout
    # ``cap`` pages of the export (4 logs at the body cap) and their send buffers: +50 MiB measured at
    # 16 (bound loose for a loaded machine). Before the cap: +358 MiB for 100 readers.
    assert growth <= 100


def test_a_crash_between_claim_and_write_is_retried_within_seconds(tmp_path: Path, make_log: LogFactory) -> None:
    """kill -9 while idempotent writes are in flight; on restart, every key whose answer was lost is
    retried until it succeeds: none waits the old 60 s, none is written twice."""
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    migrations.upgrade(database_url)
    headers = _key(database_url)
    answered: dict[str, int] = {}
    sent: list[str] = []
    stop = threading.Event()
    with serve(database_url, tmp_path / "server.log") as (process, base_url):

        def write(worker: int) -> None:
            with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
                n = 0
                while not stop.is_set():
                    key = f"w{worker}-{n}"
                    sent.append(key)
                    try:
                        answer = client.post(f"/users/u{worker}/logs", json=make_log(), headers={"Idempotency-Key": key})
                        answered[key] = answer.status_code
                    except httpx.TransportError:
                        return
                    n += 1

        writers = [threading.Thread(target=write, args=(w,), daemon=True) for w in range(8)]
        for thread in writers:
            thread.start()
        time.sleep(1.5)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        stop.set()
        for thread in writers:
            thread.join(15)
    lost = [key for key in sent if key not in answered]
    with serve(database_url, tmp_path / "server.log") as (_, base_url):
        restarted = time.monotonic()
        waited: list[float] = []
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
            for key in lost:
                worker = key.split("-")[0][1:]
                while True:
                    answer = client.post(f"/users/u{worker}/logs", json=make_log(), headers={"Idempotency-Key": key})
                    if answer.status_code != 409:
                        break
                    assert time.monotonic() - restarted < 20, "a claim was still in flight 20 s after the restart"
                    time.sleep(0.2)
                assert answer.status_code in (200, 201), answer.text
                waited.append(time.monotonic() - restarted)
    engine = make_engine(Settings(database_url=database_url))
    try:
        with engine.connect() as connection:
            total = connection.exec_driver_sql("SELECT count(*) FROM logs").scalar_one()
    finally:
        engine.dispose()
    report(
        "crash-between-claim-and-write",
        acknowledged=sum(1 for s in answered.values() if s == 201),
        lost_in_the_crash=len(lost),
        all_retried_after_s=round(max(waited), 2) if waited else 0,
    )
    assert lost  # the kill did catch writes in flight
    assert max(waited) < 10
    # every acknowledged key and every retried one has its log, once
    assert total == sum(1 for status in answered.values() if status == 201) + len(lost)


def test_a_frozen_backend_in_a_transaction_is_a_503_not_a_500(cluster: Cluster) -> None:
    """Item 3 as the issue found it: one statement, SIGSTOP that backend, a second statement in the
    same block: the stall watchdog cuts it, and what leaves the block is an outage."""
    from app import outages

    engine = make_engine(Settings(database_url=cluster.url, db_stall_timeout_ms=500))
    try:
        with pytest.raises(Exception) as caught, engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            assert isinstance(pid, int)
            os.kill(pid, signal.SIGSTOP)
            try:
                connection.exec_driver_sql("SELECT 1")
            finally:
                os.kill(pid, signal.SIGCONT)
        report("frozen-backend-rollback", error=type(caught.value).__name__)
        assert outages.unavailable(caught.value), repr(caught.value)
    finally:
        engine.dispose()
