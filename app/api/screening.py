"""GET /screening: the red flags to ask about before training; any of them means a clinician, not a workout."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.deps import LocalisedCatalogueDep
from app.api.languages import LOCALISED, language_headers
from app.catalogue import Catalogue
from app.problems import responses
from app.workouts.models import RedFlagInfo
from app.workouts.screening import SCREEN, describe
from app.workouts.wording import words

router = APIRouter(tags=["workouts"])


class Screening(BaseModel):
    red_flags: list[RedFlagInfo] = Field(description="Ask each question; pass the ids answered yes as `red_flags`.")
    advice: str


@lru_cache(maxsize=8)  # one body per language's catalogue
def _body(catalogue: Catalogue) -> bytes:
    table = words(catalogue)
    body = Screening(red_flags=[describe(sign, table) for sign in SCREEN], advice=table["screen.advice"])
    return body.model_dump_json().encode()


@router.get(
    "/screening",
    summary="Red flags: signs that need a clinician before any training",
    response_model=Screening,
    responses={**LOCALISED, **responses(422)},
)
async def get_screening(catalogue: LocalisedCatalogueDep) -> Response:
    return Response(_body(catalogue), media_type="application/json", headers=language_headers(catalogue.language))
