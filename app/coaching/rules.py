"""The adaptation rules as a table: one row per rule, read top to bottom.

Each row has an id, its condition in words and as parameters, the action it
asks for, the reason shown to the user (a template filled with the data that
made it fire), its source, and whether it is our own design rather than
taken from a source. ``test`` is the condition as code; it reads its numbers
from ``params``, never from literals, so the table is the one place to tune.

Precedence is data too: every rule that fires is a candidate, the most
cautious action wins (``CAUTION``), and between equally cautious rules the
earlier row wins, which puts pain before effort.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.coaching.conditions import (
    Facts,
    _acceptable,
    _flare_nothing_new,
    _gap,
    _graded,
    _hard_or_unfinished,
    _latest_pain_above,
    _load_high,
    _long_gap,
    _morning_worse,
    _no_history,
    _not_progressed,
    _not_yet,
    _pain_above,
    _pain_rise,
    _session_pain_above,
    _trend_up,
    _two_for_two,
    _two_for_two_loaded,
    _unfinished_run,
    _unsettled,
    peak_pain,
)
from app.coaching.session_rules import FIT_RULES, OVER_TIME
from app.coaching.sources import (
    CITED_AS,
    FARRAR,
    FOSTER,
    GABBETT,
    MUJIKA,
    NSCA,
    OURS,
    SILBERNAGEL,
    ZOURDOS,
)
from app.workouts.pain import PAIN_GRADES


class Action(StrEnum):
    new = "new"
    progress = "progress"
    hold = "hold"
    regress = "regress"
    swap = "swap"  # a regress (or a pause) that replaced the exercise with its easier variant
    deload = "deload"
    restart = "restart"  # back after a long break: the plan from its beginning, said so
    pause = "pause"  # left out today (in ``omitted``, reason ``paused``): never an item's action


# The most cautious action wins. A swap is only ever the outcome of a regress or a pause.
CAUTION = {
    Action.new: 0,
    Action.progress: 1,
    Action.hold: 2,
    Action.deload: 3,
    Action.regress: 4,
    Action.swap: 4,
    Action.restart: 5,
    Action.pause: 6,
}
Test = Callable[[Facts, Mapping[str, float]], bool]
BOTTOM_DOSE_FROM = min(grade.low for grade in PAIN_GRADES if grade.bottom_dose)  # for the table's words only


@dataclass(frozen=True)
class Rule:
    id: str
    action: Action
    when: str
    params: Mapping[str, float]
    reason: str  # a template: {done}, {change} and the fields of ``adapt.context``
    source: str
    own_design: bool
    test: Test
    happens: str | None = None  # "what happens" in the README's table, when not the action's usual words


RULES: tuple[Rule, ...] = (
    Rule(
        "pain-above-5", Action.pause, "a set of this exercise hurt above 5/10 in its last session",
        {"above": 5}, "Pain reached {set_peak}/10 during it ({done}); above 5 this exercise is not done as it was: "
        "{change}.",
        SILBERNAGEL, False, _pain_above,
        happens="pause: swap to the regression link if one fits, else left out today (`omitted`, reason `paused`)",
    ),
    Rule(
        "gap-28-restart", Action.restart, "28 days or more since the user's last session",
        {"days": 28}, "No session for {gap} days: the plan starts again from its beginning: {change}.",
        OURS + ", after " + MUJIKA, True, _long_gap,
        happens="restart: the bottom of the range (never above the plan), for every item, with a note",
    ),
    Rule(
        "flare-nothing-new", Action.pause,
        "the user's latest session hurt above 5/10, less than 14 days ago, and this exercise was not in their history",
        {"above": 5, "within_days": 14},
        "Your session of {latest_day} hurt {latest_peak}/10: nothing new until it has settled.",
        OURS + ", after " + SILBERNAGEL, True, _flare_nothing_new,
        happens="pause: left out today (`omitted`, reason `paused`): familiar work only",
    ),
    Rule(
        "session-pain-above-5", Action.regress,
        "pain after the last session with this exercise was above 5/10, and no set logged in it says which "
        "exercise hurt",
        {"above": 5}, "Pain reached {peak}/10 ({done}); above 5 means easier work: {change}.",
        SILBERNAGEL, False, _session_pain_above,
    ),
    Rule(
        "morning-pain-worse", Action.regress,
        "next-morning check-in pain was higher than the pain before the last session (unless a set of another "
        "exercise in it hurt above 5/10: that one is the culprit)", {},
        "Pain the next morning ({morning}/10) was worse than before the session ({before}/10): {change}.",
        SILBERNAGEL, False, _morning_worse,
    ),
    Rule(
        "pain-rise-2", Action.regress, "pain rose by 2 or more points from before to after the last session",
        {"rise": 2}, "Pain rose from {before} to {after}/10 with {done}, a clinically important change: {change}.",
        FARRAR, False, _pain_rise,
    ),
    Rule(
        "pain-4-5-unsettled", Action.regress, "pain 4-5/10 that had not settled to 3 or less by the next morning",
        {"low": 4, "high": 5, "settled_at_most": 3},
        "Pain reached {peak}/10 ({done}) and was still {morning}/10 the next morning: {change}.",
        SILBERNAGEL, False, _unsettled,
    ),
    Rule(
        "gap-14-step-down", Action.regress,
        "14-27 days since the user's last session, for exercises done before",
        {"days": 14, "two_steps_from": 21, "restart_days": 28},
        "No session for {gap} days, so nothing goes up and the dose restarts lower: {change}.",
        OURS + ", after " + MUJIKA, True, _gap,
        happens="regress: one step down from the last dose (two from 21 days): a set, then 5 s, then a rep; "
        "at the bottom, the same again (a hold)",
    ),
    Rule(
        "latest-pain-above-5", Action.hold,
        "the user's latest session, with any exercise, hurt above 5/10 (for exercises done before)",
        {"above": 5}, "Your last session hurt ({latest_peak}/10), so nothing goes up today: {change}.",
        OURS + ", after " + SILBERNAGEL, True, _latest_pain_above,
    ),
    Rule(
        "pain-4-5", Action.hold, "pain during or after the last session was 4-5/10 (acceptable, settled or unknown)",
        {"low": 4, "high": 5, "settled_at_most": 3},
        "Pain reached {peak}/10 ({done}): acceptable, but not a day to step up: {change}.",
        OURS + ", after " + SILBERNAGEL, True, _acceptable,
    ),
    Rule(
        "pain-today-graded", Action.regress,
        f"today's pain level is in a bottom-dose grade of GET /pain-grades ({BOTTOM_DOSE_FROM}/10 and up), "
        "for exercises done before", {},
        "Your pain today is {pain_today}/10: its grade keeps every dose at the bottom of its range: {change}.",
        OURS + ", so adaptation never lifts a dose the pain grades hold down", True, _graded,
        happens="regress: the bottom dose, as the pain grade asks, never above the plan (unchanged: a hold)",
    ),
    Rule(
        "pain-trend-up", Action.hold,
        "mean pain of the last 7 days is higher than of the 7 days before (for exercises done before)",
        {"days": 7},
        "Your pain this week averages {trend_now}/10, up from {trend_before}/10: nothing progresses: {change}.",
        SILBERNAGEL, False, _trend_up,
    ),
    Rule(
        "load-ratio-above-1.5", Action.deload,
        "acute:chronic load (session RPE x minutes, 7 days / 28-day weekly mean) above 1.5",
        {"above": 1.5, "acute_days": 7, "chronic_days": 28, "history_days_at_least": 21, "weeks_trained": 4,
         "sets_kept_at_most": 0.6},
        "Your training load this week is {ratio}x your 4-week average (above 1.5): a lighter session, {change}.",
        GABBETT + "; load: " + FOSTER + "; the history needed and the 40-50% cut are our own design", True,
        _load_high,
        happens="deload: half the plan's sets (at least 1), then whole items leave until the session has at most "
        "60% of the plan's sets",
    ),
    Rule(
        "unfinished-3-in-a-row", Action.regress, "a set was left unfinished in each of the last 3 sessions",
        {"sessions": 3, "cut": 0.10}, "Unfinished sets three times running ({done}): {change}.",
        OURS + ", after the linear-progression habit of taking 10% off after three missed sessions", True,
        _unfinished_run,
    ),
    Rule(
        "not-trained-harder", Action.hold,
        "a release, breathing drill or assessment done before: these are never progressed",
        {}, "{kind_name} is not trained harder: {change}.",
        OURS + "; a release's pain cap is the catalogue's `dose_under_pain`", True, _not_progressed,
        happens="hold: the dose done last time, never above the plan's (its pain cap included)",
    ),
    Rule(
        "hard-or-unfinished", Action.hold, "the last session had a set at RPE 9-10 (RIR 0-1) or left unfinished",
        {"rpe_from": 9, "rir_to": 1}, "{done}: that was hard enough, so the same again: {change}.",
        ZOURDOS, False, _hard_or_unfinished,
    ),
    Rule(
        "two-for-two-loaded", Action.progress,
        "as `two-for-two`, with a load logged on every set of the last session, below 10 kg",
        {"sessions": 2, "rpe_at_most": 7, "rir_at_least": 2, "apart_days_below": 14, "load_step_kg": 0.5,
         "load_ceiling_kg": 10},
        "{done}{after_text}: step up the load (+0.5 kg, or the smallest step your weights allow): {change}.",
        NSCA + "; the +0.5 kg step and the 10 kg ceiling are our own design", True, _two_for_two_loaded,
        happens="progress by load only: +0.5 kg (sets, reps and hold unchanged), never above 10 kg; at 10 kg "
        "`two-for-two` steps the reps or hold instead",
    ),
    Rule(
        "two-for-two", Action.progress,
        "every set done at RPE 7 or less (RIR 2 or more) in each of the last 2 sessions, at the same dose, "
        "under 14 days apart",
        {"sessions": 2, "rpe_at_most": 7, "rir_at_least": 2, "hold_step_seconds": 5, "rep_step": 1,
         "apart_days_below": 14},
        "{done}{after_text}: step up: {change}.",
        NSCA + "; RPE/RIR: " + ZOURDOS + "; the same dose, under 14 days apart, is our own design", True,
        _two_for_two,
    ),
    Rule(
        "not-yet-two-for-two", Action.hold, "logged before, but not yet two easy sessions in a row",
        {"sessions": 2, "rpe_at_most": 7, "rir_at_least": 2, "apart_days_below": 14},
        "{done}: not yet two easy sessions in a row at this dose, so the same again: {change}.",
        OURS, True, _not_yet,
    ),
    Rule(
        "no-history", Action.new, "no logged session with this exercise", {},
        "No log of this exercise yet: the plan's dose.", OURS, True, _no_history,
    ),
)


# Re-exported: the session's rules (read once every item is decided) and what the conditions read.
__all__ = ["FIT_RULES", "OVER_TIME", "Facts", "peak_pain"]

BY_ID = {rule.id: rule for rule in RULES}
LOAD_GUARD = BY_ID["load-ratio-above-1.5"]
PAIN_TREND = BY_ID["pain-trend-up"]


# The rules in the order they win (the most cautious first, the earliest row on a tie), once: the first that
# fires is then the winner, and the rules below it need not be tested (two-for-two, the dearest, rarely is).
BY_PRECEDENCE = tuple(
    rule for _, rule in sorted(enumerate(RULES), key=lambda pair: (-CAUTION[pair[1].action], pair[0]))
)


def decide(facts: Facts) -> Rule:
    """The rule that governs this exercise: the most cautious that fires, the earliest on a tie."""
    for rule in BY_PRECEDENCE:
        if rule.test(facts, rule.params):
            return rule
    raise AssertionError("no rule fired: `no-history` and `not-yet-two-for-two` cover every exercise")


WHAT_HAPPENS: dict[Action, str] = {
    Action.new: "new: the plan's dose",
    Action.progress: "progress one step: +1 rep up to the range's top, else +5 s hold, else +1 set, else the "
    "progression link (at its bottom dose); at the top with no harder variant for the user, a hold that names "
    "it in `ready_for`",
    Action.hold: "hold: the dose done last time",
    Action.regress: "regress: the bottom of the range; already there, swap to the regression link; with no "
    "regression, below the article's range (a set off, else 30% of the reps or hold), said so",
    Action.deload: "deload: the bottom dose (never above the plan), for every item",
    Action.restart: "restart: the bottom of the range",
    Action.pause: "pause: left out today",
    Action.swap: "swap: the regression link",
}


def markdown() -> str:
    """The rules as the README's table (rule, when, what happens, source), in precedence order; then the
    rules read once every item is decided (``FIT_RULES``)."""
    lines = ["| Rule | When | What happens | Source |", "| --- | --- | --- | --- |"]
    for rule in RULES:
        source = rule.source
        for full, short in CITED_AS.items():
            source = source.replace(full, short)
        happens = rule.happens or WHAT_HAPPENS[rule.action]
        if "cut" in rule.params:
            happens = f"regress: {rule.params['cut']:.0%} off the hold, else the reps, else a set; at the bottom, swap"
        lines.append(f"| `{rule.id}` | {rule.when} | {happens} | {source} |")
    for fit_rule in FIT_RULES:
        source = fit_rule.source
        for full, short in CITED_AS.items():
            source = source.replace(full, short)
        lines.append(f"| `{fit_rule.id}` | {fit_rule.when} | {fit_rule.happens} | {source} |")
    return "\n".join(lines) + "\n"
