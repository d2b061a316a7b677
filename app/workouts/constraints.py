"""A query in the form the generator works with, and what it rules out.

``Constraints`` resolves defaults and sorts sets into tuples, so equal
queries are equal keys; ``pool`` says, once per distinct set of ruling
constraints, which exercises are out (and why) and which equipment option
each remaining one uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from app.catalogue import Catalogue
from app.catalogue.models import Equipment, Goal, Intensity, Level, PainFlag
from app.catalogue.search import kit
from app.workouts.goals import BY_GOAL
from app.workouts.index import Entry, Index
from app.workouts.models import Omission, TightSide, WorkoutParameters, WorkoutQuery

HIGH_PAIN = 7  # from this pain level on, gentle exercises only


@lru_cache(maxsize=4096)
def _link_base(constraints: Constraints) -> str:
    return constraints._link_base()


@dataclass(frozen=True)
class PoolKey:
    """What decides which exercises are ruled out; equal keys share one ``pool``."""

    level: Level
    have: frozenset[Equipment]
    pain: tuple[PainFlag, ...]
    gentle_only: bool
    exclude: tuple[str, ...]
    constraints: Constraints = field(compare=False, hash=False)


@dataclass(frozen=True)
class Constraints:
    """A query in the form the generator works with: sets sorted into tuples, defaults resolved."""

    goal: Goal
    level: Level
    have: frozenset[Equipment]
    pain: tuple[PainFlag, ...]
    pain_level: int
    minutes: int
    tight_side: TightSide | None
    exclude: tuple[str, ...]
    assumed: frozenset[Equipment] = frozenset()  # counted as available though not declared: a wall
    opted_out: tuple[str, ...] = ()  # "no_wall": the caller lacks what is otherwise assumed

    @classmethod
    def of(cls, query: WorkoutQuery, catalogue: Catalogue) -> Constraints:
        declared = kit(query.equipment)
        said = {str(e) for e in query.equipment}
        return cls(
            goal=query.goal,
            level=query.level,
            have=declared,
            assumed=catalogue.kit(query.equipment) - declared,
            opted_out=tuple(sorted(a.opt_out for a in catalogue.assumed_equipment if a.opt_out in said)),
            pain=tuple(sorted(set(query.pain))),
            pain_level=query.pain_level,
            minutes=query.minutes if query.minutes is not None else BY_GOAL[query.goal].default_minutes,
            tight_side=query.tight_side,
            exclude=tuple(sorted(set(query.exclude))),
        )

    @property
    def pool_key(self) -> PoolKey:
        return PoolKey(self.level, self.kit, self.pain, self.gentle_only, self.exclude, self)

    @cached_property
    def kit(self) -> frozenset[Equipment]:
        return self.have | self.assumed

    @cached_property
    def gentle_only(self) -> bool:
        return self.pain_level >= HIGH_PAIN or (self.goal is Goal.rehab and PainFlag.hip in self.pain)

    def ruled_out(self, entry: Entry) -> Omission | tuple[Equipment, ...]:
        """The first constraint that removes this exercise, or else the equipment option to use."""
        if entry.slug in self.exclude:
            return entry.excluded
        if entry.flags:
            for flag in self.pain:
                if flag in entry.flags:
                    return entry.pain[flag]
        if self.gentle_only and entry.exercise.intensity is not Intensity.gentle:
            return entry.intensity
        if entry.exercise.level.rank > self.level.rank:
            return entry.level
        option = self.option(entry)
        return entry.equipment if option is None else option

    def option(self, entry: Entry) -> tuple[Equipment, ...] | None:
        for option, needed in zip(entry.options, entry.option_sets, strict=True):
            if needed <= self.kit:
                return option
        return None

    def link(self, seed: int) -> str:
        return f"{_link_base(self)}&seed={seed}"

    def _link_base(self) -> str:
        params = [("goal", self.goal.value), ("level", self.level.value)]
        if self.have or self.opted_out:
            params.append(("equipment", ",".join([*sorted(e.value for e in self.have), *self.opted_out])))
        if self.pain:
            params.append(("pain", ",".join(f.value for f in self.pain)))
        if self.pain_level:
            params.append(("pain_level", str(self.pain_level)))
        params.append(("minutes", str(self.minutes)))
        if self.tight_side is not None:
            params.append(("tight_side", self.tight_side.value))
        if self.exclude:
            params.append(("exclude", ",".join(self.exclude)))
        # Every value is an enum value, a slug or a number: nothing to percent-encode.
        return "/workouts?" + "&".join(f"{key}={value}" for key, value in params)

    def parameters(self) -> WorkoutParameters:
        return WorkoutParameters(
            goal=self.goal,
            level=self.level,
            equipment=sorted(self.have),
            pain=list(self.pain),
            pain_level=self.pain_level,
            minutes=self.minutes,
            tight_side=self.tight_side,
            exclude=list(self.exclude),
        )


@lru_cache(maxsize=4096)
def pool(built: Index, key: PoolKey) -> tuple[tuple[Omission, ...], dict[str, tuple[Equipment, ...]]]:
    """What the constraints rule out (and why) and, for the rest, the equipment option to use."""
    constraints = key.constraints
    omitted: list[Omission] = []
    allowed: dict[str, tuple[Equipment, ...]] = {}
    for entry in built.entries:
        ruled = constraints.ruled_out(entry)
        if isinstance(ruled, Omission):
            omitted.append(ruled)
        else:
            allowed[entry.slug] = ruled
    return tuple(omitted), allowed
