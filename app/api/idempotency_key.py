"""``Idempotency-Key`` on the routes that create (logs, check-ins): the header, its problems, and the
first answer given again."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import Header
from starlette.responses import Response

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


class Created(Protocol):
    """What a store's create returns: the answer's body and where the new resource is."""

    @property
    def body(self) -> bytes: ...
    @property
    def location(self) -> str: ...


def created_answer(outcome: Created | idempotency.Replay) -> Response:
    """The answer to a create: 201 with ``Location``, or for a key seen before the first answer again."""
    if isinstance(outcome, idempotency.Replay):
        return Response(outcome.body, outcome.status, headers=replay_headers(outcome), media_type="application/json")
    return Response(outcome.body, 201, headers={"Location": outcome.location}, media_type="application/json")


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
