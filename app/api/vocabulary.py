"""GET /vocabulary: every value a filter accepts, so clients need not hard-code them."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.deps import LocalisedCatalogueDep
from app.api.representations import cached_json, rendered
from app.catalogue import Catalogue
from app.catalogue.models import (
    MUSCLE_GROUPS,
    Equipment,
    Goal,
    Intensity,
    Kind,
    Level,
    Muscle,
    PainFlag,
    Position,
)
from app.catalogue.translations import TranslationError, check_texts, text_fields, translated_data
from app.languages import LOCALISED
from app.problems import responses

router = APIRouter(tags=["exercises"])

HIP_FLEXORS = {
    Muscle.psoas_major,
    Muscle.iliacus,
    Muscle.rectus_femoris,
    Muscle.sartorius,
    Muscle.pectineus,
    Muscle.tensor_fasciae_latae,
    Muscle.adductors,
    Muscle.gracilis,
}

PAIN_DESCRIPTIONS = {
    PainFlag.knee: "Knee pain: rules out kneeling and deep knee bends under load.",
    PainFlag.low_back: "Low-back pain: rules out work that pulls the lumbar spine into an arch.",
    PainFlag.wrist: "Wrist pain: rules out weight on the hands.",
    PainFlag.shoulder: "Shoulder pain: rules out hanging and weight on the arms.",
    PainFlag.hip: "Acute front-of-hip or groin pain: rules out intense stretching and loaded hip flexion.",
    PainFlag.hip_pinch: "Pinching at the front of the hip in deep flexion: rules out flexion past about 90 degrees.",
    PainFlag.pregnancy: "Pregnant or postpartum: rules out lying on the back or belly, hanging, heavy abdominal work.",
}


class Term(BaseModel):
    value: str
    label: str
    description: str | None = None


class MuscleTerm(Term):
    hip_flexor: bool = Field(description="True for the hip flexors; false for the helpers that matter.")
    members: list[str] | None = Field(default=None, description="For a group: the muscles it stands for.")


class Vocabulary(BaseModel):
    kinds: list[Term]
    muscles: list[MuscleTerm]
    positions: list[Term]
    equipment: list[Term]
    pain_flags: list[Term]
    levels: list[Term]
    intensities: list[Term]
    goals: list[Term]
    catalogue_version: str


def _label(value: str) -> str:
    return value.replace("_", " ").replace("-", " ").capitalize()


def _terms(values: type[StrEnum]) -> list[Term]:
    return [Term(value=v.value, label=_label(v.value)) for v in values]


def build(catalogue: Catalogue) -> Vocabulary:
    """The vocabulary, its labels and descriptions in the catalogue's language."""
    english = _english(catalogue.version)
    texts = catalogue.texts.get("vocabulary")
    return english if texts is None else Vocabulary.model_validate(translated_data(english, texts))


def check(catalogue: Catalogue) -> None:
    """Every language's labels and descriptions match the English ones, key for key."""
    english = text_fields(_english(catalogue.version))
    for language, translated in catalogue.translations.items():
        origin = f"built-in i18n/{language}.json"
        problems = check_texts(origin, "vocabulary", english, translated.texts.get("vocabulary"))
        if problems:
            raise TranslationError("invalid translation:\n  " + "\n  ".join(problems))


def _english(version: str) -> Vocabulary:
    muscles = [MuscleTerm(value=m.value, label=_label(m.value), hip_flexor=m in HIP_FLEXORS) for m in Muscle]
    muscles += [
        MuscleTerm(value=name, label=_label(name), hip_flexor=True, members=sorted(members))
        for name, members in MUSCLE_GROUPS.items()
    ]
    return Vocabulary(
        kinds=_terms(Kind),
        muscles=muscles,
        positions=_terms(Position),
        equipment=[
            Term(value="none", label="No equipment"),
            Term(value="no_wall", label="No wall", description="A wall is assumed unless you say you have none."),
            *_terms(Equipment),
        ],
        pain_flags=[Term(value=f.value, label=_label(f.value), description=PAIN_DESCRIPTIONS[f]) for f in PainFlag],
        levels=_terms(Level),
        intensities=_terms(Intensity),
        goals=_terms(Goal),
        catalogue_version=version,
    )


@router.get(
    "/vocabulary",
    summary="Every value the filters accept",
    description="Kinds, muscles (and muscle groups), positions, equipment, pain flags, levels, intensities and "
    "goals, each with a label: build a filter screen from it instead of hard-coding the values.",
    response_model=Vocabulary,
    responses={**LOCALISED, **responses(422)},
)
async def get_vocabulary(request: Request, catalogue: LocalisedCatalogueDep) -> Response:
    return cached_json(request, build(catalogue).model_dump_json(), rendered(catalogue).headers)
