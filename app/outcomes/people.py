"""One user's outcomes from their per-user counts and sums (app/outcomes/store.py makes those in SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import app.outcomes.completion as completion
import app.outcomes.measures as m
import app.outcomes.motion as motion
from app.assessments.catalogue import load as assessment_tests
from app.outcomes.models import (
    Adherence,
    FollowUp,
    NotAvailable,
    PainOutcome,
    PainWindow,
    Safety,
    UserOutcomes,
)

NO_REFERRALS = (
    "referrals are given in /workouts answers but not stored, so they cannot be counted; "
    "`checkins_at_8_or_more` counts check-ins at the referral level instead"
)


@dataclass(frozen=True)
class UserTally:
    """What the SQL counts and sums for one user, up to ``today``: the only input of ``assess``."""

    user_id: str
    start: date  # the first day with a check-in or a session
    last_score_day: date | None  # the last day with a pain score
    baseline: m.Tally
    current: m.Tally  # the 14 days ending on last_score_day
    follow_ups: dict[int, m.Tally]  # week -> scores in its window
    sessions: int
    sessions_first_two_weeks: int
    sessions_in_programme: int  # in the first 12 weeks
    sessions_above_5: int
    checkins_at_8_or_more: int
    goal: str | None = None  # the goal most of the user's logs were for (m.GOAL)
    rom: tuple[motion.SideSessions, ...] = ()  # per assessment test, method and side: first and latest session
    programmes: tuple[completion.ProgrammeRow, ...] = ()


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _window(first: date, last: date, tally: m.Tally) -> PainWindow:
    mean = _rounded(tally.mean) if tally.enough else None
    return PainWindow(first_day=first, last_day=last, days_scored=tally.days, mean=mean)


def _pain(t: UserTally) -> PainOutcome:
    baseline_window = _window(t.start, t.start + timedelta(days=m.WINDOW_DAYS - 1), t.baseline)
    if t.last_score_day is None:
        return PainOutcome(
            status="too_little_data", missing="no pain scores: no check-ins and no session pain logged",
            baseline=None, current=None, change_points=None, change_percent=None, meaningful=None,
        )
    current_window = _window(t.last_score_day - timedelta(days=m.WINDOW_DAYS - 1), t.last_score_day, t.current)
    span = (t.last_score_day - t.start).days + 1
    missing = []
    if not t.baseline.enough:
        missing.append(
            f"baseline: {t.baseline.days} day(s) with a pain score in the first 14, {m.MIN_SCORED_DAYS} needed"
        )
    if span < m.MIN_SPAN_DAYS:
        missing.append(
            f"follow-up: pain scores span {span} day(s); a change needs {m.MIN_SPAN_DAYS}, so that the last 14 days "
            "do not overlap the first 14"
        )
    elif not t.current.enough:
        missing.append(f"current: {t.current.days} day(s) with a pain score in the last 14, {m.MIN_SCORED_DAYS} needed")
    if missing:
        return PainOutcome(
            status="too_little_data", missing="; ".join(missing), baseline=baseline_window,
            current=current_window if span >= m.MIN_SPAN_DAYS else None,
            change_points=None, change_percent=None, meaningful=None,
        )
    found = m.change(t.baseline.mean, t.current.mean)
    return PainOutcome(
        status="ok", missing=None, baseline=baseline_window, current=current_window,
        change_points=_rounded(found.points), change_percent=_rounded(found.percent, 1), meaningful=found.meaningful,
    )


def _follow_up(t: UserTally, week: int, today: date) -> FollowUp:
    first, last = (t.start + timedelta(days=d) for d in m.FOLLOW_UPS[week])
    tally = t.follow_ups[week]
    window = _window(first, last, tally)
    empty = {"change_points": None, "change_percent": None, "meaningful": None}
    if not t.baseline.enough:
        return FollowUp(week=week, status="no_baseline", window=window, **empty)
    if today <= last:
        return FollowUp(week=week, status="not_yet_due", window=window, **empty)
    if not tally.enough:
        return FollowUp(week=week, status="missing", window=window, **empty)
    found = m.change(t.baseline.mean, tally.mean)
    return FollowUp(
        week=week, status="ok", window=window, change_points=_rounded(found.points),
        change_percent=_rounded(found.percent, 1), meaningful=found.meaningful,
    )


def not_started(
    user_id: str, today: date, rom: tuple[motion.SideSessions, ...] = (),
    programmes: tuple[completion.ProgrammeRow, ...] = (),
) -> UserOutcomes:
    """A user whose every check-in and session is dated after ``today`` (or who has only assessments):
    no pain or adherence to assess yet, and in no cohort."""
    nothing = UserTally(
        user_id=user_id, start=today, last_score_day=None, baseline=m.Tally(0, 0), current=m.Tally(0, 0),
        follow_ups={week: m.Tally(0, 0) for week in m.FOLLOW_UPS}, sessions=0, sessions_first_two_weeks=0,
        sessions_in_programme=0, sessions_above_5=0, checkins_at_8_or_more=0, rom=rom, programmes=programmes,
    )
    found = assess(nothing, today)
    return found.model_copy(update={"start": None, "days_followed": 0})


def assess(t: UserTally, today: date) -> UserOutcomes:
    """The user's outcomes as of ``today`` (a UTC date): every decision from app.outcomes.measures."""
    days_followed = max(0, (today - t.start).days + 1)
    return UserOutcomes(
        user_id=t.user_id,
        as_of=today,
        start=t.start,
        days_followed=days_followed,
        goal=t.goal,
        pain=_pain(t),
        follow_ups=[_follow_up(t, week, today) for week in sorted(m.FOLLOW_UPS)],
        adherence=Adherence(
            sessions=t.sessions,
            sessions_first_two_weeks=t.sessions_first_two_weeks,
            habit_point_reached=m.habit_point(t.sessions_first_two_weeks, days_followed),
            sessions_a_week=_rounded(m.sessions_a_week(t.sessions_in_programme, days_followed)),
        ),
        safety=Safety(
            sessions_above_5=t.sessions_above_5,
            checkins_at_8_or_more=t.checkins_at_8_or_more,
            referrals=NotAvailable(missing=NO_REFERRALS),
        ),
        programme=completion.outcome(t.programmes, today),
        assessments=motion.assess(t.rom, assessment_tests().tests),
    )
