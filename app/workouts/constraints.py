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
from app.catalogue.search import EquipmentChoice, kit
from app.workouts.cautions import active
from app.workouts.goals import BY_GOAL
from app.workouts.index import Entry, Index
from app.workouts.models import Omission, RedFlag, TightSide, WorkoutParameters, WorkoutQuery
from app.workouts.pain import INTENSITY_RANK, PainGrade, grade
from app.workouts.screening import needs_referral


@lru_cache(maxsize=4096)
def _link_base(constraints: Constraints) -> str:
    return constraints._link_base()


@dataclass(frozen=True)
class PoolKey:
    """What decides which exercises are ruled out; equal keys share one ``pool``."""

    level: Level
    have: frozenset[Equipment]
    pain: tuple[PainFlag, ...]
    max_intensity: Intensity
    exclude: tuple[str, ...]
    cautions: tuple[str, ...]
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
    red_flags: tuple[RedFlag, ...] = ()
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
            red_flags=tuple(sorted(set(query.red_flags))),
        )

    @property
    def pool_key(self) -> PoolKey:
        return PoolKey(self.level, self.kit, self.pain, self.max_intensity, self.exclude, self.cautions, self)

    @cached_property
    def cautions(self) -> tuple[str, ...]:
        """The combined contraindications that apply (``cautions.CAUTIONS``)."""
        return active(self.pain, self.pain_level)

    @cached_property
    def kit(self) -> frozenset[Equipment]:
        return self.have | self.assumed

    @cached_property
    def grade(self) -> PainGrade:
        return grade(self.pain_level)

    @cached_property
    def hip_rehab(self) -> bool:
        """Rehab for an irritated front of the hip keeps to gentle work whatever the pain level."""
        return self.goal is Goal.rehab and PainFlag.hip in self.pain

    @cached_property
    def max_intensity(self) -> Intensity:
        return Intensity.gentle if self.hip_rehab else self.grade.max_intensity

    @property
    def gentle_only(self) -> bool:
        return self.max_intensity is Intensity.gentle

    @cached_property
    def session_minutes(self) -> int:
        """The minutes asked for, capped by the pain grade."""
        cap = self.grade.max_minutes
        return self.minutes if cap is None else min(self.minutes, cap)

    @cached_property
    def reports_pain(self) -> bool:
        """Any pain today: painful releases then use their gentle dose. Pregnancy alone is not pain."""
        return self.pain_level > 0 or any(flag is not PainFlag.pregnancy for flag in self.pain)

    @cached_property
    def referral(self) -> bool:
        """A red flag or the pain grade means a clinician, not a session (``screening.referral`` says why)."""
        return needs_referral(self.red_flags, self.grade)

    def ruled_out(self, entry: Entry) -> Omission | tuple[Equipment, ...]:
        """The first constraint that removes this exercise, or else the equipment option to use."""
        if entry.slug in self.exclude:
            return entry.excluded
        if entry.flags:
            for flag in self.pain:
                if flag in entry.flags:
                    return entry.pain[flag]
        if not self.allows(entry.exercise.intensity):
            return entry.intensity[self.max_intensity]
        if entry.cautions:
            for caution in self.cautions:
                if caution in entry.cautions:
                    return entry.cautions[caution]
        if entry.exercise.level.rank > self.level.rank:
            return entry.level
        option = self.option(entry)
        return entry.equipment if option is None else option

    def allows(self, intensity: Intensity) -> bool:
        return INTENSITY_RANK[intensity] <= INTENSITY_RANK[self.max_intensity]

    def option(self, entry: Entry) -> tuple[Equipment, ...] | None:
        for option, needed in zip(entry.options, entry.option_sets, strict=True):
            if needed <= self.kit:
                return option
        return None

    def link(self, seed: int) -> str:
        return f"{self.link_before_seed()}{seed}"

    def link_before_seed(self) -> str:
        """``link`` up to its seed's digits."""
        return f"{_link_base(self)}&seed="

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
        if self.red_flags:
            params.append(("red_flags", ",".join(self.red_flags)))
        # Every value is an enum value, a slug or a number: nothing to percent-encode.
        return "/workouts?" + "&".join(f"{key}={value}" for key, value in params)

    def parameters(self) -> WorkoutParameters:
        return WorkoutParameters(
            goal=self.goal,
            level=self.level,
            # as ``link`` lists them: an opt-out dropped here would assume the wall again on a replay
            equipment=[EquipmentChoice(e) for e in [*sorted(e.value for e in self.have), *self.opted_out]],
            pain=list(self.pain),
            pain_level=self.pain_level,
            minutes=self.minutes,
            tight_side=self.tight_side,
            exclude=list(self.exclude),
            red_flags=list(self.red_flags),
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
