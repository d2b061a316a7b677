"""The SQL behind records and progress: GROUP BY over ``log_sets``, one row per logged set.

Why a table of sets rather than JSON functions over ``logs.entries``: measured
on a user with 2,000 logs (20,000 sets), unnesting the JSON in SQLite
(``json_each`` + ``json_extract``, SQLite 3.40) took 600-1,300 ms a request;
the same GROUP BY over indexed rows takes a few milliseconds. ``log_sets`` is
written by the log writer in the same transaction as its log and deleted
with it (cascade), so it cannot drift, and editing or deleting a log changes
every figure at once. Python only shapes the answer and buckets sessions
into local weeks (time zones are easier there).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import Float, Integer

from app.progress.exercises import ExerciseSession
from app.progress.records import E1RM_MAX_REPS, Metric, RecordPublic, record
from app.progress.trends import Session
from app.tables import UtcDateTime

# One row a set: the log's columns and the set's fields. ``done`` is 0 for a set marked completed: false.
_SETS = """
    SELECT l.id AS log_id, l.performed_at AS performed_at, l.pain_after AS pain_after, s.slug AS slug,
           s.reps AS reps, s.hold_seconds AS hold, s.load_kg AS load_kg, s.rpe AS rpe, s.rir AS rir,
           CASE WHEN s.completed THEN 1 ELSE 0 END AS done, s.position AS position
    FROM logs AS l JOIN log_sets AS s ON s.log_id = l.id
    WHERE l.tenant = :tenant AND l.user_id = :user_id {where}
"""
# Epley, as app.progress.records.e1rm computes it (same operations in the same order, in doubles).
_ONE_PLUS_REPS_OVER_30 = {"sqlite": "(1 + reps / 30.0)", "postgresql": "(1 + reps::float8 / 30)"}
_ONLY_EXERCISE = " AND l.id IN (SELECT log_id FROM log_exercises WHERE slug = :slug)"
_SINCE = " AND l.performed_at >= :since AND l.performed_at <= :until"


def _per_session(dialect: str, source: str = "sets", hold: str = "hold", done: str = "done = 1") -> str:
    """One row per (exercise, log) with each metric's best in that session.

    Grouped in (slug, log_id, performed_at, pain_after) order, the order of ``ix_log_sets_records``,
    which covers every column records read: SQLite reads only that index and groups without sorting.
    A log's sets share its performed_at and pain_after, so grouping by them too splits no session and
    spares a min() per group: /records' query went from ~105 to ~80 ms on SQLite (loaded machine).
    """
    e1rm = f"load_kg * {_ONE_PLUS_REPS_OVER_30[dialect]}"
    return f"""
        SELECT log_id, performed_at, pain_after, slug,
               max(CASE WHEN {done} THEN reps END) AS max_reps,
               max(CASE WHEN {done} THEN {hold} END) AS longest_hold_seconds,
               max(CASE WHEN {done} AND load_kg > 0 THEN load_kg END) AS max_load_kg,
               max(CASE WHEN {done} AND load_kg > 0 AND reps <= {E1RM_MAX_REPS} THEN {e1rm} END) AS e1rm_kg,
               sum(CASE WHEN {done} THEN {hold} * coalesce(reps, 1) END) AS max_time_under_tension_seconds,
               sum(CASE WHEN {done} AND load_kg > 0 THEN load_kg * reps END) AS max_volume_kg,
               count(*) AS sets,
               sum(CASE WHEN {done} THEN coalesce(reps, 0) ELSE 0 END) AS reps
        FROM {source} GROUP BY slug, log_id, performed_at, pain_after
    """


# A user's sets straight from log_sets, which carries its log's owner, time and pain_after: no join.
_OWN_SETS = "log_sets WHERE tenant = :tenant AND user_id = :user_id {where}"


def _records_sql(dialect: str, where: str, metrics: list[Metric]) -> str:
    """Each metric's best per exercise: its maximum over the sessions, then the earliest session holding it.

    Two GROUP BYs, then ONE join of the sessions with their exercise's bests keeps only the sessions
    tied at some best (a few hundred rows), which are ranked. A window over every session and metric
    (the first version) sorted 60,000 rows: 1.7 s on a loaded machine; a join per metric (the second)
    scanned the 10,000 sessions six times, and Postgres, estimating one row per CTE, nested-looped each:
    ~300 ms of its ~310 ms.
    """
    as_double = "{} * 1.0" if dialect == "sqlite" else "{}::float8"
    best = ", ".join(f"max({m.value}) AS {m.value}" for m in Metric)
    at_best = " OR ".join(f"s.{m.value} = b.{m.value}" for m in metrics)
    # The session's value where it equals the best, else NULL: one column per metric.
    tied_values = ", ".join(
        f"CASE WHEN s.{m.value} = b.{m.value} THEN {as_double.format('s.' + m.value)} END AS {m.value}"
        for m in metrics
    )
    candidates = " UNION ALL ".join(
        f"SELECT slug, '{m.value}' AS metric, {m.value} AS value, performed_at, log_id, pain_after "
        f"FROM tied WHERE {m.value} IS NOT NULL"
        for m in metrics
    )
    return f"""
        WITH sessions AS MATERIALIZED (
                 {_per_session(dialect, _OWN_SETS.format(where=where), "hold_seconds", "completed")}),
             best AS MATERIALIZED (SELECT slug, {best} FROM sessions GROUP BY slug),
             tied AS MATERIALIZED (
                 SELECT s.slug, s.performed_at, s.log_id, s.pain_after, {tied_values}
                 FROM sessions AS s JOIN best AS b ON b.slug = s.slug WHERE {at_best}),
             candidates AS ({candidates}),
             ranked AS (
                 SELECT slug, metric, value, performed_at, log_id, pain_after,
                        row_number() OVER (PARTITION BY slug, metric ORDER BY performed_at, log_id) AS rank
                 FROM candidates)
        SELECT slug, metric, value, performed_at, log_id, pain_after FROM ranked WHERE rank = 1 ORDER BY slug, metric
    """


# Instants compared in SQL: bound through the column type, so SQLite compares text of the stored
# format (and Python 3.12+'s deprecated default datetime adapter is never used).
_INSTANTS = ("since", "until")


def _typed(sql: str, **types: Any) -> Any:
    instants = [bindparam(name, type_=UtcDateTime()) for name in _INSTANTS if f":{name}" in sql]
    return text(sql).bindparams(*instants).columns(**types)


def records(
    connection: Connection, tenant: str, user_id: str, *, exercise: str | None = None, metric: Metric | None = None
) -> list[RecordPublic]:
    """The best of each metric per exercise, ties to the earliest session (then the smaller log id)."""
    dialect = connection.dialect.name
    params: dict[str, Any] = {"tenant": tenant, "user_id": user_id}
    where = ""
    if exercise is not None:
        where, params["slug"] = "AND slug = :slug", exercise
    metrics = list(Metric) if metric is None else [metric]
    statement = _typed(
        _records_sql(dialect, where, metrics),
        slug=String,
        metric=String,
        value=Float,
        performed_at=UtcDateTime(),
        log_id=String,
        pain_after=Integer,
    )
    rows = connection.execute(statement, params).all()
    return [record(r.slug, Metric(r.metric), r.value, r.performed_at, r.log_id, r.pain_after) for r in rows]


_SET_COUNT = "(SELECT count(*) FROM log_sets AS s WHERE s.log_id = l.id)"


def sessions(
    connection: Connection, tenant: str, user_id: str, since: datetime | None, until: datetime
) -> list[Session]:
    """Every log of the user performed in [since, until], oldest first, with its set count."""
    where = " AND l.performed_at <= :until" + (" AND l.performed_at >= :since" if since is not None else "")
    sql = f"""
        SELECT l.id AS log_id, l.performed_at AS performed_at, l.duration_minutes AS duration_minutes,
               l.session_rpe AS session_rpe, l.pain_before AS pain_before, l.pain_after AS pain_after,
               l.workout AS workout, {_SET_COUNT} AS sets
        FROM logs AS l WHERE l.tenant = :tenant AND l.user_id = :user_id {where}
        ORDER BY l.performed_at, l.id
    """
    statement = _typed(
        sql,
        log_id=String,
        performed_at=UtcDateTime(),
        duration_minutes=Integer,
        session_rpe=Integer,
        pain_before=Integer,
        pain_after=Integer,
        workout=JSON,
        sets=Integer,
    )
    params = {"tenant": tenant, "user_id": user_id, "since": since, "until": until}
    # Positional: the columns are in Session's field order (row._mapping per row cost ~10% of /progress).
    return [Session(*row) for row in connection.execute(statement, params)]


def session_times(connection: Connection, tenant: str, user_id: str, until: datetime) -> list[datetime]:
    """When every session up to ``until`` was performed, newest first (an index-only read), for the streak."""
    statement = _typed(
        "SELECT performed_at FROM logs WHERE tenant = :tenant AND user_id = :user_id AND performed_at <= :until "
        "ORDER BY performed_at DESC",
        performed_at=UtcDateTime(),
    )
    return list(connection.execute(statement, {"tenant": tenant, "user_id": user_id, "until": until}).scalars())


def exercise_sessions(
    connection: Connection, tenant: str, user_id: str, slug: str, since: datetime | None, until: datetime
) -> list[ExerciseSession]:
    """One row per session holding the exercise, oldest first.

    The best set is the heaviest completed one, then the one with most reps, then the longest hold.
    """
    dialect = connection.dialect.name
    where = f"{_ONLY_EXERCISE} AND s.slug = :slug AND l.performed_at <= :until"
    if since is not None:
        where += " AND l.performed_at >= :since"
    sql = f"""
        WITH sets AS MATERIALIZED ({_SETS.format(where=where)}),
             sessions AS MATERIALIZED ({_per_session(dialect)}),
             best AS (
                 SELECT log_id, reps, hold, load_kg,
                        row_number() OVER (PARTITION BY log_id ORDER BY coalesce(load_kg, 0) DESC,
                                           coalesce(reps, 0) DESC, coalesce(hold, 0) DESC, position) AS rank
                 FROM sets WHERE done = 1),
             effort AS (
                 SELECT log_id, sum(CASE WHEN done = 0 THEN coalesce(reps, 0) ELSE 0 END) AS failed_reps,
                        max(rpe) AS max_rpe
                 FROM sets GROUP BY log_id)
        SELECT s.log_id, s.performed_at, s.pain_after, s.sets, s.reps,
               coalesce(s.max_time_under_tension_seconds, 0) AS hold_seconds,
               coalesce(s.max_volume_kg, 0) AS volume_kg,
               b.reps AS best_reps, b.hold AS best_hold_seconds, b.load_kg AS best_load_kg,
               e.failed_reps AS failed_reps, e.max_rpe AS max_rpe
        FROM sessions AS s LEFT JOIN best AS b ON b.log_id = s.log_id AND b.rank = 1
             JOIN effort AS e ON e.log_id = s.log_id
        ORDER BY s.performed_at, s.log_id
    """
    statement = _typed(
        sql,
        log_id=String,
        performed_at=UtcDateTime(),
        pain_after=Integer,
        sets=Integer,
        reps=Integer,
        hold_seconds=Integer,
        volume_kg=Float,
        best_reps=Integer,
        best_hold_seconds=Integer,
        best_load_kg=Float,
        failed_reps=Integer,
        max_rpe=Integer,
    )
    params = {"tenant": tenant, "user_id": user_id, "slug": slug, "since": since, "until": until}
    return [ExerciseSession(**row._mapping) for row in connection.execute(statement, params)]

