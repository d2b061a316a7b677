"""GET /workouts and GET /goals over HTTP: shape, errors as problem+json, reproducible links."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.catalogue import Catalogue
from app.catalogue.models import Goal

PROBLEM = "application/problem+json"


def test_a_workout_has_the_documented_shape(client: TestClient, catalogue: Catalogue) -> None:
    params = {"goal": "mobility", "equipment": "band,wall", "pain": "knee", "minutes": 20}
    response = client.get("/workouts", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["goal"] == "mobility"
    assert body["parameters"] == {
        "goal": "mobility",
        "level": "beginner",
        "equipment": ["band", "wall"],
        "pain": ["knee"],
        "pain_level": 0,
        "minutes": 20,
        "tight_side": None,
        "exclude": [],
        "red_flags": [],
    }
    assert body["pain_grade"] == "as-prescribed" and body["referral"] is None
    assert body["catalogue_version"] == catalogue.version
    assert 0 <= body["seed"] <= 2**31 - 1
    assert body["self"].endswith(f"&seed={body['seed']}")
    item = body["items"][0]
    assert set(item) == {"phase", "phase_title", "exercise", "dose", "estimated_seconds", "why", "side_note"}
    assert set(item["exercise"]) == {"slug", "name", "kind", "equipment", "cues", "href"}
    assert 2 <= len(item["exercise"]["cues"]) <= 3
    assert set(item["dose"]) == {
        "sets", "reps", "hold_seconds", "duration_seconds", "per_side", "rest_seconds", "tempo", "note", "load_kg",
    }
    assert body["estimated_seconds"] == sum(i["estimated_seconds"] for i in body["items"])
    omitted = {o["slug"]: o for o in body["omitted"]}
    assert omitted["pigeon-pose"]["reason"] == "pain"  # the first constraint that removes it
    assert "Stop any exercise that causes or worsens pain." in body["safety"]
    assert body["frequency"]["sources"]


def test_lists_take_commas_or_repeats(client: TestClient) -> None:
    commas = client.get("/workouts?goal=strength&level=advanced&equipment=pull_up_bar,band&pain=knee,low_back&seed=5")
    repeats = client.get(
        "/workouts?goal=strength&level=advanced&equipment=pull_up_bar&equipment=band&pain=knee&pain=low_back&seed=5"
    )
    assert commas.status_code == repeats.status_code == 200
    assert commas.content == repeats.content
    assert commas.json()["parameters"]["pain"] == ["knee", "low_back"]


def test_equipment_none_means_nothing(client: TestClient) -> None:
    none = client.get("/workouts?equipment=none&seed=8")
    nothing = client.get("/workouts?seed=8")
    assert none.status_code == 200
    assert none.content == nothing.content
    assert none.json()["parameters"]["equipment"] == []


def test_the_self_link_reproduces_the_same_bytes(client: TestClient) -> None:
    first = client.get(
        "/workouts?goal=posture&tight_side=left&equipment=wall,mini_band&pain=wrist&pain_level=3&exclude=lying-leg-raise"
    )
    assert first.status_code == 200
    link = first.json()["self"]
    assert link.startswith("/workouts?goal=posture&level=beginner&equipment=mini_band,wall&pain=wrist&pain_level=3")
    again = client.get(link)
    assert again.status_code == 200
    assert again.content == first.content


def test_without_a_seed_one_is_picked(client: TestClient) -> None:
    seeds = {client.get("/workouts").json()["seed"] for _ in range(5)}
    assert len(seeds) > 1


@pytest.mark.parametrize(
    ("query", "field", "allowed"),
    [
        ("goal=bulk", "goal", [g.value for g in Goal]),
        ("level=expert", "level", ["beginner", "intermediate", "advanced"]),
        ("pain=elbow", "pain", ["knee", "low_back", "wrist", "shoulder", "hip", "hip_pinch", "pregnancy"]),
        ("tight_side=middle", "tight_side", ["left", "right"]),
    ],
)
def test_a_bad_value_is_a_422_listing_the_allowed_ones(
    client: TestClient, query: str, field: str, allowed: list[str]
) -> None:
    response = client.get(f"/workouts?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    error = response.json()["errors"][0]
    assert (error["location"], error["field"]) == ("query", field)
    assert error["allowed"] == allowed


def test_equipment_errors_list_none_too(client: TestClient) -> None:
    response = client.get("/workouts?equipment=band,rope")
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"].startswith("equipment")
    assert error["allowed"][0] == "none" and "band" in error["allowed"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("minutes=4", "minutes"),
        ("minutes=61", "minutes"),
        ("pain_level=11", "pain_level"),
        ("seed=-1", "seed"),
        (f"seed={2**31}", "seed"),
        ("exclude=Not A Slug", "exclude"),
        ("exclude=" + ",".join(["l-sit"] * 21), "exclude"),
    ],
)
def test_out_of_bounds_is_a_422_naming_the_parameter(client: TestClient, query: str, field: str) -> None:
    response = client.get(f"/workouts?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["errors"][0]["field"].split(".")[0] == field
    assert field in body["detail"]


def test_an_unknown_exclude_slug_is_named(client: TestClient) -> None:
    response = client.get("/workouts?exclude=l-sit,flying-kick")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert "'flying-kick'" in body["detail"]
    assert body["errors"] == [{"location": "query", "field": "exclude", "message": "unknown exercise 'flying-kick'"}]


def test_an_unknown_parameter_is_a_422(client: TestClient) -> None:
    response = client.get("/workouts?goal=strength&reps=100")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "reps"


def test_impossible_constraints_are_a_422_saying_what_to_relax(client: TestClient) -> None:
    # A wall is assumed, so the standing hip flow fits any warm-up; without a wall (and without the
    # bodyweight opener and the seated and side-lying work) nothing gentle is left.
    gentle = "front-line-opener,seated-isometric-hip-flexion,side-lying-clamshell,seated-marching," + (
        "standing-supported-knee-raise"
    )
    query = f"goal=warmup&pain=knee,wrist&pain_level=6&equipment=no_wall&exclude={gentle}"
    response = client.get(f"/workouts?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"].endswith("/workout-impossible")
    assert "pain=knee,wrist" in body["detail"] and "adding wall" in body["detail"]
    assert {e["field"] for e in body["errors"]} == {"pain", "pain_level", "level", "equipment", "exclude"}


def test_goals_lists_all_six_with_their_phases(client: TestClient, catalogue: Catalogue) -> None:
    response = client.get("/goals")
    assert response.status_code == 200
    body = response.json()
    assert [g["goal"] for g in body["goals"]] == [g.value for g in Goal]
    by_goal = {g["goal"]: g for g in body["goals"]}
    assert [p["key"] for p in by_goal["rehab"]["phases"]] == [
        "release", "stretch", "brace", "isometric", "dynamic", "rotators",
    ]
    assert [p["key"] for p in by_goal["strength"]["phases"]][:3] == ["warm-up", "main-lift", "isolation"]
    for goal in body["goals"]:
        assert goal["phases"] and goal["description"] and goal["frequency"]["advice"]
        assert all(p["roles"] for p in goal["phases"])
        assert set(goal["sources"]) <= {s["id"] for s in body["sources"]}
    assert {s["id"] for s in body["sources"]} <= set(catalogue.sources)


def test_the_routes_are_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    workouts = schema["paths"]["/workouts"]["get"]
    assert workouts["operationId"] == "generate_workout"
    ok = workouts["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Workout"}
    assert PROBLEM in workouts["responses"]["422"]["content"]
    assert {p["name"] for p in workouts["parameters"] if p["in"] == "query"} == {
        "goal", "level", "equipment", "pain", "pain_level", "minutes", "tight_side", "exclude", "seed", "red_flags",
    }
    assert [p["name"] for p in workouts["parameters"] if p["in"] == "header"] == ["Accept-Language"]
    assert set(workouts["responses"]["200"]["headers"]) == {"Content-Language", "Vary"}
    assert schema["paths"]["/goals"]["get"]["operationId"] == "list_goals"
