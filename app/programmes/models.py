"""What a programme request asks for and what a programme is: weeks of days, each day a workout or rest.

Pure Pydantic, like ``app.workouts.models``. The request's goal, level, equipment, pain and minutes are
``WorkoutQuery``'s own fields (same vocabulary, same limits), so a programme's sessions are workouts
as ``/workouts`` would build them.
"""

from __future__ import annotations

import datetime as dt
from copy import copy
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.fields import FieldInfo

from app.catalogue.models import Goal, Level, PainFlag
from app.catalogue.search import EquipmentChoice
from app.dates import CalendarDate  # YYYY-MM-DD only: never a Unix time read as a date
from app.workouts.models import SEED_MAX, Workout, WorkoutQuery

MIN_WEEKS = 1
MAX_WEEKS = 16
DEFAULT_WEEKS = 6
MAX_DAYS_PER_WEEK = 7
DEFAULT_DAYS_PER_WEEK = 3
DEFAULT_DELOAD_EVERY = 4
DELOAD_EVERY_MIN = 3
DELOAD_EVERY_MAX = 6
MAX_TZ_LENGTH = 64  # the longest IANA name is 32 characters


def _same_as_workouts(name: str) -> Any:
    """``WorkoutQuery``'s field, so both doors share one vocabulary and one set of limits."""
    field: FieldInfo = copy(WorkoutQuery.model_fields[name])
    return field


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @classmethod
    def of(cls, day: dt.date) -> Weekday:
        return WEEKDAYS[day.weekday()]

    @property
    def number(self) -> int:
        """Monday 0 ... Sunday 6, as ``date.weekday()``."""
        return WEEKDAYS.index(self)


WEEKDAYS: tuple[Weekday, ...] = tuple(Weekday)


class Advance(StrEnum):
    """How the plan moves when a session is missed: ``sessions`` shifts the plan (the next unfinished
    session is due), ``calendar`` keeps the dates (a past unlogged session is missed)."""

    sessions = "sessions"
    calendar = "calendar"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) - {"localtime"}  # the machine's zone, not a name


def valid_zone(name: str) -> str:
    """An IANA name the zone database knows (not a file path, not ``localtime``)."""
    if name not in _zones():
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/Berlin)")
    return name


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(valid_zone(name))


def local_date(name: str, instant: dt.datetime) -> dt.date:
    """The person's calendar day at ``instant`` (aware) in zone ``name``: 11:30 UTC is the next day in
    Auckland. For the doors: "today" when a request names no date."""
    return instant.astimezone(zone(name)).date()


class ProgrammeQuery(BaseModel):
    """The parameters a programme is computed from; every field optional and bounded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    goal: Goal = _same_as_workouts("goal")
    level: Level = _same_as_workouts("level")
    equipment: list[EquipmentChoice] = _same_as_workouts("equipment")
    pain: list[PainFlag] = _same_as_workouts("pain")
    minutes: int | None = _same_as_workouts("minutes")
    weeks: int = Field(default=DEFAULT_WEEKS, ge=MIN_WEEKS, le=MAX_WEEKS, description="How many weeks, 1-16.")
    days_per_week: int = Field(
        default=DEFAULT_DAYS_PER_WEEK,
        ge=1,
        le=MAX_DAYS_PER_WEEK,
        description="Training days a week. Strength work is never on two days in a row: extra days are "
        "mobility days (rule `strength-not-consecutive`).",
    )
    weekdays: list[Weekday] | None = Field(
        default=None,
        max_length=MAX_DAYS_PER_WEEK,
        description="The training days (distinct, as many as `days_per_week`); default: spread over the week.",
    )
    start: CalendarDate | None = Field(default=None, description="The first day; default: today in `tz`.")
    tz: str = Field(
        default="UTC",
        min_length=1,
        max_length=MAX_TZ_LENGTH,
        description="The IANA time zone the person's days are counted in (today, next morning, missed days).",
    )
    advance: Advance | None = Field(
        default=None,
        description="`sessions`: a missed session is still due next time; `calendar`: it is missed. "
        "Default: `sessions` for rehab and mobility, `calendar` otherwise.",
    )
    deload_every: int = Field(
        default=DEFAULT_DELOAD_EVERY,
        ge=0,
        le=DELOAD_EVERY_MAX,
        description="Every n-th week is a deload week (3-6), or 0 for none.",
    )
    seed: int | None = Field(
        default=None, ge=0, le=SEED_MAX, description="Makes the programme reproducible; one is drawn and returned."
    )

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        return valid_zone(value)

    @field_validator("deload_every")
    @classmethod
    def _deload(cls, value: int) -> int:
        if value != 0 and not DELOAD_EVERY_MIN <= value <= DELOAD_EVERY_MAX:
            raise ValueError(f"deload_every is 0 (none) or {DELOAD_EVERY_MIN}-{DELOAD_EVERY_MAX}")
        return value

    @model_validator(mode="after")
    def _weekdays(self) -> ProgrammeQuery:
        if self.weekdays is not None:
            if len(set(self.weekdays)) != len(self.weekdays):
                raise ValueError("weekdays must be distinct")
            if len(self.weekdays) != self.days_per_week:
                raise ValueError(f"weekdays names {len(self.weekdays)} days but days_per_week is {self.days_per_week}")
        return self

    def canonical(self, today: dt.date, seed: int) -> ProgrammeParameters:
        """Every default filled in: ``today`` (the person's local date) and ``seed`` when the query has none."""
        advance = self.advance
        if advance is None:
            advance = Advance.sessions if self.goal in (Goal.rehab, Goal.mobility) else Advance.calendar
        weekdays = None if self.weekdays is None else sorted(set(self.weekdays), key=lambda d: d.number)
        return ProgrammeParameters(
            goal=self.goal,
            level=self.level,
            equipment=sorted(set(self.equipment), key=str),
            pain=sorted(set(self.pain), key=str),
            minutes=self.minutes,
            weeks=self.weeks,
            days_per_week=self.days_per_week,
            weekdays=weekdays,
            start=self.start if self.start is not None else today,
            tz=self.tz,
            advance=advance,
            deload_every=self.deload_every,
            seed=self.seed if self.seed is not None else seed,
        )


class ProgrammeParameters(BaseModel):
    """The request in canonical form: every default filled in, lists sorted and de-duplicated.
    What is stored and echoed; ``build`` reads only this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    goal: Goal
    level: Level
    equipment: list[EquipmentChoice]
    pain: list[PainFlag]
    minutes: int | None = Field(description="Null: the goal's default session length.")
    weeks: int = Field(ge=MIN_WEEKS, le=MAX_WEEKS)
    days_per_week: int = Field(ge=1, le=MAX_DAYS_PER_WEEK)
    weekdays: list[Weekday] | None = Field(description="Null: the days are spread over the week from `start`.")
    start: dt.date
    tz: str = Field(max_length=MAX_TZ_LENGTH)
    advance: Advance
    deload_every: int
    seed: int = Field(ge=0, le=SEED_MAX)

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        return valid_zone(value)

    def query(self) -> ProgrammeQuery:
        return ProgrammeQuery.model_validate(self.model_dump())


class RuleApplied(BaseModel):
    """A programme rule that shaped the plan as a whole (e.g. mobility days mixed into a strength plan)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The rule's id (see the README's programme rules table).")
    text: str


class ProgrammeDay(BaseModel):
    date: dt.date
    weekday: Weekday
    rest: bool
    focus: Goal | None = Field(
        description="The goal of the day's session (a mobility day in a strength plan says `mobility`); "
        "null on rest days."
    )
    session: Workout | None = Field(description="The workout as /workouts answers it; null on rest days.")
    index: int | None = Field(description="The session's number within its week, from 1; null on rest days.")


class ProgrammeWeek(BaseModel):
    week: int = Field(description="From 1.")
    deload: bool = Field(description="A lighter week: the same days and exercises, about half the sets.")
    phase: str | None = Field(description="Rehab only: `isometric`, `isotonic` or `dynamic`; null otherwise.")
    progression: str = Field(description="Why this week's doses are what they are, in one sentence.")
    days: list[ProgrammeDay] = Field(description="Seven days from the week's first day, rest days included.")


class Programme(BaseModel):
    parameters: ProgrammeParameters
    rules: list[RuleApplied] = Field(description="Rules that shaped the whole plan.")
    weeks: list[ProgrammeWeek]


class Event(BaseModel):
    """Something a rule did while the programme was followed: an advance, a hold, a repeat, a step back."""

    model_config = ConfigDict(frozen=True)

    rule: str = Field(description="The rule's id (see the README's programme rules table).")
    week: int = Field(description="The programme week it decided.")
    date: dt.date = Field(description="The local day it was decided on.")
    action: str
    text: str
    data: dict[str, Any] = Field(description="The numbers the rule read.")


class Status(StrEnum):
    due = "due"
    done = "done"
    rest = "rest"
    missed = "missed"
    paused = "paused"
    finished = "finished"


class Today(BaseModel):
    date: dt.date = Field(description="The local date in the programme's time zone.")
    week: int
    day: int | None = Field(description="The session's number within its week, from 1; null on a rest day.")
    phase: str | None
    deload: bool
    status: Status
    missed: int = Field(description="Sessions missed so far.")
    next_due: dt.date | None = Field(
        description="The next day a session is due (today when it is due); null at the end."
    )
    session: Workout | None = Field(
        description="Today's session as the programme plans it, before the coach adapts it to the logs."
    )
    events: list[Event]


@dataclass(frozen=True)
class ProgrammeRef:
    """A log's claim to fulfil one programme session: week and session number, both from 1."""

    week: int
    day: int
