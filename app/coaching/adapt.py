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
from app.coaching import doses
from app.coaching.fit import deload, fit_keeping_steps
from app.coaching.gate import Gate
from app.coaching.guards import guards, load_ratio, pain_trend
from app.coaching.history import CheckIn, Session, in_order
from app.coaching.models import Adaptation, AdaptedItem, AdaptedWorkout, DoseState
from app.coaching.reasons import KIND_WORDS, ReasonValues, change_words, day_words
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
        return action, now, to, change_words(now, to, self.names) + extra, ready

    def item(
        self, item: WorkoutItem, facts: Facts, ratio: tuple[float, float, float] | None
    ) -> AdaptedItem | Omission:
        rule = decide(facts)
        action, before, to, change, ready = self.target(rule, facts, item)
        ctx = ReasonValues(rule, facts, ratio)
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
            text = FLARE_UNSETTLED.reason.format(day=day_words(latest.day), peak=peak, hours=hours, level=pain.level)
            notes.append(text)
        else:
            notes.append(FLARE.reason.format(day=day_words(latest.day), peak=peak, by=day_words(by)))
    if seen is not None and gap is not None and gap >= GAP.params["days"]:
        what = (
            "the plan starts again from its beginning, at the bottom of each range, and builds up again from your "
            "next sessions."
            if gap >= GAP.params["restart_days"]
            else "nothing goes up today, and what you did before restarts one or two steps lower."
        )
        notes.append(GAP.reason.format(gap=gap, day=day_words(seen), what=what))
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
