"""What the catalogue offers each goal, worked out once per catalogue.

Everything that does not depend on the request is precomputed here: which
exercises suit which phase and in what order of preference (per level and
tight side), each exercise's dose at each level with its timing, its
equipment options, and the omission a constraint would report for it. A
request then only filters (``constraints``), breaks ties (``selection``) and
renders (``output``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import groupby
from typing import Protocol

from app.catalogue import Catalogue
from app.catalogue.models import Dose, Equipment, Exercise, Goal, Intensity, Kind, Level, PainFlag
from app.workouts.cautions import CAUTIONS
from app.workouts.goals import GoalPlan, Phase
from app.workouts.models import Omission, OmitReason, TightSide, WorkoutExercise
from app.workouts.wording import goals, phase_name, say, words

TRANSITION_SECONDS = 20  # setting up for the next exercise

LEVELS = tuple(Level)
SIDES: tuple[TightSide | None, ...] = (None, *TightSide)


@dataclass(frozen=True, eq=False)
class Dosing:
    """One exercise's dose for one goal and level, with its timing."""

    sets: int
    min_sets: int  # the catalogue's minimum: never fewer
    max_sets: int
    reps: int | None
    hold_seconds: int | None
    duration_seconds: int | None
    per_side: bool
    rest_seconds: int
    tempo: str | None
    note: str | None
    side_work: int  # seconds of work in one set, one side

    @property
    def work(self) -> int:
        return self.side_work * (2 if self.per_side else 1)

    def cost(self, sets: int, tight: bool) -> int:
        seconds = sets * self.work + (sets - 1) * self.rest_seconds + TRANSITION_SECONDS
        if tight:
            seconds += self.side_work + self.rest_seconds
        return seconds


class Span(Protocol):
    """A catalogue range (sets, reps, seconds); read-only, as the catalogue's models are frozen."""

    @property
    def min(self) -> int: ...

    @property
    def max(self) -> int: ...


def _at_level(low: int, high: int, level: Level) -> int:
    """Beginner: the low end of the article's range; intermediate: the middle; advanced: the top."""
    return (low, (low + high) // 2, high)[level.rank]


def dosing(dose: Dose, level: Level, bottom: bool = False) -> Dosing:
    """The dose at ``level``; ``bottom``: at the low end of every range, with no sets added to fill time."""
    if bottom:
        level = Level.beginner
    def point(span: Span | None) -> int | None:
        return None if span is None else _at_level(span.min, span.max, level)

    reps = point(dose.reps)
    hold = point(dose.hold_seconds)
    duration = point(dose.duration_seconds)
    if duration is not None:
        side_work = duration
    else:
        assert reps is not None  # the schema guarantees reps or a duration
        side_work = reps * (hold if hold is not None else dose.rep_seconds)
    sets = max(1, _at_level(dose.sets.min, dose.sets.max, level))
    return Dosing(
        sets=sets,
        min_sets=max(1, dose.sets.min),
        max_sets=sets if bottom else max(sets, dose.sets.max),
        reps=reps,
        hold_seconds=hold,
        duration_seconds=duration,
        per_side=dose.per_side,
        rest_seconds=_at_level(dose.rest_seconds.min, dose.rest_seconds.max, level),
        tempo=dose.tempo,
        note=dose.note,
        side_work=max(1, side_work),
    )


def _needs(option: tuple[Equipment, ...], table: Mapping[str, str]) -> str:
    return table["join.with"].join(table[f"equipment.{e.value}"] for e in option)


@dataclass(eq=False)
class Entry:
    """One catalogue exercise, with everything a request asks of it precomputed."""

    exercise: Exercise
    slug: str
    family: str  # variants of one exercise share it: one per session
    pattern: str  # near-duplicates share it (the family unless the catalogue says otherwise): one per phase
    options: tuple[tuple[Equipment, ...], ...]  # most-equipped first, then data order
    option_sets: tuple[frozenset[Equipment], ...]
    flags: frozenset[PainFlag]
    pain: dict[PainFlag, Omission]
    excluded: Omission
    intensity: dict[Intensity, Omission]  # by the most intense work allowed
    time: Omission
    level: Omission
    equipment: Omission
    refs: dict[tuple[Equipment, ...], WorkoutExercise]
    cautions: dict[str, Omission] = field(default_factory=dict)  # by ``cautions.CAUTIONS`` id, where it applies


def _cues(exercise: Exercise) -> list[str]:
    cues = list(exercise.cues[:3])
    for instruction in exercise.instructions:
        if len(cues) >= 2:
            break
        cues.append(instruction)
    return cues


def _entry(exercise: Exercise, by_slug: dict[str, Exercise], table: Mapping[str, str]) -> Entry:
    numbered = sorted(enumerate(exercise.equipment), key=lambda pair: (-len(pair[1]), pair[0]))
    options = tuple(tuple(option) for _, option in numbered)

    def omission(reason: OmitReason, detail: str) -> Omission:
        return Omission(slug=exercise.slug, name=exercise.name, reason=reason, detail=detail)

    needs = table["join.or"].join(_needs(option, table) for option in options if option)
    return Entry(
        exercise=exercise,
        slug=exercise.slug,
        family=exercise.family,  # from the data: L-sit progressions share one without being variants
        pattern=exercise.pattern or exercise.family,
        options=options,
        option_sets=tuple(frozenset(option) for option in options),
        flags=frozenset(c.flag for c in exercise.contraindications),
        pain={
            c.flag: omission(
                OmitReason.pain, say(table, "omit.pain", flag=table[f"flag.{c.flag.value}"], reason=c.reason)
            )
            for c in exercise.contraindications
        },
        excluded=omission(OmitReason.excluded, say(table, "omit.excluded")),
        intensity={
            Intensity.gentle: omission(
                OmitReason.intensity,
                say(table, "omit.intensity", intensity=table[f"intensity.{exercise.intensity.value}"]),
            ),
            Intensity.moderate: omission(
                OmitReason.intensity,
                say(table, "omit.moderate", intensity=table[f"intensity.{exercise.intensity.value}"]),
            ),
        },
        time=omission(OmitReason.time, say(table, "omit.time")),
        level=omission(OmitReason.level, say(table, "omit.level", level=table[f"level.{exercise.level.value}"])),
        equipment=omission(OmitReason.equipment, say(table, "omit.equipment", needs=needs)),
        cautions={
            c.id: omission(OmitReason.pain, say(table, f"caution.{c.id}"))
            for c in CAUTIONS
            if c.mechanics.intersection(exercise.mechanics)
        },
        refs={
            option: WorkoutExercise(
                slug=exercise.slug,
                name=exercise.name,
                kind=exercise.kind,
                equipment=list(option),
                cues=_cues(exercise),
                href=f"/exercises/{exercise.slug}",
            )
            for option in options
        },
    )


@dataclass(eq=False)
class PhaseIndex:
    number: int  # 1-based position in the goal
    phase: Phase
    # tie groups of candidates, best first, for each (level, tight side)
    groups: dict[tuple[Level, TightSide | None], tuple[tuple[Entry, ...], ...]]
    why: dict[str, str]


@dataclass(eq=False)
class GoalIndex:
    plan: GoalPlan
    phases: tuple[PhaseIndex, ...]
    doses: dict[tuple[Level, str], Dosing]
    bottom: dict[str, Dosing]  # every range at its low end: for pain from 4/10
    candidates: tuple[Entry, ...]  # every exercise any phase could use, at any level
    words: Mapping[str, str]  # the sentences, in the catalogue's language
    under_pain: dict[str, Dosing] = field(default_factory=dict)  # painful releases' gentle dose, used with any pain


@dataclass(eq=False)
class Index:
    entries: tuple[Entry, ...]  # catalogue order, assessments left out
    slugs: frozenset[str]  # every catalogue slug, assessments included
    goals: dict[Goal, GoalIndex] = field(default_factory=dict)


def _suits(dose: Dose, plan: GoalPlan) -> bool:
    """A warm-up leaves out long static holds."""
    if plan.max_hold_seconds is None or dose.hold_seconds is None:
        return True
    return dose.hold_seconds.min <= plan.max_hold_seconds


def _preference(entry: Entry, phase: Phase, picks: tuple[str, ...], level: Level) -> tuple[int, int, int, int]:
    """Lower is better: the article's pick, then the phase's sources, the hardest allowed, the role's rank."""
    exercise = entry.exercise
    pick = picks.index(entry.slug) if entry.slug in picks else len(picks)
    cited = [phase.sources.index(r.source) for r in exercise.sources if r.source in phase.sources]
    source = min(cited, default=len(phase.sources))
    distance = level.rank - exercise.level.rank  # the hardest allowed first
    role = min(phase.roles.index(r) for r in exercise.roles if r in phase.roles)
    return (pick, source, distance, role)


def _phase_index(
    number: int, phase: Phase, plan: GoalPlan, entries: tuple[Entry, ...], catalogue: Catalogue
) -> PhaseIndex:
    fitting = [
        e
        for e in entries
        if any(role in e.exercise.roles for role in phase.roles)
        and e.slug not in phase.leaves_out
        and _suits(e.exercise.goal_doses.get(plan.goal, e.exercise.dose), plan)
    ]
    groups: dict[tuple[Level, TightSide | None], tuple[tuple[Entry, ...], ...]] = {}
    for level in LEVELS:
        for side in SIDES:
            key = partial(_preference, phase=phase, picks=phase.picks_for(side), level=level)
            allowed = sorted((e for e in fitting if e.exercise.level.rank <= level.rank), key=key)
            groups[(level, side)] = tuple(tuple(group) for _, group in groupby(allowed, key=key))
    table, name = words(catalogue), phase_name(catalogue, phase.title)
    why = {
        e.slug: say(
            table,
            "why",
            goal=plan.title,
            number=number,
            phase=name,
            exercise=e.exercise.name,
            purpose=e.exercise.purpose or phase.purpose,
        )
        for e in fitting
    }
    return PhaseIndex(number=number, phase=phase, groups=groups, why=why)


def _goal_index(plan: GoalPlan, entries: tuple[Entry, ...], catalogue: Catalogue) -> GoalIndex:
    phases = tuple(_phase_index(n, phase, plan, entries, catalogue) for n, phase in enumerate(plan.phases, start=1))
    used = {slug for p in phases for slug in p.why}
    doses = {
        (level, e.slug): dosing(e.exercise.goal_doses.get(plan.goal, e.exercise.dose), level)
        for level in LEVELS
        for e in entries
    }
    bottom = {
        e.slug: dosing(e.exercise.goal_doses.get(plan.goal, e.exercise.dose), Level.beginner, bottom=True)
        for e in entries
    }
    under_pain = {
        e.slug: dosing(e.exercise.dose_under_pain, Level.beginner, bottom=True)
        for e in entries
        if e.exercise.dose_under_pain is not None
    }
    candidates = tuple(e for e in entries if e.slug in used)
    return GoalIndex(
        plan=plan,
        phases=phases,
        doses=doses,
        bottom=bottom,
        candidates=candidates,
        words=words(catalogue),
        under_pain=under_pain,
    )


@lru_cache(maxsize=8)
def index(catalogue: Catalogue) -> Index:
    """Everything about the catalogue a request needs, built once per catalogue object."""
    table = words(catalogue)
    entries = tuple(_entry(e, catalogue.by_slug, table) for e in catalogue.exercises if e.kind is not Kind.assessment)
    built = Index(entries=entries, slugs=frozenset(catalogue.by_slug))
    for plan in goals(catalogue):
        built.goals[plan.goal] = _goal_index(plan, entries, catalogue)
    return built
