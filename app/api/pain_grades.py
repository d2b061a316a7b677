"""GET /pain-grades: the table that turns today's pain (0-10) into what a session may hold."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.api.deps import LocalisedCatalogueDep
from app.catalogue import Catalogue
from app.languages import LOCALISED, language_headers
from app.problems import responses
from app.workouts.models import PainGradeInfo
from app.workouts.pain import PAIN_GRADES, describe
from app.workouts.wording import EN, words

router = APIRouter(tags=["workouts"])


class PainGradeList(BaseModel):
    grades: list[PainGradeInfo] = Field(description="One row per band of the 0-10 scale, lowest first.")


@lru_cache(maxsize=8)  # one body per language's catalogue
def body(catalogue: Catalogue | None = None) -> bytes:
    """The JSON in the catalogue's language; English without one (the API document's example)."""
    table = EN if catalogue is None else words(catalogue)
    return PainGradeList(grades=[describe(row, table) for row in PAIN_GRADES]).model_dump_json().encode()


@router.get(
    "/pain-grades",
    summary="How the pain level changes a workout",
    description=(
        "`pain_level` on GET /workouts falls in one of these grades; each says what it changes (intensity, doses, "
        "minutes, whether there is a session at all), why, and its source. Rows that are our own design say so."
    ),
    response_model=PainGradeList,
    responses={**LOCALISED, **responses(422)},
)
async def list_pain_grades(catalogue: LocalisedCatalogueDep) -> Response:
    return Response(body(catalogue), media_type="application/json", headers=language_headers(catalogue.language))
