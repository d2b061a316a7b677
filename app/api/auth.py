"""Who is calling: the tenant behind the request's API key.

The tenant always comes from the key, never from the request itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from app import keys
from app.api.deps import StateDep
from app.problems import Problem

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hipflex"'}


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request presents: ``Authorization: Bearer <key>``, else ``X-API-Key``.

    The one reader of those headers, for the routes and the fast path alike
    (``headers`` is case-insensitive, as Starlette's are).
    """
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    return headers.get("x-api-key") or None


class _BearerScheme(HTTPBearer):
    """Declares the scheme in the API document; ``presented_key`` reads the header."""

    async def __call__(self, request: HTTPConnection) -> None:
        return None


class _ApiKeyScheme(APIKeyHeader):
    """Declares the scheme in the API document; ``presented_key`` reads the header."""

    async def __call__(self, request: HTTPConnection) -> None:
        return None


_bearer = _BearerScheme(scheme_name="HTTPBearer", auto_error=False, description="`Authorization: Bearer hf_…`")
_api_key = _ApiKeyScheme(
    name="X-API-Key", scheme_name="APIKeyHeader", auto_error=False, description="`X-API-Key: hf_…`"
)


async def authenticate(
    request: Request,
    running: StateDep,
    _bearer_scheme: Annotated[None, Depends(_bearer)],
    _api_key_scheme: Annotated[None, Depends(_api_key)],
) -> str:
    presented = presented_key(request.headers)
    if not presented:
        detail = "An API key is required: `Authorization: Bearer <key>` or `X-API-Key`."
        raise Problem(401, "unauthorized", detail, headers=CHALLENGE)
    # A key seen a moment ago needs no database (and no thread); see app.keys.
    tenant = keys.recently_authenticated(running.remembered_keys, presented)
    if tenant is not None:
        return tenant
    try:
        return await run_in_threadpool(keys.authenticate, running.engine, presented, running.remembered_keys)
    except keys.KeyRejected as exc:
        raise Problem(401, "unauthorized", str(exc), headers=CHALLENGE) from None


TenantDep = Annotated[str, Depends(authenticate)]
