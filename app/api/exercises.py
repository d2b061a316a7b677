"""GET /exercises and GET /exercises/{slug}: the catalogue, filtered and paged."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.deps import LocalisedCatalogueDep
from app.api.fastpath import Call, FixedHeaders, Reply, fast, respond
from app.api.params import CommaList
from app.api.representations import (
    ExerciseDetail,
    ExerciseSummary,
    base_url,
    link_next,
    not_modified,
    rendered,
)
from app.catalogue import Catalogue
from app.catalogue.models import CATALOGUE_SLUG, SLUG_PATTERN, Kind, PainFlag, Position
from app.catalogue.search import MAX_LIST, EquipmentChoice, ExerciseFilter, MuscleFilter, search
from app.languages import LOCALISED
from app.problems import Problem, responses
from app.state import AppState

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


def _cached(call: Call[Any, Any], body: bytes, headers: Mapping[str, str]) -> Reply:
    """The body, or a 304 when the client's ``If-None-Match`` already names ``headers["ETag"]``."""
    if not_modified(call.header(b"if-none-match"), headers["ETag"]):
        return Reply(304, b"", headers)
    return Reply(200, body, headers)


def exercise_page(call: Call[ExerciseQuery, None]) -> Reply:
    """GET /exercises: one page, from the page cache when these filters were asked for before."""
    catalogue = call.catalogue
    raw_query: bytes = call.scope["query_string"]
    base = base_url(call.scope, call.state.settings.public_url)
    cache = _page_cache(call.state, catalogue)
    page = cache.get(base, raw_query)
    if page is None:
        body, following = render_page(catalogue, call.query, call.query_items(), base)
        headers = rendered(catalogue).headers
        if following is not None:
            headers = FixedHeaders({**headers, "Link": link_next(following)})
        page = body, headers
        cache.put(base, raw_query, page)
    return _cached(call, *page)


def exercise(call: Call[None, None]) -> Reply:
    """GET /exercises/{slug}: its pre-serialised detail."""
    pages = rendered(call.catalogue)
    slug = call.params["slug"]
    body = pages.details.get(slug)
    if body is None:
        raise Problem(404, "exercise-not-found", f"No exercise with slug {slug!r}. GET /exercises lists them.")
    return _cached(call, body, pages.headers)


Page = tuple[bytes, Mapping[str, str]]  # the body and its headers (the Link to the next page among them)


def _page_cache(running: AppState, catalogue: Catalogue) -> PageCache:
    # One cache per catalogue (each language is its own catalogue, with its own ETag).
    caches: dict[str, PageCache] = running.exercise_pages
    cache = caches.get(catalogue.etag)
    if cache is None or cache.catalogue is not catalogue:
        cache = caches[catalogue.etag] = PageCache(catalogue)
    return cache


class PageCache:
    """Rendered ``/exercises`` pages by where links start and raw query string, bounded in bytes.

    The catalogue never changes in a process, so a page is a pure function of
    the base URL and the query: apps repeat the same few filter combinations.
    Only short query strings are kept (a page echoes its query in ``next``), and
    the least recently used pages go first once ``max_bytes`` is reached.
    """

    MAX_KEY = 512
    MAX_BYTES = 8 * 1024 * 1024

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.pages: OrderedDict[tuple[str, bytes], Page] = OrderedDict()
        self.size = 0

    def get(self, base: str, raw_query: bytes) -> Page | None:
        page = self.pages.get((base, raw_query))
        if page is not None:
            self.pages.move_to_end((base, raw_query))
        return page

    def put(self, base: str, raw_query: bytes, page: Page) -> None:
        key = (base, raw_query)
        if len(raw_query) + len(base) > self.MAX_KEY or key in self.pages:
            return
        self.pages[key] = page
        self.size += len(base) + len(raw_query) + len(page[0])
        while self.size > self.MAX_BYTES:
            (old_base, old_query), (evicted, _) = self.pages.popitem(last=False)
            self.size -= len(old_base) + len(old_query) + len(evicted)


@router.get(
    "/exercises",
    summary="List and filter exercises",
    description="The catalogue, filtered (filters combine with AND, the values of one filter with OR) and "
    "paged with `limit` and `offset`; follow `next` for the following page. Answers carry a strong ETag.",
    response_model=ExercisePage,
    responses={**LOCALISED, 304: {"description": "Not modified (If-None-Match)"}, **responses(422)},
)
@fast(exercise_page, query=ExerciseQuery)
async def list_exercises(
    request: Request, catalogue: LocalisedCatalogueDep, query: Annotated[ExerciseQuery, Query()]
) -> Response:
    return respond(request, exercise_page, query=query)


@router.get(
    "/exercises/{slug}",
    summary="One exercise, in full",
    description="Everything about one exercise: muscles, dose by level, cues, contraindications and sources.",
    response_model=ExerciseDetail,
    responses={**LOCALISED, 304: {"description": "Not modified (If-None-Match)"}, **responses(404, 422)},
)
@fast(exercise)
async def get_exercise(
    request: Request,
    catalogue: LocalisedCatalogueDep,
    slug: Annotated[
        str, Path(pattern=SLUG_PATTERN, max_length=64, description="The exercise's slug, as GET /exercises lists it.")
    ],
) -> Response:
    return respond(request, exercise, slug=slug)
