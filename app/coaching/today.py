"""Today's pain grade from the person's own data: which report sets it, as a table of rules.

A coach that waits for the app to send ``pain_level`` trains a person through
a flare the app forgot to mention. So when the query gives no pain level, the
most recent report of the last days sets it: a check-in, or the pain after a
session (on one day, the worst report counts). An explicit ``pain_level`` still
wins, but never below what today's check-in says: the person's own word of this
morning is not lowered by a default an app sent. The answer names the rule, the
day and the value (``PainToday``), so a reader sees where the grade came from.

Pure: no clock, no I/O; ``today`` is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from app.coaching.history import CheckIn, Session

SILBERNAGEL_SHORT = "Silbernagel et al. 2007, Am J Sports Med (pain the next morning as the guide)"
OURS = "hipflex's own design"


@dataclass(frozen=True)
class GradeRule:
    """One way today's pain level can be set: a row of the README's pain-source table."""

    id: str
    when: str
    params: Mapping[str, int]
    detail: str  # told to the user: {level}, {day}, {asked}
    source: str
    own_design: bool


ASKED = GradeRule(
    "query-pain-level",
    "the query gives `pain_level`, and today has no check-in higher",
    {},
    "Pain {level}/10, as sent with the request.",
    OURS,
    True,
)
ASKED_RAISED = GradeRule(
    "checkin-today-over-query",
    "the query gives `pain_level`, but a check-in of today is higher: the check-in counts",
    {},
    "Pain {level}/10 from your check-in of today ({day}); the request said {asked}/10, and the higher counts.",
    OURS + ": the person's own report of today is never lowered by a value an app sent",
    True,
)
CHECKIN = GradeRule(
    "checkin",
    "no `pain_level` sent: a check-in of today, else of yesterday (the worst of that day)",
    {"days_back": 1},
    "Pain {level}/10 from your check-in of {day}.",
    SILBERNAGEL_SHORT + "; how far back to look is our own design",
    True,
)
SESSION_AFTER = GradeRule(
    "session-pain-after",
    "no `pain_level` sent and no newer check-in: the pain after a session of the last 2 days (the worst)",
    {"days_back": 2},
    "Pain {level}/10 after your session of {day}, the latest report we have.",
    OURS + ", after " + SILBERNAGEL_SHORT + ": pain after a session is read for 2 days, the next morning and one "
    "more, since the person has not told us it settled",
    True,
)
NO_REPORT = GradeRule(
    "no-report",
    "no `pain_level` sent and no check-in or session pain in the last 2 days",
    {},
    "No pain reported in the last 2 days: 0/10, the session as prescribed.",
    OURS,
    True,
)
GRADE_RULES: tuple[GradeRule, ...] = (ASKED_RAISED, ASKED, CHECKIN, SESSION_AFTER, NO_REPORT)


class PainToday(BaseModel):
    """Where today's pain level (and so its grade, GET /pain-grades) came from."""

    model_config = ConfigDict(frozen=True)

    level: int = Field(ge=0, le=10, description="The pain level the workout was planned for, 0-10.")
    rule: str = Field(description="The rule that set it (see the README's table of pain sources).")
    day: date | None = Field(description="The day of the report it came from; null when none was used.")
    detail: str = Field(description="Where it came from, in words.")


def _day(day: date) -> str:
    return f"{day:%b} {day.day}"


def _worst_by_day(checkins: Iterable[CheckIn], sessions: Iterable[Session], today: date) -> tuple[
    dict[date, int], dict[date, int]
]:
    first = today - timedelta(days=max(CHECKIN.params["days_back"], SESSION_AFTER.params["days_back"]))
    by_checkin: dict[date, int] = {}
    for checkin in checkins:
        if first <= checkin.date <= today:
            by_checkin[checkin.date] = max(checkin.pain, by_checkin.get(checkin.date, 0))
    by_session: dict[date, int] = {}
    for session in sessions:
        if session.pain_after is not None and first <= session.day <= today:
            by_session[session.day] = max(session.pain_after, by_session.get(session.day, 0))
    return by_checkin, by_session


def pain_today(
    sessions: Iterable[Session], checkins: Iterable[CheckIn], today: date, asked: int | None
) -> PainToday:
    """Today's pain level and where it came from. ``asked``: the query's ``pain_level`` when it was sent.

    Without ``asked``, the newest day with a report wins (check-ins up to yesterday, session pain up to
    2 days back); on that day the worst report counts, a check-in before a session on a tie.
    """
    by_checkin, by_session = _worst_by_day(checkins, sessions, today)
    if asked is not None:
        mine = by_checkin.get(today)
        if mine is not None and mine > asked:
            text = ASKED_RAISED.detail.format(level=mine, day=_day(today), asked=asked)
            return PainToday(level=mine, rule=ASKED_RAISED.id, day=today, detail=text)
        return PainToday(level=asked, rule=ASKED.id, day=None, detail=ASKED.detail.format(level=asked))
    for back in range(SESSION_AFTER.params["days_back"] + 1):
        day = today - timedelta(days=back)
        checkin = by_checkin.get(day) if back <= CHECKIN.params["days_back"] else None
        session = by_session.get(day)
        if checkin is None and session is None:
            continue
        if session is None or (checkin is not None and checkin >= session):
            assert checkin is not None
            return PainToday(level=checkin, rule=CHECKIN.id, day=day, detail=CHECKIN.detail.format(
                level=checkin, day=_day(day)))
        return PainToday(level=session, rule=SESSION_AFTER.id, day=day, detail=SESSION_AFTER.detail.format(
            level=session, day=_day(day)))
    return PainToday(level=0, rule=NO_REPORT.id, day=None, detail=NO_REPORT.detail)


def markdown() -> str:
    """The README's table of where today's pain level comes from, in the order it is read."""
    lines = ["| Rule | When | Source |", "| --- | --- | --- |"]
    lines.extend(f"| `{rule.id}` | {rule.when} | {rule.source} |" for rule in GRADE_RULES)
    return "\n".join(lines) + "\n"
