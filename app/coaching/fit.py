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

from collections.abc import Sequence

from app.coaching.gate import Gate
from app.coaching.models import AdaptedItem
from app.coaching.rules import OVER_TIME, Action
from app.workouts.models import Omission, Workout

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
