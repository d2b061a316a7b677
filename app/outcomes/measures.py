"""What an outcome is: every definition behind the figures, with its source, and the statistics on them.

Pure: numbers in, numbers out; no HTTP, no SQL (tests/test_layout.py). The
SQL in app/outcomes/store.py counts and sums per user; everything that
decides (a meaningful change, the habit point, an interval) is here, so the
per-user answer and the tenant's report decide the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.workouts.pain import SILBERNAGEL

FARRAR = (
    "Farrar JT, Young JP Jr, LaMoreaux L, Werth JL, Poole RM. Clinical importance of changes in chronic pain "
    "intensity measured on an 11-point numerical pain rating scale. Pain 2001;94(2):149-158"
)
BAILEY = (
    "Bailey JF, Agarwal V, Zheng P, et al. Digital care for chronic musculoskeletal pain: 10,000 participant "
    "longitudinal cohort study. J Med Internet Res 2020;22(5):e18250"
)
WILSON = (
    "Wilson EB. Probable inference, the law of succession, and statistical inference. "
    "J Am Stat Assoc 1927;22(158):209-212"
)
OWN_DESIGN = "hipflex own design"

WINDOW_DAYS = 14  # baseline and current pain: the mean of a 14-day window (issue 24; Bailey et al. 2020 use 2 weeks)
MIN_SCORED_DAYS = 3  # own design: a window's mean needs three days with a score, so one bad day is not a baseline
# A change needs the current window to begin after the baseline window ends: 28 days from the first day.
MIN_SPAN_DAYS = 2 * WINDOW_DAYS
MCID_POINTS = 2.0  # Farrar et al. 2001: about 2 points ...
MCID_PERCENT = 30.0  # ... or about 30 % on the 0-10 scale; we require both (issue 24), the stricter reading
HABIT_SESSIONS = 6  # Bailey et al. 2020: six sessions in the first two weeks, the "habit point"
HABIT_DAYS = 14
PROGRAMME_DAYS = 84  # 12 weeks: the length of Bailey et al.'s programme; adherence is counted over it
MIN_ADHERENCE_DAYS = 7  # own design: sessions a week over less than a week would be a guess
# Pain at week N: the mean of the 14 days ending with week N (days counted from the first day, 0-based).
FOLLOW_UPS = {6: (28, 41), 12: (70, 83)}
SAFE_SESSION_PAIN = 5  # Silbernagel et al. 2007: up to 5/10 during or after exercise is acceptable
REFERRAL_PAIN = 8  # app/workouts/pain.py: at 8/10 or more /workouts gives a referral, not a session
DAYS_AHEAD = 1  # data dated up to a day after today (UTC) counts: a user's own date can be a day ahead of UTC's
MIN_COHORT = 10  # the default of HIPFLEX_OUTCOMES_MIN_COHORT; why 10: see the README's privacy rule
Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval for a share (Wilson 1927): sound at 0 %, 100 % and small n. None for n = 0."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # (clamped: at p = 0 or 1 the bound is exactly 0 or 1, but floating point can miss it by an ulp)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Tally:
    """Pain in one window: the days with a score and the sum of their scores (the SQL's count and sum)."""

    days: int
    total: float

    @property
    def enough(self) -> bool:
        return self.days >= MIN_SCORED_DAYS

    @property
    def mean(self) -> float:
        return self.total / self.days


@dataclass(frozen=True)
class Change:
    """From one pain mean to a later one: negative points are less pain."""

    points: float
    percent: float | None  # None when the baseline is 0: no share of nothing
    meaningful: bool


def change(baseline: float, later: float) -> Change:
    """The change and whether it is a minimal clinically important one: at least 2 points AND at least 30 %
    less pain than at baseline (Farrar et al. 2001 give both thresholds; we require both). A baseline of 0
    cannot improve."""
    points = later - baseline
    percent = None if baseline == 0 else 100.0 * points / baseline
    meaningful = percent is not None and -points >= MCID_POINTS and -percent >= MCID_PERCENT
    return Change(points, percent, meaningful)


def habit_point(sessions_first_two_weeks: int, days_followed: int) -> bool | None:
    """Whether the habit point (six sessions in the first 14 days, Bailey et al. 2020) was reached; None while
    it can still be (fewer than six so far and the 14 days not over: on day 13 a sixth may still come)."""
    if sessions_first_two_weeks >= HABIT_SESSIONS:
        return True
    return False if days_followed > HABIT_DAYS else None


def sessions_a_week(sessions_in_programme: int, days_followed: int) -> float | None:
    """Sessions a week over the first 12 weeks (or the days so far, if fewer); None under a week."""
    days = min(days_followed, PROGRAMME_DAYS)
    return None if days < MIN_ADHERENCE_DAYS else 7.0 * sessions_in_programme / days


@dataclass(frozen=True)
class Definition:
    """One definition behind the figures: what it says, where it comes from, and whether it is our own."""

    id: str
    means: str
    source: str
    own_design: bool


DEFINITIONS: tuple[Definition, ...] = (
    Definition("pain-score", "A day's pain score is the mean of its check-in's pain and its sessions' (a "
               "session's: the mean of pain before and after, whichever were logged)", OWN_DESIGN, True),
    Definition("start", "Day 0 is the first day with a check-in or a session; days are UTC days", OWN_DESIGN, True),
    Definition("baseline", f"The mean daily pain score of days 0-{WINDOW_DAYS - 1}", "issue 24", False),
    Definition("current", f"The mean daily pain score of the {WINDOW_DAYS} days ending on the last day with a "
               "score", "issue 24", False),
    Definition("enough-scores", f"A window's mean needs {MIN_SCORED_DAYS} days with a score, and a change needs "
               f"scores spanning "
               f"{MIN_SPAN_DAYS} days so the windows do not overlap", OWN_DESIGN, True),
    Definition("mcid", f"A minimal clinically important difference: at least {MCID_POINTS:g} points AND at least "
               f"{MCID_PERCENT:g} % less pain than at baseline", FARRAR + " (either threshold; both is our reading)",
               False),
    Definition("follow-up", "Pain at week N: the mean of the 14 days ending with week N (days 28-41, 70-83); "
               "missing once that window is over with too few scores (a drop-out)", OWN_DESIGN, True),
    Definition("habit-point", f"{HABIT_SESSIONS} sessions in the first {HABIT_DAYS} days", BAILEY, False),
    Definition("sessions-a-week", f"Sessions in the first {PROGRAMME_DAYS // 7} weeks over the weeks so far "
               f"(from day {MIN_ADHERENCE_DAYS})", OWN_DESIGN + "; 12 weeks as in " + BAILEY, True),
    Definition("unsafe-session", f"A session with pain before or after above {SAFE_SESSION_PAIN}/10", SILBERNAGEL,
               False),
    Definition("severe-checkin", f"A check-in at {REFERRAL_PAIN}/10 or more: where /workouts refers to a clinician",
               "app/workouts/pain.py (NICE CKS hip pain)", False),
    Definition("rom-change", "Per assessment test and side: the first session's mean of its trials against the "
               "latest's, in the method of the test's latest session (methods are never compared), judged by the "
               "test's MDC95 for that method and rater design: app/assessments/trends.py's verdict",
               "the assessment catalogue's MDC95 sources (app/assessments/data/tests.json)", False),
    Definition("rom-real-change", "A user has a real range-of-motion change when any test and side improved (got "
               "looser) by at least its MDC95; of users with a test measured twice on one side with one method",
               OWN_DESIGN, True),
    Definition("goal", "A user's goal is the goal most of their logged workouts were generated for (the log's "
               "workout seed or link); a tie goes to the goal of the latest such log; no goal when no log names "
               "its workout", OWN_DESIGN, True),
    Definition("programme-completed", "A programme is finished when ended or its planned weeks are over, and "
               "completed when finished with at least 80 % of its planned sessions logged (days with a log from "
               "its start to its end); a user counts when any finished programme was completed", OWN_DESIGN, True),
    Definition("interval", "Each share's 95 % confidence interval is Wilson's score interval", WILSON, False),
    Definition("min-cohort", f"No figure over fewer than {MIN_COHORT} users (cohort or denominator), nor for a "
               "filter that leaves out fewer than that", OWN_DESIGN + " (see the README's privacy rule)", True),
)
