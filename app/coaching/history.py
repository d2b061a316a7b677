"""A user's recent history as adaptation reads it: sessions, their sets, and check-ins.

Plain frozen dataclasses, so the domain needs neither the database nor the
log store: both doors (stored logs, a posted history) turn what they have
into these with ``session_of``, which reads the log wire schema as a mapping
(``LogCreate``/``LogPublic.model_dump()``). ``rir`` is read when present: the
log schema gains it with the progress issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

# What both doors read: the sessions of the last 6 weeks (the rules look back 4 at most; older
# history is stale and an exercise not done since starts again as new), at most 60 of them, and
# as many check-ins. One window, so a stored and a posted history give the same answer.
HISTORY_DAYS = 42
MAX_SESSIONS = 60
MAX_CHECKINS = 60


def window(today: date) -> tuple[datetime, datetime]:
    """[since, until) in UTC: the whole of ``today`` and the ``HISTORY_DAYS - 1`` days before it."""
    since = datetime.combine(today - timedelta(days=HISTORY_DAYS - 1), time(), UTC)
    return since, datetime.combine(today + timedelta(days=1), time(), UTC)


def recent(sessions: Iterable[Session], today: date) -> list[Session]:
    """The sessions inside ``window(today)``, the newest ``MAX_SESSIONS`` of them, oldest first."""
    since, until = window(today)
    inside = sorted((s for s in sessions if since <= s.performed_at < until), key=order)
    return inside[-MAX_SESSIONS:]


def order(session: Session) -> tuple[datetime, str]:
    """Oldest first; two logs at the same instant by their content, so both doors (stored logs in id
    order, a posted history in the body's order) read them in one order. Equal keys: equal sessions."""
    return session.performed_at, repr(
        (
            session.performed_at.isoformat(),
            sorted((slug, sets) for slug, sets in session.entries.items()),
            session.pain_before,
            session.pain_after,
            session.session_rpe,
            session.duration_minutes,
        )
    )


@dataclass(frozen=True)
class SetDone:
    """One set as performed."""

    reps: int | None = None
    hold_seconds: int | None = None
    load_kg: float | None = None
    rpe: int | None = None
    rir: int | None = None
    pain: int | None = None  # pain during the set, 0-10
    completed: bool = True
    side: str | None = None  # left, right, both or None


@dataclass(frozen=True)
class Session:
    """One logged session; ``entries`` maps an exercise slug to its sets in order."""

    performed_at: datetime  # aware
    entries: Mapping[str, tuple[SetDone, ...]]
    pain_before: int | None = None
    pain_after: int | None = None
    session_rpe: int | None = None
    duration_minutes: int | None = None

    @cached_property  # read by every rule and guard
    def day(self) -> date:
        """The UTC calendar day: the day check-ins and the 7- and 28-day windows are counted in."""
        return self.performed_at.astimezone(UTC).date()

    @property
    def load(self) -> int | None:
        """Foster's session load: session RPE x minutes (arbitrary units)."""
        if self.session_rpe is None or self.duration_minutes is None:
            return None
        return self.session_rpe * self.duration_minutes


@dataclass(frozen=True)
class CheckIn:
    """A rest or next-morning pain report."""

    date: date
    pain: int
    stiffness: int | None = None


def _set_of(raw: Mapping[str, Any]) -> SetDone:
    return SetDone(
        reps=raw.get("reps"),
        hold_seconds=raw.get("hold_seconds"),
        load_kg=raw.get("load_kg"),
        rpe=raw.get("rpe"),
        rir=raw.get("rir"),
        pain=raw.get("pain"),
        completed=bool(raw.get("completed", True)),
        side=None if raw.get("side") is None else str(raw["side"]),
    )


def session_of(log: Mapping[str, Any]) -> Session:
    """A session from one log in the log schema (a dict, as ``model_dump()`` gives it).

    An exercise logged twice in one log has its sets joined, in order.
    """
    performed_at = log["performed_at"]
    if isinstance(performed_at, str):
        performed_at = datetime.fromisoformat(performed_at)
    entries: dict[str, tuple[SetDone, ...]] = {}
    for entry in log["entries"]:
        slug = str(entry["exercise"])
        entries[slug] = entries.get(slug, ()) + tuple(_set_of(s) for s in entry["sets"])
    return Session(
        performed_at=performed_at,
        entries=entries,
        pain_before=log.get("pain_before"),
        pain_after=log.get("pain_after"),
        session_rpe=log.get("session_rpe"),
        duration_minutes=log.get("duration_minutes"),
    )


def sessions_of(logs: Iterable[Mapping[str, Any]]) -> list[Session]:
    return [session_of(log) for log in logs]


def checkin_of(raw: Mapping[str, Any]) -> CheckIn:
    day = raw["date"]
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return CheckIn(date=day, pain=int(raw["pain"]), stiffness=raw.get("stiffness"))
