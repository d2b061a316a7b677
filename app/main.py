"""The app factory: settings, catalogue and database are built here, not at import."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.types import ASGIApp

from app import __version__, problems, statuses
from app.answers import AnswerCache
from app.api import (
    assessments,
    checkins,
    coaching,
    docs,
    exercises,
    health,
    logs,
    metrics,
    openapi,
    outcomes,
    pain_grades,
    programmes,
    progress,
    screening,
    users,
    vocabulary,
    workouts,
)
from app.api.delivery import Delivery
from app.api.fastpath import FastPath
from app.api.gates import Gates
from app.catalogue import Catalogue, load_catalogue
from app.db import make_engine
from app.observability import AccessLog, Metrics, Observability, configure_logging
from app.settings import Settings
from app.state import AppState
from app.workouts import wording

GIL_SWITCH_SECONDS = 0.001

DESCRIPTION = """\
Browse a sourced catalogue of hip-flexor exercises, generate safe, explained
workouts from a few query parameters, and store your users' workout logs.
Every error is `application/problem+json` (RFC 9457).
"""

TAGS = [
    {"name": "exercises", "description": "The exercise catalogue and its vocabularies."},
    {"name": "workouts", "description": "Generated workouts and the goals behind them."},
    {"name": "logs", "description": "Your users' workout logs (API key required)."},
    {"name": "checkins", "description": "Your users' rest and next-morning pain, one a date (API key required)."},
    {
        "name": "assessments",
        "description": "Range-of-motion tests (modified Thomas test and others): the catalogue, your users' results "
        "and their trends judged against each test's minimal detectable change (API key required, but for the "
        "catalogue).",
    },
    {
        "name": "programmes",
        "description": "Multi-week programmes: computed from parameters (public), or stored per user and followed day "
        "by day, with a calendar feed (API key required).",
    },
    {"name": "progress", "description": "Personal records and trends computed from the logs (API key required)."},
    {
        "name": "outcomes",
        "description": "Whether your users get better: per user, and as an anonymised cohort (API key required).",
    },
    {"name": "users", "description": "Export and erasure of one user's data (API key required)."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]


# What a browser client may read from a cross-origin answer (the CORS-safelisted ones need no listing).
EXPOSED_HEADERS = [
    "ETag", "Location", "Link", "Retry-After", "Idempotent-Replayed", "X-Request-ID", "X-Catalogue-Version",
    "Content-Language", "Deprecation", "Sunset", "RateLimit", "RateLimit-Policy",
]


class _API(FastAPI):
    """FastAPI less two of its own layers that do nothing here but cost every request: ``AppBodyLimitMiddleware``
    (FastAPI's ``max_body_size``, unused: app.body_limit caps bodies) and, with OpenTelemetry off,
    ``ExceptionTelemetryMiddleware``. Measured: 5,000 instructions of a 150,000 cached read (bench.read_instructions).
    Should FastAPI rename them, the stack is left whole."""

    otel = False

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        try:
            from fastapi._body_limit import AppBodyLimitMiddleware
            from fastapi.telemetry._asgi import ExceptionTelemetryMiddleware
        except ImportError:  # pragma: no cover (another FastAPI)
            return stack
        idle: set[type] = set()
        if self.max_body_size is None:
            idle.add(AppBodyLimitMiddleware)
        if not self.otel:
            idle.add(ExceptionTelemetryMiddleware)
        outer: Any = stack
        while (inner := getattr(outer, "app", None)) is not None:
            if type(inner) in idle:
                outer.app = inner.app  # (the layer unlinked)
            else:
                outer = inner
        return stack


def _operation_id(route: APIRoute) -> str:
    """The route's name (`list_exercises`), so generated clients read well.

    The tag already groups operations: `{tag}-{name}` came out as `exercisesListExercises`
    in TypeScript generators. Names are unique across the API (a test says so).
    """
    return route.name


_frozen = False


def _freeze_startup_objects() -> None:
    """Move what start-up built (modules, catalogue, routes) out of the collector's sight.

    Measured: full collections walking those long-lived objects were most of
    the p99 of log writes (62 ms -> 26 ms). Once per process, so repeated
    apps (the tests) do not pile up frozen garbage. No full collection first:
    it found about 20 unreachable objects among 170,000 and was 85 ms of the
    cold start (issue 20).
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def create_app(settings: Settings | None = None, catalogue: Catalogue | None = None) -> FastAPI:
    settings = settings or Settings()
    catalogue = catalogue or load_catalogue(settings.catalogue_path, settings.catalogue_mode)
    # The texts outside the catalogue are checked here, so a bad language file stops the start too.
    wording.check(catalogue)
    vocabulary.check(catalogue)
    problems.check_titles(catalogue.translations)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        if settings.auto_migrate and settings.is_sqlite:
            from app import migrations

            migrations.upgrade(settings.database_url)
        hipflex.open(engine)
        # A thread busy in Python (an export, a route in the thread pool) hands the GIL to the event
        # loop after this long: at the default 5 ms, every other client's request waited through it.
        # Measured beside an export of 300 logs at the body cap: other clients' p99 17 ms -> 9 ms.
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        _freeze_startup_objects()
        try:
            yield
        finally:
            hipflex.close()
            engine.dispose()
            if access_log is not None:
                access_log.flush()

    app = _API(
        title="hipflex",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        # FastAPI's own OpenTelemetry layer asked the OpenTelemetry API three times a request whether
        # it was configured (60 us a /workouts request, 7% of it): off unless the operator turns it on.
        telemetry={"tracing": settings.otel, "metrics": settings.otel, "logs": settings.otel},
        # One schema per model: no `EntryLog-Input` / `EntryLog-Output` pairs for generators to trip on.
        separate_input_output_schemas=False,
    )
    app.otel = settings.otel
    access_log = AccessLog() if settings.access_log else None
    hipflex = AppState(settings, catalogue, Metrics(), AnswerCache(settings.answer_cache_bytes), access_log)
    app.state.hipflex = hipflex
    configure_logging(settings.log_level)
    problems.install(app)
    # Middleware, innermost first: the fast path, CORS around it, the gates (as one layer, app.api.gates: the body
    # gate, UTF-8 JSON, one value a key, large bodies validated, the largest scouted off the event loop,
    # app.api.bodies; rate limits, before a body is read, app.api.rate_limits; the body cap), delivery (HEAD,
    # gzip, no-store) around all of them so both paths give the same bytes, and observability outermost.
    if settings.fast_path:
        app.add_middleware(FastPath, api=app)  # the routes marked @fast (app.api.fastpath)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization", "X-API-Key", "Content-Type", "Idempotency-Key", "If-None-Match", "X-Request-ID"
            ],
            expose_headers=EXPOSED_HEADERS,
        )
    app.add_middleware(Gates, api=app, settings=settings)  # the body gate, rate limits, body cap (app.api.gates)
    app.add_middleware(Delivery, gzip_min_bytes=settings.gzip_min_bytes)
    app.add_middleware(Observability, metrics=hipflex.metrics, access_log=access_log)
    routers = (
        exercises, vocabulary, workouts, coaching, pain_grades, screening, logs, checkins, progress, outcomes, users
    )
    app.include_router(assessments.catalogue_router, responses=problems.responses(500))
    app.include_router(assessments.router, responses=problems.responses(500))
    app.include_router(programmes.router, responses=problems.responses(500))
    app.include_router(programmes.users, responses=problems.responses(500))
    for module in (*routers, health, metrics, docs):
        app.include_router(module.router, responses=problems.responses(500))
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The document, built once per app (see app.api.openapi)."""
    if app.openapi_schema is None:
        schema = openapi.build(app)
        _phrases_from_our_table(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def _phrases_from_our_table(schema: dict[str, Any]) -> None:
    """FastAPI describes a response it was given no description for with the
    interpreter's phrase (which 3.13 renamed for 413 and 422): use ours."""
    import http.client  # (only for the document: not at start)

    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and response.get("description") == http.client.responses.get(int(code)):
                    response["description"] = statuses.phrase(int(code))
