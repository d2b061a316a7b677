"""Idempotency-Key: a retried POST gets the first answer back and creates nothing."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import LogFactory, Tenant, count_rows, live_server, new_tenant
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.state import state_of
from app import idempotency

TTL = timedelta(hours=48)


def post(client: Any, tenant: Tenant, body: Any, key: str | None, user: str = "u-1") -> Any:
    headers = tenant.headers | ({"Idempotency-Key": key} if key is not None else {})
    return client.post(f"/users/{user}/logs", json=body, headers=headers)


def test_a_retry_gets_the_same_answer_and_creates_nothing(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    body = make_log()
    first = post(db_client, acme, body, "order-1")
    assert first.status_code == 201
    for _ in range(3):
        again = post(db_client, acme, body, "order-1")
        assert again.status_code == 201
        assert again.content == first.content  # byte for byte: same id, same timestamps
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["idempotent-replayed"] == "true"
    assert count_rows(db_client.app, "logs") == 1
    # the same body with another key, or with none, is another log
    assert post(db_client, acme, body, "order-2").json()["id"] != first.json()["id"]
    assert post(db_client, acme, body, None).json()["id"] != first.json()["id"]
    assert count_rows(db_client.app, "logs") == 3


def test_the_same_body_reformatted_is_the_same_request(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    body = make_log()
    first = post(db_client, acme, body, "k")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = db_client.post(
        "/users/u-1/logs",
        content=reordered,
        headers=acme.headers | {"Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert again.status_code == 201 and again.content == first.content


@pytest.mark.parametrize("change", ["body", "user"])
def test_the_same_key_with_another_request_is_422(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, change: str
) -> None:
    body = make_log()
    assert post(db_client, acme, body, "k").status_code == 201
    if change == "body":
        response = post(db_client, acme, make_log(notes="different"), "k")
    else:
        response = post(db_client, acme, body, "k", user="u-2")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert count_rows(db_client.app, "logs") == 1


def test_keys_belong_to_a_tenant(db_client: TestClient, acme: Tenant, globex: Tenant, make_log: LogFactory) -> None:
    body = make_log()
    ours = post(db_client, acme, body, "shared-key")
    theirs = post(db_client, globex, body, "shared-key")
    assert ours.status_code == theirs.status_code == 201
    assert ours.json()["id"] != theirs.json()["id"]
    assert "idempotent-replayed" not in theirs.headers


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "caf\u00e9", "tab\there"], ids=["empty", "256 chars", "non-ascii", "tab"]
)
def test_a_bad_key_is_422(db_client: TestClient, acme: Tenant, make_log: LogFactory, key: str) -> None:
    response = db_client.post(
        "/users/u-1/logs",
        content=json.dumps(make_log()),
        headers=[
            ("Authorization", f"Bearer {acme.key}"),
            ("Content-Type", "application/json"),
            ("Idempotency-Key", key.encode("utf-8")),
        ],
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert count_rows(db_client.app, "logs") == 0


def test_a_longest_key_works(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    key = "~" * 255
    assert post(db_client, acme, make_log(), key).status_code == 201
    assert post(db_client, acme, make_log(), key).headers["idempotent-replayed"] == "true"


def _fingerprint(body: dict[str, Any], app: FastAPI, user: str = "u-1") -> str:
    from app.logs import LogCreate

    return idempotency.fingerprint(user, LogCreate.model_validate(body).model_dump(mode="json"))


def test_a_retry_while_the_first_is_in_flight_is_409(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    app: FastAPI = db_client.app
    body = make_log()
    # a first request that has claimed the key and not finished
    claimed = idempotency.claim(state_of(app).engine, "acme", "k", "u-1", _fingerprint(body, app), TTL)
    assert isinstance(claimed, idempotency.Claim)
    response = post(db_client, acme, body, "k")
    assert response.status_code == 409
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"].endswith("/idempotency-key-in-flight")
    assert count_rows(app, "logs") == 0
    # it failed and gave the key back: the retry goes ahead
    idempotency.release(state_of(app).engine, claimed)
    assert post(db_client, acme, body, "k").status_code == 201
    assert count_rows(app, "logs") == 1


def test_an_abandoned_claim_is_taken_over(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    app: FastAPI = db_client.app
    body = make_log()
    long_ago = datetime.now(UTC) - idempotency.IN_FLIGHT_TIMEOUT - timedelta(seconds=5)
    crashed = idempotency.claim(state_of(app).engine, "acme", "k", "u-1", _fingerprint(body, app), TTL, now=long_ago)
    assert isinstance(crashed, idempotency.Claim)
    response = post(db_client, acme, body, "k")
    assert response.status_code == 201
    assert post(db_client, acme, body, "k").content == response.content
    assert count_rows(app, "logs") == 1


def test_expired_records_are_ignored_and_purged(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    app: FastAPI = db_client.app
    engine = state_of(app).engine
    old = datetime.now(UTC) - TTL - timedelta(minutes=1)
    stale = idempotency.claim(engine, "acme", "old", "u-1", "0" * 64, TTL, now=old)
    assert isinstance(stale, idempotency.Claim)
    # past its TTL a key is free again, even with another body
    assert post(db_client, acme, make_log(), "old").status_code == 201
    for n in range(3):
        idempotency.claim(engine, "acme", f"stale-{n}", "u-1", "0" * 64, TTL, now=old)
    assert count_rows(app, "idempotency_keys") == 4
    assert idempotency.purge(engine, TTL) == 3
    assert count_rows(app, "idempotency_keys") == 1


def test_deleting_a_log_forgets_its_stored_response(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    body = make_log()
    first = post(db_client, acme, body, "k")
    assert db_client.delete(first.headers["location"], headers=acme.headers).status_code == 204
    again = post(db_client, acme, body, "k")
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]


def _race(base_url: str, tenant: Tenant, body: dict[str, Any], key: str, clients: int) -> list[httpx.Response]:
    """The same idempotent POST from ``clients`` threads, released at once."""
    barrier = threading.Barrier(clients)
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            barrier.wait()
            response = post(client, tenant, body, key)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_duplicates_make_exactly_one_log(db_app: FastAPI, make_log: LogFactory) -> None:
    rounds = 5
    with live_server(db_app) as base_url:
        acme = new_tenant(db_app, "acme")
        for round_ in range(rounds):
            body = make_log(notes=f"round {round_}")
            results = _race(base_url, acme, body, f"dup-{round_}", clients=8)
            statuses = sorted(r.status_code for r in results)
            assert set(statuses) <= {201, 409}, statuses
            created = [r for r in results if r.status_code == 201]
            assert created, statuses
            assert len({r.content for r in created}) == 1
            # after the dust settles a retry is a replay of the same log
            with httpx.Client(base_url=base_url) as client:
                replay = post(client, acme, body, f"dup-{round_}")
            assert replay.status_code == 201 and replay.content == created[0].content
        assert count_rows(db_app, "logs") == rounds


def test_a_request_that_lost_its_claim_writes_nothing(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    from app import logs
    from app.logs import LogCreate

    app: FastAPI = db_client.app
    engine = state_of(app).engine
    body = make_log()
    fingerprint = _fingerprint(body, app)
    long_ago = datetime.now(UTC) - idempotency.IN_FLIGHT_TIMEOUT - timedelta(seconds=5)
    slow = idempotency.claim(engine, "acme", "k", "u-1", fingerprint, TTL, now=long_ago)
    fast = idempotency.claim(engine, "acme", "k", "u-1", fingerprint, TTL)  # took the abandoned claim over
    assert isinstance(slow, idempotency.Claim) and isinstance(fast, idempotency.Claim)
    with pytest.raises(logs.ClaimLost):
        logs.create(state_of(app).log_writer, "acme", "u-1", LogCreate.model_validate(body), claim=slow)
    assert count_rows(app, "logs") == 0
    created = logs.create(state_of(app).log_writer, "acme", "u-1", LogCreate.model_validate(body), claim=fast)
    assert isinstance(created, logs.Created)
    assert count_rows(app, "logs") == 1
    assert post(db_client, acme, body, "k").content == created.body


@pytest.mark.parametrize("user", ["é" * 128, "\U0001f9d8" * 128], ids=["128-x-2-byte", "128-x-4-byte"])
def test_the_longest_multi_byte_user_ids_replay(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, user: str
) -> None:
    # Percent-encoded, such an id makes a Location of 128 x 12 bytes: more than the old varchar(512) held.
    body = make_log()
    first = post(db_client, acme, body, "long-user", user=user)
    assert first.status_code == 201, first.text
    assert first.json()["user_id"] == user
    assert len(first.headers["location"]) > 512
    again = post(db_client, acme, body, "long-user", user=user)
    assert again.status_code == 201
    assert again.content == first.content and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert db_client.get(first.headers["location"], headers=acme.headers).json() == first.json()
