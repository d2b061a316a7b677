"""A calendar date on the wire: ISO 8601's YYYY-MM-DD and nothing else (no Unix times, no date-times),
for every resource that takes a day (check-ins, the coach's `today`, a programme's `start`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

DATE_PATTERN = r"^(19|2[01])\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_DATE = re.compile(DATE_PATTERN)


def _date_input(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _DATE.match(value)):
        return value
    raise ValueError("must be a calendar date, YYYY-MM-DD, in the years 1900-2199")


CalendarDate = Annotated[
    date,
    BeforeValidator(_date_input),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
