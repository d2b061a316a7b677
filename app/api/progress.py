"""/users/{user_id}/records and /progress: personal records and trends, computed from the logs.

Records and progress answers are kept per user until their logs or check-ins change (app/answers.py);
/progress/exercises/{slug} is computed on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.answers import Key, user_answer
from app.api.auth import TenantDep
from app.api.deps import CatalogueDep, EngineDep
from app.api.examples.progress import EXERCISE_PROGRESS, PROGRESS, RECORDS
from app.api.fastpath import Call, Reply, fast, respond
from app.api.logs import UserIdPath, user_not_found
from app.catalogue.models import IN_CATALOGUE, Goal
from app.logs import Slug
from app.problems import FieldError, invalid, responses
from app.progress import reports
from app.progress.exercises import Bucket, ExerciseProgress
from app.progress.records import Metric, RecordList
from app.progress.trends import ProgressPublic

router = APIRouter(prefix="/users/{user_id}", tags=["progress"])

Window = Literal["7d", "28d", "90d", "365d", "all"]


@cache
def _zones() -> frozenset[str]:
    # (read from the system's tz database once, on first use)
    from zoneinfo import available_timezones

    return frozenset(available_timezones()) | {"UTC"}


def zone(name: str) -> ZoneInfo:
    """The time zone named, or a 422 ``unknown-time-zone``.

    Its own problem type, not a schema enum: the names come from the machine's tz database, which
    changes with tzdata releases, so the API document cannot list them without drifting.
    """
    if name not in _zones():
        message = "must be an IANA time zone name, e.g. Europe/Berlin or UTC"
        error = FieldError(location="query", field="tz", message=message)
        detail = f"query parameter 'tz': {message}."
        raise invalid(detail, [error], "unknown-time-zone")
    return ZoneInfo(name)


ZoneName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$",
        description="IANA time zone for days and weeks, e.g. `Europe/Berlin` (default UTC).",
    ),
]


class RecordQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise: Slug | None = Field(default=None, description="Only this exercise's records.")
    metric: Metric | None = Field(default=None, description="Only this metric.")


class ProgressQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: Window = Field(default="28d", description="How far back from now: 7, 28, 90 or 365 days, or `all`.")
    tz: ZoneName = "UTC"
    goal: Goal | None = Field(
        default=None, description="The goal whose recommended frequency to compare with (default: the most-logged)."
    )


class ExerciseProgressQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: Window = Field(default="90d", description="How far back from now: 7, 28, 90 or 365 days, or `all`.")
    bucket: Bucket = Field(default=Bucket.week, description="One point per local ISO week or calendar month.")
    tz: ZoneName = "UTC"


ExerciseSlugPath = Annotated[Slug, IN_CATALOGUE, Path(description="A catalogue exercise slug.")]


def _example(answer: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": answer}}}, **responses(401, 404, 422)}


# How long a progress answer may be reused: the window ends at the request's time rounded UP to this
# step, and the answer is exact for that instant. Up, not down: a session just logged (performed_at
# about now) must show at once, which an end up to a minute in the past would leave out.
PROGRESS_STEP = timedelta(minutes=1)
AHEAD = timedelta(seconds=15)  # how long before a minute's end the next minute's answer is computed


def progress_end(now: datetime) -> datetime:
    """``now`` rounded up to the next whole ``PROGRESS_STEP`` (a whole one stays): the window's end."""
    behind = (now - datetime(2000, 1, 1, tzinfo=UTC)) % PROGRESS_STEP
    return now if not behind else now + (PROGRESS_STEP - behind)


def records_key(query: RecordQuery) -> Key:
    """What a records answer is kept under, beside the user and their revision."""
    return ("records", query.exercise, query.metric.value if query.metric is not None else None)


def progress_key(query: ProgressQuery, end: datetime) -> Key:
    return ("progress", query.window, query.tz, query.goal.value if query.goal is not None else None, end.isoformat())


def records(call: Call[RecordQuery, None]) -> Reply:
    """GET /users/{user_id}/records, kept until the user's logs change; for the route and the fast path."""
    query, engine, tenant, user_id = call.query, call.state.engine, call.tenant, call.params["user_id"]

    def compute() -> bytes | None:
        found = reports.records(engine, tenant, user_id, exercise=query.exercise, metric=query.metric)
        return None if found is None else found.__pydantic_serializer__.to_json(found)

    body = user_answer(call.state.answers, engine, tenant, user_id, records_key(query), compute)
    if body is None:
        raise user_not_found(user_id)
    return Reply(200, body, {})


def progress(call: Call[ProgressQuery, None]) -> Reply:
    """GET /users/{user_id}/progress, kept per user and minute; for the route and the fast path."""
    query, engine, tenant, user_id = call.query, call.state.engine, call.tenant, call.params["user_id"]
    tz = zone(query.tz)
    now = datetime.now(UTC)
    end = progress_end(now)

    def computed(end: datetime) -> Callable[[], bytes | None]:
        def compute() -> bytes | None:
            found = reports.progress(engine, tenant, user_id, window=query.window, tz=tz, goal=query.goal, now=end)
            return None if found is None else found.__pydantic_serializer__.to_json(found)

        return compute

    # Near the minute's end, the next minute's answer is computed ahead (in a thread of its own), so the
    # requests that find the minute turned do not all wait for it (60-150 ms for 2,000 logs).
    following = end + PROGRESS_STEP
    then = (progress_key(query, following), computed(following)) if end - now <= AHEAD else None
    body = user_answer(call.state.answers, engine, tenant, user_id, progress_key(query, end), computed(end), then)
    if body is None:
        raise user_not_found(user_id)
    return Reply(200, body, {})


# Answers read the database: in threads, no more at once than half the default pool (beyond the pool, each
# read opened and closed an overflow connection, a fork and a login on Postgres; the rest is for the routes).
READERS = 5


@router.get("/records", response_model=RecordList, summary="A user's personal records", responses=_example(RECORDS))
@fast(records, query=RecordQuery, needs_key=True, thread=True, workers=READERS)
def list_records(
    request: Request, tenant: TenantDep, user_id: UserIdPath, query: Annotated[RecordQuery, Query()]
) -> Response:
    """The best value of each metric for each exercise, from completed sets, with the session that set it.
    Ties go to the earliest session. `pain_qualified` is false when that session's pain_after was above 3 or not
    logged, so an app can show the record without celebrating it. Always current: the answer is kept until the
    user's logs change."""
    return respond(request, records, query=query, tenant=tenant, user_id=user_id)


@router.get("/progress", response_model=ProgressPublic, summary="A user's progress", responses=_example(PROGRESS))
@fast(progress, query=ProgressQuery, needs_key=True, thread=True, workers=READERS)
def get_progress(
    request: Request, tenant: TenantDep, user_id: UserIdPath, query: Annotated[ProgressQuery, Query()]
) -> Response:
    """Sessions, minutes and sets over the window; frequency against the goal; the weekly streak;
    pain against the previous window of the same length; the session-RPE trend; and training load with its
    acute:chronic ratio (last 7 days against the weekly average of the last 28). Weeks are ISO weeks in `tz`.
    The window ends at `end`: now, rounded up to the next whole minute, so an answer may be reused for up to
    a minute; any change to the user's logs or check-ins shows in the next answer."""
    return respond(request, progress, query=query, tenant=tenant, user_id=user_id)


@router.get(
    "/progress/exercises/{slug}",
    response_model=ExerciseProgress,
    summary="A user's progress on one exercise",
    responses=_example(EXERCISE_PROGRESS),
)
def get_exercise_progress(
    tenant: TenantDep,
    user_id: UserIdPath,
    slug: ExerciseSlugPath,
    query: Annotated[ExerciseProgressQuery, Query()],
    engine: EngineDep,
    catalogue: CatalogueDep,
) -> ExerciseProgress:
    """One point per week or month that holds the exercise (sets, reps, hold seconds, volume, best set), and the
    exercise's all-time records."""
    if catalogue.get(slug) is None:
        error = FieldError(location="path", field="slug", message=f"unknown exercise {slug!r}")
        detail = f"path parameter 'slug': unknown exercise {slug!r} (see /exercises)."
        raise invalid(detail, [error])
    found = reports.exercise_progress(
        engine,
        tenant,
        user_id,
        slug,
        window=query.window,
        bucket=query.bucket,
        tz=zone(query.tz),
        now=datetime.now(UTC),
    )
    if found is None:
        raise user_not_found(user_id)
    return found
