"""Personal records: the metrics, their units and the rules that decide them (pure: no SQL, no HTTP).

Each metric has exactly one unit, so seconds are never compared with reps.
Only sets marked completed count: an unfinished set is logged work, never a
record. The store computes the values in SQL with these same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.catalogue.models import Kind


class Metric(StrEnum):
    max_reps = "max_reps"
    longest_hold_seconds = "longest_hold_seconds"
    max_load_kg = "max_load_kg"
    e1rm_kg = "e1rm_kg"
    max_time_under_tension_seconds = "max_time_under_tension_seconds"
    max_volume_kg = "max_volume_kg"


@dataclass(frozen=True)
class MetricRule:
    metric: Metric
    unit: str
    scope: str  # "set" or "session"
    definition: str


# Epley (1985): e1RM = load x (1 + reps / 30). Beyond about 12 reps every e1RM formula drifts, so only
# loaded sets of 1-12 reps give one.
E1RM_FORMULA = "epley"
E1RM_MAX_REPS = 12
# Our own threshold, from the pain-monitoring model (Silbernagel et al., 2007): pain after <= 3/10 is
# "safe". A session without a pain_after is NOT qualified: we cannot say it was pain-free, so the app
# should not celebrate it (the cautious reading).
PAIN_QUALIFIED_MAX = 3

RULES: tuple[MetricRule, ...] = (
    MetricRule(Metric.max_reps, "reps", "set", "most reps in one completed set"),
    MetricRule(Metric.longest_hold_seconds, "seconds", "set", "longest hold_seconds in one completed set"),
    MetricRule(Metric.max_load_kg, "kg", "set", "heaviest load_kg (> 0) in one completed set"),
    MetricRule(
        Metric.e1rm_kg,
        "kg",
        "set",
        f"best estimated one-rep max, Epley: load_kg x (1 + reps / 30), loaded sets of 1-{E1RM_MAX_REPS} reps",
    ),
    MetricRule(
        Metric.max_time_under_tension_seconds,
        "seconds",
        "session",
        "most seconds under tension in one session: the sum over completed sets of hold_seconds x reps, "
        "a hold without reps counting once",
    ),
    MetricRule(
        Metric.max_volume_kg,
        "kg",
        "session",
        "most volume in one session: the sum of load_kg x reps over completed sets",
    ),
)
BY_METRIC = {rule.metric: rule for rule in RULES}

# Which metrics mean something for which kind of exercise (our own design). Pressing on a sore spot or
# breathing is not a performance, so releases, breathing and checks have no records at all; a stretch
# or a mobility drill is held, not repeated for more, so it reports its longest hold; and no hip-flexor
# exercise here is a lift done heavy for few reps, so none has an estimated one-rep max (an e1RM of a
# knee raise with a 2 kg ankle weight says nothing). An exercise outside the catalogue keeps every
# metric but the e1RM.
NO_RECORDS = frozenset({Kind.release, Kind.breathing, Kind.assessment})
METRICS_BY_KIND: dict[Kind, frozenset[Metric]] = {
    Kind.stretch: frozenset({Metric.longest_hold_seconds}),
    Kind.mobility: frozenset({Metric.longest_hold_seconds}),
    Kind.stability: frozenset({Metric.max_reps, Metric.longest_hold_seconds, Metric.max_time_under_tension_seconds}),
    Kind.strength: frozenset(set(Metric) - {Metric.e1rm_kg}),
}
UNKNOWN_KIND = frozenset(set(Metric) - {Metric.e1rm_kg})


def counts(kind: Kind | None, metric: Metric) -> bool:
    """Whether ``metric`` is a record for an exercise of this kind (None: not in the catalogue)."""
    if kind is None:
        return metric in UNKNOWN_KIND
    return kind not in NO_RECORDS and metric in METRICS_BY_KIND.get(kind, UNKNOWN_KIND)


def e1rm(load_kg: float, reps: int) -> float | None:
    """Epley's estimate, or None where it does not apply."""
    if load_kg <= 0 or not 1 <= reps <= E1RM_MAX_REPS:
        return None
    return load_kg * (1 + reps / 30)


def pain_qualified(pain_after: int | None) -> bool:
    return pain_after is not None and pain_after <= PAIN_QUALIFIED_MAX


def rounded(metric: Metric, value: float) -> float:
    """Whole numbers for reps and seconds; kilograms to 0.01."""
    return float(round(value)) if BY_METRIC[metric].unit in ("reps", "seconds") else round(value, 2)


class RecordPublic(BaseModel):
    """The best value of one metric for one exercise. Ties go to the earliest session."""

    exercise: str
    metric: Metric
    value: float
    unit: str = Field(description="`reps`, `seconds` or `kg`: one unit per metric.")
    performed_at: datetime
    log_id: str
    pain_qualified: bool = Field(
        description="True when that session's pain_after was <= 3/10; false when higher or not logged."
    )


class RecordList(BaseModel):
    """A user's personal records, by exercise then metric."""

    e1rm_formula: str = Field(description="`epley`: load_kg x (1 + reps / 30), for loaded sets of 1-12 reps.")
    items: list[RecordPublic]


def record(
    exercise: str, metric: Metric, value: float, performed_at: datetime, log_id: str, pain_after: int | None
) -> RecordPublic:
    return RecordPublic(
        exercise=exercise,
        metric=metric,
        value=rounded(metric, value),
        unit=BY_METRIC[metric].unit,
        performed_at=performed_at,
        log_id=log_id,
        pain_qualified=pain_qualified(pain_after),
    )
