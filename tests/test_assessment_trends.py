"""Properties of the trends: verdicts against a brute-force recomputation, and the stored answer after any
sequence of writes, edits and deletes against a fresh computation (both databases)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import Tenant
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.assessments.catalogue import Design, Side, load
from app.assessments.trends import Reading, trends
from app.state import state_of

START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CATALOGUE = load()


def _brute_verdict(values: list[float], raters: list[str], mdc: dict[str, float], tighter_is: str) -> str | None:
    """What a physiotherapist would write down, computed the long way round."""
    if len(values) < 2:
        return None
    change = values[-1] - values[0]
    allowed = mdc["intra"] if raters[0] == raters[-1] else mdc["inter"]
    looser = change if tighter_is == "lower" else -change
    if abs(change) < allowed:
        return "within_error"
    return "improved" if looser > 0 else "worse"


def _brute_asymmetry(pairs: list[tuple[datetime, float, float]], mdc: float, tighter_is: str) -> tuple[str, str | None]:
    """(status, tighter side) from the sessions that measured both sides, oldest first."""
    if not pairs:
        return "none", None

    def side(left: float, right: float) -> str:
        higher = "left" if left > right else "right"
        return higher if tighter_is == "higher" else ("right" if higher == "left" else "left")

    at, left, right = pairs[-1]
    if abs(left - right) < mdc:
        return "none", None
    if len(pairs) > 1:
        before_at, before_left, before_right = pairs[-2]
        if (
            abs(before_left - before_right) >= mdc
            and side(before_left, before_right) == side(left, right)
            and at - before_at <= timedelta(days=14)
        ):
            return "confirmed", side(left, right)
    return "provisional", side(left, right)


_TRIALS = st.lists(st.integers(-40, 60), min_size=0, max_size=3)
_SESSION = st.tuples(
    st.integers(0, 40),  # day
    st.sampled_from(["inclinometer", "goniometer"]),
    st.sampled_from(["self", "helper", "clinician"]),
    _TRIALS,  # left
    _TRIALS,  # right
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["modified-thomas-hip", "modified-thomas-knee", "hip-extension"]), st.lists(_SESSION, max_size=8))
def test_verdicts_and_asymmetry_match_a_brute_force_recomputation(code: str, sessions: list[Any]) -> None:
    test = CATALOGUE.get(code)
    assert test is not None
    measure = test.measure(test.primary_measure)
    low, high = measure.plausible.min, measure.plausible.max
    readings = []
    for n, (day, method, rater, left, right) in enumerate(sessions):
        trials = [{"side": s, measure.name: min(max(v, low), high)} for s, vs in (("left", left), ("right", right)) for v in vs]
        at = START + timedelta(days=day, minutes=n)
        readings.append(Reading(f"{n:08d}-0000-4000-8000-000000000000", code, at, method, rater, None, tuple(trials)))
    found = trends(test, measure.name, readings)
    by_method = {m.method.value: m for m in found.methods}
    tighter_is = measure.tighter_is or "higher"
    for method in ("inclinometer", "goniometer"):
        mine = sorted((r for r in readings if r.method == method), key=lambda r: (r.performed_at, r.id))
        if not mine:
            assert method not in by_method
            continue
        shown = by_method[method]
        mdc = {d.value: test.mdc(shown.method, d) for d in Design}
        pairs = []
        for r in mine:
            means = {}
            for side in ("left", "right"):
                values = [t[measure.name] for t in r.trials if t["side"] == side]
                if values:
                    means[side] = sum(values) / len(values)
            if len(means) == 2:
                pairs.append((r.performed_at, means["left"], means["right"]))
        for side in Side:
            points = [
                (sum(vs) / len(vs), r.rater)
                for r in mine
                if (vs := [t[measure.name] for t in r.trials if t["side"] == side.value])
            ]
            expected = _brute_verdict([p[0] for p in points], [p[1] for p in points], mdc, tighter_is)
            assert [round(v, 2) for v, _ in points] == [p.value for p in shown.series[side]]
            if points:
                assert shown.change[side].verdict == expected
            else:
                assert side not in shown.change
        status, side_name = _brute_asymmetry(pairs, mdc["intra"], tighter_is)
        assert (shown.asymmetry.status.value, shown.asymmetry.tighter_side) == (status, side_name)


# --- the stored answer after any changes ---------------------------------------------------------------------

_OPS = st.lists(
    st.tuples(
        st.sampled_from(["write", "write", "edit", "delete", "trend", "erase"]),
        st.integers(-10, 20),
        st.integers(-10, 20),
        st.sampled_from(["inclinometer", "goniometer"]),
    ),
    min_size=1,
    max_size=10,
)


def _thomas(day: int, left: int, right: int, method: str) -> dict[str, Any]:
    return {
        "test": "modified-thomas-hip", "performed_at": (START + timedelta(days=day)).isoformat(), "method": method,
        "rater": "self", "trials": [{"side": "left", "thigh_angle": left}, {"side": "right", "thigh_angle": right}],
    }


def _fresh(client: TestClient, tenant: Tenant, user: str) -> Any:
    """The trends computed afresh from what the API lists, or None for a user the API does not know."""
    listed = client.get(f"/users/{user}/assessments?limit=100", headers=tenant.headers)
    if listed.status_code == 404:
        return None
    readings = [
        Reading(a["id"], a["test"], datetime.fromisoformat(a["performed_at"]), a["method"], a["rater"], a["pain"],
                tuple(a["trials"]))
        for a in listed.json()["items"]
    ]
    test = CATALOGUE.get("modified-thomas-hip")
    assert test is not None
    return trends(test, "thigh_angle", readings).model_dump(mode="json")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS)
def test_after_any_writes_edits_and_deletes_the_trends_equal_a_fresh_computation(
    db_client: TestClient, acme: Tenant, ops: list[tuple[str, int, int, str]]
) -> None:
    user = uuid.uuid4().hex
    url = f"/users/{user}/assessments"
    ids: list[str] = []
    for step, (op, left, right, method) in enumerate(ops):
        if op == "write" or (op in ("edit", "delete") and not ids):
            posted = db_client.post(url, json=_thomas(step, left, right, method), headers=acme.headers)
            assert posted.status_code == 201, posted.text
            ids.append(posted.json()["id"])
        elif op == "edit":
            patch = {"trials": [{"side": "right", "thigh_angle": right}], "method": method}
            assert db_client.patch(f"{url}/{ids[step % len(ids)]}", json=patch, headers=acme.headers).status_code == 200
        elif op == "delete":
            assert db_client.delete(f"{url}/{ids.pop(step % len(ids))}", headers=acme.headers).status_code == 204
        elif op == "erase":
            assert db_client.delete(f"/users/{user}", headers=acme.headers).status_code == 204
            ids = []
        got = db_client.get(f"{url}/trends?test=modified-thomas-hip", headers=acme.headers)
        fresh = _fresh(db_client, acme, user)
        if fresh is None:
            assert got.status_code == 404
        else:
            assert got.status_code == 200 and got.json() == fresh


# --- the kept answer follows every change (the fast path serves it) --------------------------------------------

TRENDS_ROUTE = "/users/{user_id}/assessments/trends"


def _served(client: TestClient) -> float:
    found = state_of(client.app).metrics.registry.get_sample_value("hipflex_fast_path_total", {"route": TRENDS_ROUTE})
    return found or 0.0


def test_a_new_changed_or_deleted_assessment_changes_the_kept_trends(db_client: TestClient, acme: Tenant) -> None:
    """Left -8, right +4 by inclinometer: provisional. Asked again: the kept answer, from memory. A second
    session five days later confirms it; a corrected right side takes the asymmetry away; deleting that
    session brings back the first one's reading. Each answer is the fast path's, and each change is in it."""
    url = "/users/ines/assessments"
    answers = state_of(db_client.app).answers
    trend = f"{url}/trends?test=modified-thomas-hip"

    def asked() -> dict[str, Any]:
        before = _served(db_client)
        got = db_client.get(trend, headers=acme.headers)
        assert got.status_code == 200, got.text
        assert _served(db_client) == before + 1
        return got.json()  # type: ignore[no-any-return]

    first = db_client.post(url, json=_thomas(0, -8, 4, "inclinometer"), headers=acme.headers)
    assert first.status_code == 201
    shown = asked()
    assert (shown["asymmetry"]["status"], shown["asymmetry"]["tighter_side"]) == ("provisional", "right")
    hits = answers.stats.hits
    assert asked() == shown and answers.stats.hits == hits + 1  # kept

    second = db_client.post(url, json=_thomas(5, -7, 3, "inclinometer"), headers=acme.headers)
    assert second.status_code == 201
    shown = asked()
    assert shown["asymmetry"]["status"] == "confirmed"
    assert [p["value"] for p in shown["series"]["right"]] == [4.0, 3.0]

    patch = {"trials": [{"side": "left", "thigh_angle": -7}, {"side": "right", "thigh_angle": -6}]}
    changed = db_client.patch(f"{url}/{second.json()['id']}", json=patch, headers=acme.headers)
    assert changed.status_code == 200
    shown = asked()
    assert shown["asymmetry"]["status"] == "none"
    assert [p["value"] for p in shown["series"]["right"]] == [4.0, -6.0]

    assert db_client.delete(f"{url}/{second.json()['id']}", headers=acme.headers).status_code == 204
    shown = asked()
    assert [p["value"] for p in shown["series"]["right"]] == [4.0]
    assert shown["asymmetry"]["status"] == "provisional"
