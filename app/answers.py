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

The same mechanism (``Kept``) keeps other things computed from a user's data under their revision: the
coach's read-and-decoded inputs of a day (app/api/coaching.py ``Inputs``), so a request the kept answers
miss (another seed) reads nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine

from app import revisions

Key = tuple[Hashable, ...]
V = TypeVar("V")
_errors = logging.getLogger("hipflex.errors")
# What an entry costs beyond its body and key text: the dict slot, the tuple, the bytes header (measured
# with sys.getsizeof on CPython 3.11, rounded up).
ENTRY_OVERHEAD = 256


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0  # computed here (uncached reads of users without a revision count too)


class Kept(Generic[V]):
    """Values by key, at most ``max_bytes`` in all as ``weigh`` counts them (0 keeps nothing), shared fairly
    by tenants.

    Least recently used first out, but from the tenant that holds the most bytes: a tenant filling
    the cache (45 ``tz`` spellings of one progress answer emptied it for everyone) pushes out its own
    answers, never the answers of a tenant that holds less than it.
    """

    def __init__(self, max_bytes: int, weigh: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.stats = Stats()
        self._weigh = weigh
        self._bodies: dict[Key, V] = {}
        self._order: dict[Hashable, OrderedDict[Key, None]] = {}  # by tenant, least recently used first
        self._held: dict[Hashable, int] = {}  # bytes by tenant
        self._lock = threading.Lock()
        self._computing: dict[Key, threading.Event] = {}

    def __len__(self) -> int:
        return len(self._bodies)

    def held(self, tenant: Hashable) -> int:
        """The bytes ``tenant``'s answers take."""
        return self._held.get(tenant, 0)

    def _size(self, key: Key, body: V) -> int:
        return ENTRY_OVERHEAD + self._weigh(body) + sum(len(str(part)) for part in key)

    def _found(self, key: Key) -> V | None:
        body = self._bodies.get(key)
        if body is not None:
            self._order[_owner(key)].move_to_end(key)
        return body

    def get(self, key: Key) -> V | None:
        with self._lock:
            return self._found(key)

    def hit(self, key: Key) -> V | None:
        """``get``, counted as a hit when found (a request answered from here)."""
        with self._lock:
            body = self._found(key)
            if body is not None:
                self.stats.hits += 1
            return body

    def put(self, key: Key, body: V) -> None:
        size = self._size(key, body)
        owner = _owner(key)
        with self._lock:
            if size > self.max_bytes or key in self._bodies:
                return
            self._bodies[key] = body
            self._order.setdefault(owner, OrderedDict())[key] = None
            self._held[owner] = self._held.get(owner, 0) + size
            self.size += size
            while self.size > self.max_bytes:
                richest = max(self._held, key=self._held.__getitem__)
                order = self._order[richest]
                old, _ = order.popitem(last=False)
                freed = self._size(old, self._bodies.pop(old))
                self.size -= freed
                self._held[richest] -= freed
                if not order:
                    del self._order[richest], self._held[richest]

    def ahead(self, key: Key, compute: Callable[[], V | None]) -> None:
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

    def answer(self, key: Key | None, compute: Callable[[], V | None]) -> V | None:
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
            body = self._found(key)
            if body is not None:
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


class AnswerCache(Kept[bytes]):
    """Rendered bodies by key, weighed by their length."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, len)


def user_answer(
    cache: Kept[V],
    engine: Engine,
    tenant: str,
    user_id: str,
    key: Key,
    compute: Callable[[], V | None],
    then: tuple[Key, Callable[[], V | None]] | None = None,
) -> V | None:
    """``compute``'s body for this user and ``key`` (the route and its normalised query), from the cache if we can.

    The revision is read before ``compute`` reads the data: a change committed in between can only
    make the kept answer newer than its revision, never older. A user without a revision (no data,
    or mid-erasure) is computed every time and never kept. ``then``: the key and computation of the
    answer asked for next (the next minute's), computed ahead under the same revision.
    """
    revision = revisions.peek(engine, tenant, user_id)
    body = at_revision(cache, tenant, user_id, revision, key, compute)
    if then is not None and revision is not None and body is not None:
        cache.ahead(user_key(then[0], tenant, user_id, revision), then[1])
    return body


def at_revision(
    cache: Kept[V], tenant: str, user_id: str, revision: int | None, key: Key, compute: Callable[[], V | None]
) -> V | None:
    """``user_answer`` for a revision read already (``revisions.peek``), before ``compute`` reads the data:
    a route that keeps two things under one revision (an answer, and the inputs it was computed from) reads
    it once. None (no revision): computed, never kept."""
    return cache.answer(None if revision is None else user_key(key, tenant, user_id, revision), compute)


def user_key(key: Key, tenant: str, user_id: str, revision: int) -> Key:
    """The whole key of a user's answer: ``key`` (route and normalised query), whose, and at which revision."""
    return (*key, tenant, user_id, revision)


def _owner(key: Key) -> Hashable:
    """The tenant of a key ``user_key`` made (third from the end); None for other keys (one shared share)."""
    return key[-3] if len(key) >= 3 else None
