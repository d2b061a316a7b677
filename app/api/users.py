"""/users/{user_id}: everything about one of a tenant's users, to take away or to erase."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse
from pydantic import Field, TypeAdapter

from app import checkins, logs
from app.api.auth import TenantDep
from app.api.deps import EngineDep, StateDep
from app.api.logs import UserIdPath, user_not_found
from app.assessments import store as assessments
from app.assessments.schemas import AssessmentPublic
from app.checkins import CheckinPublic
from app.logs import UserExport
from app.problems import responses
from app.programmes import store as programmes
from app.programmes.schemas import ProgrammeSummary

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


@router.get(
    "/export", response_model=UserExportPublic, summary="Export a user's data", responses=responses(401, 404, 422)
)
def export_user(tenant: TenantDep, user_id: UserIdPath, engine: EngineDep) -> StreamingResponse:
    """Every log (oldest first), every check-in, assessment and programme of the user, as one JSON document, streamed as
    the logs are read (`count`, the number of logs in it, comes after them)."""
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
    return StreamingResponse(
        logs.export_stream(engine, tenant, user_id, first, trailer=trailer), media_type="application/json"
    )


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
