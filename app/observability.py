"""Request ids, structured access logs and Prometheus metrics.

One pure-ASGI middleware does all three (Starlette's BaseHTTPMiddleware
costs far more per request). Log lines carry the route *template*, never the
raw path (user ids live in paths), a body, a note or a pain score.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import sys
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import outages
from app.layers import Layer
from app.loop_metrics import LoopCounter, RequestMetrics
from app.problems import MEDIA_TYPE, problem_body

ACCESS_LOGGER = "hipflex.access"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class Metrics:
    """The service's Prometheus metrics, on a registry of the app's own.

    Those counted on every request (``requests``: count and latency; ``fast_path``) are changed on the
    event loop's thread only, without prometheus_client's locks (app.loop_metrics); the rest are
    prometheus_client's, as routes in worker threads change them. Registered in this order, which is
    the order of ``/metrics``.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = RequestMetrics(
            ("hipflex_http_requests", "HTTP requests handled."),
            ("hipflex_http_request_duration_seconds", "Time to handle an HTTP request."),
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.workouts = Counter("hipflex_workouts_generated", "Workouts generated.", ["goal"], registry=self.registry)
        self.logs_written = Counter("hipflex_logs_written", "Workout logs created.", registry=self.registry)
        self.fast_path = LoopCounter(
            "hipflex_fast_path", "Requests the fast path answered.", ["route"], registry=self.registry
        )
        self.fast_path_errors = Counter(
            "hipflex_fast_path_errors",
            "Requests the fast path failed on (an exception, not a problem answer; logged with the request id).",
            ["route"],
            registry=self.registry,
        )
        self.replays = Counter(
            "hipflex_idempotent_replays", "POSTs answered from an Idempotency-Key record.", registry=self.registry
        )
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def child(self, metric: Counter, *labels: str) -> Any:
        """``metric.labels(*labels)``, remembered: prometheus_client checks and locks on every call (about
        10 us). Label values are route templates and goals: few."""
        key = (id(metric), labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"))


class _Stdout(logging.StreamHandler[Any]):
    """Writes to whatever ``sys.stdout`` is now (test capture swaps it)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str) -> None:
    """JSON lines on stdout for our loggers and uvicorn's; safe to call twice."""
    handler = _Stdout()
    handler.setFormatter(JsonFormatter())
    for name in ("hipflex", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    uvicorn_errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _AbortedQuietly) for f in uvicorn_errors.filters):
        uvicorn_errors.addFilter(_AbortedQuietly())


class _AbortedQuietly(logging.Filter):
    """Drops uvicorn's traceback for a response aborted on purpose (``ResponseAborted``): the failure
    is already logged in one line by ``Observability``, and uvicorn closes the connection either way."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ResponseAborted))


class Observability(Layer):
    """Tags every request with an id, times it, logs it and counts it."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: AccessLog | None) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log
        self.logger = logging.getLogger(ACCESS_LOGGER)
        self.errors = logging.getLogger("hipflex.errors")
        # Request ids need to be unique, not secret: a private, OS-seeded
        # generator is far cheaper than uuid4 (and immune to anyone seeding
        # the global one).
        self.ids = random.Random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.next(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                text = value.decode("latin-1")
                request_id = text if _REQUEST_ID.match(text) else None
                break
        if request_id is None:  # (the hex of 16 bytes is f"{bits:032x}" at a quarter of its cost)
            request_id = self.ids.getrandbits(128).to_bytes(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode())
        status: int | None = None  # (until the answer starts)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.next(scope, receive, send_with_id)
        except Exception as error:
            # Here, not in Starlette's outermost handler, so that the answer still carries the
            # request id; and logged without the SQL parameters a driver's message may quote.
            unavailable = outages.unavailable(error)
            level = logging.WARNING if unavailable else logging.ERROR
            fields = {"request_id": request_id}
            text = outages.summary(error) if unavailable else outages.describe(error)
            self.errors.log(level, "request failed: %s", text, extra={"fields": fields})
            if status is not None:  # half an answer is out: only closing the connection tells the client
                raise ResponseAborted() from None
            status = 503 if unavailable else 500
            head, body = _failure(scope, status)
            await send_with_id(head)
            await send(body)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"  # a client cannot add series
            if status is None:
                status = 500
            self.metrics.requests.count(method, route, status, elapsed)
            if self.access_log is not None and self.logger.isEnabledFor(logging.INFO):
                self.access_log.write(method, route, status, elapsed, request_id)


class ResponseAborted(Exception):
    """A response failed after it had started; the connection is closed (details in hipflex.errors)."""


def _failure(scope: Scope, status: int) -> tuple[Message, Message]:
    """The problem answer to a request that failed: 503 (retry shortly) or 500."""
    if status == 503:
        slug, detail = "unavailable", "The database is unavailable; retry shortly."
    else:
        slug, detail = "internal", "The server failed to handle this request."
    body = problem_body(status, slug, detail, instance=scope.get("path"))
    headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", str(outages.RETRY_AFTER_SECONDS).encode()))
    start = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": body}


class AccessLog:
    """JSON access-log lines on stdout, written in small batches under load.

    Lines are formatted by hand, not through logging's machinery, and the
    write is batched: this runs on every request, and one write() per request
    costs more than a bare endpoint. After a quiet spell a line is written at
    once; under load lines wait at most ``max_delay`` seconds. A request only
    keeps its numbers; they are put into words when the batch is written (off
    the request, on the event loop's timer, under load).
    """

    max_delay = 0.05
    max_lines = 256

    def __init__(self) -> None:
        self.lines: list[tuple[float, str, str, int, float, str]] = []
        self.last_flush = 0.0
        self.flush_scheduled = False
        self._second = -1
        self._stamp = ""
        self._middles: dict[tuple[str, str, int], str] = {}
        # ".000" to ".999" (and ".1000", as the format gave it, should a product round up): a look-up, not a
        # format (about 2,000 instructions a line); the same for a duration's thousandths of a millisecond.
        self._millis = [f".{millis:03d}" for millis in range(1001)]

    def write(self, method: str, route: str, status: int, elapsed: float, request_id: str) -> None:
        now = time.time()
        lines = self.lines
        lines.append((now, method, route, status, elapsed, request_id))
        if now - self.last_flush >= self.max_delay or len(lines) >= self.max_lines:
            self.flush()
        elif not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_later(self.max_delay, self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        self.last_flush = time.time()
        if self.lines:
            lines, self.lines = self.lines, []
            sys.stdout.write(self._text(lines))
            sys.stdout.flush()

    def _text(self, lines: list[tuple[float, str, str, int, float, str]]) -> str:
        """The lines' JSON, one a line: in one loop, everything it looks up held in locals."""
        seen, stamp, middles, thousandths = self._second, self._stamp, self._middles, self._millis
        text = []
        for now, method, route, status, elapsed, request_id in lines:
            if not seen <= now < seen + 1:
                seen = int(now)
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seen))
            # The part between the time and the duration is the same for every request of a route and status:
            # built once (the f-string with json.dumps cost about 4 us a request, more than the rest of the line).
            middle = middles.get((method, route, status))
            if middle is None:
                # Every value is ours or validated: the method by the HTTP parser, the route is a template.
                middle = middles[(method, route, status)] = (
                    f'Z","level":"info","logger":"{ACCESS_LOGGER}","message":"request","method":"{method}",'
                    f'"route":{json.dumps(route)},"status":{status},"duration_ms":'
                )
            # The duration in milliseconds to 3 decimals (as ``f"{ms:.3f}"``, at a fifth of its cost); the id is
            # ours or matched the regex. (``now - seen`` is ``now % 1``, without a call to fmod.)
            micros = int(elapsed * 1_000_000.0 + 0.5)
            text.append(
                f'{{"ts":"{stamp}{thousandths[int((now - seen) * 1000)]}{middle}{micros // 1000}'
                f'{thousandths[micros % 1000]},"request_id":"{request_id}"}}\n'
            )
        self._second, self._stamp = seen, stamp
        return "".join(text)
