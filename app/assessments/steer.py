"""The coach reads the assessments: a confirmed asymmetry gives the tighter side one extra stretch set.

Pure domain: the user's readings, logged sessions, the workout and ``today`` come in as arguments.
Two rows of the coach's rules table say what happens and why (``app.coaching.session_rules.ASYMMETRY``
and ``TEST_PAIN``); this module reads their numbers from there, never from literals.

- ``tighter_side`` turns the readings into the side to favour (or a reason not to).
- ``apply`` gives that side at most one extra set of one one-sided hip-flexor stretch, within the
  weekly cap, and keeps every bilateral set as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.assessments.catalogue import AssessmentCatalogue, Side
from app.assessments.trends import AsymmetryStatus, Reading, asymmetry
from app.catalogue import Catalogue
from app.catalogue.models import Kind
from app.coaching.history import Session
from app.coaching.models import AdaptedWorkout, SideExtra
from app.coaching.session_rules import ASYMMETRY, TEST_PAIN
from app.workouts.wording import say, words


@dataclass(frozen=True)
class Finding:
    """What the assessments say for today's workout."""

    rule: str
    code: str  # the test's code
    test: str  # the test's name
    side: Side | None  # the tighter side to favour; None: no extra
    reason: str  # the rule's reason, filled in (the exercise left to ``apply``)
    fields: tuple[tuple[str, str], ...] = ()  # what the reason template still needs


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _test_pain(reading: Reading) -> int | None:
    readings = [reading.pain] if reading.pain is not None else []
    readings += [int(t["pain"]) for t in reading.trials if isinstance(t.get("pain"), int | float)]
    return max(readings, default=None)


def tighter_side(tests: AssessmentCatalogue, readings: Iterable[Reading], today: date) -> Finding | None:
    """The side a confirmed asymmetry asks to favour, as of the end of ``today``; or a referral; or None."""
    until = datetime.combine(today + timedelta(days=1), time(), UTC)
    since = until - timedelta(days=TEST_PAIN.params["days"])
    mine = sorted((r for r in readings if r.performed_at < until), key=lambda r: (r.performed_at, r.id))
    latest: dict[str, Reading] = {r.test: r for r in mine}
    for reading in sorted(latest.values(), key=lambda r: r.performed_at, reverse=True):
        pain = _test_pain(reading)
        test = tests.get(reading.test)
        hurt = pain is not None and pain >= TEST_PAIN.params["pain_from"]
        if test is not None and hurt and reading.performed_at >= since:
            reason = TEST_PAIN.reason.format(test=test.name, day=_day(reading.performed_at).isoformat(), pain=pain)
            return Finding(TEST_PAIN.id, test.code, test.name, None, reason)
    fresh = until - timedelta(days=ASYMMETRY.params["days"])
    found: list[tuple[datetime, Finding]] = []
    for test in tests.tests:
        sessions = [r for r in mine if r.test == test.code]
        measure = test.measure(test.primary_measure)
        for method in test.methods:
            shown = asymmetry(test, method, [r for r in sessions if r.method == method.value], measure.name)
            if shown.status is AsymmetryStatus.confirmed and shown.sessions[-1] >= fresh:
                assert shown.tighter_side is not None and shown.difference is not None and shown.mdc is not None
                fields = {
                    "test": test.name,
                    "side": shown.tighter_side.value,
                    "difference": f"{shown.difference:g}",
                    "unit": measure.unit,
                    "sessions": " and ".join(_day(at).isoformat() for at in shown.sessions),
                    "mdc": f"{shown.mdc:g}",
                }
                finding = Finding(ASYMMETRY.id, test.code, test.name, shown.tighter_side, "", tuple(fields.items()))
                found.append((shown.sessions[-1], finding))
    if not found or len({f.side for _, f in found}) > 1:
        return None  # nothing confirmed, or tests that disagree on the side: no extra for either
    return max(found, key=lambda pair: pair[0])[1]


def _sets_by_side(sessions: Sequence[Session], stretches: frozenset[str], since: date) -> dict[Side, int]:
    """Stretch sets done on each side since ``since`` (a set for `both` or no side counts for each)."""
    counts = {Side.left: 0, Side.right: 0}
    for session in sessions:
        if session.day < since:
            continue
        for slug, sets in session.entries.items():
            if slug not in stretches:
                continue
            for done in sets:
                if not done.completed:
                    continue
                for side in Side:
                    if done.side in (None, "both", side.value):
                        counts[side] += 1
    return counts


def apply(
    workout: AdaptedWorkout,
    finding: Finding | None,
    catalogue: Catalogue,
    sessions: Sequence[Session],
    today: date,
) -> AdaptedWorkout:
    """``workout`` with the finding applied: a referral note, or at most one extra set on the tighter side."""
    if finding is None or workout.referral is not None or not workout.items:
        return workout
    if finding.side is None:  # test pain: no volume change, a note to see a clinician
        extra = SideExtra(
            rule=finding.rule, test=finding.code, tighter_side=None, exercise=None, extra_sets=0, reason=finding.reason
        )
        return workout.model_copy(update={"assessment": extra, "notes": [*workout.notes, finding.reason]})
    side = finding.side
    other = Side.right if side is Side.left else Side.left
    fields = dict(finding.fields)
    stretches = frozenset(e.slug for e in catalogue.exercises if e.kind is Kind.stretch and e.dose.per_side)
    candidates = [i for i, item in enumerate(workout.items) if item.exercise.slug in stretches and item.dose.per_side]
    chosen = candidates[0] if candidates else None
    if chosen is None:
        reason = f"{finding.test}: your {side.value} side is tighter, but this workout has no one-sided hip-flexor " \
            "stretch to give it an extra set."
        extra = SideExtra(rule=finding.rule, test=finding.code, tighter_side=side.value, exercise=None, extra_sets=0,
                          reason=reason)
        return workout.model_copy(update={"assessment": extra})
    item = workout.items[chosen]
    name = item.exercise.name
    # The weekly cap: that side's stretch sets of the last 7 days, today's plan and the extra included, at most
    # 20% above the other side's. An extra given on earlier days counts, so the extras cannot pile up.
    done = _sets_by_side(sessions, stretches, today - timedelta(days=6))
    planned = sum(workout.items[i].dose.sets for i in candidates)
    with_extra = done[side] + planned + ASYMMETRY.params["extra_sets"]
    base = done[other] + planned
    if with_extra - base > base * ASYMMETRY.params["weekly_increase_percent"] / 100:
        reason = (
            f"{finding.test}: your {side.value} side is tighter, but one more set of {name} would put its stretch "
            f"sets this week ({with_extra}) more than {ASYMMETRY.params['weekly_increase_percent']:g}% above the "
            f"{other.value} side's ({base}): the same on both sides today."
        )
        extra = SideExtra(
            rule=finding.rule, test=finding.code, tighter_side=side.value, exercise=None, extra_sets=0, reason=reason
        )
        return workout.model_copy(update={"assessment": extra})
    reason = ASYMMETRY.reason.format(**fields, exercise=name)
    table = words(catalogue)
    sets = item.dose.sets
    side_note = say(table, "side_note", side=table[f"side.{side.value}"], more=sets + 1, sets=sets)
    hold = min(item.dose.hold_seconds or item.dose.duration_seconds or 0, int(ASYMMETRY.params["hold_seconds_at_most"]))
    seconds = (hold or int(ASYMMETRY.params["hold_seconds_at_most"])) + item.dose.rest_seconds
    if item.dose.hold_seconds is not None and item.dose.hold_seconds > hold:
        side_note = f"{side_note} The extra set: hold {hold} s."
    items = list(workout.items)
    items[chosen] = item.model_copy(
        update={"side_note": side_note, "estimated_seconds": item.estimated_seconds + seconds}
    )
    total = workout.estimated_seconds + seconds
    extra = SideExtra(
        rule=finding.rule, test=finding.code, tighter_side=side.value, exercise=item.exercise.slug, extra_sets=1,
        reason=reason,
    )
    return workout.model_copy(
        update={
            "items": items,
            "estimated_seconds": total,
            "estimated_minutes": (total + 30) // 60,
            "assessment": extra,
            "notes": [*workout.notes, reason],
        }
    )

