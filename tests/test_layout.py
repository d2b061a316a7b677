"""The shape of the tree: a pure domain, and no module in app/ over 400 lines.

A new domain package (app/programmes, ...) goes in DOMAIN_PACKAGES: it is checked once it exists; the domain
modules of a package that also holds a store (app/progress, app/assessments) are listed one by one in DOMAIN.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# The pure domain: may import the standard library, pydantic and itself, nothing of the web or the database.
DOMAIN_PACKAGES = ("app.catalogue", "app.workouts", "app.coaching")
# app/programmes is a resource package too: every module but its store, its wire schemas and its day's reads is domain.
PROGRAMMES_NOT_DOMAIN = ("__init__", "store", "schemas", "today")
DOMAIN = (
    *(name for name in DOMAIN_PACKAGES if (APP.parent / name.replace(".", "/")).is_dir()),
    "app.dates",
    "app.progress.records",
    "app.progress.trends",
    "app.progress.exercises",
    # app/assessments is a resource package like app/progress: its store and wire schemas are not domain
    "app.assessments.catalogue",
    "app.assessments.trends",
    "app.assessments.steer",
    "app.assessments.examples",
    "app.outcomes.measures",
    "app.outcomes.models",
    "app.outcomes.people",
    "app.outcomes.cohort",
    "app.outcomes.motion",
    "app.outcomes.completion",
    *sorted(
        f"app.programmes.{p.stem}" for p in (APP / "programmes").glob("*.py") if p.stem not in PROGRAMMES_NOT_DOMAIN
    ),
)
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "alembic", "uvicorn", "psycopg")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module an import statement anywhere in ``source`` names, relative imports made absolute."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)  # `from app import api`
    return found


def in_domain(name: str) -> bool:
    return name == "app" or any(name == d or name.startswith(d + ".") for d in DOMAIN)


def impurities(names: set[str]) -> set[str]:
    """The imports a domain module may not make: the web or database stack, or app code outside the domain."""
    return {n for n in names if n.split(".")[0] in FORBIDDEN or (n.split(".")[0] == "app" and not in_domain(n))}


def _files(name: str) -> list[Path]:
    """A domain package's modules, or a single domain module."""
    path = APP.parent / name.replace(".", "/")
    return list(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


DOMAIN_FILES = sorted(p for name in DOMAIN for p in _files(name))


def test_the_domain_has_modules_to_check() -> None:
    names = {module_name(p) for p in DOMAIN_FILES}
    assert {"app.catalogue.loader", "app.catalogue.search", "app.workouts.generator", "app.workouts.index"} <= names
    assert {"app.progress.records", "app.progress.trends", "app.progress.exercises"} <= names
    assert {"app.coaching.rules", "app.coaching.adapt", "app.coaching.history"} <= names


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(APP.parent)))
def test_the_domain_imports_nothing_from_the_web_or_the_database(path: Path) -> None:
    found = imports(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    assert impurities(found) == set()


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("from fastapi import Request", {"fastapi", "fastapi.Request"}),
        ("import sqlalchemy.orm as orm", {"sqlalchemy.orm"}),
        ("def f():\n    from starlette import responses", {"starlette", "starlette.responses"}),
        ("from app.api import deps", {"app.api", "app.api.deps"}),
        ("from app import db", {"app.db"}),
        ("from ..api.deps import CatalogueDep", {"app.api.deps", "app.api.deps.CatalogueDep"}),
        ("from app.catalogue.models import Level\nimport random\nfrom . import goals", set()),
    ],
)
def test_the_import_check_catches_what_it_should(source: str, bad: set[str]) -> None:
    assert impurities(imports(source, "app.workouts.generator")) == bad


def test_no_module_in_app_is_over_400_lines() -> None:
    lengths = {
        str(p.relative_to(APP.parent)): len(p.read_text(encoding="utf-8").splitlines())
        for p in APP.rglob("*.py")
    }
    too_long = {path for path, lines in lengths.items() if lines > MAX_LINES}
    assert too_long == set(), {path: lengths[path] for path in too_long}
