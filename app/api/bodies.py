"""Request bodies are UTF-8 JSON with one value per key, and a large one is validated before the route.

One pure-ASGI middleware in front of the fast path and the router, so both see only bodies it let
through:

- a body sent as anything but JSON (``Content-Type`` not ``application/json`` or ``…+json``) or with a
  ``charset`` other than UTF-8 is a 415, and so are bytes that are not UTF-8 (the problem names the first
  bad byte's offset): ``json.loads`` guessed UTF-16 and UTF-32 from the bytes, so ``charset=utf-16`` bodies
  were read;
- an object with a key twice is a 422 (the parser kept the last value, silently);
- a body over ``LARGE_BODY_BYTES`` on a route whose body has a schema is validated here, once (with
  FastAPI's own field, so the errors are the route's), and an invalid one is answered here with the
  route's 422, bounded as every problem is (app.problems). Validating 14,000 invalid sets on the event
  loop held every other client for about 240 ms: a body too big to be validated whole in a few ms even
  at its worst (``_whole_first``) is scouted, in a worker thread; a smaller one is validated where it
  is (pydantic holds the GIL in a thread too, and the hop cost ~0.14 ms of CPU a request). On a route
  that needs a key, only a request whose key was checked in the last moments
  (``keys.recently_authenticated``) is validated here: anyone else gets the route's own answer (a 401
  comes before a 422).

A body that passed is handed on unchanged (the bytes replayed), with what was parsed in the scope
(``scope["hipflex.body"]``: the bytes, the JSON value and, if validated here, the model) for a
fast path (app.api.fastpath) to take instead of parsing again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from anyio import to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError
from starlette._utils import get_route_path  # (what Route.matches reads: the path less root_path)
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import keys
from app.api import posted_history
from app.api.auth import presented_key
from app.problems import MAX_ERRORS, FieldError, problem_response, validation_response
from app.state import state_of

LARGE_BODY_BYTES = 4 * 1024
SCOPE_KEY = "hipflex.body"
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found


def parse(body: bytes) -> Any:
    """The JSON value of a UTF-8 body; UnicodeDecodeError, DuplicateKey or json.JSONDecodeError."""
    return json.loads(body.decode("utf-8"), object_pairs_hook=_one_value_per_key)


def _needs_key(route: APIRoute) -> bool:
    def calls(dependants: Any) -> Iterator[str]:
        for dependant in dependants:
            yield getattr(dependant.call, "__name__", "")
            yield from calls(dependant.dependencies)

    return "authenticate" in calls(route.dependant.dependencies)


class BodyGate:
    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self._routes: list[tuple[APIRoute, bool]] | None = None

    def _route(self, scope: Scope) -> tuple[APIRoute, bool] | None:
        """The route with a JSON body that will serve this request, and whether it needs a key."""
        if self._routes is None:  # (routes are all added once the first request arrives)
            routes = (context.route for context in iter_route_contexts(self.api.routes))
            self._routes = [
                (route, _needs_key(route))
                for route in routes
                if isinstance(route, APIRoute) and route.body_field is not None
            ]
        # (method and path first: ``matches`` builds the child scope, and it ran for every body route)
        method, route_path = scope["method"], get_route_path(scope)
        for route, keyed in self._routes:
            if (
                (not route.methods or method in route.methods)
                and route.path_regex.match(route_path)
                and route.matches(scope)[0] is Match.FULL
            ):
                return route, keyed
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WITH_BODY:
            await self.app(scope, receive, send)
            return
        found = self._route(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        route, keyed = found
        headers = Headers(scope=scope)
        refusal = _media_type_refusal(headers.get("content-type"))
        if refusal is not None:
            await self._refuse(scope, send, 415, "unsupported-media-type", refusal)
            return
        body = await _read(receive)
        if body is None:
            await self.app(scope, receive, send)  # the client went away: the route deals with it
            return
        if body:
            validate = len(body) > LARGE_BODY_BYTES and (not keyed or self._authenticated(headers))
            if len(body) > LARGE_BODY_BYTES and not _whole_first(body):
                outcome = await to_thread.run_sync(_check, body, route if validate else None)
            else:
                outcome = _check(body, route if validate else None)
            if isinstance(outcome, _Refusal):
                await self._answer(scope, send, outcome)
                return
            scope[SCOPE_KEY] = outcome
        await self.app(scope, _replayed(body, receive), send)

    def _authenticated(self, headers: Headers) -> bool:
        key = presented_key(headers)
        return key is not None and keys.recently_authenticated(state_of(self.api).remembered_keys, key) is not None

    async def _answer(self, scope: Scope, send: Send, refusal: _Refusal) -> None:
        request = Request(scope)
        if refusal.raw_errors is not None:
            response = validation_response(request, refusal.raw_errors, refusal.total, more=refusal.more)
        else:
            response = problem_response(
                request, refusal.status, refusal.slug, refusal.detail, title=refusal.title, errors=refusal.errors
            )
        await response(scope, _no_receive, send)

    async def _refuse(self, scope: Scope, send: Send, status: int, slug: str, detail: str) -> None:
        await self._answer(scope, send, _Refusal(status, slug, detail))


class _Refusal:
    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        raw_errors: list[dict[str, Any]] | None = None,
        total: int | None = None,
        more: bool = False,
    ) -> None:
        self.status, self.slug, self.detail, self.title = status, slug, detail, title
        self.errors, self.raw_errors, self.total, self.more = errors, raw_errors, total, more


def _check(body: bytes, route: APIRoute | None) -> tuple[bytes, Any, Any] | _Refusal:
    """``body`` parsed (and, given a route, validated with its body field), or why not."""
    try:
        value = parse(body)
    except UnicodeDecodeError as bad:  # not UTF-8 JSON, so not a media type we take (issue 21): 415, and where
        where = f"byte {bad.start} (0x{body[bad.start]:02x})"
        message = f"{where} is not UTF-8"
        detail = f"The request body is not UTF-8: {message}. JSON bodies must be UTF-8."
        error = FieldError(location="body", field=f"byte {bad.start}", message=message)
        return _Refusal(415, "unsupported-media-type", detail, errors=[error])
    except RecursionError:
        return _Refusal(400, "bad-request", "The request body is nested too deeply to read.")
    except DuplicateKey as duplicate:
        message = f"the key {duplicate.key!r} appears twice in one object"
        error = FieldError(location="body", field=duplicate.key, message=message)
        detail = f"body: {message} (which one was meant?)."
        return _Refusal(422, "validation", detail, title="Invalid request", errors=[error])
    except json.JSONDecodeError as invalid:
        # Answered here as FastAPI would, rather than passed on: from the bytes, json.loads would
        # have guessed UTF-16 where this UTF-8 text was not JSON.
        decode_error = {"type": "json_invalid", "loc": ("body", invalid.pos), "msg": "JSON decode error"}
        return _Refusal(422, "validation", "", raw_errors=[{**decode_error, "ctx": {"error": invalid.msg}}])
    if route is None or route.body_field is None:
        return body, value, None
    # FastAPI's own field, so the model (and the errors) are the route's; its errors are built lean and
    # only the first few turned into ours (pydantic builds all of them: 14,000 cost ~100 ms, in here).
    adapter = route.body_field._type_adapter
    model_type = _body_model(route)
    whole: ValidationError | None = None
    if _whole_first(body):
        if model_type in posted_history.LEAN_MODELS:
            try:  # (the coach's history read straight into sessions; refused: the model says why, below)
                return body, value, posted_history.validate(model_type, value)
            except ValidationError:
                pass
        try:  # (most bodies are valid: scouting one first cost more than validating it)
            return body, value, adapter.validate_python(value, from_attributes=True)
        except ValidationError as invalid:
            whole = invalid  # answered as before: scouted first, so the errors are the same
    if model_type is not None:
        found, _ = scout(model_type, value, MAX_ERRORS)
        if found:
            return _Refusal(422, "validation", "", raw_errors=found, more=len(found) >= MAX_ERRORS)
    if whole is None:
        try:
            return body, value, adapter.validate_python(value, from_attributes=True)
        except ValidationError as invalid:
            whole = invalid
    every = whole.errors(include_url=False, include_input=False)
    errors: list[dict[str, Any]] = [{**error, "loc": ("body", *error["loc"])} for error in every[:MAX_ERRORS]]
    return _Refusal(422, "validation", "", raw_errors=errors, total=len(every))


# A body this small, with this few objects, is validated whole before it is scouted: even invalid in
# every object it can be, pydantic holds the GIL a few ms for it (measured, scouting included: 2 ms for
# 500 empty sets, whose errors each raise in Python; 4-6 ms for 20 KB of nulls or strings). A 30-session
# adapt body (18 KB, 350 objects) costs 1.2 ms parsed and validated whole, 2.6 ms scouted first.
WHOLE_FIRST_BYTES = 20 * 1024
WHOLE_FIRST_OBJECTS = 500


def _whole_first(body: bytes) -> bool:
    # ("{" in strings counts too: an overestimate, so still a bound)
    return len(body) <= WHOLE_FIRST_BYTES and body.count(b"{") <= WHOLE_FIRST_OBJECTS


SCOUT_BUDGET = 256  # item validations a large body's scouting may spend before validating it whole


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    """``M`` for a field annotated ``list[M]`` (possibly ``Annotated``/optional), M a model; else None."""
    for candidate in (annotation, *get_args(annotation)):
        origin = get_origin(candidate)
        if origin is Annotated:
            found = _list_item_model(get_args(candidate)[0])
            if found is not None:
                return found
        elif origin is list:
            (item,) = get_args(candidate) or (None,)
            if get_origin(item) is Annotated:
                item = get_args(item)[0]
            if isinstance(item, type) and issubclass(item, BaseModel):
                return item
    return None


@cache
def _list_fields(model: type[BaseModel]) -> tuple[tuple[str, type[BaseModel]], ...]:
    """(key, item model) of each of ``model``'s ``list[M]`` fields: read from the annotations once a model
    (read for every item scouted, they cost five times the validations themselves)."""
    found = ((field.alias or name, _list_item_model(field.annotation)) for name, field in model.model_fields.items())
    return tuple((key, item) for key, item in found if item is not None)


def scout(model: type[BaseModel], value: Any, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The first ``limit`` errors in the items of ``model``'s list fields, found one small item at a time.

    Pydantic validates a whole body in one call that holds the GIL: 14,000 invalid sets held it for
    35-60 ms a request, and every other client's request waited. Items are validated here one by
    one, the innermost lists first, and the search stops at ``limit`` errors (or after
    ``SCOUT_BUDGET`` items without one: then the body is validated whole, as before).
    """
    found: list[dict[str, Any]] = []
    budget = [SCOUT_BUDGET]

    def walk(kind: type[BaseModel], data: Any, loc: tuple[Any, ...]) -> None:
        if not isinstance(data, dict):
            return
        for key, item_kind in _list_fields(kind):
            items = data.get(key)
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items):
                if len(found) >= limit or budget[0] <= 0:
                    return
                where = (*loc, key, index)
                before = len(found)
                walk(item_kind, item, where)
                if len(found) > before:
                    continue  # its inner lists were wrong: enough said about this item
                budget[0] -= 1
                try:
                    item_kind.model_validate(item)
                except ValidationError as invalid:
                    errors = invalid.errors(include_url=False, include_input=False)
                    found.extend({**error, "loc": (*where, *error["loc"])} for error in errors[: limit - len(found)])

    walk(model, value, ("body",))
    return found, budget[0]


def _body_model(route: APIRoute) -> type[BaseModel] | None:
    annotation = route.body_field.field_info.annotation if route.body_field is not None else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _media_type_refusal(content_type: str | None) -> str | None:
    """Why a body of this Content-Type is refused, or None (no Content-Type is read as JSON, as before)."""
    if content_type is None:
        return None
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    suffixed = media_type.startswith("application/") and media_type.endswith("+json")
    json_type = media_type == "application/json" or suffixed
    if not json_type:
        return f"The request body must be application/json, not {media_type or 'empty'!r}."
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return f"The request body must be UTF-8 JSON, not charset={value.strip()}."
    return None


async def _read(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replayed(body: bytes, receive: Receive) -> Receive:
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
