"""The coach's whole job for one day, for every door (the routes, the fast path, a CLI): ``next_workout``.

Read today's pain level from the person's own data (``today.pain_today``), generate the workout the plain
generator gives for the query at that level, keep the history and check-ins of the window before
``today``, and adapt the workout to them. Raises the generator's ``UnknownExercises`` or
``WorkoutImpossible``; each door turns them into its own message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.catalogue import Catalogue
from app.coaching.adapt import adapt
from app.coaching.history import CheckIn, Session, recent, window
from app.coaching.models import AdaptedWorkout
from app.coaching.today import pain_today
from app.workouts import WorkoutQuery, generate


def next_workout(
    catalogue: Catalogue,
    query: WorkoutQuery,
    seed: int,
    today: date,
    history: Iterable[Session],
    checkins: Iterable[CheckIn],
    *,
    asked_pain: int | None = None,
    last_seen: date | None = None,
) -> AdaptedWorkout:
    """The workout for ``query`` and ``seed`` at today's pain level, adapted to the sessions and check-ins
    of the window before ``today``. ``asked_pain``: the request's ``pain_level`` when it sent one (None:
    the person's own reports set it); ``last_seen``: the day of the user's latest session when it is
    older than ``history`` reaches (a long break is then said, never a silent reset)."""
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
