"""What a workout request asks for and what a generated workout is.

Pure Pydantic: the API layer adds only HTTP parsing (comma-separated lists)
on top of ``WorkoutQuery``. Every output field is an int, a string or a list
of them, so the same workout serialises to the same bytes everywhere.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.catalogue.models import Equipment, Goal, Intensity, Kind, Level, PainFlag, Role, Slug
from app.catalogue.search import MAX_LIST, EquipmentChoice

MIN_MINUTES = 5
MAX_MINUTES = 60
SEED_MAX = 2**31 - 1


class TightSide(StrEnum):
    """The side that feels tighter: one-sided exercises get an extra set on it."""

    left = "left"
    right = "right"


class OmitReason(StrEnum):
    excluded = "excluded"
    pain = "pain"
    intensity = "intensity"
    level = "level"
    equipment = "equipment"
    time = "time"
    paused = "paused"  # the coach: what hurt, or anything new after a painful session
    deload = "deload"  # the coach: a lighter session


class RedFlag(StrEnum):
    cough_sneeze = "cough_sneeze"
    abdominal_pain = "abdominal_pain"
    no_relief = "no_relief"
    night_pain = "night_pain"
    fever = "fever"
    numbness_weakness = "numbness_weakness"
    bladder_bowel = "bladder_bowel"
    trauma = "trauma"
    cannot_bear_weight = "cannot_bear_weight"
    weight_loss = "weight_loss"
    cancer_history = "cancer_history"
    pregnancy_warning = "pregnancy_warning"
    hip_surgery = "hip_surgery"
    child_limp = "child_limp"
    immunosuppression = "immunosuppression"
    impact_pain = "impact_pain"


class Urgency(StrEnum):
    emergency = "emergency"  # now: an emergency department
    same_day = "same_day"  # today: a doctor
    soon = "soon"  # within days: a doctor or physiotherapist


class WorkoutQuery(BaseModel):
    """The constraints a user gives; every field is optional and bounded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    goal: Goal = Field(default=Goal.balanced, description="What the session is for; GET /goals describes each.")
    level: Level = Field(default=Level.beginner, description="No exercise above this level is chosen.")
    equipment: list[EquipmentChoice] = Field(
        default=[], max_length=MAX_LIST, description="What the user has; `none` (or nothing) means bodyweight only."
    )
    pain: list[PainFlag] = Field(
        default=[], max_length=MAX_LIST, description="Where it hurts; exercises that load those areas are left out."
    )
    pain_level: int = Field(
        default=0,
        ge=0,
        le=10,
        description=(
            "Pain today, 0-10, graded by GET /pain-grades: 4-5 nothing intense and bottom doses; 6-7 gentle only, "
            "15 minutes at most; 8 and above no session, a referral."
        ),
    )
    red_flags: list[RedFlag] = Field(
        default=[],
        max_length=len(RedFlag),
        description="Signs from GET /screening the user reports; any of them gets a referral, not a workout.",
    )
    minutes: int | None = Field(
        default=None,
        ge=MIN_MINUTES,
        le=MAX_MINUTES,
        description=(
            "Session length. Default: the goal's (20 minutes; 30 for rehab, 10 for a warm-up); pain from 6/10 "
            "caps it at 15."
        ),
    )
    tight_side: TightSide | None = Field(default=None, description="One-sided exercises get an extra set on this side.")
    exclude: list[Slug] = Field(default=[], max_length=MAX_LIST, description="Exercise slugs to leave out.")
    seed: int | None = Field(
        default=None,
        ge=0,
        le=SEED_MAX,
        description="Makes the workout reproducible; without it one is picked and returned.",
    )


class WorkoutExercise(BaseModel):
    """The exercise as it is done in this workout."""

    model_config = ConfigDict(frozen=True)

    slug: str
    name: str
    kind: Kind
    equipment: list[Equipment] = Field(description="The equipment option chosen; empty means none.")
    cues: list[str] = Field(description="Two or three short cues.")
    href: str


class Prescription(BaseModel):
    """The dose for this level: sets of reps (each held `hold_seconds` if set) or of a duration."""

    sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None
    per_side: bool
    rest_seconds: int = Field(description="Rest between sets.")
    tempo: str | None
    note: str | None


class WorkoutItem(BaseModel):
    phase: str
    phase_title: str
    exercise: WorkoutExercise
    dose: Prescription
    estimated_seconds: int = Field(description="Work, rest between sets and a transition to the next exercise.")
    why: str
    side_note: str | None = Field(default=None, description="Set when `tight_side` added a set.")


class Omission(BaseModel):
    """A catalogue exercise one of the constraints ruled out."""

    model_config = ConfigDict(frozen=True)

    slug: str
    name: str
    reason: OmitReason
    detail: str


class Frequency(BaseModel):
    model_config = ConfigDict(frozen=True)

    advice: str
    sources: list[str] = Field(description="Ids of the catalogue sources the advice comes from.")


class WorkoutParameters(BaseModel):
    """The request in canonical form: defaults filled in, lists sorted and de-duplicated."""

    goal: Goal
    level: Level
    equipment: list[EquipmentChoice] = Field(
        description="The equipment named, then any opt-out (`no_wall`), as in `self`: the query this answers."
    )
    pain: list[PainFlag]
    pain_level: int
    minutes: int
    tight_side: TightSide | None
    exclude: list[str]
    red_flags: list[RedFlag]


class ReferralCause(BaseModel):
    """One reason for the referral: a red flag reported, or the pain level."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The red flag's id (GET /screening), or `pain-refer` for the pain level.")
    text: str
    why: str
    urgency: Urgency
    source: str


class Referral(BaseModel):
    """See a clinician instead of training; the urgency is the most urgent cause's."""

    model_config = ConfigDict(frozen=True)

    urgency: Urgency
    advice: str
    causes: list[ReferralCause]


class Workout(BaseModel):
    goal: Goal
    title: str
    parameters: WorkoutParameters
    items: list[WorkoutItem]
    estimated_seconds: int
    estimated_minutes: int
    short_of_time: bool = Field(description="True when the session is well under the minutes asked for.")
    time_note: str | None = Field(description="Why the session is shorter than asked, when it is.")
    gentle_only: bool = Field(description="True when pain limited the session to gentle exercises.")
    pain_grade: str = Field(description="The row of GET /pain-grades that today's pain level falls in.")
    referral: Referral | None = Field(
        description=(
            "Set instead of a session (then `items` is empty) when a red flag or the pain level needs a clinician."
        )
    )
    omitted: list[Omission]
    notes: list[str]
    safety: list[str]
    frequency: Frequency
    sources: list[str]
    seed: int
    catalogue_version: str
    self: str = Field(description="A relative link that reproduces exactly this workout.")


class PhaseInfo(BaseModel):
    key: str
    title: str
    roles: list[Role] = Field(description="An exercise fits the phase when it has one of these roles.")
    purpose: str
    max_items: int
    optional: bool = Field(description="Optional phases are only used to fill the time asked for.")


class GoalInfo(BaseModel):
    goal: Goal
    title: str
    description: str
    default_minutes: int
    phases: list[PhaseInfo]
    sources: list[str]
    frequency: Frequency


class PainGradeInfo(BaseModel):
    """One row of the pain-grading table."""

    id: str
    low: int = Field(description="The lowest pain level (0-10) in this grade.")
    high: int = Field(description="The highest pain level in this grade.")
    label: str
    effect: str = Field(description="What the grade changes in a session.")
    max_intensity: Intensity = Field(description="Nothing more intense is chosen.")
    bottom_dose: bool = Field(description="Every dose at the bottom of its range, with no extra sets.")
    max_minutes: int | None = Field(description="A cap on the session's length; 0 when there is no session.")
    session: bool = Field(description="False: no training session, a referral instead.")
    reason: str
    source: str
    own_design: bool = Field(description="True where the rule is hipflex's own design rather than a source's.")


class RedFlagInfo(BaseModel):
    """One sign of the red-flag screen."""

    id: RedFlag
    question: str = Field(description="What to ask the user.")
    why: str = Field(description="Why the sign matters.")
    urgency: Urgency
    advice: str = Field(description="What to do, at this urgency.")
    source: str
