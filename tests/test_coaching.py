"""Adaptation, called directly: a table of scenarios (one row per rule and per precedence case) and
hypothesis properties over random queries and histories (safety, pain, empty history, determinism)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.catalogue import Catalogue
from app.catalogue.models import Equipment, Exercise, Goal, Intensity, Level, PainFlag
from app.coaching import RULES, AdaptedItem, AdaptedWorkout, CheckIn, Session, adapt, checkin_of, sessions_of
from app.coaching.doses import above, planned
from app.coaching.gate import query_of
from app.coaching.history import recent
from app.coaching.rules import FIT_RULES, OVER_TIME, markdown, peak_pain
from app.logs import LogCreate
from app.workouts import Workout, WorkoutImpossible, WorkoutQuery, generate
from app.workouts.goals import BY_GOAL
from app.workouts.models import OmitReason
from app.workouts.pain import grade

TODAY = date(2026, 11, 30)

# rehab, beginner, mini band and bench: prone-leg-lift-straight-leg (2 x 8-10 x 3-5 s),
# core-brace (2 x 10-20 x 10 s: 2 x 10 for a beginner), isometric-hip-flexion-mini-band, bridge-with-hip-flexor-pulls
# (2 x 8 a side, fixed; regression: 90-90 breathing) and side-plank-clamshell.
# The table assumes 16 minutes (20 before catalogue 2.3 halved a beginner's brace: the same five exercises, as tight).
QUERY = WorkoutQuery(goal=Goal.rehab, equipment=["mini_band", "bench"], minutes=16)
# Rehab in 12 minutes with no kit (15 before catalogue 2.3), as it was before the pregnancy alternatives (2.2) could
# fill it.
NO_KIT_12 = WorkoutQuery(
    goal=Goal.rehab,
    minutes=12,
    exclude=[
        "seated-isometric-hip-flexion",
        "side-lying-hip-flexor-stretch",
        "standing-staggered-hip-flexor-stretch",
        "side-lying-clamshell",
    ],
)
BENT = "prone-leg-lift-bent-knee"
ISO = "isometric-hip-flexion-mini-band"
BREATHING, RELEASE = "diaphragmatic-breathing", "hip-flexor-ball-release"
MOBILITY = WorkoutQuery(goal=Goal.mobility, minutes=15)  # seed 7: diaphragmatic breathing first
RELEASE_QUERY = WorkoutQuery(goal=Goal.rehab, equipment=["ball"], pain=["knee"], minutes=30)  # with pain: its cap
PRONE, BRACE, BRIDGE, CLAM = (
    "prone-leg-lift-straight-leg",
    "core-brace",
    "bridge-with-hip-flexor-pulls",
    "side-plank-clamshell",
)


def log(day: int, slug: str, sets: int = 2, reps: int = 8, hold: int | None = 3, rpe: int | None = 6,
        unfinished: bool = False, before: int = 1, after: int = 1, session_rpe: int = 5, minutes: int = 20,
        kg: float | None = None, **more: Any) -> dict[str, Any]:
    """One log in the log schema, on November ``day`` (negative: October), at 08:00 UTC."""
    one: dict[str, Any] = {"reps": reps, "rpe": rpe} | ({"load_kg": kg} if kg is not None else {})
    if hold is not None:
        one["hold_seconds"] = hold
    done = [dict(one) for _ in range(sets)]
    if unfinished:
        done[-1]["completed"] = False
    when = datetime(2026, 11, 1, 8, tzinfo=UTC) + timedelta(days=day - 1)
    return {
        "performed_at": when.isoformat(),
        "pain_before": before,
        "pain_after": after,
        "session_rpe": session_rpe,
        "duration_minutes": minutes,
        "entries": [{"exercise": slug, "sets": done}],
        **more,
    }


def morning(day: int, pain: int) -> dict[str, Any]:
    return {"date": (date(2026, 11, 1) + timedelta(days=day - 1)).isoformat(), "pain": pain}


# Three weeks of light sessions of another exercise: enough history for the load guard.
BASE = [log(d, CLAM, hold=2, reps=15, session_rpe=4, minutes=20) for d in (2, 5, 9, 12, 16, 19)]
HEAVY: dict[str, Any] = {"session_rpe": 8, "minutes": 60}


@dataclass
class Case:
    id: str
    slug: str
    logs: list[dict[str, Any]]
    action: str
    rule: str
    to: tuple[str, int, int | None, int | None] | None = None  # exercise, sets, reps, hold; None: paused
    checkins: list[dict[str, Any]] = field(default_factory=list)
    pain_level: int = 0  # today's, in the query
    query: WorkoutQuery | None = None  # another workout than the table's (``QUERY``, seed 1)


CASES = [
    # --- one row per rule
    Case("nothing logged", PRONE, [], "new", "no-history", (PRONE, 2, 8, 3)),
    Case("two easy sessions: reps first", PRONE, [log(20, PRONE), log(23, PRONE)], "progress", "two-for-two",
         (PRONE, 2, 9, 3)),
    Case("reps at the top: hold +5 s up to max", PRONE, [log(20, PRONE, reps=10), log(23, PRONE, reps=10)],
         "progress", "two-for-two", (PRONE, 2, 10, 5)),
    Case("a loaded raise done easily twice: the load steps (+0.5 kg), sets, reps and hold do not",
         "standing-hip-flexor-raise",
         [log(20, "standing-hip-flexor-raise", sets=3, reps=10, hold=1, kg=2.5),
          log(23, "standing-hip-flexor-raise", sets=3, reps=10, hold=1, kg=2.5)],
         "progress", "two-for-two-loaded", ("standing-hip-flexor-raise", 3, 10, 1),
         query=WorkoutQuery(goal=Goal.strength, level=Level.intermediate, equipment=["dumbbell"], minutes=30)),
    Case("RIR 2 counts as easy", PRONE, [log(20, PRONE, rpe=None, rir=2), log(23, PRONE, rpe=None, rir=3)],
         "progress", "two-for-two", (PRONE, 2, 9, 3)),
    # The straight leg is the harder prone lift (issue 19): at its top there is nothing harder to step to.
    Case("all at the top, no harder variant: this dose is the goal", PRONE,
         [log(20, PRONE, reps=10, hold=5), log(23, PRONE, reps=10, hold=5)], "hold", "two-for-two",
         (PRONE, 2, 10, 5)),
    Case("at the top, the link is above the user's level", "isometric-hip-flexion-mini-band",
         [log(d, "isometric-hip-flexion-mini-band", sets=3, reps=10, hold=5) for d in (20, 23)], "hold",
         "two-for-two", ("isometric-hip-flexion-mini-band", 3, 10, 5)),
    Case("at the top, the link is already in the workout", BRACE,
         [log(20, BRACE, reps=20, hold=10), log(23, BRACE, reps=20, hold=10)], "hold", "two-for-two",
         (BRACE, 2, 20, 10)),
    Case("one easy session", PRONE, [log(23, PRONE)], "hold", "not-yet-two-for-two", (PRONE, 2, 8, 3)),
    Case("RPE 9", PRONE, [log(20, PRONE), log(23, PRONE, rpe=9)], "hold", "hard-or-unfinished", (PRONE, 2, 8, 3)),
    Case("a set unfinished", PRONE, [log(20, PRONE), log(23, PRONE, unfinished=True)], "hold",
         "hard-or-unfinished", (PRONE, 2, 8, 3)),
    Case("three unfinished in a row: 10% off", PRONE,
         [log(d, PRONE, reps=10, hold=5, unfinished=True) for d in (20, 22, 24)], "regress", "unfinished-3-in-a-row",
         (PRONE, 2, 10, 4)),
    Case("pain after 6, no set says which exercise", PRONE, [log(23, PRONE, reps=10, hold=5, after=6)], "regress",
         "session-pain-above-5", (PRONE, 2, 8, 3)),
    Case("pain 6 during a set: swapped for the easier variant, not one set off", PRONE,
         [log(23, PRONE, reps=10, hold=5, after=2) | {"entries": [
          {"exercise": PRONE, "sets": [{"reps": 10, "hold_seconds": 5, "rpe": 6, "pain": 6}] * 2}]}],
         "swap", "pain-above-5", ("prone-leg-lift-bent-knee", 2, 8, 3)),
    Case("pain 6 during a set with no easier variant: paused", BRACE,
         [log(23, BRACE, reps=20, hold=10, after=3) | {"entries": [
          {"exercise": BRACE, "sets": [{"reps": 20, "hold_seconds": 10, "rpe": 6, "pain": 6}] * 2}]}],
         "pause", "pain-above-5"),
    Case("pain 6 at the bottom dose: swap to the regression", BRIDGE, [log(23, BRIDGE, hold=None, after=6)],
         "swap", "session-pain-above-5", ("ninety-ninety-breathing", 3, 5, None)),
    Case("pain 6 at the bottom with no regression: below the range", BRACE, [log(23, BRACE, reps=10, hold=10,
         after=6)], "regress", "session-pain-above-5", (BRACE, 1, 10, 10)),
    Case("pain rose 1 -> 3", PRONE, [log(23, PRONE, reps=10, hold=5, before=1, after=3)], "regress",
         "pain-rise-2", (PRONE, 2, 8, 3)),
    Case("next morning worse than before", PRONE, [log(23, PRONE, reps=10, before=2, after=2)], "regress",
         "morning-pain-worse", (PRONE, 2, 8, 3), [morning(24, 3)]),
    Case("pain 4 not settled next morning", PRONE, [log(23, PRONE, reps=10, before=4, after=4)], "regress",
         "pain-4-5-unsettled", (PRONE, 2, 8, 3), [morning(24, 4)]),
    Case("pain 5 settled: acceptable, no step up", PRONE, [log(20, PRONE), log(23, PRONE, before=5, after=5)],
         "hold", "pain-4-5", (PRONE, 2, 8, 3), [morning(24, 2)]),
    Case("pain trend up: nothing progresses", PRONE, [log(20, PRONE), log(23, PRONE)], "hold", "pain-trend-up",
         (PRONE, 2, 8, 3), [morning(17, 1), morning(26, 3)]),
    Case("latest session (another exercise) hurt 7", PRONE,
         [log(20, PRONE), log(23, PRONE), log(26, CLAM, hold=2, reps=15, after=7)], "hold", "latest-pain-above-5",
         (PRONE, 2, 8, 3)),
    Case("nothing new the day after a painful session", BRACE, [log(29, CLAM, hold=2, reps=15, after=7)],
         "pause", "flare-nothing-new", None, [morning(17, 1), morning(27, 2)]),
    Case("a new exercise is new again two weeks after a painful session", BRACE,
         [log(16, CLAM, hold=2, reps=15, after=7)], "new", "no-history", (BRACE, 2, 10, 10)),
    Case("load ratio above 1.5: deload, half the sets", PRONE, [*BASE, log(26, PRONE, reps=10, **HEAVY),
         log(28, PRONE, reps=10, **HEAVY)], "deload", "load-ratio-above-1.5", (PRONE, 1, 8, 3)),
    Case("deload reaches a new exercise too", BRACE, [*BASE, log(28, CLAM, hold=2, reps=15, session_rpe=9,
         minutes=90)], "deload", "load-ratio-above-1.5", (BRACE, 1, 10, 10)),
    Case("a break of 18 days: one step down", PRONE, [log(10, PRONE, reps=10, hold=5), log(12, PRONE, reps=10,
         hold=5)], "regress", "gap-14-step-down", (PRONE, 2, 10, 3)),
    Case("a break of 23 days: two steps down", PRONE, [log(5, PRONE, reps=10, hold=5), log(7, PRONE, reps=10,
         hold=5)], "regress", "gap-14-step-down", (PRONE, 2, 9, 3)),
    Case("a break of 18 days at the bottom: the same again, never a regress that changes nothing", PRONE,
         [log(10, PRONE), log(12, PRONE)], "hold", "gap-14-step-down", (PRONE, 2, 8, 3)),
    Case("a break of 29 days: the plan restarts", PRONE, [log(-1, PRONE, reps=10, hold=5), log(1, PRONE, reps=10,
         hold=5)], "restart", "gap-28-restart", (PRONE, 2, 8, 3)),
    Case("a break of 29 days reaches a new exercise too", BRACE, [log(1, PRONE)], "restart", "gap-28-restart",
         (BRACE, 2, 10, 10)),
    Case("back after a break: the session before it does not count towards 2-for-2", PRONE,
         [log(2, PRONE), log(23, PRONE)], "hold", "not-yet-two-for-two", (PRONE, 2, 8, 3)),
    Case("a step up resets 2-for-2: no step every session", PRONE,
         [log(20, PRONE), log(23, PRONE), log(26, PRONE, reps=9)], "hold", "not-yet-two-for-two", (PRONE, 2, 9, 3)),
    # --- precedence
    Case("pain beats effort (easy twice, pain after 6)", PRONE, [log(20, PRONE), log(23, PRONE, rpe=5, after=6)],
         "swap", "session-pain-above-5", ("prone-leg-lift-bent-knee", 2, 8, 3)),
    Case("cautious beats bold (2-for-2 but RPE 9 in the same session)", PRONE,
         [log(20, PRONE), log(23, PRONE) | {"entries": [{"exercise": PRONE, "sets": [
             {"reps": 8, "hold_seconds": 3, "rpe": 6}, {"reps": 8, "hold_seconds": 3, "rpe": 9}]}]}],
         "hold", "hard-or-unfinished", (PRONE, 2, 8, 3)),
    Case("load guard beats progress", PRONE, [*BASE, log(26, PRONE, **HEAVY), log(28, PRONE, **HEAVY)], "deload",
         "load-ratio-above-1.5", (PRONE, 1, 8, 3)),
    Case("pain beats the load guard", PRONE, [*BASE, log(26, PRONE, reps=10, **HEAVY), log(28, PRONE, reps=10,
         after=7, **HEAVY)], "regress", "session-pain-above-5", (PRONE, 2, 8, 3)),
    Case("sessions 12-13 days apart are sparse, not a spike", PRONE,
         [log(d, PRONE, **HEAVY) for d in (4, 17, 29)], "progress", "two-for-two", (PRONE, 2, 9, 3)),
    Case("pain 4-5 beats 2-for-2 even when settled", PRONE, [log(20, PRONE), log(23, PRONE, before=3, after=4)], "hold",
         "pain-4-5", (PRONE, 2, 8, 3)),
    # From 4/10 with no area given the straight-leg lift is out (``cautions``): the isometric stands in.
    Case("pain 5 today: two easy sessions at the top, still the bottom dose", ISO,
         [log(20, ISO, sets=3, reps=10, hold=5), log(23, ISO, sets=3, reps=10, hold=5)], "regress",
         "pain-today-graded", (ISO, 2, 10, 3), pain_level=5),
    Case("pain 6 today: an unfinished run regresses no higher than the bottom", ISO,
         [log(d, ISO, sets=3, reps=10, hold=5, unfinished=True) for d in (20, 22, 24)], "regress",
         "pain-today-graded", (ISO, 2, 10, 3), pain_level=6),
    Case("breathing is never trained harder", BREATHING, [log(16, BREATHING, hold=None), log(18, BREATHING,
         hold=None)], "hold", "not-trained-harder", (BREATHING, 2, 8, None), query=MOBILITY),
    Case("a release done longer than its pain cap comes back to the plan", RELEASE,
         [log(d, RELEASE, sets=1, reps=1, hold=110) for d in (24, 26)], "regress", "not-trained-harder",
         (RELEASE, 1, None, None), query=RELEASE_QUERY),
    Case("a session after today is not read", PRONE, [log(20, PRONE), log(23, PRONE), log(31, PRONE, after=9)],
         "progress", "two-for-two", (PRONE, 2, 9, 3)),
]


@pytest.fixture(scope="module")
def workout(catalogue: Catalogue) -> Workout:
    return generate(catalogue, QUERY, 1)


def run(case: Case, workout: Workout, catalogue: Catalogue) -> AdaptedWorkout:
    history = sessions_of(case.logs)
    return adapt(workout, history, [checkin_of(c) for c in case.checkins], catalogue, today=TODAY)


def test_the_fixture_workout_is_what_the_table_assumes(workout: Workout) -> None:
    assert [i.exercise.slug for i in workout.items] == [
        PRONE, BRACE, "isometric-hip-flexion-mini-band", BRIDGE, CLAM,
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_scenario(case: Case, workout: Workout, catalogue: Catalogue) -> None:
    if case.pain_level:
        workout = generate(catalogue, QUERY.model_copy(update={"pain_level": case.pain_level}), 1)
    if case.query is not None:
        workout = generate(catalogue, case.query, 7)
    adapted = run(case, workout, catalogue)
    if case.action == "pause":  # left out today, and told why
        (paused,) = [o for o in adapted.omitted if o.slug == case.slug]
        assert paused.reason is OmitReason.paused
        assert case.slug not in [origin(i) for i in adapted.items]
        rule = next(r for r in RULES if r.id == case.rule)
        assert paused.detail.split(":")[0] in rule.reason.format_map(defaultdict(lambda: "", {})) or (
            paused.detail[:12] == rule.reason[:12]
        ), paused.detail
        return
    position = [i.exercise.slug for i in workout.items].index(case.slug)
    (item,) = [i for i in adapted.items if origin(i) == case.slug]
    adaptation = item.adaptation
    assert (adaptation.action.value, adaptation.rule) == (case.action, case.rule), adaptation.reason
    assert case.to is not None
    to = adaptation.to
    assert (to.exercise, to.sets, to.reps, to.hold_seconds) == case.to
    # the item is dosed as the adaptation says
    assert item.exercise.slug == to.exercise
    assert (item.dose.sets, item.dose.reps, item.dose.hold_seconds) == case.to[1:]
    assert "?" not in adaptation.reason  # every field of the template was filled from the data
    plain = workout.items[position]
    if to == planned(plain.exercise.slug, plain.dose):  # the plan's dose: the plan's prescription and timing
        assert (item.dose, item.estimated_seconds) == (plain.dose, plain.estimated_seconds)
    # one change per exercise: the exercise, or one part of the dose (a break may step two down)
    before = adaptation.from_
    if before is not None and before.exercise == to.exercise:
        parts = ("sets", "reps", "hold_seconds", "duration_seconds")
        changed = [n for n in parts if getattr(before, n) != getattr(to, n)]
        assert len(changed) <= 1 or case.action in ("regress", "deload", "restart")
        if case.action == "regress":  # a regress always changes something
            assert changed and not above(to, before)


def test_every_rule_has_a_row() -> None:
    assert {c.rule for c in CASES} == {r.id for r in RULES}


def test_rules_are_complete_rows() -> None:
    every = [*RULES, *FIT_RULES]
    assert len({r.id for r in every}) == len(every)
    for rule in every:
        assert rule.when and rule.reason and rule.source
        assert rule.own_design == ("own design" in rule.source)


def test_the_readme_table_is_rendered_from_the_rules() -> None:
    table = markdown().splitlines()
    assert table[:2] == ["| Rule | When | What happens | Source |", "| --- | --- | --- | --- |"]
    assert [row.split(" | ")[0] for row in table[2:]] == [f"| `{rule.id}`" for rule in [*RULES, *FIT_RULES]]
    assert "| deload: half the plan's sets" in table[2 + [r.id for r in RULES].index("load-ratio-above-1.5")]


def test_reason_quotes_the_data(workout: Workout, catalogue: Catalogue) -> None:
    adapted = run(CASES[1], workout, catalogue)
    assert adapted.items[0].adaptation.reason == (
        "2/2 sets of 8 x 3 s at RPE 6 on Nov 20 and Nov 23; pain after 1/10: step up: 2 x 8 x 3 s -> 2 x 9 x 3 s."
    )


def test_guards_report_their_values(workout: Workout, catalogue: Catalogue) -> None:
    case = next(c for c in CASES if c.id == "load guard beats progress")
    load, pain = run(case, workout, catalogue).guards
    # 7 days (Nov 24-30): 2 x 8 x 60 = 960; 28 days (Nov 3-30): that plus 5 x 4 x 20 (Nov 5-19; Nov 2 is
    # 28 days back, out of the window) = 1360, a weekly mean of 340; 960 / 340 = 2.82
    assert (load.rule, load.fired, load.values) == ("load-ratio-above-1.5", True, [960.0, 340.0])
    assert load.value == 2.82
    assert pain.rule == "pain-trend-up" and pain.fired is False


def test_swap_names_the_regression(workout: Workout, catalogue: Catalogue) -> None:
    case = next(c for c in CASES if c.id == "pain 6 at the bottom dose: swap to the regression")
    adapted = run(case, workout, catalogue)
    (item,) = [i for i in adapted.items if origin(i) == case.slug]
    assert item.exercise.name == "90-90 breathing" or item.exercise.slug == "ninety-ninety-breathing"
    assert catalogue.by_slug["ninety-ninety-breathing"].name in item.adaptation.reason
    wire = item.adaptation.model_dump(mode="json")
    assert wire["from"]["exercise"] == BRIDGE and wire["to"]["exercise"] == "ninety-ninety-breathing"


def test_both_doors_read_the_log_schema_alike() -> None:
    """A posted log (LogCreate) and a stored one (LogPublic, as dumped) give the same session."""
    raw = log(23, PRONE, after=4) | {"notes": "fine"}
    raw["entries"][0]["sets"][0]["side"] = "left"
    posted = sessions_of([LogCreate.model_validate(raw).model_dump()])
    stored = sessions_of([LogCreate.model_validate(raw).model_dump(mode="json")])
    assert posted == stored == sessions_of([raw])
    (session,) = posted
    assert (session.day, session.pain_after, session.load) == (date(2026, 11, 23), 4, 100)
    assert [s.side for s in session.entries[PRONE]] == ["left", None]


def test_a_history_order_does_not_matter(workout: Workout, catalogue: Catalogue) -> None:
    logs = [log(20, PRONE), log(23, PRONE), log(26, CLAM, hold=2, reps=15)]
    forwards = adapt(workout, sessions_of(logs), [], catalogue, today=TODAY)
    backwards = adapt(workout, sessions_of(logs[::-1]), [], catalogue, today=TODAY)
    assert forwards == backwards
    assert forwards.model_dump_json() == backwards.model_dump_json()


# ------------------------------------------------------------------ properties

PAIN_FLAGS = list(PainFlag)


def kit(query: WorkoutQuery, catalogue: Catalogue) -> frozenset[Equipment]:
    """What the user has: what they named, plus the catalogue's assumed equipment (a wall) unless opted out."""
    said = {e.value for e in query.equipment}
    assumed = {a.item for a in catalogue.assumed_equipment if a.opt_out not in said}
    return frozenset(Equipment(e) for e in said if e not in ("none", "no_wall")) | assumed


def ruled_out(exercise: Exercise, query: WorkoutQuery, catalogue: Catalogue) -> bool:
    """Written from the catalogue alone, not from the generator's check."""
    have = kit(query, catalogue)
    gentle = query.pain_level >= 6 or (query.goal is Goal.rehab and PainFlag.hip in query.pain)  # GET /pain-grades
    return (
        any(c.flag in query.pain for c in exercise.contraindications)
        or (gentle and exercise.intensity is not Intensity.gentle)
        or (query.pain_level >= 4 and exercise.intensity is Intensity.intense)
        or exercise.level.rank > query.level.rank
        or not any(set(option) <= have for option in exercise.equipment)
    )


queries = st.builds(
    WorkoutQuery,
    goal=st.sampled_from(list(Goal)),
    level=st.sampled_from(list(Level)),
    equipment=st.lists(st.sampled_from(["none", "no_wall", *(e.value for e in Equipment)]), max_size=6, unique=True),
    pain=st.lists(st.sampled_from(PAIN_FLAGS), max_size=2, unique=True),
    pain_level=st.integers(0, 10),
    minutes=st.one_of(st.none(), st.integers(5, 60)),
)


def budget(query: WorkoutQuery) -> int:
    """The seconds a session may take, from the spec: the minutes asked for (or the goal's), capped by the
    pain grade (GET /pain-grades), and at most 10% over."""
    minutes = query.minutes if query.minutes is not None else BY_GOAL[query.goal].default_minutes
    cap = grade(query.pain_level).max_minutes
    return (minutes if cap is None else min(minutes, cap)) * 60 * 110 // 100


def origin(item: AdaptedItem) -> str:
    """The plain workout's exercise an adapted item stands for (a swap or a step to a harder variant names it)."""
    before = item.adaptation.from_
    return before.exercise if before is not None else item.exercise.slug


def assert_fitted(workout: Workout, adapted: AdaptedWorkout, query: WorkoutQuery) -> None:
    """Within the budget whenever the plain workout was; an item leaves only whole, listed as omitted for time."""
    assert adapted.estimated_seconds == sum(i.estimated_seconds for i in adapted.items)
    assert adapted.estimated_minutes == (adapted.estimated_seconds + 30) // 60
    if workout.estimated_seconds <= budget(query):
        assert adapted.estimated_seconds <= budget(query), (workout.estimated_seconds, adapted.estimated_seconds)
    plain = [i.exercise.slug for i in workout.items]
    kept = [origin(i) for i in adapted.items]
    assert kept == [s for s in plain if s in kept]  # a subsequence, in the plain order
    assert adapted.omitted[: len(workout.omitted)] == workout.omitted
    extra = adapted.omitted[len(workout.omitted):]
    coach = (OmitReason.time, OmitReason.paused, OmitReason.deload)  # for time, paused after pain, a deload
    assert len(extra) == len(plain) - len(kept) and all(o.reason in coach for o in extra)
    timed = [o for o in extra if o.reason is OmitReason.time]
    assert (OVER_TIME.id in " ".join(adapted.notes)) == bool(timed)


@st.composite
def raw_histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[CheckIn]]:
    """Logs whose entries name exercises by index (see ``histories``): what is drawn never depends on a workout."""
    logs = []
    for _ in range(draw(st.integers(0, 8))):
        calm = draw(st.booleans())  # half the sessions easy and painless, so progressions get exercised too
        entries = []
        for pick in draw(st.lists(st.integers(0, 999), min_size=1, max_size=3)):
            easy = calm or draw(st.booleans())
            sets = draw(st.lists(st.fixed_dictionaries({
                "reps": st.integers(1, 40), "hold_seconds": st.one_of(st.none(), st.integers(1, 120)),
                "rpe": st.integers(4, 7) if easy else st.one_of(st.none(), st.integers(1, 10)),
                "rir": st.one_of(st.none(), st.integers(0, 5)),
                "pain": st.none() if easy else st.one_of(st.none(), st.integers(0, 10)),
                "completed": st.just(True) if easy else st.booleans(),
                "side": st.sampled_from([None, "left", "right"]),
            }), min_size=1, max_size=5))
            entries.append({"exercise": pick, "sets": sets})
        day = TODAY - timedelta(days=draw(st.integers(0, 40)))
        logs.append({
            # Distinct instants, so "the latest session" means one session (ties have a test of their own).
            "performed_at": datetime(day.year, day.month, day.day, 8 + len(logs), tzinfo=UTC),
            "pain_before": draw(st.integers(0, 2) if calm else st.one_of(st.none(), st.integers(0, 10))),
            "pain_after": draw(st.integers(0, 2) if calm else st.one_of(st.none(), st.integers(0, 10))),
            "session_rpe": draw(st.one_of(st.none(), st.integers(1, 10))),
            "duration_minutes": draw(st.one_of(st.none(), st.integers(5, 90))),
            "entries": entries,
        })
    checkins = [
        CheckIn(TODAY - timedelta(days=draw(st.integers(0, 20))), draw(st.integers(0, 10)))
        for _ in range(draw(st.integers(0, 4)))
    ]
    return logs, checkins


def materialise(raw: tuple[list[dict[str, Any]], list[CheckIn]], slugs: list[str]) -> tuple[list[Session], list[CheckIn]]:
    """``raw_histories``' logs on these exercises: index i names slugs[i % len(slugs)], the first entry of a slug kept."""
    logs, checkins = raw
    named = []
    for log_ in logs:
        entries: dict[str, Any] = {}
        for entry in log_["entries"]:
            entries.setdefault(slugs[entry["exercise"] % len(slugs)], entry["sets"])
        named.append(log_ | {"entries": [{"exercise": slug, "sets": sets} for slug, sets in entries.items()]})
    return sessions_of(named), checkins


def histories(slugs: list[str]) -> st.SearchStrategy[tuple[list[Session], list[CheckIn]]]:
    """Histories of these exercises (indexes, not st.sampled_from(slugs): what is drawn must not depend on the
    workout drawn before it)."""
    return raw_histories().map(lambda raw: materialise(raw, slugs))


def linked(workout: Workout, catalogue: Catalogue) -> list[str]:
    """The workout's exercises and their regression and progression links: what a history may hold."""
    slugs = []
    for item in workout.items:
        exercise = catalogue.by_slug[item.exercise.slug]
        slugs += [exercise.slug, *exercise.regressions, *exercise.progressions]
    return sorted(set(slugs))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries, seed=st.integers(0, 100), data=st.data())
def test_adaptation_keeps_the_safety_rules_and_never_raises_after_pain(
    query: WorkoutQuery, seed: int, data: st.DataObject, catalogue: Catalogue
) -> None:
    try:
        workout = generate(catalogue, query, seed)
    except WorkoutImpossible:
        assume(False)
        raise
    assume(workout.referral is None)  # pain 8+: no session to adapt
    history, checkins = data.draw(histories(linked(workout, catalogue)))
    adapted = adapt(workout, history, checkins, catalogue, today=TODAY)
    assert adapt(workout, history, checkins, catalogue, today=TODAY) == adapted  # deterministic
    assert_fitted(workout, adapted, query)

    slugs = [item.exercise.slug for item in adapted.items]
    assert len(slugs) == len(set(slugs))
    for item in adapted.items:
        exercise = catalogue.by_slug[item.exercise.slug]
        assert not ruled_out(exercise, query, catalogue), (exercise.slug, item.adaptation)
        assert set(item.exercise.equipment) <= kit(query, catalogue)
        span = exercise.goal_doses.get(query.goal, exercise.dose)
        below = "below the article's range" in item.adaptation.reason  # pain or failure asked for less
        if item.adaptation.from_ is not None and item.adaptation.action.value != "deload" and not below:
            assert span.sets.min <= item.dose.sets <= span.sets.max  # a dose chosen from history stays in range
        if item.adaptation.action.value == "deload":  # never more than the plain plan
            plain = next(i for i in workout.items if i.exercise.slug == item.exercise.slug)
            assert not above(item.adaptation.to, planned(plain.exercise.slug, plain.dose))

        adaptation = item.adaptation
        before, to = adaptation.from_, adaptation.to
        if before is not None and before.exercise != to.exercise:  # a new exercise comes only from a link
            links = catalogue.by_slug[before.exercise]
            expected = links.regressions if adaptation.action.value == "swap" else links.progressions
            assert adaptation.action.value in ("swap", "progress") and to.exercise in expected
        elif before is not None and adaptation.action.value == "progress":  # one step of one part
            parts = ("sets", "reps", "hold_seconds", "duration_seconds")
            assert sum(getattr(before, n) != getattr(to, n) for n in parts) == 1
            assert above(to, before) and not above(before, to)

    latest = max((s for s in history if s.day <= TODAY), key=lambda s: s.performed_at, default=None)
    if latest is not None and (peak_pain(latest) or 0) > 5:
        for item in adapted.items:
            adaptation = item.adaptation
            assert adaptation.action.value != "progress"
            before = adaptation.from_
            if before is not None and before.exercise == adaptation.to.exercise:
                assert not above(adaptation.to, before)


@settings(max_examples=60, deadline=None)
@given(query=queries, seed=st.integers(0, 100))
def test_empty_history_is_the_plain_workout_with_every_item_new(
    query: WorkoutQuery, seed: int, catalogue: Catalogue
) -> None:
    try:
        workout = generate(catalogue, query, seed)
    except WorkoutImpossible:
        assume(False)
        raise
    assume(workout.referral is None)  # pain 8+: no session to adapt
    adapted = adapt(workout, [], [], catalogue, today=TODAY)
    assert {item.adaptation.action.value for item in adapted.items} == {"new"}
    assert Workout.model_validate(adapted.model_dump()) == workout
    plain = workout.model_dump(mode="json")
    wire = adapted.model_dump(mode="json")
    assert [{k: v for k, v in i.items() if k != "adaptation"} for i in wire.pop("items")] == plain.pop("items")
    ignored = ("adapted_for", "guards", "pain_today", "assessment")
    assert {k: v for k, v in wire.items() if k not in ignored} == plain


def test_a_swap_respects_the_no_wall_opt_out(catalogue: Catalogue) -> None:
    """90-90 breathing (feet on a wall, box, bench or couch) is the bridge's regression: with the wall
    assumed it is the swap; for someone who said no_wall, and has none of the others, it is not."""
    painful = sessions_of([log(23, BRIDGE, hold=None, after=6)])
    swapped = {}
    for equipment in (["mini_band"], ["mini_band", "no_wall"]):
        workout = generate(catalogue, WorkoutQuery(goal=Goal.rehab, equipment=equipment), 0)
        position = [i.exercise.slug for i in workout.items].index(BRIDGE)
        adapted = adapt(workout, painful, [], catalogue, today=TODAY)
        assert position >= 0
        (item,) = [i for i in adapted.items if origin(i) == BRIDGE]
        swapped[len(equipment)] = (item.exercise.slug, item.exercise.equipment, item.adaptation.action.value)
    assert swapped[1] == ("ninety-ninety-breathing", [Equipment.wall], "swap")
    assert swapped[2] == (BRIDGE, [], "regress")


def test_the_readmes_rules_table_is_the_generated_one() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start, end = readme.index("<!-- rules:start -->\n"), readme.index("<!-- rules:end -->")
    assert readme[start + len("<!-- rules:start -->\n") : end] == markdown()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries, pain_level=st.integers(4, 10), seed=st.integers(0, 100), data=st.data())
def test_adaptation_applies_on_top_of_the_pain_grade(
    query: WorkoutQuery, pain_level: int, seed: int, data: st.DataObject, catalogue: Catalogue
) -> None:
    """From 4/10 (a bottom-dose grade) nothing the history asks for lifts a dose above the graded plan or
    brings in work more intense than the grade allows; from 8/10 (no session) adaptation adds nothing."""
    query = query.model_copy(update={"pain_level": pain_level})
    try:
        workout = generate(catalogue, query, seed)
    except WorkoutImpossible:
        assume(False)
        raise
    # A referral has no items to link from: its history is of any exercises, and must change nothing.
    history, checkins = data.draw(histories(linked(workout, catalogue) or [e.slug for e in catalogue.exercises]))
    adapted = adapt(workout, history, checkins, catalogue, today=TODAY)
    graded = grade(pain_level)
    assert graded.bottom_dose
    if not graded.session:
        assert (workout.items, adapted.items, adapted.referral) == ([], [], workout.referral)
        return
    assert_fitted(workout, adapted, query)
    by_slug = {i.exercise.slug: i for i in workout.items}
    for item in adapted.items:
        plain = by_slug[origin(item)]
        adaptation = item.adaptation
        assert adaptation.action.value != "progress", adaptation.reason
        exercise = catalogue.by_slug[item.exercise.slug]
        assert graded.allows(exercise.intensity), (exercise.slug, exercise.intensity, pain_level)
        if adaptation.to.exercise == plain.exercise.slug:  # the same exercise: never above the graded plan
            assert not above(adaptation.to, planned(plain.exercise.slug, plain.dose)), adaptation.reason
        else:  # a swap: its easier variant, at the bottom of its range
            span = exercise.goal_doses.get(query.goal, exercise.dose)
            assert adaptation.action.value == "swap" and adaptation.to.sets == max(1, span.sets.min)


# ------------------------------------------------------------ fitted to the time again


def test_a_step_up_that_overruns_the_time_drops_whole_exercises_in_the_generators_order(
    catalogue: Catalogue,
) -> None:
    """Rehab in 12 minutes with no kit: prone leg lift, a stretch, the brace and the bridge, 789 s of a
    792 s budget. Two easy sessions step the leg lift up a rep: no longer fits, so the last exercise the
    generator added (the stretch, the only one outside the goal's core) goes, whole."""
    query = NO_KIT_12
    workout = generate(catalogue, query, 1)
    assert [i.exercise.slug for i in workout.items] == [PRONE, "kneeling-lunge-stretch", BRACE, BRIDGE]
    assert budget(query) - workout.estimated_seconds < 10
    adapted = adapt(workout, sessions_of([log(20, PRONE), log(23, PRONE)]), [], catalogue, today=TODAY)

    assert adapted.estimated_seconds <= budget(query)
    assert [i.exercise.slug for i in adapted.items] == [PRONE, BRACE, BRIDGE]
    assert adapted.items[0].adaptation.action.value == "progress"
    assert [i.dose for i in adapted.items[1:]] == [workout.items[2].dose, workout.items[3].dose]  # no cut
    (dropped,) = adapted.omitted[len(workout.omitted):]
    # the generator's own entry for an exercise left out for time
    assert (dropped.slug, dropped.reason) == ("kneeling-lunge-stretch", "time")
    assert dropped.name == catalogue.by_slug["kneeling-lunge-stretch"].name
    assert dropped.detail == "its full dose does not fit in the time left; it is never cut below its minimum"
    note = adapted.notes[-1]
    assert OVER_TIME.id in note and dropped.name in note and "(stepped up today)" not in note


def test_a_stepped_up_exercise_is_not_dropped_before_a_later_one(workout: Workout, catalogue: Catalogue) -> None:
    """The fixture at the top of the leg lift's reps: +5 s of hold runs over the 16 minutes' budget. The leg lift is the
    generator's first pick, so the last one it added (the clamshell) goes, and the step up is done."""
    case = next(c for c in CASES if c.id == "reps at the top: hold +5 s up to max")
    adapted = run(case, workout, catalogue)
    assert sum(i.estimated_seconds for i in adapted.items) <= budget(QUERY) < sum(
        i.estimated_seconds for i in adapted.items) + workout.items[-1].estimated_seconds
    assert [i.exercise.slug for i in adapted.items] == [i.exercise.slug for i in workout.items[:-1]]
    assert adapted.items[0].adaptation.action.value == "progress"
    assert [o.slug for o in adapted.omitted if o.reason is OmitReason.time] == [CLAM]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(minutes=st.integers(5, 60), pain_level=st.sampled_from([0, 4, 6, 7]), seed=st.integers(0, 100),
       data=st.data())
def test_adapted_sessions_stay_within_the_minutes_and_the_pain_cap(
    minutes: int, pain_level: int, seed: int, data: st.DataObject, catalogue: Catalogue
) -> None:
    """The fixture's kit at any length and pain level, with any history of its exercises and their links:
    never over the budget (at 6-7/10, 15 minutes whatever was asked), gentle-only kept."""
    query = QUERY.model_copy(update={"minutes": minutes, "pain_level": pain_level})
    workout = generate(catalogue, query, seed)
    history, checkins = data.draw(histories(linked(workout, catalogue)))
    adapted = adapt(workout, history, checkins, catalogue, today=TODAY)
    assert_fitted(workout, adapted, query)
    if grade(pain_level).max_minutes is not None:
        assert adapted.estimated_seconds <= 15 * 60 * 110 // 100
        assert all(catalogue.by_slug[i.exercise.slug].intensity is Intensity.gentle for i in adapted.items)


def test_two_logs_at_the_same_instant_are_read_in_one_order(workout: Workout, catalogue: Catalogue) -> None:
    """Same performed_at, one easy and one that hurt: the order they come in (a body's, the store's ids)
    must not decide which is "the last session"."""
    easy, painful = log(20, PRONE), log(23, PRONE, after=7)
    twin = log(23, PRONE)
    answers = [
        adapt(workout, recent(sessions_of(logs), TODAY), [], catalogue, today=TODAY)
        for logs in ([easy, painful, twin], [easy, twin, painful], [twin, painful, easy])
    ]
    assert answers[0] == answers[1] == answers[2]
    assert [recent(sessions_of(logs), TODAY) for logs in ([painful, twin], [twin, painful])] == [
        recent(sessions_of([painful, twin]), TODAY)
    ] * 2


@pytest.mark.parametrize("equipment", [["no_wall"], ["mini_band", "no_wall", "bench"], ["none", "no_wall"], []])
def test_the_parameters_echo_the_wall_opt_out_so_they_replay_the_workout(
    equipment: list[str], catalogue: Catalogue
) -> None:
    workout = generate(catalogue, WorkoutQuery(goal=Goal.rehab, equipment=equipment), 3)
    assert ("no_wall" in workout.parameters.equipment) == ("no_wall" in equipment)
    replay = generate(catalogue, WorkoutQuery.model_validate(workout.parameters.model_dump()), workout.seed)
    assert replay == workout
    assert workout.self.endswith(f"&seed={workout.seed}")
    assert query_of(workout) == WorkoutQuery.model_validate(workout.parameters.model_dump())


# ------------------------------------------------------- issue 19: the person's own data


def plan_of(query: WorkoutQuery, seed: int, catalogue: Catalogue) -> Workout | None:
    try:
        workout = generate(catalogue, query, seed)
    except WorkoutImpossible:
        return None
    return None if workout.referral is not None else workout


# The history is drawn whole before the workout is known (no st.data() after an assume).
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries, seed=st.integers(0, 100), raw=raw_histories())
def test_nothing_progresses_after_a_break_or_a_painful_session_and_a_regress_changes_something(
    query: WorkoutQuery, seed: int, raw: tuple[list[dict[str, Any]], list[CheckIn]], catalogue: Catalogue
) -> None:
    workout = plan_of(query, seed, catalogue)
    assume(workout is not None)
    assert workout is not None
    history, checkins = materialise(raw, linked(workout, catalogue))
    adapted = adapt(workout, history, checkins, catalogue, today=TODAY)
    past = [s for s in history if s.day <= TODAY]
    latest = max(past, key=lambda s: s.performed_at, default=None)
    gap = None if latest is None else (TODAY - latest.day).days
    hurt = latest is not None and (peak_pain(latest) or 0) > 5
    for item in adapted.items:
        action, before, to = item.adaptation.action.value, item.adaptation.from_, item.adaptation.to
        if (gap is not None and gap >= 14) or hurt:
            assert action != "progress", (gap, item.adaptation.reason)
            if before is not None and before.exercise == to.exercise:
                assert not above(to, before)
        if action == "regress":  # never an unchanged dose labelled regress
            assert before is not None and before != to and not above(to, before), item.adaptation
        if hurt and gap is not None and gap < 14:  # the day after (and the days after) a session above 5/10
            assert action != "new", item.adaptation.reason
        assert "?" not in item.adaptation.reason
    assert not any("?" in note for note in adapted.notes[len(workout.notes):])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries, seed=st.integers(0, 100), spike=st.integers(2, 6), minutes=st.integers(30, 90))
def test_a_deload_keeps_at_most_60_percent_of_the_plans_sets(
    query: WorkoutQuery, seed: int, spike: int, minutes: int, catalogue: Catalogue
) -> None:
    """Four steady weeks, then ``spike`` long hard sessions in the last days: the load ratio fires, and the
    session keeps at most 60% of the plan's sets (one item at least)."""
    query = query.model_copy(update={"pain_level": 0})
    workout = plan_of(query, seed, catalogue)
    assume(workout is not None and workout.items)
    assert workout is not None
    steady = [log(d, CLAM, hold=2, reps=15, session_rpe=4, minutes=20) for d in (3, 7, 10, 14, 17, 21, 24)]
    hard = [log(30 - d, CLAM, hold=2, reps=15, session_rpe=8, minutes=minutes) for d in range(spike)]
    adapted = adapt(workout, sessions_of([*steady, *hard]), [], catalogue, today=TODAY)
    load = adapted.guards[0]
    assert load.fired, load.detail
    planned_sets = sum(i.dose.sets for i in workout.items)
    kept = sum(i.dose.sets for i in adapted.items)
    assert all(i.adaptation.action.value == "deload" for i in adapted.items)
    assert kept <= planned_sets * 0.6 or (len(adapted.items) == 1 and adapted.items[0].dose.sets == 1)
    deloaded = [o for o in adapted.omitted if o.reason is OmitReason.deload]
    assert len(adapted.items) + len(deloaded) + sum(o.reason is OmitReason.time for o in adapted.omitted[
        len(workout.omitted):]) == len(workout.items)


@settings(max_examples=300, deadline=None)
@given(
    today_pain=st.one_of(st.none(), st.integers(0, 10)),
    others=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 10)), max_size=6),
    sessions=st.lists(st.tuples(st.integers(0, 5), st.one_of(st.none(), st.integers(0, 10))), max_size=4),
    asked=st.one_of(st.none(), st.integers(0, 10)),
)
def test_todays_grade_never_falls_below_todays_check_in(
    today_pain: int | None, others: list[tuple[int, int]], sessions: list[tuple[int, int | None]], asked: int | None
) -> None:
    from app.coaching.today import pain_today

    checkins = [CheckIn(TODAY - timedelta(days=back), pain) for back, pain in others]
    if today_pain is not None:
        checkins.append(CheckIn(TODAY, today_pain))
    logged = sessions_of([log(30 - back, PRONE, after=after if after is not None else 0) | (
        {"pain_after": after}) for back, after in sessions])
    found = pain_today(logged, checkins, TODAY, asked)
    todays = [c.pain for c in checkins if c.date == TODAY]
    assert found.level >= max(todays, default=0)
    if asked is not None:
        assert found.level == max([asked, *todays])
    assert found.rule in {"query-pain-level", "checkin-today-over-query", "checkin", "session-pain-after", "no-report"}
    assert "?" not in found.detail


def test_a_step_up_that_would_itself_be_dropped_for_time_waits_instead(catalogue: Catalogue) -> None:
    """Rehab in 12 minutes: the kneeling lunge stretch is the generator's last pick, with 3 s to spare.
    Stepped up, it would be the one left out, again every session (issue 19): it stays at its dose."""
    workout = generate(catalogue, NO_KIT_12, 1)
    lunge = "kneeling-lunge-stretch"
    easy = [log(d, lunge, sets=2, reps=1, hold=30) for d in (20, 23)]
    adapted = adapt(workout, sessions_of(easy), [], catalogue, today=TODAY)
    (item,) = [i for i in adapted.items if i.exercise.slug == lunge]
    assert (item.adaptation.action.value, item.adaptation.rule) == ("hold", "step-up-kept-in-time")
    assert item.adaptation.to == item.adaptation.from_
    assert not [o for o in adapted.omitted if o.reason is OmitReason.time]
    assert adapted.estimated_seconds <= budget(NO_KIT_12)
