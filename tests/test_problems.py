"""Problem bodies: one builder, so the middleware, the routes and the handlers write the same shape."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from app import migrations
from app.main import create_app
from app.problems import FieldError, Problem, problem_body, status_title
from app.settings import Settings

STANDARD = ["type", "title", "status", "detail", "instance"]
PROBLEM = "application/problem+json"


def test_a_body_is_compact_json_with_the_standard_members_first() -> None:
    body = problem_body(
        422,
        "validation",
        "query parameter 'goal': bad",
        instance="/workouts",
        errors=[FieldError(location="query", field="goal", message="bad")],
        extra={"hint": "é"},
    )
    assert body == (
        '{"type":"https://hipflex.dev/problems/validation","title":"Unprocessable Content","status":422,'
        '"detail":"query parameter \'goal\': bad","instance":"/workouts",'
        '"errors":[{"location":"query","field":"goal","message":"bad"}],"hint":"é"}'
    ).encode()


def test_titles_come_from_the_status_unless_given() -> None:
    assert status_title(404) == "Not Found"
    assert Problem(404, "exercise-not-found", "no such exercise").title == "Not Found"
    assert Problem(422, "workout-impossible", "x", title="No workout fits").title == "No workout fits"


def test_a_body_over_the_limit_gets_the_same_shape_from_the_middleware(client: TestClient) -> None:
    limit = Settings().max_body_bytes
    response = client.post("/users/u1/logs", content=b"x" * (limit + 1), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert response.content == (
        '{"type":"https://hipflex.dev/problems/body-too-large","title":"Content Too Large","status":413,'
        f'"detail":"The request body is over the {limit:,} byte limit.","instance":"/users/u1/logs"}}'
    ).encode()


def test_not_ready_is_a_problem_with_the_standard_members_and_the_readiness(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "0001")
    with TestClient(create_app(Settings(database_url=url, auto_migrate=False))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    body = json.loads(response.content)
    assert list(body) == [*STANDARD, "database", "schema_revision", "schema_head"]
    assert body["type"] == "https://hipflex.dev/problems/not-ready"
    assert body["title"] == "Service Unavailable" and body["instance"] == "/readyz"
    assert body["database"] == "ok" and body["schema_revision"] == "0001"


def test_route_and_handler_problems_share_the_shape(client: TestClient) -> None:
    for path, status in [("/nowhere", 404), ("/workouts?goal=flying", 422), ("/exercises/no-such-one", 404)]:
        response = client.get(path)
        assert response.status_code == status
        assert response.headers["content-type"] == PROBLEM
        assert list(response.json())[:5] == STANDARD
        assert response.json()["instance"] == path.split("?")[0]
