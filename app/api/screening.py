"""GET /screening: the red flags to ask about before training; any of them means a clinician, not a workout."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.deps import LocalisedCatalogueDep
from app.catalogue import Catalogue
from app.languages import LOCALISED, language_headers
from app.problems import responses
from app.workouts.models import RedFlagInfo
from app.workouts.screening import SCREEN, describe
from app.workouts.wording import EN, words

router = APIRouter(tags=["workouts"])


class Screening(BaseModel):
    red_flags: list[RedFlagInfo] = Field(description="Ask each question; pass the ids answered yes as `red_flags`.")
    advice: str


@lru_cache(maxsize=8)  # one body per language's catalogue
def body(catalogue: Catalogue | None = None) -> bytes:
    """The JSON in the catalogue's language; English without one (the API document's example)."""
    table = EN if catalogue is None else words(catalogue)
    screen = Screening(red_flags=[describe(sign, table) for sign in SCREEN], advice=table["screen.advice"])
    return screen.model_dump_json().encode()


@router.get(
    "/screening",
    summary="Red flags: signs that need a clinician before any training",
    description="The questions to ask before a session, each with its id, urgency and why it matters. Any "
    "answered yes goes to GET /workouts as `red_flags`, and the answer is a referral instead of a workout.",
    response_model=Screening,
    responses={**LOCALISED, **responses(422)},
)
async def get_screening(catalogue: LocalisedCatalogueDep) -> Response:
    return Response(body(catalogue), media_type="application/json", headers=language_headers(catalogue.language))
