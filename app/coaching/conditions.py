"""What the coaching rules read (``Facts``) and their conditions as code, one function per rule.

Each condition takes the facts of one exercise and the rule's ``params`` (never a literal threshold),
so ``rules.RULES`` stays the one place to tune. The rules table is in ``rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.catalogue.models import Kind
from app.coaching.history import Session, SetDone

# Kinds that are never trained harder: a release presses on a sore spot, breathing is a drill, an
# assessment a check. They keep the plan's dose (its pain cap included) or less.
NOT_PROGRESSED = frozenset({Kind.release, Kind.breathing, Kind.assessment})


@dataclass(frozen=True)
class Facts:
    """What the rules read about one exercise, as of the day being planned."""

    sessions: tuple[Session, ...]  # the sessions that hold this exercise, oldest first
    slug: str
    latest: Session | None  # the user's latest session, with or without this exercise
    next_morning: int | None  # check-in pain the day after the last of ``sessions``
    pain_trend: tuple[float, float] | None  # mean pain of the last 7 days, of the 7 before
    load_ratio: float | None  # acute:chronic, when there is enough history to say
    pain_today: int = 0  # today's pain level, 0-10 (``today.pain_today``)
    bottom_dose: bool = False  # today's pain grade (GET /pain-grades) keeps every dose at the bottom of its range
    kind: Kind = Kind.stretch
    gap_days: int | None = None  # days since the user's latest session (any exercise); None: never trained

    def sets(self, back: int = 1) -> tuple[SetDone, ...]:
        """This exercise's sets in the session ``back`` sessions ago (1 = the last)."""
        return self.sessions[-back].entries[self.slug]


def peak_pain(session: Session, slug: str | None = None) -> int | None:
    """The highest pain during or after a session (during: per set, of ``slug`` if given)."""
    if slug is not None:
        peak = max((s.pain for s in session.entries.get(slug, ()) if s.pain is not None), default=None)
    else:
        peak = max((s.pain for sets in session.entries.values() for s in sets if s.pain is not None), default=None)
    after = session.pain_after
    return after if after is not None and (peak is None or after > peak) else peak


def _easy(done: SetDone, session: Session, p: Mapping[str, float]) -> bool | None:
    """Whether a set left room in the tank; None when nothing says how hard it was."""
    if done.rpe is not None:
        return done.rpe <= p["rpe_at_most"]
    if done.rir is not None:
        return done.rir >= p["rir_at_least"]
    if session.session_rpe is not None:
        return session.session_rpe <= p["rpe_at_most"]
    return None


def _hard(done: SetDone, p: Mapping[str, float]) -> bool:
    return (done.rpe is not None and done.rpe >= p["rpe_from"]) or (done.rir is not None and done.rir <= p["rir_to"])


# --- the conditions -----------------------------------------------------------------


def _pain_above(f: Facts, p: Mapping[str, float]) -> bool:
    """This exercise itself hurt: a set of it above the threshold."""
    if not f.sessions:
        return False
    return any(s.pain is not None and s.pain > p["above"] for s in f.sets())


def _session_pain_above(f: Facts, p: Mapping[str, float]) -> bool:
    """The session hurt, and no set of any exercise in it says which one did: all of them ease off.
    (When a set names the culprit, ``pain-above-5`` pauses it and the rest are held.)"""
    if not f.sessions:
        return False
    last = f.sessions[-1]
    if any(s.pain is not None and s.pain > p["above"] for sets in last.entries.values() for s in sets):
        return False
    peak = peak_pain(last, f.slug)
    return peak is not None and peak > p["above"]


def _flare_nothing_new(f: Facts, p: Mapping[str, float]) -> bool:
    if f.sessions or f.latest is None or f.gap_days is None or f.gap_days >= p["within_days"]:
        return False
    peak = peak_pain(f.latest)
    return peak is not None and peak > p["above"]


def _long_gap(f: Facts, p: Mapping[str, float]) -> bool:
    return f.gap_days is not None and f.gap_days >= p["days"]


def _gap(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and f.gap_days is not None and p["days"] <= f.gap_days < p["restart_days"]


def _not_progressed(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and f.kind in NOT_PROGRESSED


# "Nothing progresses" rules read only exercises with a history: a new one is not a step up, and stays new.


def _latest_pain_above(f: Facts, p: Mapping[str, float]) -> bool:
    peak = peak_pain(f.latest) if f.latest is not None and f.sessions else None
    return peak is not None and peak > p["above"]


def _culprit_elsewhere(f: Facts) -> bool:
    """A set of another exercise in this exercise's last session hurt above 5/10: that one is the
    culprit (``pain-above-5`` pauses it), and the session's pain is not held against this one."""
    last = f.sessions[-1]
    return any(
        s.pain is not None and s.pain > 5 for slug, sets in last.entries.items() if slug != f.slug for s in sets
    ) and not any(s.pain is not None and s.pain > 5 for s in f.sets())


def _morning_worse(f: Facts, p: Mapping[str, float]) -> bool:
    if not f.sessions or f.next_morning is None or f.sessions[-1].pain_before is None or _culprit_elsewhere(f):
        return False
    return f.next_morning > f.sessions[-1].pain_before


def _pain_rise(f: Facts, p: Mapping[str, float]) -> bool:
    if not f.sessions:
        return False
    last = f.sessions[-1]
    if last.pain_before is None or last.pain_after is None or _culprit_elsewhere(f):
        return False
    return last.pain_after - last.pain_before >= p["rise"]


def _acceptable(f: Facts, p: Mapping[str, float]) -> bool:
    peak = peak_pain(f.sessions[-1], f.slug) if f.sessions else None
    return peak is not None and p["low"] <= peak <= p["high"]


def _unsettled(f: Facts, p: Mapping[str, float]) -> bool:
    if not _acceptable(f, p) or _culprit_elsewhere(f):
        return False
    return f.next_morning is not None and f.next_morning > p["settled_at_most"]


def _trend_up(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and f.pain_trend is not None and f.pain_trend[0] > f.pain_trend[1]


def _graded(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and f.bottom_dose


def _load_high(f: Facts, p: Mapping[str, float]) -> bool:
    return f.load_ratio is not None and f.load_ratio > p["above"]


def _unfinished_run(f: Facts, p: Mapping[str, float]) -> bool:
    run = int(p["sessions"])
    if len(f.sessions) < run:
        return False
    return all(any(not s.completed for s in f.sets(back)) for back in range(1, run + 1))


def _hard_or_unfinished(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and any(not s.completed or _hard(s, p) for s in f.sets())


def _dose_done(sets: tuple[SetDone, ...]) -> tuple[int, int | None, int | None, float | None]:
    """What a session's sets of one exercise came to: sets, smallest reps and hold, largest load."""
    reps = [s.reps for s in sets if s.reps is not None]
    holds = [s.hold_seconds for s in sets if s.hold_seconds is not None]
    loads = [s.load_kg for s in sets if s.load_kg is not None]
    return len(sets), min(reps, default=None), min(holds, default=None), max(loads, default=None)


def _two_for_two(f: Facts, p: Mapping[str, float]) -> bool:
    """Two easy sessions in a row at the same dose, close enough together to count as training (a step up
    resets the count, so a dose never climbs every session; a break between them resets it too)."""
    run = int(p["sessions"])
    if len(f.sessions) < run:
        return False
    recent = f.sessions[-run:]
    if any((b.day - a.day).days >= p["apart_days_below"] for a, b in zip(recent, recent[1:], strict=False)):
        return False
    if len({_dose_done(f.sets(back)) for back in range(1, run + 1)}) > 1:
        return False
    for back in range(1, run + 1):
        session = f.sessions[-back]
        if not all(s.completed and _easy(s, session, p) is True for s in f.sets(back)):
            return False
    return True


def _two_for_two_loaded(f: Facts, p: Mapping[str, float]) -> bool:
    """2-for-2 with a load logged on every set of the last session, still below the load ceiling."""
    loads = [s.load_kg for s in f.sets()] if f.sessions else []
    if not loads or any(load is None or load <= 0 for load in loads):
        return False
    return min(load for load in loads if load is not None) < p["load_ceiling_kg"] and _two_for_two(f, p)


def _not_yet(f: Facts, p: Mapping[str, float]) -> bool:
    return bool(f.sessions) and not _two_for_two(f, p)


def _no_history(f: Facts, p: Mapping[str, float]) -> bool:
    return not f.sessions


# --- the table ------------------------------------------------------------------------
