"""An adapted workout: the plain workout, each item with the adaptation that set its dose.

A superset of ``Workout`` by construction (the models extend it), so a client
that reads plain workouts reads adapted ones, and with no history the two
agree on every field they share.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.coaching.rules import Action
from app.coaching.today import PainToday
from app.workouts.models import Workout, WorkoutItem


class DoseState(BaseModel):
    """An exercise at a dose: what was done last, or what is prescribed now."""

    model_config = ConfigDict(frozen=True)

    exercise: str
    sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None


class Adaptation(BaseModel):
    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)

    action: Action
    rule: str = Field(description="The id of the rule that decided it (see the rules table).")
    reason: str = Field(description="Why, quoting the logged data.")
    from_: DoseState | None = Field(alias="from", description="The last logged dose; null for a new exercise.")
    to: DoseState = Field(description="Today's dose; a swap or a progression names the new exercise.")
    ready_for: str | None = Field(
        default=None,
        description="At the top of its range: the harder variant (a slug) this exercise leads to, which the "
        "user's level, equipment or pain does not allow yet; null otherwise.",
    )


class AdaptedItem(WorkoutItem):
    adaptation: Adaptation


class Guard(BaseModel):
    """A whole-history check and what it found."""

    model_config = ConfigDict(frozen=True)

    rule: str
    fired: bool
    value: float | None = Field(description="The ratio or the difference checked; null when there was too little data.")
    values: list[float] = Field(description="What it was computed from: load 7 d and 28-day weekly mean; pain.")
    detail: str


class AdaptedWorkout(Workout):
    items: list[AdaptedItem]  # type: ignore[assignment]  # a subtype: every item also carries its adaptation
    adapted_for: date = Field(description="The day the history was read as of.")
    pain_today: PainToday = Field(
        description="Today's pain level, which set the pain grade, and where it came from: the request's "
        "`pain_level` (never below today's check-in), else the newest check-in or session pain of the last days."
    )
    guards: list[Guard]
