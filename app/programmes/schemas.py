"""What a stored programme is on the wire: the create body, the change, the answers; and a log's reference
to the programme session it fulfils. (The plan itself is ``app.programmes.models``.)"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.coaching.models import AdaptedWorkout
from app.logs.schemas import ProgrammeLink
from app.programmes import examples
from app.programmes.models import (
    Event,
    Programme,
    ProgrammeParameters,
    ProgrammeQuery,
    Status,
)
from app.workouts.models import Workout

MAX_PAUSES = 52  # pauses kept per programme: a year of weekly pauses; the next one is a 409


class ProgrammeStatus(StrEnum):
    active = "active"
    paused = "paused"
    ended = "ended"


class ProgrammeCreate(ProgrammeQuery):
    """The parameters of GET /programmes, as a JSON body."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [examples.CREATE]})


class ProgrammeUpdate(BaseModel):
    """Pause (`paused`), resume (`active`) or end (`ended`, for good) a programme."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "paused"}]})

    status: ProgrammeStatus
    date: dt.date | None = Field(
        default=None, description="The local day it takes effect; default: today in the programme's time zone."
    )


class Pause(BaseModel):
    start: dt.date = Field(alias="from", description="The first local day paused.")
    end: dt.date | None = Field(alias="to", description="The day it was resumed; null while paused.")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class ProgrammeState(BaseModel):
    """A stored programme's own fields, beside the plan."""

    id: str
    self: str = Field(description="This programme's path.")
    user_id: str
    status: ProgrammeStatus
    paused: list[Pause] = Field(description="Every pause, oldest first; the last one open while paused.")
    ended: dt.date | None = Field(description="The local day it was ended; null unless ended.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ProgrammePublic(ProgrammeState, Programme):
    """A stored programme: its state, its canonical parameters and the whole plan computed from them."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.STORED]})


class ProgrammeSummary(ProgrammeState):
    """A stored programme in a list: its state and parameters (GET its `self` for the weeks)."""

    parameters: ProgrammeParameters


class ProgrammePage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PAGE]})

    items: list[ProgrammeSummary]
    next: str | None = Field(description="Absolute URL of the next page (also in the `Link` header), or null.")


class TodayPublic(BaseModel):
    """What the programme asks of the person on one local day, the session adapted by the coach."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.TODAY]})

    date: dt.date = Field(description="The local date in the programme's time zone.")
    week: int
    day: int | None = Field(description="The session's number in its week, from 1; null on a rest day.")
    phase: str | None
    deload: bool
    status: Status
    missed: int = Field(description="Sessions missed so far.")
    next_due: dt.date | None = Field(description="The next day a session is due (today when it is due).")
    events: list[Event]
    session: AdaptedWorkout | None = Field(
        description="The session due (or done) today as the coach adapts it from the user's logs and check-ins "
        "(the shape of GET /users/{user_id}/workouts/next); null on a rest day, when paused or finished."
    )


__all__ = [
    "Pause", "ProgrammeCreate", "ProgrammeLink", "ProgrammePage", "ProgrammePublic", "ProgrammeState",
    "ProgrammeStatus", "ProgrammeSummary", "ProgrammeUpdate", "TodayPublic", "Workout",
]
