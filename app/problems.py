"""RFC 9457 problem details: the one shape every error takes.

Raise ``Problem`` anywhere below a route; the handlers installed by
``install`` turn it, FastAPI's validation errors and Starlette's HTTP errors
(unknown route, wrong method) into ``application/problem+json``. Code that
answers outside the routes (the body-size middleware) writes the same bytes
with ``problem_body``, the one builder of problem bodies.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from app.catalogue.translations import DEFAULT_LANGUAGE, TranslationError
from app.languages import VARY, choose_language
from app.statuses import phrase

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://hipflex.dev/problems/"


def status_title(status: int) -> str:
    """The title of a problem with this status, unless the raiser gives one: the one place titles come from."""
    # our RFC 9110 table, not http.HTTPStatus: its phrases change with the Python version
    return phrase(status)


class FieldError(BaseModel):
    """One offending input."""

    location: str = Field(description="Where: `query`, `path`, `header` or `body`.")
    field: str = Field(description="Dotted path of the field inside that location.")
    message: str
    allowed: list[str] | None = Field(default=None, description="The values that would have been accepted.")


INVALID = "Invalid request"  # the title of every 422 that names the fields at fault


class ProblemDetail(BaseModel):
    """An error, as RFC 9457 describes it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": TYPE_BASE + "validation",
                    "title": INVALID,
                    "status": 422,
                    "detail": "query parameter 'minutes': Input should be less than or equal to 60.",
                    "instance": "/workouts",
                    "errors": [
                        {"location": "query", "field": "minutes", "message": "Input should be less than or equal to 60"}
                    ],
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class Problem(Exception):
    """An error a client can act on. ``slug`` becomes the problem ``type``."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or status_title(status)
        self.errors = errors
        self.headers = headers
        self.extra = extra or {}


def problem_body(
    status: int,
    slug: str,
    detail: str,
    *,
    instance: str | None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """A problem as the bytes sent: ``slug`` becomes the ``type``, ``extra`` adds members after the standard ones."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": title or status_title(status),
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    body.update(extra or {})
    # as Starlette's JSONResponse renders JSON, so every problem has the same bytes
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def problem_response(
    request: Request,
    status: int,
    slug: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    title, language = _title(request, status, title)
    headers = {**(headers or {}), "Content-Language": language, "Vary": VARY}
    content = problem_body(status, slug, detail, instance=request.url.path, title=title, errors=errors, extra=extra)
    return Response(content, status_code=status, media_type=MEDIA_TYPE, headers=headers)


# Custom titles a language file may translate (status phrases are keyed by their code).
CUSTOM_TITLES = frozenset({INVALID, "No workout fits these constraints"})


def _title(request: Request, status: int, title: str | None) -> tuple[str, str]:
    """The title in the language asked for, and that language; the detail stays English."""
    english = title or status_title(status)
    language = choose_language(request.headers.get("accept-language"))
    if language == DEFAULT_LANGUAGE:
        return english, language
    running = getattr(request.app.state, "hipflex", None)  # None in an app that create_app did not build
    catalogue = running.catalogue if running is not None else None
    table = catalogue.in_language(language).texts.get("problems", {}) if catalogue is not None else {}
    key = str(status) if title is None or title == status_title(status) else title
    translated = table.get(key)
    return (translated, language) if translated is not None else (english, DEFAULT_LANGUAGE)


def check_titles(translations: dict[str, Any]) -> None:
    """A language file's problem titles name only codes of errors and our own titles."""
    for language, catalogue in translations.items():
        table = catalogue.texts.get("problems", {})
        unknown = [key for key in table if key not in CUSTOM_TITLES and not (key.isdigit() and 400 <= int(key) < 600)]
        empty = [key for key, text in table.items() if not isinstance(text, str) or not text.strip()]
        if unknown or empty or not all(title in table for title in CUSTOM_TITLES):
            raise TranslationError(
                f"built-in i18n/{language}.json: problems: unknown {unknown}, empty {empty}, "
                f"and every one of {sorted(CUSTOM_TITLES)} is needed"
            )


def _allowed(error: dict[str, Any]) -> list[str] | None:
    ctx = error.get("ctx") or {}
    expected = ctx.get("expected")
    if isinstance(expected, str) and "'" in expected:
        return [part.strip().strip("'") for part in expected.replace(" or ", ",").split(",") if part.strip()]
    return None


def field_errors(errors: Any) -> list[FieldError]:
    out = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        location = loc[0] if loc else "body"
        parts = loc[1:]
        if location != "body":
            # a list-valued parameter is still one parameter to the client
            parts = [p for p in parts if not p.isdigit()]
        path = ".".join(parts) or location
        message = error.get("msg", "invalid")
        out.append(FieldError(location=location, field=path, message=message, allowed=_allowed(error)))
    return out


def invalid(detail: str, errors: list[FieldError], slug: str = "validation") -> Problem:
    """The 422 "Invalid request": what was wrong (``detail``, for people) and where (``errors``, per field)."""
    return Problem(422, slug, detail, title=INVALID, errors=errors)


def describe(errors: list[FieldError]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first.location} parameter {first.field!r}: {first.message}{more}."


def problem_answer(request: Request, exc: Problem) -> Response:
    """A raised ``Problem`` as its response: for the exception handler and the fast path alike."""
    return problem_response(
        request,
        exc.status,
        exc.slug,
        exc.detail,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_answer(request, exc)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors())
    return problem_response(request, 422, "validation", describe(errors), title=INVALID, errors=errors)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = getattr(exc, "headers", None)
    if status == 404:
        detail = f"No resource at {request.url.path}."
        slug = "not-found"
    elif status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
        slug = "method-not-allowed"
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    else:
        detail = str(exc.detail)
        slug = status_title(status).lower().replace(" ", "-")
    return problem_response(request, status, slug, detail, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method served at this path. Starlette's own ``Allow`` names only the first route's,
    and a path often has several (``GET`` and ``POST /users/{user_id}/logs``)."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    if "GET" in allowed and "HEAD" not in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")  # app.api.delivery answers HEAD wherever GET is
    return ", ".join(allowed)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


async def _on_crash(request: Request, exc: Exception) -> Response:
    # Still a problem body; the traceback goes to the server log, not the client.
    return problem_response(request, 500, "internal", "The server failed to handle this request.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_crash)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the problem statuses a route can return."""
    return {
        status: {
            "description": status_title(status),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
        }
        for status in statuses
    }
