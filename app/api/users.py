"""/users/{user_id}: everything about one of a tenant's users, to take away or to erase."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from app import logs
from app.api.auth import TenantDep
from app.api.deps import EngineDep
from app.api.logs import UserIdPath, user_not_found
from app.logs import UserExport
from app.problems import responses

router = APIRouter(prefix="/users/{user_id}", tags=["users"])


@router.get("/export", response_model=UserExport, summary="Export a user's logs", responses=responses(401, 404, 422))
def export_user(tenant: TenantDep, user_id: UserIdPath, engine: EngineDep) -> StreamingResponse:
    """Every log of the user, oldest first, as one JSON document, streamed as it is read
    (`count`, the number of logs in it, comes last)."""
    first = logs.export_page(engine, tenant, user_id)
    if not first:
        raise user_not_found(user_id)
    return StreamingResponse(logs.export_stream(engine, tenant, user_id, first), media_type="application/json")


@router.delete("", status_code=204, summary="Erase a user", responses=responses(401, 422))
def erase_user(tenant: TenantDep, user_id: UserIdPath, engine: EngineDep) -> Response:
    """Delete every log of the user (and every stored response about them). Idempotent: always 204."""
    logs.erase_user(engine, tenant, user_id)
    return Response(status_code=204)
