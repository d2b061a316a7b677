"""Fit an adapted session into the time again: ``fit(...)``, rule ``rules.OVER_TIME``.

A progression (a rep, 5 s of hold, a set) or a swap changes an item's time,
so the adapted session can run past what the generator fitted it into: the
minutes asked for, capped by the pain grade, plus 10% (``Gate.budget``).
Then it is fitted again the generator's way, with the generator's own code
(``Gate.refit``: whole exercises in priority order, each kept only if it
still fits): nothing is cut short, whole exercises go to ``omitted`` with
reason ``time``. The priority is the generator's (``Gate.priority``: the
order it added them, its core first), whatever the adaptation: dropping a
stepped-up exercise first would drop it again next session, its history
unchanged, and its progression would never be done (our rule, data in
``rules.OVER_TIME``). Adaptations themselves stay as they were decided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.coaching.gate import Gate
from app.coaching.models import Adaptation, AdaptedItem, DoseState
from app.coaching.rules import Action
from app.coaching.session_rules import DELOAD, KEEP_STEP, OVER_TIME
from app.workouts.models import Omission, OmitReason, Workout, WorkoutItem

STEPPED_UP = " (stepped up today)"


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def fit(
    workout: Workout, items: list[AdaptedItem], gate: Gate
) -> tuple[list[AdaptedItem], list[Omission], str | None]:
    """(the items kept, in the workout's order; those dropped, as ``omitted`` entries; the note saying so).

    ``items`` are ``workout.items`` adapted, position by position. Within budget nothing changes.
    """
    total = sum(item.estimated_seconds for item in items)
    if total <= gate.budget:
        return items, [], None
    rank = {slug: position for position, slug in enumerate(gate.priority())}
    by_priority = sorted(range(len(items)), key=lambda p: rank[workout.items[p].exercise.slug])
    kept = gate.refit([items[p].estimated_seconds for p in by_priority])
    dropped = sorted(p for p, keep in zip(by_priority, kept, strict=True) if not keep)
    if not dropped:  # unreachable: over budget means something does not fit
        return items, [], None
    omitted = [gate.time_omission(items[p].exercise.slug) for p in dropped]
    names = [
        o.name + (STEPPED_UP if items[p].adaptation.action is Action.progress else "")
        for p, o in zip(dropped, omitted, strict=True)
    ]
    note = OVER_TIME.reason.format(
        minutes=(total + 30) // 60,
        asked=gate.constraints.session_minutes,
        dropped=_names(names),
        order=f"rule `{OVER_TIME.id}`: the generator's order, the goal's core last",
    )
    gone = set(dropped)
    return [item for p, item in enumerate(items) if p not in gone], omitted, note


def deload(
    workout: Workout, items: list[AdaptedItem], gate: Gate
) -> tuple[list[AdaptedItem], list[Omission], str | None]:
    """Whole items leave, the generator's least important first, until the session has at most
    ``DELOAD``'s share of the plan's sets (one item at least)."""
    if not any(item.adaptation.action is Action.deload for item in items):
        return items, [], None
    planned = sum(item.dose.sets for item in workout.items)
    limit = int(planned * DELOAD.params["sets_kept_at_most"])
    rank = {slug: position for position, slug in enumerate(gate.priority())}
    kept = list(items)
    dropped: list[AdaptedItem] = []
    while len(kept) > 1 and sum(item.dose.sets for item in kept) > limit:
        last = max(kept, key=lambda item: rank.get(item.exercise.slug, len(rank)))
        kept.remove(last)
        dropped.append(last)
    omitted = [
        Omission(slug=i.exercise.slug, name=i.exercise.name, reason=OmitReason.deload, detail=i.adaptation.reason)
        for i in dropped
    ]
    names = ", ".join(i.exercise.name for i in dropped) or "nothing"
    note = DELOAD.reason.format(sets=sum(i.dose.sets for i in kept), planned=planned, dropped=names)
    return kept, omitted, note


Dosed = Callable[[WorkoutItem, DoseState, Adaptation], AdaptedItem]  # an item at a dose, as adapt makes it


def _held(dosed: Dosed, item: AdaptedItem, original: WorkoutItem) -> AdaptedItem:
    """A stepped-up item back at the dose done last time (``KEEP_STEP``)."""
    before = item.adaptation.from_
    assert before is not None  # a progression has a history
    reason = KEEP_STEP.reason.format(name=original.exercise.name)
    adaptation = Adaptation(action=Action.hold, rule=KEEP_STEP.id, reason=reason, from_=before, to=before)
    return dosed(original, before, adaptation)


def fit_keeping_steps(
    workout: Workout, gate: Gate, items: list[AdaptedItem], dosed: Dosed
) -> tuple[list[AdaptedItem], list[Omission], str | None]:
    """``fit``, but a step up that would itself be left out for time waits instead (``KEEP_STEP``): held at
    its last dose, and the session fitted again. Dropped, it would be dropped again next session (its
    history unchanged, it steps up again), and it would never be done. Another exercise left out so that
    a step up fits is the generator's order at work (``OVER_TIME``), as before."""
    originals = {item.exercise.slug: item for item in workout.items}
    kept, dropped, note = fit(workout, items, gate)
    gone = {o.slug for o in dropped}
    stepped = [i for i in items if i.adaptation.action is Action.progress and i.exercise.slug in gone]
    if not stepped:
        return kept, dropped, note
    again = []
    for item in items:
        before = item.adaptation.from_
        held = item in stepped and before is not None
        again.append(_held(dosed, item, originals[before.exercise]) if held and before is not None else item)
    return fit(workout, again, gate)
