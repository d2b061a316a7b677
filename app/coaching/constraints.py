"""The generator's own safety check and dosing, read through one door.

Adaptation may put a different exercise (a regression or a progression) into
a workout, and it must pass exactly the checks the generator applied: pain
flags, the pain level's gentle-only rule, level, equipment and exclusions.
So this asks the generator (``Constraints.ruled_out``) rather than repeating
those rules, and this module is the only place coaching touches the
generator's internals: when the generator moves, only these imports move.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.catalogue import Catalogue
from app.catalogue.models import Dose, Equipment
from app.workouts.generator import Constraints, Dosing, Entry, dosing, index
from app.workouts.models import Omission, WorkoutExercise, WorkoutParameters, WorkoutQuery


@dataclass(frozen=True)
class Allowed:
    """An exercise the constraints allow, with the equipment option to use."""

    entry: Entry
    option: tuple[Equipment, ...]

    @property
    def family(self) -> str:
        return self.entry.family

    @property
    def ref(self) -> WorkoutExercise:
        return self.entry.refs[self.option]


class Gate:
    """What the constraints of one workout allow, per catalogue exercise."""

    def __init__(self, catalogue: Catalogue, parameters: WorkoutParameters) -> None:
        self.catalogue = catalogue
        self.parameters = parameters
        query = WorkoutQuery.model_validate(parameters.model_dump(mode="json"))
        self.constraints = Constraints.of(query)
        self.entries = {entry.slug: entry for entry in index(catalogue).entries}

    def allowed(self, slug: str) -> Allowed | None:
        """None when the generator would leave this exercise out (or it is not a training exercise)."""
        entry = self.entries.get(slug)
        if entry is None:
            return None
        ruled = self.constraints.ruled_out(entry)
        return None if isinstance(ruled, Omission) else Allowed(entry, ruled)

    def family(self, slug: str) -> str:
        entry = self.entries.get(slug)
        return entry.family if entry is not None else slug

    def dose_range(self, slug: str) -> Dose:
        exercise = self.catalogue.by_slug[slug]
        return exercise.goal_doses.get(self.parameters.goal, exercise.dose)

    def dosing(
        self, slug: str, reps: int | None, hold_seconds: int | None, duration_seconds: int | None
    ) -> Dosing:
        """The generator's dosing at the user's level, with the work per set replaced."""
        span = self.dose_range(slug)
        base = dosing(span, self.parameters.level)
        if duration_seconds is not None:
            side_work = duration_seconds
        else:
            side_work = (reps or 1) * (hold_seconds if hold_seconds is not None else span.rep_seconds)
        return replace(
            base,
            reps=reps,
            hold_seconds=hold_seconds,
            duration_seconds=duration_seconds,
            side_work=max(1, side_work),
        )
