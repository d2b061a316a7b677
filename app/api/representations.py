"""Catalogue responses rendered once per catalogue, with their HTTP caching headers.

The catalogue is immutable for the life of a process, so each exercise's
JSON is serialised once and served as bytes; a strong ETag derived from the
catalogue version lets clients revalidate for free.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import quote

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from app.api.fastpath import FixedHeaders
from app.catalogue import Catalogue
from app.catalogue.models import Exercise, Source
from app.languages import language_headers

CACHE_CONTROL = "public, max-age=300, must-revalidate"


class SourcePublic(Source):
    note: str | None = None


class ExerciseDetail(Exercise):
    """The full record, with its sources spelled out."""

    sources: list[SourcePublic] = Field(min_length=1)  # type: ignore[assignment]


class ExerciseSummary(BaseModel):
    slug: str
    name: str
    aliases: list[str]
    kind: str
    position: str
    level: str
    intensity: str
    primary_muscles: list[str]
    equipment: list[list[str]]
    pain_flags: list[str] = Field(description="Pain flags that rule this exercise out.")
    href: str


def detail(catalogue: Catalogue, exercise: Exercise) -> ExerciseDetail:
    data = exercise.model_dump()
    data["sources"] = [
        {**catalogue.sources[ref.source].model_dump(), "note": ref.note} for ref in exercise.sources
    ]
    return ExerciseDetail.model_validate(data)


def summary(exercise: Exercise) -> ExerciseSummary:
    return ExerciseSummary(
        slug=exercise.slug,
        name=exercise.name,
        aliases=exercise.aliases,
        kind=exercise.kind,
        position=exercise.position,
        level=exercise.level,
        intensity=exercise.intensity,
        primary_muscles=list(exercise.muscles.primary),
        equipment=[list(option) for option in exercise.equipment],
        pain_flags=[c.flag for c in exercise.contraindications],
        href=f"/exercises/{exercise.slug}",
    )


class Rendered:
    """Pre-serialised bodies for one catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.details = {e.slug: detail(catalogue, e).model_dump_json().encode() for e in catalogue.exercises}
        self.summaries = {e.slug: summary(e).model_dump_json().encode() for e in catalogue.exercises}
        self.headers = FixedHeaders(
            {
                "ETag": catalogue.etag,
                "Cache-Control": CACHE_CONTROL,
                "X-Catalogue-Version": catalogue.version,
                **language_headers(catalogue.language),
            }
        )


@lru_cache(maxsize=8)
def rendered(catalogue: Catalogue) -> Rendered:
    return Rendered(catalogue)


def body_etag(body: bytes) -> str:
    """A strong ETag for a body that never changes for its URL: a digest of the bytes themselves."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags


def cached_json(
    request: Request, body: bytes | str, headers: dict[str, str], media_type: str = "application/json"
) -> Response:
    """The body, or a 304 when the client's ``If-None-Match`` already names ``headers["ETag"]``."""
    if not_modified(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def base_url(scope: Scope, public_url: str | None) -> str:
    """Where absolute links start: the configured public URL, else this request's scheme and Host.

    A Host header that is not a plain host[:port] is ignored (the server's own address is used), so
    a client cannot write into our links or the ``Link`` header.
    """
    if public_url:
        return public_url.rstrip("/")
    raw = b""
    for name, value in scope["headers"]:
        if name == b"host":
            raw = value
            break
    key = (raw, scope.get("scheme", "http"), scope.get("root_path", ""))
    known = _BASES.get(key)
    if known is not None:
        return known
    host = raw.decode("latin-1")
    valid = _HOST.fullmatch(host) is not None
    if not valid:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    url = f"{key[1]}://{host}{key[2]}"
    if valid and len(_BASES) < 256:  # (a few hosts name a server; one the regex refused depends on scope["server"])
        _BASES[key] = url
    return url


_BASES: dict[tuple[bytes, str, str], str] = {}  # (Host, scheme, root path) -> the base URL, for valid hosts


# What may stay as it is in a path we echo (RFC 3986 pchar and "/"), existing %-escapes included.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


def page_url(scope: Scope, public_url: str | None, query: str) -> str:
    """The absolute URL of this request's path with ``query``, for a ``next`` link.

    The path is taken as the client sent it (a user id may hold an escaped "/"), and anything
    outside ASCII is percent-encoded: the URL must be a valid URI and fit a header.
    """
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    path = quote(raw.split(b"?", 1)[0], safe=_PATH_SAFE)
    return f"{base_url(scope, public_url)}{path}?{query}"


def link_next(url: str) -> str:
    """The RFC 8288 ``Link`` header value for a page's next page."""
    return f'<{url}>; rel="next"'
