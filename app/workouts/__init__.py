"""Workout generation: the goals as data and a pure generator over the catalogue."""

from app.workouts.generator import UnknownExercises, WorkoutError, WorkoutImpossible, generate, generate_json
from app.workouts.models import Workout, WorkoutQuery

__all__ = ["UnknownExercises", "Workout", "WorkoutError", "WorkoutImpossible", "WorkoutQuery", "generate", "generate_json"]
