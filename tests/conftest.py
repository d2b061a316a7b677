"""Shared fixtures: the real app, over httpx (Starlette's TestClient), on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.catalogue import Catalogue, load_catalogue
from app.main import create_app
from app.settings import Settings


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hipflex.db'}"


@pytest.fixture
def client(sqlite_url: str, catalogue: Catalogue) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=sqlite_url), catalogue=catalogue)
    with TestClient(app) as test_client:
        yield test_client
