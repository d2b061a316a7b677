"""GET /exercises and GET /exercises/{slug}: the catalogue, filtered and paged."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from app.api.deps import LocalisedCatalogueDep
from app.api.languages import LOCALISED
from app.api.params import comma_list
from app.api.representations import ExerciseDetail, ExerciseSummary, cached_json, rendered
from app.catalogue import Catalogue
from app.catalogue.loader import fold
from app.catalogue.models import (
    CATALOGUE_SLUG,
    MUSCLE_GROUPS,
    SLUG_PATTERN,
    Equipment,
    Exercise,
    Kind,
    Level,
    Muscle,
    PainFlag,
    Position,
)
from app.problems import Problem, responses

router = APIRouter(tags=["exercises"])

# A muscle filter may name a muscle or a group of them ("iliopsoas").
MuscleFilter = StrEnum("MuscleFilter", {m: m for m in [*(m.value for m in Muscle), *MUSCLE_GROUPS]})  # type: ignore[misc]
# "none" asks for bodyweight-only exercises.
EquipmentFilter = StrEnum("EquipmentFilter", {e: e for e in ["none", *(e.value for e in Equipment)]})  # type: ignore[misc]

MAX_LIST = 20


class ExerciseQuery(BaseModel):
    """Filters combine with AND; several values of one filter combine with OR."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[comma_list(Kind), Field(max_length=MAX_LIST)] = []  # type: ignore[valid-type]
    muscle: Annotated[comma_list(MuscleFilter), Field(max_length=MAX_LIST)] = []  # type: ignore[valid-type]
    position: Annotated[comma_list(Position), Field(max_length=MAX_LIST)] = []  # type: ignore[valid-type]
    level: Level | None = Field(default=None, description="Exercises at or below this level.")
    equipment: Annotated[comma_list(EquipmentFilter), Field(max_length=MAX_LIST)] = Field(  # type: ignore[valid-type]
        default=[], description="What the user has; `none` means bodyweight only. Matches if one option is covered."
    )
    pain: Annotated[comma_list(PainFlag), Field(max_length=MAX_LIST)] = Field(  # type: ignore[valid-type]
        default=[], description="Leave out exercises these pain flags rule out."
    )
    q: str | None = Field(default=None, min_length=1, max_length=100, description="Name or alias, case- and accent-insensitive.")
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)


class ExercisePage(BaseModel):
    items: list[ExerciseSummary]
    total: int
    limit: int
    offset: int
    next: str | None = Field(description="Link to the next page, or null on the last one.")
    catalogue_version: str


def matches(catalogue: Catalogue, exercise: Exercise, query: ExerciseQuery) -> bool:
    if query.kind and exercise.kind not in query.kind:
        return False
    if query.position and exercise.position not in query.position:
        return False
    if query.level is not None and exercise.level.rank > query.level.rank:
        return False
    if query.muscle:
        wanted: set[str] = set()
        for name in query.muscle:
            wanted.update(MUSCLE_GROUPS.get(name, {name}))
        if wanted.isdisjoint({*exercise.muscles.primary, *exercise.muscles.secondary}):
            return False
    if query.equipment:
        have = frozenset(Equipment(e) for e in query.equipment if e != "none")
        if catalogue.equipment_option(exercise, have) is None:
            return False
    if query.pain and any(c.flag in query.pain for c in exercise.contraindications):
        return False
    if query.q is not None:
        needle = fold(query.q.strip())
        if not any(needle in term for term in catalogue.search_terms[exercise.slug]):
            return False
    return True


def _next_link(params: list[tuple[str, str]], query: ExerciseQuery, total: int) -> str | None:
    following = query.offset + query.limit
    if following >= total:
        return None
    kept = [(k, v) for k, v in params if k != "offset"]
    return "/exercises?" + urlencode([*kept, ("offset", str(following))])


def render_page(catalogue: Catalogue, query: ExerciseQuery, params: list[tuple[str, str]]) -> bytes:
    """One page of the filtered catalogue as JSON (an ``ExercisePage``), from pre-serialised summaries."""
    summaries = rendered(catalogue).summaries
    found = [e.slug for e in catalogue.exercises if matches(catalogue, e, query)]
    items = b",".join(summaries[slug] for slug in found[query.offset : query.offset + query.limit])
    tail = {
        "total": len(found),
        "limit": query.limit,
        "offset": query.offset,
        "next": _next_link(params, query, len(found)),
        "catalogue_version": catalogue.version,
    }
    return b'{"items":[' + items + b"]," + json.dumps(tail, separators=(",", ":")).encode()[1:]


def document_components(catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """What the API document adds for this catalogue: the slugs a request may name (see ``IN_CATALOGUE``)."""
    return {
        CATALOGUE_SLUG: {
            "type": "string",
            "enum": [exercise.slug for exercise in catalogue.exercises],
            "description": "An exercise of this server's catalogue: GET /exercises lists them.",
        }
    }


@router.get(
    "/exercises",
    summary="List and filter exercises",
    response_model=ExercisePage,
    responses={**LOCALISED, 304: {"description": "Not modified (If-None-Match)"}, **responses(422)},
)
async def list_exercises(
    request: Request, catalogue: LocalisedCatalogueDep, query: Annotated[ExerciseQuery, Query()]
) -> Response:
    body = render_page(catalogue, query, request.query_params.multi_items())
    return cached_json(request, body, rendered(catalogue).headers)


@router.get(
    "/exercises/{slug}",
    summary="One exercise, in full",
    response_model=ExerciseDetail,
    responses={**LOCALISED, 304: {"description": "Not modified (If-None-Match)"}, **responses(404, 422)},
)
async def get_exercise(
    request: Request,
    catalogue: LocalisedCatalogueDep,
    slug: Annotated[str, Path(pattern=SLUG_PATTERN, max_length=64)],
) -> Response:
    pages = rendered(catalogue)
    body = pages.details.get(slug)
    if body is None:
        raise Problem(404, "exercise-not-found", f"No exercise with slug {slug!r}. GET /exercises lists them.")
    return cached_json(request, body, pages.headers)
