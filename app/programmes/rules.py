"""The programme rules as a table: one row per rule, with its numbers, its action, the reason told and
its source. ``plan`` and ``follow`` read their thresholds from ``params`` here, never from literals.

Doses themselves come from the coach: a weekly step is the coach's own step (``doses.step_up`` with the
``two-for-two`` rule's step sizes), inside the catalogue's range for the goal, so a plan never doses
past what the coach would allow; pain is read with the coach's ``peak_pain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from app.coaching.sources import CITED_AS, MUJIKA, NSCA, OURS, SILBERNAGEL

ACSM_2021 = "ACSM's Guidelines for Exercise Testing and Prescription, 11th ed., 2021 (flexibility: 2-3 days a week "
ACSM_2021 += "at least, daily most effective)"
THOMAS = (
    "Thomas E, Bianco A, Paoli A, Palma A. The relation between stretching typology and stretching duration: "
    "the effects on range of motion. Int J Sports Med 2018;39(4):243-254 (at least 5 minutes a week per muscle group)"
)
GARBER = (
    "Garber CE et al. American College of Sports Medicine position stand: quantity and quality of exercise. "
    "Med Sci Sports Exerc 2011;43(7):1334-1359 (each muscle group 2-3 days a week, 48 h apart)"
)
ROGERSON = (
    "Rogerson D et al. Deloading practices in strength and physique sports: a cross-sectional survey. "
    "Sports Med Open 2024;10:26 (a deload every 5.6 ± 2.3 weeks)"
)
WAHOFF = (
    "Wahoff M, Dischiavi S, Hodge J, Pharez JD. Rehabilitation after labral repair and femoroacetabular "
    "decompression: criteria-based progression through the return to sport phase. Int J Sports Phys Ther "
    "2014;9(6):813-826"
)
WGER = "wger's routine progression `requirements`: a step only when the last sessions met their targets"
SHORT = {
    **CITED_AS,
    ACSM_2021: "ACSM 2021",
    THOMAS: "Thomas et al. 2018, Int J Sports Med",
    GARBER: "ACSM / Garber et al. 2011, Med Sci Sports Exerc",
    ROGERSON: "Rogerson et al. 2024, Sports Med Open",
    WAHOFF: "Wahoff et al. 2014, IJSPT",
}


@dataclass(frozen=True)
class ProgrammeRule:
    id: str
    when: str
    params: Mapping[str, float]
    action: str  # what happens, in the README's words
    reason: str  # a template, filled with the data the rule read; told in a `rules` entry or an event
    source: str
    own_design: bool


def _rule(
    id: str, when: str, params: dict[str, float], action: str, reason: str, source: str, own_design: bool
) -> ProgrammeRule:
    return ProgrammeRule(id, when, MappingProxyType(params), action, reason, source, own_design)


MOBILITY_DAYS = _rule(
    "mobility-3-days",
    "a mobility plan of fewer than 3 days a week",
    {"days_at_least": 3, "days_at_most": 7},
    "the plan as asked, with a note: stretching works from 3 days a week, and daily is allowed",
    "Mobility and stretching work best on at least {days_at_least} days a week (daily is fine); this plan has {days}.",
    ACSM_2021,
    False,
)
MOBILITY_STRENGTH = _rule(
    "mobility-strength-days",
    "a mobility plan (or a strength plan's mobility day) would put its end-range strength work on more than "
    "3 days a week, or on consecutive days",
    {"days_at_most": 3},
    "those days are breathing, mobility and stretching only: the session leaves the strength exercises out (`exclude`)",
    "End-range strength work is kept to {days_at_most} days a week with a day between, so on {days} the "
    "session is breathing, mobility and stretching only.",
    GARBER,
    False,
)
STRETCH_MINUTES = _rule(
    "stretch-5-minutes",
    "a week of a mobility plan holds the hip-flexor stretches for less than 5 minutes a side",
    {"seconds_per_side_at_least": 300},
    "the plan as asked, with a note naming the minutes it reaches",
    "Stretching a muscle group for at least 5 minutes a week is what changes its range; this plan's week "
    "holds the hip-flexor stretches for {seconds} s a side.",
    THOMAS,
    False,
)
STRENGTH_DAYS = _rule(
    "strength-2-3-days",
    "a strength, balanced or posture plan asks for more than 3 days a week",
    {"days_at_most": 3},
    "3 strength days; the others become mobility days (`focus: mobility`), never a 422",
    "Strength work for the hip flexors is done {days_at_most} days a week at most, so {extra} of your "
    "{days} days {verb} {what}: {mobility}.",
    GARBER,
    False,
)
STRENGTH_FEW = _rule(
    "strength-2-days-advised",
    "a strength, balanced or posture plan has fewer than 2 strength days a week",
    {"days_at_least": 2},
    "the plan as asked, with a note: strength work is advised 2-3 days a week",
    "Strength work for the hip flexors is advised on {days_at_least}-3 days a week; this plan has {days}.",
    GARBER,
    False,
)
STRENGTH_APART = _rule(
    "strength-not-consecutive",
    "two strength days would fall on consecutive days (weekdays given, or across the week's end)",
    {"days_apart_at_least": 2},
    "the second becomes a mobility day (`focus: mobility`)",
    "Strength work needs a day between sessions (48 h), so {mobility} {verb} mobility days.",
    GARBER,
    False,
)
WEEKLY_STEP = _rule(
    "weekly-step-gated",
    "last week's sessions were all done, every set at its target (the coach's performed-vs-planned reading), "
    "and no pain above 3/10 during, after or the next morning",
    {"pain_at_most": 3},
    "one step up for every exercise the coach trains harder: +1 rep, else +5 s, else +1 set, never past "
    "the catalogue's range",
    "Last week's sessions met their targets with pain at most {pain_at_most}/10: one step up.",
    OURS + ", after " + WGER + " and " + NSCA + " (its step)",
    True,
)
WEEK_REPEATS = _rule(
    "weekly-gate-not-met",
    "last week's sessions were not all done at target, or pain went above 3/10",
    {"pain_at_most": 3},
    "the week repeats the last week's doses, and says why (an event)",
    "The week repeats its doses: {why}.",
    OURS + ", after " + WGER,
    True,
)
STEP_FITS = _rule(
    "step-fits-session",
    "a step up would make the session longer than the generator's time budget",
    {},
    "that exercise's step waits (the coach's `keep-step-up` habit); nothing is dropped",
    "Steps that would not fit the session's minutes wait.",
    OURS,
    True,
)
PAIN_NO_RISE = _rule(
    "pain-above-5-no-rise",
    "a session of the last week hurt above 5/10 (during or after), or a next-morning check-in was above 5; "
    "after a deload week, the build week before it too",
    {"above": 5},
    "no dose rises the next week, and no rehab phase advances; a flare just before a deload holds the first "
    "full week after it at the doses that flared",
    "Pain reached {pain}/10 in week {pain_week}, so nothing goes up: the same doses again.",
    SILBERNAGEL,
    False,
)
DELOAD = _rule(
    "deload-week",
    "every `deload_every`-th week (default 4; 3-6, or 0 for none)",
    {"default_every": 4, "sets_fraction": 0.5, "sets_at_least": 1},
    "the same days and exercises at half the sets (rounded, at least 1), no progression; the week after "
    "resumes from the last build week",
    "Deload: the same exercises at about half the sets of week {from_week}, no progression.",
    ROGERSON + "; the size of the cut is " + OURS,
    True,
)
REHAB_PHASES = ("isometric", "isotonic", "dynamic")
REHAB_NO_ISOMETRIC = _rule(
    "rehab-isometric-none",
    "a rehab plan's isometric phase has no isometric hip-flexor hold: the person's pain flags or equipment rule "
    "them all out (e.g. `pain=hip`: no resistance on an irritated hip flexor), or the minutes leave no room",
    {},
    "the plan as built, with a note: that phase is release, pain-free stretching and bracing only",
    "No isometric hip-flexor hold suits this plan (your pain flags, equipment or minutes leave none), so its "
    "isometric phase is release, pain-free stretching and bracing only; the hip flexors are first loaded "
    "in the isotonic phase.",
    OURS,
    True,
)
PHASE_ADVANCE = _rule(
    "rehab-phase-advance",
    "rehab, at least 2 weeks in the phase (a deload week not counted), the last two next-morning check-ins "
    "at most 2/10, neither above "
    "the pain before its session, and the phase's last week done",
    {"weeks_at_least": 2, "morning_at_most": 2, "checkins": 2},
    "the next phase: isometric -> isotonic -> dynamic (return to running)",
    "Next-morning pain {mornings}/10 after {weeks} weeks of {phase} work, all sessions done: on to {next}.",
    SILBERNAGEL + "; " + WAHOFF,
    False,
)
PHASE_HOLD = _rule(
    "rehab-phase-hold",
    "rehab: next-morning pain above 5/10, or rising twice in a row",
    {"above": 5, "rises": 2},
    "the phase holds, and its doses do not rise",
    "Next-morning pain {mornings}/10: the {phase} phase holds.",
    SILBERNAGEL + "; " + WAHOFF,
    False,
)
PHASE_NOT_YET = _rule(
    "rehab-phase-not-yet",
    "rehab, at least 2 weeks in the phase (a deload week not counted), but not yet two next-morning "
    "check-ins at most 2/10, or a "
    "session of the last week not done",
    {"weeks_at_least": 2, "morning_at_most": 2, "checkins": 2},
    "the phase continues; the doses follow `weekly-step-gated`",
    "Not yet on to {next}: {why}.",
    OURS + ", after " + WAHOFF + " (criteria, not dates)",
    True,
)
SESSIONS_SHIFT = _rule(
    "missed-shifts-plan",
    "`advance=sessions` (the default for rehab and mobility) and a due session was not logged",
    {},
    "the next unfinished session stays due; later sessions keep their spacing after it",
    "Session {day} of week {week} is still due: missed days move the plan, not skip it.",
    OURS,
    True,
)
CALENDAR_MISSED = _rule(
    "missed-on-calendar",
    "`advance=calendar` and a session's day passed without a log",
    {},
    "that session is `missed`; the plan keeps its dates",
    "Session {day} of week {week} ({date}) was missed.",
    OURS,
    True,
)
GAP_REPEAT = _rule(
    "gap-14-repeat",
    "14-27 days without a log (paused days not counted)",
    {"days": 14},
    "the doses of the last week trained repeat",
    "No session for {gap} days: the doses of week {from_week} again.",
    OURS + ", after " + MUJIKA,
    True,
)
GAP_STEP_BACK = _rule(
    "gap-28-step-back",
    "28 days or more without a log (paused days not counted)",
    {"days": 28, "weeks_back": 2, "phases_back": 1},
    "rehab: one phase back; otherwise the doses of two weeks before the last trained",
    "No session for {gap} days: {what}.",
    OURS + ", after " + MUJIKA,
    True,
)
PAUSED = _rule(
    "paused",
    "the programme is paused",
    {},
    "paused days are neither due nor missed nor counted in a gap; with `advance=calendar` the later "
    "sessions move by whole weeks",
    "Paused from {start}.",
    OURS,
    True,
)

RULES: tuple[ProgrammeRule, ...] = (
    MOBILITY_DAYS,
    MOBILITY_STRENGTH,
    STRETCH_MINUTES,
    STRENGTH_DAYS,
    STRENGTH_FEW,
    STRENGTH_APART,
    WEEKLY_STEP,
    WEEK_REPEATS,
    STEP_FITS,
    PAIN_NO_RISE,
    DELOAD,
    REHAB_NO_ISOMETRIC,
    PHASE_ADVANCE,
    PHASE_HOLD,
    PHASE_NOT_YET,
    SESSIONS_SHIFT,
    CALENDAR_MISSED,
    GAP_REPEAT,
    GAP_STEP_BACK,
    PAUSED,
)
BY_ID = {rule.id: rule for rule in RULES}


def cite(source: str) -> str:
    for full, short in SHORT.items():
        source = source.replace(full, short)
    return source


def markdown() -> str:
    """The README's table of programme rules, in the order they are read."""
    lines = ["| Rule | When | What happens | Source | Own design |", "| --- | --- | --- | --- | --- |"]
    lines.extend(
        f"| `{r.id}` | {r.when} | {r.action} | {cite(r.source)} | {'yes' if r.own_design else 'no'} |" for r in RULES
    )
    return "\n".join(lines) + "\n"
