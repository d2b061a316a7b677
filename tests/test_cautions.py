"""The combined contraindications of issue 19 (``app/workouts/cautions.py``) and the catalogue fixes that
go with them, proven over many random queries of the real generator; the rows as a table a physio reads."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.catalogue import Catalogue
from app.catalogue.models import Equipment, Goal, Level, Mechanic, PainFlag
from app.workouts import WorkoutImpossible, WorkoutQuery, generate
from app.workouts.cautions import CAUTIONS, markdown

LEVERS = {
    Mechanic.long_lever_hip_flexion,
    Mechanic.fast_hip_flexion,
    Mechanic.heavy_abdominal_load,
    Mechanic.spine_extension_load,
}
SITES = set(PainFlag) - {PainFlag.pregnancy}

queries = st.builds(
    WorkoutQuery,
    goal=st.sampled_from(list(Goal)),
    level=st.sampled_from(list(Level)),
    equipment=st.lists(st.sampled_from([e.value for e in Equipment]), max_size=8, unique=True),
    pain=st.lists(st.sampled_from(list(PainFlag)), max_size=2, unique=True),
    pain_level=st.integers(0, 7),
    minutes=st.one_of(st.none(), st.integers(5, 60)),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries, seed=st.integers(0, 1000))
def test_no_long_lever_loaded_flexion_or_straight_leg_where_the_person_cannot_take_it(
    query: WorkoutQuery, seed: int, catalogue: Catalogue
) -> None:
    try:
        workout = generate(catalogue, query, seed)
    except WorkoutImpossible:
        assume(False)
        raise
    pain = set(query.pain)
    families = [catalogue.by_slug[i.exercise.slug].family for i in workout.items]
    assert len(families) == len(set(families))  # same-pattern pairs never together (king runner included)
    for item in workout.items:
        exercise = catalogue.by_slug[item.exercise.slug]
        mechanics = set(exercise.mechanics)
        if mechanics & LEVERS:
            assert not (query.pain_level >= 4 and not pain & SITES), (exercise.slug, query)
            assert PainFlag.hip_pinch not in pain, (exercise.slug, query)
        if Mechanic.loaded_hip_flexion in mechanics:
            assert not (PainFlag.low_back in pain and query.pain_level >= 4), (exercise.slug, query)
        if PainFlag.low_back in pain:
            assert exercise.slug != "prone-leg-lift-straight-leg"  # the bent knee, not the straight leg
        if exercise.slug == "mountain-climbers" and query.level is Level.beginner:
            assert item.dose.reps is not None and item.dose.reps <= 12 and item.dose.tempo  # controlled, not 3 x 30


# One row per rule, read as a physiotherapist would: who asks, what must not be in the session, and why.
ROWS = [
    (
        "pain 5, no area given: no leg raise",
        {"goal": "strength", "pain_level": 5},
        "lying-leg-raise",
        "long-lever-unknown-site",
    ),
    (
        "a pinch at the front of the hip: no leg raise even without pain",
        {"goal": "strength", "pain": ["hip_pinch"]},
        "lying-leg-raise",
        "long-lever-hip-pinch",
    ),
    (
        "low-back pain 4: no loaded hip flexion",
        {"goal": "rehab", "equipment": ["mini_band"], "pain": ["low_back"], "pain_level": 4},
        "isometric-hip-flexion-mini-band",
        "loaded-flexion-low-back",
    ),
]


@pytest.mark.parametrize(("who", "query", "slug", "rule"), ROWS, ids=[r[0] for r in ROWS])
def test_each_caution_leaves_its_exercise_out_and_says_why(
    who: str, query: dict[str, object], slug: str, rule: str, catalogue: Catalogue
) -> None:
    workout = generate(catalogue, WorkoutQuery.model_validate(query), 1)
    assert slug not in [i.exercise.slug for i in workout.items]
    (omission,) = [o for o in workout.omitted if o.slug == slug]
    caution = next(c for c in CAUTIONS if c.id == rule)
    assert (omission.reason.value, omission.detail) == ("pain", caution.reason)


def test_low_back_pain_gets_the_bent_knee_prone_lift(catalogue: Catalogue) -> None:
    workout = generate(catalogue, WorkoutQuery(goal="rehab", equipment=["mini_band", "bench"], pain=["low_back"]), 1)
    slugs = [i.exercise.slug for i in workout.items]
    assert "prone-leg-lift-bent-knee" in slugs and "prone-leg-lift-straight-leg" not in slugs
    straight = catalogue.by_slug["prone-leg-lift-straight-leg"]
    assert straight.regressions == ["prone-leg-lift-bent-knee"] and not straight.progressions


def test_the_cautions_table_has_every_row_with_a_source() -> None:
    table = markdown().splitlines()
    assert [row.split(" | ")[0] for row in table[2:]] == [f"| `{c.id}`" for c in CAUTIONS]
    for caution in CAUTIONS:
        assert caution.reason and caution.source and caution.when
        assert caution.own_design == ("own design" in caution.source)


LYING = {Mechanic.lying_supine, Mechanic.lying_prone}
KITS = [[], ["mini_band"], ["band", "mini_band", "bench", "dumbbell", "sliders", "ball"]]
# Goals whose phases have side-lying, seated or standing work enough to fill these minutes (posture at 20 comes to
# 73% for a beginner with no kit: its hamstring-pelvis phase has no such drill; mobility at 20 since catalogue 2.3:
# its stretch phase takes one of the side-lying and standing hip-flexor stretches, near-duplicates).
FILLS = {15: {Goal.balanced, Goal.mobility, Goal.rehab, Goal.posture}, 20: {Goal.balanced, Goal.rehab}}


@pytest.mark.parametrize("minutes", [15, 20, 30])
@pytest.mark.parametrize("goal", list(Goal))
def test_a_pregnancy_session_fills_its_minutes_or_says_honestly_why(
    goal: Goal, minutes: int, catalogue: Catalogue
) -> None:
    """Issue 19, item 8 (ACOG 804): side-lying, seated and standing work fills a pregnancy session; nothing on the
    back or the belly. Up to 20 minutes the goals whose phases have such work fill at least 75% (the generator's
    own "short" line, see FILLS); otherwise a short session says why and what fills the rest."""
    for level in Level:
        for kit in KITS:
            for extra in ([], [PainFlag.knee, PainFlag.wrist]):
                query = WorkoutQuery(
                    goal=goal, level=level, equipment=kit, pain=[PainFlag.pregnancy, *extra], minutes=minutes
                )
                workout = generate(catalogue, query, 1)
                for item in workout.items:
                    exercise = catalogue.by_slug[item.exercise.slug]
                    assert exercise.position.value not in ("supine", "prone"), (query, item.exercise.slug)
                    assert LYING.isdisjoint(exercise.mechanics)
                if goal in FILLS.get(minutes, set()) and not extra:
                    assert not workout.short_of_time, (query, workout.estimated_minutes)
                if workout.short_of_time:
                    assert workout.time_note is not None and "ACOG" in workout.time_note
                    assert "walking, swimming or a stationary bike" in workout.time_note
                    assert "?" not in workout.time_note
                else:
                    assert workout.estimated_seconds * 100 >= minutes * 60 * 75
