"""GET /screening: the red flags to ask about before training; any of them means a clinician, not a workout."""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.workouts.models import RedFlagInfo
from app.workouts.screening import SCREEN, describe

router = APIRouter(tags=["workouts"])


class Screening(BaseModel):
    red_flags: list[RedFlagInfo] = Field(description="Ask each question; pass the ids answered yes as `red_flags`.")
    advice: str


@lru_cache(maxsize=1)
def body() -> bytes:
    body = Screening(
        red_flags=[describe(sign) for sign in SCREEN],
        advice=(
            "Ask these before a session. If any is answered yes, pass its id in GET /workouts?red_flags=...: the "
            "answer is then a referral with its urgency, not a workout."
        ),
    )
    return body.model_dump_json().encode()


@router.get(
    "/screening",
    summary="Red flags: signs that need a clinician before any training",
    description="The questions to ask before a session, each with its id, urgency and why it matters. Any "
    "answered yes goes to GET /workouts as `red_flags`, and the answer is a referral instead of a workout.",
    response_model=Screening,
)
async def get_screening() -> Response:
    return Response(body(), media_type="application/json")
