"""API docs served with their own assets: /docs and /redoc work with no internet."""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from app.api.representations import body_etag, cached_json

router = APIRouter(include_in_schema=False)

# The Swagger UI and ReDoc bundles come from the fastapi-offline wheel, so
# they are pinned in the lockfile like any other dependency.
ASSETS = Path(str(resources.files("fastapi_offline") / "static"))
FILES = {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"}
# ReDoc's footer shows a logo fetched from Redocly's CDN; ours is served from here instead.
# The only address in either bundle that a page load requests (tests/test_service.py checks the rest).
REDOC_CDN_LOGO = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'
LOCAL_LOGO = b'"/docs/assets/favicon.png"'


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="hipflex API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon.png",
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="hipflex API",
        redoc_js_url="/docs/assets/redoc.standalone.js",
        redoc_favicon_url="/docs/assets/favicon.png",
        with_google_fonts=False,
    )


@lru_cache(maxsize=len(FILES))
def asset(name: str) -> tuple[bytes, str, dict[str, str]]:
    """One bundle's bytes (patched to stay on this host) and headers, read on first use and kept:
    a strong ETag lets the delivery middleware gzip each bundle once."""
    body = (ASSETS / name).read_bytes()
    if name == "redoc.standalone.js":
        body = body.replace(REDOC_CDN_LOGO, LOCAL_LOGO)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media_type.startswith(("text/", "application/javascript")):
        media_type += "; charset=utf-8"
    return body, media_type, {"Cache-Control": "public, max-age=86400", "ETag": body_etag(body)}


@router.get("/docs/assets/{name}")
def docs_asset(request: Request, name: str) -> Response:
    # def: the first call reads a file (blocking I/O runs in the thread pool).
    if name not in FILES:
        raise HTTPException(status_code=404)
    body, media_type, headers = asset(name)
    return cached_json(request, body, headers, media_type)
