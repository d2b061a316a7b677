"""When nothing is left: why no workout fits, and which one change would help most.

Only called on failure, so it may be slow: it re-runs the constraints with
each single relaxation to count what that would unlock.
"""

from __future__ import annotations

from dataclasses import replace

from app.catalogue.models import Equipment, Level
from app.workouts.constraints import Constraints
from app.workouts.errors import WorkoutImpossible
from app.workouts.index import LEVELS, GoalIndex
from app.workouts.models import Omission


def impossible(
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
        if not constraints.allows(entry.exercise.intensity):
            found.add("pain_level")
        if entry.exercise.level.rank > constraints.level.rank:
            found.add("level")
        if constraints.option(entry) is None:
            found.add("equipment")
    have = ",".join(sorted(e.value for e in constraints.have))
    labels = {
        "pain": "pain=" + ",".join(f.value for f in constraints.pain),
        "pain_level": (
            "hip pain in rehab (gentle exercises only)"
            if constraints.hip_rehab
            else f"pain_level={constraints.pain_level} ({constraints.grade.effect})"
        ),
        "level": f"level={constraints.level.value}",
        "equipment": f"equipment={have}" if have else "no equipment",
        "exclude": "exclude=" + ",".join(constraints.exclude),
    }
    blamed = {name: text for name, text in labels.items() if name in found}

    tries: list[tuple[int, int, str]] = []  # (unlocked, order, suggestion)
    for n, item in enumerate(Equipment):
        if item not in constraints.kit:
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
    if "pain_level" in blamed and constraints.gentle_only:
        detail += " With this much pain, get assessed by a doctor or physical therapist first."
    fields = {name: f"{text} rules out exercises {goal_name} needs" for name, text in blamed.items()}
    return WorkoutImpossible(detail, fields or {"goal": f"{goal_name} has no exercises"})
