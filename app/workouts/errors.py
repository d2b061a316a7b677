"""Why a request cannot become a workout, as exceptions the routes and CLI turn into messages."""

from __future__ import annotations


class WorkoutError(Exception):
    """The request cannot become a workout; the message says why."""


class UnknownExercises(WorkoutError):
    def __init__(self, slugs: list[str]) -> None:
        super().__init__("unknown exercise " + ", ".join(repr(s) for s in slugs))
        self.slugs = slugs


class WorkoutImpossible(WorkoutError):
    def __init__(self, detail: str, fields: dict[str, str]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields  # query parameter -> what it did
