"""Check-ins on both databases: one a date, paging, idempotency, export, erasure, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import LogFactory, Tenant, count_rows
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def _post(client: TestClient, tenant: Tenant, body: dict[str, Any], user: str = "u1", **headers: str) -> Any:
    return client.post(f"/users/{user}/checkins", json=body, headers={**tenant.headers, **headers})


def test_a_checkin_is_stored_read_and_deleted(db_client: TestClient, acme: Tenant) -> None:
    created = _post(db_client, acme, {"date": "2026-11-20", "pain": 2, "stiffness": 4, "notes": "stiff morning"})
    assert created.status_code == 201
    assert created.headers["location"] == "/users/u1/checkins/2026-11-20"
    body = created.json()
    assert (body["date"], body["pain"], body["stiffness"], body["notes"]) == ("2026-11-20", 2, 4, "stiff morning")
    assert db_client.get("/users/u1/checkins/2026-11-20", headers=acme.headers).json() == body
    assert db_client.delete("/users/u1/checkins/2026-11-20", headers=acme.headers).status_code == 204
    assert db_client.get("/users/u1/checkins/2026-11-20", headers=acme.headers).status_code == 404


def test_a_second_checkin_on_a_date_is_409_and_keeps_the_first(db_client: TestClient, acme: Tenant) -> None:
    assert _post(db_client, acme, {"date": "2026-11-20", "pain": 2}).status_code == 201
    again = _post(db_client, acme, {"date": "2026-11-20", "pain": 7})
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    assert again.json()["type"].endswith("/checkin-exists")
    assert again.headers["location"] == "/users/u1/checkins/2026-11-20"
    assert db_client.get("/users/u1/checkins/2026-11-20", headers=acme.headers).json()["pain"] == 2


def test_an_idempotent_retry_replays_and_stores_once(db_client: TestClient, acme: Tenant) -> None:
    body = {"date": "2026-11-21", "pain": 3}
    first = _post(db_client, acme, body, **{"Idempotency-Key": "k-1"})
    replay = _post(db_client, acme, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    assert count_rows(db_client.app, "checkins") == 1
    other = _post(db_client, acme, {"date": "2026-11-22", "pain": 3}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")


def test_pages_go_latest_first_and_follow_next(db_client: TestClient, acme: Tenant) -> None:
    for day in range(1, 6):
        assert _post(db_client, acme, {"date": f"2026-11-0{day}", "pain": day}).status_code == 201
    seen: list[str] = []
    url: str | None = "/users/u1/checkins?limit=2"
    while url is not None:
        page = db_client.get(url, headers=acme.headers)
        assert page.status_code == 200
        seen += [item["date"] for item in page.json()["items"]]
        url = page.json()["next"]
    assert seen == [f"2026-11-0{day}" for day in range(5, 0, -1)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-11-20", "pain": 11}, "pain"),
        ({"date": "2026-11-20", "pain": -1}, "pain"),
        ({"date": "2026-11-20", "pain": 2, "stiffness": 11}, "stiffness"),
        ({"date": "2026-11-20T08:00:00Z", "pain": 2}, "date"),
        ({"date": 1764000000, "pain": 2}, "date"),
        ({"date": "2026-02-30", "pain": 2}, "date"),
        ({"pain": 2}, "date"),
        ({"date": "2026-11-20", "pain": 2, "notes": "a\x00b"}, "notes"),
        ({"date": "2026-11-20", "pain": 2, "notes": "x" * 2001}, "notes"),
        ({"date": "2026-11-20", "pain": 2, "mood": "ok"}, "mood"),
    ],
)
def test_bad_checkins_are_422_naming_the_field(
    db_client: TestClient, acme: Tenant, body: dict[str, Any], field: str
) -> None:
    response = _post(db_client, acme, body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert field in [error["field"] for error in response.json()["errors"]]
    assert count_rows(db_client.app, "checkins") == 0


def test_another_tenants_checkins_are_404(db_client: TestClient, acme: Tenant, globex: Tenant) -> None:
    assert _post(db_client, acme, {"date": "2026-11-20", "pain": 2}).status_code == 201
    for method, url in [
        ("GET", "/users/u1/checkins"),
        ("GET", "/users/u1/checkins/2026-11-20"),
        ("DELETE", "/users/u1/checkins/2026-11-20"),
    ]:
        response = db_client.request(method, url, headers=globex.headers)
        assert response.status_code == 404, (method, url)
    assert db_client.get("/users/u1/checkins/2026-11-20", headers=acme.headers).status_code == 200


def test_export_holds_checkins_and_erasure_removes_them(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    assert _post(db_client, acme, {"date": "2026-11-20", "pain": 2}).status_code == 201
    assert _post(db_client, acme, {"date": "2026-11-19", "pain": 4}, **{"Idempotency-Key": "k-2"}).status_code == 201
    only_checkins = db_client.get("/users/u1/export", headers=acme.headers)
    assert only_checkins.status_code == 200
    assert [c["date"] for c in only_checkins.json()["checkins"]] == ["2026-11-19", "2026-11-20"]
    assert only_checkins.json()["count"] == 0
    assert db_client.post("/users/u1/logs", json=make_log(), headers=acme.headers).status_code == 201
    assert db_client.get("/users/u1/export", headers=acme.headers).json()["count"] == 1

    assert db_client.delete("/users/u1", headers=acme.headers).status_code == 204
    assert count_rows(db_client.app, "checkins") == 0
    assert count_rows(db_client.app, "idempotency_keys") == 0
    assert db_client.get("/users/u1/checkins", headers=acme.headers).status_code == 404
    assert db_client.get("/users/u1/export", headers=acme.headers).status_code == 404
