"""Hot routes: one registry, declared at each route, and one dispatcher that serves it before the router.

FastAPI's routing, dependency solving and thread hops cost more per request than a whole bare Starlette
endpoint (a minimal FastAPI route reaches 0.44x of bare Starlette here). A route whose speed matters says so
where it is declared, naming the one function that answers it::

    @router.get("/workouts", ...)
    @fast(workout, query=WorkoutParams)
    async def generate_workout(request: Request, query: Annotated[WorkoutParams, Query()]) -> Response:
        return respond(request, workout, query=query)

``workout(call) -> Reply`` returns status, body and headers. The route calls it through ``respond``;
``FastPath``, in front of the router, calls the very same function for a request that matches the route's
method and path (compiled with Starlette's ``compile_path``). So headers, checks and errors live in one place,
and both paths send them through the same ``Response``.

The dispatcher validates with the route's own models: the query or body model declared here, the path
parameters' annotations read from the endpoint. A request any of them refuses goes to the router, which stays
the one source of FastAPI's validation errors (and of the API document). A valid request is authenticated by
``app.api.auth.tenant_of``, the ``authenticate`` dependency's own function, and answered: a ``Problem`` raised
by the answer is rendered as the route's exception handler renders it; any other exception is counted in
``hipflex_fast_path_errors_total{route}`` and raised, to be logged with the request id
(``app.observability``), never retried through the route.

Every answer counts in ``hipflex_fast_path_total{route}``, so tests can tell that the fast path ran.
``HIPFLEX_FAST_PATH=false`` leaves the dispatcher out.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar, cast, get_type_hints
from urllib.parse import parse_qsl

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api import posted_history
from app.api.auth import tenant_of
from app.api.bodies import SCOPE_KEY as GATE_KEY
from app.api.params import QueryMemo
from app.catalogue import Catalogue
from app.languages import choose_language
from app.problems import Problem, problem_answer
from app.state import AppState, state, state_of

JSON = "application/json"
Q = TypeVar("Q")
B = TypeVar("B")
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class Reply(NamedTuple):
    """What an answer is: status, body and headers (content type and length are the ``Response``'s)."""

    status: int
    body: bytes
    headers: Mapping[str, str]


class FixedHeaders(dict[str, str]):
    """Headers that many answers share (a catalogue's), and the body's type, encoded once for ``Sent``: with the
    length, one tuple per body length (-1: a 304), shared, which app.api.delivery knows again as it passes."""

    def __init__(self, headers: Mapping[str, str], media_type: str = JSON) -> None:
        super().__init__(headers)
        self.raw = _encoded(self)
        self.media = media_type.encode("latin-1")
        self.sent: dict[int, tuple[tuple[bytes, bytes], ...]] = {}  # (at most 256 lengths kept)


def _encoded(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


class Sent(Response):
    """A ``Reply`` as the response sent, for the route and the fast path alike (so both send the same
    headers in the same order): the reply's headers, then length and type, as Starlette's ``Response``
    orders them, without its header merging (a third of the fast path's own time on a cached read)."""

    media_type = JSON

    def __init__(self, reply: Reply) -> None:
        self.status_code = status = reply.status
        self.background = None
        self.body = body = b"" if status == 304 else reply.body  # a 304: no body, so no type or length either
        headers, length = reply.headers, -1 if status == 304 else len(body)
        if not isinstance(headers, FixedHeaders):
            self.raw_headers = _encoded(headers) + _tail(length, b"application/json")
        elif (raw := headers.sent.get(length)) is not None:
            self.raw_headers = raw  # type: ignore[assignment]  # (a tuple: a header set on it fails, never leaks)
        else:
            self.raw_headers = raw = (*headers.raw, *_tail(length, headers.media))  # type: ignore[assignment]
            if len(headers.sent) < 256:
                headers.sent[length] = raw


def _tail(length: int, media: bytes) -> list[tuple[bytes, bytes]]:
    return [] if length < 0 else [(b"content-length", str(length).encode()), (b"content-type", media)]


@dataclass(slots=True)
class Call(Generic[Q, B]):
    """One request as an answer sees it, however it came: validated parameters and the app's state."""

    state: AppState
    scope: Scope
    params: dict[str, Any]
    query: Q
    body: B
    tenant: str = ""
    _catalogue: Catalogue | None = field(default=None, repr=False)

    def header(self, name: bytes) -> str | None:
        """The first value of a request header (``name`` in lower case), as ``request.headers`` gives it."""
        for key, value in self.scope["headers"]:
            if key == name:
                return str(value.decode("latin-1"))
        return None

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue in the language ``Accept-Language`` asks for (as ``get_localised_catalogue``)."""
        if self._catalogue is None:
            self._catalogue = self.state.catalogue.in_language(choose_language(self.header(b"accept-language")))
        return self._catalogue

    def query_items(self) -> list[tuple[str, str]]:
        """The query string's pairs, in order (``request.query_params.multi_items()``)."""
        return parse_qsl(self.scope["query_string"].decode("latin-1"), keep_blank_values=True)


Answer = Callable[[Call[Any, Any]], Reply] | Callable[[Call[Any, Any]], Awaitable[Reply]]


@dataclass(frozen=True)
class Hot:
    """A route's entry in the registry: how the fast path answers it.

    ``query``/``body``: the models the route takes them as; ``needs_key``: the route depends on
    ``authenticate``; ``thread``: a plain ``answer`` that blocks (the database) or computes for long
    runs in a worker thread, at most ``workers`` at once (the rest wait on the event loop);
    ``headers``: request headers the route validates as parameters, each with its check; ``kept``: the
    answer when it is kept and can be found without blocking (else None), tried on the loop first.
    """

    answer: Answer
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    needs_key: bool = False
    thread: bool = False
    workers: int | None = None
    headers: Mapping[bytes, Callable[[str], bool]] = field(default_factory=dict)
    kept: Callable[[Call[Any, Any]], Reply | None] | None = None


REGISTRY: dict[Callable[..., Any], Hot] = {}
"""Endpoint function -> its entry; filled by ``fast`` where each route is declared."""


def fast(answer: Answer, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """Put the route below on the fast path, answered by ``answer`` (the route must call it too)."""

    def register(endpoint: Endpoint) -> Endpoint:
        REGISTRY[endpoint] = Hot(answer, **options)
        return endpoint

    return register


def call_of(
    request: Request, *, query: Any = None, body: Any = None, tenant: str = "", **params: Any
) -> Call[Any, Any]:
    return Call(state(request), request.scope, params, query, body, tenant)


def respond(request: Request, answer: Callable[[Call[Any, Any]], Reply], **given: Any) -> Response:
    """The route's side: ``answer`` for this request (its parameters validated by FastAPI) as a response."""
    return Sent(answer(call_of(request, **given)))


async def respond_async(
    request: Request, answer: Callable[[Call[Any, Any]], Awaitable[Reply]], **given: Any
) -> Response:
    return Sent(await answer(call_of(request, **given)))


@dataclass
class Compiled:
    """A registry entry bound to its route in one app."""

    route: APIRoute
    path: str
    hot: Hot
    regex: re.Pattern[str]
    params: dict[str, TypeAdapter[Any]]
    shadows: list[re.Pattern[str]]  # earlier routes of the same method that might match the same paths
    limiter: CapacityLimiter | None = None
    is_async: bool = False


def _compile(route: APIRoute, path: str, hot: Hot, earlier: list[tuple[APIRoute, str]]) -> Compiled:
    regex, _, convertors = compile_path(path)
    hints = get_type_hints(route.endpoint, include_extras=True)
    params = {name: TypeAdapter(hints[name]) for name in convertors}
    shadows = [
        compile_path(other_path)[0]
        for other, other_path in earlier
        if (other.methods or set()) & (route.methods or set()) and _may_overlap(other_path, path)
    ]
    return Compiled(
        route, path, hot, regex, params, shadows,
        CapacityLimiter(hot.workers) if hot.workers else None,
        inspect.iscoroutinefunction(hot.answer),
    )


def _may_overlap(a: str, b: str) -> bool:
    """Whether two path templates could match one path: as many segments, and literals that agree."""
    left, right = a.split("/"), b.split("/")
    return len(left) == len(right) and all(
        x == y or x.startswith("{") or y.startswith("{") for x, y in zip(left, right, strict=True)
    )


class FastPath:
    """Pure-ASGI middleware in front of the router; see the module docstring."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self.running: AppState | None = None
        self.queries = QueryMemo()
        self.exact: dict[tuple[str, str], Compiled] = {}
        self.templated: dict[str, list[Compiled]] = {}
        # (method, path) of every API route in the order the router tries them, through included routers
        routes = [
            (context.original_route, context.path)
            for context in iter_route_contexts(api.routes)
            if isinstance(context.original_route, APIRoute) and context.path
        ]
        for index, (route, path) in enumerate(routes):
            hot = REGISTRY.get(route.endpoint)
            if hot is None:
                continue
            compiled = _compile(route, path, hot, routes[:index])
            for method in route.methods or ():
                if compiled.params:
                    self.templated.setdefault(method, []).append(compiled)
                else:
                    self.exact[(method, path)] = compiled

    def entries(self) -> list[Compiled]:
        """Every route this dispatcher serves (the parity test walks them)."""
        found = {id(c): c for c in [*self.exact.values(), *(c for cs in self.templated.values() for c in cs)]}
        return list(found.values())

    def _match(self, method: str, path: str) -> tuple[Compiled, dict[str, str]] | None:
        compiled = self.exact.get((method, path))
        if compiled is not None:
            return compiled, {}
        for compiled in self.templated.get(method, ()):
            match = compiled.regex.match(path)
            if match is not None and not (compiled.shadows and any(shadow.match(path) for shadow in compiled.shadows)):
                return compiled, match.groupdict()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        compiled, raw_params = found
        hot = compiled.hot
        raw_body = b""
        if hot.body is not None:
            read = await read_body(receive)
            if read is None:
                await self.app(scope, receive, send)  # the client went away: let the route deal with it
                return
            raw_body = read
            receive = replayed(raw_body, receive)
        call = self._call(compiled, scope, raw_params, raw_body)
        if call is None:
            await self.app(scope, receive, send)  # the route says what is wrong, as FastAPI does
            return
        scope["route"] = compiled.route  # what the access log, the metrics and delivery read
        running = call.state
        metrics = running.metrics
        try:
            if hot.needs_key:
                call.tenant = await tenant_of(running, Headers(scope=scope))
            if (kept := hot.kept(call) if hot.kept is not None else None) is not None:
                reply = kept
            elif compiled.is_async:
                reply = await cast("Awaitable[Reply]", hot.answer(call))  # (a string: no typing objects a request)
            elif hot.thread:
                reply = await to_thread.run_sync(hot.answer, call, limiter=compiled.limiter)  # type: ignore[arg-type]
            else:
                reply = cast("Reply", hot.answer(call))
            answered: Response = Sent(reply)
        except Problem as problem:
            answered = problem_answer(Request(scope), problem)
        except Exception:
            metrics.child(metrics.fast_path_errors, compiled.path).inc()
            raise  # logged with the request id by app.observability; the route does not try again
        metrics.fast_path.inc(compiled.path)
        # (what Response.__call__ sends, without its checks for websockets and background tasks)
        await send({"type": "http.response.start", "status": answered.status_code, "headers": answered.raw_headers})
        await send({"type": "http.response.body", "body": answered.body})

    def _call(
        self, compiled: Compiled, scope: Scope, raw_params: dict[str, str], raw_body: bytes
    ) -> Call[Any, Any] | None:
        """The validated request, or None where the route would refuse it (FastAPI words the 4xx)."""
        hot = compiled.hot
        params: dict[str, Any] = {}
        if raw_params:
            # (pydantic-core's validator itself: TypeAdapter.validate_python checks its options, then calls it)
            try:
                for name, adapter in compiled.params.items():
                    params[name] = adapter.validator.validate_python(raw_params[name])
            except ValidationError:
                return None
        if hot.headers:
            for name, value in scope["headers"]:
                check = hot.headers.get(name)
                if check is not None and not check(value.decode("latin-1")):
                    return None
        query = None
        if hot.query is not None:
            query = self.queries.parse(hot.query, scope["query_string"])
            if query is None:
                return None
        body = None
        if hot.body is not None:
            body = _parse_body(hot.body, scope, raw_body)
            if body is None:
                return None
        if self.running is None:
            self.running = state_of(self.api)  # (built by create_app before the first request)
        return Call(self.running, scope, params, query, body)


def _parse_body(model: type[BaseModel], scope: Scope, raw: bytes) -> BaseModel | None:
    content_type = "application/json"
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value.decode("latin-1")
            break
    if content_type.split(";")[0].strip().lower() != JSON:
        return None
    # The body gate in front (app.api.bodies) is the one place a body is parsed (one value a key, UTF-8)
    # and, if large, validated with the route's own field: take what it made. A body it did not parse
    # (an empty one) goes to the route.
    gate = scope.get(GATE_KEY)
    if gate is None or gate[0] is not raw:
        return None
    _, value, validated = gate
    if isinstance(validated, model):
        return validated
    lean = model in posted_history.LEAN_MODELS  # (refused lean: the route asks the model)
    try:  # (Python mode, as the route validates what json.loads gave it)
        return posted_history.validate(model, value) if lean else model.model_validate(value)
    except (ValueError, RecursionError):  # not this model (a 422), or too deep (a 400)
        return None


async def read_body(receive: Receive) -> bytes | None:
    """A request's whole body (the body cap sits outside), or None if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replayed(body: bytes, receive: Receive) -> Receive:
    """``receive`` with ``body``, already read, given again first: for the route it hands over to."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
