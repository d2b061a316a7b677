"""SIGTERM: uvicorn stops taking connections but finishes the request in flight."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited at start"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail("the server did not come up")


def read_response(sock: socket.socket) -> bytes:
    sock.settimeout(20)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
        if length and len(body) >= length[0]:
            return data


@pytest.mark.slow
def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "HIPFLEX_DATABASE_URL": f"sqlite:///{tmp_path / 'hipflex.db'}", "HIPFLEX_PORT": str(port)}
    env.pop("CI", None)
    cli = [sys.executable, "-m", "app.cli"]
    key = subprocess.run([*cli, "keys", "create", "--tenant", "acme"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    server = subprocess.Popen([*cli, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(port, server)
        body = json.dumps(
            {"performed_at": "2026-11-20T07:30:00+00:00", "entries": [{"exercise": "core-brace", "sets": [{"reps": 20}]}]}
        ).encode()
        head = (
            f"POST /users/u-1/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(head + body[:10])  # in flight: the server is waiting for the rest of the body
            time.sleep(0.5)
            server.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            with pytest.raises(OSError):  # no new connections once shutting down
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            sock.sendall(body[10:])
            response = read_response(sock)
        assert response.startswith(b"HTTP/1.1 201"), response[:200]
        # uvicorn exits by itself once done; recent versions re-raise the signal
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        assert server.stderr is not None
        server.stderr.close()
    # the acknowledged log is there after the restart
    listed = subprocess.run(
        [sys.executable, "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from logs').fetchone()[0])", str(tmp_path / "hipflex.db")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert listed == "1"
