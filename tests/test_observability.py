"""Request ids, JSON access logs and /metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.catalogue import Catalogue
from app.main import create_app
from app.observability import ACCESS_LOGGER
from app.settings import Settings
from app.state import state_of


def test_a_request_id_is_generated_and_echoed(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert first != second and len(first) == 32


def test_a_client_request_id_is_kept_when_sane(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert replaced != "bad id\twith spaces"


def test_problems_carry_the_request_id_header(client: TestClient) -> None:
    response = client.get("/nowhere", headers={"X-Request-ID": "trace-7"})
    assert response.status_code == 404 and response.headers["x-request-id"] == "trace-7"


def test_access_log_is_structured_and_uses_the_route_template(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    client.get("/exercises/king-runner?level=beginner", headers={"X-Request-ID": "r-1"})
    state_of(client.app).access_log.flush()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    entry = next(line for line in lines if line.get("request_id") == "r-1")
    assert entry["logger"] == ACCESS_LOGGER
    assert entry["route"] == "/exercises/{slug}"
    assert entry["method"] == "GET" and entry["status"] == 200 and entry["duration_ms"] >= 0
    assert "king-runner" not in json.dumps(entry)


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    client.get("/exercises/king-runner")
    client.get("/exercises/no-such-thing")
    text = client.get("/metrics").text
    assert 'hipflex_http_requests_total{method="GET",route="/exercises/{slug}",status="200"} 1.0' in text
    assert 'hipflex_http_requests_total{method="GET",route="/exercises/{slug}",status="404"} 1.0' in text
    assert 'hipflex_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/exercises/{slug}",status="200"}' in text
    assert "hipflex_logs_written_total" in text and "hipflex_idempotent_replays_total" in text


def test_access_log_never_holds_a_body_a_note_a_pain_score_or_a_user(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from app import keys

    key, _ = keys.create(state_of(client.app).engine, "acme")
    capsys.readouterr()
    body = {
        "performed_at": "2026-11-20T07:30:00+00:00",
        "pain_before": 9,
        "notes": "SECRET-NOTE-7f3a",
        "entries": [{"exercise": "core-brace", "sets": [{"reps": 20, "pain": 8}]}],
    }
    created = client.post("/users/patient-x91/logs", json=body, headers={"Authorization": f"Bearer {key}"})
    assert created.status_code == 201
    client.get(created.headers["location"], headers={"Authorization": f"Bearer {key}"})
    state_of(client.app).access_log.flush()
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    routes = {line.get("route") for line in lines}
    assert {"/users/{user_id}/logs", "/users/{user_id}/logs/{log_id}"} <= routes
    for forbidden in ("SECRET-NOTE", "patient-x91", '"pain', "core-brace", key):
        assert forbidden not in out


def test_metrics_count_logs_written_and_replays(client: TestClient) -> None:
    from app import keys

    key, _ = keys.create(state_of(client.app).engine, "acme")
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "k-1"}
    body = {"performed_at": "2026-11-20T07:30:00+00:00", "entries": [{"exercise": "core-brace", "sets": [{"reps": 5}]}]}
    assert client.post("/users/u/logs", json=body, headers=headers).status_code == 201
    assert client.post("/users/u/logs", json=body, headers=headers).status_code == 201
    client.get("/workouts?goal=rehab&seed=1")
    text = client.get("/metrics").text
    assert "hipflex_logs_written_total 1.0" in text
    assert "hipflex_idempotent_replays_total 1.0" in text
    assert 'hipflex_workouts_generated_total{goal="rehab"} 1.0' in text


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "routes"])
def test_metrics_keep_the_route_for_head_gzip_and_revalidated_requests(
    sqlite_url: str, catalogue: Catalogue, fast_path: bool
) -> None:
    """app.api.delivery hands the route on a copy of the scope (HEAD becomes GET, a -gzip tag the identity
    one): the route named there must still reach the metrics, not "<unmatched>"."""
    app = create_app(Settings(database_url=sqlite_url, fast_path=fast_path, access_log=False), catalogue=catalogue)
    with TestClient(app) as client:
        etag = client.get("/workouts?seed=3", headers={"Accept-Encoding": "gzip"}).headers["etag"]
        assert etag.endswith('-gzip"')
        assert client.head("/exercises/king-runner").status_code == 200
        revalidated = client.get("/workouts?seed=3", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
        assert revalidated.status_code == 304
        assert client.head("/goals").status_code == 200  # a route off the registry too
        text = client.get("/metrics").text
    assert 'hipflex_http_requests_total{method="HEAD",route="/exercises/{slug}",status="200"} 1.0' in text
    assert 'hipflex_http_requests_total{method="GET",route="/workouts",status="304"} 1.0' in text
    assert 'hipflex_http_requests_total{method="HEAD",route="/goals",status="200"} 1.0' in text
    assert 'route="<unmatched>"' not in text


def test_an_error_inside_the_fast_path_is_logged_with_the_request_id_and_counted(
    sqlite_url: str, catalogue: Catalogue, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fault inside the fast path (here a real one: the table it reads is gone, which the database reports
    as an operational error, so a 503) is logged with the request id and counted, and answered once: no
    silent second try through the route."""
    from sqlalchemy import text

    from app import keys

    app = create_app(Settings(database_url=sqlite_url, access_log=False), catalogue=catalogue)
    with TestClient(app) as client:
        key, _ = keys.create(state_of(app).engine, "acme")
        headers = {"Authorization": f"Bearer {key}", "X-Request-ID": "broken-1"}
        body = {"performed_at": "2026-11-20T07:30:00+00:00", "entries": [{"exercise": "core-brace", "sets": [{"reps": 5}]}]}
        assert client.post("/users/u/logs", json=body, headers=headers).status_code == 201
        with state_of(app).engine.begin() as connection:
            connection.execute(text("DROP TABLE user_revisions"))
        capsys.readouterr()
        response = client.get("/users/u/records", headers=headers)
        out = capsys.readouterr().out
        metrics = state_of(app).metrics.registry
    assert response.status_code == 503 and response.headers["x-request-id"] == "broken-1"
    errors = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"hipflex.errors"' in line]
    assert [e["request_id"] for e in errors] == ["broken-1"]
    assert metrics.get_sample_value("hipflex_fast_path_errors_total", {"route": "/users/{user_id}/records"}) == 1.0
    requests = {"method": "GET", "route": "/users/{user_id}/records", "status": "503"}
    assert metrics.get_sample_value("hipflex_http_requests_total", requests) == 1.0


def test_metrics_behind_a_token(sqlite_url: str, catalogue: Any) -> None:
    from app.main import create_app
    from app.settings import Settings

    token = "t" * 32
    app = create_app(Settings(database_url=sqlite_url, metrics_token=token), catalogue=catalogue)
    with TestClient(app) as client:
        for headers in ({}, {"Authorization": "Bearer " + "x" * 32}, {"Authorization": token}):
            answer = client.get("/metrics", headers=headers)
            assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and "hipflex_http_requests_total" in answer.text


def test_unknown_methods_are_one_metrics_label(client: TestClient) -> None:
    for method in ("BREW", "PROPFIND", "X-ANYTHING"):
        client.request(method, "/exercises")
    text = client.get("/metrics").text
    assert 'method="OTHER"' in text
    assert "BREW" not in text and "PROPFIND" not in text


def _layers(app: Any) -> list[type]:
    found: list[type] = []
    layer = app.build_middleware_stack()
    while layer is not None and len(found) < 50:
        found.append(type(layer))
        layer = getattr(layer, "app", None)
    return found


@pytest.mark.parametrize("otel", [False, True])
def test_fastapis_idle_layers_are_left_out(sqlite_url: str, catalogue: Catalogue, otel: bool) -> None:
    """FastAPI's body limit (its max_body_size is unused) and, with OpenTelemetry off, its exception telemetry
    do nothing here on every request: they are not in the stack; the error handler and ours are."""
    from fastapi._body_limit import AppBodyLimitMiddleware
    from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
    from starlette.middleware.errors import ServerErrorMiddleware

    from app.observability import Observability

    layers = _layers(create_app(Settings(database_url=sqlite_url, otel=otel), catalogue=catalogue))
    assert layers[0] is ServerErrorMiddleware and layers[1] is (ExceptionTelemetryMiddleware if otel else Observability)
    assert AppBodyLimitMiddleware not in layers
    assert (ExceptionTelemetryMiddleware in layers) is otel
