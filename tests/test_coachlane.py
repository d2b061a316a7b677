"""The coach's fast lane (app/api/coachlane.py) against the FastAPI routes it stands in for: the same
status, bytes and headers for random queries, bodies and headers, valid or not, through an app with
the lanes and one without; it serves the plain success case and leaves every error to the routes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.state import state_of
from app.catalogue import Catalogue
from app.main import create_app
from app.settings import Settings
from conftest import Tenant, new_tenant

NEXT, ADAPT = "/users/{user_id}/workouts/next", "/workouts/adapt"
COMPARED_HEADERS = ("content-type", "content-length", "x-catalogue-version", "content-language", "vary")
SLUGS = ["prone-leg-lift-straight-leg", "core-brace", "side-plank-clamshell", "no-such-exercise"]
TODAY = datetime(2026, 11, 30, 7, tzinfo=UTC)


def log(n: int, slug: str = SLUGS[0]) -> dict[str, Any]:
    return {
        "performed_at": (TODAY - timedelta(hours=13 * n)).isoformat(),
        "session_rpe": 5 + n % 4,
        "duration_minutes": 20,
        "pain_after": n % 3,
        "entries": [{"exercise": slug, "sets": [{"reps": 8 + n % 3, "hold_seconds": 3, "rpe": 5 + n % 3}] * 2}],
    }


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Iterator[list[tuple[TestClient, Tenant]]]:
    """An app with the lanes and one without, each with the same user "ann" of 40 logs and a known key."""
    folder: Path = tmp_path_factory.mktemp("coachlane")
    found = []
    clients = []
    for fast in (True, False):
        app = create_app(Settings(database_url=f"sqlite:///{folder / f'{fast}.db'}", fast_path=fast), catalogue=catalogue)
        # The lane serves a key only if it authenticated within the window (1 s); on a loaded machine two
        # requests of a test can be further apart, and the request then (rightly) goes to the route.
        state_of(app).remembered_keys.recheck_seconds = 600.0
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        tenant = new_tenant(app, "acme")
        for n in range(40):
            body = log(n, SLUGS[n % 3])
            assert client.post("/users/ann/logs", json=body, headers=tenant.headers).status_code == 201
        found.append((client, tenant))
    yield found
    for client in clients:
        client.__exit__(None, None, None)


def _served(client: TestClient, route: str) -> float:
    value = state_of(client.app).metrics.registry.get_sample_value(
        "hipflex_fast_path_total", {"route": route}
    )
    return value or 0.0


def _same(fast: Any, slow: Any, what: str) -> None:
    assert fast.status_code == slow.status_code, (what, fast.text, slow.text)
    assert fast.content == slow.content, what
    for name in COMPARED_HEADERS:
        assert fast.headers.get(name) == slow.headers.get(name), (what, name)


queries = st.lists(
    st.sampled_from(
        ["goal=rehab", "goal=mobility", "goal=nope", "equipment=mini_band,bench", "equipment=pigeon", "minutes=20",
         "minutes=999", "pain_level=3", "pain_level=11", "level=beginner", "exclude=core-brace", "today=2026-11-30",
         "today=2026-11-31", "today=2026-12-25", "seed=1", "seed=x", "seed=-1", "colour=red"]
    ),
    max_size=5,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "goal": st.sampled_from(["rehab", "mobility", "nope"]),
        "equipment": st.sampled_from([["mini_band", "bench"], ["pigeon"], "bench"]),
        "seed": st.sampled_from([1, 7, -1, "5", 2.0, True]),
        "today": st.sampled_from(["2026-11-30", "2026-11-31", "yesterday"]),
        "pain_level": st.sampled_from([0, 3, 11]),
        "history": st.lists(st.builds(log, st.integers(0, 120), st.sampled_from(SLUGS)), max_size=6),
        "checkins": st.sampled_from([[], [{"date": "2026-11-29", "pain": 6}], [{"date": "x", "pain": 1}]]),
        "colour": st.just("red"),
    },
)
headers = st.fixed_dictionaries(
    {}, optional={"Accept-Language": st.sampled_from(["de", "en", "fr", "de-DE,de;q=0.9"])}
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries, body=bodies, extra=headers, keyed=st.sampled_from(["key", "none", "wrong"]), user=st.sampled_from(["ann", "bob", "a%09b"]))
def test_the_lane_and_the_routes_give_the_same_answer(
    apps: list[tuple[TestClient, Tenant]],
    query: list[str],
    body: dict[str, Any],
    extra: dict[str, str],
    keyed: str,
    user: str,
) -> None:
    (fast, fast_tenant), (slow, slow_tenant) = apps
    # Otherwise each answer draws its own seed, and the server's clock picks the day.
    query = [*query, "seed=3", "today=2026-11-30"]
    body = {"seed": 3, "today": "2026-11-30", **body}
    url = f"/users/{user}/workouts/next?" + "&".join(query)
    answers = []
    for client, tenant in ((fast, fast_tenant), (slow, slow_tenant)):
        auth = {"none": {}, "wrong": {"Authorization": "Bearer hf_nope"}, "key": tenant.headers}[keyed]
        answers.append((client.get(url, headers={**extra, **auth}), client.post(ADAPT, json=body, headers=extra)))
    _same(answers[0][0], answers[1][0], url)
    _same(answers[0][1], answers[1][1], repr(body))


def test_the_lane_serves_both_doors_and_leaves_errors_to_the_routes(apps: list[tuple[TestClient, Tenant]]) -> None:
    for (client, tenant), expected in zip(apps, (1.0, 0.0), strict=True):
        url = "/users/ann/workouts/next?goal=rehab&equipment=mini_band,bench&seed=2&today=2026-11-30"
        assert client.get(url, headers=tenant.headers).status_code == 200  # the key is remembered now
        before = _served(client, NEXT), _served(client, ADAPT)
        assert client.get(url, headers=tenant.headers).status_code == 200
        body = {"goal": "rehab", "history": [log(1), log(2)], "seed": 2, "today": "2026-11-30"}
        assert client.post(ADAPT, json=body).status_code == 200
        assert (_served(client, NEXT) - before[0], _served(client, ADAPT) - before[1]) == (expected, expected)
        # errors: a bad query, an unknown exercise, a body that is not JSON, no key
        assert client.get(url + "&minutes=999", headers=tenant.headers).status_code == 422
        assert client.post(ADAPT, json={**body, "history": [log(1, "no-such-exercise")]}).status_code == 422
        assert client.post(ADAPT, content=b"{", headers={"Content-Type": "application/json"}).status_code == 422
        assert client.get(url).status_code == 401
        assert (_served(client, NEXT) - before[0], _served(client, ADAPT) - before[1]) == (expected, expected)
    fast, _ = apps[0]
    text = fast.get("/metrics").text
    assert f'route="{NEXT}",status="200"' in text and f'route="{ADAPT}",status="200"' in text


def test_a_user_id_is_read_from_the_path_as_the_route_reads_it(apps: list[tuple[TestClient, Tenant]]) -> None:
    for client, tenant in apps:
        assert client.post(f"/users/{quote('ann b')}/logs", json=log(1), headers=tenant.headers).status_code == 201
    url = f"/users/{quote('ann b')}/workouts/next?goal=rehab&seed=4&today=2026-11-30"
    (fast, fast_tenant), (slow, slow_tenant) = apps
    before = _served(fast, NEXT)
    _same(fast.get(url, headers=fast_tenant.headers), slow.get(url, headers=slow_tenant.headers), url)
    assert _served(fast, NEXT) - before == 1.0
    assert "prone-leg-lift" in fast.get(url, headers=fast_tenant.headers).text
