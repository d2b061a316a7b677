"""What a log is on the wire: its field types, and the models a client sends and gets back."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from app.catalogue.models import IN_CATALOGUE, SLUG_PATTERN, Goal
from app.programmes.models import MAX_DAYS_PER_WEEK, MAX_WEEKS
from app.workouts.models import SEED_MAX

MAX_ENTRIES = 100
MAX_SETS = 50
MAX_REPS = 1000
MAX_HOLD_SECONDS = 3600
MAX_NOTES = 2000
MAX_USER_ID = 128

# --- field types ---------------------------------------------------------------


# What the document says of free text, enforced (with a plainer message than a pattern's) by _clean_text.
NO_NUL: JsonDict = {"pattern": r"^[^\x00]*$"}


def _clean_text(value: str) -> str:
    # Postgres cannot store NUL, and a lone surrogate cannot be encoded:
    # both are refused here, as a 422, instead of failing in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


# A user id may be any text but control characters (C0, DEL, C1), `/` (it could not be routed:
# /users/a/b/logs is not a user's path) and U+FFFD (what percent-encoded bytes that are not UTF-8
# decode to: `%FF` and `%FE` would be one user). The API document declares this pattern and
# ``user_id_ok`` enforces it, so the two cannot disagree.
USER_ID_PATTERN = r"^[^\x00-\x1f\x7f-\x9f/\ufffd]+$"
_USER_ID = re.compile(USER_ID_PATTERN)


def user_id_ok(value: str) -> str:
    """A user id is the tenant's own opaque text, checked before it reaches a query.

    The one check of a user id: the routes' path parameter and the fast path both call it.
    """
    if not 1 <= len(value) <= MAX_USER_ID:
        raise ValueError(f"must be 1-{MAX_USER_ID} characters")
    if not _USER_ID.match(value):
        if "/" in value:
            raise ValueError("must not contain '/'")
        if "\ufffd" in value:
            raise ValueError("must be valid UTF-8 when percent-decoded (U+FFFD is refused)")
        raise ValueError("must not contain control characters (NUL, tab, newline, ...)")
    return _clean_text(value)


# RFC 3339, with the year as written between 1900 and 2199. Anything else is refused, notably the
# numbers (and numeric strings) Pydantic would otherwise read as Unix times.
INSTANT_PATTERN = (
    r"^(19|2[01])\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
_INSTANT = re.compile(INSTANT_PATTERN)
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def instant_input(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _INSTANT.match(value)):
        return value
    raise ValueError(f"must be an RFC 3339 date-time with a time zone, in the years {EARLIEST_YEAR}-{LATEST_YEAR}")


def to_utc(value: datetime) -> datetime:
    # The year is checked as written (in those years the shift to UTC cannot overflow) and again in
    # UTC: 1900-01-01T00:00:00+23:59 is 1899 there, outside the range the answers are built for.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be in the years {EARLIEST_YEAR}-{LATEST_YEAR}")
    utc = value.astimezone(UTC)
    if not EARLIEST_YEAR <= utc.year <= LATEST_YEAR:
        raise ValueError(f"must be in the years {EARLIEST_YEAR}-{LATEST_YEAR} in UTC too")
    return utc


def _whole_number(value: Any) -> Any:
    # JSON Schema's `integer` is any number with no fractional part, `10.0` included; a string or a
    # bool is still refused (by StrictInt).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


CleanStr = Annotated[StrictStr, AfterValidator(_clean_text)]
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(instant_input),
    AfterValidator(to_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}),
]
# Bounds go before the conversion, so the document shows them as minimum and maximum.
WHOLE = BeforeValidator(_whole_number)  # public: the JSON bodies of other resources take integers alike
_WHOLE = WHOLE
# The seeds GET /workouts takes and gives, so that every stored workout can be generated again.
Seed = Annotated[StrictInt, Field(ge=0, le=SEED_MAX), _WHOLE]
Reps = Annotated[StrictInt, Field(ge=1, le=MAX_REPS), _WHOLE]
HoldSeconds = Annotated[StrictInt, Field(ge=1, le=MAX_HOLD_SECONDS), _WHOLE]
Minutes = Annotated[StrictInt, Field(ge=0, le=24 * 60), _WHOLE]
Rpe = Annotated[StrictInt, Field(ge=1, le=10), _WHOLE]
Pain = Annotated[StrictInt, Field(ge=0, le=10), _WHOLE]
Rir = Annotated[StrictInt, Field(ge=0, le=10), _WHOLE]
Slug = Annotated[StrictStr, Field(pattern=SLUG_PATTERN, min_length=2, max_length=64)]
WorkoutLink = Annotated[StrictStr, Field(min_length=10, max_length=1000, pattern=r"^/workouts\?[!-~]*$")]


class SetSide(StrEnum):
    """The side a set worked: `left`, `right`, or `both` for a two-sided set."""

    left = "left"
    right = "right"
    both = "both"


# --- examples (the API document's; a test sends them and checks the answers) --------

_SETS: list[tuple[str, list[dict[str, Any]]]] = [
    ("half-kneeling-hip-flexor-stretch", [{"hold_seconds": 30, "side": "left"}, {"hold_seconds": 30, "side": "right"}]),
    ("banded-hip-march", [{"reps": 10, "side": "both", "rpe": 6, "pain": 1}]),
]
LOG_EXAMPLE: dict[str, Any] = {
    "performed_at": "2026-11-20T07:30:00+01:00",
    "workout": {"goal": "mobility", "seed": 42},
    "duration_minutes": 20,
    "session_rpe": 5,
    "pain_before": 2,
    "pain_after": 1,
    "notes": "Left hip tighter than the right.",
    "entries": [{"exercise": slug, "sets": sets} for slug, sets in _SETS],
}
LOG_UPDATE_EXAMPLE: dict[str, Any] = {"pain_after": 0, "notes": "Left hip eased off after the second set."}
# FastAPI leaves null members out of the document's examples, so the stored sets show only what is set.
LOG_PUBLIC_EXAMPLE: dict[str, Any] = {
    "id": "219e0e00-7967-46d3-aac7-ae24195d7667",
    "user_id": "user-1842",
    "performed_at": "2026-11-20T06:30:00Z",
    **{k: LOG_EXAMPLE[k] for k in ("workout", "duration_minutes", "session_rpe", "pain_before", "pain_after", "notes")},
    "entries": [{"exercise": slug, "sets": [{**given, "completed": True} for given in sets]} for slug, sets in _SETS],
    "created_at": "2026-11-20T07:02:11.482113Z",
    "updated_at": "2026-11-20T07:02:11.482113Z",
}


# --- the wire models -------------------------------------------------------------


def _needs_work(schema: dict[str, Any]) -> None:
    """The document's side of ``SetLog._has_work``: not (reps and hold_seconds both missing or null).

    A ``not`` rather than an ``anyOf`` of two shapes: generators (openapi-python-client,
    TypeScript ones) turned the ``anyOf`` into two half-models, while they read past ``not``;
    validators and the fuzzer still see the rule.
    """
    schema["not"] = {"properties": {"reps": {"type": "null"}, "hold_seconds": {"type": "null"}}}


class WorkoutSeed(BaseModel):
    """A generated workout, named by what regenerates it."""

    model_config = ConfigDict(extra="forbid")

    goal: Goal
    seed: Seed


PROGRAMME_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class ProgrammeLink(BaseModel):
    """The programme session a log fulfils: the programme's id, the week, and the session's number in that week
    (from 1). A log without one, on a day a session is due, counts for that session."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[StrictStr, Field(pattern=PROGRAMME_ID_PATTERN, max_length=36, description="The programme's id.")]
    week: Annotated[StrictInt, Field(ge=1, le=MAX_WEEKS), _WHOLE]
    day: Annotated[
        StrictInt, Field(ge=1, le=MAX_DAYS_PER_WEEK, description="The session's number in its week."), _WHOLE
    ]


class SetLog(BaseModel):
    """One set as performed: give `reps`, `hold_seconds` or both (a set with neither is a 422)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_needs_work)

    reps: Reps | None = None
    hold_seconds: HoldSeconds | None = None
    load_kg: StrictFloat | None = Field(default=None, ge=0, le=1000, allow_inf_nan=False)
    side: SetSide | None = None
    rpe: Rpe | None = None
    pain: Pain | None = None
    rir: Rir | None = Field(default=None, description="Reps in reserve: how many more reps were left, 0-10.")
    completed: StrictBool = True

    @model_validator(mode="after")
    def _has_work(self) -> SetLog:
        if self.reps is None and self.hold_seconds is None:
            raise ValueError("a set needs reps, hold_seconds or both")
        return self


class EntryPublic(BaseModel):
    """One exercise of a stored log, with its sets in order."""

    # A plain string, not the catalogue's list: a stored log keeps its slug when the catalogue
    # changes, and a generated client must still read it.
    exercise: str = Field(description="The exercise's slug.")
    sets: list[SetLog]


class EntryLog(EntryPublic):
    """One exercise of a log, with its sets in order; `exercise` must be in the catalogue.

    A subclass, so the entries a client sent go into ``LogPublic`` as they are.
    """

    model_config = ConfigDict(extra="forbid")

    exercise: Annotated[Slug, IN_CATALOGUE] = Field(description="A catalogue exercise slug.")
    sets: list[SetLog] = Field(min_length=1, max_length=MAX_SETS)


class LogCreate(BaseModel):
    """A workout as the user performed it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [LOG_EXAMPLE]})

    performed_at: Instant = Field(description="When, with a time zone; stored and returned in UTC.")
    workout: WorkoutLink | WorkoutSeed | None = Field(
        default=None, description="The generated workout followed: its `self` link, or its goal and seed."
    )
    duration_minutes: Minutes | None = None
    session_rpe: Rpe | None = None
    pain_before: Pain | None = None
    pain_after: Pain | None = None
    notes: CleanStr | None = Field(default=None, max_length=MAX_NOTES, json_schema_extra=NO_NUL)
    entries: list[EntryLog] = Field(min_length=1, max_length=MAX_ENTRIES)
    programme: ProgrammeLink | None = Field(
        default=None, description="The programme session this log fulfils (one of this user's programmes)."
    )


def _never_null(schema: dict[str, Any]) -> None:
    """The document's side of ``_required_if_given``: the field may be left out, never null."""
    (branch,) = [s for s in schema.pop("anyOf") if s != {"type": "null"}]
    schema.update(branch)


class LogUpdate(BaseModel):
    """The fields to replace; those left out keep their value. ``entries`` is replaced whole."""

    # minProperties: see _not_empty
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1, "examples": [LOG_UPDATE_EXAMPLE]})

    performed_at: Instant | None = Field(default=None, json_schema_extra=_never_null)
    workout: WorkoutLink | WorkoutSeed | None = None
    duration_minutes: Minutes | None = None
    session_rpe: Rpe | None = None
    pain_before: Pain | None = None
    pain_after: Pain | None = None
    notes: CleanStr | None = Field(default=None, max_length=MAX_NOTES, json_schema_extra=NO_NUL)
    entries: list[EntryLog] | None = Field(
        default=None, min_length=1, max_length=MAX_ENTRIES, json_schema_extra=_never_null
    )
    programme: ProgrammeLink | None = None

    @field_validator("performed_at", "entries", mode="before")
    @classmethod
    def _required_if_given(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> LogUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class WorkoutRef(BaseModel):
    """A generated workout's goal and seed, as stored."""

    goal: str
    seed: int


class LogPublic(BaseModel):
    """A stored log."""

    model_config = ConfigDict(json_schema_extra={"examples": [LOG_PUBLIC_EXAMPLE]})

    id: str
    user_id: str
    performed_at: datetime
    workout: str | WorkoutRef | None
    duration_minutes: int | None
    session_rpe: int | None
    pain_before: int | None
    pain_after: int | None
    notes: str | None
    entries: list[EntryPublic]
    created_at: datetime
    updated_at: datetime
    programme: ProgrammeLink | None = Field(default=None, description="The programme session it fulfils, if any.")


# The one list of a log's fields: what is stored and returned. A client writes the content
# fields (those of LogCreate and LogUpdate); the store sets the others.
LOG_FIELDS = tuple(LogPublic.model_fields)
CONTENT_FIELDS = tuple(LogCreate.model_fields)
assert set(CONTENT_FIELDS) == set(LogUpdate.model_fields) <= set(LOG_FIELDS)


class LogPage(BaseModel):
    """One page of logs, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [LOG_PUBLIC_EXAMPLE],
                    "next": "/users/user-1842/logs?limit=1&cursor=1795156200000000.219e0e00796746d3aac7ae24195d7667",
                }
            ]
        }
    )

    items: list[LogPublic]
    next: str | None = Field(
        description="Absolute URL of the next page (also in the `Link` header), or null on the last one."
    )


class UserExport(BaseModel):
    """Everything stored about one user, oldest log first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "user-1842",
                    "exported_at": "2026-12-01T09:15:00Z",
                    "count": 1,
                    "logs": [LOG_PUBLIC_EXAMPLE],
                }
            ]
        }
    )

    user_id: str
    exported_at: datetime
    count: int
    logs: list[LogPublic]
