"""Nonsense is refused, and every refusal is bounded (issue 21, items 2 and 9).

Each case ran through on the code before: invalid UTF-8 in a user id (``%FF`` and ``%FE`` were one
user), duplicate JSON keys (the last won), instants that leave 1900-2199 once in UTC, two check-ins
on one date in a posted history, ``tz=localtime``, ``charset=utf-16`` bodies, and problems of
1.66 MB listing 14,000 errors.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import LogFactory, Tenant, count_rows
from fastapi.testclient import TestClient

from app.logs import USER_ID_PATTERN, user_id_ok
from app.api.bodies import LARGE_BODY_BYTES, WHOLE_FIRST_BYTES, WHOLE_FIRST_OBJECTS
from app.problems import MAX_ERRORS, MAX_PROBLEM_BYTES

JSON = {"Content-Type": "application/json"}
ADAPT = {"goal": "mobility", "level": "beginner", "equipment": ["band"], "today": "2026-11-30", "seed": 1}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert len(response.content) <= MAX_PROBLEM_BYTES
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "routes"])
def test_a_user_id_that_is_not_utf8_is_refused(
    sqlite_url: str, catalogue: Any, make_log: LogFactory, fast_path: bool
) -> None:
    from conftest import make_settings, new_tenant

    from app.main import create_app

    app = create_app(make_settings(sqlite_url, fast_path=fast_path), catalogue=catalogue)
    with TestClient(app) as client:
        acme = new_tenant(app, "acme")
        for user in ("%FF", "a%FEb"):
            problem = _problem(client.post(f"/users/{user}/logs", json=make_log(), headers=acme.headers), 422)
            assert "UTF-8" in problem["detail"]
            _problem(client.get(f"/users/{user}/logs", headers=acme.headers), 422)
        # a real character, percent-encoded, is still a user
        assert client.post("/users/%C3%BC/logs", json=make_log(), headers=acme.headers).status_code == 201


def test_a_user_id_with_a_slash_is_not_a_user_id() -> None:
    assert re.match(USER_ID_PATTERN, "a/b") is None  # the API document says so ...
    with pytest.raises(ValueError, match="'/'"):
        user_id_ok("a/b")  # ... and the one check agrees
    assert user_id_ok("ü-1") == "ü-1"


def test_the_document_declares_the_user_id_pattern(client: TestClient) -> None:
    parameters = client.get("/openapi.json").json()["paths"]["/users/{user_id}/logs"]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "user_id")["schema"]["pattern"]
    assert re.match(pattern, "a/b") is None and re.match(pattern, "\ufffd") is None


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "routes"])
def test_duplicate_json_keys_are_a_422(
    sqlite_url: str, catalogue: Any, make_log: LogFactory, fast_path: bool
) -> None:
    from conftest import make_settings, new_tenant

    from app.main import create_app

    app = create_app(make_settings(sqlite_url, fast_path=fast_path), catalogue=catalogue)
    with TestClient(app) as client:
        acme = new_tenant(app, "acme")
        log = json.dumps(make_log())
        twice = log[:-1] + ',"notes":"the second one"}'  # "notes" again, at the end
        headers = {**acme.headers, "Content-Type": "application/json"}
        problem = _problem(client.post("/users/u1/logs", content=twice, headers=headers), 422)
        assert problem["errors"][0]["field"] == "notes" and "twice" in problem["errors"][0]["message"]
        inner = json.dumps(ADAPT)[:-1] + ',"history":[{"performed_at":"2026-11-28T09:00:00Z","entries":[],"entries":[]}]}'
        problem = _problem(client.post("/workouts/adapt", content=inner, headers=headers), 422)
        assert problem["errors"][0]["field"] == "entries"
        assert client.get("/users/u1/logs", headers=acme.headers).status_code == 404  # nothing was written


def test_bodies_must_be_utf8_json(client: TestClient) -> None:
    body = json.dumps(ADAPT)
    for content_type, content in [
        ("application/json; charset=utf-16", body.encode("utf-16")),
        ("application/json; charset=latin-1", body.encode()),
        ("text/plain", body.encode()),
    ]:
        problem = _problem(client.post("/workouts/adapt", content=content, headers={"Content-Type": content_type}), 415)
        assert problem["type"].endswith("/unsupported-media-type")
    # bytes that are not UTF-8 are not UTF-8 JSON either (issue 21): a 415 that says where the first bad byte is
    content = body.encode()[:-1] + b"\xff}"
    problem = _problem(client.post("/workouts/adapt", content=content, headers=JSON), 415)
    assert problem["type"].endswith("/unsupported-media-type")
    where = len(content) - 2
    assert f"byte {where} (0xff) is not UTF-8" in problem["detail"]
    message = f"byte {where} (0xff) is not UTF-8"
    assert problem["errors"] == [{"location": "body", "field": f"byte {where}", "message": message}]
    # on a keyed route too (the gate runs before the key is checked): Latin-1 "café" is not UTF-8
    problem = _problem(client.post("/users/u1/logs", content=b'{"notes": "caf\xe9"}', headers=JSON), 415)
    assert problem["errors"][0]["field"] == "byte 14"
    # UTF-16 without a charset is not JSON to us
    problem = _problem(client.post("/workouts/adapt", content=body.encode("utf-16-le"), headers=JSON), 422)
    assert problem["errors"][0]["message"] == "JSON decode error"
    for content_type in ("application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"):
        answer = client.post("/workouts/adapt", content=body.encode(), headers={"Content-Type": content_type})
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "performed_at", ["1900-01-01T00:00:00+23:59", "2199-12-31T23:59:00-00:01", "1900-01-01T00:30:00+01:00"]
)
def test_instants_outside_the_range_once_in_utc_are_refused(
    db_client: TestClient, acme: Tenant, make_log: LogFactory, performed_at: str
) -> None:
    problem = _problem(db_client.post("/users/u1/logs", json=make_log(performed_at), headers=acme.headers), 422)
    assert problem["errors"][0]["field"] == "performed_at" and "UTC" in problem["errors"][0]["message"]
    history = [make_log(performed_at)]
    _problem(db_client.post("/workouts/adapt", json={**ADAPT, "history": history}), 422)
    # the edges themselves, in UTC, are in
    for edge in ("1900-01-01T00:00:00Z", "1900-01-01T01:00:00+01:00", "2199-12-31T23:59:59Z"):
        assert db_client.post("/users/u1/logs", json=make_log(edge), headers=acme.headers).status_code == 201


def test_two_checkins_on_one_date_in_a_posted_history_are_refused(client: TestClient) -> None:
    checkins = [{"date": "2026-11-29", "pain": 2}, {"date": "2026-11-29", "pain": 7}]
    problem = _problem(client.post("/workouts/adapt", json={**ADAPT, "checkins": checkins}), 422)
    assert problem["errors"][0]["field"] == "checkins" and "2026-11-29" in problem["errors"][0]["message"]


@pytest.mark.parametrize("tz", ["localtime", "Factory", "posix/Europe/Berlin", "right/UTC"])
def test_time_zones_are_iana_names(db_client: TestClient, acme: Tenant, make_log: LogFactory, tz: str) -> None:
    assert db_client.post("/users/u1/logs", json=make_log(), headers=acme.headers).status_code == 201
    problem = _problem(db_client.get(f"/users/u1/progress?tz={tz}", headers=acme.headers), 422)
    assert problem["type"].endswith("/unknown-time-zone")
    assert db_client.get("/users/u1/progress?tz=Europe/Berlin", headers=acme.headers).status_code == 200


# --- bounded errors ---------------------------------------------------------------------------


def _invalid_history(sets: int) -> dict[str, Any]:
    """A posted history whose ``sets`` sets are all invalid (reps 0)."""
    logs, left = [], sets
    while left:
        entries = []
        while left and len(entries) < 100:
            count = min(50, left)
            entries.append({"exercise": "hip-flexor-stretch", "sets": [{"reps": 0}] * count})
            left -= count
        logs.append({"performed_at": "2026-11-28T09:00:00Z", "entries": entries})
    return {**ADAPT, "history": logs}


# 400: a large body validated whole first (app.api.bodies._whole_first), answered as any large body
@pytest.mark.parametrize("sets", [30, 400, 14_000])
def test_a_body_of_many_errors_gets_a_bounded_answer(client: TestClient, sets: int) -> None:
    content = json.dumps(_invalid_history(sets))
    if sets == 400:
        assert LARGE_BODY_BYTES < len(content) <= WHOLE_FIRST_BYTES and content.count("{") <= WHOLE_FIRST_OBJECTS
    problem = _problem(client.post("/workouts/adapt", content=content, headers={"Content-Type": "application/json"}), 422)
    assert len(problem["errors"]) == MAX_ERRORS
    if len(content) <= LARGE_BODY_BYTES:  # validated whole, every error counted
        assert problem["errors_total"] == sets and f"(and {sets - 1} more)" in problem["detail"]
    else:  # a large body stops at its first errors (app.api.bodies.scout): more, not counted
        assert problem["errors_more"] is True and "errors_total" not in problem
        assert problem["detail"].endswith("(and more).")
    assert problem["errors"][0] == {
        "location": "body", "field": "history.0.entries.0.sets.0.reps", "message": "Input should be greater than or equal to 1"
    }


def test_a_large_body_valid_in_its_items_has_every_error_counted(client: TestClient) -> None:
    """Nothing for the scout to find in the items, so the body's errors are the whole validation's, all listed."""
    entries = [{"exercise": "hip-flexor-stretch", "sets": [{"reps": 5}] * 30}]
    history = [{"performed_at": "2026-11-28T09:00:00Z", "entries": entries}] * 12
    content = json.dumps({**ADAPT, "history": history, "pain_level": 11, "minutes": 1})
    assert LARGE_BODY_BYTES < len(content) <= WHOLE_FIRST_BYTES
    problem = _problem(client.post("/workouts/adapt", content=content, headers={"Content-Type": "application/json"}), 422)
    assert "errors_more" not in problem
    assert [error["field"] for error in problem["errors"]] == ["pain_level", "minutes"]


def test_a_log_of_many_errors_gets_a_bounded_answer(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    body = make_log(entries=100)
    for entry in body["entries"]:
        entry["sets"] = [{"reps": 0, "rpe": 11, "pain": -1}] * 50
    # a valid key (checked by the rate limit, so known to the body gate): refused at its first errors,
    # in a worker thread
    problem = _problem(db_client.post("/users/u1/logs", json=body, headers=acme.headers), 422)
    assert len(problem["errors"]) == MAX_ERRORS and problem["errors_more"] is True
    assert problem["errors"][0]["field"] == "entries.0.sets.0.reps"
    assert count_rows(db_client.app, "logs") == 0


def test_few_errors_are_all_listed(client: TestClient) -> None:
    problem = _problem(client.get("/workouts?goal=nope&minutes=999"), 422)
    assert len(problem["errors"]) == 2 and "errors_total" not in problem
