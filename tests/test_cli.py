"""`hipflex workout`: the installed command as a real process, and `main()` in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.catalogue import Catalogue
from app.cli import main
from app.workouts import Workout, WorkoutQuery, generate, generate_json
from app.workouts.models import SEED_MAX

HIPFLEX = Path(sys.executable).parent / "hipflex"  # the console script `pip install` made

STRENGTH = ["--goal", "strength", "--level", "intermediate", "--equipment", "band,wall", "--minutes", "30"]
STRENGTH_QUERY = WorkoutQuery(goal="strength", level="intermediate", equipment=["band", "wall"], minutes=30)


@pytest.fixture(autouse=True)
def builtin_catalogue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In-process runs read Settings too: no HIPFLEX_* setting from the caller's shell leaks in."""
    for name in [k for k in os.environ if k.startswith("HIPFLEX_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def hipflex(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIPFLEX_")}
    return subprocess.run(
        [str(HIPFLEX), "workout", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def item_lines(text: str) -> list[str]:
    """The numbered exercise lines (` 1. Name [kit]: dose`)."""
    return [line for line in text.splitlines() if line[:3].strip().rstrip(".").isdigit() and line[2:4] == ". "]


def test_the_command_prints_the_generated_workout_with_its_doses(tmp_path: Path, catalogue: Catalogue) -> None:
    done = hipflex(*STRENGTH, "--seed", "7", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expected = generate(catalogue, STRENGTH_QUERY, 7)
    lines = item_lines(done.stdout)
    assert len(lines) == len(expected.items) > 0
    for number, (line, item) in enumerate(zip(lines, expected.items, strict=True), start=1):
        assert line.startswith(f"{number:>2}. {item.exercise.name}")
        assert f": {item.dose.sets} x " in line
        assert f"rest {item.dose.rest_seconds} s" in line
        if item.dose.reps is not None and item.dose.duration_seconds is None and item.dose.hold_seconds is None:
            assert f"{item.dose.reps} reps" in line
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"{expected.title}: about {expected.estimated_minutes} min")
    assert f"seed 7, catalogue {catalogue.version}" in first
    assert "Safety:" in done.stdout and expected.safety[0] in done.stdout
    assert done.stderr == ""


def test_json_is_what_the_generator_returns_for_the_same_seed(tmp_path: Path, catalogue: Catalogue) -> None:
    done = hipflex(*STRENGTH, "--seed", "7", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = Workout.model_validate_json(done.stdout)
    assert printed == generate(catalogue, STRENGTH_QUERY, 7)
    assert json.loads(done.stdout) == json.loads(generate_json(catalogue, STRENGTH_QUERY, 7))


def test_without_a_seed_one_is_drawn_and_reproduces_the_workout(
    catalogue: Catalogue, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["workout", *STRENGTH, "--json"]) == 0
    printed = Workout.model_validate_json(capsys.readouterr().out)
    assert 0 <= printed.seed <= SEED_MAX
    assert printed == generate(catalogue, STRENGTH_QUERY, printed.seed)


def test_in_process_text_and_json_agree(catalogue: Catalogue, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["workout", "--goal", "mobility", "--pain", "knee", "--tight-side", "left", "--seed", "3"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert main([*args, "--json"]) == 0
    workout = Workout.model_validate_json(capsys.readouterr().out)
    assert workout == generate(catalogue, WorkoutQuery(goal="mobility", pain=["knee"], tight_side="left"), 3)
    lines = item_lines(text)
    assert len(lines) == len(workout.items) > 0
    for line, item in zip(lines, workout.items, strict=True):
        assert line.split(". ", 1)[1].startswith(item.exercise.name)
    assert "Left out:" in text and all(o.name in text for o in workout.omitted)


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--goal", "flying"], 2, "--goal: Input should be 'balanced'"),
        (["--minutes", "3"], 2, "--minutes: Input should be greater than or equal to 5"),
        (["--equipment", "band,jetpack"], 2, "--equipment: Input should be 'none'"),
        (["--tight-side", "middle"], 2, "--tight-side: Input should be 'left' or 'right'"),
        (["--pain-level", "eleven"], 2, "argument --pain-level: invalid int value: 'eleven'"),
        (["--exclude", "no-such-exercise"], 1, "unknown exercise 'no-such-exercise'"),
        (  # no wall (else the standing hip flow fits), no bodyweight opener, seated or side-lying work: nothing left
            ["--goal", "warmup", "--pain", "knee,wrist", "--pain-level", "6", "--equipment", "no_wall",
             "--exclude", "front-line-opener,seated-isometric-hip-flexion,side-lying-clamshell,seated-marching,"
             "standing-supported-knee-raise"],
            1,
            "leave no exercise for goal=warmup",
        ),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_clear_message(
    args: list[str], status: int, message: str, tmp_path: Path
) -> None:
    done = hipflex(*args, cwd=tmp_path)
    assert done.returncode == status
    assert message in done.stderr
    assert done.stdout == ""
