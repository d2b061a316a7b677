"""``GET /users/{id}/records`` and ``/progress`` answered from the answer cache without FastAPI's machinery.

A hit costs a revision read and a dictionary lookup; FastAPI's routing and
dependency solving (four thread-pool hops for these routes) cost several
times that (measured: ~2 ms CPU a hit through the route against ~0.3 ms here,
on a loaded machine). Like the lanes in app/api/fastpath.py, this one checks
the request with the *same* functions and models as the routes (the key
reader, remembered keys and ``keys.authenticate``, ``user_id_ok``, the query models, the time zone
check), builds the *same* cache key (``records_key``, ``progress_key``,
``user_key``) and sends the *same* bytes; anything else, a miss included,
goes on to the route, which computes, keeps and answers (and stays the one
source of every error body).
"""

from __future__ import annotations

from datetime import UTC, datetime

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from app import keys, revisions
from app.answers import AnswerCache, Key, user_key
from app.api.auth import presented_key
from app.api.fastpath import _send, parse_query
from app.api.progress import (
    ProgressQuery,
    RecordQuery,
    get_progress,
    list_records,
    progress_end,
    progress_key,
    records_key,
    zone,
)
from app.api.progress import router as progress_router
from app.logs import user_id_ok
from app.problems import Problem
from app.state import state_of

_ROUTES = {r.endpoint: r for r in progress_router.routes if isinstance(r, APIRoute)}


def _key(last: str, raw_query: bytes) -> Key | None:
    if last == "records":
        records = parse_query(RecordQuery, raw_query)
        return None if records is None else records_key(records[0])
    progress = parse_query(ProgressQuery, raw_query)
    if progress is None:
        return None
    try:
        zone(progress[0].tz)
    except Problem:
        return None
    return progress_key(progress[0], progress_end(datetime.now(UTC)))


class AnswerLane:
    """Pure-ASGI middleware in front of the router; see the module docstring."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self.readers: CapacityLimiter | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            parts = path.split("/")
            if len(parts) == 4 and parts[1] == "users" and parts[3] in ("records", "progress"):
                body = await self._answer(scope, parts[2], parts[3])
                if body is not None:
                    route = _ROUTES[list_records if parts[3] == "records" else get_progress]
                    scope["route"] = route  # what the access log and the metrics read
                    metrics = state_of(self.api).metrics
                    metrics.child(metrics.fast_path, route.path).inc()
                    await _send(send, 200, body, [])
                    return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, raw_user: str, last: str) -> bytes | None:
        """The kept answer, or None to hand the request to the route."""
        headers = scope["headers"]
        if len({name for name, _ in headers}) != len(headers):
            return None  # repeated headers: the route decides what they mean
        key = presented_key({name.decode("latin-1"): value.decode("latin-1") for name, value in headers})
        if not key:
            return None
        try:
            user_id = user_id_ok(raw_user)
        except ValueError:
            return None
        query_key = _key(last, scope["query_string"])
        if query_key is None:
            return None
        storage = state_of(self.api)
        if self.readers is None:
            # Half the pool at most: beyond the pool, each read opened (and closed) an overflow connection,
            # a fork and a login on Postgres; the other half is for the routes (misses, writes).
            self.readers = CapacityLimiter(max(1, state_of(self.api).settings.db_pool_size // 2))
        try:
            tenant, revision = await to_thread.run_sync(
                _read, storage.engine, storage.remembered_keys, key, user_id, limiter=self.readers
            )
        except Exception:  # a rejected key, the database: the route meets it too and answers the problem
            return None
        if revision is None:
            return None
        answers: AnswerCache = state_of(self.api).answers
        return answers.hit(user_key(query_key, tenant, user_id, revision))


def _read(engine: Engine, remembered: keys.RememberedKeys, key: str, user_id: str) -> tuple[str, int | None]:
    """The key's tenant (checked as ``authenticate`` checks it) and the user's revision, in one thread hop.

    The key is checked here too, not left to the route: remembered keys are checked again every
    second (``keys.RECHECK_SECONDS``), and then every request in flight went to the route at once,
    each taking a connection beyond this lane's share of the pool (new Postgres sessions in every
    wrk run, and the p99 with them).
    """
    tenant = keys.recently_authenticated(remembered, key) or keys.authenticate(engine, key, remembered)
    return tenant, revisions.peek(engine, tenant, user_id)
