"""The edges of every coaching rule's thresholds, generated from the rules' own ``params``.

For every threshold in ``app.coaching.rules.RULES`` a row at the value, just below and just above, each
asserting whether the rule fires; so a changed comparison (``<=`` to ``<``, ``>`` to ``>=``) fails here.
A rule's parameter must be in EDGES (how to build the facts for a value, and the comparison the rule's words
say) or in NOT_A_THRESHOLD (with why): a new parameter with neither fails ``test_every_parameter_is_covered``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import pytest

from app.coaching.history import Session, SetDone
from app.coaching.rules import RULES, Facts

SLUG = "thomas-test"
START = datetime(2026, 11, 1, 9, tzinfo=UTC)
Build = Callable[[float, Mapping[str, float]], Facts]


def _sessions(sets: list[SetDone], n: int = 1, **fields: int) -> tuple[Session, ...]:
    return tuple(
        Session(performed_at=START + timedelta(days=i), entries={SLUG: tuple(sets)}, **fields) for i in range(n)
    )


def _facts(sessions: tuple[Session, ...], **fields: object) -> Facts:
    base: dict[str, object] = {
        "sessions": sessions,
        "slug": SLUG,
        "latest": sessions[-1] if sessions else None,
        "next_morning": None,
        "pain_trend": None,
        "load_ratio": None,
    }
    return Facts(**{**base, **fields})


def _pain(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8, pain=int(v))]))


def _pain_unsettled(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8, pain=int(v))]), next_morning=int(p["settled_at_most"]) + 1)


def _morning(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8, pain=int(p["low"]))]), next_morning=int(v))


def _rise(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8)], pain_before=0, pain_after=int(v)))


def _latest(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8)], pain_after=int(v)))


def _ratio(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8)]), load_ratio=v)


def _unfinished(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8, completed=False)], n=int(v)))


def _rpe(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8, rpe=int(v))], n=int(p.get("sessions", 1))))


def _rir(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8, rir=int(v))], n=int(p.get("sessions", 1))))


def _easy_run(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8, rpe=5)], n=int(v)))


def _flare(v: float, p: Mapping[str, float]) -> Facts:
    """A new exercise (no sessions of it) the day after the user's latest session, which hurt ``v``."""
    latest = _sessions([SetDone(reps=8)], pain_after=int(v))[-1]
    return _facts((), latest=latest, gap_days=1)


def _flare_ago(v: float, p: Mapping[str, float]) -> Facts:
    latest = _sessions([SetDone(reps=8)], pain_after=int(p["above"]) + 2)[-1]
    return _facts((), latest=latest, gap_days=int(v))


def _gap(v: float, p: Mapping[str, float]) -> Facts:
    return _facts(_sessions([SetDone(reps=8)]), gap_days=int(v))


def _apart(v: float, p: Mapping[str, float]) -> Facts:
    easy = (SetDone(reps=8, rpe=5),)
    two = (Session(START, {SLUG: easy}), Session(START + timedelta(days=int(v)), {SLUG: easy}))
    return _facts(two)


def _within(low: str, high: str) -> Callable[[float, Mapping[str, float]], bool]:
    return lambda v, p: p[low] <= v <= p[high]


# (rule id, parameter) -> (facts for a value, does the rule fire at value v given params p, step between values)
EDGES: dict[tuple[str, str], tuple[Build, Callable[[float, Mapping[str, float]], bool], float]] = {
    ("pain-above-5", "above"): (_pain, lambda v, p: v > p["above"], 1),
    ("pain-rise-2", "rise"): (_rise, lambda v, p: v >= p["rise"], 1),
    ("pain-4-5-unsettled", "low"): (_pain_unsettled, _within("low", "high"), 1),
    ("pain-4-5-unsettled", "high"): (_pain_unsettled, _within("low", "high"), 1),
    ("pain-4-5-unsettled", "settled_at_most"): (_morning, lambda v, p: v > p["settled_at_most"], 1),
    ("latest-pain-above-5", "above"): (_latest, lambda v, p: v > p["above"], 1),
    ("pain-4-5", "low"): (_pain, _within("low", "high"), 1),
    ("pain-4-5", "high"): (_pain, _within("low", "high"), 1),
    ("load-ratio-above-1.5", "above"): (_ratio, lambda v, p: v > p["above"], 0.01),
    ("unfinished-3-in-a-row", "sessions"): (_unfinished, lambda v, p: v >= p["sessions"], 1),
    ("hard-or-unfinished", "rpe_from"): (_rpe, lambda v, p: v >= p["rpe_from"], 1),
    ("hard-or-unfinished", "rir_to"): (_rir, lambda v, p: v <= p["rir_to"], 1),
    ("two-for-two", "sessions"): (_easy_run, lambda v, p: v >= p["sessions"], 1),
    ("two-for-two", "rpe_at_most"): (_rpe, lambda v, p: v <= p["rpe_at_most"], 1),
    ("two-for-two", "rir_at_least"): (_rir, lambda v, p: v >= p["rir_at_least"], 1),
    ("not-yet-two-for-two", "sessions"): (_easy_run, lambda v, p: 1 <= v < p["sessions"], 1),
    ("not-yet-two-for-two", "rpe_at_most"): (_rpe, lambda v, p: v > p["rpe_at_most"], 1),
    ("not-yet-two-for-two", "rir_at_least"): (_rir, lambda v, p: v < p["rir_at_least"], 1),
    # issue 19
    ("session-pain-above-5", "above"): (_latest, lambda v, p: v > p["above"], 1),
    ("flare-nothing-new", "above"): (_flare, lambda v, p: v > p["above"], 1),
    ("flare-nothing-new", "within_days"): (_flare_ago, lambda v, p: v < p["within_days"], 1),
    ("gap-28-restart", "days"): (_gap, lambda v, p: v >= p["days"], 1),
    ("gap-14-step-down", "days"): (_gap, lambda v, p: p["days"] <= v < p["restart_days"], 1),
    ("gap-14-step-down", "restart_days"): (_gap, lambda v, p: p["days"] <= v < p["restart_days"], 1),
    ("two-for-two", "apart_days_below"): (_apart, lambda v, p: v < p["apart_days_below"], 1),
    ("not-yet-two-for-two", "apart_days_below"): (_apart, lambda v, p: v >= p["apart_days_below"], 1),
}
# Parameters the rule's condition does not compare against (read by the adaptation or the load sum instead).
NOT_A_THRESHOLD = {
    ("pain-4-5", "settled_at_most"): "pain-4-5 holds whether or not the pain settled",
    ("pain-trend-up", "days"): "the window of the trend, summed before the rule reads it",
    ("load-ratio-above-1.5", "acute_days"): "a window of the load sum",
    ("load-ratio-above-1.5", "chronic_days"): "a window of the load sum",
    ("load-ratio-above-1.5", "history_days_at_least"): "when a ratio exists at all, decided before the rule",
    ("unfinished-3-in-a-row", "cut"): "the size of the regress, not a condition",
    ("two-for-two", "hold_step_seconds"): "the size of the step, not a condition",
    ("two-for-two", "rep_step"): "the size of the step, not a condition",
    ("gap-14-step-down", "two_steps_from"): "how many steps down, not whether the rule fires",
    ("load-ratio-above-1.5", "weeks_trained"): "when a ratio exists at all (sparse training), decided before the rule",
    ("load-ratio-above-1.5", "sets_kept_at_most"): "the size of the deload, not a condition",
}
BY_ID = {rule.id: rule for rule in RULES}
ROWS = [
    pytest.param(rule_id, name, offset, id=f"{rule_id}:{name}{offset:+g}")
    for rule_id, name in EDGES
    for offset in (-1, 0, 1)
]


def test_every_parameter_is_covered() -> None:
    params = {(rule.id, name) for rule in RULES for name in rule.params}
    assert params == set(EDGES) | set(NOT_A_THRESHOLD)
    assert not set(EDGES) & set(NOT_A_THRESHOLD)


@pytest.mark.parametrize(("rule_id", "name", "offset"), ROWS)
def test_a_rule_fires_exactly_on_its_side_of_each_threshold(rule_id: str, name: str, offset: int) -> None:
    rule = BY_ID[rule_id]
    build, fires, step = EDGES[(rule_id, name)]
    value = rule.params[name] + offset * step
    assert rule.test(build(value, rule.params), rule.params) is fires(value, rule.params), value


def test_the_comparisons_above_are_not_all_the_same() -> None:
    # A guard on the table itself: at the threshold, some rules fire and some do not.
    at = {fires(BY_ID[r].params[n], BY_ID[r].params) for (r, n), (_, fires, _) in EDGES.items()}
    assert at == {True, False}
