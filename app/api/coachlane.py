"""The coach's two doors without FastAPI's per-request machinery, for the plain success case.

Like ``app.api.fastpath``: measured in-process, FastAPI's routing, dependency solving and query
handling cost ~2 ms of CPU a request on these routes, about a quarter of a whole request. This lane
validates with the *same* models and checks as the routes (``NextParams``, ``AdaptRequest``,
``check_history``, ``user_id_ok``, the remembered keys) and answers with the *same* functions
(``next_answer``, ``adapted_answer``), in the same thread pool. Anything else (no key or a key not
seen a moment ago, anything invalid, repeated headers, any error) goes on to the FastAPI route, the
single source of every error body, with the body replayed.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app import keys, logs
from app.api.auth import presented_key
from app.api.coaching import AdaptRequest, Answer, NextParams, adapted_answer, check_history, next_answer
from app.api.coaching import router as coaching_router
from app.api.fastpath import parse_query, read_body, replayed
from app.catalogue import Catalogue
from app.languages import choose_language
from app.state import state_of

_NEXT = "/workouts/next"


def _route(endpoint: str) -> APIRoute:
    return next(r for r in coaching_router.routes if isinstance(r, APIRoute) and r.endpoint.__name__ == endpoint)


class CoachFastLane:
    """Pure-ASGI middleware in front of the router; see the module docstring."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        # What the access log and the metrics read, as if the router had matched.
        self.next_route = _route("get_next_workout")
        self.adapt_route = _route("adapt_workout")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope.get("path", "")
        if method == "GET" and path.startswith("/users/") and path.endswith(_NEXT):
            answer = await self._next(scope, path[7 : -len(_NEXT)])
            if answer is not None:
                await self._send(scope, send, self.next_route, answer)
                return
            await self.app(scope, receive, send)
        elif method == "POST" and path == "/workouts/adapt":
            body = await read_body(receive)
            if body is None:
                await self.app(scope, receive, send)  # the client went away: let the route deal with it
                return
            answer = await self._adapt(scope, body)
            if answer is not None:
                await self._send(scope, send, self.adapt_route, answer)
                return
            await self.app(scope, replayed(body, receive), send)
        else:
            await self.app(scope, receive, send)

    def _catalogue(self, headers: Headers) -> Catalogue:
        """The catalogue in the language asked for, chosen as ``get_localised_catalogue`` chooses it."""
        catalogue: Catalogue = state_of(self.api).catalogue
        return catalogue.in_language(choose_language(headers.get("accept-language")))

    async def _next(self, scope: Scope, user_id: str) -> Answer | None:
        headers = _plain_headers(scope)
        if headers is None or "/" in user_id:
            return None
        key = presented_key(headers)
        storage = state_of(self.api)
        tenant = keys.recently_authenticated(storage.remembered_keys, key) if key else None
        parsed = parse_query(NextParams, scope["query_string"])
        if tenant is None or parsed is None:
            return None
        try:
            logs.user_id_ok(user_id)
        except ValueError:
            return None
        engine, catalogue, metrics = state_of(self.api).engine, self._catalogue(headers), state_of(self.api).metrics
        return await _attempt(lambda: next_answer(engine, tenant, user_id, catalogue, parsed[0], metrics))

    async def _adapt(self, scope: Scope, body: bytes) -> Answer | None:
        headers = _plain_headers(scope)
        if headers is None:
            return None
        content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type != "application/json":
            return None
        catalogue, metrics = self._catalogue(headers), state_of(self.api).metrics

        def answer() -> Answer:
            request = AdaptRequest.model_validate(json.loads(body))
            check_history(request.history, catalogue)
            return adapted_answer(catalogue, request, metrics)

        return await _attempt(answer)

    async def _send(self, scope: Scope, send: Send, route: APIRoute, answer: Answer) -> None:
        scope["route"] = route
        metrics = state_of(self.api).metrics
        metrics.child(metrics.fast_path, route.path).inc()
        content, extra = answer
        head = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
        head += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
        await send({"type": "http.response.start", "status": 200, "headers": head})
        await send({"type": "http.response.body", "body": content})


def _plain_headers(scope: Scope) -> Headers | None:
    """The request's headers, or None when one is repeated: the route decides what that means."""
    headers = Headers(scope=scope)
    return headers if len(set(headers.keys())) == len(scope["headers"]) else None


# How many of the lane's answers run at once, in threads; the rest wait their turn on the event loop.
# The work is mostly Python under the GIL: at 16 connections, 16 threads taking turns cost ~2x the CPU
# a request (/workouts/next on SQLite: 12.9 ms, 6.2 ms with 4; 1 and 2 no better). A few, so that
# database waits (Postgres) overlap.
WORKERS = 4
_limiter: list[CapacityLimiter] = []


async def _attempt(answer: Callable[[], Answer]) -> Answer | None:
    """``answer()`` in a thread (it validates, reads the database, adapts), at most ``WORKERS`` at
    once; None on any error, for the route to raise again and answer as a problem."""
    if not _limiter:
        _limiter.append(CapacityLimiter(WORKERS))
    try:
        return await to_thread.run_sync(answer, limiter=_limiter[0])
    except Exception:
        return None
