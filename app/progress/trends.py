"""Progress over a window: totals, local weeks, streak, pain, effort and load (pure: no SQL, no HTTP).

Sessions arrive already summed per log (by the store, in SQL); this module
buckets them into ISO weeks of the user's time zone, where DST makes a week
167 or 169 hours long, and derives the trends. ``now`` is an argument, so the
same history always gives the same answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from app.catalogue.models import Goal
from app.coaching.rules import LOAD_GUARD
from app.workouts.goals import BY_GOAL

WINDOWS: dict[str, int | None] = {"7d": 7, "28d": 28, "90d": 90, "365d": 365, "all": None}
ACUTE_DAYS, CHRONIC_DAYS = 7, 28

# Sessions a week each goal's frequency advice recommends, read from that advice (app/workouts/goals.py):
# "about twice a week" -> 2; rehab's gentle daily work -> 7 (our own reading of "can be done daily").
# A warm-up goes before each session, so it has no weekly number.
RECOMMENDED_PER_WEEK: dict[Goal, int | None] = {
    Goal.balanced: 2,
    Goal.mobility: 2,
    Goal.strength: 2,
    Goal.rehab: 7,
    Goal.posture: 2,
    Goal.warmup: None,
}


@dataclass(frozen=True)
class Session:
    """One log, summed: what progress needs of it."""

    log_id: str
    performed_at: datetime
    duration_minutes: int | None
    session_rpe: int | None
    pain_before: int | None
    pain_after: int | None
    workout: Any
    sets: int


@dataclass(frozen=True)
class CheckinPain:
    date: date
    pain: int


class TrainingFrequency(BaseModel):
    goal: Goal | None = Field(description="The goal compared against: `goal` if given, else the most-logged one.")
    chosen_by: str = Field(description="`query`, `most_logged`, or `none` when no session names a goal.")
    sessions_per_week: float
    recommended_per_week: int | None = Field(description="From the goal's frequency advice; null for warm-ups.")
    advice: str | None
    sources: list[str]


class Pain(BaseModel):
    mean_before: float | None
    mean_after: float | None
    checkin_mean: float | None
    previous_mean_before: float | None = Field(description="The same means over the previous window of equal length.")
    previous_mean_after: float | None
    previous_checkin_mean: float | None
    change_before: float | None = Field(description="mean_before - previous_mean_before (negative: less pain).")
    change_after: float | None
    change_checkin: float | None


class RpeTrend(BaseModel):
    first_week_mean: float | None = Field(description="Mean session RPE in the first week with a rated session.")
    last_week_mean: float | None
    delta: float | None = Field(description="last_week_mean - first_week_mean.")
    slope_per_week: float | None = Field(
        description="Least-squares slope of the weekly means against the week's index (null under two weeks)."
    )


class Load(BaseModel):
    acute: int = Field(description="Sum of session RPE x minutes over the last 7 days.")
    chronic: float = Field(description="Weekly average of session RPE x minutes over the last 28 days.")
    ratio: float | None = Field(
        description="acute / chronic; null without enough history to compare (the coach's rule: a session load "
        "in each of the last 4 weeks, the first session at least 21 days ago). Above 1.5 is a spike."
    )


class Week(BaseModel):
    week: str = Field(description="ISO week in the time zone, e.g. `2026-W48`.")
    starts: date = Field(description="Its Monday.")
    sessions: int
    minutes: int
    sets: int
    mean_session_rpe: float | None
    load: int
    checkin_pain_mean: float | None


class ProgressPublic(BaseModel):
    """A user's training over a window, bucketed in the time zone given."""

    window: str
    tz: str
    start: datetime | None = Field(description="The window's start (null for `all`); it ends at `end`.")
    end: datetime = Field(
        description="The window's end: the request time rounded up to the next whole minute (the answer is exact "
        "for that instant and may be given again within that minute, unless the user's data changes)."
    )
    sessions: int
    minutes: int
    sets: int
    frequency: TrainingFrequency
    streak_weeks: int = Field(
        description="ISO weeks in a row with at least one session, ending this week or last week (0 otherwise)."
    )
    pain: Pain
    rpe_trend: RpeTrend
    load: Load
    weeks: list[Week]


def goal_of(workout: Any) -> Goal | None:
    """The goal of the workout a log followed: from its {goal, seed} or its `self` link."""
    value: object = None
    if isinstance(workout, dict):
        value = workout.get("goal")
    elif isinstance(workout, str):
        value = next(iter(parse_qs(urlsplit(workout).query).get("goal", [])), None)
    return Goal(value) if isinstance(value, str) and value in Goal.__members__ else None


def week_of(moment: datetime | date, tz: ZoneInfo) -> date:
    """The Monday of the local ISO week holding ``moment`` (a date is already local)."""
    day = moment.astimezone(tz).date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def streak(times: list[datetime], tz: ZoneInfo, now: datetime) -> int:
    """Weeks in a row with a session, ending this week or last week: a rest week in progress breaks nothing."""
    weeks = {week_of(t, tz) for t in times if t <= now}
    this_week = week_of(now, tz)
    current = this_week if this_week in weeks else this_week - timedelta(weeks=1)
    count = 0
    while current in weeks:
        count += 1
        current -= timedelta(weeks=1)
    return count


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _change(now: float | None, before: float | None) -> float | None:
    return round(now - before, 2) if now is not None and before is not None else None


def session_load(session: Session) -> int:
    """Session RPE x minutes (Foster et al., 2001); a session missing either adds nothing."""
    if session.session_rpe is None or session.duration_minutes is None:
        return 0
    return session.session_rpe * session.duration_minutes


def _slope(points: list[tuple[int, float]]) -> float | None:
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / spread, 3)


def enough_history(sessions: list[Any], times: list[datetime], now: datetime) -> bool:
    """The coach's test before it reads a load ratio (rule ``load-ratio-above-1.5``): the first session at
    least 3 weeks back, and a session load in every one of the last 4 weeks, so that sparse training
    (a session every 12-15 days) is never reported as a spike."""
    p = LOAD_GUARD.params
    if not times or now - min(times) < timedelta(days=p["history_days_at_least"]):
        return False
    weeks = {
        int((now - s.performed_at) / timedelta(days=p["acute_days"]))
        for s in sessions
        if session_load(s) and now - timedelta(days=p["chronic_days"]) < s.performed_at <= now
    }
    return len(weeks) >= p["weeks_trained"]


def summarize(
    *,
    window: str,
    tz: ZoneInfo,
    now: datetime,
    sessions: list[Session],
    times: list[datetime],
    checkins: list[CheckinPain],
    goal: Goal | None,
) -> ProgressPublic:
    """Everything ``/progress`` says. ``sessions`` must reach back to the previous window and 28 days."""
    days = WINDOWS[window]
    start = now - timedelta(days=days) if days is not None else None
    previous_start = now - timedelta(days=2 * days) if days is not None else None
    in_window = [s for s in sessions if (start is None or s.performed_at > start) and s.performed_at <= now]
    previous = []
    if start is not None and previous_start is not None:
        previous = [s for s in sessions if previous_start < s.performed_at <= start]
    local_today = now.astimezone(tz).date()
    first_day = start.astimezone(tz).date() if start is not None else None
    checkins_now = [c.pain for c in checkins if (first_day is None or c.date >= first_day) and c.date <= local_today]
    checkins_before: list[int] = []
    if start is not None and previous_start is not None:
        previous_first = previous_start.astimezone(tz).date()
        checkins_before = [c.pain for c in checkins if previous_first <= c.date < first_day]  # type: ignore[operator]

    span_start = start or (min((s.performed_at for s in in_window), default=now))
    weeks_long = max((now - span_start) / timedelta(weeks=1), 1.0)
    chosen_by = "query" if goal is not None else "none"
    if goal is None:
        logged = Counter(g for g in (goal_of(s.workout) for s in in_window) if g is not None)
        latest = {goal_of(s.workout): s.performed_at for s in in_window}
        if logged:
            goal = max(logged, key=lambda g: (logged[g], latest[g]))
            chosen_by = "most_logged"
    plan = BY_GOAL[goal] if goal is not None else None

    before = [s.pain_before for s in in_window if s.pain_before is not None]
    after = [s.pain_after for s in in_window if s.pain_after is not None]
    before_prev = [s.pain_before for s in previous if s.pain_before is not None]
    after_prev = [s.pain_after for s in previous if s.pain_after is not None]
    pain = Pain(
        mean_before=_mean(before),
        mean_after=_mean(after),
        checkin_mean=_mean(checkins_now),
        previous_mean_before=_mean(before_prev),
        previous_mean_after=_mean(after_prev),
        previous_checkin_mean=_mean(checkins_before),
        change_before=_change(_mean(before), _mean(before_prev)),
        change_after=_change(_mean(after), _mean(after_prev)),
        change_checkin=_change(_mean(checkins_now), _mean(checkins_before)),
    )

    weeks = _weeks(in_window, checkins, tz, week_of(span_start, tz), week_of(now, tz), first_day, local_today)
    rated = [(i, w.mean_session_rpe) for i, w in enumerate(weeks) if w.mean_session_rpe is not None]
    rpe = RpeTrend(
        first_week_mean=rated[0][1] if rated else None,
        last_week_mean=rated[-1][1] if rated else None,
        delta=_change(rated[-1][1], rated[0][1]) if rated else None,
        slope_per_week=_slope(rated),
    )
    acute = sum(session_load(s) for s in sessions if now - timedelta(days=ACUTE_DAYS) < s.performed_at <= now)
    chronic_sum = sum(session_load(s) for s in sessions if now - timedelta(days=CHRONIC_DAYS) < s.performed_at <= now)
    chronic = chronic_sum / (CHRONIC_DAYS / 7)
    return ProgressPublic(
        window=window,
        tz=tz.key,
        start=start,
        end=now,
        sessions=len(in_window),
        minutes=sum(s.duration_minutes or 0 for s in in_window),
        sets=sum(s.sets for s in in_window),
        frequency=TrainingFrequency(
            goal=goal,
            chosen_by=chosen_by,
            sessions_per_week=round(len(in_window) / weeks_long, 2),
            recommended_per_week=RECOMMENDED_PER_WEEK[goal] if goal is not None else None,
            advice=plan.frequency.advice if plan is not None else None,
            sources=list(plan.frequency.sources) if plan is not None else [],
        ),
        streak_weeks=streak(times, tz, now),
        pain=pain,
        rpe_trend=rpe,
        load=Load(
            acute=acute,
            chronic=round(chronic, 2),
            ratio=round(acute / chronic, 2) if chronic and enough_history(sessions, times, now) else None,
        ),
        weeks=weeks,
    )


def _weeks(
    sessions: list[Session],
    checkins: list[CheckinPain],
    tz: ZoneInfo,
    first: date,
    last: date,
    first_day: date | None,
    last_day: date,
) -> list[Week]:
    """One entry per local ISO week from ``first`` to ``last``, empty weeks included."""
    by_week: dict[date, list[Session]] = {}
    for s in sessions:
        by_week.setdefault(week_of(s.performed_at, tz), []).append(s)
    pains: dict[date, list[int]] = {}
    for c in checkins:
        if (first_day is None or c.date >= first_day) and c.date <= last_day:
            pains.setdefault(week_of(c.date, tz), []).append(c.pain)
    out = []
    monday = first
    while monday <= last:
        held = by_week.get(monday, [])
        year, number, _ = monday.isocalendar()
        out.append(
            Week(
                week=f"{year}-W{number:02d}",
                starts=monday,
                sessions=len(held),
                minutes=sum(s.duration_minutes or 0 for s in held),
                sets=sum(s.sets for s in held),
                mean_session_rpe=_mean([s.session_rpe for s in held if s.session_rpe is not None]),
                load=sum(session_load(s) for s in held),
                checkin_pain_mean=_mean(pains.get(monday, [])),
            )
        )
        monday += timedelta(weeks=1)
    return out
