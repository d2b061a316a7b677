"""Workout logs through the HTTP API: create, read, page, filter, change, delete, export, erase, refuse."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import LogFactory, Tenant, make_settings, new_tenant
from fastapi.testclient import TestClient

from app.catalogue import Catalogue
from app.logs import EXPORT_PAGE
from app.main import create_app
from app.state import state_of
from app.workouts.models import SEED_MAX

PROBLEM = "application/problem+json"


def post(client: TestClient, tenant: Tenant, body: Any, user: str = "u-1", **headers: str) -> Any:
    # json.dumps escapes what httpx would refuse to encode (a lone surrogate)
    content = json.dumps(body).encode()
    return client.post(
        f"/users/{user}/logs", content=content, headers=tenant.headers | {"Content-Type": "application/json"} | headers
    )


def count_logs(client: TestClient, tenant: Tenant, user: str = "u-1") -> int:
    response = client.get(f"/users/{user}/export", headers=tenant.headers)
    if response.status_code == 404:
        return 0
    assert response.status_code == 200
    return int(response.json()["count"])


# --- create and read ----------------------------------------------------------------


def test_create_returns_the_log_with_location(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    body = make_log(performed_at="2026-11-20T09:30:00+01:00")
    response = post(db_client, acme, body)
    assert response.status_code == 201, response.text
    log = response.json()
    assert response.headers["location"] == f"/users/u-1/logs/{log['id']}"
    assert len(log["id"]) == 36 and log["id"].count("-") == 4
    assert log["user_id"] == "u-1"
    assert log["performed_at"] == "2026-11-20T08:30:00Z"  # UTC, with its offset
    assert log["workout"] == {"goal": "rehab", "seed": 42}
    assert [e["exercise"] for e in log["entries"]] == [e["exercise"] for e in body["entries"]]
    first_set = log["entries"][0]["sets"][0]
    assert first_set == {
        "reps": 10,
        "hold_seconds": None,
        "load_kg": 12.5,
        "side": "left",
        "rpe": 7,
        "pain": 1,
        "rir": None,
        "completed": True,
    }
    assert log["entries"][0]["sets"][2]["completed"] is False
    assert log["created_at"] == log["updated_at"]
    assert "tenant" not in json.dumps(log)
    assert "acme" not in response.text

    fetched = db_client.get(response.headers["location"], headers=acme.headers)
    assert fetched.status_code == 200
    assert fetched.json() == log


def test_workout_self_link_is_kept(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    workout = db_client.get("/workouts?goal=strength&equipment=band,wall&seed=7")  # public: no key
    assert workout.status_code == 200
    link = workout.json()["self"]
    log = post(db_client, acme, make_log(workout=link)).json()
    assert db_client.get(f"/users/u-1/logs/{log['id']}", headers=acme.headers).json()["workout"] == link


def test_user_ids_are_opaque_text(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    user = "Émile O'Brien #7 (ü)"
    response = db_client.post("/users/" + user.replace("#", "%23") + "/logs", json=make_log(), headers=acme.headers)
    assert response.status_code == 201, response.text
    assert response.json()["user_id"] == user
    assert db_client.get(response.headers["location"], headers=acme.headers).json()["user_id"] == user


# --- list: order, pages, filters ----------------------------------------------------------


def test_pages_walk_every_log_once_newest_first(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    created = []
    for i in range(23):
        # three logs share each instant, so ties are broken by id
        when = (start + timedelta(hours=i // 3)).isoformat()
        created.append(post(db_client, acme, make_log(performed_at=when, entries=1)).json())
    expected = sorted(created, key=lambda log: (log["performed_at"], log["id"]), reverse=True)

    seen: list[dict[str, Any]] = []
    url: str | None = "/users/u-1/logs?limit=5"
    pages = 0
    while url is not None:
        response = db_client.get(url, headers=acme.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(page["items"])
        url = page["next"]
        pages += 1
    assert pages == 5
    assert [log["id"] for log in seen] == [log["id"] for log in expected]

    default = db_client.get("/users/u-1/logs", headers=acme.headers).json()
    assert len(default["items"]) == 20 and default["next"] is not None


def test_last_full_page_has_no_next(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    for i in range(4):
        post(db_client, acme, make_log(performed_at=f"2026-02-0{i + 1}T10:00:00Z", entries=1))
    page = db_client.get("/users/u-1/logs?limit=4", headers=acme.headers).json()
    assert len(page["items"]) == 4 and page["next"] is None


def test_filters_by_date_range_and_exercise(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, slugs: list[str]
) -> None:
    a, b = slugs[0], slugs[1]
    days = {}
    for day in range(1, 11):
        exercises = [a] if day % 2 else [b, a] if day % 3 == 0 else [b]
        log = post(db_client, acme, make_log(performed_at=f"2026-03-{day:02d}T12:00:00+00:00", exercises=exercises))
        days[day] = (log.json()["id"], exercises)

    def ids(query: str) -> list[str]:
        response = db_client.get(f"/users/u-1/logs?limit=100&{query}", headers=acme.headers)
        assert response.status_code == 200, response.text
        return [log["id"] for log in response.json()["items"]]

    # from is inclusive, to exclusive; the offsets are honoured
    assert ids("from=2026-03-03T12:00:00Z&to=2026-03-06T12:00:00Z") == [days[d][0] for d in (5, 4, 3)]
    assert ids("from=2026-03-09T13:00:00%2B01:00") == [days[d][0] for d in (10, 9)]
    with_b = [days[d][0] for d in range(10, 0, -1) if b in days[d][1]]
    assert ids(f"exercise={b}") == with_b and len(with_b) == 5
    assert ids(f"exercise={a}&to=2026-03-04T00:00:00Z") == [days[d][0] for d in (3, 1)]
    assert ids("exercise=no-such-exercise") == []


@pytest.mark.parametrize(
    "query",
    ["cursor=not-a-cursor", "cursor=WzEsMl0", "limit=0", "limit=101", "from=2026-03-01T00:00:00", "to=yesterday"],
)
def test_bad_list_queries_are_422(db_client: TestClient, acme: Tenant, make_log: LogFactory, query: str) -> None:
    post(db_client, acme, make_log())
    response = db_client.get(f"/users/u-1/logs?{query}", headers=acme.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    field = query.split("=")[0]
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_user_without_logs_is_not_found(db_client: TestClient, acme: Tenant) -> None:
    for path in ("/users/nobody/logs", "/users/nobody/export"):
        response = db_client.get(path, headers=acme.headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM


# --- change and delete ------------------------------------------------------------------


def test_patch_replaces_what_is_given(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, slugs: list[str]
) -> None:
    log = post(db_client, acme, make_log(exercises=[slugs[0], slugs[1]])).json()
    url = f"/users/u-1/logs/{log['id']}"
    new_entries = [{"exercise": slugs[2], "sets": [{"hold_seconds": 45}]}]
    response = db_client.patch(
        url, json={"notes": None, "pain_after": 0, "entries": new_entries}, headers=acme.headers
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["notes"] is None and changed["pain_after"] == 0
    assert changed["pain_before"] == log["pain_before"] and changed["performed_at"] == log["performed_at"]
    assert [e["exercise"] for e in changed["entries"]] == [slugs[2]]
    assert changed["updated_at"] > log["updated_at"] and changed["created_at"] == log["created_at"]
    assert db_client.get(url, headers=acme.headers).json() == changed

    # the exercise index follows the new entries
    def ids(slug: str) -> list[str]:
        page = db_client.get(f"/users/u-1/logs?exercise={slug}", headers=acme.headers).json()
        return [x["id"] for x in page["items"]]

    assert ids(slugs[0]) == [] and ids(slugs[2]) == [log["id"]]

    moved = db_client.patch(url, json={"performed_at": "2026-01-01T00:00:00-05:00"}, headers=acme.headers).json()
    assert moved["performed_at"] == "2026-01-01T05:00:00Z" and moved["entries"] == changed["entries"]


@pytest.mark.parametrize(
    "patch, field",
    [
        ({}, "body"),
        ({"performed_at": None}, "performed_at"),
        ({"entries": None}, "entries"),
        ({"entries": []}, "entries"),
        ({"session_rpe": 0}, "session_rpe"),
        ({"tenant": "globex"}, "tenant"),
        ({"entries": [{"exercise": "no-such-exercise", "sets": [{"reps": 1}]}]}, "entries.0.exercise"),
    ],
)
def test_bad_patches_change_nothing(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, patch: dict[str, Any], field: str
) -> None:
    log = post(db_client, acme, make_log()).json()
    url = f"/users/u-1/logs/{log['id']}"
    response = db_client.patch(url, json=patch, headers=acme.headers)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert db_client.get(url, headers=acme.headers).json() == log


def test_delete_one_log(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    keep = post(db_client, acme, make_log()).json()
    gone = post(db_client, acme, make_log()).json()
    url = f"/users/u-1/logs/{gone['id']}"
    assert db_client.delete(url, headers=acme.headers).status_code == 204
    assert db_client.get(url, headers=acme.headers).status_code == 404
    assert db_client.delete(url, headers=acme.headers).status_code == 404
    assert [x["id"] for x in db_client.get("/users/u-1/logs", headers=acme.headers).json()["items"]] == [keep["id"]]


# --- export and erasure ------------------------------------------------------------------


def test_export_has_every_log_oldest_first(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    created = [post(db_client, acme, make_log(performed_at=f"2026-04-{d:02d}T08:00:00Z")).json() for d in (3, 1, 2)]
    post(db_client, acme, make_log(), user="someone-else")
    response = db_client.get("/users/u-1/export", headers=acme.headers)
    assert response.status_code == 200
    export = response.json()
    assert export["user_id"] == "u-1" and export["count"] == 3
    assert datetime.fromisoformat(export["exported_at"]).tzinfo is not None
    assert export["logs"] == sorted(created, key=lambda log: log["performed_at"])


def test_export_streams_every_page_in_order(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    # More logs than one export page, with ties on performed_at: the pages must join without a gap or repeat.
    times = [f"2026-05-{1 + i % 4:02d}T08:00:00Z" for i in range(2 * EXPORT_PAGE + 3)]
    created = [post(db_client, acme, make_log(performed_at=t)).json() for t in times]
    response = db_client.get("/users/u-1/export", headers=acme.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    export = response.json()
    assert list(export) == ["user_id", "exported_at", "logs", "count", "checkins", "assessments", "programmes"]
    assert export["checkins"] == export["assessments"] == []
    assert export["count"] == len(created)
    assert export["logs"] == sorted(created, key=lambda log: (log["performed_at"], log["id"]))


def test_exports_beyond_the_streams_allowed_are_refused_at_once(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    """Every place taken (as by exports whose clients do not read): the next is a 503 with Retry-After,
    nothing read; an export that ends, or a user not found, gives its place back."""
    streams = state_of(db_client.app).export_streams  # type: ignore[arg-type]
    post(db_client, acme, make_log())
    assert db_client.get("/users/u-1/export", headers=acme.headers).status_code == 200
    assert db_client.get("/users/nobody/export", headers=acme.headers).status_code == 404
    assert streams.streaming == 0
    taken = 0
    while streams.take():
        taken += 1
    try:
        assert taken == streams.limit == 16
        refused = db_client.get("/users/u-1/export", headers=acme.headers)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/exports-busy") and "16 exports" in refused.json()["detail"]
    finally:
        for _ in range(taken):
            streams.give_back()
    assert db_client.get("/users/u-1/export", headers=acme.headers).status_code == 200


def test_a_stored_seed_is_one_workouts_accepts(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    largest = SEED_MAX
    stored = post(db_client, acme, make_log(workout={"goal": "mobility", "seed": largest}))
    assert stored.status_code == 201, stored.text
    again = db_client.get(f"/workouts?goal=mobility&seed={stored.json()['workout']['seed']}")
    assert again.status_code == 200 and again.json()["seed"] == largest
    too_large = post(db_client, acme, make_log(workout={"goal": "mobility", "seed": largest + 1}))
    assert too_large.status_code == 422
    assert db_client.get(f"/workouts?goal=mobility&seed={largest + 1}").status_code == 422


def test_erasure_removes_every_log_of_the_user_only(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, slugs: list[str]
) -> None:
    logs = [post(db_client, acme, make_log()).json() for _ in range(3)]
    other = post(db_client, acme, make_log(), user="u-2").json()
    assert db_client.delete("/users/u-1", headers=acme.headers).status_code == 204
    for log in logs:
        assert db_client.get(f"/users/u-1/logs/{log['id']}", headers=acme.headers).status_code == 404
    assert db_client.get("/users/u-1/export", headers=acme.headers).status_code == 404
    assert db_client.get(f"/users/u-1/logs?exercise={slugs[0]}", headers=acme.headers).status_code == 404
    assert db_client.get(f"/users/u-2/logs/{other['id']}", headers=acme.headers).status_code == 200
    # idempotent
    assert db_client.delete("/users/u-1", headers=acme.headers).status_code == 204
    assert db_client.delete("/users/never-seen", headers=acme.headers).status_code == 204


def test_erasure_also_forgets_idempotent_responses(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    body = make_log(notes="private")
    first = post(db_client, acme, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert db_client.delete("/users/u-1", headers=acme.headers).status_code == 204
    again = post(db_client, acme, body, **{"Idempotency-Key": "k-1"})
    # not a replay of the erased log: a new one
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in again.headers
    assert count_logs(db_client, acme) == 1


# --- refusals ----------------------------------------------------------------------------


def _set(**fields: Any) -> dict[str, Any]:
    return {"exercise": "EXERCISE", "sets": [{"reps": 5, **fields}]}


BAD_BODIES: list[tuple[str, Any, str]] = [
    # (case, change to a valid body, the field the problem must name)
    ("101 entries", {"entries": [_set()] * 101}, "entries"),
    ("no entries", {"entries": []}, "entries"),
    ("51 sets", {"entries": [{"exercise": "EXERCISE", "sets": [{"reps": 1}] * 51}]}, "entries.0.sets"),
    ("no sets", {"entries": [{"exercise": "EXERCISE", "sets": []}]}, "entries.0.sets"),
    ("2,001-char notes", {"notes": "x" * 2001}, "notes"),
    ("NUL in notes", {"notes": "ok\x00then"}, "notes"),
    ("lone surrogate in notes", {"notes": "\ud800"}, "notes"),
    ("NUL in workout link", {"workout": "/workouts?goal=rehab\x00"}, "workout"),
    ("rpe 11", {"entries": [_set(rpe=11)]}, "entries.0.sets.0.rpe"),
    ("session rpe 0", {"session_rpe": 0}, "session_rpe"),
    ("pain 11", {"pain_after": 11}, "pain_after"),
    ("negative reps", {"entries": [{"exercise": "EXERCISE", "sets": [{"reps": -3}]}]}, "entries.0.sets.0.reps"),
    ("neither reps nor hold", {"entries": [{"exercise": "EXERCISE", "sets": [{"load_kg": 5}]}]}, "entries.0.sets.0"),
    ("load over 1000 kg", {"entries": [_set(load_kg=1000.5)]}, "entries.0.sets.0.load_kg"),
    ("negative load", {"entries": [_set(load_kg=-1)]}, "entries.0.sets.0.load_kg"),
    ("bad side", {"entries": [_set(side="middle")]}, "entries.0.sets.0.side"),
    ("naive datetime", {"performed_at": "2026-11-20T09:30:00"}, "performed_at"),
    ("number as datetime", {"performed_at": 1763630000}, "performed_at"),
    ("year 1", {"performed_at": "0001-01-01T00:00:00+01:00"}, "performed_at"),
    ("year 2200 as written", {"performed_at": "2200-01-01T00:00:00+01:00"}, "performed_at"),
    ("numeric string as datetime", {"performed_at": "1763630000"}, "performed_at"),
    ("datetime without seconds", {"performed_at": "2026-11-20T09:30+01:00"}, "performed_at"),
    ("missing performed_at", {"performed_at": None}, "performed_at"),
    ("unknown slug", {"entries": [_set(), {"exercise": "moon-walk", "sets": [{"reps": 1}]}]}, "entries.1.exercise"),
    ("string reps", {"entries": [{"exercise": "EXERCISE", "sets": [{"reps": "10"}]}]}, "entries.0.sets.0.reps"),
    ("float reps", {"entries": [{"exercise": "EXERCISE", "sets": [{"reps": 10.5}]}]}, "entries.0.sets.0.reps"),
    ("bool reps", {"entries": [{"exercise": "EXERCISE", "sets": [{"reps": True}]}]}, "entries.0.sets.0.reps"),
    ("bool completed as string", {"entries": [_set(completed="yes")]}, "entries.0.sets.0.completed"),
    ("entries not a list", {"entries": "squats"}, "entries"),
    ("extra field", {"tenant": "globex"}, "tenant"),
    ("extra set field", {"entries": [_set(tempo="3-1-1")]}, "entries.0.sets.0.tempo"),
    ("bad workout goal", {"workout": {"goal": "flying", "seed": 1}}, "workout"),
    ("workout not a workout link", {"workout": "https://evil.example/x"}, "workout"),
    ("duration over a day", {"duration_minutes": 1441}, "duration_minutes"),
]


@pytest.mark.parametrize("change, field", [(c, f) for _, c, f in BAD_BODIES], ids=[case for case, _, _ in BAD_BODIES])
def test_bad_bodies_are_refused_and_write_nothing(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, slugs: list[str], change: dict[str, Any], field: str
) -> None:
    body = make_log()
    body.update(json.loads(json.dumps(change).replace("EXERCISE", slugs[0])))
    if body.get("performed_at") is None:
        del body["performed_at"]
    # a key seen a moment ago: the fast path must hand bad bodies on to the route
    assert db_client.get("/users/u-1/logs", headers=acme.headers).status_code == 404
    response = post(db_client, acme, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422
    fields = [error["field"] for error in problem["errors"]]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields
    assert count_logs(db_client, acme) == 0


def test_malformed_json_is_refused(db_client: TestClient, acme: Tenant) -> None:
    response = db_client.post(
        "/users/u-1/logs", content=b'{"performed_at": ', headers=acme.headers | {"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert count_logs(db_client, acme) == 0


def test_body_bytes_that_are_not_utf8_are_a_documented_415(db_client: TestClient, acme: Tenant) -> None:
    headers = acme.headers | {"Content-Type": "application/json"}
    response = db_client.post("/users/u-1/logs", content=b'{"notes": "\xff"}', headers=headers)
    assert response.status_code == 415  # not UTF-8 JSON (issue 21)
    assert response.headers["content-type"] == PROBLEM
    assert "byte 11 (0xff)" in response.json()["detail"]
    documented = db_client.get("/openapi.json").json()["paths"]["/users/{user_id}/logs"]["post"]["responses"]
    assert "415" in documented
    assert count_logs(db_client, acme) == 0


def test_whole_numbers_written_as_floats_are_integers(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    # JSON Schema's `integer` includes 10.0, and the document says `integer`.
    body = make_log(duration_minutes=35.0, entries=1)
    body["entries"][0]["sets"] = [{"reps": 10.0, "rpe": 7.0}]
    response = post(db_client, acme, body)
    assert response.status_code == 201, response.text
    stored = db_client.get(response.headers["location"], headers=acme.headers).json()
    assert stored["duration_minutes"] == 35 and isinstance(stored["duration_minutes"], int)
    assert stored["entries"][0]["sets"][0]["reps"] == 10 and isinstance(stored["entries"][0]["sets"][0]["reps"], int)


def test_user_ids_refuse_only_control_characters(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    # The rule the document's pattern states: any text but C0, DEL and C1 controls.
    for user in ["no\u00a0break", "zero\u200bwidth"]:
        response = db_client.post(f"/users/{user}/logs", json=make_log(), headers=acme.headers)
        assert response.status_code == 201, (user, response.text)
    for user in ["del%7F", "c1%C2%85"]:
        response = db_client.post(f"/users/{user}/logs", json=make_log(), headers=acme.headers)
        assert response.status_code == 422, (user, response.text)


def test_a_body_over_256_kib_is_413(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    body = json.dumps(make_log(notes="x" * (257 * 1024))).encode()
    headers = acme.headers | {"Content-Type": "application/json"}
    response = db_client.post("/users/u-1/logs", content=body, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 413
    assert count_logs(db_client, acme) == 0


def test_a_streamed_body_over_the_limit_is_413(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    chunk = b" " * 65536

    def stream() -> Any:  # no Content-Length: the middleware has to count
        yield b'{"performed_at": "2026-01-01T00:00:00Z", "notes": "x", '
        for _ in range(5):
            yield chunk
        yield b'"entries": []}'

    response = db_client.post(
        "/users/u-1/logs", content=stream(), headers=acme.headers | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert count_logs(db_client, acme) == 0


@pytest.mark.parametrize(
    "user, field",
    [("x" * 129, "user_id"), ("a%01b", "user_id"), ("a%00b", "user_id"), ("tab%09in", "user_id")],
    ids=["129 chars", "control char", "NUL", "tab"],
)
def test_bad_user_ids_are_422(db_client: TestClient, acme: Tenant, make_log: LogFactory, user: str, field: str) -> None:
    for method, path, body in [
        ("POST", f"/users/{user}/logs", make_log()),
        ("GET", f"/users/{user}/logs", None),
        ("GET", f"/users/{user}/export", None),
        ("DELETE", f"/users/{user}", None),
    ]:
        response = db_client.request(method, path, json=body, headers=acme.headers)
        assert response.status_code == 422, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert [error["field"] for error in response.json()["errors"]] == [field]
    assert db_client.get(f"/users/{'x' * 128}/logs", headers=acme.headers).status_code == 404


# --- the write on the fast path (app.api.fastpath) ---------------------------------------------


def _shape(response: Any) -> tuple[int, str, str, dict[str, Any]]:
    body = response.json()
    for volatile in ("id", "created_at", "updated_at"):
        body.pop(volatile)
    location = response.headers["location"].rsplit("/", 1)[0]
    return response.status_code, response.headers["content-type"], location, body


def _served(client: TestClient) -> float:
    value = state_of(client.app).metrics.registry.get_sample_value(
        "hipflex_fast_path_total", {"route": "/users/{user_id}/logs"}
    )
    return value or 0.0


def test_the_fast_path_writes_exactly_like_the_route(
    database_url: str, catalogue: Catalogue, make_log: LogFactory
) -> None:
    shapes = []
    for fast_path in (True, False):
        app = create_app(make_settings(database_url, fast_path=fast_path), catalogue=catalogue)
        with TestClient(app) as client:
            tenant = new_tenant(app, f"fast-{str(fast_path).lower()}")
            first = post(client, tenant, make_log(), user="Zoë 1")  # a key not seen yet: checked, then remembered
            again = post(client, tenant, make_log(), user="Zoë 1")
            assert _shape(first) == _shape(again)
            assert client.get(again.headers["location"], headers=tenant.headers).json() == again.json()
            assert _served(client) == (2.0 if fast_path else 0.0)  # both written by the fast path, when on
            shapes.append(_shape(again))
    assert shapes[0] == shapes[1]


@pytest.mark.parametrize(
    "headers, status",
    [({"Content-Type": "text/plain"}, 415), ({"Content-Type": "application/json; charset=utf-8"}, 201)],
)
def test_the_fast_path_leaves_other_content_types_to_the_route(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, headers: dict[str, str], status: int
) -> None:
    assert db_client.get("/users/u-1/logs", headers=acme.headers).status_code == 404  # the key is known now
    response = db_client.post(
        "/users/u-1/logs", content=json.dumps(make_log()), headers=acme.headers | headers
    )
    assert response.status_code == status, response.text


# --- what must never reach the database ------------------------------------------------------


@pytest.mark.parametrize("log_id", ["a%00b", "not-a-uuid", "00000000-0000-4000-8000-00000000000G", "x" * 300])
def test_odd_log_ids_are_simply_not_found(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, log_id: str
) -> None:
    post(db_client, acme, make_log())
    for method, body in [("GET", None), ("PATCH", {"notes": "x"}), ("DELETE", None)]:
        response = db_client.request(method, f"/users/u-1/logs/{log_id}", json=body, headers=acme.headers)
        assert response.status_code == 404, (method, response.text)
        assert response.headers["content-type"] == PROBLEM


# Each forged cursor is the real one below with one thing wrong, the thing its id names: as the
# real one is accepted (the positive control), each 422 can only be for that reason.
MICROS, LOG_HEX = "1795163400000000", "0" * 12 + "4" + "0" * 3 + "8" + "0" * 15
FORGED_CURSORS = {
    "micros past year 9999": f"1{'0' * 17}.{LOG_HEX}",
    "micros before year 1": f"-{'9' * 17}.{LOG_HEX}",
    "micros with a plus sign": f"+{MICROS}.{LOG_HEX}",
    "micros with underscores": f"1_795_163_400_000_000.{LOG_HEX}",
    "micros in Arabic-Indic digits": f"{'١٧٩٥'}163400000000.{LOG_HEX}",
    "micros with a fraction": f"{MICROS}.5.{LOG_HEX}",
    "micros missing": f".{LOG_HEX}",
    "id missing": f"{MICROS}.",
    "id too short": f"{MICROS}.{LOG_HEX[:-1]}",
    "id too long": f"{MICROS}.{LOG_HEX}0",
    "id not hex": f"{MICROS}.{LOG_HEX[:-1]}g",
    "id in uppercase hex": f"{MICROS}.{'AB' + LOG_HEX[2:]}",
    "id with dashes": f"{MICROS}.{uuid.UUID(hex=LOG_HEX)}",
    "an extra part": f"{MICROS}.{LOG_HEX}.0",
    "a leading space": f" {MICROS}.{LOG_HEX}",
    "a trailing newline": f"{MICROS}.{LOG_HEX}\n",
    "the old base64 JSON format": "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgIjAwMDAwMDAwIl0",
}


def test_a_cursor_in_todays_format_is_accepted(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> None:
    """The positive control for the forged cursors: the same shape, nothing wrong, is a page."""
    times = ("2026-11-20T09:30:00Z", "2026-11-21T09:30:00Z")
    early, late = (post(db_client, acme, make_log(performed_at=t)).json() for t in times)
    first = db_client.get("/users/u-1/logs?limit=1", headers=acme.headers).json()
    assert [log["id"] for log in first["items"]] == [late["id"]]
    issued = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    micros, log_hex = issued.split(".")
    assert re.fullmatch(r"\d{16}", micros) and re.fullmatch(r"[0-9a-f]{32}", log_hex), issued
    for cursor in (issued, f"{MICROS}.{LOG_HEX}"):
        response = db_client.get("/users/u-1/logs", params={"cursor": cursor}, headers=acme.headers)
        assert response.status_code == 200, (cursor, response.text)
    page = db_client.get("/users/u-1/logs", params={"cursor": issued}, headers=acme.headers).json()
    assert [log["id"] for log in page["items"]] == [early["id"]]


@pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
def test_forged_cursors_are_422(db_client: TestClient, acme: Tenant, make_log: LogFactory, cursor: str) -> None:
    post(db_client, acme, make_log())
    response = db_client.get("/users/u-1/logs", params={"cursor": cursor}, headers=acme.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "cursor"
    assert response.json()["errors"][0]["message"] == "is not a cursor this API issued"


def test_a_deeply_nested_body_is_a_client_error(db_client: TestClient, acme: Tenant) -> None:
    assert db_client.get("/users/u-1/logs", headers=acme.headers).status_code == 404  # warm the key
    body = b"[" * 100_000 + b"]" * 100_000
    headers = acme.headers | {"Content-Type": "application/json"}
    response = db_client.post("/users/u-1/logs", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM


def test_next_links_of_a_user_id_outside_ascii_are_uris_that_lead_on(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    # Found by the fuzzer: the path went into the Link header undecoded, and a header is latin-1 (a 500).
    from urllib.parse import quote

    user = quote("Zoë 😀 ü", safe="")
    for day in ("2026-05-01", "2026-05-02"):
        assert post(db_client, acme, make_log(performed_at=f"{day}T08:00:00Z"), user=user).status_code == 201
    path = f"/users/{user}/logs"
    first = db_client.get(f"{path}?limit=1", headers=acme.headers)
    assert first.status_code == 200, first.text
    following = first.json()["next"]
    assert following.isascii() and following.startswith(f"http://testserver{path}?")
    assert first.headers["link"] == f'<{following}>; rel="next"'
    second = db_client.get(following, headers=acme.headers)
    assert second.status_code == 200
    assert [log["performed_at"][:10] for log in first.json()["items"] + second.json()["items"]] == [
        "2026-05-02",
        "2026-05-01",
    ]
