"""A programme replayed against the person's logs: the sessions each log counts for, local dates and
pauses, and how a week went (``judge``: sessions missing, the first target missed, the worst pain).

Read by ``follow``, which decides the weeks from it. A log names its programme session, or counts for
the session of its day (``advance=calendar``: else the week's earliest unfinished one) or for the next
unfinished session (``advance=sessions``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.catalogue import Catalogue
from app.catalogue.models import Dose, DoseRange
from app.coaching import doses
from app.coaching.conditions import peak_pain
from app.coaching.history import Session
from app.programmes.layout import Layout, Slot
from app.programmes.models import Advance, Event, ProgrammeParameters, ProgrammeRef
from app.programmes.plan import Sessions, WeekPlan
from app.programmes.rules import PAIN_NO_RISE, ProgrammeRule

Key = tuple[int, int]  # (week, session number), both from 1


@dataclass(frozen=True)
class Done:
    day: date
    session: Session


@dataclass
class Replay:
    """What the replay knows: the plan's shape, the logs placed on its sessions, the pauses."""

    catalogue: Catalogue
    params: ProgrammeParameters
    lay: Layout
    store: Sessions
    on: date
    pauses: list[tuple[date, date]]  # [from, until), ongoing ones until the day after ``on``
    checkins: dict[date, int]  # the worst report of each day
    logs: list[Done] = field(default_factory=list)
    done: dict[Key, Done] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    @property
    def calendar(self) -> bool:
        return self.params.advance is Advance.calendar

    def sessions(self) -> list[Key]:
        return [(w, s.index) for w in range(1, self.params.weeks + 1) for s in self.lay.slots]

    def next_open(self) -> Key | None:
        return next((k for k in self.sessions() if k not in self.done), None)

    def slot(self, key: Key) -> Slot:
        return self.lay.slots[key[1] - 1]

    # --- dates -----------------------------------------------------------------
    def moved(self, day: date) -> date:
        """A planned day after the pauses that began before it (calendar mode): whole weeks later."""
        shift = 0
        for start, until in self.pauses:
            if day + timedelta(days=shift) >= start:
                shift += 7 * math.ceil((until - start).days / 7)
        return day + timedelta(days=shift)

    def week_start(self, week: int) -> date:
        first = self.params.start + timedelta(days=7 * (week - 1))
        return self.moved(first) if self.calendar else first

    def planned(self, key: Key) -> date:
        first = self.params.start + timedelta(days=7 * (key[0] - 1) + self.slot(key).offset)
        return self.moved(first) if self.calendar else first

    def paused(self, day: date) -> bool:
        return any(start <= day < until for start, until in self.pauses)

    def gap(self, last: date, day: date) -> int:
        """Days from ``last`` to ``day``, paused days not counted."""
        return sum(1 for n in range(1, (day - last).days + 1) if not self.paused(last + timedelta(days=n)))

    def week_of(self, day: date) -> int:
        week = 1
        for w in range(1, self.params.weeks + 1):
            if self.week_start(w) <= day:
                week = w
        return week

    # --- placing logs -------------------------------------------------------------
    def place(self, day: date, session: Session, ref: ProgrammeRef | None) -> None:
        key: Key | None = None
        if ref is not None and 1 <= ref.week <= self.params.weeks and 1 <= ref.day <= len(self.lay.slots):
            key = (ref.week, ref.day) if (ref.week, ref.day) not in self.done else None
        if key is None:
            key = self._calendar_key(day) if self.calendar else self.next_open()
        self.logs.append(Done(day, session))
        if key is not None:
            self.done[key] = Done(day, session)

    def _calendar_key(self, day: date) -> Key | None:
        """A log without a programme session: that day's session, else the week's earliest unfinished one
        before it (done late), else the next one (done early)."""
        if day < self.week_start(1):
            return None
        week = self.week_of(day)
        open_ = [(week, s.index) for s in self.lay.slots if (week, s.index) not in self.done]
        for key in open_:
            if self.planned(key) == day:
                return key
        before = [k for k in open_ if self.planned(k) <= day]
        return before[0] if before else (open_[0] if open_ else None)

    def event(self, rule: ProgrammeRule, week: int, day: date, action: str, data: dict[str, Any], **words: Any) -> None:
        text = rule.reason.format(**{**rule.params, **data, **words})
        self.events.append(Event(rule=rule.id, week=week, date=day, action=action, text=text, data=data))


def plan_of(plans: list[WeekPlan], week: int) -> WeekPlan:
    return plans[week - 1]


def _targets(replay: Replay, key: Key, plan: WeekPlan, done: Done) -> str | None:
    """Why a logged session fell short of its plan (the coach's performed-vs-planned reading), or None."""
    workout = replay.store.at(replay.slot(key), plan)
    if not workout.items:
        return None
    gate = replay.store.gate(replay.slot(key), plan)
    for item in workout.items:
        slug = item.exercise.slug
        sets = done.session.entries.get(slug)
        if not sets:
            return f"{item.exercise.name} was not logged on {done.day:%b} {done.day.day}"
        if not all(s.completed for s in sets):
            return f"a set of {item.exercise.name} was left unfinished on {done.day:%b} {done.day.day}"
        target = doses.planned(slug, item.dose)
        got = doses.performed(slug, sets, _unclamped(gate.dose_range(slug)), target)
        if doses.above(target, got):
            return (
                f"{item.exercise.name} was {doses.describe(got)} on {done.day:%b} {done.day.day}, "
                f"below its target of {doses.describe(target)}"
            )
    return None


def _unclamped(span: Dose) -> Dose:
    """``span`` with every range opened wide: the coach's ``performed`` clamps into the catalogue's range,
    which would read 7 reps as the range's 8; a target is judged on what was logged."""
    wide = DoseRange(min=0, max=3600)
    return span.model_copy(
        update={
            "sets": wide,
            "reps": None if span.reps is None else wide,
            "hold_seconds": None if span.hold_seconds is None else wide,
            "duration_seconds": None if span.duration_seconds is None else wide,
        }
    )


def mornings(replay: Replay, keys: list[Key], until: date) -> list[tuple[date, int, int | None]]:
    """(session day, next-morning pain, pain before the session), oldest first, for the sessions of ``keys``."""
    found = []
    for key in keys:
        done = replay.done.get(key)
        if done is None:
            continue
        morning = done.day + timedelta(days=1)
        if morning <= until and morning in replay.checkins:
            found.append((done.day, replay.checkins[morning], done.session.pain_before))
    return sorted(found, key=lambda row: row[0])


@dataclass(frozen=True)
class Judged:
    missing: int
    short: str | None
    peak: int | None  # the worst pain of the week: during, after or the next morning


def judge(replay: Replay, week: int, plan: WeekPlan, until: date) -> Judged:
    keys = [(week, s.index) for s in replay.lay.slots]
    missing = sum(1 for k in keys if k not in replay.done)
    short = None
    peaks: list[int] = []
    for key in keys:
        done = replay.done.get(key)
        if done is None:
            continue
        short = short or _targets(replay, key, plan, done)
        peak = peak_pain(done.session)
        if peak is not None:
            peaks.append(peak)
    peaks += [pain for _, pain, _ in mornings(replay, keys, until)]
    return Judged(missing, short, max(peaks, default=None))


def not_done(missing: int, week: int) -> str:
    """How many sessions of a week were missed, in plain words."""
    if missing == 1:
        return f"1 session of week {week} was not done"
    return f"{missing} sessions of week {week} were not done"


def flare(
    replay: Replay, before: WeekPlan, last_build: WeekPlan, day: date, peak: int | None
) -> tuple[int | None, int]:
    """The pain that decides the week after ``before``, and its week: ``before``'s worst, or when ``before``
    was a deload that itself stayed at 5 or below, the last build week's when that flared above 5. A deload
    comes whatever the pain; the flare still holds the first full week after it at the doses that flared."""
    above = PAIN_NO_RISE.params["above"]
    if not before.deload or last_build.week >= before.week or (peak is not None and peak > above):
        return peak, before.week
    worst = judge(replay, last_build.week, last_build, day).peak
    if worst is not None and worst > above:
        return worst, last_build.week
    return peak, before.week
