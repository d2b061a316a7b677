"""A tenant's anonymised cohort report, made only from its users' per-user answers (``people.assess``).

Built from the very answers ``GET /users/{id}/outcomes`` gives (rounded as
shown), so the report is their aggregation by construction, and a property
test checks it against one written separately. The privacy rule lives here:
no user ids, and no figure over fewer people than the minimum cohort size.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Callable, Sequence
from datetime import date

import app.outcomes.measures as m
from app.outcomes.models import Cohort, CohortReport, Figure, UserOutcomes

CAVEAT = (
    "Observational figures from the users' own logs and check-ins, with no control group: an improvement may come "
    "from the programme, from time (many hip and groin complaints settle on their own), from regression to the mean "
    "or from who keeps logging. Shares 'of completers' leave out users who stopped scoring (their number is given "
    "as drop-outs); shares 'of those due' count them as not improved."
)
NOT_AVAILABLE = {
    "referrals": (
        "Referrals by urgency",
        "referrals are given in /workouts answers but not stored; see checkins_at_8_or_more",
    ),
}
CSV_COLUMNS = ["id", "label", "value", "numerator", "denominator", "ci95_low", "ci95_high", "unit", "note"]


def _share(id: str, label: str, hits: int, n: int, min_size: int, note: str | None = None) -> Figure:
    if n < min_size:
        small = f"{n} user(s) in the denominator, under the minimum of {min_size}: not shown"
        return Figure(
            id=id, label=label, value=None, numerator=None, denominator=n, ci95_low=None, ci95_high=None,
            unit="share", note="; ".join(filter(None, [small, note])),
        )
    interval = m.wilson(hits, n)
    assert interval is not None
    return Figure(
        id=id, label=label, value=round(hits / n, 4), numerator=hits, denominator=n,
        ci95_low=round(interval.low, 4), ci95_high=round(interval.high, 4), unit="share", note=note,
    )


def _summary(
    id: str, label: str, values: Sequence[float], min_size: int, of: Callable[[Sequence[float]], float], unit: str
) -> Figure:
    shown = len(values) >= min_size
    note = None if shown else f"{len(values)} user(s) with a value, under the minimum of {min_size}: not shown"
    return Figure(
        id=id, label=label, value=round(of(values), 2) if shown else None, numerator=None,
        denominator=len(values), ci95_low=None, ci95_high=None, unit=unit, note=note,
    )


def _count(id: str, label: str, value: int, unit: str, of: int | None = None, note: str | None = None) -> Figure:
    return Figure(
        id=id, label=label, value=value, numerator=None, denominator=of, ci95_low=None, ci95_high=None,
        unit=unit, note=note,
    )


def _follow_up_figures(people: Sequence[UserOutcomes], week: int, min_size: int) -> list[Figure]:
    ups = [next(f for f in p.follow_ups if f.week == week) for p in people]
    due = [f for f in ups if f.status in ("ok", "missing")]
    done = [f for f in due if f.status == "ok"]
    hits = sum(1 for f in done if f.meaningful)
    dropouts = len(due) - len(done)
    return [
        _share(
            f"pain_mcid_{week}_weeks_of_due",
            f"Meaningful less pain at week {week}, of users with a baseline whose week-{week} window is over "
            "(no scores then counts as not improved)",
            hits, len(due), min_size,
        ),
        _share(
            f"pain_mcid_{week}_weeks_of_completers",
            f"Meaningful less pain at week {week}, of completers (users with pain scores at week {week})",
            hits, len(done), min_size, note=f"{dropouts} drop-out(s) left out",
        ),
        _count(f"dropouts_{week}_weeks", f"Users due at week {week} without pain scores then", dropouts, "users"),
    ]


def figures(people: Sequence[UserOutcomes], min_size: int) -> list[Figure]:
    """Every figure of the report, each from the per-user answers alone."""
    decided = [p.adherence.habit_point_reached for p in people if p.adherence.habit_point_reached is not None]
    too_early = len(people) - len(decided)
    weekly = [p.adherence.sessions_a_week for p in people if p.adherence.sessions_a_week is not None]
    changed = [p.pain for p in people if p.pain.status == "ok"]
    points = [c.change_points for c in changed if c.change_points is not None]
    percents = [c.change_percent for c in changed if c.change_percent is not None]
    sessions = sum(p.adherence.sessions for p in people)
    moved = [p.assessments for p in people if p.assessments.real_change is not None]
    unmeasured = len(people) - len(moved)
    planned = [p.programme for p in people if p.programme.completed_any is not None]
    unfinished = len(people) - len(planned)
    found = [
        _share(
            "habit_point", "Reached the habit point: six sessions in the first 14 days (Bailey et al. 2020)",
            sum(decided), len(decided), min_size, note=f"{too_early} user(s) still in their first 14 days left out",
        ),
        _summary("sessions_a_week_median", "Median sessions a week over the first 12 weeks", weekly, min_size,
                 statistics.median, "sessions a week"),
        *_follow_up_figures(people, 6, min_size),
        *_follow_up_figures(people, 12, min_size),
        _share(
            "pain_mcid_latest",
            "Meaningful less pain, last 14 days against the first 14 (>= 2 points and >= 30 %, Farrar et al. 2001)",
            sum(1 for c in changed if c.meaningful), len(changed), min_size,
        ),
        _summary("pain_change_mean_points", "Mean pain change, last 14 days against the first 14 (0-10 points)",
                 points, min_size, statistics.fmean, "points"),
        _summary("pain_change_median_points", "Median pain change, last 14 days against the first 14 (points)",
                 points, min_size, statistics.median, "points"),
        _summary("pain_change_mean_percent", "Mean pain change as a percentage of the baseline",
                 percents, min_size, statistics.fmean, "percent"),
        _share(
            "rom_real_change",
            "A real range-of-motion change: any assessment test and side improved by at least its MDC95, first "
            "session against the latest with one method (of users with a test measured twice; own design)",
            sum(1 for r in moved if r.real_change), len(moved), min_size,
            note=f"{unmeasured} user(s) without a test measured twice on one side with one method left out",
        ),
        _share(
            "programme_completion",
            "Completed a programme: finished (ended, or its weeks over) with at least 80 % of its planned sessions "
            "logged (of users with a finished programme; own design)",
            sum(1 for c in planned if c.completed_any), len(planned), min_size,
            note=f"{unfinished} user(s) without a finished programme left out",
        ),
        _count("sessions_above_5", "Sessions with pain before or after above 5/10 (Silbernagel et al. 2007)",
               sum(p.safety.sessions_above_5 for p in people), "sessions", of=sessions),
        _count("checkins_at_8_or_more", "Check-ins at 8/10 or more (where /workouts refers to a clinician)",
               sum(p.safety.checkins_at_8_or_more for p in people), "check-ins"),
    ]
    for id, (label, why) in NOT_AVAILABLE.items():
        unit = "users" if id == "referrals" else "share"
        found.append(Figure(id=id, label=label, value=None, numerator=None, denominator=None, ci95_low=None,
                            ci95_high=None, unit=unit, note=f"not available: {why}"))
    return found


def withheld(size: int, everyone: int, filtered: bool, min_size: int) -> str | None:
    """Why a cohort gets no figures, or None. Under ``min_size`` users, or, for a filtered cohort, leaving out
    fewer than ``min_size`` of the tenant's users: its figures and the unfiltered report's would differ by
    those few people's, and so show them."""
    if size < min_size:
        return f"the cohort has {size} user(s); figures are given for {min_size} or more, so no one can be singled out"
    left_out = everyone - size
    if filtered and 0 < left_out < min_size:
        return (
            f"the filter leaves out {left_out} of the tenant's users; set beside the unfiltered report that would "
            f"show their figures, so a filter must leave out none or at least {min_size}"
        )
    return None


def report(
    people: Sequence[UserOutcomes], *, everyone: int, as_of: date, start_from: str | None, start_to: str | None,
    min_size: int, goal: str | None = None, programme: str | None = None,
) -> CohortReport:
    """The report for ``people`` (the filtered cohort) of a tenant with ``everyone`` users."""
    filtered = any(f is not None for f in (start_from, start_to, goal, programme))
    reason = withheld(len(people), everyone, filtered, min_size)
    users = _count("users", "Users in the cohort", len(people), "users", note=reason)
    cohort = Cohort(
        as_of=as_of, start_from=start_from, start_to=start_to, goal=goal, programme=programme,
        users=len(people), min_size=min_size,
        figures_shown=reason is None, withheld=reason,
    )
    rows = [users] if reason is not None else [users, *figures(people, min_size)]
    return CohortReport(cohort=cohort, figures=rows, caveat=CAVEAT)


def to_csv(found: CohortReport) -> str:
    """The report's figures as a CSV table, one row a figure (the same rows as the JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in found.figures:
        values = row.model_dump()
        writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
    return out.getvalue()
