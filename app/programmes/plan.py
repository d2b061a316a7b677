"""The static plan: parameters -> weeks -> days -> sessions, assuming every gate passes (``build``).

The pieces are shared with ``follow``: ``layout.layout`` places the sessions in a week (the frequency rules),
``session`` generates a slot's workout with the generator, and ``dosed`` sets its doses for a week: the
coach's own step (``doses.step_up`` at the ``two-for-two`` rule's step sizes) applied ``steps`` times,
inside the catalogue's range and the generator's time budget, or half the sets for a deload.

A slot keeps its exercises from week to week (its seed comes from the programme's seed, the slot and
the rehab phase, not the week), so a week's doses step up from the same exercises the week before, and
a deload week has the same exercises, as the deload rule asks.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from app.catalogue import Catalogue
from app.catalogue.models import Goal, Kind, Role
from app.catalogue.search import MAX_LIST
from app.coaching import doses
from app.coaching.conditions import NOT_PROGRESSED
from app.coaching.gate import Gate
from app.coaching.models import DoseState
from app.coaching.rules import BY_ID as COACH_RULES
from app.programmes.layout import STRENGTH_GOALS, Layout, Slot, layout
from app.programmes.models import (
    Programme,
    ProgrammeDay,
    ProgrammeParameters,
    ProgrammeWeek,
    RuleApplied,
    Weekday,
)
from app.programmes.rules import (
    DELOAD,
    PHASE_ADVANCE,
    REHAB_NO_ISOMETRIC,
    REHAB_PHASES,
    STRETCH_MINUTES,
)
from app.workouts import Workout, WorkoutQuery, generate
from app.workouts.goals import BY_GOAL
from app.workouts.models import SEED_MAX

STEP = COACH_RULES["two-for-two"].params  # the coach's step: +1 rep, else +5 s, else +1 set
# The rehab goal's isotonic work: left out in the isometric phase (its isometric holds stay).
ISOTONIC_ROLES = frozenset({Role.dynamic, Role.rotators})


@dataclass(frozen=True)
class WeekPlan:
    """What one week is: its phase, how many steps its doses are above the phase's first week, and why."""

    week: int
    phase: str | None
    steps: int
    deload: bool
    progression: str
    stepped_from: int | None = None  # the build week this one steps up from, when it does


def step_up(week: int, phase: str | None, last_build: WeekPlan) -> WeekPlan:
    return WeekPlan(week, phase, last_build.steps + 1, False, f"steps up from week {last_build.week}", last_build.week)


def focus(params: ProgrammeParameters, slot: Slot, phase: str | None, slots: int) -> Goal:
    """The goal of a slot's session: a strength plan's non-strength days are mobility days; in the rehab
    plan's dynamic phase the week's last session is the warm-up's dynamic work, before an easy run."""
    if params.goal in STRENGTH_GOALS and not slot.strength:
        return Goal.mobility
    if params.goal is Goal.rehab and phase == REHAB_PHASES[-1] and slots >= 2 and slot.index == slots:
        return Goal.warmup
    return params.goal


def seed_of(params: ProgrammeParameters, slot: Slot, goal: Goal, phase: str | None) -> int:
    text = f"{params.seed}:{slot.index}:{goal.value}:{phase or ''}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % (SEED_MAX + 1)


@lru_cache(maxsize=8)
def _isotonic(catalogue: Catalogue) -> tuple[str, ...]:
    return tuple(
        sorted(
            e.slug
            for e in catalogue.exercises
            if e.kind is Kind.strength and ISOTONIC_ROLES & set(e.roles) and Role.isometric not in e.roles
        )
    )


@lru_cache(maxsize=8)
def _strength_work(catalogue: Catalogue) -> tuple[str, ...]:
    """The strength exercises a mobility session could choose: left out on its days without strength."""
    return tuple(
        sorted(
            {
                e.slug
                for phase in BY_GOAL[Goal.mobility].phases
                for e in catalogue.exercises
                if e.kind is Kind.strength and set(phase.roles) & set(e.roles) and e.slug not in phase.leaves_out
            }
        )
    )


def session(catalogue: Catalogue, params: ProgrammeParameters, slot: Slot, phase: str | None, slots: int) -> Workout:
    """The slot's workout as ``/workouts`` builds it (the phase's exercises for rehab; no strength work on
    a mobility day without it), at its plan doses, so its ``self`` link reproduces it. Raises the
    generator's ``WorkoutImpossible`` when the constraints leave nothing."""
    goal = focus(params, slot, phase, slots)
    exclude: list[str] = []
    if goal is Goal.rehab and phase == REHAB_PHASES[0]:
        exclude = list(_isotonic(catalogue))
    elif goal is Goal.mobility and not slot.strength:
        exclude = list(_strength_work(catalogue))
    exclude = exclude[:MAX_LIST]  # the query's own limit; the built-in catalogue needs 9 at most
    query = WorkoutQuery(
        goal=goal,
        level=params.level,
        equipment=params.equipment,
        pain=params.pain,
        minutes=params.minutes,
        exclude=exclude,
    )
    return generate(catalogue, query, seed_of(params, slot, goal, phase))


def half_sets(sets: int) -> int:
    """About half (rounded half up), at least one: the deload rule's size."""
    return max(int(DELOAD.params["sets_at_least"]), math.floor(sets * DELOAD.params["sets_fraction"] + 0.5))


def dosed(catalogue: Catalogue, workout: Workout, steps: int, deload: bool, note: str | None) -> Workout:
    """``workout`` with every exercise the coach trains harder stepped up ``steps`` times (most important
    first; a step that would not fit the generator's time budget waits), then halved for a deload."""
    if workout.referral is not None or (steps == 0 and not deload):
        return workout
    gate = Gate(catalogue, workout)
    states = [doses.planned(item.exercise.slug, item.dose) for item in workout.items]
    seconds = [item.estimated_seconds for item in workout.items]
    rank = {slug: n for n, slug in enumerate(gate.priority())}
    order = sorted(range(len(states)), key=lambda n: rank.get(states[n].exercise, len(rank)))
    for _ in range(steps):
        moved = False
        for n in order:
            slug = states[n].exercise
            if catalogue.by_slug[slug].kind in NOT_PROGRESSED:
                continue
            up = doses.step_up(states[n], gate.dose_range(slug), int(STEP["rep_step"]), int(STEP["hold_step_seconds"]))
            if up is None:
                continue
            cost = gate.prescription(up, tight=False)[1]
            if sum(seconds) - seconds[n] + cost <= gate.budget:
                states[n], seconds[n], moved = up, cost, True
        if not moved:
            break
    if deload:
        states = [s.model_copy(update={"sets": half_sets(s.sets)}) for s in states]
    items = []
    for item, state in zip(workout.items, states, strict=True):
        if state == doses.planned(item.exercise.slug, item.dose):
            items.append(item)
            continue
        dose, cost = gate.prescription(state, tight=False)
        items.append(item.model_copy(update={"dose": dose, "estimated_seconds": cost}))
    total = sum(item.estimated_seconds for item in items)
    notes = [*workout.notes, *([note] if note else [])]
    return workout.model_copy(
        update={"items": items, "estimated_seconds": total, "estimated_minutes": (total + 30) // 60, "notes": notes}
    )


def dose_of(state: DoseState) -> str:
    return doses.describe(state)


def static_weeks(params: ProgrammeParameters) -> list[WeekPlan]:
    """Every week as it goes when every gate passes: a step a build week, a deload every
    ``deload_every``-th week, and for rehab a new phase at each phase's 2-week minimum."""
    plans: list[WeekPlan] = []
    phase_start = 1
    phase = REHAB_PHASES[0] if params.goal is Goal.rehab else None
    last_build: WeekPlan | None = None
    for week in range(1, params.weeks + 1):
        if (
            phase is not None
            and full_weeks(plans, phase_start) >= PHASE_ADVANCE.params["weeks_at_least"]
            and REHAB_PHASES.index(phase) < len(REHAB_PHASES) - 1
        ):
            phase, phase_start, last_build = REHAB_PHASES[REHAB_PHASES.index(phase) + 1], week, None
            plans.append(WeekPlan(week, phase, 0, False, f"first week of the {phase} phase: the plan's doses"))
            last_build = plans[-1]
            continue
        if is_deload(params, week) and last_build is not None:
            plans.append(deload_week(week, phase, last_build))
            continue
        if last_build is None:
            plan = WeekPlan(week, phase, 0, False, "first week: the plan's doses")
        else:
            plan = step_up(week, phase, last_build)
        plans.append(plan)
        last_build = plan
    return plans


def full_weeks(plans: list[WeekPlan], phase_start: int) -> int:
    """The phase's weeks so far that were not deloads: a half-dose week shows nothing about tolerating the
    phase's load, so it does not count towards the phase's 2-week minimum."""
    return sum(1 for plan in plans if plan.week >= phase_start and not plan.deload)


def is_deload(params: ProgrammeParameters, week: int) -> bool:
    return params.deload_every > 0 and week % params.deload_every == 0


def deload_week(week: int, phase: str | None, last_build: WeekPlan) -> WeekPlan:
    return WeekPlan(
        week, phase, last_build.steps, True, f"deload: about half the sets of week {last_build.week}, no progression"
    )


class Sessions:
    """Each slot's workout, generated once per (slot, phase) and dosed once per (steps, deload), with the
    coach's ``Gate`` of each. Shared by every request for one programme (``sessions_for``): its answers
    depend on nothing else, and a person's ``today`` replays the same weeks again and again."""

    def __init__(self, catalogue: Catalogue, params: ProgrammeParameters, slots: tuple[Slot, ...]) -> None:
        self.catalogue, self.params, self.slots = catalogue, params, slots
        self._plain: dict[tuple[int, str | None], Workout] = {}
        self._dosed: dict[tuple[int, str | None, int, bool], Workout] = {}
        self._gates: dict[tuple[int, str | None, int, bool], Gate] = {}

    def plain(self, slot: Slot, phase: str | None) -> Workout:
        key = (slot.index, phase)
        if key not in self._plain:
            self._plain[key] = session(self.catalogue, self.params, slot, phase, len(self.slots))
        return self._plain[key]

    def at(self, slot: Slot, plan: WeekPlan) -> Workout:
        key = (slot.index, plan.phase, plan.steps, plan.deload)
        if key not in self._dosed:
            note = None
            if plan.steps or plan.deload:
                note = (
                    f"Programme doses: {plan.steps} step(s) up from this session's first week"
                    + (", then about half the sets (a deload week)" if plan.deload else "")
                    + "; `self` gives the session at its first week's doses."
                )
            self._dosed[key] = dosed(self.catalogue, self.plain(slot, plan.phase), plan.steps, plan.deload, note)
        return self._dosed[key]

    def gate(self, slot: Slot, plan: WeekPlan) -> Gate:
        key = (slot.index, plan.phase, plan.steps, plan.deload)
        if key not in self._gates:
            self._gates[key] = Gate(self.catalogue, self.at(slot, plan))
        return self._gates[key]


@lru_cache(maxsize=256)
def _shared(catalogue: Catalogue, params_json: str) -> Sessions:
    params = ProgrammeParameters.model_validate_json(params_json)
    return Sessions(catalogue, params, layout(params).slots)


def sessions_for(catalogue: Catalogue, params: ProgrammeParameters) -> Sessions:
    """The programme's ``Sessions``, one per (catalogue, parameters) for the process (256 kept)."""
    return _shared(catalogue, params.model_dump_json())


def render(
    params: ProgrammeParameters,
    lay: Layout,
    plans: list[WeekPlan],
    sessions: Sessions,
    week_start: Callable[[int], date] | None = None,
) -> list[ProgrammeWeek]:
    by_offset = {slot.offset: slot for slot in lay.slots}
    weeks = []
    for plan in plans:
        first = week_start(plan.week) if week_start else params.start + timedelta(days=7 * (plan.week - 1))
        days = []
        for offset in range(7):
            day = first + timedelta(days=offset)
            slot = by_offset.get(offset)
            if slot is None:
                days.append(
                    ProgrammeDay(date=day, weekday=Weekday.of(day), rest=True, focus=None, session=None, index=None)
                )
                continue
            workout = sessions.at(slot, plan)
            days.append(
                ProgrammeDay(
                    date=day, weekday=Weekday.of(day), rest=False, focus=workout.goal, session=workout, index=slot.index
                )
            )
        weeks.append(
            ProgrammeWeek(
                week=plan.week, deload=plan.deload, phase=plan.phase, progression=told(plan, lay, sessions), days=days
            )
        )
    return weeks


def told(plan: WeekPlan, lay: Layout, sessions: Sessions) -> str:
    """The week's progression as it turned out: a step up where every dose is already at the top of its
    range, or a step would not fit the session's minutes (rule ``step-fits-session``), moves nothing."""
    if plan.stepped_from is None:
        return plan.progression
    below = WeekPlan(plan.week, plan.phase, plan.steps - 1, False, "")
    if any(sessions.at(slot, plan).items != sessions.at(slot, below).items for slot in lay.slots):
        return plan.progression
    return (
        f"the same doses as week {plan.stepped_from}: each exercise is at the top of its range, or a step "
        "would make the session longer than its minutes"
    )


def stretch_seconds(week: ProgrammeWeek, catalogue: Catalogue) -> int:
    """The week's hip-flexor stretch holds, in seconds a side (a two-sided stretch counts for each side)."""
    total = 0
    for day in week.days:
        for item in day.session.items if day.session else []:
            if catalogue.by_slug[item.exercise.slug].kind is not Kind.stretch:
                continue
            dose = item.dose
            each = dose.hold_seconds if dose.hold_seconds is not None else dose.duration_seconds or 0
            total += dose.sets * (dose.reps or 1) * each
    return total


def build_rules(
    params: ProgrammeParameters, lay: Layout, weeks: list[ProgrammeWeek], catalogue: Catalogue
) -> list[RuleApplied]:
    """The rules that shaped the plan as a whole: the layout's, then the mobility plan's weekly minutes
    (deload weeks not counted: they are lighter by design), then a rehab isometric phase without its holds."""
    rules = list(lay.rules)
    build_weeks = [week for week in weeks if not week.deload]
    if params.goal is Goal.mobility and build_weeks:
        least = min(stretch_seconds(week, catalogue) for week in build_weeks)
        if least < STRETCH_MINUTES.params["seconds_per_side_at_least"]:
            rules.append(RuleApplied(id=STRETCH_MINUTES.id, text=STRETCH_MINUTES.reason.format(seconds=least)))
    isometric = [day.session for week in weeks if week.phase == REHAB_PHASES[0] for day in week.days if day.session]
    if isometric and not any(
        Role.isometric in catalogue.by_slug[item.exercise.slug].roles for session in isometric for item in session.items
    ):
        rules.append(RuleApplied(id=REHAB_NO_ISOMETRIC.id, text=REHAB_NO_ISOMETRIC.reason))
    return rules


def build(catalogue: Catalogue, params: ProgrammeParameters) -> Programme:
    """The whole plan for ``params``, every gate passing; the same inputs give the same bytes.
    Raises the generator's ``WorkoutImpossible`` when a session's constraints leave nothing."""
    lay = layout(params)
    weeks = render(params, lay, static_weeks(params), sessions_for(catalogue, params))
    return Programme(parameters=params, rules=build_rules(params, lay, weeks, catalogue), weeks=weeks)
