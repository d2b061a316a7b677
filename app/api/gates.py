"""The body cap, the rate limits and the body gate as one layer, skipped whole by a request none of them acts on.

Each is its own pure-ASGI middleware (app.body_limit, app.api.rate_limits, app.api.bodies), in that order; most
requests (every catalogue read, a seeded workout, health, docs) carry no body and draw on no quota, and went through
three coroutines that each only looked and passed them on (about 13,000 instructions of a 120,000 cached read,
bench.read_instructions). Such a request goes straight to the app inside; any other goes through all three.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.bodies import WITH_BODY, BodyGate
from app.api.rate_limits import SEEDED, RateLimits, limited
from app.body_limit import BodyLimit
from app.layers import Layer
from app.settings import Settings


class Gates(Layer):
    def __init__(self, app: ASGIApp, api: FastAPI, settings: Settings) -> None:
        self.app = app  # (the way around, followed by a walk down the stack's ``app``s)
        inner: ASGIApp = BodyGate(app, api=api)
        self.rate_limited = settings.rate_limits
        if settings.rate_limits:
            inner = RateLimits(
                inner,
                api=api,
                storage_url=settings.rate_limit_storage_url,
                tenant=settings.rate_limit_tenant,
                client=settings.rate_limit_client,
                body_unit_bytes=settings.rate_limit_body_unit_bytes,
                max_body_bytes=settings.max_body_bytes,
            )
        self.gated: ASGIApp = BodyLimit(inner, max_bytes=settings.max_body_bytes)
        # Paths that draw on no quota whatever their query (all but ``/workouts``, ``/users/…``, ``/programmes…``):
        # a look-up, not the string tests (the first 1,024 seen: a client can make up paths).
        self.free: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in WITH_BODY:
            free = self.free
            if self.rate_limited and (path := scope["path"]) not in free:
                if limited(scope):
                    await self.gated(scope, receive, send)
                    return
                if path != SEEDED and len(free) < 1024:  # (free by its query, not by its path)
                    free.add(path)
            for name, _ in scope["headers"]:
                if name == b"content-length" or name == b"transfer-encoding":  # (the cap's to judge)
                    break
            else:
                await self.next(scope, receive, send)
                return
        await self.gated(scope, receive, send)  # (the lifespan too: the rate limits close their store's pool)
