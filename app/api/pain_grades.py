"""GET /pain-grades: the table that turns today's pain (0-10) into what a session may hold."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.workouts.models import PainGradeInfo
from app.workouts.pain import PAIN_GRADES, describe

router = APIRouter(tags=["workouts"])


class PainGradeList(BaseModel):
    grades: list[PainGradeInfo] = Field(description="One row per band of the 0-10 scale, lowest first.")


@lru_cache(maxsize=1)
def body() -> bytes:
    return PainGradeList(grades=[describe(row) for row in PAIN_GRADES]).model_dump_json().encode()


@router.get(
    "/pain-grades",
    summary="How the pain level changes a workout",
    description=(
        "`pain_level` on GET /workouts falls in one of these grades; each says what it changes (intensity, doses, "
        "minutes, whether there is a session at all), why, and its source. Rows that are our own design say so."
    ),
    response_model=PainGradeList,
)
async def list_pain_grades() -> Response:
    return Response(body(), media_type="application/json")
