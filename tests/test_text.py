"""`app.workouts.text`: a workout as plain text, for a person at a terminal."""

from __future__ import annotations

import pytest

from app.catalogue import Catalogue
from app.workouts import Workout, WorkoutQuery, generate
from app.workouts.models import Prescription
from app.workouts.text import dose_text, render


def prescription(**fields: object) -> Prescription:
    base: dict[str, object] = {
        "sets": 3,
        "reps": None,
        "hold_seconds": None,
        "duration_seconds": None,
        "per_side": False,
        "rest_seconds": 60,
        "tempo": None,
        "note": None,
    }
    return Prescription.model_validate(base | fields)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"reps": 12}, "3 x 12 reps, rest 60 s"),
        ({"reps": 10, "per_side": True, "rest_seconds": 75}, "3 x 10 reps per side, rest 75 s"),
        ({"sets": 2, "reps": 8, "hold_seconds": 3, "per_side": True}, "2 x 8 x 3 s hold per side, rest 60 s"),
        ({"sets": 2, "reps": 1, "hold_seconds": 30, "rest_seconds": 20}, "2 x 30 s hold, rest 20 s"),
        ({"sets": 1, "duration_seconds": 45, "per_side": True, "rest_seconds": 0}, "1 x 45 s per side, rest 0 s"),
        # a duration wins over reps: the set is timed
        ({"reps": 5, "duration_seconds": 30}, "3 x 30 s, rest 60 s"),
    ],
)
def test_a_dose_reads_as_sets_work_side_and_rest(fields: dict[str, object], text: str) -> None:
    assert dose_text(prescription(**fields)) == text


def flat(text: str) -> str:
    """Text with its wrapping undone, to look for a sentence that may span lines."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def workout(catalogue: Catalogue) -> Workout:
    # tight side, pain and a short session: every optional part of the text appears
    query = WorkoutQuery(goal="strength", pain=["knee"], tight_side="left", minutes=30)
    return generate(catalogue, query, 3)


def test_the_text_holds_every_item_in_order_with_its_phase_dose_and_cues(workout: Workout) -> None:
    text = render(workout)
    lines = text.splitlines()
    assert lines[0] == (
        f"{workout.title}: about {workout.estimated_minutes} min "
        f"(beginner, seed 3, catalogue {workout.catalogue_version})"
    )
    position = 0
    phase = None
    for number, item in enumerate(workout.items, start=1):
        if item.phase_title != phase:
            phase = item.phase_title
            position = lines.index(f"== {phase} ==", position)
        kit = f" [{', '.join(item.exercise.equipment)}]" if item.exercise.equipment else ""
        position = lines.index(f"{number:>2}. {item.exercise.name}{kit}: {dose_text(item.dose)}", position)
        for cue in item.exercise.cues:
            assert f"- {cue}" in flat(text)
        assert flat(item.why) in flat(text)
    assert any(item.side_note for item in workout.items)
    for item in workout.items:
        if item.side_note:
            assert flat(item.side_note) in flat(text)


def test_the_text_ends_with_what_was_left_out_the_safety_notes_and_how_often(workout: Workout) -> None:
    text = render(workout)
    assert workout.time_note is not None and workout.omitted
    assert flat(workout.time_note) in flat(text)
    after_left_out = flat(text.split("\nLeft out:\n", 1)[1])
    for omission in workout.omitted:
        assert f"- {omission.name}: {flat(omission.detail)}" in after_left_out
    after_safety = flat(text.split("\nSafety:\n", 1)[1])
    for note in workout.safety:
        assert f"- {flat(note)}" in after_safety
    assert flat(text).endswith(f"How often: {flat(workout.frequency.advice)}")
    assert text.endswith("\n")


@pytest.mark.parametrize("width", [40, 78])
def test_wrapped_lines_keep_to_the_width(workout: Workout, width: int) -> None:
    text = render(workout, width=width)
    wrapped = [line for line in text.splitlines() if line.startswith(("     ", "- ", "  "))]
    assert wrapped
    # only a single word longer than the width may overflow it
    assert [line for line in wrapped if len(line) > width and " " in line.strip()] == []
