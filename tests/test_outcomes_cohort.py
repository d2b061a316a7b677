"""The tenant's report (whole, by goal and by programme) is the aggregation of its users' own answers, over random cohorts
(check-ins, sessions, goals, hip-extension assessments and programmes), on both databases.

The aggregation here is written again, separately from app/outcomes/cohort.py,
from the per-user JSON alone: what GET /users/{id}/outcomes shows.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import make_settings, new_tenant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from outcomes_data import Person, seed

from app.state import state_of
from app.catalogue import Catalogue
from app.main import create_app
from app.outcomes import store
from app.outcomes.measures import wilson

MIN_COHORT = 5  # the smallest the setting allows, so that random cohorts get figures often
_tenants = itertools.count()


@pytest.fixture
def small_cohort_client(
    database_url: str, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setattr(store, "SLICE", 3)  # the tenant's users read three at a time: slices' edges are tested too
    app = create_app(make_settings(database_url, outcomes_min_cohort=MIN_COHORT), catalogue=catalogue)
    with TestClient(app) as client:
        yield client


pains = st.integers(min_value=0, max_value=10)
degree = st.integers(-20, 50).map(float) | st.floats(-20, 50, allow_nan=False)
degrees = st.none() | degree | st.lists(degree, min_size=1, max_size=3)  # a side's trials: none, one, up to 3
hip_extension = st.tuples(  # day after start, method, rater, left, right (at least one side)
    st.integers(0, 100), st.sampled_from(["inclinometer", "goniometer"]), st.sampled_from(["helper", "clinician"]),
    degrees, degrees,
).filter(lambda s: s[3] is not None or s[4] is not None)
GOALS = [None, "mobility", "strength"]
# a programme: days from the user's start to its start, weeks, days a week, ended after so many days (or not)
programme = st.tuples(st.integers(-10, 60), st.integers(1, 6), st.integers(1, 4), st.none() | st.integers(0, 40))
people = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=130),  # the first day, days before today
        st.lists(st.tuples(st.integers(0, 100), pains), max_size=25),  # check-ins: day after start, pain
        st.lists(st.tuples(st.integers(0, 100), st.none() | pains, st.none() | pains), max_size=12),
        st.lists(hip_extension, max_size=4),
        st.sampled_from(GOALS),
        st.none() | programme,  # a mobility programme
        st.none() | programme,  # a strength programme (one open programme a goal)
    ),
    max_size=9,
)


def _people(drawn: list[Any]) -> list[Person]:
    today = datetime.now(UTC).date()
    found = []
    for index, (back, checkins, sessions, hips, goal, *plans) in enumerate(drawn):
        start = today - timedelta(days=back)
        person = Person(f"user-{index}", sessions=[(start + timedelta(days=d), b, a) for d, b, a in sessions])
        person.hip_extension = [(start + timedelta(days=d), *rest) for d, *rest in hips]
        person.goal = goal
        person.programmes = [
            (kind, start + timedelta(days=at), weeks, days, None if ended is None else start + timedelta(days=at + ended))
            for kind, plan in zip(("mobility", "strength"), plans, strict=True) if plan is not None
            for at, weeks, days, ended in [plan]
        ]
        person.checkins = sorted({start + timedelta(days=d): p for d, p in checkins}.items())  # one a date
        if not person.checkins and not person.sessions:
            person.checkins = [(start, 3)]
        found.append(person)
    return found


def _share(rows: dict[str, Any], id: str, hits: int, n: int) -> None:
    row = rows[id]
    assert row["denominator"] == n, id
    if n < MIN_COHORT:
        assert row["value"] is None and row["numerator"] is None, id
        return
    interval = wilson(hits, n)
    assert interval is not None
    assert (row["numerator"], row["value"]) == (hits, round(hits / n, 4)), id
    assert (row["ci95_low"], row["ci95_high"]) == (round(interval.low, 4), round(interval.high, 4)), id


def _summary(rows: dict[str, Any], id: str, values: list[float], of: Any) -> None:
    assert rows[id]["denominator"] == len(values), id
    assert rows[id]["value"] == (round(of(values), 2) if len(values) >= MIN_COHORT else None), id


def expected_matches(report: dict[str, Any], answers: list[dict[str, Any]], left_out: int = 0) -> None:
    """``left_out``: how many of the tenant's users a filter left out of ``answers``."""
    assert report["cohort"]["users"] == len(answers)
    rows = {row["id"]: row for row in report["figures"]}
    if len(answers) < MIN_COHORT or 0 < left_out < MIN_COHORT:
        assert report["cohort"]["figures_shown"] is False and list(rows) == ["users"]
        return
    decided = [a["adherence"]["habit_point_reached"] for a in answers]
    decided = [d for d in decided if d is not None]
    _share(rows, "habit_point", sum(decided), len(decided))
    weekly = [a["adherence"]["sessions_a_week"] for a in answers if a["adherence"]["sessions_a_week"] is not None]
    _summary(rows, "sessions_a_week_median", weekly, statistics.median)
    for index, week in enumerate((6, 12)):
        ups = [a["follow_ups"][index] for a in answers]
        due = [u for u in ups if u["status"] in ("ok", "missing")]
        done = [u for u in due if u["status"] == "ok"]
        hits = sum(1 for u in done if u["meaningful"])
        _share(rows, f"pain_mcid_{week}_weeks_of_due", hits, len(due))
        _share(rows, f"pain_mcid_{week}_weeks_of_completers", hits, len(done))
        assert rows[f"dropouts_{week}_weeks"]["value"] == len(due) - len(done)
    changed = [a["pain"] for a in answers if a["pain"]["status"] == "ok"]
    _share(rows, "pain_mcid_latest", sum(1 for c in changed if c["meaningful"]), len(changed))
    points = [c["change_points"] for c in changed]
    _summary(rows, "pain_change_mean_points", points, statistics.fmean)
    _summary(rows, "pain_change_median_points", points, statistics.median)
    percents = [c["change_percent"] for c in changed if c["change_percent"] is not None]
    _summary(rows, "pain_change_mean_percent", percents, statistics.fmean)
    moved = [a["assessments"]["real_change"] for a in answers if a["assessments"]["real_change"] is not None]
    _share(rows, "rom_real_change", sum(moved), len(moved))
    planned = [a["programme"]["completed_any"] for a in answers if a["programme"]["completed_any"] is not None]
    _share(rows, "programme_completion", sum(planned), len(planned))
    assert rows["sessions_above_5"]["value"] == sum(a["safety"]["sessions_above_5"] for a in answers)
    assert rows["sessions_above_5"]["denominator"] == sum(a["adherence"]["sessions"] for a in answers)
    assert rows["checkins_at_8_or_more"]["value"] == sum(a["safety"]["checkins_at_8_or_more"] for a in answers)


def same_verdicts_as_trends(client: TestClient, headers: dict[str, str], user_id: str, answer: dict[str, Any]) -> None:
    """Each test and side's change and verdict are those GET /users/{id}/assessments/trends gives."""
    trends = client.get(f"/users/{user_id}/assessments/trends?test=hip-extension", headers=headers).json()
    for change in answer["assessments"]["tests"]:
        theirs = trends["change"].get(change["side"])
        assert change["method"] == trends["method"]
        if theirs is None:
            assert change["sessions"] == 0
            continue
        assert (change["sessions"], change["verdict"], change["mdc"]) == (
            theirs["sessions"], theirs["verdict"], theirs["mdc"]
        )
        assert change["change"] == theirs["from_baseline"] and change["current"] == theirs["latest"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=people)
def test_the_tenant_report_is_the_aggregation_of_the_per_user_answers(
    small_cohort_client: TestClient, drawn: list[Any]
) -> None:
    client = small_cohort_client
    tenant = new_tenant(client.app, f"cohort-{next(_tenants)}")
    cohort = _people(drawn)
    seed(state_of(client.app).engine, tenant.name, cohort)
    answers = []
    for person in cohort:
        response = client.get(f"/users/{person.user_id}/outcomes", headers=tenant.headers)
        assert response.status_code == 200, response.text
        if all(day <= datetime.now(UTC).date() for day, *_ in person.hip_extension):
            same_verdicts_as_trends(client, tenant.headers, person.user_id, response.json())
        if response.json()["start"] is not None:  # (everything dated after today: in no cohort yet)
            answers.append(response.json())
    report = client.get("/outcomes", headers=tenant.headers)
    assert report.status_code == 200, report.text
    expected_matches(report.json(), answers)
    filters = {
        **{f"goal={goal}": (lambda a, g=goal: a["goal"] == g) for goal in GOALS[1:]},
        "programme=any": lambda a: a["programme"]["programmes"] > 0,
        "programme=none": lambda a: a["programme"]["programmes"] == 0,
        "programme=strength": lambda a: "strength" in a["programme"]["goals"],
    }
    for query, chosen in filters.items():
        mine = [a for a in answers if chosen(a)]
        filtered = client.get(f"/outcomes?{query}", headers=tenant.headers)
        assert filtered.status_code == 200, filtered.text
        expected_matches(filtered.json(), mine, left_out=len(answers) - len(mine))
