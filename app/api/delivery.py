"""How every response leaves the service: HEAD, gzip, no-store on personal data, deprecation headers.

One pure-ASGI middleware outside the routes *and* the fast path, so each rule
holds for every route, present and future, and both paths give the same bytes:

- ``HEAD`` is answered as ``GET`` with the body dropped (same headers, the
  length included): FastAPI's API routes do not add HEAD themselves.
- A JSON or text body of 1 kB or more is gzipped when ``Accept-Encoding``
  allows it (q-values honoured). ``Vary: Accept-Encoding`` goes on every such
  type, even when small, so a shared cache never serves gzip to a client that
  did not ask. A gzipped answer gets its own strong ETag, the identity one
  with ``-gzip`` appended (RFC 9110 §8.8.3: a strong validator changes with
  the content coding); an ``If-None-Match`` naming it revalidates as the
  identity tag would.
- Bodies with a strong ETag never change for that tag (the catalogue, goals,
  seeded workouts), so their gzip is computed once and remembered. A body
  spliced from a shared head and its own tail (a fresh-seed workout) brings
  its own gzip, the head's compressed once (``app.api.spliced``).
- Everything under ``/users/`` is personal data: ``Cache-Control: no-store``,
  errors included.
- A route listed in ``DEPRECATIONS`` answers with ``Deprecation`` (RFC 9745),
  ``Sunset`` (RFC 8594) and a ``Link`` to what replaces it.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.spliced import Spliced

MIN_GZIP_BYTES = 1024  # the default of HIPFLEX_GZIP_MIN_BYTES
# Measured on 600 /workouts bodies (6.4 kB): level 1 gives 2.19 kB, level 6 2.01 kB at about twice
# the CPU (the machine was shared, so only the ratio holds). A body compressed per request gets level 1;
# one compressed once and remembered gets level 9, whose cost is paid once.
LEVEL_PER_REQUEST = 1
LEVEL_REMEMBERED = 9
MEMO_BYTES = 16 * 1024 * 1024  # bodies and their gzip; the docs bundles alone are about 3.5 MB
PERSONAL_PREFIX = "/users/"
COMPRESSIBLE = (b"application/json", b"application/problem+json", b"text/", b"application/javascript")


@dataclass(frozen=True)
class Deprecation:
    """A route on its way out: when it was deprecated, when it goes, and what to use instead."""

    since: datetime
    sunset: datetime
    successor: str  # a path, e.g. "/v2/goals"

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"deprecation", f"@{int(self.since.timestamp())}".encode()),
            (b"sunset", format_datetime(self.sunset.astimezone(UTC), usegmt=True).encode()),
            (b"link", f'<{self.successor}>; rel="successor-version"'.encode()),
        ]


# (method, route template) -> its deprecation. Empty today; see the README's compatibility policy.
DEPRECATIONS: dict[tuple[str, str], Deprecation] = {}


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip: ``gzip`` or ``*`` with a q-value above 0."""
    allowed: bool | None = None
    star = False
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding in ("gzip", "x-gzip"):
            allowed = quality > 0
        elif coding == "*":
            star = quality > 0
    return star if allowed is None else allowed


_ACCEPTS: dict[bytes, bool] = {}


def _accepts(value: bytes) -> bool:
    # Clients send one of a handful of values: parse each once (bounded, so strangers cannot grow it).
    known = _ACCEPTS.get(value)
    if known is None:
        known = accepts_gzip(value.decode("latin-1"))
        if len(_ACCEPTS) < 256:
            _ACCEPTS[value] = known
    return known


_MEMO: dict[bytes, bytes] = {}
_memo_bytes = 0


def compress(body: bytes, remember: bool) -> bytes:
    """The gzip of ``body``, deterministic (mtime 0) so the same body always gives the same bytes.

    ``remember``: the body is immutable for its ETag and will be asked for again; keep its gzip
    (keyed by the body itself, whose hash Python computes once per bytes object), oldest out first.
    """
    global _memo_bytes
    if isinstance(body, Spliced):  # (its head compressed once: see app.api.spliced)
        return body.gzip()
    if remember:
        known = _MEMO.get(body)
        if known is not None:
            return known
    packed = gzip.compress(body, LEVEL_REMEMBERED if remember else LEVEL_PER_REQUEST, mtime=0)
    if remember and len(body) + len(packed) <= MEMO_BYTES // 4:
        _MEMO[body] = packed
        _memo_bytes += len(body) + len(packed)
        while _memo_bytes > MEMO_BYTES:
            old = next(iter(_MEMO))
            _memo_bytes -= len(old) + len(_MEMO.pop(old))
    return packed


def gzip_etag(etag: bytes) -> bytes:
    return etag[:-1] + b'-gzip"'


def _identity_tags(value: bytes) -> bytes:
    """``If-None-Match`` with each ``-gzip`` tag also given as its identity tag, for the routes to compare."""
    tags = [tag.strip() for tag in value.split(b",")]
    extra = [tag[:-6] + b'"' for tag in tags if tag.endswith(b'-gzip"')]
    return b", ".join(tags + extra)


def _add_vary(headers: list[tuple[bytes, bytes]], token: bytes) -> None:
    for index, (name, value) in enumerate(headers):
        if name == b"vary":
            if token.lower() not in value.lower():
                headers[index] = (name, value + b", " + token)
            return
    headers.append((b"vary", token))


_VARY = (b"vary", b"Accept-Encoding")
# Header tuples seen, by id: (the tuple, its status, the headers sent for them). A tuple is a header set that many
# answers share (app.api.fastpath.FixedHeaders: a catalogue's, per body length): decided once, not scanned again
# (the scan was about 13,000 instructions of a 140,000 cached read). Each key's tuple is held, so its id stays its own.
_SHARED: dict[int, tuple[tuple[tuple[bytes, bytes], ...], int, tuple[tuple[bytes, bytes], ...]]] = {}
MAX_SHARED = 1024


def _vary_if_compressible(start: Message) -> None:
    """``Vary: Accept-Encoding`` added to a response start of a type ``_shape`` would gzip (or a 304) and not encoded
    already, as ``_shape`` adds it: in place, with one pass over the headers (every plain GET comes through here)."""
    headers = start["headers"]
    if type(headers) is tuple:
        status = start["status"]
        known = _SHARED.get(id(headers))
        if known is not None and known[0] is headers and known[1] == status:
            start["headers"] = known[2]
            return
        _vary_scanned(start)
        if len(_SHARED) >= MAX_SHARED:
            del _SHARED[next(iter(_SHARED))]  # (the oldest)
        _SHARED[id(headers)] = (headers, status, tuple(start["headers"]))
        return
    _vary_scanned(start)


def _vary_scanned(start: Message) -> None:
    headers = start["headers"]
    content_type = None
    vary = -1
    for index, (name, value) in enumerate(headers):
        if name == b"content-type":
            content_type = value
        elif name == b"content-encoding":
            return
        elif name == b"vary" and vary < 0:
            vary = index
    if not (start["status"] == 304 or (content_type is not None and content_type.startswith(COMPRESSIBLE))):
        return
    if vary < 0:
        start["headers"] = [*headers, _VARY]  # (a new list: the sender's may be shared)
    elif b"accept-encoding" not in headers[vary][1].lower():
        headers = start["headers"] = list(headers)
        headers[vary] = (b"vary", headers[vary][1] + b", Accept-Encoding")


class Delivery:
    """Pure-ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, gzip_min_bytes: int = MIN_GZIP_BYTES) -> None:
        self.app = app
        self.gzip_min_bytes = gzip_min_bytes  # 0: never gzip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        gzip_ok = False
        min_bytes = self.gzip_min_bytes
        asked_gzip_tag = False
        request_headers = scope["headers"]
        for index, (name, value) in enumerate(request_headers):
            if name == b"accept-encoding":
                gzip_ok = min_bytes > 0 and _accepts(value)
            elif name == b"if-none-match" and b'-gzip"' in value:
                asked_gzip_tag = True
                request_headers = list(request_headers)
                request_headers[index] = (name, _identity_tags(value))
        outer = scope
        if head or request_headers is not scope["headers"]:
            scope = dict(scope)
            scope["headers"] = request_headers
            if head:
                scope["method"] = "GET"
        personal = scope["path"].startswith(PERSONAL_PREFIX)
        if not (head or gzip_ok or personal or DEPRECATIONS):
            # The common GET: nothing to compress, drop or add but Vary, so the answer goes out as it comes, the
            # body uncopied (this layer was about 9 us of a 40 us cached read, measured in-process).
            try:
                await self.app(scope, receive, self._varied(send, min_bytes))
            finally:
                if scope is not outer and "route" in scope:
                    outer["route"] = scope["route"]  # (see below)
            return
        inner = scope
        start: Message | None = None

        async def deliver(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message  # held until the first body part says whether the body is whole
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            more: bool = message.get("more_body", False)
            if start is not None:
                headers = list(start["headers"])
                body = self._shape(
                    inner, start["status"], headers, body, more, personal, gzip_ok, asked_gzip_tag, min_bytes
                )
                await send({**start, "headers": headers})
                start = None
            if head:
                if not more:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send({**message, "body": body})

        try:
            await self.app(scope, receive, deliver)
        finally:
            if scope is not outer and "route" in scope:
                # The router (or the fast path) named the route on our copy: the access log and the metrics
                # outside read it from the original (HEAD and gzip revalidations were "<unmatched>").
                outer["route"] = scope["route"]

    @staticmethod
    def _varied(send: Send, min_bytes: int) -> Send:
        """``send`` adding ``Vary: Accept-Encoding`` where ``_shape`` would, for a GET that gets no gzip. The start
        is held until the first body part, as ``deliver`` holds it: an answer that fails before its body still
        leaves the connection clean for app.observability's 500."""
        start: Message | None = None

        async def varied(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is not None and message["type"] == "http.response.body":
                held, start = start, None
                if min_bytes:
                    _vary_if_compressible(held)
                await send(held)
            await send(message)

        return varied

    @staticmethod
    def _shape(
        scope: Scope,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        more: bool,
        personal: bool,
        gzip_ok: bool,
        asked_gzip_tag: bool,
        min_bytes: int,
    ) -> bytes:
        """Adjust the headers in place; return the body to send (gzipped or not)."""
        content_type = etag = None
        encoded = False
        for name, value in headers:
            if name == b"content-type":
                content_type = value
            elif name == b"etag":
                etag = value
            elif name == b"content-encoding":
                encoded = True
        if personal:
            headers[:] = [(n, v) for n, v in headers if n != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
        route = scope.get("route")
        deprecation = DEPRECATIONS.get((scope["method"], getattr(route, "path", "")))
        if deprecation is not None:
            headers.extend(deprecation.headers())
        compressible = content_type is not None and content_type.startswith(COMPRESSIBLE)
        if not (compressible or status == 304) or encoded or not min_bytes:
            return body
        _add_vary(headers, b"Accept-Encoding")
        strong = etag is not None and not etag.startswith(b"W/")
        if status == 304:
            if strong and gzip_ok and asked_gzip_tag:
                headers[:] = [(n, gzip_etag(v) if n == b"etag" else v) for n, v in headers]
            return body
        if more or not gzip_ok or len(body) < min_bytes:
            return body
        packed = compress(body, remember=strong)
        kept = [(n, v) for n, v in headers if n not in (b"content-length", b"etag")]
        kept += [(b"content-encoding", b"gzip"), (b"content-length", str(len(packed)).encode())]
        if etag is not None:
            kept.append((b"etag", gzip_etag(etag) if strong else etag))
        headers[:] = kept
        return packed
