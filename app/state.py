"""What one app keeps while it runs, as one typed object: built in ``create_app``, opened in its lifespan.

Kept on ``app.state.hipflex`` (Starlette's ``app.state`` is untyped); read it with ``state_of(app)`` or
``state(request)``, never ``app.state.<name>``. One object rather than module-level registries: its life is
the app's, and two apps (the tests build many) never share a writer, a key cache or a metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request

from app.answers import AnswerCache, Kept
from app.catalogue import Catalogue
from app.coaching.inputs import Inputs
from app.erasure import Scrubber
from app.keys import RememberedKeys
from app.logs import LogWriter
from app.logs.streams import ExportStreams
from app.observability import AccessLog, Metrics
from app.revisions import LoopReader
from app.settings import Settings


@dataclass(eq=False)
class AppState:
    settings: Settings
    catalogue: Catalogue
    metrics: Metrics
    answers: AnswerCache
    access_log: AccessLog | None
    # Set by ``open`` in the lifespan: there is no database before the app starts.
    _engine: Engine | None = field(default=None, repr=False)
    _log_writer: LogWriter | None = field(default=None, repr=False)
    _scrubber: Scrubber | None = field(default=None, repr=False)
    # Revisions read on the event loop (SQLite): kept answers without a thread hop (app.revisions).
    loop_revisions: LoopReader | None = field(default=None, repr=False)
    remembered_keys: RememberedKeys = field(default_factory=RememberedKeys)
    # /exercises pages, one cache per catalogue ETag (app.api.exercises PageCache).
    exercise_pages: dict[str, Any] = field(default_factory=dict)
    # /readyz's own threads, made on the serving loop at its first probe.
    probe_threads: anyio.CapacityLimiter | None = None
    # Exports streaming now, at most ``settings.export_streams`` (app.logs.streams), and the threads
    # that render them (made on the serving loop at the first export: app.api.users).
    export_streams: ExportStreams = field(init=False)
    export_threads: anyio.CapacityLimiter | None = None
    # The coach's read-and-decoded inputs of a user's day, and its answers by the seed's shape (split around
    # their seed), kept under the user's revision (app.api.coaching ``next_reply``): each a quarter of the
    # answer cache's bound, on top of it.
    coach_inputs: Kept[Inputs] = field(init=False)
    coach_variants: Kept[tuple[bytes, bytes]] = field(init=False)

    def __post_init__(self) -> None:
        self.export_streams = ExportStreams(self.settings.export_streams)
        self.coach_inputs = Kept(self.settings.answer_cache_bytes // 4, Inputs.weight)
        self.coach_variants = Kept(self.settings.answer_cache_bytes // 4, lambda parts: len(parts[0]) + len(parts[1]))

    def open(self, engine: Engine) -> None:
        self._engine = engine
        self._log_writer = LogWriter(engine)
        self._scrubber = Scrubber(engine, self.settings.erasure_vacuum_interval_s, self.settings.erasure_vacuum)
        self.loop_revisions = LoopReader(engine)

    def close(self) -> None:
        if self._scrubber is not None:
            self._scrubber.close()
        if self.loop_revisions is not None:
            self.loop_revisions.close()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the app has not started: its database opens in the lifespan")
        return self._engine

    @property
    def scrubber(self) -> Scrubber:
        """What clears an erasure's bytes from the database files (app.erasure)."""
        if self._scrubber is None:
            raise RuntimeError("the app has not started: its database opens in the lifespan")
        return self._scrubber

    @property
    def log_writer(self) -> LogWriter:
        if self._log_writer is None:
            raise RuntimeError("the app has not started: its log writer opens in the lifespan")
        return self._log_writer


def state_of(app: Starlette) -> AppState:
    """The state of an app that ``create_app`` built."""
    found: AppState = app.state.hipflex
    return found


def state(request: Request) -> AppState:
    return state_of(request.app)
