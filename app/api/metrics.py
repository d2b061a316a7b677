"""GET /metrics in the Prometheus text format."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from app.problems import Problem
from app.state import state

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Request, workout, log-write and fast-path counters and latencies, in the Prometheus text format. "
    "With `HIPFLEX_METRICS_TOKEN` set, only for `Authorization: Bearer <that token>` (404 otherwise).",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}, "description": "Metrics"}},
)
async def get_metrics(request: Request) -> Response:
    hipflex = state(request)
    token = hipflex.settings.metrics_token
    if token is not None:
        # (a 404, as for anything a caller may not see: the route's existence is not advertised)
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
            raise Problem(404, "not-found", f"No resource at {request.url.path}.")
    return Response(generate_latest(hipflex.metrics.registry), media_type=CONTENT_TYPE_LATEST)
