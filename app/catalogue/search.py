"""Asking the catalogue: what a user may name, the cap on lists, and which exercises a filter keeps.

The routes add only HTTP parsing (comma-separated lists, paging) on top of
``ExerciseFilter``, and the workout query names equipment with the same
``EquipmentChoice``, so the API and the CLI filter the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.catalogue.loader import Catalogue, fold
from app.catalogue.models import MUSCLE_GROUPS, Equipment, Exercise, Kind, Level, Muscle, PainFlag, Position

MAX_LIST = 20  # values one list parameter may hold, in any query

# "none" is accepted alongside the equipment names and means "nothing"; the catalogue's assumed equipment
# (a wall) still counts unless its opt-out, "no_wall", is given.
EquipmentChoice = StrEnum(  # type: ignore[misc]  # built from the data's names, not written out twice
    "EquipmentChoice", {e: e for e in ["none", "no_wall", *(e.value for e in Equipment)]}
)
_EQUIPMENT = frozenset(e.value for e in Equipment)
# A muscle filter may name a muscle or a group of them ("iliopsoas").
MuscleFilter = StrEnum(  # type: ignore[misc]
    "MuscleFilter", {m: m for m in [*(m.value for m in Muscle), *MUSCLE_GROUPS]}
)


def kit(choices: Iterable[str]) -> frozenset[Equipment]:
    """The equipment a list of choices names; ``none`` and opt-outs (``no_wall``) add nothing."""
    return frozenset(Equipment(e) for e in choices if e in _EQUIPMENT)


class ExerciseFilter(BaseModel):
    """Filters combine with AND; several values of one filter combine with OR."""

    model_config = ConfigDict(extra="forbid")

    kind: list[Kind] = Field(default=[], max_length=MAX_LIST)
    muscle: list[MuscleFilter] = Field(default=[], max_length=MAX_LIST)
    position: list[Position] = Field(default=[], max_length=MAX_LIST)
    level: Level | None = Field(default=None, description="Exercises at or below this level.")
    equipment: list[EquipmentChoice] = Field(
        default=[],
        max_length=MAX_LIST,
        description=(
            "What the user has; `none` means bodyweight only. A wall is assumed unless `no_wall` is given. "
            "Matches if one option is covered."
        ),
    )
    pain: list[PainFlag] = Field(
        default=[], max_length=MAX_LIST, description="Leave out exercises these pain flags rule out."
    )
    q: str | None = Field(
        default=None, min_length=1, max_length=100, description="Name or alias, case- and accent-insensitive."
    )


def matches(catalogue: Catalogue, exercise: Exercise, query: ExerciseFilter) -> bool:
    if query.kind and exercise.kind not in query.kind:
        return False
    if query.position and exercise.position not in query.position:
        return False
    if query.level is not None and exercise.level.rank > query.level.rank:
        return False
    if query.muscle:
        wanted: set[str] = set()
        for name in query.muscle:
            wanted.update(MUSCLE_GROUPS.get(name, {name}))
        if wanted.isdisjoint({*exercise.muscles.primary, *exercise.muscles.secondary}):
            return False
    if query.equipment and catalogue.equipment_option(exercise, catalogue.kit(query.equipment)) is None:
        return False
    if query.pain and any(c.flag in query.pain for c in exercise.contraindications):
        return False
    if query.q is not None:
        needle = fold(query.q.strip())
        if not any(needle in term for term in catalogue.search_terms[exercise.slug]):
            return False
    return True


def search(catalogue: Catalogue, query: ExerciseFilter) -> list[Exercise]:
    """The exercises ``query`` keeps, in catalogue order."""
    return [e for e in catalogue.exercises if matches(catalogue, e, query)]
