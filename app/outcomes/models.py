"""What the outcome routes answer: one user's outcomes, and a tenant's anonymised cohort report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.assessments.catalogue import Design
from app.assessments.trends import Verdict

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


class RomChange(BaseModel):
    """One test on one side: its first session against its latest, in one method, judged by the test's MDC."""

    test: str
    side: str
    method: str = Field(description="The method of the test's latest session; other methods are not compared.")
    measure: str = Field(description="The test's primary measure (GET /assessment-tests gives its unit).")
    status: Literal["ok", "too_little_data"]
    missing: str | None = Field(description="What is missing when `status` is not `ok`.")
    sessions: int = Field(description="Sessions of this test with this method on this side.")
    baseline: float | None = Field(description="The first session's mean of its trials on this side.")
    baseline_at: datetime | None
    current: float | None = Field(description="The latest session's mean of its trials on this side.")
    current_at: datetime | None
    change: float | None = Field(description="Current minus baseline, in the measure's unit.")
    mdc: float | None = Field(description="The test's MDC95 for the method and rater design the change is judged by.")
    design: Design | None = Field(description="`intra` when both sessions had the same kind of rater, else `inter`.")
    verdict: Verdict | None = Field(
        description="`improved` (looser by at least the MDC), `worse`, or `within_error`: as /assessments/trends."
    )


class RangeOfMotion(BaseModel):
    """Range of motion from the user's assessments: per test and side, and whether any changed for real."""

    status: Literal["ok", "too_little_data"]
    missing: str | None = Field(description="What is missing when no test and side has a change to judge.")
    real_change: bool | None = Field(
        description="Any test and side improved by at least its MDC (hipflex own design); null when none can be "
        "judged."
    )
    tests: list[RomChange]


class ProgrammeOutcome(BaseModel):
    """The user's stored programmes (issue 22): how many, finished, completed."""

    status: Literal["ok", "too_little_data"]
    missing: str | None = Field(description="What is missing when no programme is finished.")
    programmes: int
    finished: int = Field(description="Ended, or their planned weeks over.")
    completed: int = Field(
        description="Finished with at least 80 % of the planned sessions (weeks x days a week) logged: days with a "
        "session from the start to the end (hipflex own design)."
    )
    completed_any: bool | None = Field(description="Any finished programme completed; null while none is finished.")
    goals: list[str] = Field(description="The goals of the user's programmes: what `GET /outcomes?programme=` reads.")


class UserOutcomes(BaseModel):
    """One user's outcomes, from their check-ins and logs up to `as_of` (UTC days)."""

    user_id: str
    as_of: date
    start: date | None = Field(
        description="The first day with a check-in or a session: day 0 of every window (null when every one is "
        "dated after `as_of`: such a user is in no cohort yet)."
    )
    days_followed: int = Field(description="Days from `start` to `as_of`, both counted (0 before the start).")
    goal: str | None = Field(
        description="The goal most of the user's logged workouts were generated for (ties: the most recent's); "
        "null when no log names its workout. What `GET /outcomes?goal=` filters on."
    )
    pain: PainOutcome
    follow_ups: list[FollowUp]
    adherence: Adherence
    safety: Safety
    programme: ProgrammeOutcome
    assessments: RangeOfMotion


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
    goal: str | None = Field(description="Only users whose goal (see a user's outcomes) is this one, if filtered.")
    programme: str | None = Field(
        description="Only users with a programme (`any`), with none (`none`), or with one for this goal."
    )
    users: int = Field(description="Users in the cohort (always stated).")
    min_size: int = Field(description="The smallest cohort that gets figures.")
    figures_shown: bool
    withheld: str | None = Field(description="Why no figures are given, when they are not.")


class CohortReport(BaseModel):
    """A tenant's users' outcomes as a cohort: no user ids, no figures for a small cohort."""

    cohort: Cohort
    figures: list[Figure]
    caveat: str
