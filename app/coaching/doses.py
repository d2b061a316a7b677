"""Dose arithmetic for adaptation: where the user is, one step up, one step down.

A dose here is a ``DoseState``: sets, and per set reps, a hold or a duration.
Every result is clamped into the catalogue's range for the goal, so
adaptation never doses below an exercise's minimum or above its maximum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from app.catalogue.models import Dose
from app.coaching.history import SetDone
from app.coaching.models import DoseState
from app.workouts.models import Prescription


class Span(Protocol):
    """A catalogue range (read-only, as the frozen models are)."""

    @property
    def min(self) -> int: ...

    @property
    def max(self) -> int: ...


def _clamp(value: int | None, span: Span | None) -> int | None:
    if span is None:
        return None
    return span.min if value is None else min(span.max, max(span.min, value))


def clamp(state: DoseState, span: Dose) -> DoseState:
    return DoseState(
        exercise=state.exercise,
        sets=_clamp(state.sets, span.sets) or 1,
        reps=_clamp(state.reps, span.reps),
        hold_seconds=_clamp(state.hold_seconds, span.hold_seconds),
        duration_seconds=_clamp(state.duration_seconds, span.duration_seconds),
    )


def bottom(slug: str, span: Dose) -> DoseState:
    """The bottom of every range: a deload, or the first session of a new variant."""
    return DoseState(
        exercise=slug,
        sets=max(1, span.sets.min),
        reps=None if span.reps is None else span.reps.min,
        hold_seconds=None if span.hold_seconds is None else span.hold_seconds.min,
        duration_seconds=None if span.duration_seconds is None else span.duration_seconds.min,
    )


def lowest(a: DoseState, b: DoseState) -> DoseState:
    """Each part at the lower of the two (a part one of them lacks is taken from ``a``)."""

    def low(x: int | None, y: int | None) -> int | None:
        return x if y is None or x is None else min(x, y)

    return DoseState(
        exercise=a.exercise,
        sets=min(a.sets, b.sets),
        reps=low(a.reps, b.reps),
        hold_seconds=low(a.hold_seconds, b.hold_seconds),
        duration_seconds=low(a.duration_seconds, b.duration_seconds),
    )


def planned(slug: str, dose: Prescription) -> DoseState:
    return DoseState(
        exercise=slug,
        sets=dose.sets,
        reps=dose.reps,
        hold_seconds=dose.hold_seconds,
        duration_seconds=dose.duration_seconds,
    )


def performed(slug: str, sets: Sequence[SetDone], span: Dose, plan: DoseState) -> DoseState:
    """What the user did last time, read cautiously: the smallest set counts, per side.

    A timed exercise is logged as a hold, so a hold stands for its duration.
    What the log does not say (reps of a hold-only log, say) is taken from the plan.
    """
    count: dict[str, int] = {}
    for done in sets:
        side = done.side if done.side in ("left", "right") else "one"
        count[side] = count.get(side, 0) + 1
    number = count.get("one", 0) + max(count.get("left", 0), count.get("right", 0))
    finished = [s for s in sets if s.completed] or list(sets)
    reps = min((s.reps for s in finished if s.reps is not None), default=None)
    holds = min((s.hold_seconds for s in finished if s.hold_seconds is not None), default=None)
    state = DoseState(
        exercise=slug,
        sets=number,
        reps=reps if reps is not None else plan.reps,
        hold_seconds=(holds if holds is not None else plan.hold_seconds) if span.duration_seconds is None else None,
        duration_seconds=(holds if holds is not None else plan.duration_seconds) if span.duration_seconds else None,
    )
    return clamp(state, span)


def step_up(state: DoseState, span: Dose, rep_step: int, hold_step: int) -> DoseState | None:
    """Double progression extended to holds: reps, then hold time, then sets. None at the top."""
    if span.reps is not None and state.reps is not None and state.reps < span.reps.max:
        return state.model_copy(update={"reps": min(span.reps.max, state.reps + rep_step)})
    if span.hold_seconds is not None and state.hold_seconds is not None and state.hold_seconds < span.hold_seconds.max:
        return state.model_copy(update={"hold_seconds": min(span.hold_seconds.max, state.hold_seconds + hold_step)})
    if (
        span.duration_seconds is not None
        and state.duration_seconds is not None
        and state.duration_seconds < span.duration_seconds.max
    ):
        return state.model_copy(
            update={"duration_seconds": min(span.duration_seconds.max, state.duration_seconds + hold_step)}
        )
    if state.sets < span.sets.max:
        return state.model_copy(update={"sets": state.sets + 1})
    return None


def cut(state: DoseState, span: Dose, fraction: float) -> DoseState | None:
    """Take ``fraction`` (at least one unit) off the work of a set: hold or duration first, then reps,
    then a set. None when everything is already at the bottom of its range."""
    for name, axis in (
        ("hold_seconds", span.hold_seconds),
        ("duration_seconds", span.duration_seconds),
        ("reps", span.reps),
    ):
        value = getattr(state, name)
        if axis is not None and value is not None and value > axis.min:
            lower = min(value - 1, math.floor(value * (1 - fraction)))
            return state.model_copy(update={name: max(axis.min, lower)})
    if state.sets > max(1, span.sets.min):
        return state.model_copy(update={"sets": state.sets - 1})
    return None


def above(state: DoseState, floor: DoseState) -> bool:
    """Whether any part of ``state`` is above ``floor`` (same exercise)."""
    pairs = [
        (state.sets, floor.sets),
        (state.reps, floor.reps),
        (state.hold_seconds, floor.hold_seconds),
        (state.duration_seconds, floor.duration_seconds),
    ]
    return any(a is not None and b is not None and a > b for a, b in pairs)


def describe(state: DoseState) -> str:
    """'3 x 10 x 40 s' style, per side where the plan says so."""
    parts = [str(state.sets)]
    if state.reps is not None:
        parts.append(str(state.reps))
    if state.hold_seconds is not None:
        parts.append(f"{state.hold_seconds} s")
    if state.duration_seconds is not None:
        parts.append(f"{state.duration_seconds} s")
    return " x ".join(parts)


def step_down(state: DoseState, span: Dose, hold_step: int) -> DoseState | None:
    """One step back down, the reverse of ``step_up``: a set, then hold or duration time, then a rep.
    None at the bottom of every range."""
    if state.sets > max(1, span.sets.min):
        return state.model_copy(update={"sets": state.sets - 1})
    for name, axis in (("duration_seconds", span.duration_seconds), ("hold_seconds", span.hold_seconds)):
        value = getattr(state, name)
        if axis is not None and value is not None and value > axis.min:
            return state.model_copy(update={name: max(axis.min, value - hold_step)})
    if span.reps is not None and state.reps is not None and state.reps > span.reps.min:
        return state.model_copy(update={"reps": state.reps - 1})
    return None


def below(state: DoseState, fraction: float) -> DoseState | None:
    """Under the article's range, when pain or repeated failure asks for less than its bottom: a set
    off, else ``fraction`` of the reps, the hold or the duration. None when there is nothing left to take."""
    if state.sets > 1:
        return state.model_copy(update={"sets": state.sets - 1})
    for name in ("reps", "hold_seconds", "duration_seconds"):
        value = getattr(state, name)
        if value is not None and value > 1:
            return state.model_copy(update={name: max(1, min(value - 1, math.floor(value * (1 - fraction))))})
    return None
