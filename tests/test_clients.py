"""Generated clients: openapi-python-client reads openapi.json with no warning, and its client works.

The client is generated once per session into a temporary folder and imported from there, as an
integrator would after `openapi-python-client generate` (README, "Use from your app").
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import live_server, make_settings, new_tenant

from app.catalogue import Catalogue
from app.catalogue.models import Goal
from app.main import create_app
from app.workouts import WorkoutQuery, generate_json

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PACKAGE = "hipflex_client"


@pytest.fixture(scope="session")
def generation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Where the client went, and everything the generator printed."""
    folder = tmp_path_factory.mktemp("generated")
    done = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path", str(ROOT / "openapi.json"),
            "--output-path", str(folder / PACKAGE),
            "--meta", "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        # its post-hooks format the client with ruff, from the same environment
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder, done.stdout + done.stderr


def test_openapi_python_client_reads_the_document_with_no_warning(generation: tuple[Path, str]) -> None:
    folder, printed = generation
    assert "warning" not in printed.lower(), printed
    assert "unable to" not in printed.lower() and "skipping" not in printed.lower(), printed
    generated = {path.stem for path in (folder / PACKAGE / "api").glob("*/*.py")} - {"__init__"}
    operations = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))["paths"].values()
    assert generated == {operation["operationId"] for methods in operations for operation in methods.values()}


@pytest.fixture(scope="session")
def client_package(generation: tuple[Path, str]) -> Iterator[ModuleType]:
    folder, _ = generation
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def test_the_generated_client_runs_a_session(client_package: ModuleType, sqlite_url: str, catalogue: Catalogue) -> None:
    """List exercises, generate a workout, log it with an Idempotency-Key (retried), page the logs."""
    models = importlib.import_module(f"{PACKAGE}.models")
    app = create_app(make_settings(sqlite_url), catalogue=catalogue)
    with live_server(app) as base_url:
        tenant = new_tenant(app, "acme")
        public = client_package.Client(base_url=base_url, raise_on_unexpected_status=True)
        keyed = client_package.AuthenticatedClient(base_url=base_url, token=tenant.key, raise_on_unexpected_status=True)
        with public, keyed:
            _session(models, public, keyed, catalogue)


def _session(models: ModuleType, public: object, keyed: object, catalogue: Catalogue) -> None:
    from hipflex_client.api.exercises import list_exercises
    from hipflex_client.api.logs import create_log, list_logs
    from hipflex_client.api.workouts import generate_workout

    page = list_exercises.sync(client=public, limit=5)
    assert isinstance(page, models.ExercisePage)
    assert [item.slug for item in page.items] == [e.slug for e in catalogue.exercises[:5]]
    assert page.total == len(catalogue.exercises)

    workout = generate_workout.sync(client=public, goal=models.Goal.MOBILITY, minutes=15, seed=7)
    assert isinstance(workout, models.Workout)
    expected = json.loads(generate_json(catalogue, WorkoutQuery(goal=Goal.mobility, minutes=15), 7))
    assert workout.to_dict() == expected

    first = workout.items[0].exercise.slug
    started = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)

    def log(minutes_later: int) -> object:
        return models.LogCreate(
            performed_at=started + timedelta(minutes=minutes_later),
            workout=models.WorkoutSeed(goal=models.Goal.MOBILITY, seed=7),
            entries=[
                models.EntryLog(
                    exercise=models.CatalogueSlug(first),
                    sets=[models.SetLog(reps=8, side=models.SetSide.LEFT), models.SetLog(hold_seconds=30)],
                )
            ],
        )

    created = create_log.sync_detailed("user-7", client=keyed, body=log(0), idempotency_key="session-1")
    assert created.status_code == 201 and isinstance(created.parsed, models.LogPublic)
    assert created.parsed.entries[0].sets[0].side == models.SetSide.LEFT
    assert created.parsed.entries[0].exercise == first
    retried = create_log.sync_detailed("user-7", client=keyed, body=log(0), idempotency_key="session-1")
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.parsed.id == created.parsed.id
    for minutes in (60, 120):
        create_log.sync("user-7", client=keyed, body=log(minutes))

    pages = [list_logs.sync("user-7", client=keyed, limit=2)]
    assert isinstance(pages[0], models.LogPage) and isinstance(pages[0].next_, str)
    cursor = parse_qs(urlsplit(pages[0].next_).query)["cursor"][0]
    pages.append(list_logs.sync("user-7", client=keyed, limit=2, cursor=cursor))
    assert pages[1].next_ is None
    times = [item.performed_at for page in pages for item in page.items]
    assert times == [started + timedelta(minutes=m) for m in (120, 60, 0)]
