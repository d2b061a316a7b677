"""Many writers at once, through a real uvicorn server: every write lands, none fails."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest
from conftest import LogFactory, count_rows, live_server, new_tenant
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.state import state_of
from app import logs
from app.logs import LogCreate

THREADS = 8
POSTS_EACH = 200
ENTRIES = 5


def test_parallel_posts_all_land(db_app: FastAPI, make_log: LogFactory) -> None:
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    with live_server(db_app) as base_url:
        tenants = [new_tenant(db_app, "acme"), new_tenant(db_app, "globex")]
        barrier = threading.Barrier(THREADS)

        def writer(n: int) -> None:
            tenant = tenants[n % 2]
            mine: Counter[int] = Counter()
            try:
                with httpx.Client(base_url=base_url, headers=tenant.headers, timeout=30) as client:
                    barrier.wait()
                    for i in range(POSTS_EACH):
                        body = make_log(performed_at=f"2026-05-01T{i % 24:02d}:{n:02d}:00Z", entries=ENTRIES)
                        response = client.post(f"/users/user-{n}/logs", json=body)
                        mine[response.status_code] += 1
                        if response.status_code != 201:
                            with lock:
                                failures.append(response.text)
            except Exception as exc:
                with lock:
                    failures.append(repr(exc))
            with lock:
                statuses.update(mine)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == [], failures[:3]
        assert statuses == Counter({201: THREADS * POSTS_EACH})
        assert count_rows(db_app, "logs") == THREADS * POSTS_EACH
        assert count_rows(db_app, "log_exercises") == THREADS * POSTS_EACH * ENTRIES
        # and every user sees exactly their own
        with httpx.Client(base_url=base_url, headers=tenants[0].headers) as client:
            exported = client.get("/users/user-0/export").json()
            assert exported["count"] == POSTS_EACH
            assert client.get("/users/user-1/export").status_code == 404  # globex's user


def test_the_log_writer_leaves_when_idle_and_comes_back(
    db_app: FastAPI, make_log: LogFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs.LogWriter, "IDLE_SECONDS", 0.05)
    data = LogCreate.model_validate(make_log())
    with TestClient(db_app):
        writer = state_of(db_app).log_writer
        first = logs.create(writer, "acme", "u", data)
        deadline = time.monotonic() + 5
        while writer.thread is not None:
            assert time.monotonic() < deadline, "the writer thread did not leave"
            time.sleep(0.01)
        second = logs.create(writer, "acme", "u", data)  # starts it again
        assert isinstance(first, logs.Created) and isinstance(second, logs.Created)
        assert first.log.id != second.log.id
        assert count_rows(db_app, "logs") == 2


def test_mixed_readers_and_writers_never_see_a_server_error(db_app: FastAPI, make_log: LogFactory) -> None:
    """Creates (plain and idempotent), changes, reads, deletes and erasures at once: no 5xx, no lost write."""
    rounds = 40
    failures: list[str] = []
    lock = threading.Lock()
    with live_server(db_app) as base_url:
        tenant = new_tenant(db_app, "acme")
        barrier = threading.Barrier(6)

        def worker(n: int) -> None:
            user = f"user-{n}"
            kept = 0
            with httpx.Client(base_url=base_url, headers=tenant.headers, timeout=30) as client:
                barrier.wait()
                for i in range(rounds):
                    extra = {"Idempotency-Key": f"{n}-{i}"} if i % 2 else {}
                    created = client.post(f"/users/{user}/logs", json=make_log(entries=2), headers=extra)
                    responses = [created]
                    location = created.headers.get("location", "")
                    responses.append(client.patch(location, json={"notes": f"edit {i}"}))
                    responses.append(client.get(f"/users/{user}/logs?limit=5"))
                    if i % 3 == 0:
                        responses.append(client.delete(location))
                    else:
                        kept += 1
                    if i == rounds // 2 and n % 3 == 0:
                        responses.append(client.delete(f"/users/{user}"))
                        kept = 0
                    bad = [f"{r.request.method} {r.url.path}: {r.status_code}" for r in responses if r.is_error]
                    if bad:
                        with lock:
                            failures.extend(bad)
                exported = client.get(f"/users/{user}/export")
                count = exported.json()["count"] if exported.status_code == 200 else 0
                if count != kept:
                    with lock:
                        failures.append(f"{user}: {count} logs exported, {kept} expected")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
