"""The fast path answers exactly as the FastAPI routes do, or lets them answer; and it does run."""

from __future__ import annotations

import types
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import quote

import annotated_types
import pytest
from conftest import LogFactory, new_tenant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.state import state_of
from app.api.exercises import ExerciseQuery
from app.api.workouts import WorkoutParams
from app.catalogue import Catalogue
from app.main import create_app
from app.settings import Settings

COMPARED_HEADERS = (
    "content-type", "etag", "cache-control", "x-catalogue-version", "content-encoding", "content-length", "vary", "link"
)
QUERIES: dict[str, type[BaseModel]] = {"/exercises": ExerciseQuery, "/workouts": WorkoutParams}
# Values no field takes, drawn beside each field's own: every parameter is also tried wrong.
STRANGERS = ["", "x" * 101, "-1", "1.5", "pígeon", "none,", "colour"]


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Iterator[tuple[TestClient, TestClient]]:
    folder: Path = tmp_path_factory.mktemp("fastpath")
    fast = create_app(Settings(database_url=f"sqlite:///{folder / 'fast.db'}", fast_path=True), catalogue=catalogue)
    slow = create_app(Settings(database_url=f"sqlite:///{folder / 'slow.db'}", fast_path=False), catalogue=catalogue)
    with TestClient(fast) as fast_client, TestClient(slow) as slow_client:
        yield fast_client, slow_client


def _bare(annotation: Any) -> Any:
    """``X`` from ``X | None`` and from ``Annotated[X, ...]``."""
    if get_origin(annotation) is Annotated:
        return _bare(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        (inner,) = [a for a in get_args(annotation) if a is not type(None)]
        return _bare(inner)
    return annotation


def _bounds(metadata: list[Any]) -> tuple[int | None, int | None]:
    low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
    return low, high


def _item_values(item: Any, slugs: list[str]) -> st.SearchStrategy[str]:
    """What one value of a field can be, read off its type: an enum's values, a slug of the catalogue."""
    item = _bare(item)
    if isinstance(item, type) and issubclass(item, Enum):
        return st.sampled_from([member.value for member in item])
    if item is str:
        return st.sampled_from([*slugs, "no-such-slug"])
    raise AssertionError(f"no values for {item!r}: teach _item_values this type")


def _field_values(field: FieldInfo, slugs: list[str]) -> st.SearchStrategy[str]:
    """Values of a query parameter: in its type and bounds, at and just past its bounds, and strangers."""
    annotation = _bare(field.annotation)
    if get_origin(annotation) is list:
        (longest,) = [m.max_length for m in field.metadata if isinstance(m, annotated_types.MaxLen)]
        item = _item_values(get_args(annotation)[0], slugs)
        own = st.lists(item, min_size=1, max_size=3).map(",".join) | st.just(",".join(["none"] * (longest + 1)))
    elif annotation is int:
        low, high = _bounds(field.metadata)
        assert low is not None and high is not None, field
        edges = [low - 1, low, high, high + 1]
        own = st.sampled_from(edges).map(str) | st.integers(low, min(high, low + 1000)).map(str)
    elif annotation is str:
        (longest,) = [m.max_length for m in field.metadata if isinstance(m, annotated_types.MaxLen)]
        own = st.sampled_from(["king", "hip", "x" * longest, "x" * (longest + 1), *slugs[:5]])
    else:
        own = _item_values(annotation, slugs)
    return own | st.sampled_from(STRANGERS)


@st.composite
def urls(draw: st.DrawFn, slugs: list[str]) -> str:
    path = draw(st.sampled_from([*QUERIES, "/exercises/king-runner", "/exercises/core-brace", "/exercises/nope"]))
    model = QUERIES.get(path)
    pairs: list[tuple[str, str]] = []
    if model is not None:
        fields = {field.alias or name: field for name, field in model.model_fields.items()}
        names = [*fields, "colour"]  # and one the model does not know
        for name in draw(st.lists(st.sampled_from(names), max_size=5)):
            value = draw(_field_values(fields[name], slugs)) if name in fields else draw(st.sampled_from(STRANGERS))
            pairs.append((name, value))
    else:
        pairs = [("level", draw(st.sampled_from(["beginner", "expert"])))] if draw(st.booleans()) else []
    if path == "/workouts" and not any(name == "seed" for name, _ in pairs):
        pairs.append(("seed", str(draw(st.integers(0, 2**31 - 1)))))  # otherwise each answer picks its own
    query = "&".join(f"{name}={quote(value)}" for name, value in pairs)
    return f"{path}?{query}" if query else path


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), etag=st.booleans(), encoding=st.sampled_from(["gzip", "identity", "gzip;q=0", "*"]))
def test_fast_and_slow_paths_give_the_same_answer(
    clients: tuple[TestClient, TestClient], catalogue: Catalogue, data: st.DataObject, etag: bool, encoding: str
) -> None:
    url = data.draw(urls(sorted(e.slug for e in catalogue.exercises)), label="url")
    headers = {"If-None-Match": catalogue.etag} if etag else {}
    headers["Accept-Encoding"] = encoding  # gzip happens outside both paths, so the bytes sent are the same too
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


def _served(client: TestClient, route: str) -> float:
    value = state_of(client.app).metrics.registry.get_sample_value(
        "hipflex_fast_path_total", {"route": route}
    )
    return value or 0.0


READS = [
    ("/exercises", "/exercises?level=beginner"),
    ("/exercises/{slug}", "/exercises/king-runner"),
    ("/workouts", "/workouts?goal=mobility&seed=7"),
]


@pytest.mark.parametrize(("route", "url"), READS)
def test_the_fast_path_serves_each_hot_read(clients: tuple[TestClient, TestClient], route: str, url: str) -> None:
    for client, expected in zip(clients, (1.0, 0.0), strict=True):
        before = _served(client, route)
        assert client.get(url).status_code == 200
        assert _served(client, route) - before == expected, (client, route)


def test_the_fast_path_leaves_errors_to_the_routes(clients: tuple[TestClient, TestClient]) -> None:
    fast, _ = clients
    before = _served(fast, "/workouts")
    assert fast.get("/workouts?minutes=999").status_code == 422
    assert _served(fast, "/workouts") == before


@pytest.mark.parametrize("idempotent", [False, True])
def test_the_fast_path_writes_logs(
    clients: tuple[TestClient, TestClient], make_log: LogFactory, idempotent: bool
) -> None:
    route = "/users/{user_id}/logs"
    for client, expected in zip(clients, (1.0, 0.0), strict=True):
        # The lane takes keys seen within the window: widened for this app, so two requests are never a race.
        state_of(client.app).remembered_keys.recheck_seconds = 600.0
        tenant = new_tenant(client.app, "acme")
        user = f"/users/u-{idempotent}/logs"
        assert client.get(user, headers=tenant.headers).status_code == 404  # the key is now known
        headers = tenant.headers | ({"Idempotency-Key": "k-1"} if idempotent else {})
        before = _served(client, route)
        response = client.post(user, json=make_log(), headers=headers)
        assert response.status_code == 201, response.text
        assert _served(client, route) - before == expected
        assert client.get(response.headers["location"], headers=tenant.headers).json() == response.json()


def test_the_lanes_know_every_dependency_of_their_routes() -> None:
    from fastapi.routing import APIRoute

    from app.api import coaching, exercises, logs, progress, workouts
    from app.api.fastpath import ROUTE_DEPENDENCIES

    found = {
        (method, route.path): {getattr(dependency.call, "__name__", "?") for dependency in route.dependant.dependencies}
        for module in (exercises, logs, progress, workouts, coaching)
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if (method, route.path) in ROUTE_DEPENDENCIES
    }
    assert found == ROUTE_DEPENDENCIES


def test_the_exercise_page_cache_is_bounded_in_bytes(client: TestClient) -> None:
    from app.api.fastpath import PageCache

    long_query = "offset=" + "0" * 600 + "1"  # valid (offset 1), but too long a key to keep
    assert client.get(f"/exercises?{long_query}").json()["offset"] == 1
    (cache,) = state_of(client.app).exercise_pages.values()  # English only, so one
    base = "http://testserver"  # where this client's links start: part of each key
    assert (base, long_query.encode()) not in cache.pages
    for limit in range(1, 101):
        assert client.get(f"/exercises?limit={limit}").status_code == 200
    assert cache.size == sum(len(b) + len(q) + len(page[0]) for (b, q), page in cache.pages.items())
    assert all(len(b) + len(q) <= PageCache.MAX_KEY for b, q in cache.pages)
    before = dict(cache.pages)
    cache.MAX_BYTES = cache.size // 2  # a smaller bound: the oldest pages go first
    assert client.get("/exercises?limit=1&offset=1").status_code == 200
    assert cache.size <= cache.MAX_BYTES
    assert (base, b"limit=100") in cache.pages and (base, b"limit=1") not in cache.pages
    assert len(cache.pages) < len(before)
