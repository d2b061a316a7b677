"""The SQL behind outcomes: one statement that counts and sums each user's pain scores and sessions.

Aggregated per user where the data is (one GROUP BY pass over the tenant's
check-ins and logs, the same text on SQLite and Postgres), then assessed and
combined in Python (app/outcomes/people.py, cohort.py): a tenant's 200,000
logs come back as 2,000 rows. Days are whole UTC days as integers (days
since 1970-01-01), so windows are integer comparisons on both databases; a
check-in keeps the user's own calendar date.

Users are those with a revision (app/revisions.py): every user with data has
one, except in the moment an erasure is under way, and the tenant's cache
key is made from the same rows, so a report never holds a user its key
does not.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from app.outcomes import measures as m
from app.outcomes.people import UserTally

EPOCH = date(1970, 1, 1)
# The integer day of a check-in's date and of a log's UTC instant (SQLite keeps both as ISO text).
_CHECKIN_DAY = {
    "sqlite": "CAST(julianday(c.date) - 2440587.5 AS INTEGER)",
    "postgresql": "(c.date - DATE '1970-01-01')",
}
_LOG_DAY = {
    "sqlite": "CAST(julianday(substr(l.performed_at, 1, 10)) - 2440587.5 AS INTEGER)",
    "postgresql": "(CAST(l.performed_at AT TIME ZONE 'UTC' AS DATE) - DATE '1970-01-01')",
}


def _in(low: int, high: int) -> str:
    """A score or session on days ``low``-``high`` after the user's first day (0-based, inclusive)."""
    return f"s.day - p.start BETWEEN {low} AND {high}"


def _sql(dialect: str, one_user: bool) -> str:
    def only(alias: str) -> str:
        return f" AND {alias}user_id = :user_id" if one_user else ""

    first_window = _in(0, m.WINDOW_DAYS - 1)
    follow_ups = ", ".join(
        f"count(CASE WHEN {_in(low, high)} THEN 1 END) AS w{week}_n, "
        f"sum(CASE WHEN {_in(low, high)} THEN s.pain END) AS w{week}_sum"
        for week, (low, high) in sorted(m.FOLLOW_UPS.items())
    )
    # A session's pain: the mean of pain before and after, whichever were logged (one score a session);
    # a day's: the mean of its check-in's and sessions' (one score a day, however many sessions).
    return f"""
        WITH people AS (SELECT user_id FROM user_revisions WHERE tenant = :tenant{only("")}),
        checkin_days AS (
            SELECT c.user_id AS user_id, {_CHECKIN_DAY[dialect]} AS day, c.pain AS pain
            FROM checkins AS c WHERE c.tenant = :tenant{only("c.")}),
        log_days AS (
            SELECT l.user_id AS user_id, {_LOG_DAY[dialect]} AS day,
                   (coalesce(l.pain_before, l.pain_after) + coalesce(l.pain_after, l.pain_before)) / 2.0 AS pain,
                   CASE WHEN l.pain_before > {m.SAFE_SESSION_PAIN} OR l.pain_after > {m.SAFE_SESSION_PAIN}
                        THEN 1 ELSE 0 END AS above
            FROM logs AS l WHERE l.tenant = :tenant{only("l.")}),
        dated_sessions AS (SELECT user_id, day, pain, above FROM log_days WHERE day <= :latest),
        scores AS (
            SELECT user_id, day, pain, 1 AS is_checkin FROM checkin_days WHERE day <= :latest
            UNION ALL SELECT user_id, day, pain, 0 AS is_checkin FROM dated_sessions WHERE pain IS NOT NULL),
        spans AS (
            SELECT user_id, min(day) AS start FROM (
                SELECT user_id, day FROM checkin_days WHERE day <= :latest
                UNION ALL SELECT user_id, day FROM dated_sessions) AS active
            GROUP BY user_id),
        daily AS (
            SELECT user_id, day, avg(pain) AS pain,
                   count(CASE WHEN is_checkin = 1 AND pain >= {m.REFERRAL_PAIN} THEN 1 END) AS severe
            FROM scores GROUP BY user_id, day),
        lasts AS (SELECT user_id, max(day) AS last_day FROM daily GROUP BY user_id),
        pain AS (
            SELECT s.user_id AS user_id,
                   count(CASE WHEN {first_window} THEN 1 END) AS base_n,
                   sum(CASE WHEN {first_window} THEN s.pain END) AS base_sum,
                   count(CASE WHEN s.day > q.last_day - {m.WINDOW_DAYS} THEN 1 END) AS cur_n,
                   sum(CASE WHEN s.day > q.last_day - {m.WINDOW_DAYS} THEN s.pain END) AS cur_sum,
                   {follow_ups},
                   sum(s.severe) AS severe
            FROM daily AS s
            JOIN spans AS p ON p.user_id = s.user_id JOIN lasts AS q ON q.user_id = s.user_id
            GROUP BY s.user_id),
        work AS (
            SELECT s.user_id AS user_id, count(*) AS sessions,
                   count(CASE WHEN {_in(0, m.HABIT_DAYS - 1)} THEN 1 END) AS first_two_weeks,
                   count(CASE WHEN {_in(0, m.PROGRAMME_DAYS - 1)} THEN 1 END) AS in_programme,
                   sum(s.above) AS above
            FROM dated_sessions AS s JOIN spans AS p ON p.user_id = s.user_id
            GROUP BY s.user_id)
        SELECT p.user_id AS user_id, p.start AS start, q.last_day AS last_day,
               coalesce(a.base_n, 0) AS base_n, coalesce(a.base_sum, 0) AS base_sum,
               coalesce(a.cur_n, 0) AS cur_n, coalesce(a.cur_sum, 0) AS cur_sum,
               {", ".join(f"coalesce(a.w{w}_n, 0) AS w{w}_n, coalesce(a.w{w}_sum, 0) AS w{w}_sum"
                          for w in sorted(m.FOLLOW_UPS))},
               coalesce(a.severe, 0) AS severe,
               coalesce(w.sessions, 0) AS sessions, coalesce(w.first_two_weeks, 0) AS first_two_weeks,
               coalesce(w.in_programme, 0) AS in_programme, coalesce(w.above, 0) AS above
        FROM people AS u JOIN spans AS p ON p.user_id = u.user_id
        LEFT JOIN lasts AS q ON q.user_id = p.user_id
        LEFT JOIN pain AS a ON a.user_id = p.user_id
        LEFT JOIN work AS w ON w.user_id = p.user_id
        ORDER BY p.user_id
    """


def day_number(day: date) -> int:
    return (day - EPOCH).days


def _day(number: int | None) -> date | None:
    return None if number is None else EPOCH + timedelta(days=int(number))


def _tally(row: Any) -> UserTally:
    start = _day(row.start)
    assert start is not None
    return UserTally(
        user_id=row.user_id,
        start=start,
        last_score_day=_day(row.last_day),
        baseline=m.Tally(int(row.base_n), float(row.base_sum)),
        current=m.Tally(int(row.cur_n), float(row.cur_sum)),
        follow_ups={w: m.Tally(int(getattr(row, f"w{w}_n")), float(getattr(row, f"w{w}_sum"))) for w in m.FOLLOW_UPS},
        sessions=int(row.sessions),
        sessions_first_two_weeks=int(row.first_two_weeks),
        sessions_in_programme=int(row.in_programme),
        sessions_above_5=int(row.above),
        checkins_at_8_or_more=int(row.severe),
    )


def tallies(connection: Connection, tenant: str, today: date, user_id: str | None = None) -> list[UserTally]:
    """Each user's counts and sums up to ``today`` (data dated later is left out, but for a day's grace: a
    user's own calendar date can be a day ahead of UTC's), by user id; with ``user_id``, only that user's
    (an empty list when they have no data up to then)."""
    params: dict[str, Any] = {"tenant": tenant, "latest": day_number(today) + m.DAYS_AHEAD}
    if user_id is not None:
        params["user_id"] = user_id
    rows = connection.execute(text(_sql(connection.dialect.name, user_id is not None)), params).all()
    return [_tally(row) for row in rows]


# What a tenant's report is kept under: changes with any user's revision (each change adds 1 to one of
# them; a new user adds a row; an erased one takes its row away). Summed modulo a prime below 2^31, so
# the sum of many 62-bit revisions overflows neither SQLite's integers nor Postgres' bigint.
_SIGNATURE = "SELECT count(*), coalesce(sum(revision % 2147483647), 0) FROM user_revisions WHERE tenant = :tenant"


def signature(engine: Engine, tenant: str) -> tuple[int, int]:
    """The tenant's users' revisions in two numbers: read before the data, as app/answers.py reads a revision."""
    with engine.connect() as connection:
        count, total = connection.execute(text(_SIGNATURE), {"tenant": tenant}).one()
    return int(count), int(total)
