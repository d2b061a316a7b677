"""The words of an adaptation's reason: the values its template names, each worked out only when asked.

Split from ``adapt`` (the decisions) so each module stays readable; nothing here decides anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache

from app.catalogue.models import Kind
from app.coaching import doses
from app.coaching.history import Session, SetDone
from app.coaching.models import DoseState
from app.coaching.rules import Facts, Rule, peak_pain


class ReasonValues(dict[str, str]):
    """A reason's values, each worked out only when its template asks for it (a summary of the sessions
    done is dear, and most reasons do not show one); one the log does not hold reads "not logged", never a
    bare "?"."""

    def __init__(self, rule: Rule, facts: Facts, ratio: tuple[float, float, float] | None) -> None:
        super().__init__()
        self.rule, self.facts, self.ratio = rule, facts, ratio

    def __missing__(self, key: str) -> str:
        value = self._value(key)
        return "not logged" if value is None else value

    def _value(self, key: str) -> str | None:
        facts, ratio = self.facts, self.ratio
        if key in _OF_LAST:
            return self._of_last(key, facts.sessions[-1]) if facts.sessions else None
        latest = facts.latest
        match key:
            case "latest_day":
                return None if latest is None else day_words(latest.day)
            case "latest_peak":
                return None if latest is None else _text(peak_pain(latest))
            case "gap":
                return _text(facts.gap_days)
            case "trend_now" | "trend_before" if facts.pain_trend is not None:
                return f"{facts.pain_trend[0 if key == 'trend_now' else 1]:g}"
            case "ratio" if ratio is not None:
                return f"{ratio[0]:g}"
            case "pain_today":
                return str(facts.pain_today)
        return None

    def _of_last(self, key: str, last: Session) -> str | None:
        facts = self.facts
        match key:
            case "done":
                back = int(self.rule.params.get("sessions", 1))
                return summary(facts.sessions[-back:], facts.slug)
            case "after_text":
                return "" if last.pain_after is None else f"; pain after {last.pain_after}/10"
            case "peak":
                return _text(peak_pain(last, facts.slug))
            case "before":
                return _text(last.pain_before)
            case "after":
                return _text(last.pain_after)
            case "morning":
                return _text(facts.next_morning)
            case "set_peak":
                return _text(max((s.pain for s in facts.sets() if s.pain is not None), default=None))
        return None


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


# The values read from the last session with the exercise: none without one.
_OF_LAST = frozenset({"done", "peak", "before", "after", "morning", "set_peak", "after_text"})


KIND_WORDS = {Kind.release: "a release", Kind.breathing: "a breathing drill", Kind.assessment: "a check"}


@lru_cache(maxsize=1024)  # the same few weeks' days in every reason and note, strftime each time else
def day_words(day: date) -> str:
    return f"{day:%b} {day.day}"


def _span(values: Sequence[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def _body(sets: Sequence[SetDone], session: Session) -> str:
    """'3/3 sets of 10 x 40 s at RPE 6': what a session's sets of one exercise were."""
    reps = [s.reps for s in sets if s.reps is not None]
    holds = [s.hold_seconds for s in sets if s.hold_seconds is not None]
    if holds and set(reps) <= {1}:
        reps = []  # one hold a set: "40 s", not "1 x 40 s"
    work = " x ".join(p for p in (reps and _span(reps), holds and f"{_span(holds)} s") if p)
    text = f"{sum(s.completed for s in sets)}/{len(sets)} sets of {work}"
    loads = [s.load_kg for s in sets if s.load_kg is not None]
    if loads:
        text += f" with {max(loads):g} kg"
    rpes = [s.rpe for s in sets if s.rpe is not None]
    rirs = [s.rir for s in sets if s.rir is not None]
    if rpes:
        text += f" at RPE {_span(rpes)}"
    elif rirs:
        text += f" at RIR {_span(rirs)}"
    elif session.session_rpe is not None:
        text += f" at session RPE {session.session_rpe}"
    return text


def summary(sessions: Sequence[Session], slug: str) -> str:
    """The sessions' sets of ``slug``, equal ones joined: '3/3 sets of 40 s at RPE 6 on Nov 12 and Nov 14'."""
    groups: list[tuple[str, list[str]]] = []
    for session in sessions:
        body = _body(session.entries[slug], session)
        if groups and groups[-1][0] == body:
            groups[-1][1].append(day_words(session.day))
        else:
            groups.append((body, [day_words(session.day)]))
    return "; ".join(
        f"{body} on {', '.join(days[:-1]) + ' and ' + days[-1] if len(days) > 1 else days[0]}" for body, days in groups
    )


# --- one item ---------------------------------------------------------------------


def change_words(before: DoseState | None, after: DoseState, names: Mapping[str, str]) -> str:
    if before is None or before == after:
        return f"{doses.describe(after)} again" if before is not None else doses.describe(after)
    if before.exercise != after.exercise:
        return f"{names[after.exercise]} instead of {names[before.exercise]}, at {doses.describe(after)}"
    return f"{doses.describe(before)} -> {doses.describe(after)}"


# A pain rule asks for less even at the bottom of the range: 30% off the reps or the hold (our choice).
