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

from app.coaching.history import Session, SetDone
from app.workouts.pain import PAIN_GRADES
from app.workouts.selection import OVER


class Action(StrEnum):
    new = "new"
    progress = "progress"
    hold = "hold"
    regress = "regress"
    swap = "swap"  # a regress that replaced the exercise with its easier variant
    deload = "deload"


# The most cautious action wins. A swap is only ever the outcome of a regress.
CAUTION = {Action.new: 0, Action.progress: 1, Action.hold: 2, Action.deload: 3, Action.regress: 4, Action.swap: 4}


@dataclass(frozen=True)
class Facts:
    """What the rules read about one exercise, as of the day being planned."""

    sessions: tuple[Session, ...]  # the sessions that hold this exercise, oldest first
    slug: str
    latest: Session | None  # the user's latest session, with or without this exercise
    next_morning: int | None  # check-in pain the day after the last of ``sessions``
    pain_trend: tuple[float, float] | None  # mean pain of the last 7 days, of the 7 before
    load_ratio: float | None  # acute:chronic, when there is enough history to say
    pain_today: int = 0  # the query's pain level, 0-10
    bottom_dose: bool = False  # today's pain grade (GET /pain-grades) keeps every dose at the bottom of its range

    def sets(self, back: int = 1) -> tuple[SetDone, ...]:
        """This exercise's sets in the session ``back`` sessions ago (1 = the last)."""
        return self.sessions[-back].entries[self.slug]


def peak_pain(session: Session, slug: str | None = None) -> int | None:
    """The highest pain during or after a session (during: per set, of ``slug`` if given)."""
    sets = session.entries.get(slug, ()) if slug is not None else [s for x in session.entries.values() for s in x]
    readings = [s.pain for s in sets if s.pain is not None]
    if session.pain_after is not None:
        readings.append(session.pain_after)
    return max(readings, default=None)


def _easy(done: SetDone, session: Session, p: Mapping[str, float]) -> bool | None:
    """Whether a set left room in the tank; None when nothing says how hard it was."""
    if done.rpe is not None:
        return done.rpe <= p["rpe_at_most"]
    if done.rir is not None:
        return done.rir >= p["rir_at_least"]
    if session.session_rpe is not None:
        return session.session_rpe <= p["rpe_at_most"]
    return None


def _hard(done: SetDone, p: Mapping[str, float]) -> bool:
    return (done.rpe is not None and done.rpe >= p["rpe_from"]) or (done.rir is not None and done.rir <= p["rir_to"])


# --- the conditions -----------------------------------------------------------------


def _pain_above(f: Facts, p: Mapping[str, float]) -> bool:
    peak = peak_pain(f.sessions[-1], f.slug) if f.sessions else None
    return peak is not None and peak > p["above"]


# "Nothing progresses" rules read only exercises with a history: a new one is not a step up, and stays new.


def _latest_pain_above(f: Facts, p: Mapping[str, float]) -> bool:
    peak = peak_pain(f.latest) if f.latest is not None and f.sessions else None
    return peak is not None and peak > p["above"]


def _morning_worse(f: Facts, p: Mapping[str, float]) -> bool:
    if not f.sessions or f.next_morning is None or f.sessions[-1].pain_before is None:
        return False
    return f.next_morning > f.sessions[-1].pain_before


def _pain_rise(f: Facts, p: Mapping[str, float]) -> bool:
    if not f.sessions:
        return False
    last = f.sessions[-1]
    if last.pain_before is None or last.pain_after is None:
        return False
    return last.pain_after - last.pain_before >= p["rise"]


def _acceptable(f: Facts, p: Mapping[str, float]) -> bool:
    peak = peak_pain(f.sessions[-1], f.slug) if f.sessions else None
    return peak is not None and p["low"] <= peak <= p["high"]


def _unsettled(f: Facts, p: Mapping[str, float]) -> bool:
    return _acceptable(f, p) and f.next_morning is not None and f.next_morning > p["settled_at_most"]


def _trend_up(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and f.pain_trend is not None and f.pain_trend[0] > f.pain_trend[1]


def _graded(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and f.bottom_dose


def _load_high(f: Facts, p: Mapping[str, float]) -> bool:
    return f.load_ratio is not None and f.load_ratio > p["above"]


def _unfinished_run(f: Facts, p: Mapping[str, float]) -> bool:
    run = int(p["sessions"])
    if len(f.sessions) < run:
        return False
    return all(any(not s.completed for s in f.sets(back)) for back in range(1, run + 1))


def _hard_or_unfinished(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and any(not s.completed or _hard(s, p) for s in f.sets())


def _two_for_two(f: Facts, p: Mapping[str, float]) -> bool:
    run = int(p["sessions"])
    if len(f.sessions) < run:
        return False
    for back in range(1, run + 1):
        session = f.sessions[-back]
        if not all(s.completed and _easy(s, session, p) is True for s in f.sets(back)):
            return False
    return True


def _not_yet(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and not _two_for_two(f, p)


def _no_history(f: Facts, p: Mapping[str, float]) -> bool:
    return not f.sessions


# --- the table ------------------------------------------------------------------------

SILBERNAGEL = (
    "Silbernagel KG, Thomeé R, Eriksson BI, Karlsson J. Continued sports activity, using a pain-monitoring model, "
    "during rehabilitation in patients with Achilles tendinopathy: a randomized controlled study. "
    "Am J Sports Med 2007;35(6):897-906"
)
FARRAR = (
    "Farrar JT, Young JP, LaMoreaux L, Werth JL, Poole RM. Clinical importance of changes in chronic pain intensity "
    "measured on an 11-point numerical pain rating scale. Pain 2001;94(2):149-158 (about 2 points or 30%)"
)
NSCA = (
    "Haff GG, Triplett NT (eds). Essentials of Strength Training and Conditioning, 4th ed. NSCA/Human Kinetics, 2016 "
    "(the 2-for-2 rule)"
)
ZOURDOS = (
    "Zourdos MC et al. Novel resistance training-specific rating of perceived exertion scale measuring repetitions "
    "in reserve. J Strength Cond Res 2016;30(1):267-275"
)
FOSTER = "Foster C et al. A new approach to monitoring exercise training. J Strength Cond Res 2001;15(1):109-115"
GABBETT = (
    "Gabbett TJ. The training-injury prevention paradox: should athletes be training smarter and harder? "
    "Br J Sports Med 2016;50(5):273-280"
)
OURS = "hipflex's own design"
# How the README's table cites them.
CITED_AS = {
    SILBERNAGEL: "Silbernagel et al. 2007, Am J Sports Med",
    FARRAR: "Farrar et al. 2001, Pain (MCID about 2 points / 30%)",
    NSCA: "NSCA Essentials (Haff & Triplett 2016), 2-for-2",
    ZOURDOS: "Zourdos et al. 2016, J Strength Cond Res",
    FOSTER: "Foster et al. 2001",
    GABBETT: "Gabbett 2016, Br J Sports Med",
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
        "pain-above-5", Action.regress, "pain during or after the last session with this exercise was above 5/10",
        {"above": 5}, "Pain reached {peak}/10 ({done}); above 5 means easier work: {change}.",
        SILBERNAGEL, False, _pain_above,
    ),
    Rule(
        "morning-pain-worse", Action.regress,
        "next-morning check-in pain was higher than the pain before the last session", {},
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
        "pain-today-graded", Action.deload,
        f"today's pain level is in a bottom-dose grade of GET /pain-grades ({BOTTOM_DOSE_FROM}/10 and up), "
        "for exercises done before", {},
        "Your pain today is {pain_today}/10: its grade keeps every dose at the bottom of its range: {change}.",
        OURS + ", so adaptation never lifts a dose the pain grades hold down", True, _graded,
        happens="deload: the bottom dose, as the pain grade asks (an easier variant still wins)",
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
        {"above": 1.5, "acute_days": 7, "chronic_days": 28, "history_days_at_least": 21},
        "Your training load this week is {ratio}x your 4-week average (above 1.5): a lighter session, {change}.",
        GABBETT + "; load: " + FOSTER, False, _load_high,
    ),
    Rule(
        "unfinished-3-in-a-row", Action.regress, "a set was left unfinished in each of the last 3 sessions",
        {"sessions": 3, "cut": 0.10}, "Unfinished sets three times running ({done}): {change}.",
        OURS + ", after the linear-progression habit of taking 10% off after three missed sessions", True,
        _unfinished_run,
    ),
    Rule(
        "hard-or-unfinished", Action.hold, "the last session had a set at RPE 9-10 (RIR 0-1) or left unfinished",
        {"rpe_from": 9, "rir_to": 1}, "{done}: that was hard enough, so the same again: {change}.",
        ZOURDOS, False, _hard_or_unfinished,
    ),
    Rule(
        "two-for-two", Action.progress,
        "every set done at RPE 7 or less (RIR 2 or more) in each of the last 2 sessions",
        {"sessions": 2, "rpe_at_most": 7, "rir_at_least": 2, "hold_step_seconds": 5, "rep_step": 1},
        "{done}; pain after {after}: step up: {change}.",
        NSCA + "; RPE/RIR: " + ZOURDOS, False, _two_for_two,
    ),
    Rule(
        "not-yet-two-for-two", Action.hold, "logged before, but not yet two easy sessions in a row",
        {"sessions": 2, "rpe_at_most": 7, "rir_at_least": 2},
        "{done}: not yet two easy sessions in a row, so the same again: {change}.",
        OURS, True, _not_yet,
    ),
    Rule(
        "no-history", Action.new, "no logged session with this exercise", {},
        "No log of this exercise yet: the plan's dose.", OURS, True, _no_history,
    ),
)


@dataclass(frozen=True)
class FitRule:
    """A rule about the whole adapted session, read after every item is decided: what goes, not a dose."""

    id: str
    when: str
    params: Mapping[str, float]
    happens: str  # "what happens" in the README's table
    reason: str  # a template: {minutes}, {asked}, {dropped}, {order}; told in the workout's notes
    source: str
    own_design: bool


OVER_TIME = FitRule(
    "over-time-refit",
    "after adapting, the session is over the generator's budget: the minutes asked for, capped by the pain grade "
    f"(GET /pain-grades), plus {OVER - 100}%",
    {"over_percent": OVER},
    "fit it again as the generator does: whole exercises go (listed in `omitted`, reason `time`), never a dose cut "
    "below its minimum, in the generator's order (the goal's core last, else the last added first); a stepped-up "
    "exercise is not dropped before the others",
    "Adapted, the session came to {minutes} minutes, more than the {asked} it has (10% over at most): {dropped} "
    "left out for time, whole, never cut short ({order}).",
    OURS + ": the generator's order, not stepped-up exercises first, which would drop the same one every session "
    "while it stays easy, so that a progression is never done",
    True,
)
FIT_RULES: tuple[FitRule, ...] = (OVER_TIME,)

BY_ID = {rule.id: rule for rule in RULES}
LOAD_GUARD = BY_ID["load-ratio-above-1.5"]
PAIN_TREND = BY_ID["pain-trend-up"]


# Each rule's precedence, once: RULES.index compared whole rules field by field on every item.
_PRECEDENCE = {rule.id: (CAUTION[rule.action], -position) for position, rule in enumerate(RULES)}


def decide(facts: Facts) -> Rule:
    """The rule that governs this exercise: the most cautious that fires, the earliest on a tie."""
    fired = [rule for rule in RULES if rule.test(facts, rule.params)]
    return max(fired, key=lambda rule: _PRECEDENCE[rule.id])


WHAT_HAPPENS = {
    Action.new: "new: the plan's dose",
    Action.progress: "progress one step: +1 rep up to the range's top, else +5 s hold, else +1 set, else the "
    "progression link (at its bottom dose)",
    Action.hold: "hold: the dose done last time",
    Action.regress: "regress: the bottom of the range; already there, swap to the regression link",
    Action.deload: "deload: the bottom dose (never above the plan), for every item",
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
    lines.extend(f"| `{rule.id}` | {rule.when} | {rule.happens} | {rule.source} |" for rule in FIT_RULES)
    return "\n".join(lines) + "\n"
