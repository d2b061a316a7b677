"""The hottest public reads, served without FastAPI's per-request machinery.

FastAPI's routing and dependency solving cost more per request than the
whole of a bare Starlette endpoint (measured: a minimal FastAPI route reaches
0.44x of bare Starlette here). The catalogue and workouts are pure functions
of the query, so their plain success path can skip it:

- the query is validated by the *same* Pydantic model the FastAPI route uses,
  and rendered by the *same* function;
- anything else (a validation error, an unknown slug, an impossible workout,
  another method) falls through to the FastAPI routes, which stay the single
  source of every error body and of the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, get_origin
from urllib.parse import parse_qsl

from fastapi import FastAPI
from pydantic import BaseModel, ValidationError
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.exercises import ExerciseQuery, render_page
from app.api.languages import choose_language
from app.api.representations import not_modified, rendered
from app.api.workouts import WorkoutParams, render_workout
from app.catalogue import Catalogue
from app.problems import Problem

Answer = tuple[int, bytes, list[tuple[bytes, bytes]]] | None
Handler = Callable[[State, Scope, str], Answer]


def parse_query(model: type[BaseModel], raw: bytes) -> tuple[BaseModel, list[tuple[str, str]]] | None:
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


def _localised(state: State, scope: Scope) -> Catalogue:
    """The catalogue in the language the request asks for, chosen as the FastAPI routes choose it."""
    catalogue: Catalogue = state.catalogue
    return catalogue.in_language(choose_language(_header(scope, b"accept-language")))


def _cached(catalogue: Catalogue, scope: Scope, body: bytes) -> Answer:
    pages = rendered(catalogue)
    if not_modified(_if_none_match(scope), catalogue.etag):
        return 304, b"", pages.raw_headers
    return 200, body, pages.raw_headers


def exercise(state: State, scope: Scope, slug: str) -> Answer:
    catalogue = _localised(state, scope)
    body = rendered(catalogue).details.get(slug)
    return None if body is None else _cached(catalogue, scope, body)


def exercise_page(state: State, scope: Scope, _: str) -> Answer:
    catalogue = _localised(state, scope)
    body = _page(catalogue, scope["query_string"])
    return None if body is None else _cached(catalogue, scope, body)


@lru_cache(maxsize=1024)
def _page(catalogue: Catalogue, raw_query: bytes) -> bytes | None:
    # The catalogue never changes in a process, so a page is a pure function
    # of the raw query string: apps repeat the same few filter combinations.
    parsed = parse_query(ExerciseQuery, raw_query)
    if parsed is None:
        return None
    query, params = parsed
    return render_page(catalogue, query, params)  # type: ignore[arg-type]


def workout(state: State, scope: Scope, _: str) -> Answer:
    parsed = parse_query(WorkoutParams, scope["query_string"])
    if parsed is None:
        return None
    catalogue = _localised(state, scope)
    body = render_workout(catalogue, parsed[0], state.metrics)  # type: ignore[arg-type]
    language = catalogue.language.encode()
    return 200, body, [
        (b"x-catalogue-version", catalogue.version.encode()),
        (b"content-language", language),
        (b"vary", b"Accept-Language"),
    ]


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
                    answer = handler(self.api.state, scope, argument)
                except Problem:
                    answer = None  # the FastAPI route raises it again, as a problem response
                if answer is not None:
                    scope["route"] = RouteTemplate(template)  # what the access log and metrics read
                    await _send(send, *answer)
                    return
        await self.app(scope, receive, send)


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    head = list(headers)
    if status != 304:  # a 304 has no body, so no type or length either
        head += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


