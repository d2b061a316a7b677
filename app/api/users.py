"""/users/{user_id}: everything about one of a tenant's users, to take away or to erase."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio
import anyio.to_thread
from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import Field, TypeAdapter
from starlette.types import Receive, Scope, Send

from app import checkins, logs
from app.api.auth import TenantDep
from app.api.deps import StateDep
from app.api.logs import UserIdPath, user_not_found
from app.assessments import store as assessments
from app.assessments.schemas import AssessmentPublic
from app.checkins import CheckinPublic
from app.logs import UserExport
from app.problems import Problem, responses
from app.programmes import store as programmes
from app.programmes.schemas import ProgrammeSummary
from app.state import AppState

router = APIRouter(prefix="/users/{user_id}", tags=["users"])


class UserExportPublic(UserExport):
    """Everything stored about one user: logs, check-ins, assessments and programmes, oldest first."""

    checkins: list[CheckinPublic] = Field(description="Every check-in, oldest date first.")
    assessments: list[AssessmentPublic] = Field(description="Every assessment, oldest first.")
    programmes: list[ProgrammeSummary] = Field(
        description="Every programme, oldest first: its state and parameters (the weeks are computed from them)."
    )


_CHECKINS = TypeAdapter(list[CheckinPublic])
_ASSESSMENTS = TypeAdapter(list[AssessmentPublic])
_PROGRAMMES = TypeAdapter(list[ProgrammeSummary])


# An export refused because enough are streaming: retry after about as long as a small one takes.
EXPORTS_BUSY_RETRY_AFTER_S = 5


# Threads that render exports at once. Each takes the GIL in turn with the event loop: with a thread an
# export (Starlette's default), 16 exports rendering at once made the loop wait behind 16 of them for
# every step (measured: the 17th and later exports' 503s after 1.5-2.3 s, other clients' p99 93 ms; with
# two threads, 0.3-0.6 s and 27 ms). The exports share them: together they render no slower.
EXPORT_THREADS = 2
_END = object()


class _ExportResponse(StreamingResponse):
    """A streamed export, rendered by the export threads, that gives its place back (``ExportStreams``)
    when it ends, however it ends."""

    def __init__(self, content: Iterator[bytes], hipflex: AppState) -> None:
        super().__init__(self._rendered(content), media_type="application/json")
        self.hipflex = hipflex

    async def _rendered(self, content: Iterator[bytes]) -> AsyncIterator[bytes]:
        if self.hipflex.export_threads is None:
            self.hipflex.export_threads = anyio.CapacityLimiter(EXPORT_THREADS)  # made on the serving loop
        limiter = self.hipflex.export_threads
        while (chunk := await anyio.to_thread.run_sync(next, content, _END, limiter=limiter)) is not _END:
            yield chunk  # type: ignore[misc]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.hipflex.export_streams.give_back()


@router.get(
    "/export", response_model=UserExportPublic, summary="Export a user's data", responses=responses(401, 404, 422, 503)
)
def export_user(tenant: TenantDep, user_id: UserIdPath, hipflex: StateDep) -> StreamingResponse:
    """Every log (oldest first), every check-in, assessment and programme of the user, as one JSON document, streamed as
    the logs are read (`count`, the number of logs in it, comes after them).

    At most `HIPFLEX_EXPORT_STREAMS` exports stream at once from one process: one more is answered 503
    with `Retry-After` at once. An export the database fails in the middle of ends with the connection
    closed before the document does (an incomplete chunked body), never as a shorter document."""
    streams = hipflex.export_streams
    if not streams.take():
        raise Problem(
            503,
            "exports-busy",
            f"{streams.limit} exports are streaming from this server already; retry shortly.",
            headers={"Retry-After": str(EXPORTS_BUSY_RETRY_AFTER_S)},
        )
    try:
        return _export(tenant, user_id, hipflex)
    except BaseException:
        streams.give_back()
        raise


def _export(tenant: str, user_id: str, hipflex: AppState) -> StreamingResponse:
    engine = hipflex.engine
    first = logs.export_page(engine, tenant, user_id)
    # Check-ins are one a day and small: read whole, before the logs stream.
    found = checkins.export(engine, tenant, user_id)
    measured = assessments.export(engine, tenant, user_id)
    planned = [
        ProgrammeSummary(**p.state.model_dump(), parameters=p.parameters)
        for p in programmes.export(engine, tenant, user_id)
    ]
    if not first and not found and not measured and not planned:
        raise user_not_found(user_id)
    trailer = (
        b',"checkins":' + _CHECKINS.dump_json(found) + b',"assessments":' + _ASSESSMENTS.dump_json(measured)
        + b',"programmes":' + _PROGRAMMES.dump_json(planned)
    )
    return _ExportResponse(logs.export_stream(engine, tenant, user_id, first, trailer=trailer), hipflex)


@router.delete("", status_code=204, summary="Erase a user", responses=responses(401, 422))
def erase_user(tenant: TenantDep, user_id: UserIdPath, hipflex: StateDep) -> Response:
    """Delete every log, check-in, assessment and programme of the user (and every stored response about them).
    Idempotent: always 204.

    On SQLite the erased bytes are gone from the database files when this answers; on Postgres a
    VACUUM follows within a minute (see the README's "Erasure")."""
    checkins.erase_user(hipflex.engine, tenant, user_id)
    assessments.erase_user(hipflex.engine, tenant, user_id)
    programmes.erase_user(hipflex.engine, tenant, user_id)
    logs.erase_user(hipflex.engine, tenant, user_id)
    hipflex.scrubber.erased()
    return Response(status_code=204)
