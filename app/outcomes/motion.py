"""Range of motion for outcomes: per assessment test and side, the first session against the latest, judged by
the test's MDC with the assessments' own verdict (app/assessments/trends.py), never a copy of it.

Pure: the SQL in app/outcomes/store.py reduces a user's assessments to one ``SideSessions`` per test, method
and side (its first and latest session's mean of the primary measure); here each test is read in the method
of its latest session, as /progress reads it, so two methods are never compared with each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import app.assessments.trends as trends
from app.assessments.catalogue import AssessmentTest, Method
from app.outcomes.models import RangeOfMotion, RomChange

NO_ASSESSMENTS = (
    "no assessments: log a range-of-motion test (GET /assessment-tests) at the start and again later, on the same "
    "side with the same method, to see a change"
)


@dataclass(frozen=True)
class SideSessions:
    """One user's sessions of one test with one method on one side, as the SQL reduces them."""

    test: str
    method: str
    side: str
    sessions: int
    first_at: datetime
    first_value: float  # the mean of the first session's trials on this side
    first_rater: str
    last_at: datetime
    last_id: str
    last_value: float
    last_rater: str


def _missing_side(test: AssessmentTest, method: str, side: str) -> RomChange:
    return RomChange(
        test=test.code, side=side, method=method, measure=test.primary_measure, status="too_little_data",
        missing=f"no {method} session of this test on the {side} side", sessions=0, baseline=None,
        baseline_at=None, current=None, current_at=None, change=None, mdc=None, design=None, verdict=None,
    )


def _change(test: AssessmentTest, row: SideSessions) -> RomChange:
    shown = {
        "test": test.code, "side": row.side, "method": row.method, "measure": test.primary_measure,
        "sessions": row.sessions, "baseline": round(row.first_value, 2), "baseline_at": row.first_at,
        "current": round(row.last_value, 2), "current_at": row.last_at,
    }
    if row.sessions < 2:
        return RomChange(
            **shown, status="too_little_data", change=None, mdc=None, design=None, verdict=None,
            missing=f"one {row.method} session of this test on the {row.side} side: a change needs a second",
        )
    design = trends.design_of(row.first_rater, row.last_rater)
    mdc = test.mdc(Method(row.method), design)
    assert mdc is not None  # the catalogue has both designs for every method (checked at load)
    tighter_is = test.measure(test.primary_measure).tighter_is or "higher"
    # the exact means decide; the answer shows them rounded (as trends does)
    delta = row.last_value - row.first_value
    return RomChange(
        **shown, status="ok", missing=None, change=round(delta, 2), mdc=mdc, design=design,
        verdict=trends.verdict(delta, mdc, tighter_is),
    )


def assess(rows: Iterable[SideSessions], tests: Sequence[AssessmentTest]) -> RangeOfMotion:
    """Per test (catalogue order) and side, in the method of the test's latest session; and whether any
    test and side changed beyond its MDC in the improving direction (a *real change*, own design)."""
    mine = list(rows)
    changes: list[RomChange] = []
    for test in tests:
        done = [r for r in mine if r.test == test.code]
        if not done:
            continue
        method = max(done, key=lambda r: (r.last_at, r.last_id)).method
        by_side = {r.side: r for r in done if r.method == method}
        changes += [
            _change(test, by_side[side.value]) if side.value in by_side else _missing_side(test, method, side.value)
            for side in test.sides
        ]
    judged = [c for c in changes if c.verdict is not None]
    if not judged:
        missing = NO_ASSESSMENTS if not changes else (
            "no test measured twice on the same side with the same method: "
            + "; ".join(f"{c.test} {c.side}: {c.missing}" for c in changes)
        )
        return RangeOfMotion(status="too_little_data", missing=missing, real_change=None, tests=changes)
    real = any(c.verdict == trends.Verdict.improved for c in judged)
    return RangeOfMotion(status="ok", missing=None, real_change=real, tests=changes)
