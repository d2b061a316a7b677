"""Tenancy: a key sees its own tenant's data and nothing else; no key, a bad key, a revoked key see nothing.

Every /users/... route the app has is tried from another tenant with the same user id: the routes are read
from the app, so a new route fails test_every_user_route_has_a_cross_tenant_case until it has its one-line row
in CROSS_TENANT (the body to send and the status the other tenant must get).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import LogFactory, Tenant
from fastapi.testclient import TestClient

from app.state import state_of
from app import keys

CHALLENGE = 'Bearer realm="hipflex"'
PROBLEM = "application/problem+json"


def _routes(user: str, log_id: str, body: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every route and verb that names a user (and a log)."""
    return [
        ("GET", f"/users/{user}/logs", None),
        ("GET", f"/users/{user}/logs/{log_id}", None),
        ("PATCH", f"/users/{user}/logs/{log_id}", {"notes": "mine now"}),
        ("DELETE", f"/users/{user}/logs/{log_id}", None),
        ("GET", f"/users/{user}/export", None),
        ("GET", f"/users/{user}/assessments", None),
        ("GET", f"/users/{user}/assessments/trends?test=modified-thomas-hip", None),
        ("GET", f"/users/{user}/outcomes", None),
    ]


def _assessment_routes(user: str, assessment_id: str) -> list[tuple[str, str, Any]]:
    """Every route and verb that names one of a user's assessments."""
    return [
        ("GET", f"/users/{user}/assessments/{assessment_id}", None),
        ("PATCH", f"/users/{user}/assessments/{assessment_id}", {"notes": "mine now"}),
        ("DELETE", f"/users/{user}/assessments/{assessment_id}", None),
        ("GET", f"/users/{user}/assessments?test=modified-thomas-hip", None),
        ("GET", f"/users/{user}/assessments/trends?test=modified-thomas-hip", None),
    ]


ALICE_THOMAS = {
    "test": "modified-thomas-hip", "performed_at": "2026-11-02T08:00:00Z", "method": "inclinometer", "rater": "self",
    "notes": "alice's knee", "trials": [{"side": "left", "thigh_angle": -8}, {"side": "right", "thigh_angle": 4}],
}


def test_another_tenant_gets_404_for_every_assessment_route(
    db_client: TestClient, acme: Tenant, globex: Tenant
) -> None:
    created = db_client.post("/users/alice/assessments", json=ALICE_THOMAS, headers=acme.headers)
    assert created.status_code == 201
    mine = created.json()
    missing_id = "00000000-0000-4000-8000-000000000000"
    for (method, path, body), (_, missing_path, _) in zip(
        _assessment_routes("alice", mine["id"]), _assessment_routes("alice", missing_id), strict=True
    ):
        foreign = db_client.request(method, path, json=body, headers=globex.headers)
        assert foreign.status_code == 404, (method, path, foreign.text)
        assert foreign.headers["content-type"] == PROBLEM
        nothing = db_client.request(method, missing_path, json=body, headers=globex.headers)
        assert nothing.status_code == 404
        assert foreign.json()["detail"].replace(mine["id"], "ID") == nothing.json()["detail"].replace(missing_id, "ID")
        assert "knee" not in foreign.text
    assert db_client.delete("/users/alice", headers=globex.headers).status_code == 204
    assert db_client.get(f"/users/alice/assessments/{mine['id']}", headers=acme.headers).json() == mine


@pytest.fixture
def alice_log(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> dict[str, Any]:
    response = db_client.post("/users/alice/logs", json=make_log(notes="alice's knee"), headers=acme.headers)
    assert response.status_code == 201
    return response.json()


def _unchanged(client: TestClient, tenant: Tenant, log: dict[str, Any]) -> None:
    response = client.get(f"/users/alice/logs/{log['id']}", headers=tenant.headers)
    assert response.status_code == 200
    assert response.json() == log


def test_another_tenant_gets_404_everywhere_exactly_as_for_nothing(
    db_client: TestClient, acme: Tenant, globex: Tenant, alice_log: dict[str, Any], make_log: LogFactory
) -> None:
    missing_id = "00000000-0000-4000-8000-000000000000"
    for (method, path, body), (_, missing_path, _) in zip(
        _routes("alice", alice_log["id"], make_log()), _routes("alice", missing_id, make_log()), strict=True
    ):
        foreign = db_client.request(method, path, json=body, headers=globex.headers)
        assert foreign.status_code == 404, (method, path, foreign.text)
        assert foreign.headers["content-type"] == PROBLEM
        # the same answer as for a log (or a user) that was never there, ids aside
        nothing = db_client.request(method, missing_path, json=body, headers=globex.headers)
        assert nothing.status_code == 404
        assert sorted(foreign.json()) == sorted(nothing.json())
        assert foreign.json()["detail"].replace(alice_log["id"], "ID") == nothing.json()["detail"].replace(
            missing_id, "ID"
        )
        assert "acme" not in foreign.text and "knee" not in foreign.text
    # erasure is idempotent, so it answers 204 — and erases nothing of another tenant's
    assert db_client.delete("/users/alice", headers=globex.headers).status_code == 204
    _unchanged(db_client, acme, alice_log)


def test_another_tenants_same_user_id_is_a_different_user(
    db_client: TestClient, acme: Tenant, globex: Tenant, alice_log: dict[str, Any], make_log: LogFactory
) -> None:
    theirs = db_client.post("/users/alice/logs", json=make_log(notes="globex alice"), headers=globex.headers)
    assert theirs.status_code == 201
    listed = db_client.get("/users/alice/logs", headers=globex.headers).json()["items"]
    assert [log["id"] for log in listed] == [theirs.json()["id"]]
    exported = db_client.get("/users/alice/export", headers=globex.headers).json()
    assert exported["count"] == 1 and exported["logs"][0]["notes"] == "globex alice"
    assert db_client.delete("/users/alice", headers=globex.headers).status_code == 204
    _unchanged(db_client, acme, alice_log)


def test_another_users_log_is_404(
    db_client: TestClient, acme: Tenant, alice_log: dict[str, Any], make_log: LogFactory
) -> None:
    db_client.post("/users/bob/logs", json=make_log(), headers=acme.headers)
    for method, path, body in _routes("bob", alice_log["id"], make_log())[1:4]:
        response = db_client.request(method, path, json=body, headers=acme.headers)
        assert response.status_code == 404, (method, path)
    _unchanged(db_client, acme, alice_log)


def _every_route(log_id: str, body: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        ("POST", "/users/alice/logs", body),
        *_routes("alice", log_id, body),
        ("DELETE", "/users/alice", None),
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YWNtZTpzZWNyZXQ="},
        {"Authorization": "Bearer hf_nope"},
        {"X-API-Key": "not-a-key"},
        {"Authorization": "Bearer hf_aaaaaaaa_" + "A" * 43},
    ],
    ids=["none", "empty bearer", "basic", "short key", "garbage x-api-key", "well-formed unknown key"],
)
def test_no_key_or_a_bad_key_is_401_everywhere(
    db_client: TestClient, acme: Tenant, alice_log: dict[str, Any], make_log: LogFactory, headers: dict[str, str]
) -> None:
    for method, path, body in _every_route(alice_log["id"], make_log()):
        response = db_client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == CHALLENGE
        assert response.headers["content-type"] == PROBLEM
    _unchanged(db_client, acme, alice_log)


def test_a_tampered_key_is_401(db_client: TestClient, acme: Tenant, alice_log: dict[str, Any]) -> None:
    last = acme.key[-1]
    tampered = acme.key[:-1] + ("A" if last != "A" else "B")
    response = db_client.get("/users/alice/logs", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == CHALLENGE


def test_x_api_key_works_too(db_client: TestClient, acme: Tenant, alice_log: dict[str, Any]) -> None:
    response = db_client.get(f"/users/alice/logs/{alice_log['id']}", headers={"X-API-Key": acme.key})
    assert response.status_code == 200


def test_a_revoked_key_is_401(
    db_client: TestClient, acme: Tenant, alice_log: dict[str, Any], make_log: LogFactory
) -> None:
    second_key, _ = keys.create(state_of(db_client.app).engine, "acme", "rotated")
    storage = state_of(db_client.app)
    assert keys.revoke(storage.engine, acme.prefix, storage.remembered_keys) is not None
    for method, path, body in _every_route(alice_log["id"], make_log()):
        response = db_client.request(method, path, json=body, headers=acme.headers)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == CHALLENGE
        assert "revoked" in response.json()["detail"]
    # the tenant's other key, and so its data, are untouched
    response = db_client.get(f"/users/alice/logs/{alice_log['id']}", headers={"X-API-Key": second_key})
    assert response.status_code == 200 and response.json() == alice_log


def test_the_catalogue_and_workouts_stay_public(db_client: TestClient) -> None:
    for path in ("/exercises", "/workouts?goal=rehab&seed=1"):
        response = db_client.get(path)
        assert response.status_code == 200, path
        assert "www-authenticate" not in response.headers


# --- every /users/... route the app has, from another tenant, with the same user id ---------------------
# One row per (method, path template): the body to send (None for none) and the status another tenant gets.
# A new /users/... route fails test_every_user_route_has_a_cross_tenant_case until it has a row here.
DAY = "2026-11-21"
PLAN = {"goal": "mobility", "weeks": 2, "days_per_week": 3, "start": DAY, "tz": "Europe/Berlin", "seed": 7}
CROSS_TENANT: dict[tuple[str, str], tuple[Any, int]] = {
    ("GET", "/users/{user_id}/logs"): (None, 404),
    ("POST", "/users/{user_id}/logs"): ("log", 201),  # creates the other tenant's own alice
    ("GET", "/users/{user_id}/logs/{log_id}"): (None, 404),
    ("PATCH", "/users/{user_id}/logs/{log_id}"): ({"notes": "mine now"}, 404),
    ("DELETE", "/users/{user_id}/logs/{log_id}"): (None, 404),
    ("POST", "/users/{user_id}/checkins"): ({"date": DAY, "pain": 9}, 201),  # their own alice's check-in
    ("GET", "/users/{user_id}/checkins"): (None, 404),
    ("GET", "/users/{user_id}/checkins/{day}"): (None, 404),
    ("DELETE", "/users/{user_id}/checkins/{day}"): (None, 404),
    ("GET", "/users/{user_id}/records"): (None, 404),
    ("GET", "/users/{user_id}/progress"): (None, 404),
    ("GET", "/users/{user_id}/progress/exercises/{slug}"): (None, 404),
    ("GET", "/users/{user_id}/export"): (None, 404),
    ("GET", "/users/{user_id}/outcomes"): (None, 404),
    ("GET", "/users/{user_id}/workouts/next"): (None, 200),  # a user with no logs: the plain workout
    ("DELETE", "/users/{user_id}"): (None, 204),  # erasure is idempotent, and erases nothing of acme's
    # their own alice's assessment
    ("POST", "/users/{user_id}/assessments"): ({k: v for k, v in ALICE_THOMAS.items() if k != "notes"}, 201),
    ("GET", "/users/{user_id}/assessments"): (None, 404),
    ("GET", "/users/{user_id}/assessments/trends"): (None, 404),
    ("GET", "/users/{user_id}/assessments/{assessment_id}"): (None, 404),
    ("PATCH", "/users/{user_id}/assessments/{assessment_id}"): ({"notes": "mine now"}, 404),
    ("DELETE", "/users/{user_id}/assessments/{assessment_id}"): (None, 404),
    # their own alice's programme (the same goal as acme's: one open per goal is per tenant and user)
    ("POST", "/users/{user_id}/programmes"): (PLAN, 201),
    ("GET", "/users/{user_id}/programmes"): (None, 404),
    ("GET", "/users/{user_id}/programmes/{programme_id}"): (None, 404),
    ("PATCH", "/users/{user_id}/programmes/{programme_id}"): ({"status": "ended"}, 404),
    ("DELETE", "/users/{user_id}/programmes/{programme_id}"): (None, 404),
    ("GET", "/users/{user_id}/programmes/{programme_id}/today"): (None, 404),
    ("GET", "/users/{user_id}/programmes/{programme_id}/calendar.ics"): (None, 404),
}


def _user_routes() -> set[tuple[str, str]]:
    from fastapi.routing import iter_route_contexts

    from app.main import create_app

    return {
        (method, route.path_format)
        for route in iter_route_contexts(create_app().routes)
        if route.methods and route.path_format.startswith("/users/")
        for method in route.methods - {"HEAD"}
    }


def test_every_user_route_has_a_cross_tenant_case() -> None:
    assert _user_routes() == set(CROSS_TENANT)


@pytest.mark.parametrize(("method", "template"), sorted(CROSS_TENANT), ids=str)
def test_another_tenant_with_the_same_user_id_sees_nothing_of_acmes(
    db_client: TestClient,
    acme: Tenant,
    globex: Tenant,
    alice_log: dict[str, Any],
    make_log: LogFactory,
    method: str,
    template: str,
) -> None:
    checkin = {"date": DAY, "pain": 2, "stiffness": 1}
    assert db_client.post("/users/alice/checkins", json=checkin, headers=acme.headers).status_code == 201
    acme_checkins = db_client.get("/users/alice/checkins", headers=acme.headers).json()
    measured = db_client.post("/users/alice/assessments", json=ALICE_THOMAS, headers=acme.headers).json()
    planned = db_client.post("/users/alice/programmes", json=PLAN, headers=acme.headers).json()
    body, expected = CROSS_TENANT[(method, template)]
    path = template.format(
        user_id="alice", log_id=alice_log["id"], day=DAY, slug="thomas-test", assessment_id=measured["id"],
        programme_id=planned["id"],
    )
    if template.endswith("/workouts/next"):
        path += "?goal=rehab"
    if template.endswith("/trends"):
        path += "?test=modified-thomas-hip"
    foreign = db_client.request(method, path, json=make_log() if body == "log" else body, headers=globex.headers)
    assert foreign.status_code == expected, (method, path, foreign.text)
    assert "alice's knee" not in foreign.text and "acme" not in foreign.text
    if expected == 404:
        assert foreign.headers["content-type"] == PROBLEM
    _unchanged(db_client, acme, alice_log)
    assert db_client.get("/users/alice/checkins", headers=acme.headers).json() == acme_checkins
    assert db_client.get(f"/users/alice/assessments/{measured['id']}", headers=acme.headers).json() == measured
    assert db_client.get(planned["self"], headers=acme.headers).json() == planned
