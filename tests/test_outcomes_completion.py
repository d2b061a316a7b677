"""Programme completion in outcomes: the pure rows, then per user and as the cohort's rate, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import Tenant
from fastapi.testclient import TestClient
from outcomes_data import Person, seed

from app.outcomes.completion import ProgrammeRow, assess
from app.outcomes.measures import wilson
from app.state import state_of

TODAY = date(2026, 12, 6)


def six_weeks_of_three(start: date, done: int, status: str = "active", ended: date | None = None) -> ProgrammeRow:
    return ProgrammeRow(goal="mobility", status=status, weeks=6, days_per_week=3, start=start, ended=ended, sessions_done=done)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([six_weeks_of_three(date(2026, 10, 1), 15)], (1, 1, 1, True),
                     id="6 weeks of 3 over, 15 of 18 sessions logged (83 %): completed"),
        pytest.param([six_weeks_of_three(date(2026, 10, 1), 14)], (1, 1, 0, False),
                     id="over with 14 of 18 (78 %): finished, not completed"),
        pytest.param([six_weeks_of_three(date(2026, 11, 20), 6)], (1, 0, 0, None),
                     id="still running: nothing to judge yet"),
        pytest.param([six_weeks_of_three(date(2026, 11, 20), 4, "ended", date(2026, 11, 30))], (1, 1, 0, False),
                     id="ended early by the user: finished, not completed"),
        pytest.param([six_weeks_of_three(date(2026, 9, 1), 3, "ended", date(2026, 9, 10)),
                      six_weeks_of_three(date(2026, 10, 1), 18)], (2, 2, 1, True),
                     id="a second programme completed counts the user"),
        pytest.param([], (0, 0, 0, None), id="no programme"),
    ],
)
def test_completion(rows: list[ProgrammeRow], expected: tuple[int, int, int, bool | None]) -> None:
    found = assess(rows, TODAY)
    assert (found.programmes, found.finished, found.completed, found.completed_any) == expected


# --- through the API, on both databases ----------------------------------------------------------------------


def today() -> date:
    return datetime.now(UTC).date()


def create(client: TestClient, tenant: Tenant, user: str, start: date, weeks: int = 4, days: int = 3) -> dict[str, Any]:
    body = {"goal": "mobility", "weeks": weeks, "days_per_week": days, "start": start.isoformat(), "seed": 1}
    response = client.post(f"/users/{user}/programmes", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def sessions(start: date, days: int) -> list[tuple[date, int | None, int | None]]:
    """A session every other day from ``start``: ``days`` of them."""
    return [(start + timedelta(days=2 * n), 2, 2) for n in range(days)]


@pytest.mark.parametrize(
    ("done", "status", "completed"),
    [
        pytest.param(10, "ok", 1, id="4 weeks of 3 over, 10 of 12 sessions (83 %): completed"),
        pytest.param(9, "ok", 0, id="over with 9 of 12 (75 %): not completed"),
    ],
)
def test_a_finished_programme_per_user(
    db_client: TestClient, acme: Tenant, done: int, status: str, completed: int
) -> None:
    start = today() - timedelta(days=60)
    create(db_client, acme, "kai", start)
    seed(state_of(db_client.app).engine, acme.name, [Person("kai", sessions=sessions(start, done))])
    part = db_client.get("/users/kai/outcomes", headers=acme.headers).json()["programme"]
    assert (part["status"], part["programmes"], part["finished"], part["completed"]) == (status, 1, 1, completed)
    assert part["completed_any"] is (completed == 1) and part["goals"] == ["mobility"]


def test_a_running_programme_is_too_early_to_judge_and_an_ended_one_is_finished(
    db_client: TestClient, acme: Tenant
) -> None:
    programme = create(db_client, acme, "lea", today() - timedelta(days=7))
    part = db_client.get("/users/lea/outcomes", headers=acme.headers).json()["programme"]
    assert part["status"] == "too_little_data" and part["completed_any"] is None
    assert part["missing"].startswith("no programme finished yet: the first to end is over on ")
    ended = db_client.patch(programme["self"], json={"status": "ended"}, headers=acme.headers)
    assert ended.status_code == 200, ended.text
    part = db_client.get("/users/lea/outcomes", headers=acme.headers).json()["programme"]
    assert (part["status"], part["finished"], part["completed_any"]) == ("ok", 1, False)


def test_no_programme_says_so(db_client: TestClient, acme: Tenant) -> None:
    seed(state_of(db_client.app).engine, acme.name, [Person("max", checkins=[(today(), 2)])])
    part = db_client.get("/users/max/outcomes", headers=acme.headers).json()["programme"]
    assert part["status"] == "too_little_data" and part["missing"].startswith("no programmes")


def test_the_cohort_completion_rate_and_the_programme_filter(
    db_client: TestClient, acme: Tenant, globex: Tenant
) -> None:
    """12 users on a finished 4-week programme, 9 of them with 10 sessions in it, 3 with 5; 10 without one."""
    start = today() - timedelta(days=60)
    people = [Person(f"p{i:02}", sessions=sessions(start, 10 if i < 9 else 5),
                     programmes=[("mobility", start, 4, 3, None)]) for i in range(12)]
    people += [Person(f"n{i:02}", sessions=sessions(start, 10)) for i in range(10)]
    seed(state_of(db_client.app).engine, acme.name, people)
    rows = {r["id"]: r for r in db_client.get("/outcomes", headers=acme.headers).json()["figures"]}
    row = rows["programme_completion"]
    interval = wilson(9, 12)
    assert interval is not None
    assert (row["numerator"], row["denominator"], row["value"]) == (9, 12, 0.75)
    assert (row["ci95_low"], row["ci95_high"]) == (round(interval.low, 4), round(interval.high, 4))
    assert row["note"] == "10 user(s) without a finished programme left out"
    on = db_client.get("/outcomes?programme=any", headers=acme.headers).json()
    assert (on["cohort"]["users"], on["cohort"]["figures_shown"], on["cohort"]["programme"]) == (12, True, "any")
    assert db_client.get("/outcomes?programme=mobility", headers=acme.headers).json()["cohort"]["users"] == 12
    off = db_client.get("/outcomes?programme=none", headers=acme.headers).json()["cohort"]
    assert (off["users"], off["figures_shown"]) == (10, True)
    rehab = db_client.get("/outcomes?programme=rehab", headers=acme.headers).json()
    assert rehab["cohort"]["users"] == 0 and [r["id"] for r in rehab["figures"]] == ["users"]
    assert db_client.get("/outcomes?programme=some", headers=acme.headers).status_code == 422
    # another tenant's users and programmes are not in it, and theirs are a 404
    assert db_client.get("/outcomes", headers=globex.headers).json()["cohort"]["users"] == 0
    assert db_client.get("/users/p00/outcomes", headers=globex.headers).status_code == 404
