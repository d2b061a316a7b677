"""``Idempotency-Key`` on the routes that create (logs, check-ins): the header, its problems, and the
first answer given again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header

from app import idempotency
from app.problems import Problem

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        pattern=idempotency.KEY_PATTERN,
        description="Makes a retried POST safe: the same key and body return the first answer and create nothing.",
    ),
]


def key_problem(error: Exception) -> Problem:
    """The answer when the key cannot be used: reused with another body (422), or still in flight (409)."""
    if isinstance(error, idempotency.KeyReused):
        return Problem(422, "idempotency-key-reused", "This Idempotency-Key was used with a different request.")
    return Problem(
        409,
        "idempotency-key-in-flight",
        "A request with this Idempotency-Key is still being processed; retry later.",
        headers={"Retry-After": "1"},
    )


def replay_headers(outcome: idempotency.Replay) -> dict[str, str]:
    headers = {"Idempotent-Replayed": "true"}
    if outcome.location:
        headers["Location"] = outcome.location
    return headers


def created(what: str, links: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI description of a 201 with ``Location`` (``what``: what it points to) and replays."""
    return {
        "headers": {
            "Location": {"description": what, "schema": {"type": "string"}},
            "Idempotent-Replayed": {
                "description": "`true` when this is the first answer to this Idempotency-Key, given again.",
                "schema": {"type": "string"},
            },
        },
        "links": links,
    }
