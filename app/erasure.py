"""After a user is erased, their bytes leave the database's files too, not only its tables.

A DELETE only marks rows dead. SQLite kept the deleted notes in its ``-wal`` file until unrelated
writes overwrote those frames; Postgres keeps dead rows in the table's pages until a VACUUM.

- SQLite: every connection runs with ``secure_delete`` (deleted content and freed pages are
  overwritten with zeros) and a bounded ``journal_size_limit`` (app.db); after an erasure the WAL
  is checkpointed into the database and truncated to zero bytes, before the 204 is sent. A row
  that SQLite moved between pages earlier (a page split as a table or index grows) leaves a stale
  copy in the old page's unused space, which ``secure_delete`` does not know of (one test run in
  three with 3 logs, every run with 30): only rewriting the pages clears it, so in either mode a
  VACUUM (in the background as below) rewrites the file after an erasure.
- Postgres: a VACUUM of the tables an erasure touches, in a thread of its own (never on the
  request), at most once per ``interval`` seconds however many erasures there are. A plain VACUUM
  removes the dead rows from the tables and indexes; the bytes of a removed row can stay in its
  page's free space until a new row is written there, so ``full`` (VACUUM FULL) rewrites the
  tables instead, at the price of locking each one while it is rewritten.

``plain`` is the default on both. On Postgres ``full`` costs a rewrite of the touched tables at most
once per ``interval``; on SQLite the two modes are the same (the VACUUM is the only way to leave no
byte).

What remains elsewhere (Postgres WAL and its archive, backups) is in the README.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Literal

from sqlalchemy.engine import Engine

from app.db import write_lock

logger = logging.getLogger("hipflex.erasure")

ERASED_TABLES = (
    "logs", "log_sets", "log_exercises", "checkins", "assessments", "programmes", "idempotency_keys", "user_revisions"
)
_CHECKPOINT_TRIES = 20  # a reader mid-read makes a TRUNCATE checkpoint give up: try again shortly
VacuumMode = Literal["plain", "full"]


class Scrubber:
    """Clears what an erasure left in the files of one engine's database (see the module docstring)."""

    def __init__(self, engine: Engine, interval: float, mode: VacuumMode = "plain") -> None:
        self.engine = engine
        self.interval = interval
        self.mode = mode
        self.vacuums = 0  # (how many ran: for the tests and the log)
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def erased(self) -> None:
        """Called after an erasure committed."""
        if self.engine.dialect.name == "sqlite":
            self._checkpoint()  # the WAL before the 204; the stale copies in pages by the VACUUM below
        self._wanted.set()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hipflex-erasure-vacuum", daemon=True)
                self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wanted.set()
        thread = self._thread
        if thread is not None:
            thread.join(5)

    def _checkpoint(self) -> None:
        # Under the app's write lock, so the log writer does not race it for SQLite's; on the driver's
        # connection, outside any transaction (a checkpoint cannot run inside one).
        with write_lock(self.engine):
            connection = self.engine.raw_connection()
            try:
                for _ in range(_CHECKPOINT_TRIES):
                    cursor = connection.cursor()
                    busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                    cursor.close()
                    if not busy:
                        return
                    time.sleep(0.01)
            finally:
                connection.close()
        logger.warning(
            "the WAL could not be truncated after an erasure (readers kept it busy): the next checkpoint will"
        )

    def _run(self) -> None:
        last = float("-inf")
        while not self._stop.is_set():
            self._wanted.wait()
            if self._stop.wait(max(0.0, last + self.interval - time.monotonic())):
                return
            self._wanted.clear()
            last = time.monotonic()
            try:
                self._vacuum()
                self.vacuums += 1
            except Exception as error:  # the next erasure (or this one, again) tries later
                self._wanted.set()
                logger.warning("VACUUM after an erasure failed: %s", type(error).__name__)

    def _vacuum(self) -> None:
        if self.engine.dialect.name == "sqlite":
            # The whole file rewritten, then the WAL that holds the rewrite checkpointed away. Writers
            # wait meanwhile (on the app's write lock): seconds for a large file.
            with write_lock(self.engine):
                raw = self.engine.raw_connection()
                try:
                    raw.cursor().execute("VACUUM")
                finally:
                    raw.close()
            self._checkpoint()
            return
        # Not through the engine's pool: the stall watchdog (app.stalls) would cut a VACUUM that runs
        # longer than a statement should, and the pool's statement_timeout would cancel it.
        import psycopg  # (Postgres only: a SQLite service never loads the driver, issue 20)

        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as connection:
            connection.execute("SET statement_timeout = 0")
            # VACUUM FULL waits for an exclusive lock, and everyone queues behind a waiting one:
            # give up at once when the tables are busy, and try again after the interval.
            connection.execute("SET lock_timeout = '200ms'")
            tables = ", ".join(ERASED_TABLES)
            connection.execute(f"VACUUM {'FULL ' if self.mode == 'full' else ''}{tables}")
