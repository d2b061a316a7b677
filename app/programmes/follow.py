"""The plan as it has actually gone, read from the person's logs and check-ins, and what is due today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.catalogue import Catalogue
from app.coaching.history import CheckIn, Session
from app.programmes.models import Programme, ProgrammeParameters, ProgrammeRef, Today


@dataclass(frozen=True)
class Followed:
    programme: Programme
    today: Today


def follow(
    catalogue: Catalogue,
    params: ProgrammeParameters,
    sessions: Sequence[tuple[Session, ProgrammeRef | None]],
    checkins: Sequence[CheckIn],
    on: date,
    *,
    paused: Sequence[tuple[date, date | None]] = (),
    ended: date | None = None,
) -> Followed:
    """``on`` and every day are local dates in ``params.tz``."""
    raise NotImplementedError
