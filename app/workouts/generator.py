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
from functools import lru_cache
from typing import NamedTuple

from app.catalogue import Catalogue
from app.workouts import output
from app.workouts.constraints import Constraints, pool
from app.workouts.errors import UnknownExercises
from app.workouts.explain import impossible
from app.workouts.index import Index, index
from app.workouts.models import SEED_MAX, Workout, WorkoutQuery
from app.workouts.selection import Orders, break_ties, select

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
    head = _body_head(built, catalogue.version, constraints, orders)
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
    head = _body_head(built, catalogue.version, constraints, orders)
    order = repr(_priority(built, constraints, orders)).encode()
    return Variant(hashlib.blake2b(head + order, digest_size=16).digest(), constraints.link(seed))


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


@lru_cache(maxsize=2048)
def _body_head(built: Index, version: str, constraints: Constraints, orders: Orders) -> bytes:
    return output.head(_assemble(built, version, constraints, orders, 0))


def _assemble(built: Index, version: str, constraints: Constraints, orders: Orders, seed: int) -> Workout:
    goal = built.goals[constraints.goal]
    if constraints.referral:  # red flags or severe pain: see a clinician, not a workout
        return output.referral(goal, constraints, seed, version)
    omitted, allowed = pool(built, constraints.pool_key)
    chosen, no_time, too_long = select(goal, constraints, allowed, orders)
    if not chosen:
        raise impossible(goal, constraints, allowed, too_long)
    return output.workout(goal, constraints, chosen, omitted, no_time, too_long, seed, version)
