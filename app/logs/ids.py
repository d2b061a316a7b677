"""New log ids: random (version 4) UUIDs, their bytes read from the OS 256 ids at a time.

``uuid.uuid4()`` reads 16 bytes a call, a system call that lets go of the GIL: on the event loop,
beside the log writer's thread, each one handed the GIL over and waited to get it back (up to the
switch interval, 1 ms; profiled at ~1 ms of a log write's wall time under load). The bytes are the
same CSPRNG's (``os.urandom``); a forked child starts with none of its parent's.
"""

from __future__ import annotations

import os
import threading
import uuid

_BATCH = 16 * 256
_lock = threading.Lock()
_pool = b""
_at = 0


def new_id() -> str:
    global _pool, _at
    with _lock:
        if _at >= len(_pool):
            _pool, _at = os.urandom(_BATCH), 0
        chunk = _pool[_at : _at + 16]
        _at += 16
    return str(uuid.UUID(bytes=chunk, version=4))


def _forget() -> None:
    global _pool, _at
    _pool, _at = b"", 0


os.register_at_fork(after_in_child=_forget)
