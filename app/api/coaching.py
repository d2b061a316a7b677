"""Two doors to one coach: POST /workouts/adapt (a posted history) and GET /users/{user_id}/workouts/next
(the stored logs). Both build the same inputs and call ``app.coaching.next_workout``, so the same history,
``today`` and seed give the same bytes through either."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field, StrictInt, field_validator
from sqlalchemy.engine import Connection, Engine
from starlette.responses import Response

from app import checkins, logs, problems, revisions
from app.answers import at_revision, user_key
from app.api import posted_history
from app.api.auth import TenantDep
from app.api.deps import LocalisedCatalogueDep
from app.api.examples.coaching import ADAPT_REQUEST, ADAPTED_WORKOUT
from app.api.fastpath import Call, Reply, fast, respond
from app.api.logs import UserIdPath
from app.api.params import TZ_DESCRIPTION, Zone
from app.api.posted_history import PostedLog
from app.api.workouts import WorkoutParams, workout_problem
from app.assessments import steer
from app.assessments import store as assessment_store
from app.assessments.catalogue import load as assessment_tests
from app.catalogue import Catalogue
from app.catalogue.models import IN_CATALOGUE, Slug
from app.catalogue.search import MAX_LIST
from app.checkins import CalendarDate, CheckinCreate
from app.coaching import AdaptedWorkout, CheckIn, Session, session_of, session_of_model
from app.coaching.history import MAX_CHECKINS, MAX_SESSIONS, recent, window
from app.coaching.inputs import Inputs
from app.coaching.plan import at_pain, next_workout, read_day
from app.db import snapshot
from app.languages import LOCALISED, language_headers
from app.logs import LogCreate
from app.logs.schemas import WHOLE
from app.observability import Metrics
from app.problems import FieldError, invalid
from app.programmes.calendar import local_today
from app.state import AppState
from app.workouts import UnknownExercises, WorkoutImpossible, WorkoutQuery, draw_seed
from app.workouts.generator import variant
from app.workouts.models import MAX_MINUTES, MIN_MINUTES, SEED_MAX
from app.workouts.output import seed_fields

router = APIRouter(tags=["coaching"])

Answer = tuple[bytes, dict[str, str]]  # a 200's JSON body and its headers


TODAY_DESCRIPTION = "The day to plan for; default: today's date in `tz` (UTC by default). Echoed as `adapted_for`."
_FIELDS = WorkoutQuery.model_fields
PAIN_LEVEL_DESCRIPTION = (
    f"{_FIELDS['pain_level'].description} Not sent: taken from the person's own data (the newest check-in of "
    "today or yesterday, else the pain after a session of the last 2 days; `pain_today` says which). Sent: it "
    "counts, but never below today's check-in."
)


@posted_history.lean
class AdaptRequest(WorkoutQuery):
    """The parameters of GET /workouts, and the history to adapt them to (it is not stored)."""

    history: list[LogCreate] = Field(
        default=[],
        max_length=MAX_SESSIONS,
        description=f"Recent sessions in the log schema (POST /users/{{user_id}}/logs), at most {MAX_SESSIONS}. "
        "Only those of the 42 days up to `today` are read.",
    )
    checkins: list[CheckinCreate] = Field(
        default=[], max_length=MAX_CHECKINS, description="Check-ins in their schema (POST /users/{user_id}/checkins)."
    )
    today: CalendarDate | None = Field(default=None, description=TODAY_DESCRIPTION)
    tz: Zone = Field(default="UTC", description=TZ_DESCRIPTION)
    exclude: list[Annotated[Slug, IN_CATALOGUE]] = Field(
        default=[], max_length=MAX_LIST, description=_FIELDS["exclude"].description
    )
    # In JSON, a number is a number: no true for 1, no "5" for 5 (the query string's types are lax).
    pain_level: Annotated[StrictInt, Field(ge=0, le=10), WHOLE] = Field(
        default=0, description=PAIN_LEVEL_DESCRIPTION
    )
    minutes: Annotated[StrictInt, Field(ge=MIN_MINUTES, le=MAX_MINUTES), WHOLE] | None = Field(
        default=None, description=_FIELDS["minutes"].description
    )
    seed: Annotated[StrictInt, Field(ge=0, le=SEED_MAX), WHOLE] | None = Field(
        default=None, description=_FIELDS["seed"].description
    )

    @field_validator("checkins")
    @classmethod
    def _one_checkin_a_date(cls, value: list[CheckinCreate]) -> list[CheckinCreate]:
        # As stored check-ins are (a second on one date is a 409 there): which of two would count?
        seen: set[dt.date] = set()
        for checkin in value:
            if checkin.date in seen:
                raise ValueError(f"two check-ins on {checkin.date.isoformat()}: one a date")
            seen.add(checkin.date)
        return value


class NextParams(WorkoutParams):
    today: CalendarDate | None = Field(default=None, description=TODAY_DESCRIPTION)
    tz: Zone = Field(default="UTC", description=TZ_DESCRIPTION)
    pain_level: int = Field(default=0, ge=0, le=10, description=PAIN_LEVEL_DESCRIPTION)


# The language headers of every localised answer, with a real adapted workout as its example.
_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {**LOCALISED[200], "content": {"application/json": {"example": ADAPTED_WORKOUT}}}
}
_ADAPTED = "Each item carries its `adaptation` (action, rule, reason, from, to); `guards` lists the checks run."




def check_history(history: Sequence[Sequence[str]], catalogue: Catalogue) -> None:
    """Each posted log's exercises (their slugs in order) are the catalogue's."""
    if catalogue.by_slug.keys() >= set(chain.from_iterable(history)):  # (the usual case, decided in C)
        return
    errors = [
        FieldError(location="body", field=f"history.{i}.entries.{j}.exercise", message=f"unknown exercise {slug!r}")
        for i, slugs in enumerate(history)
        for j, slug in enumerate(slugs)
        if catalogue.get(slug) is None
    ]
    if errors:
        detail = f"{errors[0].field}: {errors[0].message} (see /exercises)."
        raise invalid(detail, errors)


def _render(
    catalogue: Catalogue,
    query: WorkoutQuery,
    today: dt.date | None,
    history: Iterable[Session],
    checkins: Iterable[CheckIn],
    metrics: Metrics,
    location: str,
    last_seen: dt.date | None = None,
    finding: steer.Finding | None = None,
) -> Answer:
    """Plan (today's pain from the person's data, generate as /workouts does, adapt), answer. ``history``:
    the logs as sessions (``session_of``); ``location``: where the workout parameters came from (query or
    body), for a 422. A ``pain_level`` counts as asked only when the request sent it."""
    day = today if today is not None else dt.datetime.now(dt.UTC).date()
    seed = query.seed if query.seed is not None else draw_seed()
    asked = query.pain_level if "pain_level" in query.model_fields_set else None
    history = list(history)
    try:
        adapted = next_workout(
            catalogue, query, seed, day, history, checkins, asked_pain=asked, last_seen=last_seen
        )
    except (UnknownExercises, WorkoutImpossible) as exc:
        raise workout_problem(exc, location) from exc
    if finding is not None:  # what the user's assessments ask of it (app/assessments/steer.py)
        adapted = steer.apply(adapted, finding, catalogue, recent(history, day), day)
    metrics.child(metrics.workouts, query.goal.value).inc()
    # `assessment` only when the user's assessments did something: otherwise exactly the workout it was before.
    hidden = {"assessment"} if adapted.assessment is None else None
    return adapted.model_dump_json(exclude=hidden).encode(), _headers(catalogue)


def _headers(catalogue: Catalogue) -> dict[str, str]:
    return {"X-Catalogue-Version": catalogue.version, **language_headers(catalogue.language)}


# How many coaching answers run at once in threads on the fast path; the rest wait their turn on the event
# loop. The work is mostly Python under the GIL: at 16 connections, 16 threads taking turns cost ~2x the CPU
# a request (/workouts/next on SQLite: 12.9 ms, 6.2 ms with 4; 1 and 2 no better). A few, so that database
# waits (Postgres) overlap.
WORKERS = 4


def adapted(call: Call[None, AdaptRequest]) -> Reply:
    """POST /workouts/adapt, for the route and the fast path alike."""
    body, headers = adapted_answer(call.catalogue, call.body, call.state.metrics)
    return Reply(200, body, headers)


@router.post(
    "/workouts/adapt",
    summary="Adapt a workout to a posted history (stateless)",
    description=(
        "For platforms that keep their own logs: the workout GET /workouts gives for these parameters, with "
        "each exercise progressed, held, regressed, swapped or deloaded from the history sent. Nothing is "
        "stored and no API key is needed. " + _ADAPTED
    ),
    response_model=AdaptedWorkout,
    responses={**LOCALISED, **_ANSWER, **problems.responses(400, 413, 415, 422)},
    openapi_extra={"requestBody": {"content": {"application/json": {"example": ADAPT_REQUEST}}}},
)
# In a thread, for fairness: answered on the event loop instead, it cost ~0.5 ms less CPU a request under wrk,
# but a cached read (GET /exercises/{slug}, 2 connections) beside 16 adapt connections waited 100-140 ms at
# p50 instead of 7-9 ms (measured twice, interleaved, on a loaded 2-core host). One worker: no cheaper than 4.
@fast(adapted, body=AdaptRequest, thread=True, workers=WORKERS)
def adapt_workout(request: Request, catalogue: LocalisedCatalogueDep, body: AdaptRequest) -> Response:
    return respond(request, adapted, body=body)


def adapted_answer(catalogue: Catalogue, body: AdaptRequest, metrics: Metrics) -> Answer:
    """The body and headers of POST /workouts/adapt for a valid request; errors are raised as ``Problem``."""
    posted = [_posted(log) for log in body.history]
    check_history([log.exercises for log in posted], catalogue)
    history = [log.session for log in posted]
    reports = [CheckIn(c.date, c.pain, c.stiffness) for c in body.checkins]
    day = body.today if body.today is not None else local_today(body.tz)
    return _render(catalogue, body, day, history, reports, metrics, "body")


def _posted(log: LogCreate | PostedLog) -> PostedLog:
    """A posted log as the coach reads it: the lean validator's already (app.api.posted_history), or a model's."""
    if isinstance(log, PostedLog):
        return log
    return PostedLog(session_of_model(log), tuple(entry.exercise for entry in log.entries))


def stored_history(engine: Engine | Connection, tenant: str, user_id: str, today: dt.date) -> list[dict[str, Any]]:
    since, until = window(today)
    return logs.recent(engine, tenant, user_id, since=since, until=until, limit=MAX_SESSIONS)


def stored_checkins(engine: Engine | Connection, tenant: str, user_id: str, today: dt.date) -> list[CheckIn]:
    stored = checkins.between(engine, tenant, user_id, window(today)[0].date(), today)
    return [CheckIn(c.date, c.pain, c.stiffness) for c in stored[-MAX_CHECKINS:]]


def next_reply(call: Call[NextParams, None]) -> Reply:
    """GET /users/{user_id}/workouts/next, for the route and the fast path alike.

    A seeded answer is a pure function of the user's logs, check-ins and assessments (their revision), the catalogue
    (its language too), the query and the day: kept under the user's revision like /records (app.answers),
    so a client asking again before anything changes costs a revision read. An unseeded one is a fresh
    draw each time and is not kept. Two more things are kept under the same revision and day, for the
    answers not kept yet (``seeded_answer``); the revision is read once, before any of them.
    """
    state, query, catalogue = call.state, call.query, call.catalogue
    tenant, user_id, engine = call.tenant, call.params["user_id"], state.engine
    day, planned = _planned(query)
    revision = revisions.peek(engine, tenant, user_id)

    def compute() -> bytes:
        return seeded_answer(state, tenant, user_id, revision, catalogue, planned, day)

    if query.seed is None:
        body = compute()
    else:
        kept = at_revision(state.answers, tenant, user_id, revision, _next_key(catalogue, planned, day), compute)
        assert kept is not None  # (compute never gives None)
        body = kept
    return Reply(200, body, _headers(catalogue))


def next_kept(call: Call[NextParams, None]) -> Reply | None:
    """``next_reply``'s answer when it is kept and its revision can be read on the event loop (SQLite), else
    None (the fast path then calls ``next_reply`` in a thread). The same key and bytes, without the hop."""
    query, state = call.query, call.state
    if query.seed is None or state.loop_revisions is None:
        return None
    revision = state.loop_revisions.read(call.tenant, call.params["user_id"])
    if revision is None:
        return None
    day, planned = _planned(query)
    key = user_key(_next_key(call.catalogue, planned, day), call.tenant, call.params["user_id"], revision)
    body = state.answers.hit(key)
    return None if body is None else Reply(200, body, _headers(call.catalogue))


def _planned(query: NextParams) -> tuple[dt.date, NextParams]:
    """The day planned for, and the query with it."""
    day = query.today if query.today is not None else local_today(query.tz)
    return day, query if query.today is not None else query.model_copy(update={"today": day})


def _next_key(catalogue: Catalogue, planned: NextParams, day: dt.date) -> tuple[str, ...]:
    # What was sent, not only the values: a pain_level sent counts, one left out comes from the data.
    return ("next", catalogue.etag, planned.model_dump_json(exclude_unset=True), day.isoformat())


def seeded_answer(
    state: AppState, tenant: str, user_id: str, revision: int | None, catalogue: Catalogue, query: NextParams,
    day: dt.date,
) -> bytes:
    """The body of GET /users/{user_id}/workouts/next for ``query`` (its seed drawn if not sent) on ``day``.

    Two things kept under the user's revision and the day make a seed not asked before cheap:

    - the user's data read and decoded (``Inputs``), the same for every seed and parameter: no read;
    - the answer by the seed's shape (``generator.variant``): seeds of one shape give one plain workout but
      for its ``seed`` and ``self``, and one priority, and the coach reads the seed only through that
      priority (its time fitter's), so their answers differ only in those two fields. The body is kept split
      around them, and a seed of a kept shape is answered by putting its own in (1,000 seeds of a rehab
      query have 16 shapes). tests/test_coaching_api.py compares such answers with computed ones, byte for byte.
    """
    inputs = at_revision(
        state.coach_inputs, tenant, user_id, revision, ("next-inputs", day.isoformat()),
        lambda: read_inputs(state.engine, tenant, user_id, day),
    )
    assert inputs is not None  # (read_inputs never gives None)
    seed = query.seed if query.seed is not None else draw_seed()
    seeded = query.model_copy(update={"seed": seed})
    if "pain_level" in query.model_fields_set:  # asked: it counts, never below today's check-in
        pain = read_day(day, inputs.history, inputs.reports, asked_pain=query.pain_level).pain
    else:
        pain = inputs.pain
    try:
        shape = variant(catalogue, at_pain(query, pain.level), seed)
    except UnknownExercises as exc:
        raise workout_problem(exc, "query") from exc
    fields = seed_fields(seed, catalogue.version, shape.link)
    computed = False

    def split() -> tuple[bytes, bytes]:
        nonlocal computed
        computed = True
        head, found, rest = answer_from(catalogue, seeded, day, inputs, state.metrics)[0].partition(fields)
        if not found:  # (never: the answer's seed fields are the plain workout's)
            raise RuntimeError(f"no seed fields {fields!r} in the adapted workout")
        return head, rest

    key = ("next-variant", catalogue.etag, query.model_dump_json(exclude_unset=True, exclude={"seed"}),
           day.isoformat(), shape.shape)
    parts = at_revision(state.coach_variants, tenant, user_id, revision, key, split)
    assert parts is not None  # (split never gives None)
    if not computed:
        state.metrics.child(state.metrics.workouts, query.goal.value).inc()  # (as answer_from counts one)
    return parts[0] + fields + parts[1]


@router.get(
    "/users/{user_id}/workouts/next",
    summary="The user's next workout, adapted to their stored logs",
    description=(
        "The workout GET /workouts gives for these parameters, with each exercise adapted from this user's "
        "logs and check-ins of the last 42 days. A user with no logs gets exactly the plain workout, every item `new`. "
        "Without `tight_side` in the query, a confirmed asymmetry in the user's assessments gives the tighter side "
        "one extra stretch set, and a test that hurt 4/10 or more a note to see a clinician (`assessment`). "
        + _ADAPTED
    ),
    response_model=AdaptedWorkout,
    responses={**LOCALISED, **_ANSWER, **problems.responses(401, 422)},
)
@fast(next_reply, query=NextParams, needs_key=True, thread=True, workers=WORKERS, kept=next_kept)
def get_next_workout(
    request: Request,
    user_id: UserIdPath,
    tenant: TenantDep,
    catalogue: LocalisedCatalogueDep,
    query: Annotated[NextParams, Query()],
) -> Response:
    return respond(request, next_reply, query=query, tenant=tenant, user_id=user_id)


def next_answer(
    engine: Engine, tenant: str, user_id: str, catalogue: Catalogue, query: NextParams, metrics: Metrics
) -> Answer:
    """The body and headers of GET /users/{user_id}/workouts/next computed afresh (nothing kept): the user's data
    read, then the coaching; errors are raised as ``Problem``."""
    day = query.today if query.today is not None else local_today(query.tz)
    return answer_from(catalogue, query, day, read_inputs(engine, tenant, user_id, day), metrics)


def read_inputs(engine: Engine, tenant: str, user_id: str, day: dt.date) -> Inputs:
    """What the coach reads of the user's data for ``day``: sessions, check-ins, assessments, on one snapshot."""
    with snapshot(engine) as connection:  # logs, check-ins and assessments of one state (app.db.snapshot)
        history = tuple(session_of(log) for log in stored_history(connection, tenant, user_id, day))
        last_seen = None
        if not history:  # a long break: when was the last session at all (one cheap query, only then)
            before = logs.last_performed(connection, tenant, user_id, before=window(day)[0])
            last_seen = None if before is None else before.astimezone(dt.UTC).date()
        reports = tuple(stored_checkins(connection, tenant, user_id, day))
        finding = assessed(connection, tenant, user_id, day)
    return Inputs(history, reports, last_seen, finding, read_day(day, history, reports, last_seen=last_seen).pain)


def answer_from(catalogue: Catalogue, query: NextParams, day: dt.date, inputs: Inputs, metrics: Metrics) -> Answer:
    """The answer for ``query`` from the user's data read for ``day``. The assessments' finding counts only
    when the query does not name the tight side itself."""
    finding = inputs.finding if query.tight_side is None else None
    return _render(
        catalogue, query, day, inputs.history, inputs.reports, metrics, "query", inputs.last_seen, finding
    )


def assessed(engine: Engine | Connection, tenant: str, user_id: str, day: dt.date) -> steer.Finding | None:
    """What the user's assessments ask of ``day``'s workout (for a query that does not name the tight side)."""
    until = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    readings, _ = assessment_store.readings(engine, tenant, user_id, until=until, ask_known=False)
    return steer.tighter_side(assessment_tests(), readings, day)
