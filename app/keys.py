"""Tenants' API keys: create, list, revoke, authenticate.

A key reads ``hf_<id>_<secret>``. The id is public (it is how a key is
listed and revoked, and how it is found at authentication); the secret is
32 random bytes. Only the sha256 of the whole key is stored: the key is
random and long, so a slow password hash would buy nothing. The hash is
compared in constant time. This module is the only writer of ``api_keys``.

A key that authenticated is remembered for ``RECHECK_SECONDS``, so a busy
client costs one lookup a second rather than one a request. The app keeps
them in its ``RememberedKeys`` (on the app's ``AppState``); revoking through it
forgets the key at once, and other processes (another worker, or the CLI's)
see the revocation within ``RECHECK_SECONDS``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.db import read_session, write_session
from app.tables import ApiKey

PREFIX = "hf_"
ID_LENGTH = 8
_ID_ALPHABET = string.ascii_lowercase + string.digits
_KEY = re.compile(rf"^{PREFIX}([a-z0-9]{{{ID_LENGTH}}})_([A-Za-z0-9_-]{{43}})$")
TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TABLE = ApiKey.__table__  # type: ignore[attr-defined]
_LOOKUP = select(_TABLE.c.tenant, _TABLE.c.key_hash, _TABLE.c.revoked_at).where(_TABLE.c.id == bindparam("key_id"))
RECHECK_SECONDS = 1.0
_MAX_REMEMBERED = 10_000


class KeyRejected(Exception):
    """The presented key does not authenticate; the message says why."""


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: never the secret, never its hash."""

    prefix: str
    tenant: str
    name: str | None
    created_at: datetime
    revoked_at: datetime | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(PREFIX + row.id, row.tenant, row.name, row.created_at, row.revoked_at)


def create(engine: Engine, tenant: str, name: str | None = None) -> tuple[str, KeyInfo]:
    """Make a key for ``tenant``; the returned key is the only copy there will be."""
    if not TENANT_PATTERN.match(tenant):
        raise ValueError(
            "a tenant is 1-64 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit"
        )
    if name is not None and not (1 <= len(name) <= 100 and name.isprintable()):
        raise ValueError("a key name is 1-100 printable characters")
    for _ in range(5):
        key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))
        key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        now = datetime.now(UTC)
        try:
            with write_session(engine) as session:
                session.exec(
                    insert(_TABLE).values(id=key_id, tenant=tenant, name=name, key_hash=_hash(key), created_at=now)
                )
                session.commit()
        except IntegrityError:  # the random id is taken; draw another
            continue
        return key, KeyInfo(PREFIX + key_id, tenant, name, now, None)
    raise RuntimeError("could not draw an unused key id")


def list_keys(engine: Engine, tenant: str | None = None) -> list[KeyInfo]:
    statement = select(ApiKey).order_by(ApiKey.tenant, ApiKey.created_at)  # type: ignore[arg-type]
    if tenant is not None:
        statement = statement.where(ApiKey.tenant == tenant)
    with read_session(engine) as session:
        return [_info(row) for row in session.exec(statement)]


class RememberedKeys:
    """Keys that authenticated lately: sha256 of the key -> (key id, tenant, when checked).

    One per app and database, kept on its ``AppState``. ``recheck_seconds`` and ``clock`` are arguments so a
    test can widen the window (or move time) for its own app, never for the process.
    """

    def __init__(self, recheck_seconds: float = RECHECK_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.recheck_seconds = recheck_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._known: dict[str, tuple[str, str, float]] = {}

    def get(self, digest: str) -> str | None:
        entry = self._known.get(digest)
        if entry is None or self._clock() - entry[2] > self.recheck_seconds:
            return None
        return entry[1]

    def put(self, digest: str, key_id: str, tenant: str) -> None:
        with self._lock:
            if len(self._known) >= _MAX_REMEMBERED:
                self._known.clear()
            self._known[digest] = (key_id, tenant, self._clock())

    def forget(self, key_id: str) -> None:
        with self._lock:
            for digest in [d for d, entry in self._known.items() if entry[0] == key_id]:
                del self._known[digest]


def revoke(engine: Engine, prefix: str, remembered: RememberedKeys | None = None) -> KeyInfo | None:
    """Revoke the key with this public prefix (``hf_<id>`` or just ``<id>``); None if there is none.

    ``remembered`` (the app's) forgets the key at once; other processes see the revocation within
    ``RECHECK_SECONDS``.
    """
    key_id = prefix.removeprefix(PREFIX)
    if remembered is not None:
        remembered.forget(key_id)
    now = datetime.now(UTC)
    with write_session(engine) as session:
        session.exec(
            update(_TABLE).where(_TABLE.c.id == key_id, _TABLE.c.revoked_at.is_(None)).values(revoked_at=now)
        )
        row = session.get(ApiKey, key_id)
        session.commit()
        return _info(row) if row is not None else None


def recently_authenticated(remembered: RememberedKeys, key: str) -> str | None:
    """The tenant, if this key authenticated less than ``RECHECK_SECONDS`` ago; no I/O."""
    return remembered.get(_hash(key))


def authenticate(engine: Engine, key: str, remembered: RememberedKeys | None = None) -> str:
    """The tenant a key belongs to; ``KeyRejected`` if it is unknown, malformed or revoked."""
    match = _KEY.match(key)
    if match is None:
        raise KeyRejected("The API key is not valid.")
    key_id = match.group(1)
    with engine.connect() as connection:
        row = connection.execute(_LOOKUP, {"key_id": key_id}).first()
    digest = _hash(key)
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise KeyRejected("The API key is not valid.")
    if row.revoked_at is not None:
        raise KeyRejected("The API key has been revoked.")
    if remembered is not None:
        remembered.put(digest, key_id, row.tenant)
    return str(row.tenant)
