"""What a stored programme asks of its user on one local day: the programme, logs and check-ins read on one
snapshot, followed (``follow.follow``), and the day's session adapted by the coach exactly as /workouts/next
adapts its workout (``app.coaching.plan.coach``: one adapt path)."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from app import checkins, logs
from app.catalogue import Catalogue
from app.coaching import AdaptedWorkout, CheckIn, Session, session_of
from app.coaching.history import window
from app.coaching.plan import coach, read_day
from app.programmes import follow
from app.programmes import store as programmes
from app.programmes.models import ProgrammeParameters, ProgrammeRef
from app.programmes.schemas import TodayPublic

# How far from the plan a `date` may be: a year either side is more than any client needs to look.
DATE_MARGIN = timedelta(days=366)


def out_of_range(day: dt.date, parameters: ProgrammeParameters) -> str | None:
    """Why ``day`` is too far from the plan to ask about, or None."""
    first = parameters.start - DATE_MARGIN
    last = parameters.start + timedelta(days=7 * parameters.weeks - 1) + DATE_MARGIN
    if first <= day <= last:
        return None
    return f"must be between {first.isoformat()} and {last.isoformat()} (a year either side of the plan)"


def _midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZoneInfo(tz)).astimezone(dt.UTC)


def today_answer(
    connection: Connection, tenant: str, user_id: str, stored: programmes.Stored, catalogue: Catalogue, day: dt.date
) -> bytes:
    """What is due on ``day``, the session adapted by the coach: logs, check-ins and the programme read on one
    snapshot (``connection``)."""
    parameters, programme_id = stored.parameters, stored.state.id
    first = min(parameters.start - timedelta(days=1), window(day)[0].date())
    rows = programmes.logs_since(connection, tenant, user_id, _midnight(first, parameters.tz),
                                 _midnight(day + timedelta(days=1), parameters.tz))
    reports = [CheckIn(c.date, c.pain, c.stiffness) for c in checkins.between(connection, tenant, user_id, first, day)]
    everything: list[Session] = []
    followed: list[tuple[Session, ProgrammeRef | None]] = []
    for row in rows:
        logged = session_of(row)
        everything.append(logged)
        ref = row["programme"]
        if ref is None:
            followed.append((logged, None))
        elif ref.get("id") == programme_id:
            followed.append((logged, ProgrammeRef(ref["week"], ref["day"])))
        # (a log that names another programme fulfils nothing of this one)
    last_seen = None
    if not any(s.performed_at >= window(day)[0] for s in everything):
        before = logs.last_performed(connection, tenant, user_id, before=window(day)[0])
        last_seen = None if before is None else before.astimezone(dt.UTC).date()
    paused = [(p.start, p.end) for p in stored.state.paused]
    result = follow.follow(catalogue, parameters, followed, reports, day, paused=paused, ended=stored.state.ended)
    today = result.today
    adapted: AdaptedWorkout | None = None
    if today.session is not None:  # the coach's one adapt path, as /workouts/next (app.coaching.plan)
        adapted = coach(catalogue, today.session, read_day(day, everything, reports, last_seen=last_seen))
    answer = TodayPublic(
        date=today.date, week=today.week, day=today.day, phase=today.phase, deload=today.deload,
        status=today.status, missed=today.missed, next_due=today.next_due, events=today.events, session=adapted,
    )
    return answer.__pydantic_serializer__.to_json(answer)
