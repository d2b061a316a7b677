"""Several processes on one new SQLite file: the schema is made once, and every start succeeds.

`hipflex serve --workers 2` on an empty file died in 3 of 8 starts (issue 21, item 11): each worker
ran the auto-migration and one failed ("table alembic_version already exists").
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app import migrations

ROOT = Path(__file__).resolve().parent.parent
HIPFLEX = Path(sys.executable).parent / "hipflex"


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIPFLEX_")}
    return env | {f"HIPFLEX_{k.upper()}": v for k, v in settings.items()}


def test_processes_migrating_one_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    script = "import sys; from app import migrations; migrations.upgrade(sys.argv[1])"
    processes = [
        subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    failures = [error for process, error in zip(processes, errors, strict=True) if process.returncode != 0]
    assert failures == []
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        assert migrations.current_revision(engine) == migrations.head_revision(url)
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_two_workers(database: Path, log: Path) -> str:
    """One `hipflex serve --workers 2` on a new file until both workers have started (or one failed);
    what went wrong, or an empty string."""
    port = _free_port()
    env = _env(database_url=f"sqlite:///{database}", access_log="false", log_level="info")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(HIPFLEX), "serve", "--port", str(port), "--workers", "2"], cwd=database.parent, env=env,
            stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if "startup failed" in text or "Traceback" in text or process.poll() is not None:
                return text[-3000:]
            if text.count("Application startup complete") >= 2:
                break
            time.sleep(0.1)
        else:
            return "both workers did not start within 90 s\n" + log.read_text(errors="replace")[-3000:]
        answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        return "" if answer.status_code == 200 else f"/readyz answered {answer.status_code}: {answer.text}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.slow
def test_ten_starts_of_two_workers_on_an_empty_file(tmp_path: Path) -> None:
    failures = []
    for start in range(10):
        folder = tmp_path / f"start{start}"
        folder.mkdir()
        failure = _start_two_workers(folder / "hipflex.db", folder / "server.log")
        if failure:
            failures.append(f"start {start}: {failure}")
    assert failures == [], "\n\n".join(failures)
