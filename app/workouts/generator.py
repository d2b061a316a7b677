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
from collections.abc import Iterator
from typing import NamedTuple

from app.catalogue import Catalogue
from app.workouts import output
from app.workouts.constraints import Constraints, pool
from app.workouts.errors import UnknownExercises
from app.workouts.explain import impossible
from app.workouts.index import Entry, Index, index
from app.workouts.models import SEED_MAX, Workout, WorkoutQuery
from app.workouts.selection import Chosen, Orders, Shuffler, TieGroups, break_ties, select, tie_groups

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
    """``generate(...).model_dump_json()``, byte for byte, memoised on everything but the seed."""
    head, tail = generate_parts(catalogue, query, seed)
    return head + tail


def generate_parts(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> tuple[bytes, bytes]:
    """``generate_json`` in two parts: the head, all but the last fields (``seed``, ``catalogue_version`` and
    ``self``), which many seeds share, and the tail with those fields. One query's equal heads are one object,
    so a caller may keep what it derives from a head (a digest, a compressed form) by the head itself.

    Only tie-breaking reads the seed, and a query's seeds make few distinct workouts: ``Seeds`` learns,
    per query, which tie-broken orders make which head, so a new seed costs its shuffles and a short walk.
    """
    known = seeds_of(catalogue, query)
    return known.head(seed), known.tail(seed)


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
    return Variant(_shape(built, catalogue.version, constraints, orders), constraints.link(seed))


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


# A shape (``Variant``) by what the tie-broken order selected: nearly every seed has an order of its own (984 of
# 1,000 for a rehab query), but few selections (16), and the workout is a pure function of its selection. Keyed
# by order, a seed not seen before assembled and dumped its whole workout and ran ``select`` twice (most of a
# /workouts/next miss); keyed by selection, it costs one ``select``. Bounded as ``lru_cache(2048)`` was, oldest
# first out; a dict's own operations are atomic under the GIL (two threads computing one key store one value).
_SHAPES: dict[tuple[object, ...], bytes] = {}
MAX_SHAPES = 2048


def _shape(built: Index, version: str, constraints: Constraints, orders: Orders) -> bytes:
    """A digest of the workout's head (``output.head``) and its priority (``_priority``)."""
    chosen: list[Chosen] = []
    picked: object = None
    if not constraints.referral:
        selected = select(built.goals[constraints.goal], constraints, pool(built, constraints.pool_key)[1], orders)
        chosen, no_time, too_long = selected
        # A chosen item is its phase, exercise and sets (the rest follows from them and the constraints).
        picked = (tuple((c.phase.number, c.entry.slug, c.sets) for c in chosen), tuple(e.slug for e in no_time),
                  too_long)
    key = (built, version, constraints, picked)
    found = _SHAPES.get(key)
    if found is None:
        if constraints.referral:
            workout = _assemble(built, version, constraints, orders, 0)
        else:
            workout = _built(built, version, constraints, selected, 0)
        order = repr(tuple(c.entry.slug for c in chosen)).encode()  # (``_priority``'s; empty for a referral)
        found = hashlib.blake2b(output.head(workout) + order, digest_size=16).digest()
        while len(_SHAPES) >= MAX_SHAPES:
            _SHAPES.pop(next(iter(_SHAPES)), None)
        _SHAPES[key] = found
    return found


def _assemble(built: Index, version: str, constraints: Constraints, orders: Orders, seed: int) -> Workout:
    goal = built.goals[constraints.goal]
    if constraints.referral:  # red flags or severe pain: see a clinician, not a workout
        return output.referral(goal, constraints, seed, version)
    return _built(built, version, constraints, select(goal, constraints, pool(built, constraints.pool_key)[1], orders),
                  seed)


Selected = tuple[list[Chosen], list[Entry], bool]


def _built(built: Index, version: str, constraints: Constraints, selected: Selected, seed: int) -> Workout:
    """The workout of what ``select`` chose (raises ``WorkoutImpossible`` when it chose nothing)."""
    goal = built.goals[constraints.goal]
    omitted, allowed = pool(built, constraints.pool_key)
    chosen, no_time, too_long = selected
    if not chosen:
        raise impossible(goal, constraints, allowed, too_long)
    return output.workout(goal, constraints, chosen, omitted, no_time, too_long, seed, version)


# What ``Seeds`` learns: a node reads one position of the tie-broken orders (its index in ``Shuffler.flat``) and goes
# on by the entry found there; a leaf is the head, or False/True for "nothing fits" (``too_long``: something did not
# fit).
_Node = tuple[int, dict[Entry, "_Node | bytes | bool"]]
_Tree = _Node | bytes | bool | None
MAX_QUERIES = 1024  # queries learnt; past any bound every query is forgotten and learnt again
MAX_NODES = 100_000  # all queries' nodes together (each about 300 bytes)
MAX_HEAD_BYTES = 16 * 1024 * 1024  # and their heads
_learnt: dict[tuple[object, ...], Seeds] = {}
_sizes = [0, 0]  # nodes, head bytes


def seeds_of(catalogue: Catalogue, query: WorkoutQuery) -> Seeds:
    """The ``Seeds`` of this query (all but its seed) in this catalogue. Raises ``UnknownExercises``."""
    key = (catalogue, *[tuple(v) if type(v) is list else v for k, v in query.__dict__.items() if k != "seed"])
    known = _learnt.get(key)
    if known is None:
        if len(_learnt) >= MAX_QUERIES:
            forget()
        known = _learnt[key] = Seeds(catalogue, query)
    return known


def forget() -> None:
    """Drop what every query's seeds taught (the bounds above; tests)."""
    _learnt.clear()
    _sizes[:] = [0, 0]


class Seeds:
    """What the seeds of one query make, learnt as they come.

    ``select`` reads the tie-broken orders one position at a time, and which position it reads next
    depends only on what it read before (and the query). So the workout, but for its tail, is a
    function of those reads: the seeds seen so far are kept as a tree of them, its leaves the heads.
    Only positions inside ties can differ between seeds, and only their first read is kept.
    A seed shuffles its ties as ``break_ties`` does and walks the tree; only a path not seen before
    runs ``select``, noting what it reads, and builds the workout when its head is new.
    """

    def __init__(self, catalogue: Catalogue, query: WorkoutQuery) -> None:
        built, constraints, _ = _prepare(catalogue, query, 0)
        self.built, self.version, self.constraints = built, catalogue.version, constraints
        self.tail = output.Tail(catalogue.version, constraints.link_before_seed())
        self.referral: bytes | None = None  # a referral's head: the same for every seed
        self.groups: TieGroups = ()
        if constraints.referral:
            self.referral = output.head(_assemble(built, self.version, constraints, (), 0))
        else:
            self.groups = tie_groups(built, constraints)
        self.shuffle = Shuffler(self.groups)  # (``shuffle_ties(self.groups, seed)``)
        # the positions a seed can change: those of ties (a lone candidate is where it is for every seed)
        self.ties = frozenset(
            (phase, at)
            for phase, groups in enumerate(self.groups)
            for at, tied in enumerate(len(group) > 1 for group in groups for _ in group)
            if tied
        )
        self.tree: _Tree = None
        self.heads: dict[object, bytes] = {}

    def head(self, seed: int) -> bytes:
        """The workout's JSON up to its tail for ``seed``. Raises ``WorkoutImpossible``."""
        if self.referral is not None:
            return self.referral
        flat = self.shuffle.flat(seed)
        node = self.tree
        while type(node) is tuple:
            at, after = node
            node = after.get(flat[at])
        if type(node) is bytes:
            return node
        if node is None:
            return self._learn(self.shuffle.split(flat))
        self._built(([], [], bool(node)))  # raises: nothing fits
        raise AssertionError("unreachable")

    def _built(self, selected: Selected) -> Workout:
        return _built(self.built, self.version, self.constraints, selected, 0)

    def _learn(self, orders: Orders) -> bytes:
        reads: list[tuple[int, int, Entry]] = []
        goal = self.built.goals[self.constraints.goal]
        _, allowed = pool(self.built, self.constraints.pool_key)
        selected = select(goal, self.constraints, allowed, tuple(_Noted(o, p, reads) for p, o in enumerate(orders)))
        chosen, dropped, too_long = selected
        kept: dict[int, tuple[int, Entry]] = {}  # (a position read again reads what it read before)
        starts = self.shuffle.starts
        for phase, position, entry in reads:
            if (phase, position) in self.ties:
                kept.setdefault(starts[phase] + position, (starts[phase] + position, entry))
        path = list(kept.values())  # (in the order first read)
        if not chosen:
            self._grow(path, too_long)
            self._built(selected)  # raises
        # everything ``output.workout`` reads of the selection
        shape = (tuple((id(c.phase), id(c.entry), id(c.dose), c.option, c.tight, c.sets, c.adjusted) for c in chosen),
                 tuple(id(e) for e in dropped), too_long)
        head = self.heads.get(shape)
        if head is None:
            head = self.heads[shape] = output.head(self._built(selected))
            _sizes[1] += len(head)
        self._grow(path, head)
        return head

    def _grow(self, reads: list[tuple[int, Entry]], leaf: bytes | bool) -> None:
        """Add the path ``reads`` (index in ``Shuffler.flat``, entry found there) and its leaf to the tree."""
        if _sizes[0] > MAX_NODES or _sizes[1] > MAX_HEAD_BYTES:
            forget()  # (this object may stay in use a moment: it is only dropped)
        place: dict[Entry, _Node | bytes | bool] | None = None
        node, at = self.tree, 0
        while type(node) is tuple and at < len(reads):
            index, after = node
            if index != reads[at][0]:
                return  # (cannot be: select reads the same positions after the same reads; learn nothing)
            place, node = after, after.get(reads[at][1])
            at += 1
        if node is not None:
            return  # (known already: another caller learnt it)
        grown: _Node | bytes | bool = leaf
        for index, entry in reversed(reads[at:]):
            grown = (index, {entry: grown})
        _sizes[0] += len(reads) - at
        if place is None:
            self.tree = grown
        else:
            place[reads[at - 1][1]] = grown


class _Noted(tuple[Entry, ...]):
    """A phase's tie-broken order that notes each position read in it, for ``Seeds``."""

    phase: int
    reads: list[tuple[int, int, Entry]]

    def __new__(cls, order: tuple[Entry, ...], phase: int, reads: list[tuple[int, int, Entry]]) -> _Noted:
        noted = super().__new__(cls, order)
        noted.phase, noted.reads = phase, reads
        return noted

    def __getitem__(self, position: int) -> Entry:  # type: ignore[override]
        if type(position) is not int:
            raise TypeError("select reads orders one position at a time (Seeds learns from those reads)")
        entry = tuple.__getitem__(self, position)
        self.reads.append((self.phase, position, entry))
        return entry

    def __iter__(self) -> Iterator[Entry]:
        raise TypeError("select reads orders one position at a time (Seeds learns from those reads)")
