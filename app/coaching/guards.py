"""Whole-history checks, read once per request: the load ratio and the pain trend, and the ``guards``
an adapted workout reports (what each found, or why it could not say)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.coaching.history import CheckIn, Session
from app.coaching.models import Guard
from app.coaching.rules import LOAD_GUARD, PAIN_TREND


def pain_trend(sessions: Sequence[Session], checkins: Sequence[CheckIn], today: date) -> tuple[float, float] | None:
    """Mean pain of the last 7 days and of the 7 before: check-ins and every session's pain before and after."""
    days = int(PAIN_TREND.params["days"])
    now: list[int] = []
    before: list[int] = []
    readings: list[tuple[date, int | None]] = [(c.date, c.pain) for c in checkins]
    for session in sessions:
        readings += ((session.day, session.pain_before), (session.day, session.pain_after))
    for day, pain in readings:  # one loop, no call a reading: 60 of them a request
        age = (today - day).days
        if pain is None or age < 0:
            continue
        if age < days:
            now.append(pain)
        elif age < 2 * days:
            before.append(pain)
    if not now or not before:
        return None
    return round(sum(now) / len(now), 2), round(sum(before) / len(before), 2)


def load_ratio(sessions: Sequence[Session], today: date) -> tuple[float, float, float] | None:
    """(ratio, acute load, chronic weekly load), or None with under 3 weeks of history, or a week of the
    last 4 without a session load.

    Three weeks, because in a person's first weeks every week is "more than
    the 4-week mean" and the guard would deload everyone new (our choice).
    """
    p = LOAD_GUARD.params
    if not sessions or (today - sessions[0].day).days < p["history_days_at_least"]:
        return None
    acute = chronic = 0
    weeks: set[int] = set()
    for session in sessions:
        age = (today - session.day).days
        load = session.load
        if load is None or age < 0:
            continue
        if age < p["acute_days"]:
            acute += load
        if age < p["chronic_days"]:
            chronic += load
            weeks.add(age // int(p["acute_days"]))
    weekly = chronic * p["acute_days"] / p["chronic_days"]
    # Sparse training (a session every 12-15 days) is not a base to compare with: one session in a
    # quiet week would read as a spike. So a load in every one of the 4 weeks, or no ratio (our choice).
    if weekly == 0 or len(weeks) < p["weeks_trained"]:
        return None
    return round(acute / weekly, 2), float(acute), round(weekly, 2)


def guards(ratio: tuple[float, float, float] | None, trend: tuple[float, float] | None) -> list[Guard]:
    load = Guard(
        rule=LOAD_GUARD.id,
        fired=ratio is not None and ratio[0] > LOAD_GUARD.params["above"],
        value=None if ratio is None else ratio[0],
        values=[] if ratio is None else [ratio[1], ratio[2]],
        detail=(
            "Too little history to compare: it needs sessions with RPE and minutes in each of the last 4 weeks, "
            "the first at least 3 weeks ago, and no break of 14 days."
            if ratio is None
            else f"Load of the last 7 days {ratio[1]:g}, 4-week weekly mean {ratio[2]:g}: ratio {ratio[0]:g} "
            f"(deload above {LOAD_GUARD.params['above']:g})."
        ),
    )
    pain = Guard(
        rule=PAIN_TREND.id,
        fired=trend is not None and trend[0] > trend[1],
        value=None if trend is None else round(trend[0] - trend[1], 2),
        values=[] if trend is None else list(trend),
        detail=(
            "Too little pain data to compare two weeks."
            if trend is None
            else f"Mean pain of the last 7 days {trend[0]:g}, of the 7 before {trend[1]:g}."
        ),
    )
    return [load, pain]
