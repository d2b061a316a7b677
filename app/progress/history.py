"""A user's recent history as plain data: what the adaptive coach (issue 11) reads, with no SQL in sight.

Sessions are oldest first; each holds its exercises in logged order and
each exercise its sets in order, every field as logged (``None`` where the
user left it out). Check-ins come alongside, oldest date first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class SetDone:
    reps: int | None
    hold_seconds: int | None
    load_kg: float | None
    rpe: int | None
    rir: int | None
    completed: bool


@dataclass(frozen=True)
class ExercisePerformance:
    exercise: str
    sets: tuple[SetDone, ...]


@dataclass(frozen=True)
class SessionHistory:
    log_id: str
    performed_at: datetime
    duration_minutes: int | None
    session_rpe: int | None
    pain_before: int | None
    pain_after: int | None
    exercises: tuple[ExercisePerformance, ...]


@dataclass(frozen=True)
class CheckinHistory:
    date: date
    pain: int
    stiffness: int | None


@dataclass(frozen=True)
class History:
    user_id: str
    since: datetime
    until: datetime
    sessions: tuple[SessionHistory, ...]
    checkins: tuple[CheckinHistory, ...]

    def of_exercise(self, slug: str) -> list[tuple[SessionHistory, ExercisePerformance]]:
        """Every session holding ``slug``, oldest first, with that exercise's sets (one entry per occurrence)."""
        return [(s, e) for s in self.sessions for e in s.exercises if e.exercise == slug]
