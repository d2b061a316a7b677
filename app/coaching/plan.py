"""The next session for one person: today's pain level from their own data, the workout generated at
it, then adapted from their history. One function both doors call (the stored logs and a posted history),
so neither can read the person differently."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.catalogue import Catalogue
from app.coaching.adapt import adapt
from app.coaching.history import CheckIn, Session, recent, window
from app.coaching.models import AdaptedWorkout
from app.coaching.today import pain_today
from app.workouts import generate
from app.workouts.models import WorkoutQuery


def plan(
    catalogue: Catalogue,
    query: WorkoutQuery,
    seed: int,
    today: date,
    history: Iterable[Session],
    checkins: Iterable[CheckIn],
    *,
    asked_pain: int | None,
    last_seen: date | None = None,
) -> AdaptedWorkout:
    """``query`` generated (as GET /workouts does) at today's pain level, then adapted. ``asked_pain``: the
    request's ``pain_level`` when it sent one; ``last_seen``: the day of the user's latest session when it
    is older than ``history`` reaches (a long break)."""
    everything = list(history)
    sessions = recent(everything, today)
    first = window(today)[0].date()
    reports = [c for c in checkins if first <= c.date <= today]
    pain = pain_today(sessions, reports, today, asked_pain)
    older = [s.day for s in everything if s.day <= today]
    seen = max([*older, *([last_seen] if last_seen is not None else [])], default=None)
    plain = WorkoutQuery.model_validate(
        {**query.model_dump(include=set(WorkoutQuery.model_fields)), "pain_level": pain.level}
    )
    workout = generate(catalogue, plain, seed)
    return adapt(workout, sessions, reports, catalogue, today=today, pain=pain, last_seen=seen)
