"""Adapt a generated workout to one person's logged history: ``adapt(...)``.

Pure and deterministic: no clock (``today`` is an argument), no I/O; the
same workout, history, check-ins and catalogue give the same answer. Each
item is decided by the rules table (``rules.RULES``): the most cautious rule
that fires wins, and it makes one change to that exercise at most. Any new
exercise (a regression swapped in, a progression stepped up to) must pass
the generator's own constraints (``constraints.Gate``) and not repeat a
family already in the workout; with no safe candidate the dose changes
instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

from app.catalogue import Catalogue
from app.catalogue.models import Kind
from app.coaching import doses
from app.coaching.fit import deload, fit_keeping_steps
from app.coaching.gate import Gate
from app.coaching.guards import guards, load_ratio, pain_trend
from app.coaching.history import CheckIn, Session, SetDone, in_order
from app.coaching.models import Adaptation, AdaptedItem, AdaptedWorkout, DoseState
from app.coaching.rules import (
    Action,
    Facts,
    Rule,
    decide,
    peak_pain,
)
from app.coaching.session_rules import FLARE, FLARE_UNSETTLED, GAP
from app.coaching.today import ASKED, PainToday
from app.workouts.models import Omission, OmitReason, Workout, WorkoutItem
from app.workouts.pain import grade
from app.workouts.wording import say, words


class _Context(dict[str, str]):
    """A reason's values, each worked out only when its template asks for it (a summary of the sessions
    done is dear, and most reasons do not show one); one the log does not hold reads "not logged", never a
    bare "?"."""

    def __init__(self, rule: Rule, facts: Facts, ratio: tuple[float, float, float] | None) -> None:
        super().__init__()
        self.rule, self.facts, self.ratio = rule, facts, ratio

    def __missing__(self, key: str) -> str:
        value = self._value(key)
        return "not logged" if value is None else value

    def _value(self, key: str) -> str | None:
        facts, ratio = self.facts, self.ratio
        if key in _OF_LAST:
            return self._of_last(key, facts.sessions[-1]) if facts.sessions else None
        latest = facts.latest
        match key:
            case "latest_day":
                return None if latest is None else _day(latest.day)
            case "latest_peak":
                return None if latest is None else _text(peak_pain(latest))
            case "gap":
                return _text(facts.gap_days)
            case "trend_now" | "trend_before" if facts.pain_trend is not None:
                return f"{facts.pain_trend[0 if key == 'trend_now' else 1]:g}"
            case "ratio" if ratio is not None:
                return f"{ratio[0]:g}"
            case "pain_today":
                return str(facts.pain_today)
        return None

    def _of_last(self, key: str, last: Session) -> str | None:
        facts = self.facts
        match key:
            case "done":
                back = int(self.rule.params.get("sessions", 1))
                return summary(facts.sessions[-back:], facts.slug)
            case "after_text":
                return "" if last.pain_after is None else f"; pain after {last.pain_after}/10"
            case "peak":
                return _text(peak_pain(last, facts.slug))
            case "before":
                return _text(last.pain_before)
            case "after":
                return _text(last.pain_after)
            case "morning":
                return _text(facts.next_morning)
            case "set_peak":
                return _text(max((s.pain for s in facts.sets() if s.pain is not None), default=None))
        return None


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


# The values read from the last session with the exercise: none without one.
_OF_LAST = frozenset({"done", "peak", "before", "after", "morning", "set_peak", "after_text"})


KIND_WORDS = {Kind.release: "a release", Kind.breathing: "a breathing drill", Kind.assessment: "a check"}


@lru_cache(maxsize=1024)  # the same few weeks' days in every reason and note, strftime each time else
def _day(day: date) -> str:
    return f"{day:%b} {day.day}"


def _span(values: Sequence[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def _body(sets: Sequence[SetDone], session: Session) -> str:
    """'3/3 sets of 10 x 40 s at RPE 6': what a session's sets of one exercise were."""
    reps = [s.reps for s in sets if s.reps is not None]
    holds = [s.hold_seconds for s in sets if s.hold_seconds is not None]
    if holds and set(reps) <= {1}:
        reps = []  # one hold a set: "40 s", not "1 x 40 s"
    work = " x ".join(p for p in (reps and _span(reps), holds and f"{_span(holds)} s") if p)
    text = f"{sum(s.completed for s in sets)}/{len(sets)} sets of {work}"
    loads = [s.load_kg for s in sets if s.load_kg is not None]
    if loads:
        text += f" with {max(loads):g} kg"
    rpes = [s.rpe for s in sets if s.rpe is not None]
    rirs = [s.rir for s in sets if s.rir is not None]
    if rpes:
        text += f" at RPE {_span(rpes)}"
    elif rirs:
        text += f" at RIR {_span(rirs)}"
    elif session.session_rpe is not None:
        text += f" at session RPE {session.session_rpe}"
    return text


def summary(sessions: Sequence[Session], slug: str) -> str:
    """The sessions' sets of ``slug``, equal ones joined: '3/3 sets of 40 s at RPE 6 on Nov 12 and Nov 14'."""
    groups: list[tuple[str, list[str]]] = []
    for session in sessions:
        body = _body(session.entries[slug], session)
        if groups and groups[-1][0] == body:
            groups[-1][1].append(_day(session.day))
        else:
            groups.append((body, [_day(session.day)]))
    return "; ".join(
        f"{body} on {', '.join(days[:-1]) + ' and ' + days[-1] if len(days) > 1 else days[0]}" for body, days in groups
    )


# --- one item ---------------------------------------------------------------------


def _change(before: DoseState | None, after: DoseState, names: Mapping[str, str]) -> str:
    if before is None or before == after:
        return f"{doses.describe(after)} again" if before is not None else doses.describe(after)
    if before.exercise != after.exercise:
        return f"{names[after.exercise]} instead of {names[before.exercise]}, at {doses.describe(after)}"
    return f"{doses.describe(before)} -> {doses.describe(after)}"


# A pain rule asks for less even at the bottom of the range: 30% off the reps or the hold (our choice).
BELOW_RANGE = 0.3
BELOW_WORDS = " (below the article's range: pain asks for less than its bottom)"
REGRESS_BELOW = frozenset(
    {"session-pain-above-5", "morning-pain-worse", "pain-rise-2", "pain-4-5-unsettled", "unfinished-3-in-a-row"}
)


@lru_cache(maxsize=8)
def _names(catalogue: Catalogue) -> Mapping[str, str]:
    """Each exercise's name by slug, once per catalogue object (as the generator's ``index``)."""
    return MappingProxyType({e.slug: e.name for e in catalogue.exercises})


class _Planner:
    """Decides and applies one adaptation per item, keeping track of the families in use."""

    def __init__(self, workout: Workout, catalogue: Catalogue) -> None:
        self.workout = workout
        self.gate = Gate(catalogue, workout)
        self.names = _names(catalogue)
        self.families = {self.gate.family(item.exercise.slug) for item in workout.items}

    def _replacement(self, links: Sequence[str], current: str) -> str | None:
        """The first linked exercise the constraints allow and whose family is not in the workout yet."""
        own = self.gate.family(current)
        for slug in links:
            family = self.gate.family(slug)
            if self.gate.allowed(slug) is not None and (family == own or family not in self.families):
                return slug
        return None

    def _swap_to(self, current: str, slug: str) -> None:
        self.families.discard(self.gate.family(current))
        self.families.add(self.gate.family(slug))

    def _swap(self, slug: str) -> tuple[Action, DoseState] | None:
        easier = self._replacement(self.gate.catalogue.by_slug[slug].regressions, slug)
        if easier is None:
            return None
        self._swap_to(slug, easier)
        return Action.swap, doses.bottom(easier, self.gate.dose_range(easier))

    def target(
        self, rule: Rule, facts: Facts, item: WorkoutItem
    ) -> tuple[Action, DoseState | None, DoseState, str, str | None]:
        """(action, from, to, what changed in words, the harder variant the user is ready for)."""
        slug = item.exercise.slug
        span = self.gate.dose_range(slug)
        plan = doses.planned(slug, item.dose)
        if rule.action is Action.new:
            return Action.new, None, plan, "", None
        now = doses.performed(slug, facts.sets(), span, plan) if facts.sessions else None
        floor = doses.bottom(slug, span)
        exercise = self.gate.catalogue.by_slug[slug]
        action: Action = rule.action
        to, extra, ready = now or plan, "", None
        if rule.action is Action.restart:
            to = doses.lowest(floor, plan)
        elif rule.action is Action.pause:
            swapped = self._swap(slug) if facts.sessions else None
            if swapped is None:
                return Action.pause, now, to, "left out today", None
            action, to = swapped
        elif rule.action is Action.deload:
            # Half the plan's sets (at least one), each no harder than last time; whole items may go after.
            base = plan if now is None else doses.lowest(plan, now)
            to = base.model_copy(update={"sets": max(1, plan.sets // 2)})
        elif rule.action is Action.progress and now is not None:
            p = rule.params
            up = (
                doses.load_up(now, p["load_step_kg"], p["load_ceiling_kg"])
                if "load_step_kg" in p
                else doses.step_up(now, span, int(p["rep_step"]), int(p["hold_step_seconds"]))
            )
            harder = None if up is not None else self._replacement(exercise.progressions, slug)
            if up is not None:
                to = up
            elif harder is not None:
                self._swap_to(slug, harder)
                to = doses.bottom(harder, self.gate.dose_range(harder))
            else:
                action = Action.hold
                ready = exercise.progressions[0] if exercise.progressions else None
                if ready is not None:
                    extra = (
                        f"; at the top of its range: ready for {self.names[ready]}, which today's level, equipment "
                        "or pain does not allow yet"
                    )
                else:
                    extra = "; at the top of its range, and it has no harder variant: this dose is the goal"
        elif rule.action is Action.regress and now is not None:
            if rule.id == "gap-14-step-down":
                steps = 2 if facts.gap_days is not None and facts.gap_days >= rule.params["two_steps_from"] else 1
                for _ in range(steps):
                    to = doses.step_down(to, span, 5) or to
                if to == now:
                    extra = "; it is already at the bottom of its range"
            elif rule.id == "pain-today-graded":
                to = doses.lowest(now, doses.lowest(floor, plan))
            else:
                lower = (
                    doses.cut(now, span, rule.params["cut"])
                    if "cut" in rule.params
                    else (floor if doses.above(now, floor) else None)
                )
                swapped = None if lower is not None else self._swap(slug)
                if lower is not None:
                    to = lower
                elif swapped is not None:
                    action, to = swapped
                elif rule.id in REGRESS_BELOW and (under := doses.below(now, BELOW_RANGE)) is not None:
                    to, extra = under, BELOW_WORDS
                else:
                    return Action.pause, now, to, "left out today: nothing easier is left", None
        elif rule.action is Action.hold and now is not None and exercise.kind in KIND_WORDS:
            to = doses.lowest(now, plan)  # never above the plan, and so never above its pain cap
        if facts.bottom_dose and to.exercise == slug:
            # Today's pain grade doses at the bottom of the range: whatever the rule, never above the plan.
            to = doses.lowest(to, plan)
        if action in (Action.regress, Action.hold) and now is not None and to.exercise == slug:
            # The label says what happened: a lower dose is a regress, the same dose a hold.
            action = Action.hold if to == now else Action.regress if not doses.above(to, now) else action
        return action, now, to, _change(now, to, self.names) + extra, ready

    def item(
        self, item: WorkoutItem, facts: Facts, ratio: tuple[float, float, float] | None
    ) -> AdaptedItem | Omission:
        rule = decide(facts)
        action, before, to, change, ready = self.target(rule, facts, item)
        ctx = _Context(rule, facts, ratio)
        ctx["change"] = change
        kind = self.gate.catalogue.by_slug[item.exercise.slug].kind
        ctx["kind_name"] = f"{item.exercise.name}, {KIND_WORDS.get(kind, 'this exercise')},"
        reason = rule.reason.format_map(ctx)
        if action is Action.pause:
            return Omission(slug=item.exercise.slug, name=item.exercise.name, reason=OmitReason.paused, detail=reason)
        adaptation = Adaptation(
            action=action, rule=rule.id, reason=reason, from_=before, to=to, ready_for=ready
        )
        if action is Action.new:
            return AdaptedItem(**dict(item), adaptation=adaptation)
        return self.dosed(item, to, adaptation)

    def dosed(self, item: WorkoutItem, to: DoseState, adaptation: Adaptation) -> AdaptedItem:
        if to == doses.planned(item.exercise.slug, item.dose):  # the plan's own prescription, note and timing
            return AdaptedItem(**dict(item), adaptation=adaptation)
        side = self.workout.parameters.tight_side
        dose, seconds = self.gate.prescription(to, tight=side is not None)
        side_note = None
        if side is not None and dose.per_side:
            table = words(self.gate.catalogue)  # the same sentence as the plain workout's, in its language
            side_note = say(table, "side_note", side=table[f"side.{side.value}"], more=to.sets + 1, sets=to.sets)
        exercise, why = item.exercise, item.why
        if to.exercise != item.exercise.slug:
            allowed = self.gate.allowed(to.exercise)
            assert allowed is not None  # _replacement checked it
            exercise = allowed.ref
            why = f"{item.why} Today {allowed.name} takes its place (see adaptation)."
        return AdaptedItem(
            phase=item.phase,
            phase_title=item.phase_title,
            exercise=exercise,
            dose=dose,
            estimated_seconds=seconds,
            why=why,
            side_note=side_note,
            adaptation=adaptation,
        )


_REPLACED = frozenset({"items", "estimated_seconds", "estimated_minutes", "omitted", "notes"})


def adapt(
    workout: Workout,
    history: Iterable[Session],
    checkins: Iterable[CheckIn],
    catalogue: Catalogue,
    *,
    today: date,
    pain: PainToday | None = None,
    last_seen: date | None = None,
) -> AdaptedWorkout:
    """``workout`` with each item adapted from the user's history as of ``today`` (sessions after it are
    ignored). With no history every item is ``new`` and the workout is otherwise unchanged.

    ``pain``: where today's pain level came from (``today.pain_today``); the workout was generated at it.
    ``last_seen``: the day of the user's latest session, when it is older than the history read (a long
    break is then said, never a silent reset to ``new``)."""
    sessions = in_order(s for s in history if s.day <= today)  # ties too: see ``order``
    morning: dict[date, int] = {}
    for checkin in checkins:
        if checkin.date <= today:  # two check-ins on one day: the worse one counts
            morning[checkin.date] = max(checkin.pain, morning.get(checkin.date, 0))
    trend = pain_trend(sessions, [CheckIn(day, pain) for day, pain in sorted(morning.items())], today)
    latest = sessions[-1] if sessions else None
    seen = max([d for d in (last_seen, latest.day if latest else None) if d is not None and d <= today], default=None)
    gap = None if seen is None else (today - seen).days
    ratio = load_ratio(sessions, today) if gap is not None and gap < GAP.params["days"] else None
    planner = _Planner(workout, catalogue)
    pain_today = workout.parameters.pain_level
    if pain is None:
        pain = PainToday(level=pain_today, rule=ASKED.id, day=None, detail=ASKED.detail.format(level=pain_today))
    # At "refer" (8+/10) the plan has no items: nothing to adapt, and nothing is added.
    bottom_dose = grade(pain_today).bottom_dose
    items: list[AdaptedItem] = []
    paused: list[Omission] = []
    for item in workout.items:
        slug = item.exercise.slug
        mine = tuple(s for s in sessions if slug in s.entries)
        facts = Facts(
            sessions=mine,
            slug=slug,
            latest=latest,
            next_morning=morning.get(mine[-1].day + timedelta(days=1)) if mine else None,
            pain_trend=trend,
            load_ratio=None if ratio is None else ratio[0],
            pain_today=pain_today,
            bottom_dose=bottom_dose,
            kind=catalogue.by_slug[slug].kind,
            gap_days=gap,
        )
        decided = planner.item(item, facts, ratio)
        if isinstance(decided, Omission):
            paused.append(decided)
        else:
            items.append(decided)
    notes: list[str] = []
    peak = peak_pain(latest) if latest is not None else None
    if latest is not None and peak is not None and peak > FLARE.params["above"] and gap is not None and (
        gap < FLARE.params["within_days"]
    ):
        by = latest.day + timedelta(hours=int(FLARE.params["settle_hours"]))
        if today >= by and pain.level > FLARE_UNSETTLED.params["above"]:
            hours = (today - latest.day).days * 24
            text = FLARE_UNSETTLED.reason.format(day=_day(latest.day), peak=peak, hours=hours, level=pain.level)
            notes.append(text)
        else:
            notes.append(FLARE.reason.format(day=_day(latest.day), peak=peak, by=_day(by)))
    if seen is not None and gap is not None and gap >= GAP.params["days"]:
        what = (
            "the plan starts again from its beginning, at the bottom of each range, and builds up again from your "
            "next sessions."
            if gap >= GAP.params["restart_days"]
            else "nothing goes up today, and what you did before restarts one or two steps lower."
        )
        notes.append(GAP.reason.format(gap=gap, day=_day(seen), what=what))
    items, deloaded, deload_note = deload(workout, items, planner.gate)
    # Progressions and swaps change the time: fitted again into the generator's budget (``fit``).
    items, dropped, note = fit_keeping_steps(workout, planner.gate, items, planner.dosed)
    if workout.items and not items:
        notes.append("Nothing you know fits today, so there is no session: move gently, and let it settle.")
    total = sum(i.estimated_seconds for i in items)
    # The workout's own (valid) values as they are, not dumped to dicts to be validated again.
    plain = {name: getattr(workout, name) for name in type(workout).model_fields if name not in _REPLACED}
    return AdaptedWorkout(
        **plain,
        items=items,
        omitted=[*workout.omitted, *paused, *deloaded, *dropped],
        notes=[*workout.notes, *notes, *([deload_note] if deload_note else []), *([note] if note else [])],
        estimated_seconds=total,
        estimated_minutes=(total + 30) // 60,
        adapted_for=today,
        pain_today=pain,
        guards=guards(ratio, trend),
    )
