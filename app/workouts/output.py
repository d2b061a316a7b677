"""The chosen exercises as a ``Workout``: items with doses, safety and time notes, and its JSON.

The JSON helpers split a workout's bytes where the seed starts, so the
generator can memoise everything before it (see ``generate_json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from app.catalogue.models import Intensity, PainFlag
from app.workouts.constraints import Constraints
from app.workouts.goals import GoalPlan
from app.workouts.index import Entry, GoalIndex
from app.workouts.models import Omission, Prescription, TightSide, Workout, WorkoutItem
from app.workouts.screening import referral as referral_for
from app.workouts.selection import Chosen
from app.workouts.wording import EN, say

UNDER = 75  # below this percent the workout says it is short

STOP_IF_PAIN = EN["stop_if_pain"]
SEE_A_PROFESSIONAL = EN["see_a_professional"]


def _item(item: Chosen, side: TightSide | None, table: Mapping[str, str]) -> WorkoutItem:
    dose = item.dose
    why = item.phase.why[item.entry.slug]
    side_note = None
    if item.tight:
        assert side is not None
        side_note = say(table, "side_note", side=table[f"side.{side.value}"], more=item.sets + 1, sets=item.sets)
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
        why=why if item.adjusted is None else f"{why} {item.adjusted}",
        side_note=side_note,
    )


def _safety(plan: GoalPlan, constraints: Constraints, table: Mapping[str, str]) -> list[str]:
    notes = [say(table, "stop_if_pain"), say(table, "see_a_professional")]
    grade = constraints.grade
    if grade.id != "as-prescribed":
        label = table[f"grade.{grade.id}.label"]
        parts = [
            say(
                table,
                "grade.note",
                pain_level=constraints.pain_level,
                label=label[:1].lower() + label[1:],  # mid-sentence; German nouns after it keep their capitals
                grade=grade.id,
                effect=table[f"grade.{grade.id}.effect"],
            )
        ]
        if constraints.session_minutes < constraints.minutes:
            parts.append(
                say(table, "grade.cut", minutes=constraints.minutes, session_minutes=constraints.session_minutes)
            )
        if constraints.tight_side is not None:
            parts.append(say(table, "grade.no_extra_set"))
        notes.append(" ".join([*parts, table[f"grade.{grade.id}.reason"]]))
    if constraints.hip_rehab and grade.allows(Intensity.moderate):
        notes.append(say(table, "gentle", cause=say(table, "gentle.rehab")))
    if constraints.pain:
        areas = table["join.and"].join(table[f"area.{f.value}"] for f in constraints.pain)
        notes.append(say(table, "pain_areas", areas=areas))
    notes.extend(plan.safety)
    return notes


def _time_note(
    chosen: list[Chosen],
    total: int,
    constraints: Constraints,
    omitted: list[Omission],
    too_long: bool,
    table: Mapping[str, str],
) -> str:
    minutes = (total + 30) // 60
    count = len(chosen)
    told = say(table, "short.told", minutes=minutes, asked=constraints.session_minutes)  # the safety note says why
    if too_long:
        cause = say(table, "short.too_long", count=count, told=told)
    else:
        cause = say(table, "short.few.one" if count == 1 else "short.few.other", count=count, told=told)
    advice = say(table, "short.relax" if omitted else "short.repeat")
    if PainFlag.pregnancy in constraints.pain:
        # Honest about why (issue 19): the catalogue has no side-lying, seated or standing alternatives yet.
        advice = say(table, "short.pregnancy")
    return say(table, "short", cause=cause, advice=advice)


def workout(
    goal: GoalIndex,
    constraints: Constraints,
    chosen: list[Chosen],
    ruled_out: tuple[Omission, ...],
    no_time: list[Entry],
    too_long: bool,
    seed: int,
    version: str,
) -> Workout:
    """The chosen exercises (in the order they were added) as the workout the user sees."""
    plan = goal.plan
    omitted = [*ruled_out, *(e.time for e in no_time)]
    chosen = sorted(chosen, key=lambda c: c.phase.number)  # stable: addition order within a phase
    table = goal.words
    items = [_item(c, constraints.tight_side, table) for c in chosen]
    total = sum(i.estimated_seconds for i in items)
    short = total * 100 < constraints.session_minutes * 60 * UNDER
    filled = {c.phase.number for c in chosen}
    lower = table is EN  # English runs the phase title into the sentence in lower case
    notes = [
        say(table, "phase_empty", number=p.number, phase=p.phase.title.lower() if lower else p.phase.title)
        for p in goal.phases
        if not p.phase.optional and p.number not in filled
    ]
    return Workout(
        goal=plan.goal,
        title=say(table, "title", goal=plan.title, level=table[f"level.{constraints.level.value}"]),
        parameters=constraints.parameters(),
        items=items,
        estimated_seconds=total,
        estimated_minutes=(total + 30) // 60,
        short_of_time=short,
        time_note=_time_note(chosen, total, constraints, omitted, too_long, table) if short else None,
        gentle_only=constraints.gentle_only,
        pain_grade=constraints.grade.id,
        referral=None,
        omitted=omitted,
        notes=notes,
        safety=_safety(plan, constraints, table),
        frequency=plan.frequency,
        sources=list(plan.sources),
        seed=seed,
        catalogue_version=version,
        self=constraints.link(seed),
    )


def referral(goal: GoalIndex, constraints: Constraints, seed: int, version: str) -> Workout:
    """No session: what was reported and whom to see, in the workout's shape with no items."""
    plan, table = goal.plan, goal.words
    referral = referral_for(constraints.red_flags, constraints.grade, constraints.pain_level, table)
    assert referral is not None  # only called when ``constraints.referral``
    return Workout(
        goal=plan.goal,
        title=say(table, "referral.title", goal=plan.title.lower() if table is EN else plan.title),
        parameters=constraints.parameters(),
        items=[],
        estimated_seconds=0,
        estimated_minutes=0,
        short_of_time=False,
        time_note=None,
        gentle_only=constraints.gentle_only,
        pain_grade=constraints.grade.id,
        referral=referral,
        omitted=[],
        notes=[],
        safety=[referral.advice, *(f"{cause.text} {cause.why}" for cause in referral.causes)],
        frequency=plan.frequency,
        sources=[],
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
    return seed_fields(seed, version, link) + b"}"


def seed_fields(seed: int, version: str, link: str) -> bytes:
    """Seed, catalogue_version and self as Pydantic writes them, from the comma before them: in a workout's JSON
    (and an adapted workout's, whose own fields follow them) the only bytes that differ between seeds of one
    tie-broken order (``generator.variant``)."""
    return _TAIL_START + b'%d,"catalogue_version":%s,"self":%s' % (
        seed,
        json.dumps(version).encode(),
        json.dumps(link).encode(),
    )


class Tail:
    """``tail`` for the many seeds of one query, whose ``self`` links differ only in the seed: all but the seed's
    digits encoded once. ``link_before_seed``: the link up to and including ``seed=``."""

    def __init__(self, version: str, link_before_seed: str) -> None:
        # (JSON escapes character by character, and digits need none: the link's encoding ends where they start)
        self.middle = b',"catalogue_version":%s,"self":%s' % (
            json.dumps(version).encode(),
            json.dumps(link_before_seed).encode()[:-1],
        )

    def __call__(self, seed: int) -> bytes:
        return b'%s%d%s%d"}' % (_TAIL_START, seed, self.middle, seed)
