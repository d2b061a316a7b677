"""Rate limits: no client can starve the others.

One pure-ASGI middleware outside the fast path and the router (so both are covered), with the
``limits`` library counting (in process by default; in Redis, ``HIPFLEX_RATE_LIMIT_STORAGE_URL``,
when several instances serve one database). Which quota a request draws on:

- routes that need a key (``/users/…``): the key's tenant;
- public routes that compute (``POST /workouts/adapt``, ``/workouts`` without a ``seed``,
  ``/programmes…``): the key's tenant when the request carries a valid one (a key lifts a public
  request into its tenant's quota: platforms call from a few addresses for many users), else the
  client's address;
- a request with a key that is not valid: the client's address (and the key costs one lookup: the
  rejection is remembered for the route, app.keys);
- everything else (the catalogue, seeded workouts, health, docs): not limited; it is cheap and
  cached.

A request costs 1, plus 1 per ``HIPFLEX_RATE_LIMIT_BODY_UNIT_BYTES`` of declared body (a chunked
body counts as the largest allowed). Over a quota: 429 problem+json with ``Retry-After``. Every
limited answer carries the IETF ``RateLimit-Policy`` and ``RateLimit`` fields
(draft-ietf-httpapi-ratelimit-headers: ``"tenant-minute";q=6000;w=60`` and
``"tenant-minute";r=5999;t=60``). If the shared store cannot be reached the request is let through
(a rate limit must not be a new way to fail) and the failure logged, at most once a minute.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.storage import storage_from_string
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import keys
from app.api.auth import presented_key
from app.problems import problem_response
from app.state import state_of

if TYPE_CHECKING:
    import redis.asyncio

logger = logging.getLogger("hipflex.rate_limits")

PUBLIC_COMPUTING = ("/workouts/adapt", "/programmes")
SEEDED = "/workouts"  # the one path whose draw on a quota depends on its query: a seed is memoised, a new draw computed
_STORE_TIMEOUT_S = 0.25


@dataclass(frozen=True)
class Quota:
    """One named limit: ``amount`` per ``window`` seconds."""

    name: str
    item: RateLimitItem

    @property
    def policy(self) -> str:
        return f'"{self.name}";q={self.item.amount};w={self.item.get_expiry()}'


def quotas(kind: str, spec: str) -> list[Quota]:
    """``"200/second;6000/minute"`` as quotas named ``tenant-second``, ``tenant-minute``."""
    return [Quota(f"{kind}-{item.GRANULARITY.name}", item) for item in parse_many(spec)]


class RateLimits:
    def __init__(
        self,
        app: ASGIApp,
        api: FastAPI,
        *,
        storage_url: str,
        tenant: str,
        client: str,
        body_unit_bytes: int,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.api = api
        self.storage_url = storage_url
        self.tenant_quotas = quotas("tenant", tenant)
        self.client_quotas = quotas("client", client)
        self.body_unit = body_unit_bytes
        self.max_body = max_body_bytes
        self._storage: Storage | None = None
        self._pool: redis.asyncio.ConnectionPool | None = None
        self._down_until = 0.0
        self._last_warning = float("-inf")

    def _store(self) -> Storage:
        if self._storage is None:  # made on the serving loop, at the first limited request
            url = self.storage_url
            options: dict[str, Any] = {}
            if url.startswith(("redis://", "rediss://")):
                import redis.asyncio  # (only with a Redis store: in-process counting never loads it, issue 20)

                # Our own pool, with short timeouts, so that the lifespan's end can close it.
                self._pool = redis.asyncio.ConnectionPool.from_url(
                    url, socket_timeout=_STORE_TIMEOUT_S, socket_connect_timeout=_STORE_TIMEOUT_S
                )
                options = {"implementation": "redispy", "connection_pool": self._pool}
            storage = storage_from_string("async+" + url, **options)
            assert isinstance(storage, Storage)
            self._storage = storage
        return self._storage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            try:
                await self.app(scope, receive, send)
            finally:  # the app has shut down: let go of the store's connections
                if self._pool is not None:
                    await self._pool.disconnect()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not limited(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        tenant = await self._tenant(headers)
        if tenant is not None:
            chosen, identity = self.tenant_quotas, "t:" + tenant
        else:
            client = scope.get("client")
            chosen, identity = self.client_quotas, "a:" + (client[0] if client else "unknown")
        outcome = await self._count(chosen, identity, self._cost(headers))
        if outcome is None:  # the store is unreachable: let it through
            await self.app(scope, receive, send)
            return
        fields, refused = outcome
        if refused is not None:
            await self._refuse(scope, send, fields, refused)
            return

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *fields]
            await send(message)

        await self.app(scope, receive, send_with_fields)

    def _cost(self, headers: Headers) -> int:
        length = headers.get("content-length")
        if length is not None and length.isdigit():
            size = int(length)
        elif "transfer-encoding" in headers:
            size = self.max_body  # not declared: counted as the largest it may be
        else:
            size = 0
        return 1 + min(size, self.max_body) // self.body_unit

    async def _tenant(self, headers: Headers) -> str | None:
        """The tenant of the key presented, or None (no key, or not a valid one)."""
        key = presented_key(headers)
        if key is None:
            return None
        storage = state_of(self.api)
        tenant = keys.recently_authenticated(storage.remembered_keys, key)
        if tenant is not None:
            return tenant
        try:  # (the route then finds the key remembered, or its rejection: one lookup in all)
            return await run_in_threadpool(keys.authenticate, storage.engine, key, storage.remembered_keys)
        except Exception:  # rejected, or the database is down: the route answers that
            return None

    async def _count(
        self, chosen: list[Quota], identity: str, cost: int
    ) -> tuple[list[tuple[bytes, bytes]], tuple[Quota, int] | None] | None:
        """The RateLimit fields, and the quota that refused (with its seconds to reset), if one did."""
        now = time.time()
        if now < self._down_until:
            return None
        store = self._store()
        refused: tuple[Quota, int] | None = None
        lowest: tuple[int, int, Quota] | None = None
        try:
            for quota in chosen:
                key = quota.item.key_for("hipflex", identity)
                used = await store.incr(key, quota.item.get_expiry(), amount=cost)
                window = quota.item.get_expiry()  # (a store's expiry can round up past the window)
                reset = min(window, max(1, math.ceil(await store.get_expiry(key) - now)))
                remaining = max(0, quota.item.amount - used)
                if used > quota.item.amount and refused is None:
                    refused = (quota, reset)
                if lowest is None or remaining < lowest[0]:
                    lowest = (remaining, reset, quota)
        except Exception as error:
            self._down_until = now + 1.0
            if now - self._last_warning > 60:
                self._last_warning = now
                logger.warning("rate limits not counted: the store is unreachable (%s)", type(error).__name__)
            return None
        assert lowest is not None
        remaining, reset, quota = lowest
        if refused is not None:
            (quota, reset), remaining = refused, 0
        fields = [
            (b"ratelimit-policy", ", ".join(q.policy for q in chosen).encode()),
            (b"ratelimit", f'"{quota.name}";r={remaining};t={reset}'.encode()),
        ]
        return fields, refused

    async def _refuse(
        self, scope: Scope, send: Send, fields: list[tuple[bytes, bytes]], refused: tuple[Quota, int]
    ) -> None:
        quota, reset = refused
        if quota.name.startswith("tenant"):
            who = "this tenant"
        else:
            who = "this client address (a request with your API key draws on your tenant's quota)"
        detail = (
            f"Too many requests from {who}: the {quota.name} quota is {quota.item.amount} "
            f"per {quota.item.get_expiry()} s. Retry after {reset} s."
        )
        headers = {"Retry-After": str(reset), **{name.decode(): value.decode() for name, value in fields}}
        response = problem_response(Request(scope), 429, "rate-limited", detail, headers=headers)
        await response(scope, _no_receive, send)


def limited(scope: Scope) -> bool:
    """Whether the request draws on a quota: it needs a key (``/users/…``) or computes (see the module docstring)."""
    path: str = scope["path"]
    return path.startswith("/users/") or _public_computing(scope)


def _public_computing(scope: Scope) -> bool:
    path: str = scope["path"]
    if path == SEEDED:
        # (``find``, not ``in``: bytes' ``in`` first tries its operand as an int and pays for the TypeError; and a
        # loop, not ``any`` over a generator, which is closed by a GeneratorExit when it stops early)
        query: bytes = scope.get("query_string", b"")
        if query.find(b"seed") < 0:
            return True
        for part in query.split(b"&"):  # noqa: SIM110 (see above)
            if part == b"seed" or part.startswith(b"seed="):
                return False
        return True
    return path.startswith(PUBLIC_COMPUTING)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
