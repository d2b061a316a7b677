"""Liveness and readiness, for orchestrators."""

from __future__ import annotations

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.outages import RETRY_AFTER_SECONDS
from app.problems import Problem, responses
from app.state import state

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ok", "database": "ok", "schema_revision": "0007", "schema_head": "0007"}]
        }
    )

    status: str
    database: str
    schema_revision: str | None
    schema_head: str | None


@router.get(
    "/healthz",
    summary="The process is up",
    description="Liveness: answers 200 while the process serves requests; touches no database.",
    response_model=Health,
)
async def check_health() -> Health:
    return Health(status="ok")


def _check(engine: Engine, database_url: str) -> Readiness:
    # Alembic on first use, not at import: a quarter of a second of a cold start that may not need it
    # (an already-migrated database; the lifespan imports it when it migrates).
    from app import migrations

    head = migrations.head_revision(database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrations.current_revision(engine)
    except Exception as exc:  # any driver error means "not ready"
        database = f"unreachable: {type(exc).__name__}"
        return Readiness(status="unavailable", database=database, schema_revision=None, schema_head=head)
    if current != head:
        return Readiness(status="unavailable", database="ok", schema_revision=current, schema_head=head)
    return Readiness(status="ok", database="ok", schema_revision=current, schema_head=head)


@router.get(
    "/readyz",
    summary="The database answers and its schema is current",
    description="Readiness: 200 when the database answers and is migrated to the head revision, else 503 "
    "with what is wrong (send traffic elsewhere until it is 200).",
    response_model=Readiness,
    responses={503: {**responses(503)[503], "description": "Not ready"}},
)
async def check_readiness(request: Request) -> Readiness:
    running = state(request)
    settings = running.settings
    if running.probe_threads is None:
        running.probe_threads = anyio.CapacityLimiter(4)  # made on the serving loop
    try:
        # A frozen database must not hang the probe: its thread is abandoned (the stall watchdog frees it),
        # and probes have threads of their own, so stuck ones cannot starve the routes.
        with anyio.fail_after(settings.readyz_timeout_ms / 1000):
            readiness = await anyio.to_thread.run_sync(
                _check, running.engine, settings.database_url, abandon_on_cancel=True, limiter=running.probe_threads
            )
    except TimeoutError:
        database = f"unreachable: no answer within {settings.readyz_timeout_ms} ms"
        readiness = Readiness(status="unavailable", database=database, schema_revision=None, schema_head=None)
    if readiness.status != "ok":
        detail = (
            f"database {readiness.database}"
            if readiness.database != "ok"
            else f"schema at revision {readiness.schema_revision}, head is {readiness.schema_head}: "
            "run `hipflex migrate`"
        )
        extra = readiness.model_dump(exclude={"status"})
        raise Problem(503, "not-ready", detail, extra=extra, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return readiness
