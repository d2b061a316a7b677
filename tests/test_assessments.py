"""Assessments on both databases: the catalogue, storing, validation, idempotency, export, erasure, trends."""

from __future__ import annotations

import math
from typing import Any

import pytest
from conftest import Tenant, count_rows
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def thomas(day: str, left: float | None, right: float | None, **extra: Any) -> dict[str, Any]:
    """A modified Thomas test (hip) session: one trial a side, by phone inclinometer, self-measured."""
    trials = [{"side": side, "thigh_angle": v} for side, v in (("left", left), ("right", right)) if v is not None]
    return {
        "test": "modified-thomas-hip",
        "performed_at": f"{day}T08:00:00+01:00",
        "method": "inclinometer",
        "rater": "self",
        "controls": {"pelvis_stabilised": True, "lumbar_flat": True},
        "trials": trials,
        **extra,
    }


def post(client: TestClient, tenant: Tenant, body: dict[str, Any], user: str = "u1", **headers: str) -> Any:
    return client.post(f"/users/{user}/assessments", json=body, headers={**tenant.headers, **headers})


def trend(client: TestClient, tenant: Tenant, query: str = "test=modified-thomas-hip", user: str = "u1") -> Any:
    answer = client.get(f"/users/{user}/assessments/trends?{query}", headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_catalogue_is_public_cacheable_and_marks_what_is_verified(db_client: TestClient) -> None:
    answer = db_client.get("/assessment-tests")
    assert answer.status_code == 200
    assert answer.headers["cache-control"].startswith("public")
    codes = [t["code"] for t in answer.json()["tests"]]
    assert codes == ["modified-thomas-hip", "modified-thomas-knee", "hip-extension", "ely", "faber-height"]
    again = db_client.get("/assessment-tests", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304
    phone = next(t for t in answer.json()["tests"] if t["code"] == "hip-extension")["reliability"]
    assert {(r["design"], r["mdc95"], r["verified"]) for r in phone if r["method"] == "inclinometer"} == {
        ("intra", 3.9, True),
        ("inter", 9.6, True),
    }


def test_an_assessment_is_stored_read_changed_and_deleted(db_client: TestClient, acme: Tenant) -> None:
    created = post(db_client, acme, thomas("2026-11-02", -8, 4, pain=1, notes="phone on mid-thigh"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/users/u1/assessments/{body['id']}"
    assert body["performed_at"] == "2026-11-02T07:00:00Z"
    assert body["trials"] == [{"side": "left", "thigh_angle": -8}, {"side": "right", "thigh_angle": 4}]
    url = f"/users/u1/assessments/{body['id']}"
    assert db_client.get(url, headers=acme.headers).json() == body
    changed = db_client.patch(url, json={"pain": 3, "trials": [{"side": "left", "thigh_angle": -6}]}, headers=acme.headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["pain"], changed.json()["trials"]) == (3, [{"side": "left", "thigh_angle": -6}])
    assert db_client.delete(url, headers=acme.headers).status_code == 204
    assert db_client.get(url, headers=acme.headers).status_code == 404
    assert db_client.delete(url, headers=acme.headers).status_code == 404


# What PATCH does with null, field by field: the five that describe the measurement may be left out, never
# null; pain, notes and units may be null (pain and notes cleared, units not checked).
NULLABLE = {"performed_at": False, "method": False, "rater": False, "controls": False, "trials": False,
            "pain": True, "notes": True, "units": True}


def test_the_patch_schema_says_which_fields_may_be_null_as_the_route_does(db_client: TestClient, acme: Tenant) -> None:
    schema = db_client.get("/openapi.json").json()["components"]["schemas"]["AssessmentUpdate"]
    assert set(schema["properties"]) == set(NULLABLE)
    created = post(db_client, acme, thomas("2026-11-02", -8, 4, pain=1, notes="phone on mid-thigh"))
    url = f"/users/u1/assessments/{created.json()['id']}"
    for name, nullable in NULLABLE.items():
        documented = schema["properties"][name]
        kinds = documented.get("anyOf", [documented])
        assert ({"type": "null"} in kinds) == nullable, name
        answer = db_client.patch(url, json={name: None}, headers=acme.headers)
        assert answer.status_code == (200 if nullable else 422), (name, answer.text)
        if name in ("pain", "notes"):
            assert answer.json()[name] is None  # null clears it
    assert db_client.get(url, headers=acme.headers).json()["trials"] == created.json()["trials"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"test": "thomas"}, "test"),
        ({"trials": [{"side": "left", "thigh_angle": 75}]}, "trials.0.thigh_angle"),
        ({"trials": [{"thigh_angle": 5}]}, "trials.0.side"),
        ({"trials": [{"side": "left", "knee_flexion": 50}]}, "trials.0.knee_flexion"),
        ({"trials": [{"side": "left"}]}, "trials.0.thigh_angle"),
        ({"trials": [{"side": "left", "thigh_angle": True}]}, "trials.0.thigh_angle"),
        ({"units": {"thigh_angle": "rad"}}, "units.thigh_angle"),
        ({"method": "tape"}, "method"),
        ({"trials": [{"side": "left", "thigh_angle": 1}] * 4}, "trials"),
    ],
)
def test_a_body_that_does_not_fit_its_test_is_422_naming_the_field(
    db_client: TestClient, acme: Tenant, change: dict[str, Any], field: str
) -> None:
    answer = post(db_client, acme, {**thomas("2026-11-02", -8, 4), **change})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert count_rows(db_client.app, "assessments") == 0


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinite_readings_are_422(db_client: TestClient, acme: Tenant, value: str) -> None:
    text = (
        '{"test": "modified-thomas-hip", "performed_at": "2026-11-02T08:00:00Z", "method": "inclinometer", '
        f'"rater": "self", "trials": [{{"side": "left", "thigh_angle": {value}}}]}}'
    )
    headers = {**acme.headers, "Content-Type": "application/json"}
    answer = db_client.post("/users/u1/assessments", content=text, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert not math.isnan(len(answer.content))
    assert count_rows(db_client.app, "assessments") == 0


def test_an_idempotent_retry_replays_and_stores_once(db_client: TestClient, acme: Tenant) -> None:
    body = thomas("2026-11-02", -8, 4)
    first = post(db_client, acme, body, **{"Idempotency-Key": "a-1"})
    replay = post(db_client, acme, body, **{"Idempotency-Key": "a-1"})
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    assert count_rows(db_client.app, "assessments") == 1
    other = post(db_client, acme, thomas("2026-11-03", -8, 4), **{"Idempotency-Key": "a-1"})
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")


def test_pages_go_newest_first_filter_by_test_and_dates(db_client: TestClient, acme: Tenant) -> None:
    for day in range(1, 6):
        assert post(db_client, acme, thomas(f"2026-11-0{day}", -day, day)).status_code == 201
    knee = {
        "test": "modified-thomas-knee", "performed_at": "2026-11-03T09:00:00Z", "method": "goniometer",
        "rater": "helper", "trials": [{"side": "left", "knee_flexion": 70}],
    }
    assert post(db_client, acme, knee).status_code == 201
    seen: list[str] = []
    url: str | None = "/users/u1/assessments?limit=2&test=modified-thomas-hip"
    while url is not None:
        page = db_client.get(url, headers=acme.headers)
        assert page.status_code == 200
        seen += [item["performed_at"][:10] for item in page.json()["items"]]
        url = page.json()["next"]
    assert seen == ["2026-11-05", "2026-11-04", "2026-11-03", "2026-11-02", "2026-11-01"]
    window = db_client.get("/users/u1/assessments?from=2026-11-03T00:00:00Z&to=2026-11-04T00:00:00Z", headers=acme.headers)
    assert [i["test"] for i in window.json()["items"]] == ["modified-thomas-knee", "modified-thomas-hip"]
    assert db_client.get("/users/nobody/assessments", headers=acme.headers).status_code == 404
    bad = db_client.get("/users/u1/assessments?cursor=nope", headers=acme.headers)
    assert bad.status_code == 422


def test_export_includes_them_and_erasure_removes_them(db_client: TestClient, acme: Tenant) -> None:
    created = post(db_client, acme, thomas("2026-11-02", -8, 4)).json()
    exported = db_client.get("/users/u1/export", headers=acme.headers)
    assert exported.status_code == 200
    assert exported.json()["assessments"] == [created]
    assert db_client.delete("/users/u1", headers=acme.headers).status_code == 204
    assert count_rows(db_client.app, "assessments") == 0
    assert db_client.get("/users/u1/export", headers=acme.headers).status_code == 404


def test_other_tenants_see_404(db_client: TestClient, acme: Tenant, globex: Tenant) -> None:
    created = post(db_client, acme, thomas("2026-11-02", -8, 4)).json()
    url = f"/users/u1/assessments/{created['id']}"
    assert db_client.get(url, headers=globex.headers).status_code == 404
    assert db_client.patch(url, json={"pain": 1}, headers=globex.headers).status_code == 404
    assert db_client.delete(url, headers=globex.headers).status_code == 404
    assert db_client.get("/users/u1/assessments", headers=globex.headers).status_code == 404
    trends = db_client.get("/users/u1/assessments/trends?test=modified-thomas-hip", headers=globex.headers)
    assert trends.status_code == 404
    assert db_client.get(url, headers=acme.headers).status_code == 200


# --- trends: the scenario rows -------------------------------------------------------------------------


def test_one_session_apart_by_more_than_the_mdc_is_provisional(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    found = trend(db_client, acme)
    assert found["method"] == "inclinometer"
    assert found["asymmetry"]["status"] == "provisional"
    assert found["asymmetry"]["tighter_side"] == "right"
    assert found["asymmetry"]["difference"] == 12
    assert found["change"]["right"]["verdict"] is None  # one session: nothing to compare yet


def test_a_second_session_within_14_days_confirms_it(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    post(db_client, acme, thomas("2026-11-12", -7, 3))
    asymmetry = trend(db_client, acme)["asymmetry"]
    assert (asymmetry["status"], asymmetry["tighter_side"]) == ("confirmed", "right")
    assert asymmetry["sessions"] == ["2026-11-02T07:00:00Z", "2026-11-12T07:00:00Z"]


def test_a_second_session_more_than_14_days_later_stays_provisional(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    post(db_client, acme, thomas("2026-11-17", -7, 3))
    assert trend(db_client, acme)["asymmetry"]["status"] == "provisional"


def test_a_difference_within_the_mdc_is_none(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    post(db_client, acme, thomas("2026-11-05", -2, 1))
    asymmetry = trend(db_client, acme)["asymmetry"]
    assert (asymmetry["status"], asymmetry["tighter_side"], asymmetry["difference"]) == ("none", None, 3)


def test_a_change_beyond_the_mdc_is_improved_and_a_3_degree_move_within_error(
    db_client: TestClient, acme: Tenant
) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    post(db_client, acme, thomas("2026-11-09", -5, -3))
    change = trend(db_client, acme)["change"]
    assert change["right"]["from_baseline"] == -7
    assert change["right"]["verdict"] == "improved"  # the thigh dropped 7 deg: looser, beyond the 5 deg MDC
    assert (change["left"]["from_baseline"], change["left"]["verdict"]) == (3, "within_error")
    assert (change["right"]["mdc"], change["right"]["design"]) == (5, "intra")


def test_a_change_measured_by_another_kind_of_rater_is_judged_by_the_inter_rater_mdc(
    db_client: TestClient, acme: Tenant
) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    post(db_client, acme, thomas("2026-11-09", -8, -3, rater="clinician"))
    right = trend(db_client, acme)["change"]["right"]
    assert (right["design"], right["mdc"], right["verdict"]) == ("inter", 10, "within_error")


def test_goniometer_and_inclinometer_results_stay_separate_series(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    post(db_client, acme, thomas("2026-11-05", -20, -20, method="goniometer"))
    post(db_client, acme, thomas("2026-11-09", -8, 3))
    found = trend(db_client, acme)
    by_method = {m["method"]: m for m in found["methods"]}
    assert [p["value"] for p in by_method["inclinometer"]["series"]["right"]] == [4, 3]
    assert [p["value"] for p in by_method["goniometer"]["series"]["right"]] == [-20]
    assert by_method["inclinometer"]["change"]["right"]["verdict"] == "within_error"  # 4 -> 3, not 4 -> -20
    assert by_method["goniometer"]["change"]["right"]["verdict"] is None
    shown = trend(db_client, acme, "test=modified-thomas-hip&method=goniometer")
    assert shown["method"] == "goniometer" and shown["series"] == by_method["goniometer"]["series"]


def test_a_session_value_is_the_mean_of_its_trials(db_client: TestClient, acme: Tenant) -> None:
    body = thomas("2026-11-02", None, None)
    body["trials"] = [{"side": "right", "thigh_angle": v} for v in (4, 5, 7)]
    post(db_client, acme, body)
    point = trend(db_client, acme)["series"]["right"][0]
    assert (point["value"], point["trials"]) == (5.33, 3)


@pytest.mark.parametrize(
    ("query", "field"),
    [("test=nope", "test"), ("test=ely&measure=hip_rise", "measure"), ("test=faber-height&method=goniometer", "method")],
)
def test_bad_trend_queries_are_422(db_client: TestClient, acme: Tenant, query: str, field: str) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    answer = db_client.get(f"/users/u1/assessments/trends?{query}", headers=acme.headers)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_progress_shows_the_latest_verdict_per_test_and_side(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    post(db_client, acme, thomas("2026-11-09", -5, -3))
    knee = {
        "test": "modified-thomas-knee", "performed_at": "2026-11-03T09:00:00Z", "method": "goniometer",
        "rater": "helper", "trials": [{"side": "left", "knee_flexion": 70}],
    }
    post(db_client, acme, knee)
    progress = db_client.get("/users/u1/progress?window=all", headers=acme.headers)
    assert progress.status_code == 200, progress.text
    shown = [(v["test"], v["side"], v["method"], v["latest"], v["verdict"]) for v in progress.json()["assessments"]]
    assert shown == [
        ("modified-thomas-hip", "left", "inclinometer", -5, "within_error"),
        ("modified-thomas-hip", "right", "inclinometer", -3, "improved"),
        ("modified-thomas-knee", "left", "goniometer", 70, None),
    ]


def test_the_readme_table_of_tests_is_the_catalogue() -> None:
    from pathlib import Path

    from app.assessments.catalogue import markdown

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    start, end = readme.index("<!-- assessment-tests:start -->\n"), readme.index("<!-- assessment-tests:end -->")
    assert readme[start + len("<!-- assessment-tests:start -->\n") : end] == markdown()
