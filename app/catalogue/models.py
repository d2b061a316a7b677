"""The catalogue's data model: what one exercise is, validated at load.

Pure Pydantic: no FastAPI, no database. The JSON file in ``data/`` is parsed
into these models; every enum here is also a filter vocabulary of the API.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=2, max_length=64)]

# Marks a slug in a request that must name an exercise of the catalogue being served. That catalogue
# is chosen at start (it can be extended or replaced), so the API document lists its slugs once, in
# the component of this name, which the app fills in; responses keep the plain slug schema. (In an
# `allOf`: Pydantic looks a bare `$ref` up among its own definitions, and this one is not there.)
CATALOGUE_SLUG = "CatalogueSlug"
IN_CATALOGUE = WithJsonSchema({"allOf": [{"$ref": f"#/components/schemas/{CATALOGUE_SLUG}"}]}, mode="validation")

Text = Annotated[str, Field(min_length=1, max_length=600)]


class Kind(StrEnum):
    stretch = "stretch"
    strength = "strength"
    mobility = "mobility"
    release = "release"
    breathing = "breathing"
    stability = "stability"
    assessment = "assessment"


class Muscle(StrEnum):
    # the hip flexors (StrengthLog's anatomy section)
    psoas_major = "psoas_major"
    iliacus = "iliacus"
    rectus_femoris = "rectus_femoris"
    sartorius = "sartorius"
    pectineus = "pectineus"
    tensor_fasciae_latae = "tensor_fasciae_latae"
    adductors = "adductors"
    gracilis = "gracilis"
    # the helpers the articles lean on
    glutes = "glutes"
    hamstrings = "hamstrings"
    quadriceps = "quadriceps"
    deep_core = "deep_core"
    abdominals = "abdominals"
    obliques = "obliques"
    diaphragm = "diaphragm"
    pelvic_floor = "pelvic_floor"
    hip_rotators = "hip_rotators"


# A filter on a group matches any of its members.
MUSCLE_GROUPS: dict[str, frozenset[Muscle]] = {
    "iliopsoas": frozenset({Muscle.psoas_major, Muscle.iliacus}),
}


class Position(StrEnum):
    standing = "standing"
    half_kneeling = "half-kneeling"
    kneeling = "kneeling"
    supine = "supine"
    prone = "prone"
    side_lying = "side-lying"
    all_fours = "all-fours"
    hanging = "hanging"
    seated = "seated"
    plank = "plank"


class Equipment(StrEnum):
    band = "band"  # a long resistance band with an anchor point
    mini_band = "mini_band"  # a small loop band
    wall = "wall"
    couch = "couch"
    bed = "bed"
    table = "table"
    box = "box"
    bench = "bench"
    ball = "ball"  # lacrosse or tennis ball
    foam_roller = "foam_roller"
    dumbbell = "dumbbell"
    ankle_weight = "ankle_weight"
    cable = "cable"
    kettlebell = "kettlebell"
    pull_up_bar = "pull_up_bar"
    sliders = "sliders"
    parallettes = "parallettes"
    yoga_blocks = "yoga_blocks"
    cushion = "cushion"


class PainFlag(StrEnum):
    knee = "knee"
    low_back = "low_back"
    wrist = "wrist"
    shoulder = "shoulder"
    hip = "hip"  # acute front-of-hip or groin pain
    hip_pinch = "hip_pinch"  # pinching at the front of the hip in deep flexion (impingement-like)
    pregnancy = "pregnancy"  # pregnant or postpartum: not pain, but it rules exercises out the same way


class Mechanic(StrEnum):
    """What an exercise does to the body, as the safety principles read it (see ``principles``)."""

    long_lever_hip_flexion = "long_lever_hip_flexion"  # straight legs lifted: the psoas pulls hard on the lumbar spine
    fast_hip_flexion = "fast_hip_flexion"  # repeated knee drives at speed
    loaded_hip_flexion = "loaded_hip_flexion"  # a band or weight resists hip flexion
    deep_hip_flexion = "deep_hip_flexion"  # the hip flexed past about 90 degrees, or held at end range
    end_range_stretch = "end_range_stretch"  # a deep static stretch held near the end of the range
    spine_extension_load = "spine_extension_load"  # the lower back is levered into extension under load
    lying_supine = "lying_supine"
    lying_prone = "lying_prone"
    abdominal_pressure = "abdominal_pressure"  # something presses into the lower abdomen
    heavy_abdominal_load = "heavy_abdominal_load"  # the abdominal wall works near its limit
    fall_risk = "fall_risk"  # hanging, or a position a loss of balance turns into a fall
    weight_on_knee = "weight_on_knee"
    weight_on_hands = "weight_on_hands"
    weight_on_arms = "weight_on_arms"  # the shoulders carry or suspend the body
    painful_release = "painful_release"  # pressure into a sore muscle


class Level(StrEnum):
    beginner = "beginner"
    intermediate = "intermediate"
    advanced = "advanced"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.beginner: 0, Level.intermediate: 1, Level.advanced: 2}


class Intensity(StrEnum):
    gentle = "gentle"
    moderate = "moderate"
    intense = "intense"


class Role(StrEnum):
    """The jobs an exercise can do in a workout; the generator's phases ask for roles."""

    assessment = "assessment"
    release = "release"  # soft-tissue work
    breathing = "breathing"
    pelvis = "pelvis"  # finding pelvis position (tucks, 90-90)
    mobilise = "mobilise"  # multi-directional, lubricating movement
    stretch = "stretch"
    brace = "brace"
    isometric = "isometric"
    dynamic = "dynamic"  # dynamic strength under a brace
    rotators = "rotators"  # lateral hip rotators
    activation = "activation"  # a primer before training
    main_lift = "main_lift"
    isolation = "isolation"
    finisher = "finisher"  # conditioning
    lengthen = "lengthen"  # strength at long muscle length


class Goal(StrEnum):
    balanced = "balanced"
    mobility = "mobility"
    strength = "strength"
    rehab = "rehab"
    posture = "posture"
    warmup = "warmup"


def _int_as_range(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return {"min": value, "max": value}
    return value


class DoseRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int = Field(ge=0, le=3600)
    max: int = Field(ge=0, le=3600)

    @model_validator(mode="after")
    def _ordered(self) -> DoseRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


# In the data file a range may be written as a bare number: 10 == {"min": 10, "max": 10}.
Range = Annotated[DoseRange, BeforeValidator(_int_as_range)]


class Dose(BaseModel):
    """A prescription as the article gives it; ranges are kept as ranges."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sets: Range
    reps: Range | None = None
    hold_seconds: Range | None = None
    duration_seconds: Range | None = None  # a timed set: intervals, rolling
    per_side: bool = False
    rest_seconds: Range
    tempo: str | None = Field(default=None, max_length=120)
    # How long one rep takes when it is not a hold; used to estimate time.
    rep_seconds: int = Field(default=3, ge=1, le=60)
    note: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _has_work(self) -> Dose:
        if self.reps is None and self.duration_seconds is None:
            raise ValueError("a dose needs reps or duration_seconds")
        if self.duration_seconds is not None and (self.reps or self.hold_seconds):
            raise ValueError("duration_seconds does not combine with reps or hold_seconds")
        return self


class Muscles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    primary: list[Muscle] = Field(min_length=1)
    secondary: list[Muscle] = []


class Contraindication(BaseModel):
    """A flag that rules the exercise out; the reason is shown to the user, the source is its basis."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flag: PainFlag
    reason: Text
    source: Slug  # an id from the file's sources; `hipflex-own-design` where the rule is ours
    principle: Slug | None = None  # the principle that demands it, when one does


class Principle(BaseModel):
    """A safety rule applied to every exercise: any exercise with ``mechanic`` must carry ``flag``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    mechanic: Mechanic
    flag: PainFlag
    rule: Text  # the principle in one sentence
    reason: Text
    sources: list[SourceRef] = Field(min_length=1)


class AssumedEquipment(BaseModel):
    """Equipment nearly everyone has, counted as available unless the caller opts out (``no_<item>``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: Equipment
    opt_out: Annotated[str, Field(pattern=r"^no_[a-z_]+$")]  # the equipment value that says "I have none"
    reason: Text
    source: Slug


class Advice(BaseModel):
    """Guidance that is not an exercise a user does alone (for example, a therapist-assisted stretch)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    goals: list[Goal] = Field(min_length=1)
    text: Text
    sources: list[SourceRef] = Field(min_length=1)


class SourceRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Slug  # an id from the file's sources
    note: str | None = Field(default=None, max_length=300)


class Source(BaseModel):
    """A work the catalogue cites, credited as a reader would cite it: title, author or publisher, date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug
    title: Text
    author: Text | None = Field(default=None, description="Null when the work names no author.")
    publisher: Text = Field(description="Who published it: a site, a journal, an organisation.")
    published: str | None = Field(
        default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="YYYY, YYYY-MM or YYYY-MM-DD; null if undated."
    )
    url: str | None = Field(default=None, max_length=300, pattern=r"^https?://")


class MediaType(StrEnum):
    image = "image"
    video = "video"
    animation = "animation"


class Media(BaseModel):
    """A picture or clip of an exercise, hosted elsewhere and credited (the built-in catalogue has none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: MediaType
    url: str = Field(max_length=500, pattern=r"^https://[^\s/?#@]+(/\S*)?$", description="HTTPS only.")
    alt: Text = Field(description="What it shows, for people who cannot see it.")
    licence: Annotated[str, Field(min_length=1, max_length=100)] = Field(description="e.g. CC BY 4.0.")
    author: Annotated[str, Field(min_length=1, max_length=200)]


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: Slug
    name: Annotated[str, Field(min_length=2, max_length=80)]
    aliases: list[Annotated[str, Field(min_length=2, max_length=80)]] = []
    kind: Kind
    # Exercises of one family are too alike to share a session (L-sit progressions, mountain-climber variants).
    family: Slug
    # Exercises of one pattern do the same job on the same target (the front-of-hip stretches: kneeling,
    # standing or side-lying): near-duplicates, so a phase takes one of them. Unset: the family is the pattern.
    pattern: Slug | None = None
    roles: list[Role] = Field(min_length=1)
    mechanics: list[Mechanic] = []
    muscles: Muscles
    position: Position
    # Alternatives: each option is a set of items that are all needed; an empty
    # option means the exercise can be done with no equipment.
    equipment: list[list[Equipment]] = Field(min_length=1)
    level: Level
    intensity: Intensity
    dose: Dose
    goal_doses: dict[Goal, Dose] = {}
    # The dose whenever the user reports pain: gentle, at the bottom of the range (painful releases need one).
    dose_under_pain: Dose | None = None
    summary: Text
    # What it does in a workout, completing "<name> ..." in an item's `why`, for an exercise of which its phase's
    # own purpose would be untrue (a prone leg lift is glute work that stretches as a side effect).
    purpose: Text | None = None
    instructions: list[Text] = Field(min_length=2)
    cues: list[Text] = Field(min_length=1)
    mistakes: list[Text] = []
    contraindications: list[Contraindication] = []
    regressions: list[Slug] = []
    progressions: list[Slug] = []
    variant_of: Slug | None = None
    sources: list[SourceRef] = Field(min_length=1)
    media: list[Media] = Field(default=[], max_length=10)

    @model_validator(mode="after")
    def _consistent(self) -> Exercise:
        flags = [c.flag for c in self.contraindications]
        if len(flags) != len(set(flags)):
            raise ValueError("a pain flag is listed twice in contraindications")
        for option in self.equipment:
            if len(option) != len(set(option)):
                raise ValueError("an equipment option lists an item twice")
        if self.slug in self.regressions or self.slug in self.progressions:
            raise ValueError("an exercise cannot regress or progress to itself")
        if Mechanic.painful_release in self.mechanics and self.dose_under_pain is None:
            raise ValueError("a painful release needs a dose_under_pain")
        if self.dose_under_pain is not None and not _below(self.dose_under_pain, self.dose):
            raise ValueError("dose_under_pain must stay at or below the bottom of the normal dose")
        return self

    def ruled_out_by(self, flag: PainFlag) -> Contraindication | None:
        for contraindication in self.contraindications:
            if contraindication.flag is flag:
                return contraindication
        return None


def _below(gentle: Dose, normal: Dose) -> bool:
    """Every part of ``gentle`` is at most the bottom of ``normal``'s range."""
    pairs = [(gentle.sets, normal.sets), (gentle.reps, normal.reps), (gentle.hold_seconds, normal.hold_seconds)]
    pairs.append((gentle.duration_seconds, normal.duration_seconds))
    return all(g is None or (n is not None and g.max <= n.min) for g, n in pairs)


class CatalogueFile(BaseModel):
    """The whole data file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    sources: list[Source] = Field(min_length=1)
    principles: list[Principle] = []
    assumed_equipment: list[AssumedEquipment] = []
    advice: list[Advice] = []
    exercises: list[Exercise] = Field(min_length=1)

