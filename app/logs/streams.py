"""How many exports stream at once from one process: each holds memory until its client reads it."""

from __future__ import annotations

import threading


class ExportStreams:
    """A count of exports streaming now, at most ``limit``.

    The send timeout (app.server) bounds how long a reader that reads nothing holds its page of logs
    (up to ~4 MiB at the body cap), not how many do: 100 such readers took a server up by 358 MiB.
    Taken in the route (a worker thread), given back when the response ends (on the event loop).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.streaming = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        """A place for one more export, if there is one (then ``give_back`` it when it ends)."""
        with self._lock:
            if self.streaming >= self.limit:
                return False
            self.streaming += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.streaming -= 1
