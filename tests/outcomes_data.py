"""Users' check-ins and sessions for the outcome tests, written straight into the real tables.

A cohort of 15 users over 12 weeks is ~2,000 rows: through the API that is
minutes on a loaded machine, so rows go in with one INSERT each table, and
each user's revision is bumped by app.revisions, as the stores do. (The
route tests still post through the API where the path matters: invalidation.)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from app import revisions
from app.programmes.models import ProgrammeQuery
from app.tables import Assessment, Checkin, Log, Programme

ENTRIES = [{"exercise": "kneeling-hip-flexor-stretch", "sets": [{"hold_seconds": 30}]}]


Trials = float | list[float] | None


def _listed(values: Trials) -> list[float]:
    return [] if values is None else values if isinstance(values, list) else [values]


@dataclass
class Person:
    user_id: str
    checkins: list[tuple[date, int]] = field(default_factory=list)
    sessions: list[tuple[date, int | None, int | None]] = field(default_factory=list)  # (day, before, after)
    goal: str | None = None  # every session's log names a workout generated for this goal
    # hip-extension sessions: (day, method, rater, degrees left, degrees right), a side's trials as a number or a
    # list of them; None leaves a side out
    hip_extension: list[tuple[date, str, str, Trials, Trials]] = field(default_factory=list)
    # programmes, as the programmes store keeps them: (goal, start, weeks, days a week, the day it ended or None)
    programmes: list[tuple[str, date, int, int, date | None]] = field(default_factory=list)


def seed(engine: Engine, tenant: str, people: Iterable[Person]) -> None:
    now = datetime.now(UTC)
    checkins, logs, owners, assessments, programmes = [], [], [], [], []
    for person in people:
        owners.append((tenant, person.user_id))
        checkins += [
            {"tenant": tenant, "user_id": person.user_id, "date": day, "pain": pain, "created_at": now}
            for day, pain in person.checkins
        ]
        logs += [
            {
                "id": str(uuid.uuid4()), "tenant": tenant, "user_id": person.user_id,
                "performed_at": datetime.combine(day, time(9, 30), tzinfo=UTC),
                "pain_before": before, "pain_after": after, "entries": json.loads(json.dumps(ENTRIES)),
                "workout": None if person.goal is None else {"goal": person.goal, "seed": 1},
                "created_at": now, "updated_at": now,
            }
            for day, before, after in person.sessions
        ]
        assessments += [
            {
                "id": str(uuid.uuid4()), "tenant": tenant, "user_id": person.user_id, "test": "hip-extension",
                "performed_at": datetime.combine(day, time(8, 0), tzinfo=UTC), "method": method, "rater": rater,
                "controls": {}, "pain": None, "notes": None, "created_at": now, "updated_at": now,
                "trials": [{"side": side, "hip_extension": value}
                           for side, values in (("left", left), ("right", right)) for value in _listed(values)],
            }
            for day, method, rater, left, right in person.hip_extension
        ]
        programmes += [
            {
                "id": str(uuid.uuid4()), "tenant": tenant, "user_id": person.user_id, "goal": goal,
                "open_goal": None if ended else goal, "status": "ended" if ended else "active", "paused": [],
                "ended": ended, "created_at": now, "updated_at": now,
                "parameters": ProgrammeQuery.model_validate(
                    {"goal": goal, "start": start.isoformat(), "weeks": weeks, "days_per_week": days}
                ).canonical(start, 1).model_dump(mode="json"),
            }
            for goal, start, weeks, days, ended in person.programmes
        ]
    with engine.begin() as connection:
        if checkins:
            connection.execute(insert(Checkin.__table__), checkins)
        if logs:
            connection.execute(insert(Log.__table__), logs)
        if assessments:
            connection.execute(insert(Assessment.__table__), assessments)
        if programmes:
            connection.execute(insert(Programme.__table__), programmes)
        revisions.bump(connection, owners)


def steady_change(user_id: str, start: date, first: float, last: float, sessions_first_fortnight: int) -> Person:
    """A check-in every day for 12 weeks: ``first`` for two weeks, a straight line to ``last`` by day 70, then
    ``last``; sessions (pain as that day's) on the first ``sessions_first_fortnight`` even days, then twice a week."""
    person = Person(user_id)
    for offset in range(84):
        if offset < 14:
            pain = first
        elif offset >= 70:
            pain = last
        else:
            pain = first + (last - first) * (offset - 13) / 57
        day = start + timedelta(days=offset)
        person.checkins.append((day, round(pain)))
        early = offset < 14 and offset % 2 == 0 and offset // 2 < sessions_first_fortnight
        if early or (offset >= 14 and offset % 7 in (1, 4)):
            person.sessions.append((day, round(pain), round(pain)))
    return person
