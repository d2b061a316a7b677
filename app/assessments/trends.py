"""Trends that tell real change from noise: pure domain, no HTTP, no SQL; every input an argument.

A session's value for a side is the mean of its trials. Changes are compared with the test's
minimal detectable change (MDC95) for the method, and for the rater design: the same kind of rater
both times reads the intra-rater MDC, different kinds the (wider) inter-rater one. Two methods are
never compared with each other: each method has its own series. A side-to-side difference is
compared with the intra-rater MDC (one session, one rater); it is *confirmed* when it reaches the MDC,
tighter on the same side, in the user's last two two-sided sessions of that method, at most 14 days apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from app.assessments.catalogue import AssessmentTest, Design, Method, Side

CONFIRM_WITHIN = timedelta(days=14)


class Verdict(StrEnum):
    improved = "improved"
    worse = "worse"
    within_error = "within_error"


class AsymmetryStatus(StrEnum):
    none = "none"
    provisional = "provisional"
    confirmed = "confirmed"


@dataclass(frozen=True)
class Reading:
    """One stored session, as the trends read it."""

    id: str
    test: str
    performed_at: datetime
    method: str
    rater: str
    pain: int | None
    trials: tuple[dict[str, Any], ...]


class TrendPoint(BaseModel):
    at: datetime = Field(description="When the session was performed (UTC).")
    value: float = Field(description="The mean of the session's trials on this side.")
    trials: int
    rater: str
    assessment_id: str


class SideChange(BaseModel):
    sessions: int
    baseline: float
    latest: float
    from_baseline: float | None = Field(description="Latest minus first; null with one session.")
    from_previous: float | None = Field(description="Latest minus the one before; null with one session.")
    mdc: float | None = Field(description="The MDC95 the change from baseline was judged by.")
    design: Design | None = Field(description="`intra` when both sessions had the same kind of rater, else `inter`.")
    verdict: Verdict | None = Field(description="Change from baseline against the MDC; null with one session.")
    verdict_from_previous: Verdict | None


class Asymmetry(BaseModel):
    status: AsymmetryStatus
    tighter_side: Side | None
    difference: float | None = Field(description="|left - right| in the latest two-sided session.")
    mdc: float | None = Field(description="The intra-rater MDC95 it is compared with.")
    sessions: list[datetime] = Field(description="The sessions that showed it (two when confirmed).")


class MethodTrend(BaseModel):
    method: Method
    series: dict[Side, list[TrendPoint]]
    change: dict[Side, SideChange]
    asymmetry: Asymmetry


class TrendsPublic(BaseModel):
    """Per side and per method. The top-level `series`, `change` and `asymmetry` are those of `method`
    (the query's, else the latest session's); `methods` holds every method's, never mixed."""

    test: str
    measure: str
    unit: str
    tighter_is: str
    method: Method | None
    series: dict[Side, list[TrendPoint]]
    change: dict[Side, SideChange]
    asymmetry: Asymmetry
    methods: list[MethodTrend]


NO_ASYMMETRY = Asymmetry(status=AsymmetryStatus.none, tighter_side=None, difference=None, mdc=None, sessions=[])


def side_means(reading: Reading, measure: str) -> dict[str, tuple[float, int]]:
    """Each side's mean of a session's trials of ``measure``, and how many trials: one pass over the trials."""
    sums: dict[str, list[float]] = {}
    for trial in reading.trials:
        value = trial.get(measure)
        if value is not None and not isinstance(value, bool):
            sums.setdefault(trial.get("side", ""), []).append(float(value))
    return {side: (sum(values) / len(values), len(values)) for side, values in sums.items()}


def side_value(reading: Reading, side: Side, measure: str) -> tuple[float, int] | None:
    """The mean of a session's trials of ``measure`` on ``side``, and how many; None when there are none."""
    return side_means(reading, measure).get(side.value)


def _looser(delta: float, tighter_is: str) -> float:
    """A change expressed as how much looser it made the hip (positive = looser)."""
    return -delta if tighter_is == "higher" else delta


def verdict(delta: float, mdc: float, tighter_is: str) -> Verdict:
    looser = _looser(delta, tighter_is)
    if looser >= mdc:
        return Verdict.improved
    if looser <= -mdc:
        return Verdict.worse
    return Verdict.within_error


def design_of(first: str, second: str) -> Design:
    return Design.intra if first == second else Design.inter


def _change(test: AssessmentTest, method: Method, points: Sequence[tuple[float, str]], tighter_is: str) -> SideChange:
    """``points``: each session's exact mean on one side and its rater, oldest first."""
    (first, first_rater), (last, last_rater) = points[0], points[-1]
    if len(points) < 2:
        return SideChange(
            sessions=1, baseline=round(first, 2), latest=round(last, 2), from_baseline=None, from_previous=None,
            mdc=None, design=None, verdict=None, verdict_from_previous=None,
        )
    previous, previous_rater = points[-2]
    design = design_of(first_rater, last_rater)
    mdc = test.mdc(method, design)
    previous_mdc = test.mdc(method, design_of(previous_rater, last_rater))
    assert mdc is not None and previous_mdc is not None  # the catalogue has both designs for every method
    from_baseline, from_previous = last - first, last - previous
    return SideChange(
        sessions=len(points),
        baseline=round(first, 2),
        latest=round(last, 2),
        from_baseline=round(from_baseline, 2),
        from_previous=round(from_previous, 2),
        mdc=mdc,
        design=design,
        verdict=verdict(from_baseline, mdc, tighter_is),
        verdict_from_previous=verdict(from_previous, previous_mdc, tighter_is),
    )


def tighter(left: float, right: float, tighter_is: str) -> Side:
    """The tighter of two sides' values (called only when they differ)."""
    return Side.left if (left > right) == (tighter_is == "higher") else Side.right


def asymmetry(test: AssessmentTest, method: Method, sessions: Sequence[Reading], measure: str) -> Asymmetry:
    """The current side-to-side difference of ``measure`` for this method's sessions (oldest first)."""
    tighter_is = test.measure(measure).tighter_is or "higher"
    return _asymmetry(test, method, [(r, side_means(r, measure)) for r in sessions], tighter_is)


Measured = tuple[Reading, dict[str, tuple[float, int]]]  # a session and its sides' means


def _asymmetry(test: AssessmentTest, method: Method, sessions: Sequence[Measured], tighter_is: str) -> Asymmetry:
    mdc = test.mdc(method, Design.intra)
    assert mdc is not None
    both: list[tuple[Reading, float, Side]] = []
    for reading, means in sessions:
        left, right = means.get("left"), means.get("right")
        if left is not None and right is not None:
            both.append((reading, abs(left[0] - right[0]), tighter(left[0], right[0], tighter_is)))
    if not both:
        return NO_ASYMMETRY
    latest, difference, side = both[-1]
    if difference < mdc:
        return Asymmetry(
            status=AsymmetryStatus.none, tighter_side=None, difference=round(difference, 2), mdc=mdc, sessions=[]
        )
    if len(both) >= 2:
        before, before_difference, before_side = both[-2]
        if (
            before_difference >= mdc
            and before_side == side
            and latest.performed_at - before.performed_at <= CONFIRM_WITHIN
        ):
            return Asymmetry(
                status=AsymmetryStatus.confirmed, tighter_side=side, difference=round(difference, 2), mdc=mdc,
                sessions=[before.performed_at, latest.performed_at],
            )
    return Asymmetry(
        status=AsymmetryStatus.provisional, tighter_side=side, difference=round(difference, 2), mdc=mdc,
        sessions=[latest.performed_at],
    )


def method_trend(test: AssessmentTest, method: Method, sessions: Sequence[Reading], measure: str) -> MethodTrend:
    tighter_is = test.measure(measure).tighter_is or "higher"
    measured = [(r, side_means(r, measure)) for r in sessions]
    # Changes from the exact means; the series shows them rounded: a verdict never hangs on rounding.
    series: dict[Side, list[TrendPoint]] = {}
    change: dict[Side, SideChange] = {}
    for side in test.sides:
        exact = [(r, found) for r, means in measured if (found := means.get(side.value)) is not None]
        series[side] = [
            TrendPoint(at=r.performed_at, value=round(v, 2), trials=n, rater=r.rater, assessment_id=r.id)
            for r, (v, n) in exact
        ]
        if exact:
            change[side] = _change(test, method, [(v, r.rater) for r, (v, _) in exact], tighter_is)
    shown = _asymmetry(test, method, measured, tighter_is)
    return MethodTrend(method=method, series=series, change=change, asymmetry=shown)


def trends(
    test: AssessmentTest, measure: str, readings: Iterable[Reading], method: Method | None = None
) -> TrendsPublic:
    """The trends of one numeric measure of ``test`` from its sessions (any order; other tests' are ignored)."""
    mine = sorted((r for r in readings if r.test == test.code), key=lambda r: (r.performed_at, r.id))
    by_method = [
        method_trend(test, m, [r for r in mine if r.method == m.value], measure)
        for m in test.methods
        if any(r.method == m.value for r in mine)
    ]
    chosen = method if method is not None else (Method(mine[-1].method) if mine else None)
    shown = next((t for t in by_method if t.method == chosen), None)
    return TrendsPublic(
        test=test.code,
        measure=measure,
        unit=test.measure(measure).unit,
        tighter_is=test.measure(measure).tighter_is or "higher",
        method=chosen,
        series=shown.series if shown is not None else {side: [] for side in test.sides},
        change=shown.change if shown is not None else {},
        asymmetry=shown.asymmetry if shown is not None else NO_ASYMMETRY,
        methods=by_method,
    )


class LatestVerdict(BaseModel):
    """The latest verdict of one test on one side, for /progress: by the method of the test's latest session."""

    test: str
    side: Side
    method: Method
    measure: str
    unit: str
    latest: float
    at: datetime = Field(description="The latest session on this side with this method.")
    sessions: int
    from_baseline: float | None
    verdict: Verdict | None = Field(description="Change from baseline against the MDC; null with one session.")


def latest_verdicts(tests: Iterable[AssessmentTest], readings: Iterable[Reading]) -> list[LatestVerdict]:
    """Each test's primary measure, per side, by the method of its latest session: catalogue order, left first."""
    mine = list(readings)
    found = []
    for test in tests:
        shown = trends(test, test.primary_measure, mine)
        if shown.method is None:
            continue
        for side, change in shown.change.items():
            found.append(
                LatestVerdict(
                    test=test.code, side=side, method=shown.method, measure=shown.measure, unit=shown.unit,
                    latest=change.latest, at=shown.series[side][-1].at, sessions=change.sessions,
                    from_baseline=change.from_baseline, verdict=change.verdict,
                )
            )
    return found
