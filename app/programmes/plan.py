"""The static plan: parameters -> weeks -> days -> sessions, assuming every gate passes."""

from __future__ import annotations

from app.catalogue import Catalogue
from app.programmes.models import Programme, ProgrammeParameters


def build(catalogue: Catalogue, params: ProgrammeParameters) -> Programme:
    """The whole plan for ``params``; the same inputs give the same bytes."""
    raise NotImplementedError
