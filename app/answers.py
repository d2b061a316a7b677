"""Answers computed from a user's data, kept in memory under the user's revision.

Records and progress regroup a user's every set on each request (60-150 ms
for 2,000 logs, see app/progress/store.py); the same user asks again and
again between changes. So the rendered body is kept under (route, tenant,
user, revision, normalised query): a request reads the revision (one primary
key lookup, app/revisions.py) and, on a hit, answers from here. Any change
to the user's logs or check-ins gives a new revision, so older answers are
never found again and age out.

Like the /exercises page cache (app/api/fastpath.py ``PageCache``), it is
bounded in bytes, least recently used first out; unlike it, it is used from
the route thread pool, so it takes a lock, and concurrent misses on one key
compute once: the others wait for that answer (at a progress minute's turn,
16 clients would otherwise each spend the 60-150 ms at once).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from app import revisions

Key = tuple[Hashable, ...]
_errors = logging.getLogger("hipflex.errors")
# What an entry costs beyond its body and key text: the dict slot, the tuple, the bytes header (measured
# with sys.getsizeof on CPython 3.11, rounded up).
ENTRY_OVERHEAD = 256


def _size(key: Key, body: bytes) -> int:
    return ENTRY_OVERHEAD + len(body) + sum(len(str(part)) for part in key)


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0  # computed here (uncached reads of users without a revision count too)


class AnswerCache:
    """Rendered bodies by key, at most ``max_bytes`` in all (0 keeps nothing)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.stats = Stats()
        self._bodies: OrderedDict[Key, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Key, threading.Event] = {}

    def __len__(self) -> int:
        return len(self._bodies)

    def get(self, key: Key) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
            return body

    def hit(self, key: Key) -> bytes | None:
        """``get``, counted as a hit when found (a request answered from here)."""
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                self.stats.hits += 1
            return body

    def put(self, key: Key, body: bytes) -> None:
        size = _size(key, body)
        with self._lock:
            if size > self.max_bytes or key in self._bodies:
                return
            self._bodies[key] = body
            self.size += size
            while self.size > self.max_bytes:
                old, evicted = self._bodies.popitem(last=False)
                self.size -= _size(old, evicted)

    def ahead(self, key: Key, compute: Callable[[], bytes | None]) -> None:
        """Compute ``key``'s body in a thread of its own, unless it is kept or being computed already.

        For an answer about to be asked for (the next minute's /progress): the request that finds the
        minute turned gets it from here rather than computing it then. A request that comes while this
        runs waits for it, as for any computation of the same key (``answer``).
        """
        with self._lock:
            if key in self._bodies or key in self._computing:
                return
            done = self._computing[key] = threading.Event()

        def run() -> None:
            try:
                body = compute()
                if body is not None:
                    self.put(key, body)
            except Exception:  # nobody waits on this one: say so in the log, as a request's failure would be
                _errors.warning("computing an answer ahead failed", exc_info=True)
            finally:
                with self._lock:
                    del self._computing[key]
                done.set()

        threading.Thread(target=run, name="hipflex-answer-ahead", daemon=True).start()

    def answer(self, key: Key | None, compute: Callable[[], bytes | None]) -> bytes | None:
        """The body under ``key``, computed (and kept) if absent. None from ``compute`` is not kept.

        A request that finds another computing the same key waits for it; if that one kept nothing
        (a 404, an error), it computes for itself rather than queue behind the next one: behind a
        stalled database, each waiting in turn would add a whole timeout. ``key`` None: compute only.
        """
        if key is None:
            with self._lock:
                self.stats.misses += 1
            return compute()
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                self.stats.hits += 1
                return body
            self.stats.misses += 1
            running = self._computing.get(key)
            if running is None:
                leading = self._computing[key] = threading.Event()
        if running is not None:
            running.wait()
            return self.get(key) or compute()
        try:
            body = compute()
            if body is not None:
                self.put(key, body)
            return body
        finally:
            with self._lock:
                del self._computing[key]
            leading.set()


def user_answer(
    cache: AnswerCache,
    engine: Engine,
    tenant: str,
    user_id: str,
    key: Key,
    compute: Callable[[], bytes | None],
    then: tuple[Key, Callable[[], bytes | None]] | None = None,
) -> bytes | None:
    """``compute``'s body for this user and ``key`` (the route and its normalised query), from the cache if we can.

    The revision is read before ``compute`` reads the data: a change committed in between can only
    make the kept answer newer than its revision, never older. A user without a revision (no data,
    or mid-erasure) is computed every time and never kept. ``then``: the key and computation of the
    answer asked for next (the next minute's), computed ahead under the same revision.
    """
    revision = revisions.peek(engine, tenant, user_id)
    body = cache.answer(None if revision is None else user_key(key, tenant, user_id, revision), compute)
    if then is not None and revision is not None and body is not None:
        cache.ahead(user_key(then[0], tenant, user_id, revision), then[1])
    return body


def user_key(key: Key, tenant: str, user_id: str, revision: int) -> Key:
    """The whole key of a user's answer: ``key`` (route and normalised query), whose, and at which revision."""
    return (*key, tenant, user_id, revision)
