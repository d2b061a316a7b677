"""/users/{user_id}/outcomes and /outcomes: whether a tenant's users get better, per user and as a cohort.

Both are computed from one SQL aggregate per user (app/outcomes/store.py) and
the pure definitions in app/outcomes. A user's answer is kept under their
revision and the day (app/answers.py); the tenant's report under the day and
a signature of all its users' revisions, so a repeated request costs one
small read, and any change to any user's logs or check-ins is in the next one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.answers import user_answer
from app.api.auth import TenantDep
from app.api.deps import AnswersDep, EngineDep
from app.api.examples.outcomes import COHORT_REPORT, USER_OUTCOMES
from app.api.fastpath import Call, FixedHeaders, Reply, fast, respond
from app.api.logs import UserIdPath, user_not_found
from app.assessments import store as assessments
from app.catalogue.models import Goal
from app.outcomes import cohort, people, store
from app.outcomes.models import CohortReport, UserOutcomes
from app.problems import responses

router = APIRouter(tags=["outcomes"])

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
MONTH_PATTERN = r"^(19|2[01])\d\d-(0[1-9]|1[0-2])$"


class ProgrammeFilter(StrEnum):
    """`any`, `none`, or a goal (the goals' names, as GET /workouts takes them)."""

    any = "any"
    none = "none"
    balanced = Goal.balanced.value
    mobility = Goal.mobility.value
    strength = Goal.strength.value
    rehab = Goal.rehab.value
    posture = Goal.posture.value
    warmup = Goal.warmup.value


def on_programme(found: UserOutcomes, wanted: ProgrammeFilter | None) -> bool:
    if wanted is None:
        return True
    if wanted in (ProgrammeFilter.any, ProgrammeFilter.none):
        return (found.programme.programmes > 0) is (wanted == ProgrammeFilter.any)
    return wanted.value in found.programme.goals


class CohortQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start_from: str | None = Field(
        default=None, alias="from", pattern=MONTH_PATTERN,
        description="Only users who started (first check-in or session) in this month or later, `YYYY-MM`.",
    )
    start_to: str | None = Field(
        default=None, alias="to", pattern=MONTH_PATTERN,
        description="Only users who started in this month or earlier, `YYYY-MM`.",
    )

    goal: Goal | None = Field(
        default=None,
        description="Only users whose goal is this one: the goal most of their logged workouts were generated for "
        "(ties: the most recent's). Users whose logs name no workout have none and are left out.",
    )

    programme: ProgrammeFilter | None = Field(
        default=None,
        description="Only users with a stored programme (`any`), with none (`none`), or with one for this goal.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> CohortQuery:
        if self.start_from and self.start_to and self.start_from > self.start_to:
            raise ValueError("'from' must not be after 'to'")
        return self


def today() -> date:
    return datetime.now(UTC).date()


def wants_csv(accept: str | None) -> bool:
    """Whether ``Accept`` prefers ``text/csv`` to JSON (q-values honoured; JSON without a header)."""
    quality: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[media.strip().lower()] = q
    csv = quality.get("text/csv", quality.get("text/*", 0.0))
    json = max(quality.get(JSON, 0.0), quality.get("application/*", 0.0), quality.get("*/*", 0.0))
    # a tie goes to the type named outright: `text/csv, */*` asks for CSV, `text/csv, application/json` not
    return csv > 0 and (csv > json or (csv == json and JSON not in quality))


_USER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {JSON: {"example": USER_OUTCOMES}}},
    **responses(401, 404, 422),
}
_COHORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {JSON: {"example": COHORT_REPORT}, "text/csv": {"schema": {"type": "string"}}}},
    **responses(401, 422),
}


@router.get(
    "/users/{user_id}/outcomes",
    response_model=UserOutcomes,
    summary="A user's outcomes",
    responses=_USER_RESPONSES,
)
def get_user_outcomes(tenant: TenantDep, user_id: UserIdPath, engine: EngineDep, answers: AnswersDep) -> Response:
    """Pain now against the first 14 days (a minimal clinically important difference is at least 2 points AND
    at least 30 % less, Farrar et al. 2001), pain at weeks 6 and 12, adherence (sessions a week, the habit point
    of six sessions in the first 14 days, Bailey et al. 2020), safety counts, and per assessment test and side
    the first session against the latest, judged by the test's MDC as /assessments/trends judges it. Each part says
    `too_little_data` and what is missing rather than give a number made from too few scores. Days are UTC
    days; the answer is kept until the user's data changes or the day does."""
    day = today()

    def compute() -> bytes | None:
        with engine.connect() as connection:
            found = store.tallies(connection, tenant, day, user_id=user_id)
            rom = () if found else store.rom_of(connection, tenant, day, user_id)
            plans = () if found else store.programmes_of(connection, tenant, day, user_id)
            if not (found or rom or plans or assessments.known_user(connection, tenant, user_id)):
                return None
        answer = people.assess(found[0], day) if found else people.not_started(user_id, day, rom, plans)
        return answer.__pydantic_serializer__.to_json(answer)

    body = user_answer(answers, engine, tenant, user_id, ("outcomes", day.isoformat()), compute)
    if body is None:
        raise user_not_found(user_id)
    return Response(body, media_type=JSON)


def _month(day: date) -> str:
    return day.isoformat()[:7]


def cohort_report(engine: Any, tenant: str, query: CohortQuery, day: date, min_size: int) -> CohortReport:
    """The tenant's report: every user aggregated in SQL, assessed, then filtered by month of start and goal."""
    with engine.connect() as connection:
        everyone = [people.assess(t, day) for t in store.tallies(connection, tenant, day)]
    chosen = [
        p for p in everyone
        if p.start is not None
        and (query.start_from is None or _month(p.start) >= query.start_from)
        and (query.start_to is None or _month(p.start) <= query.start_to)
        and (query.goal is None or p.goal == query.goal.value)
        and on_programme(p, query.programme)
    ]
    return cohort.report(
        chosen, everyone=len(everyone), as_of=day, start_from=query.start_from, start_to=query.start_to,
        goal=None if query.goal is None else query.goal.value,
        programme=None if query.programme is None else query.programme.value, min_size=min_size,
    )


# Aggregates of personal data: no shared cache keeps them (as under /users/, app/api/delivery.py).
_REPORT_HEADERS = {"Cache-Control": "no-store", "Vary": "Accept"}
_AS_JSON = FixedHeaders(_REPORT_HEADERS)
_AS_CSV = FixedHeaders(_REPORT_HEADERS, media_type=CSV)


def cohort_answer(call: Call[CohortQuery, None]) -> Reply:
    """GET /outcomes, for the route and the fast path alike: a kept report costs the read of the tenant's
    signature and a dictionary look-up, in a worker thread; no FastAPI routing or dependencies (measured:
    those were three quarters of a kept report's CPU)."""
    state = call.state
    query = call.query
    tenant = call.tenant
    day = today()
    csv = wants_csv(call.header(b"accept"))
    min_size = state.settings.outcomes_min_cohort
    count, total = store.signature(state.engine, tenant)
    key = ("cohort-outcomes", tenant, day.isoformat(), count, total, query.start_from, query.start_to, query.goal,
           query.programme, min_size, csv)

    def compute() -> bytes:
        found = cohort_report(state.engine, tenant, query, day, min_size)
        return cohort.to_csv(found).encode() if csv else found.__pydantic_serializer__.to_json(found)

    body = state.answers.answer(key, compute)
    assert body is not None
    return Reply(200, body, _AS_CSV if csv else _AS_JSON)


# Read in threads, no more at once than progress and records do (app/api/progress.py): at 16 clients, the
# reads beyond the pool each opened and closed an overflow connection (a fork and a login on Postgres).
READERS = 5


@router.get("/outcomes", response_model=CohortReport, summary="Your users' outcomes, anonymised",
            responses=_COHORT_RESPONSES)
@fast(cohort_answer, query=CohortQuery, needs_key=True, thread=True, workers=READERS)
def get_cohort_outcomes(
    request: Request,
    tenant: TenantDep,
    query: Annotated[CohortQuery, Query()],
    accept: Annotated[str | None, Header(description="`text/csv` for the same table as CSV.")] = None,
) -> Response:
    """Your users as one cohort (or those who started in `from`-`to`, have `goal`, or a `programme`): users,
    the share at the habit point, programme completion, the share with meaningfully less pain at weeks 6 and
    12 (of those due, and of completers, with the drop-outs), the mean and median pain change, the share with
    a real range-of-motion change (any assessment test and side improved by at least its MDC), and safety
    counts. Each share has its numerator, denominator and Wilson 95 % interval. No user ids; a cohort under
    `min_size` users (10 by default), or a filter that leaves out fewer than that, gets its size and no
    figures. Observational: there is no control group."""
    return respond(request, cohort_answer, query=query, tenant=tenant)
