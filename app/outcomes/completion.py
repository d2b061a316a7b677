"""Programme completion for outcomes: one function fed by programme rows.

Pure. The SQL in app/outcomes/store.py reads each user's programmes (issue 22's table: status, weeks,
days a week, start, the day it ended) with the days they logged a session inside each one's weeks, and
``assess`` turns them into the user's ``programme`` part; the cohort's `programme_completion` is the
share of users with a completed programme, of those with a finished one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from app.outcomes.models import ProgrammeOutcome

COMPLETED_SHARE = 0.8  # own design: at least 80 % of the planned sessions logged, a common adherence cut-off


@dataclass(frozen=True)
class ProgrammeRow:
    """One of the user's stored programmes, as outcomes read it."""

    goal: str
    status: str  # active | paused | ended (the programmes store's)
    weeks: int
    days_per_week: int
    start: date
    ended: date | None  # the day it was ended, if it was
    sessions_done: int  # days with a logged session from its start to its end (the day ended, or its last week's)


@dataclass(frozen=True)
class Completion:
    programmes: int
    finished: int  # ended, or the planned weeks over
    completed: int  # finished with at least COMPLETED_SHARE of the planned sessions logged
    completed_any: bool | None  # None while no programme is finished: nothing to judge yet


def planned(row: ProgrammeRow) -> int:
    return row.weeks * row.days_per_week


def finished(row: ProgrammeRow, today: date) -> bool:
    """Ended by the user, or its planned weeks are over (pauses and shifts aside: the plan's own calendar)."""
    return row.status == "ended" or today >= row.start + timedelta(weeks=row.weeks)


def completed(row: ProgrammeRow, today: date) -> bool:
    """Finished with at least 80 % of its planned sessions logged (own design: issue 24 names a completion
    rate but no threshold)."""
    return finished(row, today) and row.sessions_done >= math.ceil(COMPLETED_SHARE * planned(row))


def assess(rows: Iterable[ProgrammeRow], today: date) -> Completion:
    mine = list(rows)
    done = [r for r in mine if finished(r, today)]
    hits = [r for r in done if completed(r, today)]
    return Completion(len(mine), len(done), len(hits), bool(hits) if done else None)


def outcome(rows: Iterable[ProgrammeRow], today: date) -> ProgrammeOutcome:
    """The user's ``programme`` part: counts, whether any finished programme was completed, and the goals."""
    mine = list(rows)
    found = assess(mine, today)
    missing = None
    if not mine:
        missing = "no programmes: completion needs a stored programme (POST /users/{user_id}/programmes)"
    elif found.finished == 0:
        ends = min(r.start + timedelta(weeks=r.weeks) for r in mine)
        missing = f"no programme finished yet: the first to end is over on {ends.isoformat()}"
    return ProgrammeOutcome(
        status="ok" if missing is None else "too_little_data", missing=missing, programmes=found.programmes,
        finished=found.finished, completed=found.completed, completed_any=found.completed_any,
        goals=sorted({r.goal for r in mine}),
    )
