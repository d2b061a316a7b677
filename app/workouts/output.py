"""The chosen exercises as a ``Workout``: items with doses, safety and time notes, and its JSON.

The JSON helpers split a workout's bytes where the seed starts, so the
generator can memoise everything before it (see ``generate_json``).
"""

from __future__ import annotations

import json

from app.catalogue.models import PainFlag
from app.workouts.constraints import HIGH_PAIN, Constraints
from app.workouts.goals import GoalPlan
from app.workouts.index import GoalIndex
from app.workouts.models import Omission, Prescription, TightSide, Workout, WorkoutItem
from app.workouts.selection import Chosen

UNDER = 75  # below this percent the workout says it is short

STOP_IF_PAIN = "Stop any exercise that causes or worsens pain."
SEE_A_PROFESSIONAL = "If there is no relief after a few weeks, see a doctor or physical therapist."

PAIN_AREAS = {
    PainFlag.knee: "knee",
    PainFlag.low_back: "low back",
    PainFlag.wrist: "wrist",
    PainFlag.shoulder: "shoulder",
    PainFlag.hip: "front of the hip",
    PainFlag.hip_pinch: "hip in deep flexion",
    PainFlag.pregnancy: "body in pregnancy or after birth",
}


def _item(item: Chosen, side: TightSide | None) -> WorkoutItem:
    dose = item.dose
    side_note = None
    if item.tight:
        assert side is not None
        side_note = (
            f"Your {side.value} side is tight: do one extra set on it "
            f"({item.sets + 1} sets on the {side.value}, {item.sets} on the other side)."
        )
    return WorkoutItem(
        phase=item.phase.phase.key,
        phase_title=item.phase.phase.title,
        exercise=item.entry.refs[item.option],
        dose=Prescription(
            sets=item.sets,
            reps=dose.reps,
            hold_seconds=dose.hold_seconds,
            duration_seconds=dose.duration_seconds,
            per_side=dose.per_side,
            rest_seconds=dose.rest_seconds,
            tempo=dose.tempo,
            note=dose.note,
        ),
        estimated_seconds=item.cost(),
        why=item.phase.why[item.entry.slug],
        side_note=side_note,
    )


def _safety(plan: GoalPlan, constraints: Constraints) -> list[str]:
    notes = [STOP_IF_PAIN, SEE_A_PROFESSIONAL]
    if constraints.gentle_only:
        cause = (
            f"Your pain is high ({constraints.pain_level}/10)"
            if constraints.pain_level >= HIGH_PAIN
            else "Front-of-hip pain during rehab"
        )
        notes.append(
            f"{cause}: this session keeps to gentle exercises only. Get assessed by a doctor or physical "
            "therapist before you train harder."
        )
    if constraints.pain:
        areas = " and ".join(PAIN_AREAS[f] for f in constraints.pain)
        notes.append(f"Exercises that would load your {areas} are left out (see omitted).")
    notes.extend(plan.safety)
    return notes


def _time_note(
    chosen: list[Chosen], total: int, constraints: Constraints, omitted: list[Omission], too_long: bool
) -> str:
    minutes = (total + 30) // 60
    count = len(chosen)
    told = f"about {minutes} min of the {constraints.minutes} you asked for"
    if too_long:
        cause = f"the other exercises for this goal do not fit in the time left, so {count} make {told}"
    else:
        plural = "exercise fits" if count == 1 else "exercises fit"
        cause = f"only {count} {plural} this goal with your constraints, {told}, even at their full doses"
    advice = (
        "Relaxing a constraint (see omitted) would make room for more."
        if omitted
        else "Repeat the session, or add a session for another goal."
    )
    return f"This session is short: {cause}. {advice}"


def workout(
    goal: GoalIndex,
    constraints: Constraints,
    chosen: list[Chosen],
    omitted: tuple[Omission, ...],
    too_long: bool,
    seed: int,
    version: str,
) -> Workout:
    """The chosen exercises (in the order they were added) as the workout the user sees."""
    plan = goal.plan
    chosen = sorted(chosen, key=lambda c: c.phase.number)  # stable: addition order within a phase
    items = [_item(c, constraints.tight_side) for c in chosen]
    total = sum(i.estimated_seconds for i in items)
    short = total * 100 < constraints.minutes * 60 * UNDER
    filled = {c.phase.number for c in chosen}
    notes = [
        f"Nothing for phase {p.number} ({p.phase.title.lower()}) fits your constraints (see omitted)."
        for p in goal.phases
        if not p.phase.optional and p.number not in filled
    ]
    return Workout(
        goal=plan.goal,
        title=f"{plan.title} session, {constraints.level.value}",
        parameters=constraints.parameters(),
        items=items,
        estimated_seconds=total,
        estimated_minutes=(total + 30) // 60,
        short_of_time=short,
        time_note=_time_note(chosen, total, constraints, list(omitted), too_long) if short else None,
        gentle_only=constraints.gentle_only,
        omitted=list(omitted),
        notes=notes,
        safety=_safety(plan, constraints),
        frequency=plan.frequency,
        sources=list(plan.sources),
        seed=seed,
        catalogue_version=version,
        self=constraints.link(seed),
    )


# A workout's JSON ends with these fields, in this order; ``head`` and ``tail`` split it there.
_TAIL_START = b',"seed":'


def head(model: Workout) -> bytes:
    """The workout's JSON up to (not including) its seed: the part many seeds share."""
    body = model.model_dump_json().encode()
    return body[: body.rfind(_TAIL_START)]


def tail(seed: int, version: str, link: str) -> bytes:
    """What ``head`` leaves out: seed, catalogue_version and self, closing the object as Pydantic does."""
    return _TAIL_START + b'%d,"catalogue_version":%s,"self":%s}' % (
        seed,
        json.dumps(version).encode(),
        json.dumps(link).encode(),
    )
