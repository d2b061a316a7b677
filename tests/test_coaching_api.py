"""Both doors to the coach over HTTP, on both databases: GET /users/{id}/workouts/next (stored logs)
and POST /workouts/adapt (a posted history): same inputs, same bytes; no history, the plain plan;
another tenant's logs never read; 401, 413 and 422s that name the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from conftest import Tenant
from app.state import state_of

TODAY = "2026-11-30"
# rehab, beginner, mini band and bench, seed 1: prone-leg-lift-straight-leg comes first (2 x 8-10 x 3-5 s)
QUERY = {"goal": "rehab", "equipment": "mini_band,bench", "seed": 1}
BODY_QUERY = {"goal": "rehab", "equipment": ["mini_band", "bench"], "seed": 1}
PRONE = "prone-leg-lift-straight-leg"
SERVER_FIELDS = ("id", "user_id", "created_at", "updated_at")


def session(day: int, slug: str = PRONE, rpe: int = 6, after: int = 1, reps: int = 8) -> dict[str, Any]:
    """A log body on November ``day``, 08:00 UTC: two easy sets of ``slug``."""
    when = datetime(2026, 11, 1, 8, tzinfo=UTC) + timedelta(days=day - 1)
    return {
        "performed_at": when.isoformat(),
        "duration_minutes": 20,
        "session_rpe": 5,
        "pain_before": 1,
        "pain_after": after,
        "entries": [{"exercise": slug, "sets": [{"reps": reps, "hold_seconds": 3, "rpe": rpe}] * 2}],
    }


def post_logs(client: TestClient, tenant: Tenant, user: str, bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        assert client.post(f"/users/{user}/logs", json=body, headers=tenant.headers).status_code == 201


def stored(client: TestClient, tenant: Tenant, user: str) -> list[dict[str, Any]]:
    """The user's logs as the API returns them, oldest first, in the log schema (server fields dropped)."""
    page = client.get(f"/users/{user}/logs", params={"limit": 100}, headers=tenant.headers).json()
    logs = [{k: v for k, v in log.items() if k not in SERVER_FIELDS} for log in page["items"]]
    return logs[::-1]


def next_workout(client: TestClient, tenant: Tenant, user: str, **more: Any) -> Any:
    return client.get(f"/users/{user}/workouts/next", params={**QUERY, "today": TODAY, **more}, headers=tenant.headers)


def test_both_doors_give_the_same_bytes(db_client: TestClient, acme: Tenant) -> None:
    post_logs(db_client, acme, "ann", [session(20), session(23), session(26, slug="core-brace", rpe=9)])
    door_one = next_workout(db_client, acme, "ann")
    assert door_one.status_code == 200, door_one.text
    history = stored(db_client, acme, "ann")
    assert len(history) == 3
    door_two = db_client.post("/workouts/adapt", json={**BODY_QUERY, "history": history, "today": TODAY})
    assert door_two.status_code == 200, door_two.text
    assert door_one.content == door_two.content
    adapted = door_one.json()
    assert adapted["adapted_for"] == TODAY and adapted["seed"] == 1
    by_slug = {i["exercise"]["slug"]: i["adaptation"] for i in adapted["items"]}
    assert (by_slug[PRONE]["action"], by_slug[PRONE]["rule"]) == ("progress", "two-for-two")
    assert by_slug[PRONE]["reason"].startswith("2/2 sets of 8 x 3 s at RPE 6 on Nov 20 and Nov 23")
    assert (by_slug["core-brace"]["action"], by_slug["core-brace"]["rule"]) == ("hold", "hard-or-unfinished")
    assert [g["rule"] for g in adapted["guards"]] == ["load-ratio-above-1.5", "pain-trend-up"]
    # The posted door stored nothing.
    assert len(stored(db_client, acme, "ann")) == 3


def test_no_history_is_the_plain_workout_with_every_item_new(db_client: TestClient, acme: Tenant) -> None:
    plain = db_client.get("/workouts", params=QUERY).json()
    for answer in (
        next_workout(db_client, acme, "nobody"),
        db_client.post("/workouts/adapt", json={**BODY_QUERY, "today": TODAY}),
    ):
        assert answer.status_code == 200, answer.text
        adapted = answer.json()
        assert {i.pop("adaptation")["action"] for i in adapted["items"]} == {"new"}
        assert (adapted.pop("adapted_for"), len(adapted.pop("guards"))) == (TODAY, 2)
        assert adapted.pop("pain_today")["rule"] == "no-report"  # nothing reported: 0/10, said so
        assert adapted == plain


def test_another_tenants_user_history_is_never_read(db_client: TestClient, acme: Tenant, globex: Tenant) -> None:
    post_logs(db_client, acme, "ann", [session(20), session(23)])
    mine = next_workout(db_client, acme, "ann").json()
    assert mine["items"][0]["adaptation"]["action"] == "progress"
    theirs = next_workout(db_client, globex, "ann")
    assert theirs.status_code == 200
    assert {i["adaptation"]["action"] for i in theirs.json()["items"]} == {"new"}
    assert theirs.content == next_workout(db_client, globex, "nobody").content


def test_history_older_than_six_weeks_is_not_read_by_either_door(db_client: TestClient, acme: Tenant) -> None:
    """Its sessions are not read, but the break is said: every item restarts, never a silent ``new``
    (issue 19: before, 42 days off reset everything to ``new`` without a word)."""
    old = [session(-25), session(-22)]  # October 6 and 9: 55 and 52 days before November 30
    post_logs(db_client, acme, "ann", old)
    one = next_workout(db_client, acme, "ann")
    two = db_client.post("/workouts/adapt", json={**BODY_QUERY, "history": old, "today": TODAY})
    assert one.content == two.content
    adapted = one.json()
    assert {(i["adaptation"]["action"], i["adaptation"]["rule"]) for i in adapted["items"]} == {
        ("restart", "gap-28-restart")
    }
    assert adapted["items"][0]["adaptation"]["from"] is None  # the old sessions themselves are not read
    assert any(n.startswith("52 days since your last session (Oct 9)") for n in adapted["notes"]), adapted["notes"]


def test_next_needs_a_key_and_adapt_does_not(db_client: TestClient) -> None:
    answer = db_client.get("/users/ann/workouts/next", params=QUERY)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert db_client.post("/workouts/adapt", json=BODY_QUERY).status_code == 200


def test_today_defaults_to_the_servers_utc_date(db_client: TestClient) -> None:
    answer = db_client.post("/workouts/adapt", json=BODY_QUERY).json()
    assert answer["adapted_for"] in {str(datetime.now(UTC).date() + timedelta(days=d)) for d in (-1, 0)}


def fields(answer: Any) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return [(e["location"], e["field"]) for e in answer.json()["errors"]]


def test_bad_input_is_a_422_naming_the_field(db_client: TestClient, acme: Tenant) -> None:
    post = db_client.post
    too_many = {**BODY_QUERY, "history": [session(20)] * 61}
    assert fields(post("/workouts/adapt", json=too_many)) == [("body", "history")]
    unknown = {**BODY_QUERY, "history": [session(20), session(23, slug="no-such-exercise")]}
    assert ("body", "history.1.entries.0.exercise") in fields(post("/workouts/adapt", json=unknown))
    bad_pain = {**BODY_QUERY, "checkins": [{"date": "2026-11-29", "pain": 11}]}
    assert fields(post("/workouts/adapt", json={**BODY_QUERY, "checkins": [{"date": 0, "pain": 1}]})) == [
        ("body", "checkins.0.date")]
    assert fields(post("/workouts/adapt", json=bad_pain)) == [("body", "checkins.0.pain")]
    for day in ("yesterday", 0, "2026-11-30T00:00:00Z"):  # a number is not read as a Unix time
        assert fields(post("/workouts/adapt", json={**BODY_QUERY, "today": day})) == [("body", "today")]
    for name, value in (("seed", False), ("pain_level", "5"), ("minutes", True), ("seed", 2**31)):
        assert fields(post("/workouts/adapt", json={**BODY_QUERY, name: value})) == [("body", name)]
    assert post("/workouts/adapt", json={**BODY_QUERY, "seed": 1.0}).content == post(
        "/workouts/adapt", json=BODY_QUERY).content  # 1.0 is JSON's integer 1
    extra = {**BODY_QUERY, "user_id": "ann"}
    assert fields(post("/workouts/adapt", json=extra)) == [("body", "user_id")]
    gentle = ["front-line-opener", "seated-isometric-hip-flexion", "side-lying-clamshell", "seated-marching",
              "standing-supported-knee-raise"]
    impossible = {"goal": "warmup", "pain": ["knee", "wrist"], "pain_level": 6, "equipment": ["no_wall"],
                  "exclude": gentle}
    answer = post("/workouts/adapt", json=impossible)
    assert answer.status_code == 422 and answer.json()["type"].endswith("/workout-impossible")
    assert {e["location"] for e in answer.json()["errors"]} == {"body"}
    assert fields(post("/workouts/adapt", json={"exclude": ["no-such-exercise"]})) == [("body", "exclude")]
    bad_goal = next_workout(db_client, acme, "ann", goal="flying")
    assert fields(bad_goal) == [("query", "goal")]
    for day in ("2026-02-30", "0"):
        assert fields(next_workout(db_client, acme, "ann", today=day)) == [("query", "today")]


def test_a_body_over_the_limit_is_a_413(db_client: TestClient) -> None:
    limit = state_of(db_client.app).settings.max_body_bytes
    body = json.dumps({**BODY_QUERY, "history": [session(20)] * 60, "pad": "x" * limit}).encode()
    answer = db_client.post("/workouts/adapt", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"


def test_check_ins_reach_the_rules_through_both_doors(db_client: TestClient, acme: Tenant, globex: Tenant) -> None:
    """Next-morning pain above the pain before the session regresses; a stored check-in and a posted one
    give the same bytes, and another tenant's check-in is never read."""
    post_logs(db_client, acme, "ann", [session(20), session(23)])
    morning = {"date": "2026-11-24", "pain": 3}
    assert db_client.post("/users/ann/checkins", json=morning, headers=acme.headers).status_code == 201
    theirs = {"date": "2026-11-29", "pain": 9}  # globex's own "ann": if it were read, the bytes would differ
    assert db_client.post("/users/ann/checkins", json=theirs, headers=globex.headers).status_code == 201
    one = next_workout(db_client, acme, "ann")
    body = {**BODY_QUERY, "history": stored(db_client, acme, "ann"), "today": TODAY, "checkins": [morning]}
    two = db_client.post("/workouts/adapt", json=body)
    assert one.status_code == two.status_code == 200, two.text
    assert one.content == two.content
    item = one.json()["items"][0]
    # At the bottom of its range already: the easier bent-knee lift takes its place.
    assert (item["adaptation"]["action"], item["adaptation"]["rule"]) == ("swap", "morning-pain-worse")
    assert "Pain the next morning (3/10)" in item["adaptation"]["reason"]


def test_the_pain_grade_still_applies_through_both_doors(db_client: TestClient, acme: Tenant) -> None:
    """Two easy sessions would progress; at 5/10 today the grade keeps the bottom dose, at 8/10 there is
    no session to adapt (a referral), and both doors agree."""
    easy = [session(20, reps=10), session(23, reps=10)]
    post_logs(db_client, acme, "ann", easy)
    # With the knee named as the sore area the straight-leg lift stays (with no area, 4/10 rules it out).
    for pain_level, expected in ((5, ("regress", "pain-today-graded")), (8, None)):
        one = next_workout(db_client, acme, "ann", pain_level=pain_level, pain="knee")
        body = {**BODY_QUERY, "pain": ["knee"], "pain_level": pain_level, "history": stored(db_client, acme, "ann"),
                "today": TODAY}
        two = db_client.post("/workouts/adapt", json=body)
        assert one.status_code == two.status_code == 200, one.text
        assert one.content == two.content
        adapted = one.json()
        if expected is None:
            assert adapted["items"] == [] and adapted["referral"] is not None
            continue
        first = adapted["items"][0]
        assert (first["adaptation"]["action"], first["adaptation"]["rule"]) == expected
        assert (first["dose"]["sets"], first["dose"]["reps"], first["dose"]["hold_seconds"]) == (2, 8, 3)


def test_the_documented_exchange_is_what_the_service_answers(client: TestClient) -> None:
    from app.api.examples.coaching import ADAPT_REQUEST, ADAPTED_WORKOUT

    response = client.post("/workouts/adapt", json=ADAPT_REQUEST)
    assert response.status_code == 200, response.text
    assert response.json() == ADAPTED_WORKOUT


def test_two_logs_at_the_same_instant_give_the_same_bytes_through_both_doors(
    db_client: TestClient, acme: Tenant
) -> None:
    """Stored, they come back in id order; posted, in the body's order: the coach reads them in one order."""
    twins = [session(20), session(23), session(23, after=7)]
    post_logs(db_client, acme, "bo", twins)
    door_one = next_workout(db_client, acme, "bo")
    assert door_one.status_code == 200, door_one.text
    for history in (twins, [twins[0], twins[2], twins[1]]):
        door_two = db_client.post("/workouts/adapt", json={**BODY_QUERY, "history": history, "today": TODAY})
        assert door_two.status_code == 200, door_two.text
        assert door_one.content == door_two.content


def test_answers_put_together_from_a_kept_shape_are_the_computed_bytes(
    db_client: TestClient, acme: Tenant, database_url: str
) -> None:
    """GET /users/{id}/workouts/next keeps an answer by its seed's shape (app.workouts.generator ``variant``) and
    answers another seed of that shape by putting its own seed fields in (app.api.coaching ``seeded_answer``). Over
    many seeds, goals, short sessions (where the coach refits by the seed's priority), a pain level sent, a side
    named, check-ins and a confirmed asymmetry, each such answer is the one an app that keeps nothing computes,
    byte for byte."""
    from conftest import make_settings
    from test_assessments import post, thomas

    from app.main import create_app

    easy = [session(day, slug, rpe=6, after=1, reps=10) for day in (12, 16, 19, 23, 26)
            for slug in (PRONE, "core-brace", "half-kneeling-hip-flexor-stretch", "isometric-hip-flexion-mini-band")]
    post_logs(db_client, acme, "ann", [*easy, session(28, "bridge-with-hip-flexor-pulls", rpe=9, after=4)])
    assert db_client.post("/users/ann/checkins", json={"date": "2026-11-27", "pain": 3}, headers=acme.headers).status_code == 201
    assert post(db_client, acme, thomas("2026-11-20", -8, 4), user="ann").status_code == 201
    assert post(db_client, acme, thomas("2026-11-27", -7, 3), user="ann").status_code == 201
    queries = [
        "goal=rehab&equipment=mini_band,bench&minutes=10",
        "goal=rehab&equipment=mini_band,bench&minutes=15&pain_level=5&pain=knee",
        "goal=mobility&level=beginner&minutes=20",
        "goal=balanced&equipment=band,wall,mini_band&minutes=12",
        "goal=strength&level=advanced&equipment=band,bench,mini_band&minutes=15&tight_side=left",
        "goal=warmup",
    ]
    variants = state_of(db_client.app).coach_variants
    nothing_kept = create_app(make_settings(database_url, answer_cache_bytes=0))
    with TestClient(nothing_kept) as fresh:
        for query in queries:
            hits = variants.stats.hits
            for seed in range(40):
                url = f"/users/ann/workouts/next?{query}&today={TODAY}&seed={seed}"
                kept, computed = db_client.get(url, headers=acme.headers), fresh.get(url, headers=acme.headers)
                assert kept.status_code == computed.status_code == 200, kept.text
                assert kept.content == computed.content, url
            assert variants.stats.hits - hits >= 20, query  # most seeds came from a kept shape
