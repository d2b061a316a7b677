"""Workout generation: the goals as data and a pure generator over the catalogue."""

from app.workouts.errors import UnknownExercises, WorkoutError, WorkoutImpossible
from app.workouts.generator import draw_seed, generate, generate_json
from app.workouts.models import Workout, WorkoutQuery

__all__ = [
    "UnknownExercises",
    "Workout",
    "WorkoutError",
    "WorkoutImpossible",
    "WorkoutQuery",
    "draw_seed",
    "generate",
    "generate_json",
]
