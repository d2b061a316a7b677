"""Programme completion for outcomes: one function fed by programme rows, waiting for the programmes table.

Pure. Programmes (issue 22) are stored in a table of their own on another branch; until it is merged,
``people.assess`` says `not_available` (``people.NO_PROGRAMMES``). The hook, once it is: the SQL in
app/outcomes/store.py reads each user's programmes (status, weeks, days a week, start, the day it ended)
with the count of logs that name each one (``logs.programme``), and ``assess`` below turns them into the
user's ``programme`` part; the cohort's `programme_completion` is then the share of users whose
``completed`` is true, of those for whom it is not null, as `rom_real_change` is made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

COMPLETED_SHARE = 0.8  # own design: at least 80 % of the planned sessions logged, a common adherence cut-off


@dataclass(frozen=True)
class ProgrammeRow:
    """One of the user's stored programmes, as outcomes read it."""

    status: str  # active | paused | ended (the programmes store's)
    weeks: int
    days_per_week: int
    start: date
    ended: date | None  # the day it was ended, if it was
    sessions_done: int  # logs that name this programme's sessions


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
