"""What a check-in is on the wire: the models a client sends and gets back."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.dates import CalendarDate
from app.logs.schemas import MAX_NOTES, NO_NUL, CleanStr, Pain


class CheckinCreate(BaseModel):
    """How the hip feels at rest or on the next morning."""

    model_config = ConfigDict(extra="forbid")

    date: CalendarDate = Field(description="The user's local calendar date of the check-in.")
    pain: Pain = Field(description="Rest or next-morning pain, 0 (none) to 10 (worst).")
    stiffness: Pain | None = Field(default=None, description="Stiffness, 0 (none) to 10 (worst).")
    notes: CleanStr | None = Field(default=None, max_length=MAX_NOTES, json_schema_extra=NO_NUL)


class CheckinPublic(BaseModel):
    """A stored check-in."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "user-1842",
                    "date": "2026-11-21",
                    "pain": 2,
                    "stiffness": 3,
                    "notes": "Stiff on getting up, easing by noon.",
                    "created_at": "2026-11-21T07:05:12.118402Z",
                }
            ]
        }
    )

    user_id: str
    date: date
    pain: int
    stiffness: int | None
    notes: str | None
    created_at: datetime


class CheckinPage(BaseModel):
    """One page of check-ins, latest date first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "user_id": "user-1842",
                            "date": "2026-11-21",
                            "pain": 2,
                            "stiffness": 3,
                            "notes": None,
                            "created_at": "2026-11-21T07:05:12.118402Z",
                        }
                    ],
                    "next": None,
                }
            ]
        }
    )

    items: list[CheckinPublic]
    next: str | None = Field(
        description="Absolute URL of the next page (also in the `Link` header), or null on the last one."
    )
