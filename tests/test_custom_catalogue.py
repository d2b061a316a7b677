"""HIPFLEX_CATALOGUE_PATH: a platform's own exercises, extending or replacing ours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.catalogue import Catalogue, CatalogueError, load_catalogue
from app.cli import main as cli
from app.main import create_app
from app.settings import Settings

CUSTOM_EXERCISE: dict[str, Any] = {
    "slug": "standing-knee-drive",
    "name": "Standing knee drive",
    "aliases": ["knee drive"],
    "kind": "strength",
    "family": "knee-drive",
    "roles": ["activation", "isolation"],
    "muscles": {"primary": ["psoas_major", "iliacus"], "secondary": ["rectus_femoris"]},
    "position": "standing",
    "equipment": [[]],
    "level": "beginner",
    "intensity": "moderate",
    "dose": {"sets": 2, "reps": {"min": 8, "max": 12}, "per_side": True, "rest_seconds": 30},
    "summary": "Drive one knee up to hip height and lower it under control.",
    "instructions": ["Stand tall beside a wall for balance.", "Drive one knee up, pause, lower slowly."],
    "cues": ["Belt buckle stays pointing forward."],
    "regressions": ["lying-leg-raise"],
    "sources": [{"source": "acme-coaching"}],
}
CUSTOM_SOURCE = {"id": "acme-coaching", "title": "Acme coaching manual", "author": "Acme", "publisher": "acme.example"}


def write(tmp_path: Path, exercises: list[dict[str, Any]], sources: list[dict[str, Any]] | None = None) -> Path:
    path = tmp_path / "acme.json"
    data = {"version": "2.1.0", "sources": sources or [CUSTOM_SOURCE], "exercises": exercises}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_extend_adds_exercises_and_changes_version_and_etag(tmp_path: Path, catalogue: Catalogue) -> None:
    custom = load_catalogue(write(tmp_path, [CUSTOM_EXERCISE]), "extend")
    assert len(custom.exercises) == len(catalogue.exercises) + 1
    assert custom.version == f"{catalogue.version}+2.1.0"
    assert custom.etag != catalogue.etag
    # a reference from a custom exercise into the built-in catalogue resolves
    assert custom.by_slug["standing-knee-drive"].regressions == ["lying-leg-raise"]


def test_the_service_serves_a_custom_catalogue_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalogue: Catalogue) -> None:
    monkeypatch.setenv("HIPFLEX_CATALOGUE_PATH", str(write(tmp_path, [CUSTOM_EXERCISE])))
    monkeypatch.setenv("HIPFLEX_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    with TestClient(create_app()) as client:
        response = client.get("/exercises/standing-knee-drive")
        assert response.status_code == 200
        assert response.json()["sources"][0]["title"] == "Acme coaching manual"
        assert response.headers["x-catalogue-version"] == f"{catalogue.version}+2.1.0"
        assert response.headers["etag"] != catalogue.etag
        assert client.get("/exercises/king-runner").status_code == 200
        assert "standing-knee-drive" in {i["slug"] for i in client.get("/exercises?q=knee%20drive").json()["items"]}


def test_replace_keeps_only_the_custom_exercises(tmp_path: Path) -> None:
    alone = {**CUSTOM_EXERCISE, "regressions": []}
    custom = load_catalogue(write(tmp_path, [alone]), "replace")
    assert [e.slug for e in custom.exercises] == ["standing-knee-drive"]
    assert custom.version == "2.1.0"


def test_a_slug_clash_is_an_error(tmp_path: Path) -> None:
    clash = {**CUSTOM_EXERCISE, "slug": "king-runner"}
    with pytest.raises(CatalogueError, match=r"(?s)acme.json.*exercise 'king-runner': slug: already in the built-in catalogue"):
        load_catalogue(write(tmp_path, [clash]), "extend")


def test_a_source_id_clash_is_an_error(tmp_path: Path, catalogue: Catalogue) -> None:
    taken = next(iter(catalogue.sources))
    with pytest.raises(CatalogueError, match=f"source '{taken}': id: already in the built-in catalogue"):
        load_catalogue(write(tmp_path, [{**CUSTOM_EXERCISE, "sources": [{"source": taken}]}], [{**CUSTOM_SOURCE, "id": taken}]), "extend")


def test_a_bad_custom_file_stops_the_service_naming_file_exercise_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, [{**CUSTOM_EXERCISE, "intensity": "brutal"}])
    with pytest.raises(CatalogueError) as error:
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", catalogue_path=path))
    assert "acme.json" in str(error.value) and "exercise 'standing-knee-drive': intensity" in str(error.value)


def test_catalogue_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, [CUSTOM_EXERCISE])
    assert cli(["catalogue", "check", str(good)]) == 0
    assert f"{len(load_catalogue().exercises) + 1} exercises" in capsys.readouterr().out  # the built-in ones and acme's
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": "1", "sources": [], "exercises": []}), encoding="utf-8")
    assert cli(["catalogue", "check", str(bad)]) == 1
    assert "bad.json" in capsys.readouterr().err


MEDIA = {
    "type": "image",
    "url": "https://media.acme.example/knee-drive.jpg",
    "alt": "A woman standing on one leg, the other knee driven up to hip height.",
    "licence": "CC BY 4.0",
    "author": "Acme Studio",
}


def test_custom_exercises_may_carry_media(tmp_path: Path) -> None:
    path = write(tmp_path, [{**CUSTOM_EXERCISE, "media": [MEDIA, {**MEDIA, "type": "video", "url": "https://v.example/1"}]}])
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", catalogue_path=path)
    with TestClient(create_app(settings)) as client:
        body = client.get("/exercises/standing-knee-drive").json()
    assert body["media"][0] == MEDIA
    assert [m["type"] for m in body["media"]] == ["image", "video"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "gif"}, "media.0.type"),
        ({"url": "http://media.acme.example/knee-drive.jpg"}, "media.0.url"),
        ({"url": "javascript:alert(1)"}, "media.0.url"),
        ({"alt": None}, "media.0.alt"),
        ({"alt": ""}, "media.0.alt"),
        ({"licence": None}, "media.0.licence"),
        ({"caption": "extra"}, "media.0.caption"),
    ],
)
def test_bad_media_stops_the_load_naming_file_exercise_and_field(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    medium = {k: v for k, v in {**MEDIA, **change}.items() if v is not None}
    path = write(tmp_path, [{**CUSTOM_EXERCISE, "media": [medium]}])
    with pytest.raises(CatalogueError) as error:
        load_catalogue(path)
    assert "acme.json" in str(error.value) and f"exercise 'standing-knee-drive': {field}" in str(error.value)
