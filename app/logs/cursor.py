"""Where a page of logs ends, as the opaque ``cursor`` of its ``next`` link."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class BadCursor(ValueError):
    """A pagination cursor we did not issue."""


# A cursor is a sort key in plain sight: the microseconds from the Unix epoch to the last log's
# time, and its id. Every string of this shape decodes to a place in the list (the digit counts
# keep it within the years datetime can hold), so the document's pattern is exactly what is accepted.
CURSOR_PATTERN = r"^(-?\d{1,16}|\d{17})\.[0-9a-f]{32}$"
# ASCII and fullmatch, as the document's JSON Schema pattern means it: Python's \d would take
# other scripts' digits, and its $ a trailing newline (which then failed in uuid: a 500).
_CURSOR = re.compile(CURSOR_PATTERN, re.ASCII)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last log's sort key."""

    performed_at: datetime
    id: str

    def encode(self) -> str:
        return f"{(self.performed_at - _EPOCH) // _MICROSECOND}.{uuid.UUID(self.id).hex}"

    @classmethod
    def decode(cls, cursor: str) -> Cursor:
        """Read a cursor back; anything but what ``encode`` could make is a ``BadCursor``, never a query."""
        if not _CURSOR.fullmatch(cursor):
            raise BadCursor("is not a cursor this API issued")
        micros, log_id = cursor.split(".")
        return cls(_EPOCH + int(micros) * _MICROSECOND, str(uuid.UUID(hex=log_id)))
