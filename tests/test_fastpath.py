"""The fast path answers exactly as the FastAPI routes do, or lets them answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.catalogue import Catalogue
from app.main import create_app
from app.settings import Settings

COMPARED_HEADERS = ("content-type", "etag", "cache-control", "x-catalogue-version")

PARAMETERS = {
    "/exercises": ["kind", "muscle", "position", "level", "equipment", "pain", "q", "limit", "offset", "colour"],
    "/workouts": ["goal", "level", "equipment", "pain", "pain_level", "minutes", "tight_side", "exclude", "seed", "colour"],
}
VALUES = [
    "stretch", "strength", "assessment", "psoas_major", "iliopsoas", "biceps", "supine", "hanging",
    "beginner", "advanced", "expert", "none", "band", "band,wall", "mini_band,bench", "pull_up_bar",
    "knee", "hip", "knee,wrist", "elbow", "king", "pígeon", "", "0", "3", "7", "11", "20", "60", "-1",
    "rehab", "warmup", "posture", "left", "king-runner", "no-such-slug", "12345", "x" * 101,
]


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Iterator[tuple[TestClient, TestClient]]:
    folder: Path = tmp_path_factory.mktemp("fastpath")
    fast = create_app(Settings(database_url=f"sqlite:///{folder / 'fast.db'}", fast_path=True), catalogue=catalogue)
    slow = create_app(Settings(database_url=f"sqlite:///{folder / 'slow.db'}", fast_path=False), catalogue=catalogue)
    with TestClient(fast) as fast_client, TestClient(slow) as slow_client:
        yield fast_client, slow_client


@st.composite
def urls(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from([*PARAMETERS, "/exercises/king-runner", "/exercises/core-brace", "/exercises/nope"]))
    names = PARAMETERS.get(path, ["level"])
    pairs = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(VALUES)), max_size=5))
    if path == "/workouts" and not any(name == "seed" for name, _ in pairs):
        pairs.append(("seed", str(draw(st.integers(0, 2**31 - 1)))))  # otherwise each answer picks its own
    query = "&".join(f"{name}={quote(value)}" for name, value in pairs)
    return f"{path}?{query}" if query else path


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=urls(), etag=st.booleans())
def test_fast_and_slow_paths_give_the_same_answer(clients: tuple[TestClient, TestClient], url: str, etag: bool) -> None:
    headers = {"If-None-Match": clients[0].app.state.catalogue.etag} if etag else {}  # type: ignore[attr-defined]
    fast, slow = (client.get(url, headers=headers) for client in clients)
    assert fast.status_code == slow.status_code, url
    assert fast.content == slow.content, url
    for name in COMPARED_HEADERS:
        assert fast.headers.get(name) == slow.headers.get(name), (url, name)


def test_the_fast_path_is_logged_with_the_route_template(clients: tuple[TestClient, TestClient]) -> None:
    fast, _ = clients
    fast.get("/workouts?seed=1")
    fast.get("/exercises/king-runner")
    text = fast.get("/metrics").text
    assert 'route="/workouts",status="200"' in text
    assert 'route="/exercises/{slug}",status="200"' in text


def test_the_exercise_page_cache_is_bounded_in_bytes(client: TestClient) -> None:
    from app.api.fastpath import PageCache

    long_query = "offset=" + "0" * 600 + "1"  # valid (offset 1), but too long a key to keep
    assert client.get(f"/exercises?{long_query}").json()["offset"] == 1
    cache: PageCache = client.app.state.exercise_pages  # type: ignore[attr-defined]
    assert long_query.encode() not in cache.pages
    for limit in range(1, 101):
        assert client.get(f"/exercises?limit={limit}").status_code == 200
    assert cache.size == sum(len(k) + len(v) for k, v in cache.pages.items())
    assert all(len(key) <= PageCache.MAX_KEY for key in cache.pages)
    before = dict(cache.pages)
    cache.MAX_BYTES = cache.size // 2  # a smaller bound: the oldest pages go first
    assert client.get("/exercises?limit=1&offset=1").status_code == 200
    assert cache.size <= cache.MAX_BYTES
    assert b"limit=100" in cache.pages and b"limit=1" not in cache.pages
    assert len(cache.pages) < len(before)
