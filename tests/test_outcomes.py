"""GET /users/{id}/outcomes and GET /outcomes, on both databases: the issue's scenarios, read as a clinician would."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import Tenant, new_tenant
from fastapi.testclient import TestClient
from outcomes_data import Person, seed, steady_change

from app.state import state_of
from app.api.outcomes import wants_csv
from app.outcomes import store
from app.outcomes.measures import habit_point, wilson


def today() -> date:
    return datetime.now(UTC).date()


def figures(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in report["figures"]}


def engine_of(client: TestClient) -> Any:
    return state_of(client.app).engine


@pytest.fixture
def twelve_better_three_not(db_client: TestClient, acme: Tenant) -> None:
    """The issue's cohort: 12 users whose pain goes 6 -> 2 over 12 weeks, 3 whose pain stays at 5; all doing
    mobility workouts, with hip extension measured by a helper at the start and at week 12: the twelve's left
    hip from -2 to 5 degrees (beyond the 3.9 MDC), the right from 3 to 5 (within it), the three's from 0 to 2."""
    start = today() - timedelta(days=100)
    people = [steady_change(f"better-{i:02}", start, 6, 2, sessions_first_fortnight=6) for i in range(12)]
    people += [steady_change(f"same-{i}", start, 5, 5, sessions_first_fortnight=2) for i in range(3)]
    for person in people:
        person.goal = "mobility"
        better = person.user_id.startswith("better")
        person.hip_extension = [
            (start, "inclinometer", "helper", -2.0 if better else 0.0, 3.0 if better else 0.0),
            (start + timedelta(days=83), "inclinometer", "helper", 5.0 if better else 2.0, 5.0 if better else 2.0),
        ]
    seed(engine_of(db_client), acme.name, people)


def test_twelve_of_fifteen_improve_meaningfully_80_percent_with_its_interval(
    db_client: TestClient, acme: Tenant, twelve_better_three_not: None
) -> None:
    response = db_client.get("/outcomes", headers=acme.headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["cohort"]["users"] == 15 and report["cohort"]["figures_shown"] is True
    rows = figures(report)
    at_12 = rows["pain_mcid_12_weeks_of_completers"]
    assert (at_12["numerator"], at_12["denominator"], at_12["value"]) == (12, 15, 0.8)
    # Wilson 95 % for 12/15, as published tables give it: 54.8 % to 93.0 %
    assert (at_12["ci95_low"], at_12["ci95_high"]) == (0.5481, 0.9295)
    assert rows["pain_mcid_12_weeks_of_due"]["numerator"] == 12 and rows["dropouts_12_weeks"]["value"] == 0
    assert (rows["pain_mcid_latest"]["numerator"], rows["pain_mcid_latest"]["denominator"]) == (12, 15)
    # at week 6 the twelve are about 1.5 points better: not yet a meaningful change
    assert rows["pain_mcid_6_weeks_of_completers"]["numerator"] == 0
    assert rows["pain_change_median_points"]["value"] == -4.0
    assert rows["pain_change_mean_points"]["value"] == round((12 * -4.0) / 15, 2)
    assert (rows["habit_point"]["numerator"], rows["habit_point"]["denominator"]) == (12, 15)
    assert (rows["rom_real_change"]["numerator"], rows["rom_real_change"]["denominator"]) == (12, 15)
    # no user id anywhere in the report
    assert "better-" not in response.text and "same-" not in response.text
    for missing in ("referrals",):
        assert rows[missing]["value"] is None and rows[missing]["note"].startswith("not available")


def test_the_csv_is_the_same_table(db_client: TestClient, acme: Tenant, twelve_better_three_not: None) -> None:
    as_json = db_client.get("/outcomes", headers=acme.headers).json()
    response = db_client.get("/outcomes", headers={**acme.headers, "Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["id"] for row in rows] == [row["id"] for row in as_json["figures"]]
    at_12 = next(row for row in rows if row["id"] == "pain_mcid_12_weeks_of_completers")
    assert (at_12["value"], at_12["numerator"], at_12["denominator"]) == ("0.8", "12", "15")


def test_a_user_from_6_to_5_does_not_count(db_client: TestClient, acme: Tenant) -> None:
    seed(engine_of(db_client), acme.name, [steady_change("slight", today() - timedelta(days=100), 6, 5, 6)])
    answer = db_client.get("/users/slight/outcomes", headers=acme.headers).json()
    pain = answer["pain"]
    assert pain["status"] == "ok"
    assert (pain["baseline"]["mean"], pain["current"]["mean"], pain["change_points"]) == (6.0, 5.0, -1.0)
    assert pain["change_percent"] == -16.7 and pain["meaningful"] is False
    week_12 = answer["follow_ups"][1]
    assert week_12["week"] == 12 and week_12["status"] == "ok" and week_12["meaningful"] is False


def test_a_cohort_of_nine_shows_its_size_and_no_figures(db_client: TestClient, acme: Tenant) -> None:
    start = today() - timedelta(days=100)
    seed(engine_of(db_client), acme.name, [steady_change(f"u{i}", start, 6, 2, 6) for i in range(9)])
    report = db_client.get("/outcomes", headers=acme.headers).json()
    assert report["cohort"]["users"] == 9 and report["cohort"]["figures_shown"] is False
    assert "9 user(s)" in report["cohort"]["withheld"]
    assert [row["id"] for row in report["figures"]] == ["users"] and report["figures"][0]["value"] == 9
    text = db_client.get("/outcomes", headers={**acme.headers, "Accept": "text/csv"}).text
    assert text.count("\r\n") == 2 and text.splitlines()[1].startswith("users,")


def test_a_filter_that_isolates_one_user_gives_no_figures(db_client: TestClient, acme: Tenant) -> None:
    early, late = today() - timedelta(days=150), today() - timedelta(days=100)
    people = [steady_change(f"u{i}", early, 6, 2, 6) for i in range(14)] + [steady_change("last", late, 6, 5, 6)]
    seed(engine_of(db_client), acme.name, people)
    everyone = db_client.get("/outcomes", headers=acme.headers).json()
    assert everyone["cohort"]["figures_shown"] is True
    one = late.isoformat()[:7]
    alone = db_client.get(f"/outcomes?from={one}&to={one}", headers=acme.headers).json()
    assert alone["cohort"]["users"] == 1 and alone["figures"] == [figures(alone)["users"]]
    # all but that one: its difference with the unfiltered report would be the one user's figures
    others = early.isoformat()[:7]
    rest = db_client.get(f"/outcomes?to={others}", headers=acme.headers).json()
    assert rest["cohort"]["users"] == 14 and rest["cohort"]["figures_shown"] is False
    assert "leaves out 1" in rest["cohort"]["withheld"]


def test_a_small_denominator_is_not_shown_inside_a_large_cohort(db_client: TestClient, acme: Tenant) -> None:
    """Ten users, only three of them far enough in for week 12: that share is not given."""
    people = [steady_change(f"old{i}", today() - timedelta(days=100), 6, 2, 6) for i in range(3)]
    people += [steady_change(f"new{i}", today() - timedelta(days=50), 6, 2, 6) for i in range(7)]
    seed(engine_of(db_client), acme.name, people)
    rows = figures(db_client.get("/outcomes", headers=acme.headers).json())
    assert rows["pain_mcid_12_weeks_of_completers"]["value"] is None
    assert rows["pain_mcid_12_weeks_of_completers"]["denominator"] == 3
    assert rows["pain_mcid_6_weeks_of_due"]["denominator"] == 10


def test_one_tenant_never_sees_anothers_users(db_client: TestClient, acme: Tenant, globex: Tenant) -> None:
    start = today() - timedelta(days=100)
    seed(engine_of(db_client), acme.name, [steady_change(f"u{i}", start, 6, 2, 6) for i in range(12)])
    seed(engine_of(db_client), globex.name, [steady_change("u0", start, 5, 5, 2)])
    theirs = db_client.get("/outcomes", headers=globex.headers).json()
    assert theirs["cohort"]["users"] == 1
    ours = figures(db_client.get("/outcomes", headers=acme.headers).json())
    assert ours["users"]["value"] == 12 and ours["pain_mcid_latest"]["numerator"] == 12
    assert db_client.get("/users/u1/outcomes", headers=globex.headers).status_code == 404
    # the same user id in each tenant is two people
    assert db_client.get("/users/u0/outcomes", headers=globex.headers).json()["pain"]["change_points"] == 0.0
    assert db_client.get("/users/u0/outcomes", headers=acme.headers).json()["pain"]["change_points"] == -4.0


def test_five_days_of_data_is_too_little_and_says_what_is_missing(db_client: TestClient, acme: Tenant) -> None:
    for offset in range(5):
        day = (today() - timedelta(days=4 - offset)).isoformat()
        assert db_client.post("/users/new/checkins", json={"date": day, "pain": 6}, headers=acme.headers).is_success
    answer = db_client.get("/users/new/outcomes", headers=acme.headers).json()
    assert answer["days_followed"] == 5
    pain = answer["pain"]
    assert pain["status"] == "too_little_data"
    assert "span 5 day(s)" in pain["missing"] and "28" in pain["missing"]
    assert pain["change_points"] is None and pain["meaningful"] is None and pain["current"] is None
    assert pain["baseline"]["days_scored"] == 5 and pain["baseline"]["mean"] == 6.0  # the baseline itself is known
    assert [f["status"] for f in answer["follow_ups"]] == ["not_yet_due", "not_yet_due"]
    assert answer["adherence"]["habit_point_reached"] is None and answer["adherence"]["sessions_a_week"] is None
    assert answer["programme"]["status"] == "too_little_data" and answer["programme"]["programmes"] == 0


def test_a_user_without_pain_scores_says_so(db_client: TestClient, acme: Tenant) -> None:
    day = today() - timedelta(days=20)
    seed(engine_of(db_client), acme.name, [Person("quiet", sessions=[(day, None, None)])])
    answer = db_client.get("/users/quiet/outcomes", headers=acme.headers).json()
    assert answer["pain"]["status"] == "too_little_data" and "no pain scores" in answer["pain"]["missing"]
    assert answer["adherence"]["sessions"] == 1 and answer["adherence"]["habit_point_reached"] is False


def test_safety_counts(db_client: TestClient, acme: Tenant) -> None:
    day = today() - timedelta(days=3)
    person = Person("sore", checkins=[(day, 8), (day + timedelta(days=1), 7)],
                    sessions=[(day, 6, 4), (day, 3, 5), (day, None, 9), (day, 5, None)])
    seed(engine_of(db_client), acme.name, [person])
    safety = db_client.get("/users/sore/outcomes", headers=acme.headers).json()["safety"]
    assert (safety["sessions_above_5"], safety["checkins_at_8_or_more"]) == (2, 1)
    assert safety["referrals"]["status"] == "not_available"


def test_a_repeated_report_is_kept_and_a_new_check_in_shows_at_once(
    db_client: TestClient, acme: Tenant, twelve_better_three_not: None
) -> None:
    first = db_client.get("/outcomes", headers=acme.headers)
    stats = state_of(db_client.app).answers.stats
    hits = stats.hits
    assert db_client.get("/outcomes", headers=acme.headers).content == first.content
    assert stats.hits == hits + 1
    assert first.headers["cache-control"] == "no-store"
    # served by the fast path (app/api/fastpath.py): a kept report skips FastAPI's routing and dependencies
    served = state_of(db_client.app).metrics.registry.get_sample_value("hipflex_fast_path_total", {"route": "/outcomes"})
    assert served is not None and served >= 2
    posted = db_client.post("/users/same-0/checkins", json={"date": today().isoformat(), "pain": 9},
                            headers=acme.headers)
    assert posted.status_code == 201
    after = figures(db_client.get("/outcomes", headers=acme.headers).json())
    assert after["checkins_at_8_or_more"]["value"] == figures(first.json())["checkins_at_8_or_more"]["value"] + 1
    # and the erased user leaves the report
    assert db_client.delete("/users/same-1", headers=acme.headers).status_code == 204
    assert figures(db_client.get("/outcomes", headers=acme.headers).json())["users"]["value"] == 14


def test_the_month_filters_are_checked(db_client: TestClient, acme: Tenant) -> None:
    for query in ("from=2026-13", "from=2026-02-01", "from=2026-03&to=2026-01", "user=x"):
        response = db_client.get(f"/outcomes?{query}", headers=acme.headers)
        assert response.status_code == 422, query
    assert db_client.get("/outcomes").status_code == 401


def test_wilson_matches_the_published_worked_values() -> None:
    """Newcombe 1998 (Stat Med 17:857), table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605; 0/20."""
    for hits, n, low, high in ((81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611)):
        interval = wilson(hits, n)
        assert interval is not None
        assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)
    assert wilson(0, 0) is None


def test_new_tenant_helper_is_real(db_client: TestClient) -> None:
    tenant = new_tenant(db_client.app, "initech")
    assert db_client.get("/outcomes", headers=tenant.headers).json()["cohort"]["users"] == 0


@pytest.mark.parametrize(
    ("size", "took", "expected"),
    [(250, 1.0, 125), (1, 5.0, 1), (100, 0.01, 200), (200, 0.01, 250), (100, 0.3, 100)],
)
def test_a_slow_statement_halves_the_next_slice_and_a_fast_one_doubles_it(size: int, took: float, expected: int) -> None:
    assert store._next_size(size, took) == expected


@pytest.mark.parametrize(
    ("sessions", "days_followed", "expected"),
    [(6, 3, True), (5, 14, None), (5, 15, False), (0, 40, False), (2, 1, None)],
)
def test_the_habit_point_is_decided_when_day_13_is_over(sessions: int, days_followed: int, expected: bool | None) -> None:
    assert habit_point(sessions, days_followed) is expected


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        (None, False), ("text/csv", True), ("application/json", False), ("*/*", False),
        ("text/csv;q=0.5, application/json", False), ("application/json;q=0.5, text/csv", True),
        ("text/*", True), ("text/csv, */*", True), ("text/csv, application/json", False), ("text/csv;q=0", False),
    ],
)
def test_accept_chooses_csv_only_when_preferred(accept: str | None, csv: bool) -> None:
    assert wants_csv(accept) is csv
