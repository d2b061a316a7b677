"""Choosing the exercises for each phase and fitting them to the time.

Time fitting: one exercise per phase first (the goal's core), then more
exercises round-robin over the phases until the time asked for is reached,
then extra sets up to each dose's maximum. A session never ends up more than
10% over: sets are dropped (last-added exercise first, never below the
catalogue's minimum) and an exercise is only added when its minimum dose
still fits. Full doses or nothing: an exercise that does not fit is left out
(``omitted``, reason ``time``), never cut short. Phases are filled in the
goal's order, so what is dropped is the lowest priority.

Pain changes the dose (``pain``): from 4/10 every range is at its low end
with no sets added, and a painful release uses its gentle dose whenever any
pain is reported.

The seed is read in one place, ``break_ties``: it shuffles exact ties and nothing
else, so the rest is a pure function of (constraints, orders). (``Shuffler`` makes
the same orders faster for one query's many seeds.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.catalogue.models import Equipment, Goal
from app.workouts.constraints import Constraints, PoolKey, pool
from app.workouts.index import Dosing, Entry, GoalIndex, Index, PhaseIndex
from app.workouts.models import TightSide
from app.workouts.wording import say

OVER = 110  # percent of the time asked for, never exceeded


@dataclass(eq=False)
class Chosen:
    phase: PhaseIndex
    entry: Entry
    option: tuple[Equipment, ...]
    dose: Dosing
    tight: bool
    sets: int
    adjusted: str | None = None  # how pain changed the dose, told in the item's `why`

    def cost(self, sets: int | None = None) -> int:
        return self.dose.cost(self.sets if sets is None else sets, self.tight)


Orders = tuple[tuple[Entry, ...], ...]
TieGroups = tuple[tuple[tuple[Entry, ...], ...], ...]


def budget(constraints: Constraints) -> int:
    """The most seconds a session may take: the minutes asked for, capped by the pain grade, plus 10%."""
    return constraints.session_minutes * 60 * OVER // 100


def fits(used: int, cost: int, ceiling: int) -> bool:
    """Whether a whole exercise costing ``cost`` still fits after ``used`` seconds: full doses or nothing."""
    return used + cost <= ceiling


def refit(costs: Sequence[int], ceiling: int) -> list[bool]:
    """Which exercises to keep, given in order of priority (most important first) with their costs: each is
    kept when it still fits after those kept before it, as ``select`` adds them; the rest go for time."""
    kept: list[bool] = []
    used = 0
    for cost in costs:
        kept.append(fits(used, cost, ceiling))
        used += cost if kept[-1] else 0
    return kept


def break_ties(built: Index, constraints: Constraints, seed: int) -> Orders:
    """Each phase's allowed candidates, best first; the seed only shuffles exact ties.

    This is the one step that reads the seed: everything after it is a pure
    function of (constraints, orders), which the generator memoises.
    """
    return shuffle_ties(tie_groups(built, constraints), seed)


def tie_groups(built: Index, constraints: Constraints) -> TieGroups:
    """Each phase's allowed candidates as groups of exact ties, best group first (what ``break_ties`` shuffles)."""
    return _allowed_groups(built, constraints.goal, constraints.pool_key, constraints.tight_side)


def shuffle_ties(phase_groups: TieGroups, seed: int) -> Orders:
    """``break_ties`` once the groups are known: each group of more than one shuffled by ``random.Random(seed)``,
    in order (so a seed gives the same orders on every path)."""
    rng: random.Random | None = None
    phases: list[tuple[Entry, ...]] = []
    for groups in phase_groups:
        order: list[Entry] = []
        for group in groups:
            if len(group) > 1:
                if rng is None:
                    rng = random.Random(seed)
                members = list(group)
                rng.shuffle(members)
                order.extend(members)
            else:
                order.extend(group)
        phases.append(tuple(order))
    return tuple(phases)


# ``random.Random(seed)``'s state without its Python ``__init__`` and ``seed`` (which, for an int, only call these)
_new_generator = random.Random.__new__
_seed_generator = super(random.Random, random.Random).seed


class Shuffler:
    """``shuffle_ties(groups, seed)`` for fixed groups, for many seeds: the same orders, several times faster.

    ``random.shuffle`` draws, for a group of n, ``_randbelow(i + 1)`` for i from n - 1 down to 1, each by
    ``getrandbits(k)`` until below i + 1 (k its bit length), and swaps: the draws' sizes are known per group, so
    they are planned once, over all phases' candidates laid end to end (``flat``), and made here straight from
    ``getrandbits`` in the same order (CPython 3.11 to 3.13 alike; ``tests/test_generator.py`` holds the two to
    each other). Phase p's position i is ``flat(seed)[self.starts[p] + i]``.
    """

    def __init__(self, phase_groups: TieGroups) -> None:
        self.groups = phase_groups
        self.start: list[Entry] = [entry for groups in phase_groups for group in groups for entry in group]
        self.lengths = tuple(sum(len(group) for group in groups) for groups in phase_groups)
        self.starts = tuple(sum(self.lengths[:p]) for p in range(len(phase_groups)))  # where each phase begins
        # each draw: (where it swaps to, i + 1, the bit length of i + 1, where its group begins), in draw order
        draws: list[tuple[int, int, int, int]] = []
        base = 0
        for groups in phase_groups:
            for group in groups:
                draws += [(base + i, i + 1, (i + 1).bit_length(), base) for i in range(len(group) - 1, 0, -1)]
                base += len(group)
        self.draws = tuple(draws)

    def flat(self, seed: int) -> list[Entry]:
        """Every phase's tie-broken order, end to end."""
        flat = self.start.copy()
        if not self.draws:
            return flat
        generator: Any = _new_generator(random.Random)
        _seed_generator(generator, seed)
        bits = generator.getrandbits
        for at, n, k, base in self.draws:
            j = bits(k)
            while j >= n:
                j = bits(k)
            j += base
            flat[at], flat[j] = flat[j], flat[at]
        return flat

    def __call__(self, seed: int) -> Orders:
        return self.split(self.flat(seed))

    def split(self, flat: list[Entry]) -> Orders:
        spans = zip(self.starts, self.lengths, strict=True)
        return tuple(tuple(flat[start : start + length]) for start, length in spans)


@lru_cache(maxsize=4096)
def _allowed_groups(built: Index, goal: Goal, key: PoolKey, side: TightSide | None) -> TieGroups:
    """Each phase's tie groups with what the constraints rule out removed (empty groups dropped)."""
    _, allowed = pool(built, key)
    phases = []
    for phase in built.goals[goal].phases:
        groups = (tuple(e for e in group if e.slug in allowed) for group in phase.groups[(key.level, side)])
        phases.append(tuple(group for group in groups if group))
    return tuple(phases)


def dose_for(goal: GoalIndex, constraints: Constraints, slug: str) -> tuple[Dosing, str | None]:
    """The dose this exercise gets today, and how pain changed it (None when it did not)."""
    grade = constraints.grade
    if constraints.reports_pain and slug in goal.under_pain:
        return goal.under_pain[slug], say(goal.words, "dose.under_pain")
    if grade.bottom_dose:
        return goal.bottom[slug], say(goal.words, "dose.bottom", pain_level=constraints.pain_level)
    return goal.doses[(constraints.level, slug)], None


def select(
    goal: GoalIndex, constraints: Constraints, allowed: dict[str, tuple[Equipment, ...]], orders: Orders
) -> tuple[list[Chosen], list[Entry], bool]:
    """Pick exercises phase by phase and fit them to the time.

    Returns them in the order they were added, and the exercises left out because their full dose did not fit.
    """
    target = constraints.session_minutes * 60
    ceiling = budget(constraints)

    chosen: list[Chosen] = []
    families: set[str] = set()  # one exercise of a family per session
    patterns: list[set[str]] = [set() for _ in goal.phases]  # and no near-duplicates in a phase
    counts = [0] * len(goal.phases)
    cursors = [0] * len(goal.phases)
    no_time: dict[int, Entry] = {}  # per core phase, the best candidate whose full dose did not fit
    floor_total = 0  # every chosen exercise at its minimum sets
    planned = 0  # every chosen exercise at its level's sets
    too_long = False

    def add(p: int, picks: tuple[str, ...] | None = None) -> bool:
        """Add phase p's best remaining candidate that fits; with ``picks``, only one of those."""
        nonlocal floor_total, planned, too_long
        order = orders[p]
        while cursors[p] < len(order):
            entry = order[cursors[p]]
            if picks is not None and entry.slug not in picks:
                return False
            cursors[p] += 1
            if entry.family in families or entry.pattern in patterns[p]:
                continue
            dose, adjusted = dose_for(goal, constraints, entry.slug)
            tight = constraints.tight_side is not None and dose.per_side and adjusted is None  # no extra set in pain
            item = Chosen(goal.phases[p], entry, allowed[entry.slug], dose, tight, dose.sets, adjusted)
            if not fits(floor_total, item.cost(dose.min_sets), ceiling):
                too_long = True
                no_time.setdefault(p, entry)
                continue
            chosen.append(item)
            families.add(entry.family)
            patterns[p].add(entry.pattern)
            counts[p] += 1
            floor_total += item.cost(dose.min_sets)
            planned += item.cost()
            return True
        return False

    # The core: one exercise per phase. Phases whose article names an exercise
    # take it first, so an earlier phase cannot use up a later phase's pick.
    core = [p for p, phase in enumerate(goal.phases) if not phase.phase.optional]
    for p in core:
        add(p, picks=goal.phases[p].phase.picks_for(constraints.tight_side))
    for p in core:
        if counts[p] == 0:
            add(p)
    # A core phase left empty for time: its best candidate is what the session drops, and says so.
    dropped = [entry for p, entry in no_time.items() if counts[p] == 0]
    growing = True
    while growing and planned < target:
        growing = False
        for p, phase in enumerate(goal.phases):
            if planned >= target:
                break
            if counts[p] < phase.phase.max_items and add(p):
                growing = True

    in_order = sorted(chosen, key=lambda c: c.phase.number)  # stable: addition order within a phase
    while planned < target:  # more sets, up to each range's top, in phase order
        grew = False
        for item in in_order:
            step = item.dose.work + item.dose.rest_seconds
            if planned < target and item.sets < item.dose.max_sets and planned + step <= ceiling:
                item.sets += 1
                planned += step
                grew = True
        if not grew:
            break
    for item in reversed(chosen):  # too long: drop sets, last-added exercise first
        while planned > ceiling and item.sets > item.dose.min_sets:
            item.sets -= 1
            planned -= item.dose.work + item.dose.rest_seconds
    assert planned <= ceiling or not chosen
    return chosen, dropped, too_long
