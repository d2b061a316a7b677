"""Safety as data: a table of cases (query -> what must never / must appear), the pain grades and the
red-flag screen as tables, and a sweep over every flag x pain level x goal x level x equipment.

The sweep checks the rules twice: once against the catalogue's flags, and once independently, from what
each exercise visibly is (its name, its position), so a flag missing from the data is caught too.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.catalogue import Catalogue, load_catalogue
from app.catalogue.models import Dose, Exercise, Goal, Intensity, Level, PainFlag, Position
from app.catalogue.search import EquipmentChoice
from app.workouts import Workout, WorkoutImpossible, WorkoutQuery, generate
from app.workouts.goals import BY_GOAL
from app.workouts.models import OmitReason, RedFlag, Urgency
from app.workouts.pain import PAIN_GRADES, grade
from app.workouts.screening import SCREEN

ALL_KIT = [e.value for e in EquipmentChoice if e.value != "none"]

# -------------------------------------------------------------- the case table
# Each row: an id, the query, slugs that must never appear, slugs (or phases) that must, and what else holds.

LONG_LEVER = ["l-sit", "tuck-l-sit", "one-leg-l-sit", "lying-leg-raise", "hanging-leg-raise"]
CLIMBERS = ["mountain-climbers", "slider-mountain-climbers", "banded-mountain-climbers"]
INTENSE = ["hanging-leg-raise", "l-sit", "one-leg-l-sit", "mountain-climbers", "reverse-nordic", "king-runner"]

CASES: list[dict[str, Any]] = [
    {
        "id": "low-back-strength-never-gets-long-levers-or-climbers",
        "query": {"goal": "strength", "level": "advanced", "equipment": ALL_KIT, "pain": ["low_back"]},
        "never": LONG_LEVER + CLIMBERS + ["reverse-nordic", "king-runner"],
    },
    {
        "id": "low-back-balanced-never-gets-long-levers",
        "query": {"goal": "balanced", "level": "advanced", "equipment": ALL_KIT, "pain": ["low_back"], "minutes": 60},
        "never": LONG_LEVER + CLIMBERS,
    },
    {
        "id": "pain-5-never-gets-intense-work",
        "query": {"goal": "strength", "level": "advanced", "equipment": ALL_KIT, "pain_level": 5},
        "never": INTENSE,
        "grade": "ease-off",
    },
    {
        "id": "pain-6-is-gentle-and-short",
        "query": {"goal": "rehab", "level": "advanced", "equipment": ALL_KIT, "pain_level": 6, "minutes": 45},
        "never": ["marching-resisted-bridge", "side-plank-clamshell", "bridge-with-hip-flexor-pulls"],
        "grade": "gentle-short",
        "max_seconds": 15 * 66,
    },
    {
        "id": "pain-8-gets-no-training-and-a-referral",
        "query": {"goal": "rehab", "equipment": ALL_KIT, "pain_level": 8},
        "referral": Urgency.soon,
        "grade": "refer",
    },
    {
        "id": "pain-10-gets-no-training-and-a-same-day-referral",
        "query": {"goal": "warmup", "pain_level": 10},
        "referral": Urgency.same_day,
    },
    {
        "id": "pain-8-gets-a-referral-within-days",
        "query": {"goal": "warmup", "pain_level": 8},
        "referral": Urgency.soon,
    },
    {
        "id": "pregnancy-warning-signs-are-an-emergency",
        "query": {"goal": "mobility", "pain": ["pregnancy"], "red_flags": ["pregnancy_warning"]},
        "referral": Urgency.emergency,
    },
    {
        "id": "hip-surgery-asks-the-surgical-team-first",
        "query": {"goal": "rehab", "red_flags": ["hip_surgery"]},
        "referral": Urgency.soon,
    },
    {
        "id": "a-child-with-a-limp-is-seen-the-same-day",
        "query": {"goal": "mobility", "red_flags": ["child_limp"]},
        "referral": Urgency.same_day,
    },
    {
        "id": "steroids-or-immunosuppression-are-seen-first",
        "query": {"goal": "balanced", "red_flags": ["immunosuppression"]},
        "referral": Urgency.soon,
    },
    {
        "id": "pain-on-hopping-is-a-possible-stress-fracture-same-day",
        "query": {"goal": "strength", "red_flags": ["impact_pain"]},
        "referral": Urgency.same_day,
    },
    {
        "id": "fever-is-a-same-day-referral",
        "query": {"goal": "balanced", "red_flags": ["fever"]},
        "referral": Urgency.same_day,
    },
    {
        "id": "bladder-or-bowel-change-is-an-emergency-whatever-else",
        "query": {"goal": "mobility", "red_flags": ["night_pain", "bladder_bowel"], "pain_level": 2},
        "referral": Urgency.emergency,
    },
    {
        "id": "rehab-default-holds-the-whole-protocol",
        "query": {"goal": "rehab", "equipment": ["ball", "mini_band"]},
        "must": ["hip-flexor-ball-release", "core-brace", "isometric-hip-flexion-mini-band", "side-plank-clamshell"],
        "phases": ["release", "stretch", "brace", "isometric", "dynamic", "rotators"],
        "no_time": True,
    },
    {
        "id": "acute-hip-never-gets-banded-or-loaded-flexion",
        "query": {"goal": "warmup", "level": "advanced", "equipment": ALL_KIT, "pain": ["hip"]},
        "never": ["banded-hip-march", "band-hip-flexor-strengthener", "standing-hip-flexor-raise", *CLIMBERS],
    },
    {
        "id": "acute-hip-strength-never-gets-banded-or-loaded-flexion",
        "query": {"goal": "strength", "level": "advanced", "equipment": ALL_KIT, "pain": ["hip"], "minutes": 45},
        "never": ["banded-hip-march", "band-hip-flexor-strengthener", "standing-hip-flexor-raise", *LONG_LEVER],
    },
    {
        "id": "pregnancy-never-lies-on-the-back-or-belly",
        "query": {"goal": "posture", "level": "advanced", "equipment": ALL_KIT, "pain": ["pregnancy"], "minutes": 30},
        "never": [
            "diaphragmatic-breathing",
            "ninety-ninety-breathing",
            "ninety-ninety-breathing-asymmetric-arm",
            "bridge-with-hip-flexor-pulls",
            "marching-resisted-bridge",
            "core-brace",
            "lying-leg-raise",
            "prone-leg-lift-bent-knee",
            "prone-leg-lift-straight-leg",
            "hip-flexor-ball-release",
        ],
    },
    {
        "id": "a-pinchy-hip-never-goes-into-deep-flexion",
        "query": {"goal": "mobility", "level": "advanced", "equipment": ALL_KIT, "pain": ["hip_pinch"]},
        "never": ["pigeon-pose", "lizard-pose", "gravity-assisted-hip-flexor-stretch", "tuck-l-sit", "l-sit"],
    },
    {
        "id": "strength-opens-with-a-warm-up-and-eccentrics-come-before-conditioning",
        "query": {"goal": "strength", "level": "advanced", "equipment": ALL_KIT, "minutes": 30},
        "must": ["reverse-nordic", "mountain-climbers"],
        "first_phase": "warm-up",
        "before": ("reverse-nordic", "mountain-climbers"),
    },
    {
        "id": "the-ball-release-is-gentle-with-any-pain",
        "query": {"goal": "rehab", "equipment": ["ball", "mini_band"], "pain_level": 2, "level": "advanced"},
        "must": ["hip-flexor-ball-release"],
        "gentle_release": True,
    },
    {
        "id": "a-short-rehab-drops-whole-exercises-never-sets",
        "query": {"goal": "rehab", "equipment": ["ball", "mini_band"], "minutes": 15},
        "must": ["hip-flexor-ball-release"],
        "omitted_for_time": True,
    },
]


def run(catalogue: Catalogue, query: dict[str, Any], seed: int = 1) -> Workout:
    return generate(catalogue, WorkoutQuery.model_validate(query), seed)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_table(catalogue: Catalogue, case: dict[str, Any]) -> None:
    for seed in range(3):
        workout = run(catalogue, case["query"], seed)
        got = [item.exercise.slug for item in workout.items]
        assert not set(case.get("never", [])) & set(got), got
        assert set(case.get("must", [])) <= set(got), got
        if "phases" in case:
            assert list(dict.fromkeys(item.phase for item in workout.items)) == case["phases"]
        if "first_phase" in case:
            assert workout.items[0].phase == case["first_phase"]
        if "before" in case:
            first, then = case["before"]
            assert got.index(first) < got.index(then)
        if case.get("gentle_release"):
            release = next(i for i in workout.items if i.exercise.slug == "hip-flexor-ball-release")
            gentle = catalogue.by_slug["hip-flexor-ball-release"].dose_under_pain
            assert gentle is not None and release.dose.duration_seconds == gentle.duration_seconds.min
            assert "gentle dose" in release.why
        if "grade" in case:
            assert workout.pain_grade == case["grade"]
        if "max_seconds" in case:
            assert workout.estimated_seconds <= case["max_seconds"]
        if "referral" in case:
            assert workout.items == [] and workout.estimated_seconds == 0
            assert workout.referral is not None and workout.referral.urgency is case["referral"]
            assert workout.referral.advice in workout.safety
        else:
            assert workout.referral is None and got
        no_time = [o for o in workout.omitted if o.reason is OmitReason.time]
        if case.get("no_time"):
            assert no_time == []
        if case.get("omitted_for_time"):
            assert no_time and all(o.slug not in got for o in no_time)


# ----------------------------------------------------- the tables themselves


def test_the_pain_grades_cover_0_to_10_once_each_in_order() -> None:
    covered = [level for row in PAIN_GRADES for level in range(row.low, row.high + 1)]
    assert covered == list(range(11))
    assert [grade(n).id for n in (0, 3, 4, 5, 6, 7, 8, 10)] == [
        "as-prescribed",
        "as-prescribed",
        "ease-off",
        "ease-off",
        "gentle-short",
        "gentle-short",
        "refer",
        "refer",
    ]
    for row in PAIN_GRADES:
        assert row.reason and row.source and row.effect
        assert ("own design" in row.source) == row.own_design
    assert [row.session for row in PAIN_GRADES] == [True, True, True, False]


def test_every_red_flag_has_one_sourced_row() -> None:
    assert [sign.id for sign in SCREEN] == list(RedFlag)
    for sign in SCREEN:
        assert sign.question.endswith("?") and sign.why and sign.source


# ------------------------------------------------------------------- the API


def test_pain_grades_are_published(client: TestClient) -> None:
    response = client.get("/pain-grades")
    assert response.status_code == 200
    grades = response.json()["grades"]
    assert [(g["id"], g["low"], g["high"]) for g in grades] == [
        ("as-prescribed", 0, 3),
        ("ease-off", 4, 5),
        ("gentle-short", 6, 7),
        ("refer", 8, 10),
    ]
    assert grades[2]["max_minutes"] == 15 and grades[2]["max_intensity"] == "gentle"
    assert grades[3]["session"] is False and grades[3]["own_design"] is True


def test_the_screen_is_published(client: TestClient) -> None:
    response = client.get("/screening")
    assert response.status_code == 200
    flags = {f["id"]: f for f in response.json()["red_flags"]}
    assert set(flags) == {flag.value for flag in RedFlag}
    assert flags["bladder_bowel"]["urgency"] == "emergency"
    assert flags["bladder_bowel"]["advice"].startswith("Go to an emergency department now")
    assert "Finucane" in flags["night_pain"]["source"]


def test_a_red_flag_gets_a_referral_not_a_workout(client: TestClient) -> None:
    response = client.get("/workouts?goal=strength&red_flags=night_pain,fever&seed=4")
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == [] and body["estimated_seconds"] == 0
    assert body["referral"]["urgency"] == "same_day"
    assert [c["id"] for c in body["referral"]["causes"]] == ["fever", "night_pain"]
    assert body["parameters"]["red_flags"] == ["fever", "night_pain"]
    assert body["self"] == "/workouts?goal=strength&level=beginner&minutes=20&red_flags=fever,night_pain&seed=4"
    assert client.get(body["self"]).content == response.content


@pytest.mark.parametrize("value", ["nope", "fever,nope", "", "Fever"])
def test_an_unknown_red_flag_is_a_422_naming_the_parameter(client: TestClient, value: str) -> None:
    response = client.get(f"/workouts?red_flags={value}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["red_flags"]


# ------------------------------------------------------------------ the sweep

# What an exercise visibly is, read from its slug and position only, never from our flags: the principles
# of the safety audit, restated independently.
FORBIDDEN_BY_NAME: dict[str, tuple[str, ...]] = {
    "low_back": ("l-sit", "leg-raise", "mountain-climber", "hanging", "nordic", "king-runner"),
    "knee": ("kneeling", "lunge", "pigeon", "lizard", "king-runner", "nordic", "all-fours"),
    "wrist": ("l-sit", "mountain-climber", "all-fours", "lizard", "hanging"),
    "shoulder": ("l-sit", "mountain-climber", "hanging"),
    "hip": ("banded", "band-", "leg-raise", "l-sit", "mountain-climber", "nordic", "king-runner", "pigeon", "lizard"),
    "hip_pinch": ("pigeon", "lizard", "l-sit", "mountain-climber", "hanging", "gravity-assisted", "standing-hip"),
    # "lying-leg", not "lying": side-lying is the position ACOG 804 prefers (supine and prone are by position)
    "pregnancy": ("lying-leg", "prone", "hanging", "l-sit", "mountain-climber", "nordic", "ball-release", "brace"),
}
FORBIDDEN_POSITIONS: dict[str, set[Position]] = {
    "wrist": {Position.all_fours, Position.plank},
    "knee": {Position.kneeling, Position.half_kneeling},
    "shoulder": {Position.hanging},
    "pregnancy": {Position.supine, Position.prone, Position.hanging},  # ACOG 804: no prolonged lying on the back
}
# The loaded marches (banded, resisted bridge); the unloaded seated march is gentle by design (pregnancy, ACOG 804).
NEVER_WITH_PAIN_6 = (
    "l-sit",
    "mountain-climber",
    "hanging",
    "nordic",
    "king-runner",
    "leg-raise",
    "hip-march",
    "marching-resisted",
)
FAMILY_STEMS = ("l-sit", "mountain-climber", "leg-raise", "half-kneeling", "prone-leg-lift", "ninety-ninety")


def independent_violations(exercise: Exercise, pain: list[str], pain_level: int) -> list[str]:
    found = []
    for flag in pain:
        found += [f"{flag}~{stem}" for stem in FORBIDDEN_BY_NAME.get(flag, ()) if stem in exercise.slug]
        if exercise.position in FORBIDDEN_POSITIONS.get(flag, set()):
            found.append(f"{flag}~{exercise.position.value}")
    if pain_level >= 6:
        found += [f"pain {pain_level}~{stem}" for stem in NEVER_WITH_PAIN_6 if stem in exercise.slug]
    return found


def floor_of(exercise: Exercise, goal: Goal, reports_pain: bool) -> Dose:
    if reports_pain and exercise.dose_under_pain is not None:
        return exercise.dose_under_pain
    return exercise.goal_doses.get(goal, exercise.dose)


@st.composite
def sweep_queries(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "goal": draw(st.sampled_from(list(Goal))),
        "level": draw(st.sampled_from(list(Level))),
        "equipment": draw(st.sampled_from([[], ["none"], ALL_KIT, ["band", "mini_band"], ["ball", "wall", "bench"]])),
        "pain": draw(st.lists(st.sampled_from([f.value for f in PainFlag]), max_size=2, unique=True)),
        "pain_level": draw(st.integers(0, 10)),
        "minutes": draw(st.none() | st.sampled_from([5, 10, 15, 20, 30, 45, 60])),
        "red_flags": draw(st.sampled_from([[]] * 9 + [["no_relief"]])),
    }


@lru_cache(maxsize=1)
def the_catalogue() -> Catalogue:
    """Not the fixture: hypothesis would print the whole catalogue with a failing example."""
    return load_catalogue()


@settings(max_examples=1500, deadline=None)
@given(query=sweep_queries(), seed=st.integers(0, 2**31 - 1))
def test_sweep_grading_families_and_full_doses(query: dict[str, Any], seed: int) -> None:
    catalogue = the_catalogue()
    try:
        workout = run(catalogue, query, seed)
    except WorkoutImpossible:
        return  # proven elsewhere: only when nothing the goal uses survives
    assert_safe(catalogue, workout, query)


def assert_safe(catalogue: Catalogue, workout: Workout, query: dict[str, Any], *, deload: bool = False) -> None:
    """The generator's safety invariants for one workout of ``query`` (every key of ``sweep_queries``).
    ``deload``: a programme's deload week, which halves the sets on purpose (at least one)."""
    level = query["pain_level"]
    if level >= 8 or query["red_flags"]:
        assert workout.items == [] and workout.referral is not None
        return
    assert workout.referral is None and workout.pain_grade == grade(level).id
    asked = query["minutes"] or BY_GOAL[Goal(query["goal"])].default_minutes
    cap = min(asked, 15) if level >= 6 else asked
    assert workout.estimated_seconds * 100 <= cap * 60 * 110
    reports_pain = level > 0 or any(flag != "pregnancy" for flag in query["pain"])  # pregnancy alone is not pain
    families: set[str] = set()
    stems: set[str] = set()
    for item in workout.items:
        exercise = catalogue.by_slug[item.exercise.slug]
        # grading, by the catalogue's intensity
        if level >= 6:
            assert exercise.intensity is Intensity.gentle, exercise.slug
        elif level >= 4:
            assert exercise.intensity is not Intensity.intense, exercise.slug
        # the independent check
        assert independent_violations(exercise, query["pain"], level) == [], exercise.slug
        # one of a family, by the data and by name
        assert exercise.family not in families, exercise.slug
        families.add(exercise.family)
        for stem in FAMILY_STEMS:
            if stem in exercise.slug:
                assert stem not in stems, exercise.slug
                stems.add(stem)
        # full doses or nothing: never below the catalogue's minimum, at the bottom from 4/10
        floor = floor_of(exercise, Goal(query["goal"]), reports_pain)
        assert item.dose.sets >= (1 if deload else max(1, floor.sets.min)), exercise.slug
        for got, span in (
            (item.dose.reps, floor.reps),
            (item.dose.hold_seconds, floor.hold_seconds),
            (item.dose.duration_seconds, floor.duration_seconds),
        ):
            if span is not None:
                assert got is not None and got >= span.min, exercise.slug
                if level >= 4:
                    assert got == span.min, exercise.slug
        if level >= 4:
            assert item.dose.sets == max(1, floor.sets.min)
        if reports_pain and exercise.dose_under_pain is not None:
            assert "it uses its gentle dose" in item.why
        elif level >= 4:
            assert f"Pain {level}/10: dosed at the bottom of its range." in item.why
