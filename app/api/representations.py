"""Catalogue responses rendered once per catalogue, with their HTTP caching headers.

The catalogue is immutable for the life of a process, so each exercise's
JSON is serialised once and served as bytes; a strong ETag derived from the
catalogue version lets clients revalidate for free.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response

from app.api.languages import language_headers
from app.catalogue import Catalogue
from app.catalogue.models import Exercise, Source

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
        self.headers = {
            "ETag": catalogue.etag,
            "Cache-Control": CACHE_CONTROL,
            "X-Catalogue-Version": catalogue.version,
            **language_headers(catalogue.language),
        }
        self.raw_headers = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]


@lru_cache(maxsize=8)
def rendered(catalogue: Catalogue) -> Rendered:
    return Rendered(catalogue)


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 §13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags


def cached_json(request: Request, body: bytes | str, headers: dict[str, str]) -> Response:
    if not_modified(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
