"""Rules about the whole adapted session, read after every item is decided: what goes, and what the notes say.

Rows like ``rules.RULES`` (an id, when, its parameters, what happens, the reason told, the source, own
design or not), but they decide no dose: ``adapt`` and ``fit`` apply them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.coaching.sources import GABBETT, MUJIKA, OURS, SILBERNAGEL
from app.workouts.selection import OVER


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
KEEP_STEP = FitRule(
    "step-up-kept-in-time",
    "a stepped-up exercise would itself be left out for time",
    {},
    "it is held at its last dose instead, and the session fitted again: a step up that does not fit today "
    "waits, so the exercise is done rather than dropped in every later session",
    "{name} stays at its last dose today: stepped up, it would not fit in the time.",
    OURS,
    True,
)
DELOAD = FitRule(
    "deload-volume",
    "the load rule asked for a deload: the session's sets above 60% of the plan's",
    {"sets_kept_at_most": 0.6},
    "whole items leave, the generator's least important first, until the session has at most 60% of the "
    "plan's sets (one item at least); they are listed in `omitted`, reason `deload`",
    "A lighter session: {sets} sets instead of the plan's {planned}; {dropped} left out this time.",
    OURS + ", after " + GABBETT + " (a 40-50% volume cut)",
    True,
)
FLARE = FitRule(
    "flare-48-hours",
    "the user's latest session hurt above 5/10, less than 14 days ago",
    {"above": 5, "settle_hours": 48, "within_days": 14},
    "a note: nothing new, what hurt is paused or swapped, and see a clinician if the pain has not settled within "
    "48 hours of that session",
    "Your session of {day} hurt {peak}/10. Nothing new today, and what hurt is paused or swapped for an easier "
    "variant. If the pain has not settled back to your usual level within 48 hours of that session (by {by}), "
    "see a physiotherapist or doctor before you train again.",
    SILBERNAGEL + "; the 48 hours and the advice to see a clinician are our own design",
    True,
)
FLARE_UNSETTLED = FitRule(
    "flare-not-settled",
    "the user's latest session hurt above 5/10, 48 hours or more ago, and today's pain is still above 5/10",
    {"above": 5, "settle_hours": 48},
    "the note says the pain has not settled and to see a clinician before training on",
    "Your session of {day} hurt {peak}/10, and today, {hours} hours on, your pain is still {level}/10: it has "
    "not settled. See a physiotherapist or doctor before you train again; until then only what you know, "
    "gently, and nothing new.",
    SILBERNAGEL + "; the 48 hours and the advice to see a clinician are our own design",
    True,
)
GAP = FitRule(
    "gap-note",
    "14 days or more since the user's last session",
    {"days": 14, "restart_days": 28},
    "a note saying how long the break was and what the session does about it",
    "{gap} days since your last session ({day}): {what}",
    OURS + ", after " + MUJIKA,
    True,
)
FIT_RULES: tuple[FitRule, ...] = (FLARE, FLARE_UNSETTLED, GAP, DELOAD, OVER_TIME, KEEP_STEP)
