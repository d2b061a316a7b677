"""The coach's whole job for one day, for every door (the routes, the fast path, a CLI, a programme's day).

Read today's pain level from the person's own data (``today.pain_today``), keep the history and check-ins of
the window before ``today``, and adapt a workout to them: ``coach`` adapts a workout already planned (a
programme's session), ``next_workout`` first generates the one the plain generator gives for the query at
today's pain level. One adapt path for both. Raises the generator's ``UnknownExercises`` or
``WorkoutImpossible``; each door turns them into its own message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.catalogue import Catalogue
from app.coaching.adapt import adapt
from app.coaching.history import CheckIn, Session, recent, window
from app.coaching.models import AdaptedWorkout
from app.coaching.today import PainToday, pain_today
from app.workouts import Workout, WorkoutQuery, generate


@dataclass(frozen=True)
class Day:
    """What the coach reads of the person's data for ``today``: the window's sessions and check-ins, today's
    pain level and where it came from, and the day of the latest session ever seen."""

    today: date
    sessions: list[Session]
    reports: list[CheckIn]
    pain: PainToday
    seen: date | None


def read_day(
    today: date,
    history: Iterable[Session],
    checkins: Iterable[CheckIn],
    *,
    asked_pain: int | None = None,
    last_seen: date | None = None,
) -> Day:
    """``asked_pain``: the request's ``pain_level`` when it sent one (None: the person's own reports set it);
    ``last_seen``: the day of the user's latest session when it is older than ``history`` reaches (a long break
    is then said, never a silent reset)."""
    everything = list(history)
    sessions = recent(everything, today)
    first = window(today)[0].date()
    reports = [c for c in checkins if first <= c.date <= today]
    pain = pain_today(sessions, reports, today, asked_pain)
    older = [s.day for s in everything if s.day <= today]
    seen = max([*older, *([last_seen] if last_seen is not None else [])], default=None)
    return Day(today, sessions, reports, pain, seen)


def coach(catalogue: Catalogue, workout: Workout, day: Day) -> AdaptedWorkout:
    """``workout`` with each item progressed, held, regressed, swapped or deloaded from ``day``'s data.

    A workout planned ahead (a programme's session) was built before today's pain was known: when today's
    level is above the one it was built at, it is built again from its own parameters and seed at today's level
    (the pain grade chooses the exercises and caps the doses), the cautious side of the planned week's doses."""
    if day.pain.level > workout.parameters.pain_level:
        query = WorkoutQuery.model_validate(
            {**workout.parameters.model_dump(include=set(WorkoutQuery.model_fields)), "pain_level": day.pain.level}
        )
        workout = generate(catalogue, query, workout.seed)
    return adapt(
        workout, day.sessions, day.reports, catalogue, today=day.today, pain=day.pain, last_seen=day.seen
    )


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
    """The workout for ``query`` and ``seed`` at today's pain level, adapted (``coach``) to the sessions and
    check-ins of the window before ``today``."""
    day = read_day(today, history, checkins, asked_pain=asked_pain, last_seen=last_seen)
    return coach(catalogue, generate(catalogue, at_pain(query, day.pain.level), seed), day)


def at_pain(query: WorkoutQuery, level: int) -> WorkoutQuery:
    """The plain workout's query: ``query`` (its workout parameters alone) at today's pain level."""
    parameters = query.model_dump(include=set(WorkoutQuery.model_fields))
    return WorkoutQuery.model_validate({**parameters, "pain_level": level})
