"""Coaching that knows the person: adapt a generated workout from the user's logged history.

Pure domain, like the catalogue and the generator: no FastAPI, Starlette or
SQLAlchemy, every input an argument (``today`` included).
"""

from app.coaching.adapt import adapt
from app.coaching.history import CheckIn, Session, SetDone, checkin_of, session_of, session_of_model, sessions_of
from app.coaching.models import Adaptation, AdaptedItem, AdaptedWorkout, DoseState, Guard
from app.coaching.plan import next_workout
from app.coaching.rules import RULES, Action, Rule

__all__ = [
    "RULES",
    "Action",
    "AdaptedItem",
    "AdaptedWorkout",
    "Adaptation",
    "CheckIn",
    "DoseState",
    "Guard",
    "Rule",
    "Session",
    "SetDone",
    "adapt",
    "next_workout",
    "checkin_of",
    "session_of",
    "session_of_model",
    "sessions_of",
]
