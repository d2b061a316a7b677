"""The coach reads the assessments: the issue's scenario rows for GET /users/{id}/workouts/next, both databases."""

from __future__ import annotations

from typing import Any

from conftest import Tenant
from fastapi.testclient import TestClient
from test_assessments import post, thomas

NEXT = "/users/u1/workouts/next?goal=mobility&level=beginner&minutes=20&today=2026-11-12&seed=7"
STRETCH = "half-kneeling-stretch-side-bend-rotation"  # the first one-sided stretch of this workout


def workout(client: TestClient, tenant: Tenant, url: str = NEXT) -> dict[str, Any]:
    answer = client.get(url, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def doses(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(item["exercise"]["slug"], item["dose"]) for item in body["items"]]


def test_a_provisional_asymmetry_changes_nothing(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", 0, 0))  # a known user, no asymmetry
    plain = workout(db_client, acme)
    post(db_client, acme, thomas("2026-11-05", -8, 4))
    assert workout(db_client, acme) == plain
    assert "assessment" not in plain


def test_a_confirmed_asymmetry_gives_the_tighter_side_one_extra_set_with_its_rule(
    db_client: TestClient, acme: Tenant
) -> None:
    post(db_client, acme, thomas("2026-11-02", 0, 0))
    plain = workout(db_client, acme)
    post(db_client, acme, thomas("2026-11-05", -8, 4))
    post(db_client, acme, thomas("2026-11-12", -7, 3))
    adapted = workout(db_client, acme)
    extra = adapted["assessment"]
    assert (extra["rule"], extra["tighter_side"], extra["exercise"], extra["extra_sets"]) == (
        "asymmetry-tighter-side", "right", STRETCH, 1
    )
    assert doses(adapted) == doses(plain)  # bilateral work kept: every prescribed dose as it was
    noted = [item for item in adapted["items"] if item["side_note"]]
    assert [item["exercise"]["slug"] for item in noted] == [STRETCH]
    assert "right side" in noted[0]["side_note"]
    assert extra["reason"] in adapted["notes"]
    assert adapted["estimated_seconds"] > plain["estimated_seconds"]


def test_a_tight_side_in_the_query_wins(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-05", -8, 4))
    post(db_client, acme, thomas("2026-11-12", -7, 3))
    named = workout(db_client, acme, NEXT + "&tight_side=left")
    assert "assessment" not in named
    assert named["parameters"]["tight_side"] == "left"


def test_the_extra_goes_once_a_later_test_is_within_the_mdc(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", -8, 4))
    post(db_client, acme, thomas("2026-11-09", -7, 3))
    assert workout(db_client, acme)["assessment"]["extra_sets"] == 1
    post(db_client, acme, thomas("2026-11-11", -4, -1))
    again = workout(db_client, acme)
    assert "assessment" not in again
    assert not [item for item in again["items"] if item["side_note"]]


def test_faber_with_pain_5_changes_no_volume_and_asks_for_a_clinician(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-02", 0, 0))
    plain = workout(db_client, acme)
    faber = {
        "test": "faber-height", "performed_at": "2026-11-10T18:00:00Z", "method": "tape", "rater": "helper",
        "pain": 5, "trials": [{"side": "left", "height": 12}, {"side": "right", "height": 13}],
    }
    assert post(db_client, acme, faber).status_code == 201
    # a confirmed Thomas asymmetry too: the test pain still wins, no side gets more
    post(db_client, acme, thomas("2026-11-05", -8, 4))
    post(db_client, acme, thomas("2026-11-11", -7, 3))
    adapted = workout(db_client, acme)
    assert adapted["assessment"]["rule"] == "assessment-pain-refer"
    assert adapted["assessment"]["extra_sets"] == 0
    assert [(i["exercise"]["slug"], i["dose"], i["side_note"]) for i in adapted["items"]] == [
        (i["exercise"]["slug"], i["dose"], i["side_note"]) for i in plain["items"]
    ]
    assert adapted["estimated_seconds"] == plain["estimated_seconds"]
    referral = [note for note in adapted["notes"] if "physiotherapist or doctor" in note]
    assert referral and "5/10" in referral[0] and "FABER" in referral[0]
    assert adapted["assessment"]["test"] == "faber-height"


def test_a_confirmed_asymmetry_on_three_tests_still_adds_at_most_one_set(db_client: TestClient, acme: Tenant) -> None:
    plain_user = workout(db_client, acme, NEXT.replace("/u1/", "/u2/"))
    for day, (left, right) in (("2026-11-05", (-8, 4)), ("2026-11-12", (-7, 3))):
        post(db_client, acme, thomas(day, left, right))
        knee = {
            "test": "modified-thomas-knee", "performed_at": f"{day}T09:00:00Z", "method": "goniometer",
            "rater": "helper", "trials": [{"side": "left", "knee_flexion": 80 + left}, {"side": "right", "knee_flexion": 60}],
        }
        ely = {
            "test": "ely", "performed_at": f"{day}T10:00:00Z", "method": "goniometer", "rater": "helper",
            "trials": [
                {"side": "left", "knee_flexion": 130, "hip_rise": False},
                {"side": "right", "knee_flexion": 110, "hip_rise": True},
            ],
        }
        assert post(db_client, acme, knee).status_code == 201
        assert post(db_client, acme, ely).status_code == 201
    adapted = workout(db_client, acme)
    assert adapted["assessment"]["extra_sets"] == 1
    assert len([item for item in adapted["items"] if item["side_note"]]) == 1
    assert doses(adapted) == doses(plain_user)


def test_extras_already_done_this_week_cap_the_next(db_client: TestClient, acme: Tenant) -> None:
    post(db_client, acme, thomas("2026-11-05", -8, 4))
    post(db_client, acme, thomas("2026-11-10", -7, 3))
    # Two sessions this week with the stretch, each with an extra right-side set already
    for day in ("2026-11-10", "2026-11-11"):
        sets = [{"hold_seconds": 5, "side": "left"}, {"hold_seconds": 5, "side": "right"}, {"hold_seconds": 5, "side": "right"}]
        log = {"performed_at": f"{day}T18:00:00Z", "entries": [{"exercise": STRETCH, "sets": sets}]}
        assert db_client.post("/users/u1/logs", json=log, headers=acme.headers).status_code == 201
    adapted = workout(db_client, acme)
    assert (adapted["assessment"]["rule"], adapted["assessment"]["extra_sets"]) == ("asymmetry-tighter-side", 0)
    assert "20%" in adapted["assessment"]["reason"]
    assert not [item for item in adapted["items"] if item["side_note"]]
