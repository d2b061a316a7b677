"""GET /assessment-tests, and /users/{user_id}/assessments: range-of-motion tests, logged and trended."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.convertors import Convertor, register_url_convertor

from app import idempotency, problems
from app.answers import Key, user_answer
from app.api import pages
from app.api.auth import TenantDep
from app.api.deps import EngineDep, SettingsDep
from app.api.fastpath import Call, Reply, fast, respond
from app.api.idempotency_key import IdempotencyKey, created, created_answer, key_problem
from app.api.logs import UserIdPath, user_not_found
from app.api.progress import READERS
from app.api.representations import CACHE_CONTROL, cached_json
from app.assessments import catalogue, examples, store
from app.assessments.catalogue import AssessmentCatalogue, AssessmentTest, Method
from app.assessments.schemas import (
    EXAMPLE,
    TEST_CODE_PATTERN,
    AssessmentCreate,
    AssessmentPage,
    AssessmentPublic,
    AssessmentUpdate,
    Invalid,
    check,
    check_trials,
    check_units,
)
from app.assessments.trends import TrendsPublic, trends
from app.logs import CURSOR_PATTERN, Instant
from app.problems import FieldError, Problem, describe, responses


class _AssessmentId(Convertor[str]):
    """A UUID, kept as text: so `/assessments/trends` is never read as an assessment id (and the 405's
    `Allow` for it names only what the document says is there)."""

    regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("assessment_id", _AssessmentId())

catalogue_router = APIRouter(tags=["assessments"])
router = APIRouter(prefix="/users/{user_id}/assessments", tags=["assessments"])

AssessmentIdPath = Annotated[str, Path(description="The assessment's id (a UUID).")]
TestCode = Annotated[str, Field(pattern=TEST_CODE_PATTERN, max_length=64)]
JSON = "application/json"
MAX_ERRORS = 20


def assessment_not_found(user_id: str, assessment_id: str) -> Problem:
    """The one 404 for an assessment that is missing, another user's or another tenant's."""
    return Problem(404, "not-found", f"No assessment {assessment_id!r} for user {user_id!r}.")


def invalid(errors: list[tuple[str, str]], location: str = "body") -> Problem:
    """A 422 naming every field that does not fit the test (``problems.invalid``)."""
    # at most MAX_ERRORS: a body of many unknown measures must not make an answer many times its size
    fields = [FieldError(location=location, field=field, message=message) for field, message in errors[:MAX_ERRORS]]
    return problems.invalid(describe(fields), fields)


async def get_tests() -> AssessmentCatalogue:
    return catalogue.load()


TestsDep = Annotated[AssessmentCatalogue, Depends(get_tests)]


@catalogue_router.get(
    "/assessment-tests",
    response_model=AssessmentCatalogue,
    summary="The range-of-motion tests we log",
    responses={
        200: {"content": {JSON: {"example": examples.CATALOGUE}}},
        304: {"description": "Not modified (If-None-Match)"},
    },
)
async def list_assessment_tests(request: Request) -> Response:
    """Every test: its measures (unit, plausible range, sign convention), sides, methods, who can do it, how
    (in our own words), what a tight result means, and its reliability and MDC95 per method and rater design
    with the source, each marked `verified` (read in the source) or not (our convention). Public and cacheable."""
    body, etag = catalogue.rendered()
    return cached_json(request, body, {"ETag": etag, "Cache-Control": CACHE_CONTROL})


async def valid_create(
    body: Annotated[AssessmentCreate, Body(openapi_examples={"thomas": {"summary": "Thomas test", "value": EXAMPLE}})],
    tests: TestsDep,
) -> AssessmentCreate:
    try:
        check(tests, body)
    except Invalid as exc:
        raise invalid(exc.errors) from None
    return body


_THIS = {"user_id": "$request.path.user_id", "assessment_id": "$response.body#/id"}
_USER = {"user_id": "$request.path.user_id"}
_LINKS = {
    "GetAssessment": {"operationId": "get_assessment", "parameters": _THIS},
    "UpdateAssessment": {"operationId": "update_assessment", "parameters": _THIS},
    "DeleteAssessment": {"operationId": "delete_assessment", "parameters": _THIS},
    "GetAssessmentTrends": {
        "operationId": "get_assessment_trends", "parameters": {**_USER, "test": "$response.body#/test"}
    },
}


@router.post(
    "",
    status_code=201,
    response_model=AssessmentPublic,
    summary="Record an assessment",
    responses={201: created("The new assessment.", _LINKS), **responses(400, 401, 409, 413, 415, 422)},
)
def create_assessment(
    tenant: TenantDep,
    user_id: UserIdPath,
    body: Annotated[AssessmentCreate, Depends(valid_create)],
    engine: EngineDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """One session of one test, up to 3 trials a side. A value outside the test's plausible range, a missing
    side, a measure or unit the test does not have, or a method it is not measured by is a 422 naming the field.
    `Idempotency-Key` works as for logs."""
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    try:
        outcome = store.create(engine, tenant, user_id, body, idempotency_key, ttl)
    except (idempotency.KeyReused, idempotency.KeyInFlight) as exc:
        raise key_problem(exc) from None
    return created_answer(outcome)


class AssessmentQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    test: TestCode | None = Field(default=None, description="Only this test's sessions.")
    performed_from: Instant | None = Field(default=None, alias="from", description="Performed at or after this time.")
    performed_to: Instant | None = Field(default=None, alias="to", description="Performed before this time.")
    limit: int = Field(default=20, ge=1, le=100, description="Assessments per page.")
    cursor: str | None = Field(
        default=None,
        description="Where to continue: from a `next` link.",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    )


@router.get("", response_model=AssessmentPage, summary="List a user's assessments", responses=responses(401, 404, 422))
def list_assessments(
    tenant: TenantDep,
    user_id: UserIdPath,
    query: Annotated[AssessmentQuery, Query()],
    engine: EngineDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> AssessmentPage:
    """Newest first. Follow `next` (or the `Link` header). A user with no logs, check-ins or assessments is a 404."""
    found = store.page(
        engine, tenant, user_id, limit=query.limit, after=pages.after(query.cursor), test=query.test,
        performed_from=query.performed_from, performed_to=query.performed_to,
    )
    if found is None:
        raise user_not_found(user_id)
    items, cursor = found
    following = pages.next_link(request, response, settings.public_url, cursor.encode() if cursor else None)
    return AssessmentPage(items=items, next=following)


class TrendQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test: TestCode = Field(description="A code of GET /assessment-tests.")
    measure: str | None = Field(
        default=None, max_length=32, description="One of the test's numeric measures (default: its primary one)."
    )
    method: Method | None = Field(default=None, description="The method shown at the top level (default: the latest).")


def trend_test(tests: AssessmentCatalogue, query: TrendQuery) -> tuple[AssessmentTest, str]:
    test = tests.get(query.test)
    if test is None:
        raise invalid([("test", f"unknown test {query.test!r} (GET /assessment-tests lists them)")], "query")
    measure = query.measure or test.primary_measure
    numeric = [m.name for m in test.measures if m.kind == "number"]
    if measure not in numeric:
        raise invalid([("measure", f"{test.code}'s numeric measures are {', '.join(numeric)}")], "query")
    if query.method is not None and query.method not in test.methods:
        methods = ", ".join(m.value for m in test.methods)
        raise invalid([("method", f"{test.code} is measured by {methods}")], "query")
    return test, measure


def trends_key(test: AssessmentTest, measure: str, query: TrendQuery) -> Key:
    """What a trends answer is kept under, beside the user and their revision (the query normalised)."""
    return ("assessment-trends", test.code, measure, query.method.value if query.method else None)


def trends_answer(call: Call[TrendQuery, None]) -> Reply:
    """GET /users/{user_id}/assessments/trends, kept until the user's data changes; for the route and the fast
    path. A kept answer costs the revision's read and a dictionary look-up, in a worker thread: no FastAPI
    routing or dependencies (with 500 sessions, those made a kept answer 0.10x bare Starlette)."""
    query, engine, tenant, user_id = call.query, call.state.engine, call.tenant, call.params["user_id"]
    test, measure = trend_test(catalogue.load(), query)

    def compute() -> bytes | None:
        readings, known = store.readings(engine, tenant, user_id, test.code)
        if not known:
            return None
        found = trends(test, measure, readings, query.method)
        return found.__pydantic_serializer__.to_json(found)

    body = user_answer(call.state.answers, engine, tenant, user_id, trends_key(test, measure, query), compute)
    if body is None:
        raise user_not_found(user_id)
    return Reply(200, body, {})


@router.get(
    "/trends",
    response_model=TrendsPublic,
    summary="A test's trend, side by side",
    responses={200: {"content": {JSON: {"example": examples.TRENDS}}}, **responses(401, 404, 422)},
)
@fast(trends_answer, query=TrendQuery, needs_key=True, thread=True, workers=READERS)
def get_assessment_trends(
    request: Request, tenant: TenantDep, user_id: UserIdPath, query: Annotated[TrendQuery, Query()]
) -> Response:
    """Per side and per method (never across methods): each session's mean, the change from baseline and from
    the previous session, and a verdict (`improved`, `worse`, `within_error`) by the test's MDC95 for that
    method and rater design; and the current asymmetry: `confirmed` when |left - right| reached the MDC in the
    last two two-sided sessions, same side tighter, at most 14 days apart. Kept until the user's data changes."""
    return respond(request, trends_answer, query=query, tenant=tenant, user_id=user_id)


@router.get(
    "/{assessment_id:assessment_id}",
    response_model=AssessmentPublic,
    summary="Get one assessment",
    responses=responses(401, 404, 422),
)
def get_assessment(
    tenant: TenantDep, user_id: UserIdPath, assessment_id: AssessmentIdPath, engine: EngineDep
) -> AssessmentPublic:
    """One assessment, as stored. Another user's or tenant's is a 404, like a missing one."""
    found = store.get(engine, tenant, user_id, assessment_id)
    if found is None:
        raise assessment_not_found(user_id, assessment_id)
    return found


_UPDATE_EXAMPLES = {"pain": {"summary": "Correct the pain and the notes", "value": {"pain": 2, "notes": "Re-read."}}}


@router.patch(
    "/{assessment_id:assessment_id}",
    response_model=AssessmentPublic,
    summary="Change an assessment",
    responses=responses(400, 401, 404, 413, 415, 422),
)
def update_assessment(
    tenant: TenantDep,
    user_id: UserIdPath,
    assessment_id: AssessmentIdPath,
    body: Annotated[AssessmentUpdate, Body(openapi_examples=_UPDATE_EXAMPLES)],
    engine: EngineDep,
    tests: TestsDep,
) -> AssessmentPublic:
    """Replace the fields given (`trials` as a whole), checked against the test as on creation."""
    found = store.get(engine, tenant, user_id, assessment_id)
    if found is None:
        raise assessment_not_found(user_id, assessment_id)
    test = tests.get(found.test)
    assert test is not None  # stored only after the check
    errors = []
    if body.method is not None and body.method not in test.methods:
        errors.append(("method", f"{test.code} is measured by {', '.join(m.value for m in test.methods)}"))
    if body.trials is not None:
        errors += check_trials(test, body.trials)
    errors += check_units(test, body.units)
    if errors:
        raise invalid(errors)
    changed = store.update_assessment(engine, tenant, user_id, assessment_id, body)
    if changed is None:
        raise assessment_not_found(user_id, assessment_id)
    return changed


@router.delete(
    "/{assessment_id:assessment_id}",
    status_code=204,
    summary="Delete an assessment",
    responses=responses(401, 404, 422),
)
def delete_assessment(
    tenant: TenantDep, user_id: UserIdPath, assessment_id: AssessmentIdPath, engine: EngineDep
) -> Response:
    """Delete one assessment for good (204)."""
    if not store.delete_assessment(engine, tenant, user_id, assessment_id):
        raise assessment_not_found(user_id, assessment_id)
    return Response(status_code=204)
