"""Check-ins: a user's rest or next-morning pain on a calendar date (``schemas``), and the store behind them.

One check-in a user a date: the date is the key. A second POST for a date
already checked in is refused (409) rather than silently replacing the
first, because a morning pain score is clinical data an app must not lose
by a double tap or a sync race; a correction is an explicit DELETE and POST.
Retries are made safe by ``Idempotency-Key``, exactly as for logs. The store
is the only writer of ``checkins``; every change bumps the user's revision
(app/revisions.py) in its transaction.
"""

from app.checkins.schemas import CheckinCreate, CheckinPage, CheckinPublic
from app.checkins.store import (
    EARLIEST,
    LATEST,
    CheckinExists,
    Created,
    between,
    checkin_path,
    create,
    delete_checkin,
    erase_user,
    export,
    get,
    known_user,
    page,
)
from app.dates import DATE_PATTERN, CalendarDate

__all__ = [
    "DATE_PATTERN",
    "EARLIEST",
    "LATEST",
    "CalendarDate",
    "CheckinCreate",
    "CheckinExists",
    "CheckinPage",
    "CheckinPublic",
    "Created",
    "between",
    "checkin_path",
    "create",
    "delete_checkin",
    "erase_user",
    "export",
    "get",
    "known_user",
    "page",
]
