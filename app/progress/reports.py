"""What each progress endpoint reports: the store's SQL aggregates, shaped by the pure modules.

Every function reads on one connection and returns None for a user the
tenant has neither logs nor check-ins for (another tenant's user included),
which the routes answer with a 404. ``now`` is an argument so tests can pin it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from app import checkins
from app.assessments import store as assessments
from app.assessments.catalogue import load as assessment_tests
from app.assessments.trends import latest_verdicts
from app.catalogue import load_catalogue
from app.catalogue.models import Goal, Kind
from app.db import snapshot
from app.progress import exercises, store, trends
from app.progress.records import E1RM_FORMULA, Metric, RecordList, RecordPublic, counts


def records(
    engine: Engine, tenant: str, user_id: str, *, exercise: str | None = None, metric: Metric | None = None
) -> RecordList | None:
    with snapshot(engine) as connection:
        found = store.records(connection, tenant, user_id, exercise=exercise, metric=metric)
        if not found and not checkins.known_user(connection, tenant, user_id):
            return None
    return RecordList(e1rm_formula=E1RM_FORMULA, items=meaningful(found))


def meaningful(found: list[RecordPublic]) -> list[RecordPublic]:
    """The records that mean something for their exercise's kind (``records.counts``)."""
    kinds = _kinds()
    return [r for r in found if counts(kinds.get(r.exercise), r.metric)]


@lru_cache(maxsize=1)
def _kinds() -> dict[str, Kind]:
    """Each built-in exercise's kind, read once (the catalogue file is parsed only here)."""
    return {exercise.slug: exercise.kind for exercise in load_catalogue().exercises}


def progress(
    engine: Engine, tenant: str, user_id: str, *, window: str, tz: ZoneInfo, goal: Goal | None, now: datetime
) -> trends.ProgressPublic | None:
    days = trends.WINDOWS[window]
    since = None
    if days is not None:
        since = now - timedelta(days=max(2 * days, trends.CHRONIC_DAYS))
    first = (since or datetime(1900, 1, 2, tzinfo=tz)).astimezone(tz).date() - timedelta(days=1)
    with snapshot(engine) as connection:  # sessions and check-ins of one state (app.db.snapshot)
        if not assessments.known_user(connection, tenant, user_id):
            return None
        sessions = store.sessions(connection, tenant, user_id, since, now)
        times = store.session_times(connection, tenant, user_id, now)
        found = checkins.between(connection, tenant, user_id, first, now.astimezone(tz).date())
        readings, _ = assessments.readings(connection, tenant, user_id, until=now)
    pains = [trends.CheckinPain(c.date, c.pain) for c in found]
    summary = trends.summarize(
        window=window, tz=tz, now=now, sessions=sessions, times=times, checkins=pains, goal=goal
    )
    summary.assessments = latest_verdicts(assessment_tests().tests, readings)
    return summary


def exercise_progress(
    engine: Engine,
    tenant: str,
    user_id: str,
    slug: str,
    *,
    window: str,
    bucket: exercises.Bucket,
    tz: ZoneInfo,
    now: datetime,
) -> exercises.ExerciseProgress | None:
    days = trends.WINDOWS[window]
    since = now - timedelta(days=days) if days is not None else None
    with snapshot(engine) as connection:
        if not checkins.known_user(connection, tenant, user_id):
            return None
        held = store.exercise_sessions(connection, tenant, user_id, slug, since, now)
        best = meaningful(store.records(connection, tenant, user_id, exercise=slug))
    # The window is (since, now]: the store's bound is inclusive, so drop a session exactly at its start.
    held = [s for s in held if since is None or s.performed_at > since]
    return exercises.ExerciseProgress(
        exercise=slug,
        window=window,
        bucket=bucket,
        tz=tz.key,
        series=exercises.series(held, bucket, tz),
        records=best,
    )

