"""One exercise over time: its sessions bucketed by local week or month (pure: no SQL, no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from app.progress.records import RecordPublic
from app.progress.trends import week_of


class Bucket(StrEnum):
    week = "week"
    month = "month"


@dataclass(frozen=True)
class ExerciseSession:
    """One exercise in one session, summed over its sets, with that session's best set."""

    log_id: str
    performed_at: datetime
    pain_after: int | None
    sets: int
    reps: int
    hold_seconds: int
    volume_kg: float
    best_reps: int | None
    best_hold_seconds: int | None
    best_load_kg: float | None
    failed_reps: int = 0  # reps of this exercise's sets marked not completed
    max_rpe: int | None = None  # the hardest set of this exercise, by RPE


class SessionMark(BaseModel):
    """One session of this exercise: how it went, failed sets included."""

    performed_at: datetime
    log_id: str
    pain_after: int | None = Field(description="The session's pain after, 0-10, as logged.")
    max_rpe: int | None = Field(description="The highest RPE logged on a set of this exercise.")
    failed_reps: int = Field(description="Reps of the sets marked not completed (kept, not dropped).")


class BestSet(BaseModel):
    """The heaviest completed set, then the one with most reps, then the longest hold; earliest on a tie."""

    reps: int | None
    hold_seconds: int | None
    load_kg: float | None
    performed_at: datetime
    log_id: str


class Point(BaseModel):
    starts: date = Field(description="The bucket's first local day (a Monday, or the 1st of the month).")
    sessions: int
    sets: int = Field(description="Every set logged, completed or not.")
    reps: int = Field(description="Reps of completed sets.")
    hold_seconds: int = Field(
        description="Time under tension: hold_seconds x reps over completed sets (a hold alone once)."
    )
    volume_kg: float = Field(description="load_kg x reps over completed sets.")
    failed_reps: int = Field(description="Reps of sets marked not completed: failed work is kept in the series.")
    best_set: BestSet | None
    sessions_done: list[SessionMark] = Field(description="Each session in the bucket, with its pain and RPE.")


class ExerciseProgress(BaseModel):
    """One exercise's series, one point per bucket that holds it, and its all-time records."""

    exercise: str
    window: str
    bucket: Bucket
    tz: str
    series: list[Point]
    records: list[RecordPublic]


def _key(s: ExerciseSession) -> tuple[float, int, int]:
    return (s.best_load_kg or 0.0, s.best_reps or 0, s.best_hold_seconds or 0)


def bucket_of(moment: datetime, bucket: Bucket, tz: ZoneInfo) -> date:
    if bucket is Bucket.week:
        return week_of(moment, tz)
    return moment.astimezone(tz).date().replace(day=1)


def series(sessions: list[ExerciseSession], bucket: Bucket, tz: ZoneInfo) -> list[Point]:
    """Points for the buckets that hold a session, oldest first; ``sessions`` come oldest first."""
    grouped: dict[date, list[ExerciseSession]] = {}
    for s in sessions:
        grouped.setdefault(bucket_of(s.performed_at, bucket, tz), []).append(s)
    points = []
    for starts, held in sorted(grouped.items()):
        rated = [s for s in held if s.best_reps is not None or s.best_hold_seconds is not None]
        best = None
        if rated:
            top = max(_key(s) for s in rated)
            winner = next(s for s in rated if _key(s) == top)  # the earliest of equals
            best = BestSet(
                reps=winner.best_reps,
                hold_seconds=winner.best_hold_seconds,
                load_kg=winner.best_load_kg,
                performed_at=winner.performed_at,
                log_id=winner.log_id,
            )
        points.append(
            Point(
                starts=starts,
                sessions=len(held),
                sets=sum(s.sets for s in held),
                reps=sum(s.reps for s in held),
                hold_seconds=sum(s.hold_seconds for s in held),
                volume_kg=round(sum(s.volume_kg for s in held), 2),
                failed_reps=sum(s.failed_reps for s in held),
                best_set=best,
                sessions_done=[
                    SessionMark(
                        performed_at=s.performed_at,
                        log_id=s.log_id,
                        pain_after=s.pain_after,
                        max_rpe=s.max_rpe,
                        failed_reps=s.failed_reps,
                    )
                    for s in held
                ],
            )
        )
    return points
