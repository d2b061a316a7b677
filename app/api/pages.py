"""Pages of a user's rows (logs, check-ins, assessments, programmes): where a page starts, and its ``next``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.api.representations import link_next, page_url
from app.logs import BadCursor, Cursor
from app.problems import FieldError, describe, invalid


def after(cursor: str | None) -> Cursor | None:
    """The row a page starts after, from the ``cursor`` query parameter; one we did not issue is a 422."""
    if cursor is None:
        return None
    try:
        return Cursor.decode(cursor)
    except BadCursor as exc:
        errors = [FieldError(location="query", field="cursor", message=str(exc))]
        raise invalid(describe(errors), errors) from None


def next_link(request: Request, response: Response, public_url: str | None, cursor: str | None) -> str | None:
    """The page's ``next`` link, continuing at ``cursor`` (None: this is the last page), also sent as ``Link``."""
    if cursor is None:
        return None
    url = request.url.include_query_params(cursor=cursor)
    link = page_url(request.scope, public_url, url.query)
    response.headers["Link"] = link_next(link)
    return link
