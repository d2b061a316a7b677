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
from app.state import AppState

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


async def tenant_of(running: AppState, headers: Mapping[str, str]) -> str:
    """The tenant behind the request's key, or a 401: the one check of a key, for the ``authenticate``
    dependency and the fast path alike (``app.api.fastpath``), so a rule added here holds on every path.

    A key seen within ``keys.RECHECK_SECONDS`` needs no database (and no thread); so a key revoked in
    another process is refused by every route within that bound (at once in this one, see app.keys).
    """
    presented = presented_key(headers)
    if not presented:
        detail = "An API key is required: `Authorization: Bearer <key>` or `X-API-Key`."
        raise Problem(401, "unauthorized", detail, headers=CHALLENGE)
    tenant = keys.recently_authenticated(running.remembered_keys, presented)
    if tenant is not None:
        return tenant
    try:
        return await run_in_threadpool(keys.authenticate, running.engine, presented, running.remembered_keys)
    except keys.KeyRejected as exc:
        raise Problem(401, "unauthorized", str(exc), headers=CHALLENGE) from None


async def authenticate(
    request: Request,
    running: StateDep,
    _bearer_scheme: Annotated[None, Depends(_bearer)],
    _api_key_scheme: Annotated[None, Depends(_api_key)],
) -> str:
    return await tenant_of(running, request.headers)


TenantDep = Annotated[str, Depends(authenticate)]
