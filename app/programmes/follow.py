"""The plan as it has actually gone, read from the person's logs and check-ins, and what is due today.

``follow`` replays the programme week by week. Each week is decided at its start from the week before:
the weekly gate (targets met, pain at most 3), pain above 5 (nothing rises), the rehab phase criteria,
a deload, or a long gap without a log. A week that starts after ``on`` is not known yet: it is planned
as ``build`` plans it, every gate passing. Every decision is an ``Event`` with its rule and the numbers
it read.

Days are local dates in the programme's zone: a session's day is its ``performed_at`` there (zoneinfo,
so DST is right), and check-ins are dated by the person. With ``advance=sessions`` the next unfinished
session is due until it is done and the later ones keep their spacing after it; with
``advance=calendar`` the dates hold, a past unlogged session is missed, and a pause moves the later
sessions by whole weeks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.catalogue import Catalogue
from app.coaching.history import CheckIn, Session, order
from app.programmes.layout import layout
from app.programmes.models import Event, Programme, ProgrammeParameters, ProgrammeRef, Status, Today, zone
from app.programmes.plan import (
    WeekPlan,
    build_rules,
    deload_week,
    full_weeks,
    is_deload,
    render,
    sessions_for,
    step_up,
)
from app.programmes.replay import Key, Replay, flare, judge, mornings, not_done, plan_of
from app.programmes.rules import (
    GAP_REPEAT,
    GAP_STEP_BACK,
    PAIN_NO_RISE,
    PHASE_ADVANCE,
    PHASE_HOLD,
    PHASE_NOT_YET,
    REHAB_PHASES,
    WEEK_REPEATS,
    WEEKLY_STEP,
)
from app.workouts import Workout


@dataclass(frozen=True)
class Followed:
    programme: Programme
    today: Today


def _decide_day(replay: Replay, week: int) -> date:
    """The day week ``week`` is decided: its first day on the calendar; with ``advance=sessions`` the
    morning after the week before was finished (never known while a session of it is still open)."""
    if replay.calendar or week == 1:
        return replay.week_start(week)
    keys = [(week - 1, s.index) for s in replay.lay.slots]
    if any(k not in replay.done for k in keys):
        return date.max
    return max(replay.done[k].day for k in keys) + timedelta(days=1)


def _static_next(
    params: ProgrammeParameters, week: int, plans: list[WeekPlan], phase_start: int, last_build: WeekPlan
) -> WeekPlan:
    """A week not known yet: as ``build`` plans it, every gate passing."""
    phase = plans[-1].phase
    if (
        phase is not None
        and full_weeks(plans, phase_start) >= PHASE_ADVANCE.params["weeks_at_least"]
        and phase != REHAB_PHASES[-1]
    ):
        nxt = REHAB_PHASES[REHAB_PHASES.index(phase) + 1]
        return WeekPlan(week, nxt, 0, False, f"first week of the {nxt} phase: the plan's doses")
    if is_deload(params, week):
        return deload_week(week, phase, last_build)
    return step_up(week, phase, last_build)


def _weeks(replay: Replay) -> list[WeekPlan]:
    """Every week in order: decided at its start when that day has come, else planned as ``build`` does;
    then (``advance=sessions``) a long gap inside it, and the cap after pain above 5 have the last word,
    so the weeks after build on what the week really was."""
    params = replay.params
    phase = REHAB_PHASES[0] if params.goal.value == "rehab" else None
    plans: list[WeekPlan] = []
    phase_start, last_build = 1, WeekPlan(1, phase, 0, False, "first week: the plan's doses")
    gap_seen: set[tuple[date, str]] = set()
    for week in range(1, params.weeks + 1):
        if week == 1:
            plan = last_build
        else:
            day = _decide_day(replay, week)
            if day > replay.on:
                plan = _static_next(params, week, plans, phase_start, last_build)
            else:
                plan = _known(replay, week, day, plans, phase_start, last_build, gap_seen)
        plan = _sessions_gap(replay, week, [*plans, plan], last_build, gap_seen)
        if plans:
            plan = _no_rise_after_pain(replay, plans[-1], plan, last_build)
            if plan.phase != plans[-1].phase:
                phase_start = week
        plans.append(plan)
        if not plan.deload:
            last_build = plan
    return plans


def _last_log(replay: Replay, before: date) -> date | None:
    days = [d.day for d in replay.logs if d.day < before]
    return max(days, default=None)


def _gap_plan(
    replay: Replay, week: int, day: date, plans: list[WeekPlan], last_build: WeekPlan, gap_seen: set[tuple[date, str]]
) -> WeekPlan | None:
    last = _last_log(replay, day)
    if last is None:
        return None
    gap = replay.gap(last, day)
    trained = max(
        (p for p in plans if any((p.week, s.index) in replay.done for s in replay.lay.slots)),
        key=lambda p: p.week,
        default=last_build,
    )
    trained = last_build if trained.deload else trained
    data: dict[str, Any] = {"gap": gap, "last_log": last.isoformat()}
    if gap >= GAP_STEP_BACK.params["days"] and (last, GAP_STEP_BACK.id) not in gap_seen:
        gap_seen.add((last, GAP_STEP_BACK.id))
        phase = trained.phase
        if phase is not None:
            back = REHAB_PHASES[max(0, REHAB_PHASES.index(phase) - int(GAP_STEP_BACK.params["phases_back"]))]
            what = f"back to the {back} phase, at its first week's doses"
            plan = WeekPlan(week, back, 0, False, f"steps back after {gap} days without a session: {what}")
        else:
            steps = max(0, trained.steps - int(GAP_STEP_BACK.params["weeks_back"]))
            what = f"the doses of two weeks before week {trained.week}"
            plan = WeekPlan(week, None, steps, False, f"steps back after {gap} days without a session: {what}")
        replay.event(GAP_STEP_BACK, week, day, "step_back", {**data, "steps": plan.steps}, what=what)
        return plan
    if gap >= GAP_REPEAT.params["days"] and (last, GAP_REPEAT.id) not in gap_seen:
        gap_seen.add((last, GAP_REPEAT.id))
        replay.event(GAP_REPEAT, week, day, "repeat", {**data, "from_week": trained.week})
        return WeekPlan(
            week, trained.phase, trained.steps, False, f"repeats week {trained.week}: no session for {gap} days"
        )
    return None


def _same_again(week: int, before: WeekPlan, last_build: WeekPlan, why: str) -> WeekPlan:
    """Nothing rises: the week before's doses again, a deload's lighter doses included."""
    if before.deload:
        return WeekPlan(week, before.phase, before.steps, True, f"repeats week {before.week}'s lighter doses: {why}")
    return WeekPlan(week, before.phase, last_build.steps, False, f"repeats week {last_build.week}: {why}")


def _known(
    replay: Replay,
    week: int,
    day: date,
    plans: list[WeekPlan],
    phase_start: int,
    last_build: WeekPlan,
    gap_seen: set[tuple[date, str]],
) -> WeekPlan:
    params = replay.params
    before = plans[-1]
    gapped = _gap_plan(replay, week, day, plans, last_build, gap_seen)
    if gapped is not None:
        return gapped
    judged = judge(replay, week - 1, before, day)
    pain, pain_week = flare(replay, before, last_build, day, judged.peak)
    hurt = pain is not None and pain > PAIN_NO_RISE.params["above"]
    phase = before.phase
    held = False
    weeks_in = full_weeks(plans, phase_start)
    if phase is not None and weeks_in >= PHASE_ADVANCE.params["weeks_at_least"] and (phase != REHAB_PHASES[-1]):
        phase_keys = [(w, s.index) for w in range(phase_start, week) for s in replay.lay.slots]
        reports = mornings(replay, phase_keys, day)
        values = [m for _, m, _ in reports]
        nxt = REHAB_PHASES[REHAB_PHASES.index(phase) + 1]
        rises = int(PHASE_HOLD.params["rises"])
        last = values[-(rises + 1) :]
        rising = len(last) == rises + 1 and all(a < b for a, b in zip(last, last[1:], strict=False))
        data: dict[str, Any] = {"mornings": values[-3:], "weeks": weeks_in, "missing": judged.missing}
        shown = ", ".join(map(str, values[-3:])) or "none"
        if (values and values[-1] > PHASE_HOLD.params["above"]) or rising:
            replay.event(PHASE_HOLD, week, day, "hold", data, mornings=shown, phase=phase)
            held = True
        else:
            two = reports[-int(PHASE_ADVANCE.params["checkins"]) :]
            low = len(two) == PHASE_ADVANCE.params["checkins"] and all(
                m <= PHASE_ADVANCE.params["morning_at_most"] and (b is None or m <= b) for _, m, b in two
            )
            if low and judged.missing == 0 and not hurt:
                replay.event(PHASE_ADVANCE, week, day, "advance", data, mornings=shown, phase=phase, next=nxt)
                return WeekPlan(week, nxt, 0, False, f"first week of the {nxt} phase: its criteria were met")
            why = (
                not_done(judged.missing, week - 1)
                if judged.missing
                else f"pain reached {pain}/10 in week {pain_week}"
                if hurt
                else f"next-morning pain {shown}/10: two reports at most 2/10, neither above the pain before "
                "its session, are needed"
            )
            replay.event(PHASE_NOT_YET, week, day, "hold", {**data, "why": why}, next=nxt)
    if is_deload(params, week):
        return deload_week(week, phase, last_build)
    data = {"missing": judged.missing, "pain": pain, "from_week": last_build.week}
    if hurt:
        replay.event(PAIN_NO_RISE, week, day, "hold", {**data, "pain_week": pain_week})
        hurt_plan = before if pain_week == before.week else last_build
        return _same_again(week, hurt_plan, last_build, f"pain reached {pain}/10 in week {pain_week}")
    if held:
        return _same_again(week, before, last_build, f"next-morning pain holds the {phase} phase")
    short: str | None = (
        not_done(judged.missing, week - 1)
        if judged.missing
        else judged.short
        if judged.short is not None
        else f"pain reached {pain}/10, above {int(WEEK_REPEATS.params['pain_at_most'])}"
        if pain is not None and pain > WEEK_REPEATS.params["pain_at_most"]
        else None
    )
    if short is not None:
        replay.event(WEEK_REPEATS, week, day, "repeat", {**data, "why": short})
        return WeekPlan(week, phase, last_build.steps, False, f"repeats week {last_build.week}: {short}")
    replay.event(WEEKLY_STEP, week, day, "step_up", data)
    return step_up(week, phase, last_build)


def _sessions_gap(
    replay: Replay, week: int, plans: list[WeekPlan], last_build: WeekPlan, seen: set[tuple[date, str]]
) -> WeekPlan:
    """``advance=sessions``: a session of this week done after 14 days or more without a log (or due
    today after such a gap) is done at the doses the gap rules give; the week takes them from then on."""
    plan = plans[-1]
    if replay.calendar:
        return plan
    days = [d.day for k, d in replay.done.items() if k[0] == week]
    open_ = replay.next_open()
    if open_ is not None and open_[0] == week:
        days.append(replay.on)
    for day in sorted(days):
        gapped = _gap_plan(replay, week, day, [*plans[:-1], plan], last_build, seen)
        if gapped is not None:
            plan = gapped
    return plan


def _no_rise_after_pain(replay: Replay, before: WeekPlan, plan: WeekPlan, last_build: WeekPlan) -> WeekPlan:
    """The last word (rule ``pain-above-5-no-rise``): whatever decided a week (a gap, a projection), it is
    never above the week before when that week hurt above 5, and no rehab phase begins after it (a phase
    stepped back to is lower, and stays)."""
    if plan.phase != before.phase:
        if (
            plan.phase is None
            or before.phase is None
            or REHAB_PHASES.index(plan.phase) < REHAB_PHASES.index(before.phase)
        ):
            return plan
    elif plan.steps <= before.steps and (plan.deload or not before.deload):
        return plan
    peak, pain_week = flare(replay, before, last_build, replay.on, judge(replay, before.week, before, replay.on).peak)
    if peak is not None and peak > PAIN_NO_RISE.params["above"]:
        hurt_plan = before if pain_week == before.week else last_build
        return _same_again(plan.week, hurt_plan, last_build, f"pain reached {peak}/10 in week {pain_week}")
    return plan


def follow(
    catalogue: Catalogue,
    params: ProgrammeParameters,
    sessions: Sequence[tuple[Session, ProgrammeRef | None]],
    checkins: Sequence[CheckIn],
    on: date,
    *,
    paused: Sequence[tuple[date, date | None]] = (),
    ended: date | None = None,
) -> Followed:
    """The programme as it has gone up to ``on`` and what is due that day. ``on`` and every day are
    local dates in ``params.tz``; ``paused``: [from, until) ranges, ``until`` None while still paused;
    ``ended``: the day the person ended it. Logs after ``on`` (or ``ended``) are not read."""
    tz = zone(params.tz)
    lay = layout(params)
    last_day = on if ended is None else min(on, ended)
    pauses = sorted(
        (start, until if until is not None else on + timedelta(days=1)) for start, until in paused if start <= on
    )
    morning: dict[date, int] = {}
    for checkin in checkins:
        if checkin.date <= last_day:
            morning[checkin.date] = max(checkin.pain, morning.get(checkin.date, 0))
    replay = Replay(catalogue, params, lay, sessions_for(catalogue, params), on, pauses, morning)
    inside = [(s.performed_at.astimezone(tz).date(), s, r) for s, r in sessions]
    inside = [row for row in inside if params.start <= row[0] <= last_day]
    # Oldest first; logs at one instant in one order whatever order they came in (``order``: their content).
    inside.sort(key=lambda row: row[1].performed_at)
    instants = [row[1].performed_at for row in inside]
    if len(set(instants)) < len(instants):
        inside.sort(key=lambda row: order(row[1]))
    for day, session, ref in inside:
        replay.place(day, session, ref)
    plans = _weeks(replay)
    weeks = render(params, lay, plans, replay.store, replay.week_start)
    programme = Programme(parameters=params, rules=build_rules(params, lay, weeks, catalogue), weeks=weeks)
    events = sorted(replay.events, key=lambda e: (e.date, e.week))
    return Followed(programme=programme, today=_today(replay, plans, ended, events))


def _session(replay: Replay, plans: list[WeekPlan], key: Key) -> Workout:
    return replay.store.at(replay.slot(key), plan_of(plans, key[0]))


def _today(replay: Replay, plans: list[WeekPlan], ended: date | None, events: list[Event]) -> Today:
    on = replay.on
    keys = replay.sessions()
    today_done = [k for k, d in replay.done.items() if d.day == on]
    open_ = [k for k in keys if k not in replay.done]

    def answer(status: Status, week: int, key: Key | None, missed: int, next_due: date | None) -> Today:
        plan = plan_of(plans, week)
        return Today(
            date=on,
            week=week,
            day=None if key is None else key[1],
            phase=plan.phase,
            deload=plan.deload,
            status=status,
            missed=missed,
            next_due=next_due,
            session=None if key is None or status not in (Status.due, Status.done) else _session(replay, plans, key),
            events=events,
        )

    if replay.calendar:
        missed = sum(1 for k in open_ if replay.planned(k) < on and not replay.paused(replay.planned(k)))
        week = replay.week_of(on)
        upcoming = [k for k in open_ if replay.planned(k) >= on]
        next_due = replay.planned(upcoming[0]) if upcoming else None
    else:
        missed = _late(replay)
        week = open_[0][0] if open_ else replay.params.weeks
        next_due = _due(replay, open_[0]) if open_ else None
        if next_due is not None and next_due < on:
            next_due = on
    if ended is not None and on >= ended:
        return answer(Status.finished, week, None, missed, None)
    if replay.paused(on):
        return answer(Status.paused, week, None, missed, None)
    if today_done:
        key = max(today_done)
        return answer(Status.done, key[0], key, missed, next_due if next_due != on else None)
    if replay.calendar:
        if on > replay.planned(keys[-1]) and not upcoming:
            return answer(Status.finished, replay.params.weeks, None, missed, None)
        due = [k for k in open_ if replay.planned(k) == on]
        if due:
            return answer(Status.due, due[0][0], due[0], missed, on)
        return answer(Status.rest, week, None, missed, next_due)
    if not open_:
        return answer(Status.finished, replay.params.weeks, None, missed, None)
    if next_due is not None and next_due <= on and on >= replay.params.start:
        return answer(Status.due, open_[0][0], open_[0], missed, on)
    return answer(Status.rest, week, None, missed, next_due)


def _due(replay: Replay, key: Key) -> date:
    """``advance=sessions``: a session is due its planned spacing after the one before it was done."""
    keys = replay.sessions()
    position = keys.index(key)
    due = replay.planned(key)
    if position > 0 and keys[position - 1] in replay.done:
        before = keys[position - 1]
        due = replay.done[before].day + (replay.planned(key) - replay.planned(before))
    while replay.paused(due):
        due += timedelta(days=1)
    return due


def _late(replay: Replay) -> int:
    """``advance=sessions``: sessions done after their due day, and the open one if it is overdue."""
    late = 0
    for key in replay.sessions():
        due = _due(replay, key)
        done = replay.done.get(key)
        if done is None:
            return late + (1 if due < replay.on else 0)
        late += done.day > due
    return late
