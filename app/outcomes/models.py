"""What the outcome routes answer: one user's outcomes, and a tenant's anonymised cohort report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["ok", "too_little_data", "not_available"]


class PainWindow(BaseModel):
    """The mean daily pain score in a window of days (a day's score: the mean of its check-in and sessions)."""

    first_day: date
    last_day: date
    days_scored: int = Field(description="Days in the window with a check-in or a session with pain logged.")
    mean: float | None = Field(description="The mean of their scores, 0-10; null with fewer than 3 such days.")


class PainOutcome(BaseModel):
    """Baseline (first 14 days) against current (last 14 days with a score)."""

    status: Status
    missing: str | None = Field(description="What is missing when `status` is not `ok`.")
    baseline: PainWindow | None
    current: PainWindow | None
    change_points: float | None = Field(description="Current minus baseline: negative is less pain.")
    change_percent: float | None = Field(description="The change as a percentage of the baseline (null at baseline 0).")
    meaningful: bool | None = Field(
        description="A minimal clinically important difference: at least 2 points AND at least 30 % less pain "
        "(Farrar et al. 2001)."
    )


class FollowUp(BaseModel):
    """Pain at a fixed week after the first day, against the baseline."""

    week: int
    status: Literal["ok", "not_yet_due", "missing", "no_baseline"] = Field(
        description="`missing`: the window is over with fewer than 3 days scored (the user dropped out or stopped "
        "scoring); `not_yet_due`: the window has not ended."
    )
    window: PainWindow
    change_points: float | None
    change_percent: float | None
    meaningful: bool | None


class Adherence(BaseModel):
    sessions: int = Field(description="Sessions logged up to today.")
    sessions_first_two_weeks: int
    habit_point_reached: bool | None = Field(
        description="Six sessions in the first 14 days (Bailey et al. 2020); null while it can still be reached."
    )
    sessions_a_week: float | None = Field(
        description="Over the first 12 weeks, or the days so far if fewer; null in the first 7 days."
    )


class NotAvailable(BaseModel):
    status: Status = "not_available"
    missing: str


class Safety(BaseModel):
    sessions_above_5: int = Field(description="Sessions with pain before or after above 5/10 (Silbernagel et al.).")
    checkins_at_8_or_more: int = Field(
        description="Check-ins at 8/10 or more: the level at which /workouts gives a referral instead of a session."
    )
    referrals: NotAvailable


class UserOutcomes(BaseModel):
    """One user's outcomes, from their check-ins and logs up to `as_of` (UTC days)."""

    user_id: str
    as_of: date
    start: date | None = Field(
        description="The first day with a check-in or a session: day 0 of every window (null when every one is "
        "dated after `as_of`: such a user is in no cohort yet)."
    )
    days_followed: int = Field(description="Days from `start` to `as_of`, both counted (0 before the start).")
    pain: PainOutcome
    follow_ups: list[FollowUp]
    adherence: Adherence
    safety: Safety
    programme: NotAvailable
    assessments: NotAvailable


class Figure(BaseModel):
    """One row of the report."""

    id: str
    label: str
    value: int | float | None = Field(description="The figure; a share is 0-1. Null when it cannot be given.")
    numerator: int | None
    denominator: int | None
    ci95_low: float | None = Field(description="Wilson 95 % interval of a share.")
    ci95_high: float | None
    unit: Literal["users", "share", "points", "percent", "sessions a week", "sessions", "check-ins"]
    note: str | None


class Cohort(BaseModel):
    as_of: date
    start_from: str | None = Field(description="First month of start (YYYY-MM) in the cohort, if filtered.")
    start_to: str | None = Field(description="Last month of start (YYYY-MM) in the cohort, if filtered.")
    users: int = Field(description="Users in the cohort (always stated).")
    min_size: int = Field(description="The smallest cohort that gets figures.")
    figures_shown: bool
    withheld: str | None = Field(description="Why no figures are given, when they are not.")


class CohortReport(BaseModel):
    """A tenant's users' outcomes as a cohort: no user ids, no figures for a small cohort."""

    cohort: Cohort
    figures: list[Figure]
    caveat: str
