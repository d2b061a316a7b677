"""GET /exercises and GET /exercises/{slug}: the catalogue, filtered and paged."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.deps import LocalisedCatalogueDep, SettingsDep
from app.api.params import CommaList
from app.api.representations import (
    ExerciseDetail,
    ExerciseSummary,
    base_url,
    cached_json,
    link_next,
    rendered,
)
from app.catalogue import Catalogue
from app.catalogue.models import CATALOGUE_SLUG, SLUG_PATTERN, Kind, PainFlag, Position
from app.catalogue.search import MAX_LIST, EquipmentChoice, ExerciseFilter, MuscleFilter, search
from app.languages import LOCALISED
from app.problems import Problem, responses

router = APIRouter(tags=["exercises"])

_fields = ExerciseFilter.model_fields


class ExerciseQuery(ExerciseFilter):
    """The query string: the catalogue's filters (list parameters also take `?pain=knee,wrist`) and paging."""

    kind: Annotated[CommaList[Kind], Field(max_length=MAX_LIST)] = Field(
        default=[], description="Any of these kinds (stretch, strength, mobility...)."
    )
    muscle: Annotated[CommaList[MuscleFilter], Field(max_length=MAX_LIST)] = Field(
        default=[], description="Works any of these muscles (a group such as `iliopsoas` stands for its members)."
    )
    position: Annotated[CommaList[Position], Field(max_length=MAX_LIST)] = Field(
        default=[], description="Done in any of these positions (standing, half-kneeling, supine...)."
    )
    equipment: Annotated[CommaList[EquipmentChoice], Field(max_length=MAX_LIST)] = Field(
        default=[], description=_fields["equipment"].description
    )
    pain: Annotated[CommaList[PainFlag], Field(max_length=MAX_LIST)] = Field(
        default=[], description=_fields["pain"].description
    )
    limit: int = Field(default=20, ge=1, le=100, description="Exercises per page.")
    offset: int = Field(default=0, ge=0, le=10_000, description="How many matching exercises to skip.")


class ExercisePage(BaseModel):
    items: list[ExerciseSummary]
    total: int
    limit: int
    offset: int
    next: str | None = Field(
        description="Absolute URL of the next page (also in the `Link` header), or null on the last one."
    )
    catalogue_version: str


def _next_link(base: str, params: list[tuple[str, str]], query: ExerciseQuery, total: int) -> str | None:
    following = query.offset + query.limit
    if following >= total:
        return None
    kept = [(k, v) for k, v in params if k != "offset"]
    return f"{base}/exercises?" + urlencode([*kept, ("offset", str(following))])


def render_page(
    catalogue: Catalogue, query: ExerciseQuery, params: list[tuple[str, str]], base: str
) -> tuple[bytes, str | None]:
    """One page of the filtered catalogue as JSON (an ``ExercisePage``), from pre-serialised summaries,
    and the absolute URL of the next page (``base`` is where links start)."""
    summaries = rendered(catalogue).summaries
    found = [e.slug for e in search(catalogue, query)]
    items = b",".join(summaries[slug] for slug in found[query.offset : query.offset + query.limit])
    following = _next_link(base, params, query, len(found))
    tail = {
        "total": len(found),
        "limit": query.limit,
        "offset": query.offset,
        "next": following,
        "catalogue_version": catalogue.version,
    }
    return b'{"items":[' + items + b"]," + json.dumps(tail, separators=(",", ":")).encode()[1:], following


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
    description="The catalogue, filtered (filters combine with AND, the values of one filter with OR) and "
    "paged with `limit` and `offset`; follow `next` for the following page. Answers carry a strong ETag.",
    response_model=ExercisePage,
    responses={**LOCALISED, 304: {"description": "Not modified (If-None-Match)"}, **responses(422)},
)
async def list_exercises(
    request: Request,
    catalogue: LocalisedCatalogueDep,
    settings: SettingsDep,
    query: Annotated[ExerciseQuery, Query()],
) -> Response:
    base = base_url(request.scope, settings.public_url)
    body, following = render_page(catalogue, query, request.query_params.multi_items(), base)
    headers = rendered(catalogue).headers
    if following is not None:
        headers = {**headers, "Link": link_next(following)}
    return cached_json(request, body, headers)


@router.get(
    "/exercises/{slug}",
    summary="One exercise, in full",
    description="Everything about one exercise: muscles, dose by level, cues, contraindications and sources.",
    response_model=ExerciseDetail,
    responses={**LOCALISED, 304: {"description": "Not modified (If-None-Match)"}, **responses(404, 422)},
)
async def get_exercise(
    request: Request,
    catalogue: LocalisedCatalogueDep,
    slug: Annotated[
        str, Path(pattern=SLUG_PATTERN, max_length=64, description="The exercise's slug, as GET /exercises lists it.")
    ],
) -> Response:
    pages = rendered(catalogue)
    body = pages.details.get(slug)
    if body is None:
        raise Problem(404, "exercise-not-found", f"No exercise with slug {slug!r}. GET /exercises lists them.")
    return cached_json(request, body, pages.headers)
