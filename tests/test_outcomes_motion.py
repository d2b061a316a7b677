"""Range of motion and goals in outcomes, on both databases: per user from their assessments and logs, and as
the cohort's share with a real change, read as a physio would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import Tenant
from fastapi.testclient import TestClient
from outcomes_data import Person, seed, steady_change

from app.outcomes.measures import wilson
from app.state import state_of

INC, GON = "inclinometer", "goniometer"


def today() -> date:
    return datetime.now(UTC).date()


def ago(days: int) -> date:
    return today() - timedelta(days=days)


def figures(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in report["figures"]}


def hip_extension(at: date, left: float | None, right: float | None, method: str = INC,
                  rater: str = "helper") -> dict[str, Any]:
    trials = [{"side": s, "hip_extension": v} for s, v in (("left", left), ("right", right)) if v is not None]
    return {"test": "hip-extension", "performed_at": f"{at.isoformat()}T08:00:00Z", "method": method,
            "rater": rater, "controls": {}, "trials": trials}


def assess(client: TestClient, tenant: Tenant, user: str, body: dict[str, Any]) -> None:
    response = client.post(f"/users/{user}/assessments", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text


# Each row: hip extension sessions (days ago, left, right, method, rater) -> each side's status, verdict, change.
# Hip extension: higher is looser; its MDC95 by inclinometer is 3.9 degrees for one rater, 9.6 for two.
ROM_ROWS = [
    pytest.param([(60, 0, 2, INC, "helper"), (5, 6, 4, INC, "helper")],
                 {"left": ("ok", "improved", 6.0), "right": ("ok", "within_error", 2.0)}, True,
                 id="left hip extension up 6 degrees, same rater: beyond the 3.9 MDC, a real change"),
    pytest.param([(60, 0, 0, INC, "helper"), (5, 3, 3, INC, "helper")],
                 {"left": ("ok", "within_error", 3.0), "right": ("ok", "within_error", 3.0)}, False,
                 id="up 3 degrees on both sides: within the MDC, no real change"),
    pytest.param([(60, 0, 0, INC, "helper"), (5, 6, 6, INC, "clinician")],
                 {"left": ("ok", "within_error", 6.0), "right": ("ok", "within_error", 6.0)}, False,
                 id="up 6 degrees but measured by another rater: within the 9.6 inter-rater MDC"),
    pytest.param([(60, 8, 8, INC, "helper"), (5, 2, 8, INC, "helper")],
                 {"left": ("ok", "worse", -6.0), "right": ("ok", "within_error", 0.0)}, False,
                 id="left 6 degrees tighter: worse, and not a real change"),
    pytest.param([(60, 0, 0, INC, "helper"), (30, 8, 8, INC, "helper"), (5, 9, 9, GON, "helper")],
                 {"left": ("too_little_data", None, None), "right": ("too_little_data", None, None)}, None,
                 id="latest by goniometer after inclinometer sessions: methods are not compared"),
    pytest.param([(60, 0, None, INC, "helper"), (5, 6, None, INC, "helper")],
                 {"left": ("ok", "improved", 6.0), "right": ("too_little_data", None, None)}, True,
                 id="the right side never measured: says so, the left still counts"),
]


@pytest.mark.parametrize(("sessions", "expected", "real"), ROM_ROWS)
def test_range_of_motion_per_test_and_side(
    db_client: TestClient, acme: Tenant, sessions: list[Any], expected: dict[str, Any], real: bool | None
) -> None:
    for back, left, right, method, rater in sessions:
        assess(db_client, acme, "ana", hip_extension(ago(back), left, right, method, rater))
    rom = db_client.get("/users/ana/outcomes", headers=acme.headers).json()["assessments"]
    by_side = {c["side"]: c for c in rom["tests"] if c["test"] == "hip-extension"}
    assert {s: (c["status"], c["verdict"], c["change"]) for s, c in by_side.items()} == expected
    assert rom["real_change"] is real
    assert (rom["status"] == "ok") is (real is not None)
    # the verdict is the one /assessments/trends gives for the same method
    trends = db_client.get("/users/ana/assessments/trends?test=hip-extension", headers=acme.headers).json()
    for side, change in by_side.items():
        if change["verdict"] is not None:
            assert trends["change"][side]["verdict"] == change["verdict"]
            assert trends["change"][side]["mdc"] == change["mdc"]


def test_one_session_is_too_little_data_and_says_what_is_missing(db_client: TestClient, acme: Tenant) -> None:
    assess(db_client, acme, "ben", hip_extension(ago(3), 2, 3))
    rom = db_client.get("/users/ben/outcomes", headers=acme.headers).json()["assessments"]
    assert rom["status"] == "too_little_data" and rom["real_change"] is None
    left = next(c for c in rom["tests"] if c["side"] == "left")
    assert (left["baseline"], left["current"], left["change"], left["verdict"]) == (2.0, 2.0, None, None)
    assert left["missing"] == "one inclinometer session of this test on the left side: a change needs a second"
    assert "hip-extension left: one inclinometer session" in rom["missing"]


def test_no_assessments_says_so(db_client: TestClient, acme: Tenant) -> None:
    assert db_client.post("/users/cai/checkins", json={"date": ago(1).isoformat(), "pain": 3},
                          headers=acme.headers).status_code == 201
    rom = db_client.get("/users/cai/outcomes", headers=acme.headers).json()["assessments"]
    assert rom == {"status": "too_little_data", "real_change": None, "tests": [],
                   "missing": rom["missing"]} and rom["missing"].startswith("no assessments")


def test_a_user_with_only_assessments_has_outcomes_and_another_tenant_gets_404(
    db_client: TestClient, acme: Tenant, globex: Tenant
) -> None:
    assess(db_client, acme, "dee", hip_extension(ago(40), 0, 0))
    assess(db_client, acme, "dee", hip_extension(ago(2), 5, 1))
    answer = db_client.get("/users/dee/outcomes", headers=acme.headers).json()
    assert answer["start"] is None and answer["assessments"]["real_change"] is True
    assert db_client.get("/users/dee/outcomes", headers=globex.headers).status_code == 404


def engine_of(client: TestClient) -> Any:
    return state_of(client.app).engine


def _cohort(improved: int, within: int, unmeasured: int) -> list[Person]:
    start = ago(100)
    people = []
    for i in range(improved + within + unmeasured):
        person = steady_change(f"p{i:02}", start, 6, 2, 6)
        if i < improved + within:
            gain = 6.0 if i < improved else 2.0
            person.hip_extension = [(ago(90), INC, "helper", 0.0, 1.0), (ago(10), INC, "helper", gain, 1.0)]
        people.append(person)
    return people


def test_the_cohort_share_with_a_real_rom_change_and_its_invalidation(db_client: TestClient, acme: Tenant) -> None:
    """12 users measured twice (6 beyond the MDC, 6 within it) and 3 never measured: 6 of 12."""
    seed(engine_of(db_client), acme.name, _cohort(improved=6, within=6, unmeasured=3))
    report = db_client.get("/outcomes", headers=acme.headers).json()
    row = figures(report)["rom_real_change"]
    interval = wilson(6, 12)
    assert interval is not None
    assert (row["numerator"], row["denominator"], row["value"]) == (6, 12, 0.5)
    assert (row["ci95_low"], row["ci95_high"]) == (round(interval.low, 4), round(interval.high, 4))
    assert row["note"].startswith("3 user(s) without a test measured twice")
    csv = db_client.get("/outcomes", headers={**acme.headers, "Accept": "text/csv"}).text
    assert "\r\nrom_real_change," in csv and ",0.5,6,12," in csv
    # a new session moves one of the six within the MDC beyond it: the kept report is not served
    assess(db_client, acme, "p06", hip_extension(ago(1), 7.0, 1.0))
    again = figures(db_client.get("/outcomes", headers=acme.headers).json())["rom_real_change"]
    assert (again["numerator"], again["denominator"]) == (7, 12)


def test_a_small_rom_denominator_is_not_shown(db_client: TestClient, acme: Tenant) -> None:
    seed(engine_of(db_client), acme.name, _cohort(improved=5, within=0, unmeasured=10))
    row = figures(db_client.get("/outcomes", headers=acme.headers).json())["rom_real_change"]
    assert (row["value"], row["numerator"], row["denominator"]) == (None, None, 5)


# --- goals ---------------------------------------------------------------------------------------------------


def log(client: TestClient, tenant: Tenant, user: str, at: date, workout: Any) -> None:
    body = {"performed_at": f"{at.isoformat()}T09:00:00Z", "workout": workout,
            "entries": [{"exercise": "half-kneeling-hip-flexor-stretch", "sets": [{"hold_seconds": 30}]}]}
    response = client.post(f"/users/{user}/logs", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("workouts", "goal"),
    [
        pytest.param([{"goal": "mobility", "seed": 1}, {"goal": "mobility", "seed": 2},
                      "/workouts?goal=strength&level=beginner&seed=3"], "mobility", id="most logs were for mobility"),
        pytest.param(["/workouts?level=beginner&goal=rehab&seed=3", {"goal": "mobility", "seed": 1},
                      "/workouts?goal=rehab&seed=9"], "rehab", id="a link names its goal anywhere in its query"),
        pytest.param([{"goal": "strength", "seed": 1}, {"goal": "posture", "seed": 1}], "posture",
                     id="a tie goes to the latest log's goal"),
        pytest.param([None, "/workouts?level=beginner&seed=3"], None, id="no log names a goal: none"),
    ],
)
def test_a_users_goal_is_the_one_most_of_their_logs_were_for(
    db_client: TestClient, acme: Tenant, workouts: list[Any], goal: str | None
) -> None:
    for offset, workout in enumerate(workouts):
        log(db_client, acme, "eve", ago(10 - offset), workout)
    assert db_client.get("/users/eve/outcomes", headers=acme.headers).json()["goal"] == goal


def test_the_goal_filter_gives_figures_only_for_a_cohort_that_cannot_single_anyone_out(
    db_client: TestClient, acme: Tenant
) -> None:
    start = ago(100)
    people = [steady_change(f"m{i:02}", start, 6, 2, 6) for i in range(12)]
    people += [steady_change(f"s{i:02}", start, 5, 5, 2) for i in range(3)]
    for person in people:
        person.goal = "mobility" if person.user_id.startswith("m") else "strength"
    seed(engine_of(db_client), acme.name, people)
    few = db_client.get("/outcomes?goal=strength", headers=acme.headers).json()
    assert few["cohort"]["users"] == 3 and few["cohort"]["goal"] == "strength"
    assert few["cohort"]["figures_shown"] is False and [r["id"] for r in few["figures"]] == ["users"]
    # twelve users, but the three left out would be the difference with the unfiltered report
    most = db_client.get("/outcomes?goal=mobility", headers=acme.headers).json()
    assert most["cohort"]["users"] == 12 and most["cohort"]["figures_shown"] is False
    assert "leaves out 3" in most["cohort"]["withheld"]
    csv = db_client.get("/outcomes?goal=mobility", headers={**acme.headers, "Accept": "text/csv"}).text
    assert csv.count("\r\n") == 2
    # ten more strength users: each goal's cohort now gets its figures
    more = [steady_change(f"t{i:02}", start, 5, 5, 2) for i in range(10)]
    for person in more:
        person.goal = "strength"
    seed(engine_of(db_client), acme.name, more)
    mobility = db_client.get("/outcomes?goal=mobility", headers=acme.headers).json()
    assert mobility["cohort"]["figures_shown"] is True
    assert figures(mobility)["pain_mcid_latest"]["numerator"] == 12
    strength = figures(db_client.get("/outcomes?goal=strength", headers=acme.headers).json())
    assert (strength["users"]["value"], strength["pain_mcid_latest"]["numerator"]) == (13, 0)
    assert db_client.get("/outcomes?goal=flying", headers=acme.headers).status_code == 422
