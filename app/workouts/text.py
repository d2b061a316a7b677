"""A generated workout as plain text, for a person at a terminal (`hipflex workout`)."""

from __future__ import annotations

import textwrap

from app.workouts.models import Prescription, Workout


def dose_text(dose: Prescription) -> str:
    if dose.duration_seconds is not None:
        work = f"{dose.duration_seconds} s"
    elif dose.hold_seconds is not None:
        hold = f"{dose.hold_seconds} s hold"
        work = f"{dose.reps} x {hold}" if dose.reps and dose.reps > 1 else hold
    else:
        work = f"{dose.reps} reps"
    side = " per side" if dose.per_side else ""
    return f"{dose.sets} x {work}{side}, rest {dose.rest_seconds} s"


def render(workout: Workout, width: int = 78) -> str:
    # never split a hyphenated word ("glute-driven") across lines: a reader or a search would see "glute- driven"
    wrap = textwrap.TextWrapper(
        width=width, initial_indent="     ", subsequent_indent="     ", break_on_hyphens=False
    )
    if workout.referral is not None:
        lines = [f"{workout.title} (seed {workout.seed}, catalogue {workout.catalogue_version})", ""]
        urgency = workout.referral.urgency.value.replace("_", " ")
        lines.append(textwrap.fill(f"Referral ({urgency}): {workout.referral.advice}", width))
        lines += [textwrap.fill(f"- {c.text} {c.why}", width, subsequent_indent="  ") for c in workout.referral.causes]
        return "\n".join(lines) + "\n"
    lines = [
        f"{workout.title}: about {workout.estimated_minutes} min "
        f"({workout.parameters.level}, seed {workout.seed}, catalogue {workout.catalogue_version})",
        "",
    ]
    phase = None
    for number, item in enumerate(workout.items, start=1):
        if item.phase_title != phase:
            phase = item.phase_title
            lines.append(f"== {phase} ==")
        kit = f" [{', '.join(item.exercise.equipment)}]" if item.exercise.equipment else ""
        lines.append(f"{number:>2}. {item.exercise.name}{kit}: {dose_text(item.dose)}")
        if item.dose.tempo:
            lines.append(wrap.fill(f"tempo: {item.dose.tempo}"))
        lines.append(wrap.fill(item.why))
        for cue in item.exercise.cues:
            lines.append(wrap.fill(f"- {cue}"))
        if item.side_note:
            lines.append(wrap.fill(item.side_note))
    if workout.time_note:
        lines += ["", textwrap.fill(workout.time_note, width)]
    if workout.omitted:
        lines += ["", "Left out:"]
        lines += [textwrap.fill(f"- {o.name}: {o.detail}", width, subsequent_indent="  ") for o in workout.omitted]
    lines += ["", "Safety:"]
    lines += [textwrap.fill(f"- {note}", width, subsequent_indent="  ") for note in workout.safety]
    lines += ["", textwrap.fill(f"How often: {workout.frequency.advice}", width)]
    return "\n".join(lines) + "\n"
