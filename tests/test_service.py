"""The service around the resources: OpenAPI, docs, health."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app

ROOT = Path(__file__).resolve().parents[1]


def test_openapi_json_is_in_sync_with_the_app(client: TestClient) -> None:
    committed = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    assert committed == client.app.openapi(), "openapi.json is stale: run `make openapi`"  # type: ignore[attr-defined]


def test_every_operation_is_documented(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("tags"), where
            assert re.fullmatch(r"[a-z]+-[a-z_]+", operation["operationId"]), where
            errors = [status for status in operation["responses"] if status[0] in "45"]
            assert errors, f"{where} documents no error response"
            for status in errors:
                content = operation["responses"][status].get("content", {})
                assert "application/problem+json" in content, f"{where} {status}"
            ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_docs_work_without_the_internet(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        html = response.text
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), page
        for asset in re.findall(r"/docs/assets/[\w.-]+", html):
            fetched = client.get(asset)
            assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
            # What a bundle would load by itself: an image/script source, a CSS url() or @import, a fetch.
            loads = re.findall(rb"""(?:src\s*[:=]\s*|url\(\s*|@import\s+|fetch\()["']?(https?:)?//""", fetched.content)
            assert not loads, (asset, loads[:3])
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_a_current_schema(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and body["schema_revision"] == body["schema_head"]


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/exercises", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_origins_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("HIPFLEX_CORS_ORIGINS", "https://app.example, https://admin.example")
    monkeypatch.setenv("HIPFLEX_DATABASE_URL", sqlite_url)
    with TestClient(create_app()) as client:
        allowed = client.get("/exercises", headers={"Origin": "https://admin.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://admin.example"
        other = client.get("/exercises", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_readyz_reports_a_schema_that_is_behind(tmp_path: Path) -> None:
    from app import migrations
    from app.settings import Settings

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "0001")
    with TestClient(create_app(Settings(database_url=url, auto_migrate=False))) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 503 and body["schema_revision"] == "0001"
        assert body["schema_head"] != "0001" and "hipflex migrate" in body["detail"]
    migrations.upgrade(url)
    with TestClient(create_app(Settings(database_url=url, auto_migrate=False))) as client:
        assert client.get("/readyz").status_code == 200


def test_readyz_reports_an_unreachable_database(tmp_path: Path) -> None:
    from app.settings import Settings

    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.get("/readyz")
        assert response.status_code == 503 and response.json()["database"].startswith("unreachable")
        assert client.get("/healthz").status_code == 200
