"""Turn a goal and a user's constraints into a complete, safe, explained session.

``generate(catalogue, query, seed)`` is a pure function: the same catalogue,
query and seed give the same workout, byte for byte. Everything that does not
depend on the request (which exercises suit which phase, in what order of
preference, at what dose, and why) is worked out once per catalogue by
``index``; a request only filters, breaks ties with ``random.Random(seed)``
and fits the time.

Time fitting: one exercise per phase first (the goal's core), then more
exercises round-robin over the phases until the time asked for is reached,
then extra sets up to each dose's maximum. A session never ends up more than
10% over: sets are dropped (last-added exercise first, never below one set)
and an exercise is only added when its one-set version still fits.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import groupby
from typing import Protocol

from app.catalogue import Catalogue
from app.catalogue.models import Dose, Equipment, Exercise, Goal, Intensity, Kind, Level, PainFlag
from app.workouts.goals import BY_GOAL, GoalPlan, Phase
from app.workouts.models import (
    Omission,
    OmitReason,
    Prescription,
    Side,
    Workout,
    WorkoutExercise,
    WorkoutItem,
    WorkoutParameters,
    WorkoutQuery,
)
from app.workouts.wording import EN, goals, phase_name, say, words

TRANSITION_SECONDS = 20  # setting up for the next exercise
OVER = 110  # percent of the time asked for, never exceeded
UNDER = 75  # below this percent the workout says it is short
HIGH_PAIN = 7  # from this pain level on, gentle exercises only

STOP_IF_PAIN = EN["stop_if_pain"]
SEE_A_PROFESSIONAL = EN["see_a_professional"]
LEVELS = tuple(Level)
SIDES: tuple[Side | None, ...] = (None, *Side)


class WorkoutError(Exception):
    """The request cannot become a workout; the message says why."""


class UnknownExercises(WorkoutError):
    def __init__(self, slugs: list[str]) -> None:
        super().__init__("unknown exercise " + ", ".join(repr(s) for s in slugs))
        self.slugs = slugs


class WorkoutImpossible(WorkoutError):
    def __init__(self, detail: str, fields: dict[str, str]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields  # query parameter -> what it did


# ---------------------------------------------------------------- the index


@dataclass(frozen=True, eq=False)
class Dosing:
    """One exercise's dose for one goal and level, with its timing."""

    sets: int
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
    min: int
    max: int


def _at_level(low: int, high: int, level: Level) -> int:
    """Beginner: the low end of the article's range; intermediate: the middle; advanced: the top."""
    return (low, (low + high) // 2, high)[level.rank]


def dosing(dose: Dose, level: Level) -> Dosing:
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
        max_sets=max(sets, dose.sets.max),
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
    family: str  # variants of one exercise share it
    options: tuple[tuple[Equipment, ...], ...]  # most-equipped first, then data order
    option_sets: tuple[frozenset[Equipment], ...]
    flags: frozenset[PainFlag]
    pain: dict[PainFlag, Omission]
    excluded: Omission
    intensity: Omission
    level: Omission
    equipment: Omission
    refs: dict[tuple[Equipment, ...], WorkoutExercise]


def _family(exercise: Exercise, by_slug: dict[str, Exercise]) -> str:
    seen = {exercise.slug}
    while exercise.variant_of is not None and exercise.variant_of in by_slug and exercise.variant_of not in seen:
        exercise = by_slug[exercise.variant_of]
        seen.add(exercise.slug)
    return exercise.slug


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
        family=_family(exercise, by_slug),
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
        intensity=omission(
            OmitReason.intensity, say(table, "omit.intensity", intensity=table[f"intensity.{exercise.intensity.value}"])
        ),
        level=omission(OmitReason.level, say(table, "omit.level", level=table[f"level.{exercise.level.value}"])),
        equipment=omission(OmitReason.equipment, say(table, "omit.equipment", needs=needs)),
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
    groups: dict[tuple[Level, Side | None], tuple[tuple[Entry, ...], ...]]
    why: dict[str, str]


@dataclass(eq=False)
class GoalIndex:
    plan: GoalPlan
    phases: tuple[PhaseIndex, ...]
    doses: dict[tuple[Level, str], Dosing]
    candidates: tuple[Entry, ...]  # every exercise any phase could use, at any level
    words: Mapping[str, str]  # the sentences, in the catalogue's language


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


def _phase_index(
    number: int, phase: Phase, plan: GoalPlan, entries: tuple[Entry, ...], catalogue: Catalogue
) -> PhaseIndex:
    fitting = [
        e
        for e in entries
        if any(role in e.exercise.roles for role in phase.roles)
        and _suits(e.exercise.goal_doses.get(plan.goal, e.exercise.dose), plan)
    ]
    groups: dict[tuple[Level, Side | None], tuple[tuple[Entry, ...], ...]] = {}
    for level in LEVELS:
        for side in SIDES:
            picks = phase.picks_for(side)

            def key(entry: Entry) -> tuple[int, int, int, int]:
                exercise = entry.exercise
                pick = picks.index(entry.slug) if entry.slug in picks else len(picks)
                cited = [phase.sources.index(r.source) for r in exercise.sources if r.source in phase.sources]
                source = min(cited, default=len(phase.sources))
                distance = level.rank - exercise.level.rank  # the hardest allowed first
                role = min(phase.roles.index(r) for r in exercise.roles if r in phase.roles)
                return (pick, source, distance, role)

            allowed = sorted((e for e in fitting if e.exercise.level.rank <= level.rank), key=key)
            groups[(level, side)] = tuple(tuple(group) for _, group in groupby(allowed, key=key))
    table, name = words(catalogue), phase_name(catalogue, phase.title)
    why = {
        e.slug: say(
            table, "why", goal=plan.title, number=number, phase=name, exercise=e.exercise.name, purpose=phase.purpose
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
    candidates = tuple(e for e in entries if e.slug in used)
    return GoalIndex(plan=plan, phases=phases, doses=doses, candidates=candidates, words=words(catalogue))


@lru_cache(maxsize=8)
def index(catalogue: Catalogue) -> Index:
    """Everything about the catalogue a request needs, built once per catalogue object."""
    table = words(catalogue)
    entries = tuple(_entry(e, catalogue.by_slug, table) for e in catalogue.exercises if e.kind is not Kind.assessment)
    built = Index(entries=entries, slugs=frozenset(catalogue.by_slug))
    for plan in goals(catalogue):
        built.goals[plan.goal] = _goal_index(plan, entries, catalogue)
    return built


# ------------------------------------------------------------- constraints


@lru_cache(maxsize=4096)
def _link_base(constraints: Constraints) -> str:
    return constraints._link_base()


@dataclass(frozen=True)
class PoolKey:
    """What decides which exercises are ruled out; equal keys share one ``_pool``."""

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
    tight_side: Side | None
    exclude: tuple[str, ...]

    @classmethod
    def of(cls, query: WorkoutQuery) -> Constraints:
        return cls(
            goal=query.goal,
            level=query.level,
            have=frozenset(Equipment(e) for e in query.equipment if e != "none"),
            pain=tuple(sorted(set(query.pain))),
            pain_level=query.pain_level,
            minutes=query.minutes if query.minutes is not None else BY_GOAL[query.goal].default_minutes,
            tight_side=query.tight_side,
            exclude=tuple(sorted(set(query.exclude))),
        )

    @property
    def pool_key(self) -> PoolKey:
        return PoolKey(self.level, self.have, self.pain, self.gentle_only, self.exclude, self)

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
            if needed <= self.have:
                return option
        return None

    def link(self, seed: int) -> str:
        return f"{_link_base(self)}&seed={seed}"

    def _link_base(self) -> str:
        params = [("goal", self.goal.value), ("level", self.level.value)]
        if self.have:
            params.append(("equipment", ",".join(sorted(e.value for e in self.have))))
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


# --------------------------------------------------------------- selection


@dataclass(eq=False)
class Chosen:
    phase: PhaseIndex
    entry: Entry
    option: tuple[Equipment, ...]
    dose: Dosing
    tight: bool
    sets: int

    def cost(self, sets: int | None = None) -> int:
        return self.dose.cost(self.sets if sets is None else sets, self.tight)


Orders = tuple[tuple[Entry, ...], ...]


def _orders(built: Index, constraints: Constraints, seed: int) -> Orders:
    """Each phase's allowed candidates, best first; the seed only shuffles exact ties.

    This is the one step that reads the seed: everything after it is a pure
    function of (constraints, orders), which ``_body_head`` memoises.
    """
    rng: random.Random | None = None
    orders: list[tuple[Entry, ...]] = []
    for groups in _allowed_groups(built, constraints.goal, constraints.pool_key, constraints.tight_side):
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
        orders.append(tuple(order))
    return tuple(orders)


@lru_cache(maxsize=4096)
def _allowed_groups(
    built: Index, goal: Goal, key: PoolKey, side: Side | None
) -> tuple[tuple[tuple[Entry, ...], ...], ...]:
    """Each phase's tie groups with what the constraints rule out removed (empty groups dropped)."""
    _, allowed = _pool(built, key)
    phases = []
    for phase in built.goals[goal].phases:
        groups = (tuple(e for e in group if e.slug in allowed) for group in phase.groups[(key.level, side)])
        phases.append(tuple(group for group in groups if group))
    return tuple(phases)


def _select(
    goal: GoalIndex, constraints: Constraints, allowed: dict[str, tuple[Equipment, ...]], orders: Orders
) -> tuple[list[Chosen], bool]:
    """Pick exercises phase by phase and fit them to the time. Returns them in the order they were added."""
    target = constraints.minutes * 60
    ceiling = target * OVER // 100

    chosen: list[Chosen] = []
    families: set[str] = set()
    counts = [0] * len(goal.phases)
    cursors = [0] * len(goal.phases)
    floor_total = 0  # every chosen exercise at one set
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
            if entry.family in families:
                continue
            dose = goal.doses[(constraints.level, entry.slug)]
            tight = constraints.tight_side is not None and dose.per_side
            item = Chosen(goal.phases[p], entry, allowed[entry.slug], dose, tight, dose.sets)
            if floor_total + item.cost(1) > ceiling:
                too_long = True
                continue
            chosen.append(item)
            families.add(entry.family)
            counts[p] += 1
            floor_total += item.cost(1)
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
        while planned > ceiling and item.sets > 1:
            item.sets -= 1
            planned -= item.dose.work + item.dose.rest_seconds
    assert planned <= ceiling or not chosen
    return chosen, too_long


# ------------------------------------------------------------------ output


def _item(item: Chosen, side: Side | None, table: Mapping[str, str]) -> WorkoutItem:
    dose = item.dose
    side_note = None
    if item.tight:
        assert side is not None
        side_note = say(table, "side_note", side=table[f"side.{side.value}"], more=item.sets + 1, sets=item.sets)
    return WorkoutItem(
        phase=item.phase.phase.key,
        phase_title=item.phase.phase.title,
        exercise=item.entry.refs[item.option],
        dose=Prescription(
            sets=item.sets,
            reps=dose.reps,
            hold_seconds=dose.hold_seconds,
            duration_seconds=dose.duration_seconds,
            per_side=dose.per_side,
            rest_seconds=dose.rest_seconds,
            tempo=dose.tempo,
            note=dose.note,
        ),
        estimated_seconds=item.cost(),
        why=item.phase.why[item.entry.slug],
        side_note=side_note,
    )


def _safety(plan: GoalPlan, constraints: Constraints, table: Mapping[str, str]) -> list[str]:
    notes = [say(table, "stop_if_pain"), say(table, "see_a_professional")]
    if constraints.gentle_only:
        cause = (
            say(table, "gentle.high_pain", pain_level=constraints.pain_level)
            if constraints.pain_level >= HIGH_PAIN
            else say(table, "gentle.rehab")
        )
        notes.append(say(table, "gentle", cause=cause))
    if constraints.pain:
        areas = table["join.and"].join(table[f"area.{f.value}"] for f in constraints.pain)
        notes.append(say(table, "pain_areas", areas=areas))
    notes.extend(plan.safety)
    return notes


def _time_note(
    chosen: list[Chosen],
    total: int,
    constraints: Constraints,
    omitted: list[Omission],
    too_long: bool,
    table: Mapping[str, str],
) -> str:
    minutes = (total + 30) // 60
    count = len(chosen)
    told = say(table, "short.told", minutes=minutes, asked=constraints.minutes)
    if too_long:
        cause = say(table, "short.too_long", count=count, told=told)
    else:
        cause = say(table, "short.few.one" if count == 1 else "short.few.other", count=count, told=told)
    advice = say(table, "short.relax" if omitted else "short.repeat")
    return say(table, "short", cause=cause, advice=advice)


def generate(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> Workout:
    """The workout for ``query``; ``seed`` breaks ties, so the same seed gives the same workout.

    ``query.seed`` is not read here: the caller decides the seed (the route picks one when it is absent).
    Raises ``UnknownExercises`` for an unknown slug in ``exclude`` and ``WorkoutImpossible`` when the
    constraints leave nothing to do.
    """
    built, constraints, orders = _prepare(catalogue, query, seed)
    return _assemble(built, catalogue.version, constraints, orders, seed)


def generate_json(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> bytes:
    """``generate(...).model_dump_json()``, byte for byte, memoised on everything but the seed.

    Only tie-breaking reads the seed, so many seeds share one workout but for
    its last two fields, ``seed`` and ``self``: the body before them is cached
    per (constraints, tie-broken order) and those two are appended.
    """
    built, constraints, orders = _prepare(catalogue, query, seed)
    head = _body_head(built, catalogue.version, constraints, orders)
    return head + b',"seed":%d,"catalogue_version":%s,"self":%s}' % (
        seed,
        json.dumps(catalogue.version).encode(),
        json.dumps(constraints.link(seed)).encode(),
    )


def _prepare(catalogue: Catalogue, query: WorkoutQuery, seed: int) -> tuple[Index, Constraints, Orders]:
    built = index(catalogue)
    unknown = sorted({s for s in query.exclude if s not in built.slugs})
    if unknown:
        raise UnknownExercises(unknown)
    constraints = Constraints.of(query)
    return built, constraints, _orders(built, constraints, seed)


@lru_cache(maxsize=4096)
def _pool(built: Index, key: PoolKey) -> tuple[tuple[Omission, ...], dict[str, tuple[Equipment, ...]]]:
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


@lru_cache(maxsize=2048)
def _body_head(built: Index, version: str, constraints: Constraints, orders: Orders) -> bytes:
    body = _assemble(built, version, constraints, orders, 0).model_dump_json().encode()
    cut = body.rfind(b',"seed":')  # seed, catalogue_version and self are the last fields
    return body[:cut]


def _assemble(built: Index, version: str, constraints: Constraints, orders: Orders, seed: int) -> Workout:
    goal = built.goals[constraints.goal]
    plan = goal.plan
    omitted, allowed = _pool(built, constraints.pool_key)
    chosen, too_long = _select(goal, constraints, allowed, orders)
    if not chosen:
        raise _impossible(goal, constraints, allowed, too_long)

    chosen.sort(key=lambda c: c.phase.number)
    table = goal.words
    items = [_item(c, constraints.tight_side, table) for c in chosen]
    total = sum(i.estimated_seconds for i in items)
    short = total * 100 < constraints.minutes * 60 * UNDER
    filled = {c.phase.number for c in chosen}
    lower = table is EN  # English runs the phase title into the sentence in lower case
    notes = [
        say(table, "phase_empty", number=p.number, phase=p.phase.title.lower() if lower else p.phase.title)
        for p in goal.phases
        if not p.phase.optional and p.number not in filled
    ]
    return Workout(
        goal=plan.goal,
        title=say(table, "title", goal=plan.title, level=table[f"level.{constraints.level.value}"]),
        parameters=constraints.parameters(),
        items=items,
        estimated_seconds=total,
        estimated_minutes=(total + 30) // 60,
        short_of_time=short,
        time_note=_time_note(chosen, total, constraints, list(omitted), too_long, table) if short else None,
        gentle_only=constraints.gentle_only,
        omitted=list(omitted),
        notes=notes,
        safety=_safety(plan, constraints, table),
        frequency=plan.frequency,
        sources=list(plan.sources),
        seed=seed,
        catalogue_version=version,
        self=constraints.link(seed),
    )


# --------------------------------------------------- when nothing is left


def _impossible(
    goal: GoalIndex, constraints: Constraints, allowed: dict[str, tuple[Equipment, ...]], too_long: bool
) -> WorkoutImpossible:
    """Say which constraints emptied the pool and which single change would help most."""
    goal_name = f"goal={constraints.goal.value}"
    if too_long or any(e.slug in allowed for e in goal.candidates):
        detail = (
            f"Every exercise {goal_name} can use with your constraints takes longer than "
            f"{constraints.minutes} minutes; ask for more minutes."
        )
        return WorkoutImpossible(detail, {"minutes": f"{constraints.minutes} minutes is too short"})

    def usable(c: Constraints) -> int:
        return sum(1 for e in goal.candidates if not isinstance(c.ruled_out(e), Omission))

    found: set[str] = set()
    for entry in goal.candidates:
        if entry.slug in constraints.exclude:
            found.add("exclude")
        if not entry.flags.isdisjoint(constraints.pain):
            found.add("pain")
        if constraints.gentle_only and entry.exercise.intensity is not Intensity.gentle:
            found.add("pain_level")
        if entry.exercise.level.rank > constraints.level.rank:
            found.add("level")
        if constraints.option(entry) is None:
            found.add("equipment")
    have = ",".join(sorted(e.value for e in constraints.have))
    labels = {
        "pain": "pain=" + ",".join(f.value for f in constraints.pain),
        "pain_level": (
            f"pain_level={constraints.pain_level} (gentle exercises only)"
            if constraints.pain_level >= HIGH_PAIN
            else "hip pain in rehab (gentle exercises only)"
        ),
        "level": f"level={constraints.level.value}",
        "equipment": f"equipment={have}" if have else "no equipment",
        "exclude": "exclude=" + ",".join(constraints.exclude),
    }
    blamed = {name: text for name, text in labels.items() if name in found}

    tries: list[tuple[int, int, str]] = []  # (unlocked, order, suggestion)
    for n, item in enumerate(Equipment):
        if item not in constraints.have:
            more = replace(constraints, have=constraints.have | {item})
            tries.append((usable(more), n, f"adding {item.value.replace('_', ' ')}"))
    if constraints.level is not Level.advanced:
        up = LEVELS[constraints.level.rank + 1]
        tries.append((usable(replace(constraints, level=up)), 100, f"level={up.value}"))
    if constraints.exclude:
        tries.append((usable(replace(constraints, exclude=())), 101, "removing exclude"))
    for n, flag in enumerate(constraints.pain):
        fewer = tuple(f for f in constraints.pain if f is not flag)
        tries.append(
            (usable(replace(constraints, pain=fewer)), 200 + n, f"removing pain={flag.value} if it is fine today")
        )
    helpful = [text for unlocked, _, text in sorted(tries, key=lambda t: (-t[0], t[1])) if unlocked > 0][:2]

    named = list(blamed.values())
    causes = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    detail = f"{causes} leave no exercise for {goal_name}"
    if helpful:
        detail += "; try " + " or ".join(helpful) + "."
    else:
        detail += "."
    if "pain_level" in blamed:
        detail += " With this much pain, get assessed by a doctor or physical therapist first."
    fields = {name: f"{text} rules out exercises {goal_name} needs" for name, text in blamed.items()}
    return WorkoutImpossible(detail, fields or {"goal": f"{goal_name} has no exercises"})
