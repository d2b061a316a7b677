"""GET /programmes: a whole plan, computed from its parameters and stored nowhere (the stateless door); the
parameters' query form, and what the stored programmes' routes (app.api.programmes) share with it."""

from __future__ import annotations

import datetime as dt
import hashlib
import pathlib
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

import app
from app import __version__
from app.api.deps import LocalisedCatalogueDep
from app.api.fastpath import Call, Reply, fast, respond_async
from app.api.params import CommaList, QueryMemo
from app.api.representations import CACHE_CONTROL, not_modified
from app.api.workouts import workout_problem
from app.catalogue import Catalogue
from app.catalogue.models import PainFlag
from app.catalogue.search import MAX_LIST, EquipmentChoice
from app.languages import LOCALISED, language_headers
from app.problems import responses
from app.programmes import examples, plan
from app.programmes.calendar import local_today
from app.programmes.models import Programme, ProgrammeParameters, ProgrammeQuery, Weekday
from app.workouts import UnknownExercises, WorkoutImpossible, draw_seed

router = APIRouter(tags=["programmes"])

JSON = "application/json"
_fields = ProgrammeQuery.model_fields


class ProgrammeParams(ProgrammeQuery):
    """The query string: list parameters also take comma-separated values (`?weekdays=mon,wed,fri`)."""

    equipment: Annotated[CommaList[EquipmentChoice], Field(max_length=MAX_LIST)] = Field(
        default=[], description=_fields["equipment"].description
    )
    pain: Annotated[CommaList[PainFlag], Field(max_length=MAX_LIST)] = Field(
        default=[], description=_fields["pain"].description
    )
    weekdays: Annotated[CommaList[Weekday], Field(max_length=7)] | None = Field(
        default=None, description=_fields["weekdays"].description
    )


def canonical(query: ProgrammeQuery) -> ProgrammeParameters:
    """Every default filled in: the start is today in the query's zone, the seed drawn as /workouts draws it."""
    return query.canonical(local_today(query.tz), draw_seed())


def build(catalogue: Catalogue, parameters: ProgrammeParameters, location: str) -> Programme:
    try:
        return plan.build(catalogue, parameters)
    except (UnknownExercises, WorkoutImpossible) as exc:
        raise workout_problem(exc, location) from exc


def catalogue_headers(catalogue: Catalogue) -> dict[str, str]:
    return {"X-Catalogue-Version": catalogue.version, **language_headers(catalogue.language)}


def _code_digest() -> bytes:
    """A digest of the service's own source (app/**/*.py), once per process: a plan's bytes follow from its
    parameters, the catalogue and the code that builds them, so an ETag made without the bytes names all three."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    root = pathlib.Path(app.__file__).parent
    for source in sorted(root.rglob("*.py")):
        digest.update(str(source.relative_to(root)).encode() + b"\0" + source.read_bytes())
    return digest.digest()


CODE = _code_digest()


def plan_etag(catalogue: Catalogue, parameters_json: str) -> str:
    """The strong ETag of a seeded plan, from what its bytes are a pure function of (``plan.build``: the
    canonical parameters, the catalogue in its language, the code), so an `If-None-Match` is answered
    without building the plan (tests/test_programmes_api.py checks equal tags have equal bytes)."""
    digest = hashlib.blake2b(CODE + catalogue.etag.encode() + b"\0" + parameters_json.encode(), digest_size=12)
    return '"p-' + digest.hexdigest() + '"'


def _built(catalogue: Catalogue, parameters: ProgrammeParameters) -> bytes:
    found = build(catalogue, parameters, "query")
    return found.__pydantic_serializer__.to_json(found)


_SEEDED: dict[tuple[bytes, str, dt.date | None], tuple[ProgrammeParameters, str, str]] = {}
_SEEDED_MAX = 4096  # (each entry about a kB, its query at most QueryMemo.MAX_KEY; the oldest out first)


async def plan_reply(call: Call[ProgrammeParams, None]) -> Reply:
    """GET /programmes, for the route and the fast path alike. A seeded plan is kept (app.answers) and its
    ETag comes from its parameters: a revalidation costs no plan, a repeat one dictionary read; the gzip of the
    kept bytes is kept too (app.api.delivery). A plan to build is built in a worker thread (tens of ms)."""
    catalogue, query = call.catalogue, call.query
    headers = catalogue_headers(catalogue)
    if query.seed is None:
        parameters = canonical(query)
        headers["Cache-Control"] = "no-cache"
        return Reply(200, await to_thread.run_sync(_built, catalogue, parameters), headers)
    # A seeded query's canonical form and tag, by its raw text (and today, when it names no start)
    seen = (call.scope["query_string"], catalogue.etag, None if query.start is not None else local_today(query.tz))
    known = _SEEDED.get(seen)
    if known is None:
        parameters = canonical(query)
        canonical_json = parameters.model_dump_json()
        known = (parameters, canonical_json, plan_etag(catalogue, canonical_json))
        if len(seen[0]) <= QueryMemo.MAX_KEY:
            _SEEDED[seen] = known
            if len(_SEEDED) > _SEEDED_MAX:
                del _SEEDED[next(iter(_SEEDED))]
    parameters, canonical_json, headers["ETag"] = known
    headers["Cache-Control"] = CACHE_CONTROL
    asked = call.header(b"if-none-match")
    if asked is not None and asked.strip() != "*" and not_modified(asked, headers["ETag"]):
        return Reply(304, b"", headers)  # (only a 200 gave this tag, and the same parameters give it again)
    answers = call.state.answers
    key = ("programmes", catalogue.etag, canonical_json)
    body = answers.hit(key)
    if body is None:
        body = await to_thread.run_sync(answers.answer, key, lambda: _built(catalogue, parameters))
        assert body is not None  # (compute never gives None)
    if not_modified(asked, headers["ETag"]):
        return Reply(304, b"", headers)
    return Reply(200, body, headers)


@router.get(
    "/programmes",
    summary="A multi-week programme, computed (stateless)",
    description=(
        "Weeks of days, each a session (as GET /workouts builds it for that week) or a rest day, with the deload "
        "weeks and, for `goal=rehab`, the phases. Nothing is stored and no API key is needed. The same parameters, "
        "`start`, `seed` and catalogue always give the same bytes: with a `seed`, the answer has an ETag and is "
        "kept. Without `start`, the plan starts today in `tz`."
    ),
    response_model=Programme,
    responses={
        **LOCALISED,
        200: {**LOCALISED[200], "content": {JSON: {"example": examples.PLAN}}},
        304: {"description": "Not modified (If-None-Match; seeded programmes only)"},
        **responses(422),
    },
)
@fast(plan_reply, query=ProgrammeParams)
async def get_programme_plan(
    request: Request, catalogue: LocalisedCatalogueDep, query: Annotated[ProgrammeParams, Query()]
) -> Response:
    return await respond_async(request, plan_reply, query=query)
