"""The coach's whole job for one day, for every door (the routes, the fast lane, a CLI): ``next_workout``.

Generate the workout the plain generator gives for the query, keep the history and check-ins of the
window before ``today``, and adapt the workout to them. Raises the generator's ``UnknownExercises``
or ``WorkoutImpossible``; each door turns them into its own message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.catalogue import Catalogue
from app.coaching.adapt import adapt
from app.coaching.history import CheckIn, Session, recent, window
from app.coaching.models import AdaptedWorkout
from app.workouts import WorkoutQuery, generate


def next_workout(
    catalogue: Catalogue,
    query: WorkoutQuery,
    seed: int,
    today: date,
    history: Iterable[Session],
    checkins: Iterable[CheckIn],
) -> AdaptedWorkout:
    """The workout for ``query`` and ``seed``, adapted to the sessions and check-ins of the window before ``today``."""
    workout = generate(catalogue, query, seed)
    first = window(today)[0].date()
    return adapt(
        workout, recent(history, today), [c for c in checkins if first <= c.date <= today], catalogue, today=today
    )
