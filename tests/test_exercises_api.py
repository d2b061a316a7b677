"""GET /exercises, /exercises/{slug} and /vocabulary over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.catalogue import Catalogue
from app.catalogue.models import Level

PROBLEM = "application/problem+json"


def slugs(client: TestClient, query: str) -> set[str]:
    response = client.get(f"/exercises?{query}&limit=100")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {item["slug"] for item in body["items"]}


def test_unfiltered_lists_the_whole_catalogue(client: TestClient, catalogue: Catalogue) -> None:
    assert slugs(client, "") == set(catalogue.by_slug)


def test_kind(client: TestClient) -> None:
    assert slugs(client, "kind=assessment") == {"thomas-test", "knee-to-chest-test"}
    both = slugs(client, "kind=assessment,release")
    assert both == {"thomas-test", "knee-to-chest-test", "hip-flexor-ball-release"}
    assert slugs(client, "kind=assessment&kind=release") == both


def test_muscle_and_muscle_groups(client: TestClient, catalogue: Catalogue) -> None:
    psoas = slugs(client, "muscle=psoas_major")
    iliacus = slugs(client, "muscle=iliacus")
    assert slugs(client, "muscle=iliopsoas") == psoas | iliacus
    assert "side-plank-clamshell" in slugs(client, "muscle=hip_rotators")
    expected = {e.slug for e in catalogue.exercises if "rectus_femoris" in (*e.muscles.primary, *e.muscles.secondary)}
    assert slugs(client, "muscle=rectus_femoris") == expected


def test_position(client: TestClient) -> None:
    hanging = slugs(client, "position=hanging")
    assert "hanging-leg-raise" in hanging
    assert "lying-leg-raise" not in hanging


def test_level_means_at_or_below(client: TestClient, catalogue: Catalogue) -> None:
    for level in Level:
        expected = {e.slug for e in catalogue.exercises if e.level.rank <= level.rank}
        assert slugs(client, f"level={level}") == expected
    assert "l-sit" not in slugs(client, "level=beginner")


def test_equipment_is_what_the_user_has(client: TestClient) -> None:
    bodyweight = slugs(client, "equipment=none")
    assert "core-brace" in bodyweight
    assert "standing-hip-flexor-raise" not in bodyweight
    assert "standing-hip-flexor-raise" in slugs(client, "equipment=kettlebell")
    # marching resisted bridge needs the bench AND the mini band
    assert "marching-resisted-bridge" not in slugs(client, "equipment=bench")
    assert "marching-resisted-bridge" in slugs(client, "equipment=bench,mini_band")
    assert bodyweight <= slugs(client, "equipment=bench")


def test_pain_leaves_out_what_it_rules_out(client: TestClient, catalogue: Catalogue) -> None:
    knee = slugs(client, "pain=knee")
    assert "king-runner" not in knee and "core-brace" in knee
    both = slugs(client, "pain=knee,wrist")
    assert both == {e.slug for e in catalogue.exercises if not {c.flag for c in e.contraindications} & {"knee", "wrist"}}


@pytest.mark.parametrize(("q", "slug"), [("couch", "king-runner"), ("KING", "king-runner"), ("pígeon", "pigeon-pose"), ("Thomas", "thomas-test")])
def test_search_is_case_and_accent_insensitive(client: TestClient, q: str, slug: str) -> None:
    assert slug in slugs(client, f"q={q}")


def test_filters_combine(client: TestClient, catalogue: Catalogue) -> None:
    found = slugs(client, "kind=stretch&level=beginner&equipment=none&pain=knee")
    expected = {
        e.slug
        for e in catalogue.exercises
        if e.kind == "stretch"
        and e.level == "beginner"
        and [] in e.equipment
        and all(c.flag != "knee" for c in e.contraindications)
    }
    assert found == expected and found


def test_pagination_walks_every_exercise_once(client: TestClient, catalogue: Catalogue) -> None:
    seen: list[str] = []
    url: str | None = "/exercises?limit=7"
    pages = 0
    while url:
        body = client.get(url).json()
        assert body["total"] == len(catalogue.exercises)
        seen += [item["slug"] for item in body["items"]]
        url = body["next"]
        pages += 1
    assert sorted(seen) == sorted(catalogue.by_slug)
    assert pages == -(-len(catalogue.exercises) // 7)


def test_next_link_keeps_the_filters(client: TestClient) -> None:
    body = client.get("/exercises?kind=stretch&limit=2").json()
    assert body["next"].startswith("http://testserver/exercises?kind=stretch&limit=2&offset=2")


def test_one_exercise_in_full(client: TestClient, catalogue: Catalogue) -> None:
    response = client.get("/exercises/king-runner")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "king-runner"
    assert body["sources"][0]["title"] and body["sources"][0]["publisher"]
    assert "seed_file" not in body["sources"][0]
    assert body["media"] == []  # the built-in catalogue has none: the articles' pictures are not ours
    assert {c["flag"] for c in body["contraindications"]} >= {"knee"}
    assert body["instructions"] and body["cues"]
    assert response.headers["x-catalogue-version"] == catalogue.version


def test_etag_and_conditional_requests(client: TestClient, catalogue: Catalogue) -> None:
    plain = {"Accept-Encoding": "identity"}  # the gzipped answer's own tag: tests/test_delivery.py
    first = client.get("/exercises/core-brace", headers=plain)
    etag = first.headers["etag"]
    assert etag == catalogue.etag and etag.startswith('"') and not etag.startswith("W/")
    assert "max-age" in first.headers["cache-control"]
    again = client.get("/exercises/core-brace", headers={"If-None-Match": etag, **plain})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    weak = client.get("/exercises", headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    stale = client.get("/exercises/core-brace", headers={"If-None-Match": '"1.0.0-stale"'})
    assert stale.status_code == 200 and stale.json()["slug"] == "core-brace"


def test_vocabulary_lists_every_filter_value(client: TestClient, catalogue: Catalogue) -> None:
    body = client.get("/vocabulary").json()
    values = {key: {t["value"] for t in terms} for key, terms in body.items() if isinstance(terms, list)}
    assert values["pain_flags"] == {"knee", "low_back", "wrist", "shoulder", "hip", "hip_pinch", "pregnancy"}
    assert "iliopsoas" in values["muscles"] and "psoas_major" in values["muscles"]
    assert "none" in values["equipment"]
    used = {item for e in catalogue.exercises for option in e.equipment for item in option}
    assert used <= values["equipment"]
    assert {m for e in catalogue.exercises for m in e.muscles.primary} <= values["muscles"]
    # every advertised value is accepted by the filter it belongs to
    for value in values["muscles"]:
        assert client.get(f"/exercises?muscle={value}").status_code == 200


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_unknown_slug_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/exercises/no-such-thing"), 404)
    assert "no-such-thing" in body["detail"]


def test_unknown_route_and_wrong_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/nowhere"), 404)
    response = client.delete("/exercises/core-brace")
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


def test_allow_names_every_method_at_the_path(client: TestClient) -> None:
    # Starlette's own Allow names only the first route's methods: here POST, not GET.
    response = client.request("OPTIONS", "/users/u-1/logs")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert client.put("/users/u-1/logs/x").headers["allow"] == "GET, HEAD, PATCH, DELETE"


@pytest.mark.parametrize(
    ("query", "parameter", "allowed"),
    [
        ("kind=yoga", "kind", "stretch"),
        ("muscle=biceps", "muscle", "iliopsoas"),
        ("position=upside-down", "position", "half-kneeling"),
        ("level=expert", "level", "advanced"),
        ("equipment=rowing_machine", "equipment", "mini_band"),
        ("pain=elbow", "pain", "low_back"),
        ("pain=", "pain", "low_back"),  # an empty value is not "no filter": leave the parameter out
        ("pain=knee,,hip", "pain", "low_back"),
    ],
)
def test_invalid_filter_values_name_the_parameter_and_the_allowed_values(client: TestClient, query: str, parameter: str, allowed: str) -> None:
    body = assert_problem(client.get(f"/exercises?{query}"), 422)
    error = body["errors"][0]
    assert error["location"] == "query" and error["field"] == parameter
    assert allowed in error["allowed"]
    assert parameter in body["detail"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("offset=-1", "offset"), ("q=" + "x" * 101, "q"), ("colour=red", "colour"), ("kind=" + ",".join(["stretch"] * 21), "kind")],
)
def test_sizes_are_bounded(client: TestClient, query: str, parameter: str) -> None:
    body = assert_problem(client.get(f"/exercises?{query}"), 422)
    assert body["errors"][0]["field"] == parameter
