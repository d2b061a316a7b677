"""The generator's own safety check and dosing, read through one door.

Adaptation may put a different exercise (a regression or a progression) into
a workout, and it must pass exactly the checks the generator applied: pain
flags, the pain level's gentle-only rule, level, equipment and exclusions.
So this asks the generator (``Constraints.ruled_out``) rather than repeating
those rules, and times a dose with the generator's own ``Dosing.cost``. This
module is the only place coaching touches the generator, and it uses just
``Constraints``, ``index`` and the time fitter's ``budget``, ``refit`` and ``priority``: when the
generator moves, only those imports move.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from app.catalogue import Catalogue
from app.catalogue.models import Dose
from app.coaching.models import DoseState
from app.workouts.constraints import Constraints
from app.workouts.generator import priority
from app.workouts.index import index
from app.workouts.models import Omission, Prescription, Workout, WorkoutExercise, WorkoutParameters, WorkoutQuery
from app.workouts.selection import budget, refit

_LISTS = ("equipment", "pain", "exclude", "red_flags")


def query_of(workout: Workout) -> WorkoutQuery:
    """The query a workout was generated for, read from its ``self`` link (the seed left out).

    ``parameters`` say the same, the opt-out (``no_wall``) included: without it the wall would be
    assumed again, and a regression done against a wall swapped in for someone without one.
    """
    return _read(_without_seed(workout.self))


def _without_seed(link: str) -> str:
    path, _, query = link.partition("?")
    return path + "?" + "&".join(part for part in query.split("&") if not part.startswith("seed="))


# A workout's link, seed left out, names one query: read (and made constraints) once, not on every request
# (together 0.1 ms of an adapt request). Both are frozen, so one object serves every request.
@lru_cache(maxsize=1024)
def _read(link: str) -> WorkoutQuery:
    raw: dict[str, object] = {}
    for key, value in parse_qsl(urlsplit(link).query):
        raw[key] = value.split(",") if key in _LISTS else value
    raw.pop("seed", None)
    return WorkoutQuery.model_validate(raw)


@lru_cache(maxsize=1024)
def _constraints(link: str, catalogue: Catalogue) -> Constraints:
    return Constraints.of(_read(link), catalogue)


@dataclass(frozen=True)
class Allowed:
    """An exercise the constraints allow, as the workout shows it (with the equipment option to use)."""

    name: str
    ref: WorkoutExercise


class Gate:
    """What the constraints of one workout allow, and how its exercises are dosed at the user's level."""

    def __init__(self, catalogue: Catalogue, workout: Workout) -> None:
        self.catalogue = catalogue
        self.parameters: WorkoutParameters = workout.parameters
        link = _without_seed(workout.self)
        self.query = _read(link)
        self.seed = workout.seed
        self.constraints = _constraints(link, catalogue)
        self.budget = budget(self.constraints)  # the seconds the generator fitted the session into
        built = index(catalogue)
        self.entries = {entry.slug: entry for entry in built.entries}
        self.doses = built.goals[self.parameters.goal].doses

    def allowed(self, slug: str) -> Allowed | None:
        """None when the generator would leave this exercise out (or it is not a training exercise)."""
        entry = self.entries.get(slug)
        if entry is None:
            return None
        ruled = self.constraints.ruled_out(entry)
        return None if isinstance(ruled, Omission) else Allowed(entry.exercise.name, entry.refs[ruled])

    def priority(self) -> tuple[str, ...]:
        """The plain workout's exercises, most important first, as the generator added them."""
        return priority(self.catalogue, self.query, self.seed)

    def refit(self, costs: list[int]) -> list[bool]:
        """Which of these (most important first) to keep within ``budget``, as the generator keeps them."""
        return refit(costs, self.budget)

    def time_omission(self, slug: str) -> Omission:
        """The generator's own ``omitted`` entry for an exercise left out for time."""
        return self.entries[slug].time

    def family(self, slug: str) -> str:
        entry = self.entries.get(slug)
        return entry.family if entry is not None else slug

    def dose_range(self, slug: str) -> Dose:
        exercise = self.catalogue.by_slug[slug]
        return exercise.goal_doses.get(self.parameters.goal, exercise.dose)

    def prescription(self, state: DoseState, tight: bool) -> tuple[Prescription, int]:
        """``state`` as the generator prescribes it at the user's level (rest, tempo, note), and its
        estimated seconds. ``tight``: one extra set on the tight side, for a per-side exercise."""
        base = self.doses[(self.parameters.level, state.exercise)]
        if state.duration_seconds is not None:
            side_work = state.duration_seconds
        else:
            each = state.hold_seconds if state.hold_seconds is not None else self.dose_range(state.exercise).rep_seconds
            side_work = (state.reps or 1) * each
        timed = replace(base, side_work=max(1, side_work))
        prescription = Prescription(
            sets=state.sets,
            reps=state.reps,
            hold_seconds=state.hold_seconds,
            duration_seconds=state.duration_seconds,
            per_side=base.per_side,
            rest_seconds=base.rest_seconds,
            tempo=base.tempo,
            note=base.note,
            load_kg=state.load_kg,
        )
        return prescription, timed.cost(state.sets, tight and base.per_side)
