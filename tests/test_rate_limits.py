"""Rate limits (issue 21, item 1): per tenant on keyed routes, per tenant-or-address on public routes
that compute, weighted by body size, 429 problem+json with Retry-After, IETF RateLimit fields on every
limited answer; counted in process, or in the real Redis at 127.0.0.1:6379 shared by two apps."""

from __future__ import annotations

import os
import re
import socket
import uuid
from typing import Any

import pytest
from conftest import LogFactory, _in_ci, make_settings, new_tenant
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.catalogue import Catalogue
from app.main import create_app
from app.state import state_of

ADAPT = {"goal": "mobility", "level": "beginner", "equipment": ["band"], "today": "2026-11-30", "seed": 1}
REDIS_URL = os.environ.get("HIPFLEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_FIELD = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


def _app(sqlite_url: str, catalogue: Catalogue, **limits: Any) -> Any:
    return create_app(make_settings(sqlite_url, **limits), catalogue=catalogue)


def _remaining(response: Any) -> tuple[str, int, int]:
    found = _FIELD.match(response.headers["ratelimit"])
    assert found, response.headers["ratelimit"]
    return found["name"], int(found["r"]), int(found["t"])


def _assert_429(response: Any, quota: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://hipflex.dev/problems/rate-limited"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert quota in response.headers["ratelimit-policy"]
    name, remaining, reset = _remaining(response)
    assert (name, remaining) == (quota, 0) and reset == int(response.headers["retry-after"])


def test_a_public_computing_route_is_limited_per_client_address(sqlite_url: str, catalogue: Catalogue) -> None:
    app = _app(sqlite_url, catalogue, rate_limit_client="5/minute")
    with TestClient(app) as client:
        seen = []
        for _ in range(5):
            answer = client.post("/workouts/adapt", json=ADAPT)
            assert answer.status_code == 200, answer.text
            assert answer.headers["ratelimit-policy"] == '"client-minute";q=5;w=60'
            seen.append(_remaining(answer)[1])
        assert seen == [4, 3, 2, 1, 0]
        _assert_429(client.post("/workouts/adapt", json=ADAPT), "client-minute")
        _assert_429(client.get("/workouts?goal=mobility"), "client-minute")  # a new draw computes too
        # what is cheap and kept is not limited
        for path in ("/workouts?goal=mobility&seed=3", "/exercises", "/healthz"):
            answer = client.get(path)
            assert answer.status_code == 200 and "ratelimit" not in answer.headers


def test_a_key_lifts_a_public_request_into_its_tenants_quota(sqlite_url: str, catalogue: Catalogue) -> None:
    app = _app(sqlite_url, catalogue, rate_limit_client="2/minute", rate_limit_tenant="50/minute")
    with TestClient(app) as client:
        acme = new_tenant(app, "acme")
        for _ in range(5):
            answer = client.post("/workouts/adapt", json=ADAPT, headers=acme.headers)
            assert answer.status_code == 200 and _remaining(answer)[0] == "tenant-minute"
        bogus = {"Authorization": "Bearer " + acme.key[:-4] + "xxxx"}  # counts against the address
        assert client.post("/workouts/adapt", json=ADAPT, headers=bogus).status_code == 200
        assert client.post("/workouts/adapt", json=ADAPT, headers=bogus).status_code == 200
        _assert_429(client.post("/workouts/adapt", json=ADAPT, headers=bogus), "client-minute")


def test_keyed_routes_are_limited_per_tenant(sqlite_url: str, catalogue: Catalogue, make_log: LogFactory) -> None:
    app = _app(sqlite_url, catalogue, rate_limit_tenant="3/second;4/minute")
    with TestClient(app) as client:
        acme, globex = new_tenant(app, "acme"), new_tenant(app, "globex")
        assert client.post("/users/u1/logs", json=make_log(), headers=acme.headers).status_code == 201
        answer = client.get("/users/u1/logs", headers=acme.headers)
        assert answer.headers["ratelimit-policy"] == '"tenant-second";q=3;w=1, "tenant-minute";q=4;w=60'
        for _ in range(3):
            if client.get("/users/u1/logs", headers=acme.headers).status_code == 429:
                break
        else:
            raise AssertionError("no 429 after 5 requests against a quota of 4 a minute")
        assert client.get("/users/u1/logs", headers=acme.headers).status_code == 429
        # the other tenant, from the same address, is not touched
        answer = client.get("/users/u1/logs", headers=globex.headers)
        assert answer.status_code == 404 and _remaining(answer)[1] == 2


def test_a_request_costs_more_for_a_larger_body(sqlite_url: str, catalogue: Catalogue) -> None:
    app = _app(sqlite_url, catalogue, rate_limit_client="12/minute", rate_limit_body_unit_bytes=1024)
    with TestClient(app) as client:
        # padded with whitespace: valid JSON, nothing the model reads
        content = (f'{{"goal":"mobility","level":"beginner","today":"2026-11-30","seed":1{" " * 5000}}}').encode()
        headers = {"Content-Type": "application/json"}
        assert len(content) // 1024 == 4
        answer = client.post("/workouts/adapt", content=content, headers=headers)
        assert answer.status_code == 200, answer.text
        assert _remaining(answer)[1] == 12 - 5  # 1 + 4 KiB
        assert client.post("/workouts/adapt", content=content, headers=headers).status_code == 200
        _assert_429(client.post("/workouts/adapt", content=content, headers=headers), "client-minute")


def test_a_bogus_key_costs_one_lookup(sqlite_url: str, catalogue: Catalogue) -> None:
    app = _app(sqlite_url, catalogue)
    with TestClient(app) as client:
        acme = new_tenant(app, "acme")
        lookups = []

        @event.listens_for(state_of(app).engine, "before_cursor_execute")
        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if "api_keys" in statement:
                lookups.append(statement)

        for n, path in enumerate(("/users/u1/records", "/users/u1/progress", "/users/u1/logs")):
            bogus = {"Authorization": f"Bearer {acme.key[:-4]}xxx{n}"}  # well formed, right id, wrong secret
            lookups.clear()
            assert client.get(path, headers=bogus).status_code == 401
            assert len(lookups) == 1, (path, lookups)
            assert client.get(path, headers=bogus).status_code == 401  # and again, at once: remembered
            assert len(lookups) == 1, (path, lookups)


def test_limits_are_settings_checked_at_start(sqlite_url: str) -> None:
    with pytest.raises(ValueError):
        make_settings(sqlite_url, rate_limit_tenant="lots")


# --- Redis -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} unreachable: {exc}"
        if _in_ci():
            pytest.fail(reason + " (CI is set, so this fails instead of skipping)")
        pytest.skip(reason)
    return REDIS_URL


def test_two_instances_share_a_tenants_quota_in_redis(
    redis_url: str, sqlite_url: str, catalogue: Catalogue, make_log: LogFactory
) -> None:
    settings = {"rate_limit_storage_url": redis_url, "rate_limit_tenant": "4/minute"}
    first, second = _app(sqlite_url, catalogue, **settings), _app(sqlite_url, catalogue, **settings)
    with TestClient(first) as one, TestClient(second) as two:
        tenant = new_tenant(first, f"redis-{uuid.uuid4().hex[:12]}")  # (other test runs share this Redis)
        answers = [client.get("/users/u1/logs", headers=tenant.headers) for client in (one, two, one, two)]
        assert [a.status_code for a in answers] == [404] * 4
        assert [_remaining(a)[1] for a in answers] == [3, 2, 1, 0]
        _assert_429(one.get("/users/u1/logs", headers=tenant.headers), "tenant-minute")
        _assert_429(two.get("/users/u1/logs", headers=tenant.headers), "tenant-minute")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_store_lets_requests_through(
    sqlite_url: str, catalogue: Catalogue, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    app = _app(sqlite_url, catalogue, rate_limit_storage_url=url, rate_limit_client="1/minute")
    with TestClient(app) as client:
        for _ in range(3):
            answer = client.post("/workouts/adapt", json=ADAPT)
            assert answer.status_code == 200 and "ratelimit" not in answer.headers
    logged = capsys.readouterr().out
    assert logged.count("rate limits not counted") == 1
