"""Who is calling: the tenant behind the request's API key.

The tenant always comes from the key, never from the request itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app import keys
from app.api.deps import EngineDep
from app.problems import Problem

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hipflex"'}

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer hf_…`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: hf_…`")


async def authenticate(
    engine: EngineDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> str:
    presented = bearer.credentials if bearer is not None else api_key
    if not presented:
        detail = "An API key is required: `Authorization: Bearer <key>` or `X-API-Key`."
        raise Problem(401, "unauthorized", detail, headers=CHALLENGE)
    # A key seen a moment ago needs no database (and no thread); see app.keys.
    tenant = keys.recently_authenticated(engine, presented)
    if tenant is not None:
        return tenant
    try:
        return await run_in_threadpool(keys.authenticate, engine, presented)
    except keys.KeyRejected as exc:
        raise Problem(401, "unauthorized", str(exc), headers=CHALLENGE) from None


TenantDep = Annotated[str, Depends(authenticate)]
