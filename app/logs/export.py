"""A user's logs as one ``UserExport`` document, streamed page by page as the pages are read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Text, and_, cast, or_, select
from sqlalchemy.engine import Engine

from app.logs.cursor import Cursor
from app.logs.schemas import LOG_FIELDS, LogPublic, ProgrammeLink, SetLog, WorkoutRef
from app.logs.writer import LOGS

# Logs read per query: at the 256 KiB body cap a page is a few MiB of Python objects, and the
# export's memory is one page whatever the user's total (measured in tests/test_faults.py).
EXPORT_PAGE = 4

# ``entries`` as its stored text, decoded here one entry at a time (see ``_exported``).
_COLUMNS = [cast(LOGS.c[name], Text).label(name) if name == "entries" else LOGS.c[name] for name in LOG_FIELDS]
_SET_DEFAULTS = {name: field.default for name, field in SetLog.model_fields.items()}
_ENTRIES_SLOT = b'"entries":[]'


def export_page(engine: Engine, tenant: str, user_id: str, after: Cursor | None = None) -> list[Any]:
    """The next ``EXPORT_PAGE`` logs of a user, oldest first, after ``after`` (rows, not yet shaped)."""
    statement = select(*_COLUMNS).where(LOGS.c.tenant == tenant, LOGS.c.user_id == user_id)
    if after is not None:
        statement = statement.where(
            or_(
                LOGS.c.performed_at > after.performed_at,
                and_(LOGS.c.performed_at == after.performed_at, LOGS.c.id > after.id),
            )
        )
    statement = statement.order_by(LOGS.c.performed_at.asc(), LOGS.c.id.asc()).limit(EXPORT_PAGE)
    with engine.connect() as connection:
        return list(connection.execute(statement).all())


class _ExportHead(BaseModel):
    user_id: str
    exported_at: datetime


def export_stream(
    engine: Engine, tenant: str, user_id: str, first: list[Any], trailer: bytes = b""
) -> Iterator[bytes]:
    """A ``UserExport`` as JSON, written page by page as the pages are read (``first`` already was).

    ``count`` comes after the logs: it is the number of logs actually written, so the document is
    consistent even if logs are added or deleted while it streams. ``trailer`` (more members, each
    led by a comma) closes the document.
    """
    head = _ExportHead(user_id=user_id, exported_at=datetime.now(UTC)).model_dump_json()
    yield head[:-1].encode() + b',"logs":['
    count, rows = 0, first
    del first  # (else the first page is held as long as the whole stream)
    while rows:
        for row in rows:
            # one log a chunk: the event loop sends while the next one is rendered
            yield (b"," if count else b"") + b"".join(_exported(row))
            count += 1
        if len(rows) < EXPORT_PAGE:
            break
        after, rows = Cursor(rows[-1].performed_at, rows[-1].id), []  # one page held at a time, not two
        rows = export_page(engine, tenant, user_id, after)
    yield b'],"count":' + str(count).encode() + trailer + b"}"


def _exported(row: Any) -> Iterator[bytes]:
    """A stored log as ``LogPublic`` JSON, in parts, without validating again what was validated on the way in.

    The work is cut one entry at a time: a log at the body cap decoded or encoded in one call holds
    the GIL for 5-10 ms (no other client is served meanwhile), one entry for about 0.1 ms.
    tests/test_logs.py checks this gives the document ``LogPublic`` gives.
    """
    workout = WorkoutRef(**row.workout) if isinstance(row.workout, dict) else row.workout
    fields = {name: getattr(row, name) for name in LOG_FIELDS}
    programme = ProgrammeLink(**row.programme) if isinstance(row.programme, dict) else None
    shell = LogPublic.model_construct(**{**fields, "workout": workout, "programme": programme, "entries": []})
    before, after = LogPublic.__pydantic_serializer__.to_json(shell).split(_ENTRIES_SLOT, 1)
    yield before + b'"entries":['
    for index, entry in enumerate(_entries(row.entries)):
        entry = {"exercise": entry["exercise"], "sets": [{**_SET_DEFAULTS, **one} for one in entry["sets"]]}
        yield (b"," if index else b"") + json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
    yield b"]" + after


_DECODER = json.JSONDecoder()
_BETWEEN = re.compile(r"[\s,]*")


def _entries(text: str) -> Iterator[dict[str, Any]]:
    """The entries of a stored ``entries`` array (JSON text), decoded one at a time."""
    index = _BETWEEN.match(text, text.index("[") + 1).end()  # type: ignore[union-attr]
    while text[index] != "]":
        entry, index = _DECODER.raw_decode(text, index)
        yield entry
        index = _BETWEEN.match(text, index).end()  # type: ignore[union-attr]
