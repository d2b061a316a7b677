"""Turn a goal and a user's constraints into a complete, safe, explained session.

``generate(catalogue, query, seed)`` is a pure function: the same catalogue,
query and seed give the same workout, byte for byte. It runs in stages, one
module each:

1. ``index``: what the catalogue offers each goal, built once per catalogue;
2. ``constraints``: the query in canonical form, and what it rules out;
3. ``selection``: the seed breaks ties, then exercises are chosen per phase
   and fitted to the time;
   (``pain`` grades today's pain; ``screening`` turns red flags into a referral);
4. ``output``: the chosen exercises as a ``Workout`` (doses, safety and time
   notes) and its JSON;
5. ``explain``: when nothing is left, why, and what would help.

A new rule about the user (what to leave out, what to add to the notes)
belongs in the stage it changes; this module only wires them together.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Hashable
from typing import NamedTuple

from app.catalogue import Catalogue
from app.workouts import output
from app.workouts.constraints import Constraints, pool
from app.workouts.errors import UnknownExercises
from app.workouts.explain import impossible
from app.workouts.index import Entry, Index, index
from app.workouts.models import SEED_MAX, Workout, WorkoutQuery
from app.workouts.selection import Chosen, Orders, break_ties, select

_entropy = random.SystemRandom()


def draw_seed() -> int:
    """A fresh seed for a request that gave none; the workout returns it so it can be repeated."""
    return _entropy.randrange(SEED_MAX + 1)


def generate(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> Workout:
    """The workout for ``query``; ``seed`` breaks ties, so the same seed gives the same workout.

    ``query.seed`` is not read here: the caller decides the seed (``draw_seed()`` when it is absent).
    Raises ``UnknownExercises`` for an unknown slug in ``exclude`` and ``WorkoutImpossible`` when the
    constraints leave nothing to do.
    """
    built, constraints, orders = _prepare(catalogue, query, seed)
    return _assemble(built, catalogue.version, constraints, orders, seed)


def generate_json(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> bytes:
    """``generate(...).model_dump_json()``, byte for byte, memoised on everything but the seed.

    Only tie-breaking reads the seed, so many seeds share one workout but for
    its last fields, ``seed`` and ``self``: the body before them is cached
    per (constraints, tie-broken order) and the rest is appended.
    """
    built, constraints, orders = _prepare(catalogue, query, seed)
    head, _ = _made(built, catalogue.version, constraints, orders)
    return head + output.tail(seed, catalogue.version, constraints.link(seed))


class Variant(NamedTuple):
    """What ``seed`` makes of the workout for a query: ``shape``, a digest of the workout but for its ``seed`` and
    ``self`` and of its ``priority``, and ``link``, its ``self``. Seeds of one shape give one workout but for those
    two fields, and one priority (1,000 seeds of a rehab query: 16 shapes), so a caller may keep what it derives
    from a workout by shape."""

    shape: bytes
    link: str


def variant(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> Variant:
    """``seed``'s ``Variant`` of the workout for ``query``. Raises ``UnknownExercises``."""
    built, constraints, orders = _prepare(catalogue, query, seed)
    _, shape = _made(built, catalogue.version, constraints, orders)
    return Variant(shape, constraints.link(seed))


def priority(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> tuple[str, ...]:
    """The workout's exercises in the order the time fitter added them: the goal's core (one per phase)
    first, the most important first; empty for a referral. For a caller that fits changed doses into the
    same time again (adaptation), so it keeps what the generator would keep."""
    return _priority(*_prepare(catalogue, query, seed))


def _priority(built: Index, constraints: Constraints, orders: Orders) -> tuple[str, ...]:
    if constraints.referral:
        return ()
    _, allowed = pool(built, constraints.pool_key)
    chosen, _, _ = select(built.goals[constraints.goal], constraints, allowed, orders)
    return tuple(c.entry.slug for c in chosen)


def _prepare(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> tuple[Index, Constraints, Orders]:
    built = index(catalogue)
    unknown = sorted({s for s in query.exclude if s not in built.slugs})
    if unknown:
        raise UnknownExercises(unknown)
    constraints = Constraints.of(query, catalogue)
    if constraints.referral:
        return built, constraints, ()  # no session, so no ties to break
    return built, constraints, break_ties(built, constraints, seed)


# A workout's head and shape (``Variant``) by what the tie-broken order selected: nearly every seed has an
# order of its own (984 of 1,000 for a rehab query), but few selections (16), and the rest of the workout is a
# pure function of the selection. Keyed by order, a seed not seen before assembled and dumped its whole
# workout (~60% of a /workouts/next miss, and every random-seed /workouts); keyed by selection, it costs one
# ``select``. Bounded as ``lru_cache(2048)`` was, oldest first out; the dict's own operations are atomic
# under the GIL, so threads may share it (two computing one key both store the same value).
_MADE: dict[tuple[object, ...], tuple[bytes, bytes]] = {}
MADE_MAX = 2048


def _made(built: Index, version: str, constraints: Constraints, orders: Orders) -> tuple[bytes, bytes]:
    """The workout's JSON up to its seed (``output.head``), and its shape: a digest of that and its priority."""
    chosen: list[Chosen] = []
    if constraints.referral:
        picked: Hashable = None
    else:
        _, allowed = pool(built, constraints.pool_key)
        chosen, no_time, too_long = select(built.goals[constraints.goal], constraints, allowed, orders)
        # A chosen item is its phase, exercise and sets (the rest follows from them and the constraints).
        picked = (tuple((c.phase.number, c.entry.slug, c.sets) for c in chosen),
                  tuple(e.slug for e in no_time), too_long)
    key = (built, version, constraints, picked)
    found = _MADE.get(key)
    if found is None:
        if constraints.referral:
            workout = _assemble(built, version, constraints, orders, 0)
        else:
            workout = _workout(built, version, constraints, chosen, no_time, too_long, 0)
        head = output.head(workout)
        order = repr(tuple(c.entry.slug for c in chosen)).encode()  # (``_priority``'s; empty for a referral)
        found = (head, hashlib.blake2b(head + order, digest_size=16).digest())
        while len(_MADE) >= MADE_MAX:
            _MADE.pop(next(iter(_MADE)), None)
        _MADE[key] = found
    return found


def _assemble(built: Index, version: str, constraints: Constraints, orders: Orders, seed: int) -> Workout:
    goal = built.goals[constraints.goal]
    if constraints.referral:  # red flags or severe pain: see a clinician, not a workout
        return output.referral(goal, constraints, seed, version)
    _, allowed = pool(built, constraints.pool_key)
    chosen, no_time, too_long = select(goal, constraints, allowed, orders)
    return _workout(built, version, constraints, chosen, no_time, too_long, seed)


def _workout(
    built: Index, version: str, constraints: Constraints, chosen: list[Chosen], no_time: list[Entry], too_long: bool,
    seed: int,
) -> Workout:
    goal = built.goals[constraints.goal]
    omitted, allowed = pool(built, constraints.pool_key)
    if not chosen:
        raise impossible(goal, constraints, allowed, too_long)
    return output.workout(goal, constraints, chosen, omitted, no_time, too_long, seed, version)
