"""The hot routes' success path, served without FastAPI's per-request machinery.

FastAPI's routing and dependency solving cost more per request than the
whole of a bare Starlette endpoint (measured: a minimal FastAPI route reaches
0.44x of bare Starlette here). Two lanes skip it for the plain success case:
``FastPath`` for the catalogue and workouts (pure functions of the query) and
``CreateLogFastLane`` for new logs.

- a request is validated by the *same* Pydantic models and checks the FastAPI
  routes use (the key reader, the user-id check, the Idempotency-Key rule),
  and answered by the *same* functions;
- anything else (a validation error, an unknown slug, an impossible workout,
  another method, an unknown key) falls through to the FastAPI routes, which
  stay the single source of every error body and of the OpenAPI document.

Every answer a lane gives counts in ``hipflex_fast_path_total{route}``, so the
tests can tell that it ran. ``HIPFLEX_FAST_PATH=false`` leaves both out.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, get_origin
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import idempotency, keys, logs
from app.api.auth import presented_key
from app.api.exercises import ExerciseQuery, render_page
from app.api.logs import answer, check_exercises, create_log
from app.api.logs import router as logs_router
from app.api.representations import base_url, link_next, not_modified, rendered
from app.api.workouts import WorkoutParams, answer_workout
from app.catalogue import Catalogue
from app.languages import choose_language
from app.logs import LogCreate
from app.problems import Problem
from app.state import AppState, state_of

# The routes the lanes stand in for, and the dependencies of each route, all of which the lane does
# itself (authenticate: presented_key and the remembered keys; valid_log_create: LogCreate and
# check_exercises; the get_* ones: the app's AppState). A test compares this with the routes: a dependency
# added to one of them fails it until the lane does that work too.
ROUTE_DEPENDENCIES = {
    ("GET", "/exercises"): {"get_localised_catalogue", "get_settings"},
    ("GET", "/exercises/{slug}"): {"get_localised_catalogue"},
    ("GET", "/workouts"): {"get_localised_catalogue", "get_metrics"},
    ("POST", "/users/{user_id}/logs"): {
        "authenticate", "valid_log_create", "get_state", "get_settings", "get_metrics"
    },
    # app.api.answer_lane (answers kept by the routes; get_engine and get_answers: the app's AppState)
    ("GET", "/users/{user_id}/records"): {"authenticate", "get_engine", "get_answers"},
    ("GET", "/users/{user_id}/progress"): {"authenticate", "get_engine", "get_answers"},
    # app.api.coachlane's (get_engine: the app state's engine; valid_adapt_request: AdaptRequest and check_history)
    ("GET", "/users/{user_id}/workouts/next"): {"authenticate", "get_engine", "get_localised_catalogue", "get_metrics"},
    ("POST", "/workouts/adapt"): {"get_localised_catalogue", "get_metrics", "valid_adapt_request"},
}

Answer = tuple[int, bytes, list[tuple[bytes, bytes]]] | None
Handler = Callable[[AppState, Scope, str], Answer]
Query = TypeVar("Query", bound=BaseModel)


def parse_query(model: type[Query], raw: bytes) -> tuple[Query, list[tuple[str, str]]] | None:
    """Validate a query string as FastAPI would for ``Annotated[model, Query()]``; None to fall through."""
    params = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    lists = _list_fields(model)
    data: dict[str, Any] = {}
    for key, value in params:
        if key in lists:
            data.setdefault(key, []).append(value)
        elif key in data:
            return None  # a repeated scalar: let FastAPI decide
        else:
            data[key] = value
    try:
        return model.model_validate(data), params
    except ValidationError:
        return None


_LIST_FIELDS: dict[type[BaseModel], frozenset[str]] = {}


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    fields = _LIST_FIELDS.get(model)
    if fields is None:
        fields = frozenset(name for name, f in model.model_fields.items() if get_origin(f.annotation) is list)
        _LIST_FIELDS[model] = fields
    return fields


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _if_none_match(scope: Scope) -> str | None:
    return _header(scope, b"if-none-match")


def _localised(state: AppState, scope: Scope) -> Catalogue:
    """The catalogue in the language the request asks for, chosen as the FastAPI routes choose it."""
    catalogue: Catalogue = state.catalogue
    return catalogue.in_language(choose_language(_header(scope, b"accept-language")))


def _cached(catalogue: Catalogue, scope: Scope, body: bytes, headers: list[tuple[bytes, bytes]]) -> Answer:
    if not_modified(_if_none_match(scope), catalogue.etag):
        return 304, b"", headers
    return 200, body, headers


def exercise(state: AppState, scope: Scope, slug: str) -> Answer:
    catalogue = _localised(state, scope)
    pages = rendered(catalogue)
    body = pages.details.get(slug)
    return None if body is None else _cached(catalogue, scope, body, pages.raw_headers)


def exercise_page(state: AppState, scope: Scope, _: str) -> Answer:
    catalogue = _localised(state, scope)
    raw_query: bytes = scope["query_string"]
    # One cache per catalogue (each language is its own catalogue, with its own ETag).
    caches: dict[str, PageCache] = state.exercise_pages
    cache = caches.get(catalogue.etag)
    if cache is None or cache.catalogue is not catalogue:
        cache = caches[catalogue.etag] = PageCache(catalogue)
    base = base_url(scope, state.settings.public_url)
    page = cache.get(base, raw_query)
    if page is None:
        parsed = parse_query(ExerciseQuery, raw_query)
        if parsed is None:
            return None
        query, params = parsed
        body, following = render_page(catalogue, query, params, base)
        headers = rendered(catalogue).raw_headers
        if following is not None:
            headers = [*headers, (b"link", link_next(following).encode())]
        page = body, headers
        cache.put(base, raw_query, page)
    return _cached(catalogue, scope, *page)


Page = tuple[bytes, list[tuple[bytes, bytes]]]  # the body and its headers (the Link to the next page among them)


class PageCache:
    """Rendered ``/exercises`` pages by where links start and raw query string, bounded in bytes.

    The catalogue never changes in a process, so a page is a pure function of
    the base URL and the query: apps repeat the same few filter combinations.
    Only short query strings are kept (a page echoes its query in ``next``), and
    the least recently used pages go first once ``max_bytes`` is reached.
    """

    MAX_KEY = 512
    MAX_BYTES = 8 * 1024 * 1024

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.pages: OrderedDict[tuple[str, bytes], Page] = OrderedDict()
        self.size = 0

    def get(self, base: str, raw_query: bytes) -> Page | None:
        page = self.pages.get((base, raw_query))
        if page is not None:
            self.pages.move_to_end((base, raw_query))
        return page

    def put(self, base: str, raw_query: bytes, page: Page) -> None:
        key = (base, raw_query)
        if len(raw_query) + len(base) > self.MAX_KEY or key in self.pages:
            return
        self.pages[key] = page
        self.size += len(base) + len(raw_query) + len(page[0])
        while self.size > self.MAX_BYTES:
            (old_base, old_query), (evicted, _) = self.pages.popitem(last=False)
            self.size -= len(old_base) + len(old_query) + len(evicted)


def workout(state: AppState, scope: Scope, _: str) -> Answer:
    parsed = parse_query(WorkoutParams, scope["query_string"])
    if parsed is None:
        return None
    catalogue = _localised(state, scope)
    status, body, headers = answer_workout(catalogue, parsed[0], state.metrics, _if_none_match(scope))
    return status, body, [(name.lower().encode(), value.encode()) for name, value in headers.items()]


@dataclass(frozen=True)
class RouteTemplate:
    path: str


class FastPath:
    """Pure-ASGI middleware in front of the router; see the module docstring."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self.exact: dict[str, Handler] = {"/exercises": exercise_page, "/workouts": workout}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            handler = self.exact.get(path)
            template, argument = path, ""
            if handler is None and path.startswith("/exercises/") and path.count("/") == 2:
                handler, template, argument = exercise, "/exercises/{slug}", path[11:]
            if handler is not None:
                try:
                    answer = handler(state_of(self.api), scope, argument)
                except Problem:
                    answer = None  # the FastAPI route raises it again, as a problem response
                if answer is not None:
                    scope["route"] = RouteTemplate(template)  # what the access log and metrics read
                    metrics = state_of(self.api).metrics
                    metrics.child(metrics.fast_path, template).inc()
                    await _send(send, *answer)
                    return
        await self.app(scope, receive, send)


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    head = list(headers)
    if status != 304:  # a 304 has no body, so no type or length either
        head += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes | None:
    """A request's whole body (the body cap sits outside the lanes), or None if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replayed(body: bytes, receive: Receive) -> Receive:
    """``receive`` with ``body``, already read by a lane, given again first: for the route it hands over to."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class CreateLogFastLane:
    """``POST /users/{user_id}/logs`` without FastAPI's per-request machinery, for the success path.

    Measured on the write benchmark, FastAPI's routing, dependency solving and
    body handling cost about as much as the write itself. This lane parses with
    the same model, checks with the same functions and writes with the same
    store call as ``create_log``, and answers a new log or an idempotent replay
    as it does. Everything else (no key, a key not seen in the last second,
    anything invalid, an ``Idempotency-Key`` that is reused or in flight) goes
    on to the FastAPI route with the body replayed.
    """

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        # What the access log and the metrics read, as if the router had matched.
        self.route = next(r for r in logs_router.routes if isinstance(r, APIRoute) and r.endpoint is create_log)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        ours = scope["type"] == "http" and scope["method"] == "POST"
        if not (ours and path.startswith("/users/") and path.endswith("/logs")):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            await self.app(scope, receive, send)  # the client went away: let the route deal with it
            return
        outcome = await self._create(scope, path[7:-5], body)
        if outcome is None:
            await self.app(scope, replayed(body, receive), send)
            return
        scope["route"] = self.route
        metrics = state_of(self.api).metrics
        metrics.child(metrics.fast_path, self.route.path).inc()
        status, extra, content = answer(outcome, metrics)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
        headers += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _create(self, scope: Scope, user_id: str, body: bytes) -> logs.Created | idempotency.Replay | None:
        """The stored log (or the replayed answer), or None to hand the request to the route."""
        if "/" in user_id:
            return None  # not this route's path
        headers = Headers(scope=scope)
        if len(set(headers.keys())) != len(scope["headers"]):
            return None  # repeated headers: the route decides what they mean
        idempotency_key = headers.get("idempotency-key")
        if idempotency_key is not None and not idempotency.valid_key(idempotency_key):
            return None
        content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if content_type != "application/json":
            return None
        key = presented_key(headers)
        storage = state_of(self.api)
        tenant = keys.recently_authenticated(storage.remembered_keys, key) if key else None
        if tenant is None:
            return None
        try:
            logs.user_id_ok(user_id)
            data = LogCreate.model_validate(json.loads(body))
            check_exercises(data.entries, state_of(self.api).catalogue)
        except Exception:  # invalid in any way: the route says how, as a problem
            return None
        ttl = timedelta(hours=state_of(self.api).settings.idempotency_ttl_hours)
        try:
            return await logs.create_async(storage.log_writer, tenant, user_id, data, idempotency_key, ttl)
        except (idempotency.KeyReused, idempotency.KeyInFlight, logs.ClaimLost):
            return None  # nothing was written: the route claims again and answers with the problem
