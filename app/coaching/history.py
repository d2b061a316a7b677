"""A user's recent history as adaptation reads it: sessions, their sets, and check-ins.

Plain frozen dataclasses, so the domain needs neither the database nor the
log store: both doors (stored logs, a posted history) turn what they have
into these with ``session_of``, which reads the log wire schema as a mapping
(``LogCreate``/``LogPublic.model_dump()``); ``rpe``, ``rir`` and ``pain`` are
per set and optional, so each is ``None`` where the user left it out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import attrgetter
from types import MappingProxyType
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
    inside = in_order(s for s in sessions if since <= s.performed_at < until)
    return inside[-MAX_SESSIONS:]


def in_order(sessions: Iterable[Session]) -> list[Session]:
    """``sorted(sessions, key=order)``, with ``order``'s content key made only for sessions at one
    instant: made for all, it cost 1 ms a sort of 60 sessions, twice a request, for ties that are rare."""
    found = sorted(sessions, key=_instant)
    if len(set(map(_instant, found))) == len(found):  # no two at one instant: the usual case, decided in C
        return found
    start = 0
    while start < len(found):
        end = start + 1
        while end < len(found) and found[end].performed_at == found[start].performed_at:
            end += 1
        if end - start > 1:
            found[start:end] = sorted(found[start:end], key=order)
        start = end
    return found


_instant = attrgetter("performed_at")


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

    # The UTC calendar day: the day check-ins and the 7- and 28-day windows are counted in. Read by
    # every rule and guard; set once here (a cached_property's first read takes a lock on 3.11).
    day: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "day", self.performed_at.astimezone(UTC).date())

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


@lru_cache(maxsize=4096, typed=True)
def _set_done(
    reps: Any, hold_seconds: Any, load_kg: Any, rpe: Any, rir: Any, pain: Any, completed: bool, side: str | None
) -> SetDone:
    return SetDone(reps, hold_seconds, load_kg, rpe, rir, pain, completed, side)


def _set_of(raw: Mapping[str, Any]) -> SetDone:
    # Sets are frozen, and a history repeats the same few again and again: equal sets are one object
    # (typed: 10 and 10.0 kg stay apart), which made reading 60 sessions several times cheaper.
    get = raw.get
    side = get("side")
    return _set_done(
        get("reps"),
        get("hold_seconds"),
        get("load_kg"),
        get("rpe"),
        get("rir"),
        get("pain"),
        bool(get("completed", True)),
        None if side is None else str(side),
    )


def _entries(raw: Iterable[Mapping[str, Any]]) -> dict[str, tuple[SetDone, ...]]:
    entries: dict[str, tuple[SetDone, ...]] = {}
    for entry in raw:
        slug = str(entry["exercise"])
        sets = tuple(map(_set_of, entry["sets"]))
        entries[slug] = entries[slug] + sets if slug in entries else sets
    return entries


# Longer texts are decoded every time, so the memo stays small (at most ~4 MiB of keys).
_MEMO_TEXT = 4096


@lru_cache(maxsize=1024)
def _memo_entries(text: str) -> Mapping[str, tuple[SetDone, ...]]:
    return MappingProxyType(_entries(json.loads(text)))


def _entries_of_json(text: str) -> Mapping[str, tuple[SetDone, ...]]:
    """The entries of a log's JSON text, as the log store keeps them. A person repeats the same few
    sessions, so one text is decoded once and its (read-only) entries shared by every session with it."""
    return _memo_entries(text) if len(text) <= _MEMO_TEXT else _entries(json.loads(text))


def session_of(log: Mapping[str, Any]) -> Session:
    """A session from one log in the log schema (a dict, as ``model_dump()`` gives it); ``entries``
    may be the list's JSON text, as the log store reads it.

    An exercise logged twice in one log has its sets joined, in order.
    """
    performed_at = log["performed_at"]
    if isinstance(performed_at, str):
        performed_at = datetime.fromisoformat(performed_at)
    raw = log["entries"]
    get = log.get
    scalars = (get("pain_before"), get("pain_after"), get("session_rpe"), get("duration_minutes"))
    if isinstance(raw, str) and len(raw) <= _MEMO_TEXT:
        # A stored log is read again by each of its user's requests: one (frozen) session for it.
        return _memo_session(raw, performed_at.tzinfo, performed_at, *scalars)
    entries = _entries_of_json(raw) if isinstance(raw, str) else _entries(raw)
    return Session(performed_at, entries, *scalars)


# typed: 5 and 5.0 (and True) stay apart; the zone too, as equal instants in two zones compare equal.
@lru_cache(maxsize=2048, typed=True)
def _memo_session(text: str, _zone: Any, performed_at: datetime, *scalars: Any) -> Session:
    return Session(performed_at, _memo_entries(text), *scalars)


def session_of_model(log: Any) -> Session:
    """``session_of`` for a validated log object (a ``LogCreate``): read from its attributes, as its
    ``model_dump()`` would give them, without dumping 30 models (and their sets) to dicts first."""
    entries: dict[str, tuple[SetDone, ...]] = {}
    for entry in log.entries:
        slug = str(entry.exercise)
        # All in C but a set not met before: a history is a few hundred sets, most of them alike.
        sets = tuple(map(set_of_values, map(_SET_VALUES, entry.sets)))
        entries[slug] = entries[slug] + sets if slug in entries else sets
    return Session(
        performed_at=log.performed_at,
        entries=entries,
        pain_before=log.pain_before,
        pain_after=log.pain_after,
        session_rpe=log.session_rpe,
        duration_minutes=log.duration_minutes,
    )


# A validated set's values, in ``SetDone``'s order. Validated, each field has one type (a whole number is
# an int, a load a float, ``completed`` a bool), so the values alone, untyped, key the memo.
_SET_VALUES = attrgetter("reps", "hold_seconds", "load_kg", "rpe", "rir", "pain", "completed", "side")


@lru_cache(maxsize=4096)
def set_of_values(values: tuple[Any, ...]) -> SetDone:
    reps, hold_seconds, load_kg, rpe, rir, pain, completed, side = values
    return _set_done(
        reps, hold_seconds, load_kg, rpe, rir, pain, bool(completed), None if side is None else str(side)
    )


def sessions_of(logs: Iterable[Mapping[str, Any]]) -> list[Session]:
    return [session_of(log) for log in logs]


def checkin_of(raw: Mapping[str, Any]) -> CheckIn:
    day = raw["date"]
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return CheckIn(date=day, pain=int(raw["pain"]), stiffness=raw.get("stiffness"))
