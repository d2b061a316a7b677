"""Where a programme's sessions fall in its week, and on which days strength work is allowed: the
frequency rules (``rules.STRENGTH_DAYS``, ``STRENGTH_APART``, ``STRENGTH_FEW``, ``MOBILITY_DAYS``,
``MOBILITY_STRENGTH``) as one pure function, ``layout``."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from app.catalogue.models import Goal
from app.programmes.models import WEEKDAYS, ProgrammeParameters, RuleApplied, Weekday
from app.programmes.rules import (
    MOBILITY_DAYS,
    MOBILITY_STRENGTH,
    STRENGTH_APART,
    STRENGTH_DAYS,
    STRENGTH_FEW,
)

STRENGTH_GOALS = frozenset({Goal.strength, Goal.balanced, Goal.posture})


@dataclass(frozen=True)
class Slot:
    """A session's place in every week: days after the week's first day, its number, and whether strength
    work is allowed that day (the frequency rules: at most 3 days a week, never two in a row)."""

    offset: int
    index: int
    strength: bool


@dataclass(frozen=True)
class Layout:
    slots: tuple[Slot, ...]
    rules: tuple[RuleApplied, ...]


def _offsets(params: ProgrammeParameters) -> list[int]:
    if params.weekdays is not None:
        first = params.start.weekday()
        return sorted((day.number - first) % 7 for day in params.weekdays)
    count = params.days_per_week
    return [i * 7 // count for i in range(count)]  # spread: 3 days are 0, 2, 4


def _apart(offsets: tuple[int, ...]) -> bool:
    """No two on consecutive days, the week's last day and the next week's first included."""
    taken = set(offsets)
    return all((o + 1) % 7 not in taken for o in offsets) if len(taken) < 7 else False


def _strength_days(offsets: list[int], most: int) -> tuple[int, ...]:
    """The most days (up to ``most``) with none consecutive; on a tie, the earliest."""
    for size in range(min(most, len(offsets)), 0, -1):
        for chosen in itertools.combinations(offsets, size):
            if size == 1 or _apart(chosen):
                return chosen
    return ()


def _names(days: list[str]) -> str:
    return days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]


def layout(params: ProgrammeParameters) -> Layout:
    """Where the week's sessions fall, and which are strength days (the frequency rules)."""
    offsets = _offsets(params)
    rules: list[RuleApplied] = []
    weekday = {o: WEEKDAYS[(params.start.weekday() + o) % 7] for o in offsets}
    if params.goal is Goal.mobility:
        if params.days_per_week < MOBILITY_DAYS.params["days_at_least"]:
            text = MOBILITY_DAYS.reason.format(days=params.days_per_week, **MOBILITY_DAYS.params)
            rules.append(RuleApplied(id=MOBILITY_DAYS.id, text=text))
        strong = set(_strength_days(offsets, int(MOBILITY_STRENGTH.params["days_at_most"])))
        rest = [o for o in offsets if o not in strong]
        if rest:
            names = _names([_day_name(weekday[o]) for o in rest])
            rules.append(
                RuleApplied(
                    id=MOBILITY_STRENGTH.id,
                    text=MOBILITY_STRENGTH.reason.format(days=names, **MOBILITY_STRENGTH.params),
                )
            )
        return Layout(tuple(Slot(o, i + 1, o in strong) for i, o in enumerate(offsets)), tuple(rules))
    if params.goal not in STRENGTH_GOALS:  # rehab and warm-up: daily is allowed
        return Layout(tuple(Slot(o, i + 1, True) for i, o in enumerate(offsets)), tuple(rules))
    most = int(STRENGTH_DAYS.params["days_at_most"])
    strong = set(_strength_days(offsets, most))
    rest = [o for o in offsets if o not in strong]
    if rest:
        names = _names([_day_name(weekday[o]) for o in rest])
        if len(offsets) > most:
            text = STRENGTH_DAYS.reason.format(
                extra=len(rest),
                days=len(offsets),
                mobility=names,
                verb="is" if len(rest) == 1 else "are",
                what="a mobility day" if len(rest) == 1 else "mobility days",
                **STRENGTH_DAYS.params,
            )
            rules.append(RuleApplied(id=STRENGTH_DAYS.id, text=text))
        else:
            text = STRENGTH_APART.reason.format(mobility=names, verb="is" if len(rest) == 1 else "are")
            text = text.replace("mobility days", "a mobility day") if len(rest) == 1 else text
            rules.append(RuleApplied(id=STRENGTH_APART.id, text=text))
    if len(strong) < STRENGTH_FEW.params["days_at_least"]:
        text = STRENGTH_FEW.reason.format(days=len(strong), **STRENGTH_FEW.params)
        rules.append(RuleApplied(id=STRENGTH_FEW.id, text=text))
    return Layout(tuple(Slot(o, i + 1, o in strong) for i, o in enumerate(offsets)), tuple(rules))


def _day_name(day: Weekday) -> str:
    return {
        "mon": "Monday",
        "tue": "Tuesday",
        "wed": "Wednesday",
        "thu": "Thursday",
        "fri": "Friday",
        "sat": "Saturday",
        "sun": "Sunday",
    }[day.value]
