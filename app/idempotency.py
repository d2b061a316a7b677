"""``Idempotency-Key`` records (IETF httpapi draft, as Stripe does it).

A POST that carries a key first *claims* it: a row marked "in flight" is
committed on its own. The store then writes the log and, in the same
transaction, ``complete`` saves the response on that row, so a log and the
answer that acknowledged it exist together or not at all. If the write fails
the claim is ``release``d and a retry can go ahead. A claim left in flight
for longer than ``IN_FLIGHT_TIMEOUT`` (5 s: a crashed worker) may be taken over.

The rows live in the database, so they hold across workers and restarts.
This module is the only writer of ``idempotency_keys``.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from app.db import write_session
from app.tables import IdempotencyRecord

# A claim is a lease: one whose request has not answered within this long is taken over by a retry.
# A request holds its claim at most for the log writer's wait (HIPFLEX_DB_WRITE_TIMEOUT_MS, 2.5 s)
# and one database stall (2 s); a process killed between claim and write blocked its key for 60 s.
# A request that does outlive its lease loses nothing: its write and its stored answer are one
# transaction that checks it still owns the key (``complete``), so the retry writes, not both.
IN_FLIGHT_TIMEOUT = timedelta(seconds=5)
PURGE_CHANCE = 0.01  # purge expired rows on about one claim in a hundred
MAX_KEY_LENGTH = 255
_TABLE = IdempotencyRecord.__table__  # type: ignore[attr-defined]


class KeyInFlight(Exception):
    """The first request with this key has not finished yet."""


class KeyReused(Exception):
    """The key was used before with a different request."""


@dataclass(frozen=True)
class Claim:
    """This request holds the key; pass it to ``complete`` or ``release``."""

    tenant: str
    key: str
    owner: str


@dataclass(frozen=True)
class Replay:
    """The key was used before for this same request: answer as we did then."""

    status: int
    body: bytes
    location: str | None


# The one Idempotency-Key rule: 1-255 printable ASCII characters. The route's header declares it, the
# fast path checks it with ``valid_key``.
KEY_PATTERN = r"^[ -~]+$"
_KEY = re.compile(KEY_PATTERN)


def valid_key(key: str) -> bool:
    """1-255 printable ASCII characters."""
    return 1 <= len(key) <= MAX_KEY_LENGTH and _KEY.match(key) is not None


def fingerprint(user_id: str, body: Any) -> str:
    """sha256 of the canonical JSON of the request (its user and its body)."""
    canonical = json.dumps([user_id, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(
    engine: Engine,
    tenant: str,
    key: str,
    user_id: str,
    request_hash: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> Claim | Replay:
    """Claim ``key`` for this request in a transaction of its own, or say how it was answered before.

    Raises ``KeyReused`` if the key came with another request, ``KeyInFlight``
    if that request is still running. Records older than ``ttl`` are ignored
    (and now and then purged). The service claims through ``app.logs``, which
    commits claims together; this is the same step, alone.
    """
    for _ in range(3):
        with write_session(engine) as session:
            outcome = claim_in(session, tenant, key, user_id, request_hash, ttl, now or datetime.now(UTC))
            session.commit()
        if outcome is not None:
            return outcome
    raise KeyInFlight()


@cache
def _insert_if_new(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING in the database's dialect, built once per dialect.

    (RETURNING says whether the row went in: rowcount is not reliable for this on every driver.) Built on
    first use: importing SQLAlchemy's Postgres dialect cost a SQLite service's cold start (issue 20).
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        statement = postgresql_insert(_TABLE).on_conflict_do_nothing(index_elements=["tenant", "key"])
        return statement.returning(_TABLE.c.owner)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(_TABLE).on_conflict_do_nothing(index_elements=["tenant", "key"]).returning(_TABLE.c.owner)
_SELECT = select(
    _TABLE.c.request_hash,
    _TABLE.c.owner,
    _TABLE.c.created_at,
    _TABLE.c.locked_at,
    _TABLE.c.response_status,
    _TABLE.c.response_body,
    _TABLE.c.response_location,
).where(_TABLE.c.tenant == bindparam("tenant"), _TABLE.c.key == bindparam("key"))


def claim_in(
    session: Session, tenant: str, key: str, user_id: str, request_hash: str, ttl: timedelta, now: datetime
) -> Claim | Replay | None:
    """``claim`` inside the caller's transaction, which must commit for a ``Claim`` to hold.

    None means the row vanished between two statements (released): try again.
    ``KeyReused`` and ``KeyInFlight`` leave the database untouched.
    """
    owner = str(uuid.uuid4())
    fresh = {
        "request_hash": request_hash,
        "owner": owner,
        "user_id": user_id,
        "created_at": now,
        "locked_at": now,
        "log_id": None,
        "response_status": None,
        "response_body": None,
        "response_location": None,
    }
    connection = session.connection()
    # A new key, the usual case, is one statement. On Postgres a request
    # racing us with the same key waits here for our commit, then finds our row.
    inserted = connection.execute(_insert_if_new(connection.dialect.name), {"tenant": tenant, "key": key, **fresh})
    if inserted.first() is not None:
        if random.random() < PURGE_CHANCE:
            _purge(session, now - ttl)
        return Claim(tenant, key, owner)
    row = connection.execute(_SELECT, {"tenant": tenant, "key": key}).first()
    if row is None:
        return None
    expired = row.created_at < now - ttl
    if not expired:
        if row.request_hash != request_hash:
            raise KeyReused()
        if row.response_status is not None:
            return Replay(row.response_status, bytes(row.response_body), row.response_location)
        if row.locked_at > now - IN_FLIGHT_TIMEOUT:
            raise KeyInFlight()
    # Expired, or abandoned in flight: take it over, unless someone else just did.
    taken = session.exec(
        update(_TABLE)
        .where(_TABLE.c.tenant == tenant, _TABLE.c.key == key, _TABLE.c.owner == row.owner)
        .values(**fresh)
    )
    if taken.rowcount != 1:
        raise KeyInFlight()
    return Claim(tenant, key, owner)


def purge(engine: Engine, ttl: timedelta, now: datetime | None = None) -> int:
    """Delete the records older than ``ttl``; returns how many. ``claim`` does this now and then."""
    with write_session(engine) as session:
        purged = _purge(session, (now or datetime.now(UTC)) - ttl)
        session.commit()
    return purged


def _purge(session: Session, cutoff: datetime) -> int:
    return int(session.exec(delete(_TABLE).where(_TABLE.c.created_at < cutoff)).rowcount)


def complete(
    session: Session, claim: Claim, status: int, body: bytes, location: str | None, log_id: str | None
) -> bool:
    """Store the response, inside the caller's transaction. False if the claim was lost."""
    result = session.exec(
        update(_TABLE)
        .where(_TABLE.c.tenant == claim.tenant, _TABLE.c.key == claim.key, _TABLE.c.owner == claim.owner)
        .values(response_status=status, response_body=body, response_location=location, log_id=log_id)
    )
    return result.rowcount == 1


def release(engine: Engine, claim: Claim) -> None:
    """Give the key back after a failed request, so that a retry can proceed."""
    with write_session(engine) as session:
        session.exec(
            delete(_TABLE).where(
                _TABLE.c.tenant == claim.tenant,
                _TABLE.c.key == claim.key,
                _TABLE.c.owner == claim.owner,
                _TABLE.c.response_status.is_(None),
            )
        )
        session.commit()


def forget_user(session: Session, tenant: str, user_id: str) -> None:
    """Erase the stored responses about a user (they hold their data), in the caller's transaction."""
    session.exec(delete(_TABLE).where(_TABLE.c.tenant == tenant, _TABLE.c.user_id == user_id))


def forget_log(session: Session, tenant: str, user_id: str, log_id: str) -> None:
    """Erase the stored response that created a log, in the caller's transaction."""
    session.exec(
        delete(_TABLE).where(_TABLE.c.tenant == tenant, _TABLE.c.user_id == user_id, _TABLE.c.log_id == log_id)
    )


def forget_location(session: Session, tenant: str, user_id: str, location: str) -> None:
    """Erase the stored response that created the resource at ``location`` (a check-in), in the caller's transaction."""
    session.exec(
        delete(_TABLE).where(
            _TABLE.c.tenant == tenant, _TABLE.c.user_id == user_id, _TABLE.c.response_location == location
        )
    )
