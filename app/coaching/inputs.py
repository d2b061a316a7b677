"""What the coach reads of one user's stored data for one day, read and decoded once.

GET /users/{id}/workouts/next reads the window's sessions, the check-ins, the day of the last session
before a long break and what the assessments ask of the day: about half of a computed answer's CPU
(reads and decoding), the same for every seed and workout parameter. The door keeps these under the
user's revision and the day (app/api/coaching.py), so a request for another seed costs only generating
and adapting. Plain data here: the door reads it, the coach (``app.coaching.plan``) takes it as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.assessments.steer import Finding
from app.coaching.history import CheckIn, Session
from app.coaching.today import PainToday

# A rough weight for the kept-inputs memory bound (app.answers ``Kept``): a session's frozen object is shared
# with the decode memo (app.coaching.history ``_memo_session``), so it counts a reference and its share of the
# list; a check-in is a small dataclass of its own.
_SESSION_BYTES = 64
_CHECKIN_BYTES = 128
_FINDING_BYTES = 1024
_PAIN_BYTES = 512


@dataclass(frozen=True)
class Inputs:
    """``history``: the sessions of the day's window, oldest first (``app.coaching.history.window``, at most
    ``MAX_SESSIONS``); ``reports``: its check-ins; ``last_seen``: the day of the latest session when none is in
    the window (else None); ``finding``: what the assessments ask of the day, for a query that does not name
    the tight side itself; ``pain``: today's pain level from these alone (``app.coaching.plan.read_day``), for
    a query that sends no ``pain_level``."""

    history: tuple[Session, ...]
    reports: tuple[CheckIn, ...]
    last_seen: date | None
    finding: Finding | None
    pain: PainToday

    def weight(self) -> int:
        """Bytes, roughly, that keeping this costs beyond what the decode memo holds anyway."""
        finding = 0 if self.finding is None else _FINDING_BYTES
        return len(self.history) * _SESSION_BYTES + len(self.reports) * _CHECKIN_BYTES + finding + _PAIN_BYTES
