"""The HTTP rules every route follows (app.api.delivery and the shared representations), over all routes.

Each rule is checked against the routes the app has, not a list kept here, so a
route added later follows it or fails a test: HEAD on every GET, no-store on
everything under /users/, a Link header on every paged answer.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import LogFactory, Tenant
from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from app.api import delivery
from app.api.delivery import Deprecation, accepts_gzip
from app.api.representations import base_url, rendered
from app.catalogue import Catalogue
from app.main import EXPOSED_HEADERS, create_app
from app.settings import Settings

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
# A value for each path parameter of a GET route; a route with a parameter not here fails the HEAD test.
PATH_VALUES = {"slug": "king-runner", "user_id": "u-1", "name": "favicon.png", "day": "2026-11-20"}
# A query for GET routes whose answer is drawn afresh without one.
QUERIES = {
    "/workouts": "?goal=mobility&seed=3",
    "/users/{user_id}/workouts/next": "?goal=rehab&seed=3&today=2026-11-21",
    "/users/{user_id}/assessments/trends": "?test=modified-thomas-hip",
    "/programmes": "?goal=mobility&weeks=2&seed=3&start=2026-12-07",  # a seed: the same plan twice
}
# A first page with a next one, for each paged route (a response model with a `next` field).
PAGED = {
    "/exercises": "/exercises?limit=2",
    "/users/{user_id}/logs": "/users/u-1/logs?limit=2",
    "/users/{user_id}/checkins": "/users/u-1/checkins?limit=2",
    "/users/{user_id}/assessments": "/users/u-1/assessments?limit=2",
    "/users/{user_id}/programmes": "/users/u-1/programmes?limit=1",
}
# Headers that differ between two identical requests.
VOLATILE = {"date", "x-request-id", "server-timing", "ratelimit"}  # (ratelimit: what is left changes)
# Bodies that change by themselves (a timestamp, counters): their length may differ from GET to HEAD.
CHANGING = {
    "/users/{user_id}/export",
    "/metrics",
    # windows end at the moment of the request
    "/users/{user_id}/progress",
    "/users/{user_id}/progress/exercises/{slug}",
}


def _routes(app: FastAPI) -> Iterator[RouteContext]:
    """Every route of the app, through the routers it includes."""
    for route in iter_route_contexts(app.routes):
        if route.methods:
            yield route


@pytest.fixture
def with_logs(db_client: TestClient, acme: Tenant, make_log: LogFactory) -> dict[str, str]:
    """Three logs, check-ins and assessments and a programme for user u-1; the path values with their ids."""
    ids, assessed = [], []
    for day in ("2026-11-18", "2026-11-19", "2026-11-20"):
        response = db_client.post("/users/u-1/logs", json=make_log(), headers=acme.headers)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
        checkin = db_client.post("/users/u-1/checkins", json={"date": day, "pain": 2}, headers=acme.headers)
        assert checkin.status_code == 201, checkin.text
        trials = [{"side": "left", "thigh_angle": -8}, {"side": "right", "thigh_angle": 4}]
        thomas = {"test": "modified-thomas-hip", "performed_at": f"{day}T08:00:00Z", "method": "inclinometer",
                  "rater": "self", "trials": trials}
        assessment = db_client.post("/users/u-1/assessments", json=thomas, headers=acme.headers)
        assert assessment.status_code == 201, assessment.text
        assessed.append(assessment.json()["id"])
    plan = {"goal": "mobility", "weeks": 2, "start": "2026-11-16", "tz": "Europe/Berlin", "seed": 3}
    programme = db_client.post("/users/u-1/programmes", json=plan, headers=acme.headers)
    assert programme.status_code == 201, programme.text
    second = db_client.post("/users/u-1/programmes", json={**plan, "goal": "strength"}, headers=acme.headers)
    assert second.status_code == 201, second.text  # two: a first page with a next one
    return {**PATH_VALUES, "log_id": ids[0], "assessment_id": assessed[0], "programme_id": programme.json()["id"]}


def _url(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"{path}: give its parameter a value in PATH_VALUES"
    return path


def test_every_get_route_answers_head_with_the_same_headers(
    db_client: TestClient, acme: Tenant, with_logs: dict[str, str]
) -> None:
    app: FastAPI = db_client.app
    checked = 0
    for route in _routes(app):
        if "GET" not in (route.methods or ()):
            continue
        url = _url(route.path_format, with_logs) + QUERIES.get(route.path_format, "")
        get = db_client.get(url, headers={**acme.headers, **GZIP})
        head = db_client.head(url, headers={**acme.headers, **GZIP})
        assert get.status_code == 200, (url, get.text)
        assert head.status_code == 200, url
        assert head.content == b"", url
        volatile = VOLATILE | ({"content-length"} if route.path_format in CHANGING else set())
        same = {k: v for k, v in get.headers.items() if k not in volatile}
        assert {k: v for k, v in head.headers.items() if k not in volatile} == same, url
        checked += 1
    assert checked >= 10


def test_head_of_a_seeded_workout_is_revalidated_like_get(client: TestClient) -> None:
    url = "/workouts?goal=mobility&seed=7"
    etag = client.get(url).headers["etag"]
    head = client.head(url, headers={"If-None-Match": etag})
    assert head.status_code == 304
    assert head.headers["etag"] == etag


def test_everything_under_users_is_no_store_errors_included(
    db_client: TestClient, acme: Tenant, with_logs: dict[str, str], make_log: LogFactory
) -> None:
    app: FastAPI = db_client.app
    calls = []
    for route in _routes(app):
        if route.path_format.startswith("/users/"):
            calls += [
                (method, _url(route.path_format, with_logs) + (QUERIES.get(route.path_format, "") if method == "GET" else ""))
                for method in route.methods or ()
            ]
    calls.sort(key=lambda call: call[0] == "DELETE")  # deletions last: they erase what the others read
    bodies: dict[str, Any] = {
        "/users/u-1/checkins": {"date": "2026-11-21", "pain": 1},  # a date not taken yet
        "/users/u-1/assessments": {
            "test": "ely", "performed_at": "2026-11-21T08:00:00Z", "method": "goniometer", "rater": "helper",
            "trials": [{"side": "left", "knee_flexion": 120, "hip_rise": False}],
        },
        f"/users/u-1/assessments/{with_logs['assessment_id']}": {"notes": "re-read"},
        "/users/u-1/programmes": {"goal": "rehab", "weeks": 2},  # mobility and strength have their open ones
        f"/users/u-1/programmes/{with_logs['programme_id']}": {"status": "paused"},
    }
    for method, url in calls:
        body = bodies.get(url, make_log()) if method in ("POST", "PATCH") else None
        for headers in (acme.headers, {}):  # with the key (a success) and without (a 401 problem)
            response = db_client.request(method, url, json=body, headers=headers)
            assert response.status_code < 300 or headers == {}, (method, url, response.text)
            assert response.headers["cache-control"] == "no-store", (method, url, response.status_code)
    missing = db_client.get("/users/nobody/export", headers=acme.headers)
    assert missing.status_code == 404
    assert missing.headers["cache-control"] == "no-store"
    assert len(calls) >= 7


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate;q=1, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("identity", False),
        ("*", True),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("br;q=1.0, *;q=0.1", True),
        ("", False),
        ("GZIP", True),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_with_q_values(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_large_answers_are_gzipped_when_asked(client: TestClient) -> None:
    plain = client.get("/exercises?limit=100", headers=IDENTITY)
    packed = client.get("/exercises?limit=100", headers=GZIP)
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # httpx decoded it
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    # composed with the language negotiation's own Vary, not replacing it
    assert plain.headers["vary"] == packed.headers["vary"] == "Accept-Language, Accept-Encoding"
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    refused = client.get("/exercises?limit=100", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "content-encoding" not in refused.headers


def test_small_answers_stay_plain(client: TestClient) -> None:
    response = client.get("/healthz", headers=GZIP)
    assert len(response.content) < delivery.MIN_GZIP_BYTES
    assert "content-encoding" not in response.headers


def test_each_language_and_coding_has_its_own_etag(client: TestClient) -> None:
    tags = {
        client.get("/exercises?limit=100", headers={"Accept-Language": language, "Accept-Encoding": coding}).headers[
            "etag"
        ]
        for language in ("en", "de")
        for coding in ("gzip", "identity")
    }
    assert len(tags) == 4


def test_the_gzip_etag_revalidates(client: TestClient) -> None:
    etag = client.get("/exercises?limit=100", headers=GZIP).headers["etag"]
    assert etag.endswith('-gzip"')
    again = client.get("/exercises?limit=100", headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.headers["vary"] == "Accept-Language, Accept-Encoding"
    plain = client.get("/exercises?limit=100", headers={**IDENTITY, "If-None-Match": etag})
    assert plain.status_code == 304  # the same resource, now wanted without gzip: its identity tag
    assert not plain.headers["etag"].endswith('-gzip"')


def test_catalogue_bodies_are_compressed_once(client: TestClient, catalogue: Catalogue) -> None:
    body = rendered(catalogue).details["king-runner"]
    assert len(body) >= delivery.MIN_GZIP_BYTES
    first = client.get("/exercises/king-runner", headers=GZIP)
    assert first.headers["content-encoding"] == "gzip"
    remembered = delivery._MEMO[body]
    client.get("/exercises/king-runner", headers=GZIP)
    assert delivery._MEMO[body] is remembered
    assert gzip.decompress(remembered) == body


def test_workouts_are_gzipped_per_request_and_not_remembered_unseeded(client: TestClient) -> None:
    before = len(delivery._MEMO)
    response = client.get("/workouts?goal=mobility&minutes=30", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "etag" not in response.headers
    assert len(delivery._MEMO) == before


def test_every_paged_answer_has_an_absolute_next_and_a_link_header(
    db_client: TestClient, acme: Tenant, with_logs: dict[str, str]
) -> None:
    app: FastAPI = db_client.app
    paged = [
        context.path
        for context in _routes(app)
        if isinstance(context.route, APIRoute) and "next" in getattr(context.route.response_model, "model_fields", {})
    ]
    assert sorted(paged) == sorted(PAGED), "a new paged route: add a first page of it to PAGED"
    for url in PAGED.values():
        response = db_client.get(url, headers=acme.headers)
        following = response.json()["next"]
        assert following.startswith("http://testserver/"), following
        assert response.headers["link"] == f'<{following}>; rel="next"'
        last = db_client.get(following.replace("limit=2", "limit=100"), headers=acme.headers)
        assert last.json()["next"] is None and "link" not in last.headers


def test_next_links_use_the_configured_public_url(tmp_path: Any, catalogue: Catalogue) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", public_url="https://api.example.com/hipflex/")
    with TestClient(create_app(settings, catalogue=catalogue)) as client:
        body = client.get("/exercises?limit=2").json()
        assert body["next"] == "https://api.example.com/hipflex/exercises?limit=2&offset=2"


def test_a_strange_host_header_does_not_reach_the_links(client: TestClient) -> None:
    response = client.get("/exercises?limit=2", headers={"Host": 'evil>; rel="next", <x'})
    assert response.status_code == 200
    assert "evil" not in response.json()["next"] and "evil" not in response.headers["link"]


@pytest.mark.parametrize("host", [b"api.example.org:8443", b"[::1]:8000", b"bad host", b""])
def test_the_base_url_is_the_same_remembered_or_not(host: bytes) -> None:
    scopes = [
        {"headers": [(b"accept", b"*/*"), (b"host", host)], "server": (address, 8000), "scheme": scheme, "root_path": root}
        for address in ("10.0.0.1", "10.0.0.2")
        for scheme, root in [("http", ""), ("https", "/api")]
    ]
    expected = [base_url(scope, None) for scope in scopes]
    assert [base_url(scope, None) for scope in scopes] == expected  # (the second time from memory, where kept)
    valid = host not in (b"bad host", b"")
    assert (expected[0] == expected[2]) is valid  # a host the regex refuses: the server's own address, each time
    assert expected[1] == ("https://" + host.decode() + "/api" if valid else "https://10.0.0.1:8000/api")


def test_cors_exposes_what_clients_read(tmp_path: Any, catalogue: Catalogue) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", cors_origins=["https://app.example"])
    with TestClient(create_app(settings, catalogue=catalogue)) as client:
        response = client.get("/exercises?limit=2", headers={"Origin": "https://app.example"})
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    needed = {"idempotent-replayed", "retry-after", "location", "etag", "x-request-id", "link", "content-language"}
    assert needed <= exposed
    assert {h.lower() for h in EXPOSED_HEADERS} == exposed


@pytest.mark.parametrize("url", ["/goals", "/workouts?goal=strength&level=advanced&seed=42"])
def test_goals_and_seeded_workouts_have_strong_etags(client: TestClient, url: str) -> None:
    first = client.get(url, headers=IDENTITY)
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag == client.get(url, headers=IDENTITY).headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = client.get(url, headers={**IDENTITY, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_seeds_change_the_etag_and_unseeded_workouts_have_none(client: TestClient) -> None:
    one = client.get("/workouts?goal=mobility&seed=1").headers["etag"]
    two = client.get("/workouts?goal=mobility&seed=2").headers["etag"]
    assert one != two
    fresh = client.get("/workouts?goal=mobility")
    assert "etag" not in fresh.headers and fresh.headers["cache-control"] == "no-cache"
    assert "seed=" in fresh.json()["self"]


def test_a_deprecated_route_announces_its_sunset(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    since = datetime(2026, 12, 1, tzinfo=UTC)
    sunset = datetime(2027, 6, 1, tzinfo=UTC)
    monkeypatch.setitem(delivery.DEPRECATIONS, ("GET", "/goals"), Deprecation(since, sunset, "/v2/goals"))
    response = client.get("/goals")
    assert response.status_code == 200
    assert response.headers["deprecation"] == f"@{int(since.timestamp())}"
    assert response.headers["sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"
    assert response.headers["link"] == '</v2/goals>; rel="successor-version"'
    assert "deprecation" not in client.get("/vocabulary").headers


def test_the_gzip_memo_is_bounded_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "_MEMO", {})
    monkeypatch.setattr(delivery, "_memo_bytes", 0)
    monkeypatch.setattr(delivery, "MEMO_BYTES", 40_000)
    bodies = [(f"{n:05d}" * 1000).encode() for n in range(30)]  # 5 kB each
    for body in bodies:
        assert gzip.decompress(delivery.compress(body, remember=True)) == body
    assert delivery._memo_bytes <= 40_000
    assert delivery._memo_bytes == sum(len(k) + len(v) for k, v in delivery._MEMO.items())
    assert bodies[-1] in delivery._MEMO and bodies[0] not in delivery._MEMO  # the oldest went first
    delivery.compress(b"x" * 20_000, remember=True)  # over a quarter of the bound: not kept
    assert b"x" * 20_000 not in delivery._MEMO


def test_gzip_can_be_turned_off(tmp_path: Any, catalogue: Catalogue) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", gzip_min_bytes=0)
    with TestClient(create_app(settings, catalogue=catalogue)) as client:
        response = client.get("/exercises?limit=100", headers=GZIP)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert "Accept-Encoding" not in response.headers["vary"]


VARY_CASES = [
    [(b"etag", b'"a"'), (b"vary", b"Accept-Language"), (b"content-length", b"3"), (b"content-type", b"application/json")],
    [(b"content-length", b"3"), (b"content-type", b"application/json")],
    [(b"vary", b"Accept-Encoding, Accept"), (b"content-type", b"text/csv")],
    [(b"content-length", b"3"), (b"content-type", b"image/png")],
    [(b"content-encoding", b"gzip"), (b"content-type", b"application/json")],
    [(b"etag", b'"a"'), (b"vary", b"Accept-Language")],
]


@pytest.mark.parametrize("headers", VARY_CASES)
@pytest.mark.parametrize("status", [200, 304])
def test_a_shared_header_tuple_is_varied_as_a_list_is(
    monkeypatch: pytest.MonkeyPatch, headers: list[tuple[bytes, bytes]], status: int
) -> None:
    monkeypatch.setattr(delivery, "_SHARED", {})
    scanned = {"status": status, "headers": list(headers)}
    delivery._vary_if_compressible(scanned)
    shared = tuple(headers)
    for _ in range(2):  # decided, then remembered
        start = {"status": status, "headers": shared}
        delivery._vary_if_compressible(start)
        assert list(start["headers"]) == list(scanned["headers"])
    assert len(delivery._SHARED) == 1
    other = {"status": 404 if status == 304 else 304, "headers": shared}  # the same tuple with another status
    delivery._vary_if_compressible(other)
    expected = {"status": other["status"], "headers": list(headers)}
    delivery._vary_if_compressible(expected)
    assert list(other["headers"]) == list(expected["headers"])


def test_the_shared_header_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "_SHARED", {})
    monkeypatch.setattr(delivery, "MAX_SHARED", 4)
    kept = [((b"content-length", str(n).encode()), (b"content-type", b"application/json")) for n in range(6)]
    for headers in kept:
        delivery._vary_if_compressible({"status": 200, "headers": headers})
    assert [entry[0] for entry in delivery._SHARED.values()] == kept[2:]  # the oldest went first
