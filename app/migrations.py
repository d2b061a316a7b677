"""Run and inspect Alembic migrations from code (the CLI, start-up, /readyz)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

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
    command.upgrade(alembic_config(database_url), revision)


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
