"""The gates (app/api/gates.py): a request the body cap, the rate limits and the body gate would all pass on goes
around them; any other still meets all three, whatever paths were seen before it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.api.gates import Gates
from app.catalogue import Catalogue
from app.main import create_app
from conftest import make_settings


def _gates(app: object) -> Gates:
    layer = app.middleware_stack  # type: ignore[attr-defined]  (the stack serving the client)
    while not isinstance(layer, Gates):
        layer = layer.app
    return layer


def test_a_get_with_a_body_over_the_cap_is_refused_on_a_free_path(sqlite_url: str, catalogue: Catalogue) -> None:
    app = create_app(make_settings(sqlite_url, max_body_bytes=1024), catalogue=catalogue)
    with TestClient(app) as client:
        assert client.get("/exercises").status_code == 200  # (the path is now known as free)
        for headers in ({"content-length": "1025"}, {"transfer-encoding": "chunked"}):
            answer = client.request("GET", "/exercises", content=b"x" * 1025, headers=headers)
            assert answer.status_code == 413, answer.text
            assert answer.json()["type"] == "https://hipflex.dev/problems/body-too-large"
        assert client.get("/exercises", headers={"content-length": "0"}).status_code == 200


def test_only_paths_free_whatever_the_query_are_remembered(sqlite_url: str, catalogue: Catalogue) -> None:
    app = create_app(make_settings(sqlite_url, rate_limit_client="2/minute"), catalogue=catalogue)
    with TestClient(app) as client:
        for _ in range(3):
            assert "ratelimit" not in client.get("/workouts?goal=mobility&seed=3").headers
            assert "ratelimit" not in client.get("/exercises").headers
        assert _gates(client.app).free == {"/exercises"}
        assert client.get("/workouts?goal=mobility").headers["ratelimit"].endswith(";r=1;t=60")
        assert client.get("/workouts?goal=mobility").status_code == 200
        assert client.get("/workouts?goal=mobility").status_code == 429


def test_without_rate_limits_a_bodiless_request_goes_around(sqlite_url: str, catalogue: Catalogue) -> None:
    app = create_app(make_settings(sqlite_url, rate_limits=False), catalogue=catalogue)
    with TestClient(app) as client:
        answer = client.get("/workouts?goal=mobility")
        assert answer.status_code == 200 and "ratelimit" not in answer.headers
        assert _gates(client.app).free == set()
