"""The generator's sentences and the goals' texts in the catalogue's language.

English lives here, next to the code that fills it in; other languages come
from the catalogue's language files (``workouts`` and ``goals`` sections),
checked by ``check`` at start-up: the same keys and the same ``{placeholders}``.
A generated workout reads its language from the catalogue it is given, so the
generator's signature (and its memoisation per catalogue) stays as it was.
The pain grades' and red flags' texts (``pain.py``, ``screening.py``) are the
English of keys ``grade.<id>.<field>`` and ``sign.<id>.<field>``, read off the
rows, so those modules keep their data whole and every sentence still needs German.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from enum import Enum
from functools import lru_cache
from typing import Any

from app.catalogue import Catalogue
from app.catalogue.translations import TranslationError, check_texts, text_fields
from app.workouts.cautions import CAUTIONS
from app.workouts.goals import GOALS, GoalPlan, describe
from app.workouts.models import Frequency
from app.workouts.pain import PAIN_GRADES
from app.workouts.screening import SCREEN, URGENCY_ADVICE

# Terms used inside sentences: English keeps the API's own values, so English bytes never change.
EN: dict[str, str] = {
    "stop_if_pain": "Stop any exercise that causes or worsens pain.",
    "see_a_professional": "If there is no relief after a few weeks, see a doctor or physical therapist.",
    "area.knee": "knee",
    "area.low_back": "low back",
    "area.wrist": "wrist",
    "area.shoulder": "shoulder",
    "area.hip": "front of the hip",
    "area.hip_pinch": "hip in deep flexion",
    "area.pregnancy": "body in pregnancy or after birth",
    "flag.knee": "knee",
    "flag.low_back": "low_back",
    "flag.wrist": "wrist",
    "flag.shoulder": "shoulder",
    "flag.hip": "hip",
    "flag.hip_pinch": "hip_pinch",
    "flag.pregnancy": "pregnancy",
    "level.beginner": "beginner",
    "level.intermediate": "intermediate",
    "level.advanced": "advanced",
    "intensity.gentle": "gentle",
    "intensity.moderate": "moderate",
    "intensity.intense": "intense",
    "side.left": "left",
    "side.right": "right",
    "equipment.band": "band",
    "equipment.mini_band": "mini band",
    "equipment.wall": "wall",
    "equipment.couch": "couch",
    "equipment.bed": "bed",
    "equipment.table": "table",
    "equipment.box": "box",
    "equipment.bench": "bench",
    "equipment.ball": "ball",
    "equipment.foam_roller": "foam roller",
    "equipment.dumbbell": "dumbbell",
    "equipment.ankle_weight": "ankle weight",
    "equipment.cable": "cable",
    "equipment.kettlebell": "kettlebell",
    "equipment.pull_up_bar": "pull up bar",
    "equipment.sliders": "sliders",
    "equipment.parallettes": "parallettes",
    "equipment.yoga_blocks": "yoga blocks",
    "equipment.cushion": "cushion",
    "join.and": " and ",
    "join.or": " or ",
    "join.with": " + ",
    "omit.pain": "{flag}: {reason}",
    "omit.excluded": "you excluded it",
    "omit.intensity": "{intensity}: with this much pain only gentle exercises are offered",
    "omit.level": "{level} is above your level",
    "omit.equipment": "needs {needs}",
    "why": "{goal} phase {number} ({phase}): {exercise} {purpose}.",
    "side_note": (
        "Your {side} side is tight: do one extra set on it ({more} sets on the {side}, {sets} on the other side)."
    ),
    "gentle.rehab": "Front-of-hip pain during rehab",
    "gentle": (
        "{cause}: this session keeps to gentle exercises only. Get assessed by a doctor or physical "
        "therapist before you train harder."
    ),
    "pain_areas": "Exercises that would load your {areas} are left out (see omitted).",
    "short.told": "about {minutes} min of the {asked} this session may take",
    "short.too_long": "the other exercises for this goal do not fit in the time left, so {count} make {told}",
    "short.few.one": "only {count} exercise fits this goal with your constraints, {told}, even at their full doses",
    "short.few.other": "only {count} exercises fit this goal with your constraints, {told}, even at their full doses",
    "short.relax": "Relaxing a constraint (see omitted) would make room for more.",
    "short.repeat": "Repeat the session, or add a session for another goal.",
    "short.pregnancy": (
        "In pregnancy, work lying on the back or the belly, deep stretches and heavy abdominal work are left out "
        "(ACOG Committee Opinion 804), and this catalogue does not yet have side-lying, seated or standing "
        "alternatives for them; fill the rest of the time with walking, swimming or a stationary bike, which "
        "ACOG names as safe, as your maternity team allows."
    ),
    "short": "This session is short: {cause}. {advice}",
    "phase_empty": "Nothing for phase {number} ({phase}) fits your constraints (see omitted).",
    "title": "{goal} session, {level}",
    # The pain grades' and the red-flag screen's fixed sentences; their rows' texts are added below from the data.
    "grade.note": "Pain today {pain_level}/10 ({label}, grade {grade}): {effect}.",
    "grade.cut": "This one is cut from {minutes} to {session_minutes} minutes.",
    "grade.no_extra_set": "No extra set for the tight side while it hurts.",
    "dose.under_pain": "With pain reported, it uses its gentle dose: light pressure, never into pain.",
    "dose.bottom": "Pain {pain_level}/10: dosed at the bottom of its range.",
    "omit.moderate": "{intensity}: with the pain you report nothing intense is offered (see safety)",
    "omit.time": "its full dose does not fit in the time left; it is never cut below its minimum",
    "referral.title": "No {goal} session today: see a clinician",
    "referral.pain": "Pain today: {pain_level}/10.",
    "referral.advice": (
        "{urgency} No workout today: what you report needs a clinician's assessment before training. "
        "Tell them what you answered here."
    ),
    "screen.advice": (
        "Ask these before a session. If any is answered yes, pass its id in GET /workouts?red_flags=...: the "
        "answer is then a referral with its urgency, not a workout."
    ),
}
# Every text field of every pain grade and red flag (all but ids and sources), found by walking the rows, so a
# new row or field needs its German before the catalogue loads.
_NOT_TEXT = frozenset({"id", "source"})


def _is_text(value: object) -> bool:
    return isinstance(value, str) and not isinstance(value, Enum)


EN.update(
    {
        f"{prefix}.{row.id}.{f.name}": getattr(row, f.name)
        for prefix, rows in (("grade", PAIN_GRADES), ("sign", SCREEN))
        for row in rows
        for f in fields(row)
        if f.name not in _NOT_TEXT and _is_text(getattr(row, f.name))
    }
)
EN.update({f"urgency.{urgency.value}": advice for urgency, advice in URGENCY_ADVICE.items()})
EN.update({f"caution.{caution.id}": caution.reason for caution in CAUTIONS})


def words(catalogue: Catalogue) -> Mapping[str, str]:
    """The sentence table for the catalogue's language (checked at start-up, so complete)."""
    table: Mapping[str, str] = catalogue.texts.get("workouts", EN)
    return table


def say(table: Mapping[str, str], key: str, **values: object) -> str:
    return table[key].format(**values) if values else table[key]


def phase_name(catalogue: Catalogue, title: str) -> str:
    # English runs a phase title into a sentence in lower case; German nouns keep their capital.
    return title.lower() if catalogue.language == "en" else title


_GOAL_IDENTIFIERS = frozenset({"key", "sources", "value", "goal"})


def goal_texts(plan: GoalPlan) -> dict[str, str]:
    """Every text of one goal by path: ``title``, ``phases.<key>.purpose``, ``frequency.advice``, ``safety.0``."""
    texts = text_fields(describe(plan), identifiers=_GOAL_IDENTIFIERS)
    texts.update({f"safety.{n}": note for n, note in enumerate(plan.safety)})
    return texts


def goals(catalogue: Catalogue) -> tuple[GoalPlan, ...]:
    """The goals in the catalogue's language."""
    return GOALS if catalogue.language == "en" else _translated_goals(catalogue)


@lru_cache(maxsize=8)
def _translated_goals(catalogue: Catalogue) -> tuple[GoalPlan, ...]:
    table: dict[str, dict[str, str]] = catalogue.texts["goals"]
    plans = []
    for plan in GOALS:
        texts = table[plan.goal.value]
        phases = tuple(
            replace(p, title=texts[f"phases.{p.key}.title"], purpose=texts[f"phases.{p.key}.purpose"])
            for p in plan.phases
        )
        plans.append(
            replace(
                plan,
                title=texts["title"],
                description=texts["description"],
                phases=phases,
                frequency=Frequency(advice=texts["frequency.advice"], sources=plan.frequency.sources),
                safety=tuple(texts[f"safety.{n}"] for n in range(len(plan.safety))),
            )
        )
    return tuple(plans)


def check(catalogue: Catalogue) -> None:
    """Every language's goals and sentences match the English ones, key for key and placeholder for placeholder."""
    for language, translated in catalogue.translations.items():
        origin = f"built-in i18n/{language}.json"
        problems = check_texts(origin, "workouts", EN, translated.texts.get("workouts"))
        table: Any = translated.texts.get("goals")
        if not isinstance(table, dict):
            problems.append(f"{origin}: goals: expected an object of goal -> texts")
            table = {}
        known = {plan.goal.value for plan in GOALS}
        problems += [f"{origin}: goals: {name!r}: no such goal" for name in table if name not in known]
        for plan in GOALS:
            problems += check_texts(origin, f"goal {plan.goal.value!r}", goal_texts(plan), table.get(plan.goal.value))
        if problems:
            raise TranslationError("invalid translation:\n  " + "\n  ".join(problems))
