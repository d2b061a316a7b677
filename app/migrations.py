"""Run and inspect Alembic migrations from code (the CLI, start-up, /readyz)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url

# The wheel carries the scripts as app/alembic_scripts/ (setup.py maps the
# top-level migrations/ there); a checkout or editable install has migrations/
# beside app/.
PACKAGED = "alembic_scripts"
CHECKOUT = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _script_location() -> Path:
    # Installed copy first: beside an installed app/ is site-packages, where an
    # unrelated distribution may have put a "migrations" folder of its own.
    packaged = resources.files("app") / PACKAGED
    if packaged.is_dir():
        # Alembic needs a real directory; wheels are installed unzipped.
        return Path(str(packaged))
    if CHECKOUT.is_dir():
        return CHECKOUT
    raise RuntimeError(f"hipflex's migrations are missing: neither app/{PACKAGED}/ nor {CHECKOUT} exists")


def upgrade(database_url: str, revision: str = "head") -> None:
    with _sqlite_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)


@contextmanager
def _sqlite_lock(database_url: str) -> Iterator[None]:
    """One migration at a time on a SQLite file, across processes.

    Several workers (or several ``hipflex serve``) starting on a new file each ran the
    migrations: one failed ("table alembic_version already exists") and took the server down.
    Alembic's DDL on SQLite is not one transaction, so the lock is a file of its own beside the
    database (``<file>.migrate-lock``, left in place: removing a lock file races its next user).
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # (Windows: no fcntl; hipflex serve migrates before its workers start)
        yield
        return
    path = Path(url.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(f"{path}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # (closing releases the lock)


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
