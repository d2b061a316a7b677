"""GET /workouts and GET /goals: thin routes over the pure generator in app.workouts."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app import problems
from app.api.deps import LocalisedCatalogueDep
from app.api.fastpath import Call, Reply, fast, respond
from app.api.params import CommaList
from app.api.representations import CACHE_CONTROL, body_etag, cached_json, not_modified
from app.api.spliced import Spliced
from app.catalogue import Catalogue
from app.catalogue.models import IN_CATALOGUE, PainFlag, Slug, Source
from app.catalogue.search import MAX_LIST, EquipmentChoice
from app.languages import LOCALISED, language_headers
from app.observability import Metrics
from app.problems import FieldError, Problem, invalid
from app.workouts import UnknownExercises, Workout, WorkoutImpossible, WorkoutQuery, draw_seed
from app.workouts.generator import generate_parts
from app.workouts.goals import describe
from app.workouts.models import GoalInfo, RedFlag
from app.workouts.wording import goals

# A referral answers 200 in the workout's shape: a client that shows `referral` when it is set needs no other path.
REFERRAL_EXAMPLE = {
    "summary": "A red flag reported: a referral, no items",
    "description": "GET /workouts?goal=rehab&red_flags=fever (most fields left out here)",
    "value": {
        "goal": "rehab",
        "title": "No rehab session today: see a clinician",
        "items": [],
        "estimated_seconds": 0,
        "pain_grade": "as-prescribed",
        "referral": {
            "urgency": "same_day",
            "advice": "See a doctor today (your GP's same-day service, urgent care or out-of-hours). No workout today: "
            "what you report needs a clinician's assessment before training. Tell them what you answered here.",
            "causes": [
                {
                    "id": "fever",
                    "text": "Do you have a fever, chills or feel generally unwell along with the pain?",
                    "why": "Fever with hip or back pain can mean an infection of the joint, spine or psoas, which "
                    "needs treatment today.",
                    "urgency": "same_day",
                    "source": "Finucane LM et al. ... JOSPT 2020;50(7):350-372",
                }
            ],
        },
    },
}

router = APIRouter(tags=["workouts"])

_fields = WorkoutQuery.model_fields


class WorkoutParams(WorkoutQuery):
    """The query string: list parameters also take comma-separated values (`?pain=knee,wrist`)."""

    equipment: Annotated[CommaList[EquipmentChoice], Field(max_length=MAX_LIST)] = Field(
        default=[], description=_fields["equipment"].description
    )
    pain: Annotated[CommaList[PainFlag], Field(max_length=MAX_LIST)] = Field(
        default=[], description=_fields["pain"].description
    )
    exclude: Annotated[CommaList[Annotated[Slug, IN_CATALOGUE]], Field(max_length=MAX_LIST)] = Field(
        default=[], description=_fields["exclude"].description
    )
    red_flags: Annotated[CommaList[RedFlag], Field(max_length=len(RedFlag))] = Field(
        default=[], description=_fields["red_flags"].description
    )


class GoalList(BaseModel):
    goals: list[GoalInfo]
    sources: list[Source] = Field(description="The articles the goals cite.")


def workout(call: Call[WorkoutParams, None]) -> Reply:
    """GET /workouts, for the route and the fast path alike."""
    return Reply(*answer_workout(call.catalogue, call.query, call.state.metrics, call.header(b"if-none-match")))


@router.get(
    "/workouts",
    summary="Generate a safe, explained workout",
    description=(
        "A complete session for a goal, fitted to the minutes asked for and to the user's level, equipment and "
        "pain. Exercises a constraint ruled out are listed in `omitted` with the reason. The same parameters, "
        "seed and catalogue version always give the same JSON; `self` links to exactly this workout.\n\n"
        "`pain_level` is graded by GET /pain-grades (`pain_grade` names the row). Any `red_flags` (ids from GET "
        "/screening), or a pain level of 8 or more, give a referral instead: still 200, `items` empty, "
        "`referral` set with its urgency and causes."
    ),
    response_model=Workout,
    responses={
        **LOCALISED,
        200: {**LOCALISED[200], "content": {"application/json": {"examples": {"referral": REFERRAL_EXAMPLE}}}},
        304: {"description": "Not modified (If-None-Match; seeded workouts only)"},
        **problems.responses(422),
    },
)
@fast(workout, query=WorkoutParams)
async def generate_workout(
    request: Request, catalogue: LocalisedCatalogueDep, query: Annotated[WorkoutParams, Query()]
) -> Response:
    return respond(request, workout, query=query)


def answer_workout(
    catalogue: Catalogue, query: WorkoutQuery, metrics: Metrics, if_none_match: str | None
) -> tuple[int, bytes, dict[str, str]]:
    """Status, body and headers of a workout, for the route and the fast path alike.

    A seeded workout is a pure function of the catalogue (its language included) and the query, so it
    gets a strong ETag (a digest of its bytes, which also covers the code that made it) and may be
    cached. An unseeded one is a fresh draw each time: no ETag, and its ``self`` link names the drawn
    seed to get it again.
    """
    body = render_workout(catalogue, query, metrics)
    headers = {"X-Catalogue-Version": catalogue.version, **language_headers(catalogue.language)}
    if query.seed is None:
        headers["Cache-Control"] = "no-cache"
        return 200, body, headers
    headers["ETag"] = body.etag()  # (body_etag(body), from the head's digest)
    headers["Cache-Control"] = CACHE_CONTROL
    if not_modified(if_none_match, headers["ETag"]):
        return 304, b"", headers
    return 200, body, headers


def render_workout(catalogue: Catalogue, query: WorkoutQuery, metrics: Metrics) -> Spliced:
    """The workout as JSON bytes; picks a seed when the query has none. Errors are raised as ``Problem``."""
    seed = query.seed if query.seed is not None else draw_seed()
    try:
        body = Spliced(*generate_parts(catalogue, query, seed))
    except (UnknownExercises, WorkoutImpossible) as exc:
        raise workout_problem(exc, "query") from exc
    metrics.child(metrics.workouts, query.goal.value).inc()
    return body


def workout_problem(exc: UnknownExercises | WorkoutImpossible, location: str) -> Problem:
    """The 422 for a query naming an unknown exercise, or leaving nothing to do; ``location``: query or body."""
    if isinstance(exc, UnknownExercises):
        errors = [
            FieldError(location=location, field="exclude", message=f"unknown exercise {slug!r}") for slug in exc.slugs
        ]
        where = "query parameter" if location == "query" else "field"
        return invalid(f"{where} 'exclude': {exc}. GET /exercises lists the slugs.", errors)
    errors = [FieldError(location=location, field=name, message=text) for name, text in exc.fields.items()]
    return Problem(422, "workout-impossible", exc.detail, title="No workout fits these constraints", errors=errors)


@lru_cache(maxsize=8)
def goals_body(catalogue: Catalogue) -> tuple[bytes, dict[str, str]]:
    plans = goals(catalogue)
    cited = sorted({source for plan in plans for source in plan.sources})
    body = GoalList(
        goals=[describe(plan) for plan in plans],
        sources=[catalogue.sources[s] for s in cited if s in catalogue.sources],
    ).model_dump_json().encode()
    headers = {"ETag": body_etag(body), "Cache-Control": CACHE_CONTROL, "X-Catalogue-Version": catalogue.version}
    return body, {**headers, **language_headers(catalogue.language)}


@router.get(
    "/goals",
    summary="The workout goals, their phases and sources",
    description="What each `goal` of GET /workouts builds: its phases, default length, how often to train, "
    "and the articles it follows.",
    response_model=GoalList,
    responses={**LOCALISED, 304: {"description": "Not modified (If-None-Match)"}, **problems.responses(422)},
)
async def list_goals(request: Request, catalogue: LocalisedCatalogueDep) -> Response:
    return cached_json(request, *goals_body(catalogue))
