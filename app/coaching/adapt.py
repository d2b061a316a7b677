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

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from app.catalogue import Catalogue
from app.coaching import doses
from app.coaching.fit import fit
from app.coaching.gate import Gate
from app.coaching.history import CheckIn, Session, SetDone, in_order
from app.coaching.models import Adaptation, AdaptedItem, AdaptedWorkout, DoseState, Guard
from app.coaching.rules import LOAD_GUARD, PAIN_TREND, Action, Facts, Rule, decide, peak_pain
from app.workouts.models import Workout, WorkoutItem
from app.workouts.pain import grade
from app.workouts.wording import say, words


class _Context(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


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


# --- whole-history guards ----------------------------------------------------------


def pain_trend(sessions: Sequence[Session], checkins: Sequence[CheckIn], today: date) -> tuple[float, float] | None:
    """Mean pain of the last 7 days and of the 7 before: check-ins and every session's pain before and after."""
    days = int(PAIN_TREND.params["days"])
    now: list[int] = []
    before: list[int] = []

    def add(day: date, pain: int | None) -> None:
        age = (today - day).days
        if pain is None or age < 0:
            return
        if age < days:
            now.append(pain)
        elif age < 2 * days:
            before.append(pain)

    for checkin in checkins:
        add(checkin.date, checkin.pain)
    for session in sessions:
        add(session.day, session.pain_before)
        add(session.day, session.pain_after)
    if not now or not before:
        return None
    return round(sum(now) / len(now), 2), round(sum(before) / len(before), 2)


def load_ratio(sessions: Sequence[Session], today: date) -> tuple[float, float, float] | None:
    """(ratio, acute load, chronic weekly load), or None with under 3 weeks of history or no chronic load.

    Three weeks, because in a person's first weeks every week is "more than
    the 4-week mean" and the guard would deload everyone new (our choice).
    """
    p = LOAD_GUARD.params
    if not sessions or (today - sessions[0].day).days < p["history_days_at_least"]:
        return None
    acute = chronic = 0
    for session in sessions:
        age = (today - session.day).days
        load = session.load
        if load is None or age < 0:
            continue
        if age < p["acute_days"]:
            acute += load
        if age < p["chronic_days"]:
            chronic += load
    weekly = chronic * p["acute_days"] / p["chronic_days"]
    if weekly == 0:
        return None
    return round(acute / weekly, 2), float(acute), round(weekly, 2)


# --- one item ---------------------------------------------------------------------


def _change(before: DoseState | None, after: DoseState, names: dict[str, str]) -> str:
    if before is None or before == after:
        return f"{doses.describe(after)} again" if before is not None else doses.describe(after)
    if before.exercise != after.exercise:
        return f"{names[after.exercise]} instead of {names[before.exercise]}, at {doses.describe(after)}"
    return f"{doses.describe(before)} -> {doses.describe(after)}"


def _context(rule: Rule, facts: Facts, ratio: tuple[float, float, float] | None) -> _Context:
    ctx = _Context()
    if facts.sessions:
        back = int(rule.params.get("sessions", 1))
        ctx["done"] = summary(facts.sessions[-back:], facts.slug)
        last = facts.sessions[-1]
        for key, value in (
            ("peak", peak_pain(last, facts.slug)),
            ("before", last.pain_before),
            ("after", last.pain_after),
            ("morning", facts.next_morning),
        ):
            if value is not None:
                ctx[key] = str(value)
    if facts.latest is not None and (peak := peak_pain(facts.latest)) is not None:
        ctx["latest_peak"] = str(peak)
    if facts.pain_trend is not None:
        ctx["trend_now"], ctx["trend_before"] = (f"{v:g}" for v in facts.pain_trend)
    if ratio is not None:
        ctx["ratio"] = f"{ratio[0]:g}"
    ctx["pain_today"] = str(facts.pain_today)
    return ctx


class _Planner:
    """Decides and applies one adaptation per item, keeping track of the families in use."""

    def __init__(self, workout: Workout, catalogue: Catalogue) -> None:
        self.workout = workout
        self.gate = Gate(catalogue, workout)
        self.names = {e.slug: e.name for e in catalogue.exercises}
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

    def target(self, rule: Rule, facts: Facts, item: WorkoutItem) -> tuple[Action, DoseState | None, DoseState, str]:
        """(action, from, to, what changed in words)."""
        slug = item.exercise.slug
        span = self.gate.dose_range(slug)
        plan = doses.planned(slug, item.dose)
        if rule.action is Action.new:
            return Action.new, None, plan, ""
        now = doses.performed(slug, facts.sets(), span, plan) if facts.sessions else None
        floor = doses.bottom(slug, span)
        exercise = self.gate.catalogue.by_slug[slug]
        action, to, extra = rule.action, now or plan, ""
        if rule.action is Action.deload:
            # The bottom of the range, but never more than the plan (the time fitter may have cut a set).
            to = doses.lowest(floor, plan)
        elif rule.action is Action.progress and now is not None:
            up = doses.step_up(now, span, int(rule.params["rep_step"]), int(rule.params["hold_step_seconds"]))
            harder = None if up is not None else self._replacement(exercise.progressions, slug)
            if up is not None:
                to = up
            elif harder is not None:
                self._swap_to(slug, harder)
                to = doses.bottom(harder, self.gate.dose_range(harder))
            else:
                action = Action.hold
                extra = "; already at the top of its range, and no harder variant fits your level and equipment"
        elif rule.action is Action.regress and now is not None:
            lower = (
                doses.cut(now, span, rule.params["cut"])
                if "cut" in rule.params
                else (floor if doses.above(now, floor) else None)
            )
            easier = None if lower is not None else self._replacement(exercise.regressions, slug)
            if lower is not None:
                to = lower
            elif easier is not None:
                self._swap_to(slug, easier)
                action, to = Action.swap, doses.bottom(easier, self.gate.dose_range(easier))
            else:
                to = floor
                extra = "; already at the bottom, and no easier variant fits: keep it gentle and stop if it hurts"
        if facts.bottom_dose and to.exercise == slug:
            # Today's pain grade doses at the bottom of the range: whatever the rule, never above the plan.
            to = doses.lowest(to, plan)
        return action, now, to, _change(now, to, self.names) + extra

    def item(self, item: WorkoutItem, facts: Facts, ratio: tuple[float, float, float] | None) -> AdaptedItem:
        rule = decide(facts)
        action, before, to, change = self.target(rule, facts, item)
        ctx = _context(rule, facts, ratio)
        ctx["change"] = change
        adaptation = Adaptation(action=action, rule=rule.id, reason=rule.reason.format_map(ctx), from_=before, to=to)
        if action is Action.new:
            return AdaptedItem(**dict(item), adaptation=adaptation)
        return self._dosed(item, to, adaptation)

    def _dosed(self, item: WorkoutItem, to: DoseState, adaptation: Adaptation) -> AdaptedItem:
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


def _guards(ratio: tuple[float, float, float] | None, trend: tuple[float, float] | None) -> list[Guard]:
    load = Guard(
        rule=LOAD_GUARD.id,
        fired=ratio is not None and ratio[0] > LOAD_GUARD.params["above"],
        value=None if ratio is None else ratio[0],
        values=[] if ratio is None else [ratio[1], ratio[2]],
        detail=(
            "Too little history to compare (needs 3 weeks of sessions with RPE and minutes)."
            if ratio is None
            else f"Load of the last 7 days {ratio[1]:g}, 4-week weekly mean {ratio[2]:g}: ratio {ratio[0]:g} "
            f"(deload above {LOAD_GUARD.params['above']:g})."
        ),
    )
    pain = Guard(
        rule=PAIN_TREND.id,
        fired=trend is not None and trend[0] > trend[1],
        value=None if trend is None else round(trend[0] - trend[1], 2),
        values=[] if trend is None else list(trend),
        detail=(
            "Too little pain data to compare two weeks."
            if trend is None
            else f"Mean pain of the last 7 days {trend[0]:g}, of the 7 before {trend[1]:g}."
        ),
    )
    return [load, pain]


def adapt(
    workout: Workout,
    history: Iterable[Session],
    checkins: Iterable[CheckIn],
    catalogue: Catalogue,
    *,
    today: date,
) -> AdaptedWorkout:
    """``workout`` with each item adapted from the user's history as of ``today`` (sessions after it are
    ignored). With no history every item is ``new`` and the workout is otherwise unchanged."""
    sessions = in_order(s for s in history if s.day <= today)  # ties too: see ``order``
    morning: dict[date, int] = {}
    for checkin in checkins:
        if checkin.date <= today:  # two check-ins on one day: the worse one counts
            morning[checkin.date] = max(checkin.pain, morning.get(checkin.date, 0))
    trend = pain_trend(sessions, [CheckIn(day, pain) for day, pain in sorted(morning.items())], today)
    ratio = load_ratio(sessions, today)
    latest = sessions[-1] if sessions else None
    planner = _Planner(workout, catalogue)
    pain_today = workout.parameters.pain_level
    # At "refer" (8+/10) the plan has no items: nothing to adapt, and nothing is added.
    bottom_dose = grade(pain_today).bottom_dose
    items = []
    for item in workout.items:
        mine = tuple(s for s in sessions if item.exercise.slug in s.entries)
        facts = Facts(
            sessions=mine,
            slug=item.exercise.slug,
            latest=latest,
            next_morning=morning.get(mine[-1].day + timedelta(days=1)) if mine else None,
            pain_trend=trend,
            load_ratio=None if ratio is None else ratio[0],
            pain_today=pain_today,
            bottom_dose=bottom_dose,
        )
        items.append(planner.item(item, facts, ratio))
    # Progressions and swaps change the time: fitted again into the generator's budget (``fit``).
    items, dropped, note = fit(workout, items, planner.gate)
    total = sum(i.estimated_seconds for i in items)
    plain = workout.model_dump(exclude={"items", "estimated_seconds", "estimated_minutes", "omitted", "notes"})
    return AdaptedWorkout(
        **plain,
        items=items,
        omitted=[*workout.omitted, *dropped],
        notes=[*workout.notes, *([note] if note else [])],
        estimated_seconds=total,
        estimated_minutes=(total + 30) // 60,
        adapted_for=today,
        guards=_guards(ratio, trend),
    )
