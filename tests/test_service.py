"""The service around the resources: OpenAPI, docs, health."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Tenant
from fastapi.testclient import TestClient

from app import logs
from app.catalogue import Catalogue
from app.main import create_app

ROOT = Path(__file__).resolve().parents[1]


def test_openapi_json_is_in_sync_with_the_app(client: TestClient) -> None:
    committed = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    assert committed == client.app.openapi(), "openapi.json is stale: run `make openapi`"


# The first word of every operationId. A new operation whose verb is missing: add the verb
# here if it reads well as a method name (`client.logs.create_log`), not a noun.
VERBS = {"list", "get", "generate", "create", "update", "delete", "export", "erase", "check", "adapt", "screen"}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    served: dict[str, Any] = client.get("/openapi.json").json()
    return served


def test_every_operation_is_documented(document: dict[str, Any]) -> None:
    for where, operation in _operations(document):
        assert operation.get("summary") and operation.get("description"), where
        assert operation.get("tags"), where
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), f"{where}: parameter {parameter['name']!r} has no description"
        errors = [status for status in operation["responses"] if status[0] in "45"]
        assert errors, f"{where} documents no error response"
        for status in errors:
            content = operation["responses"][status].get("content", {})
            assert "application/problem+json" in content, f"{where} {status}"


def test_every_operation_with_a_body_documents_what_refuses_one(document: dict[str, Any]) -> None:
    """Every body passes the same gate (app/api/bodies.py): too large (413), not UTF-8 JSON (415), broken JSON
    (400), invalid (422). A new body route that leaves one out is caught here, not by the fuzz's luck."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                missing = {"400", "413", "415", "422"} - set(operation["responses"])
                assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"


def test_operation_ids_read_well_once_generated(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, operation in _operations(document)]
    for where, operation in _operations(document):
        operation_id = operation["operationId"]
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", operation_id), f"{where}: {operation_id!r} is not verb_noun"
        assert operation_id.split("_")[0] in VERBS, f"{where}: {operation_id!r} does not start with a verb"
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for where, operation in _operations(document):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                assert link["operationId"] in ids, f"{where} links to a missing {link['operationId']!r}"


def test_schema_names_are_unique_product_names(document: dict[str, Any]) -> None:
    # FastAPI names a clash `app__workouts__models__Side` and pydantic's two modes `EntryLog-Input`;
    # generators then emit those names (or drop the schema).
    for name in document["components"]["schemas"]:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), name
        assert not re.search(r"(Input|Output|Type\d+)$", name), name


def test_public_operations_say_they_need_no_key(document: dict[str, Any]) -> None:
    # The rule of the product: a user's data lives under /users/ and needs a key; so does a tenant's
    # anonymised report of its users (/outcomes); nothing else does.
    schemes = set(document["components"]["securitySchemes"])
    for where, operation in _operations(document):
        assert "security" in operation, where
        if " /users/" in where or where.endswith(" /outcomes"):
            assert {name for requirement in operation["security"] for name in requirement} == schemes, where
        else:
            assert operation["security"] == [], where


def test_the_document_names_its_server_licence_and_contact(document: dict[str, Any]) -> None:
    assert document["servers"] == [{"url": "/", "description": "The server this document came from."}]
    assert document["info"]["license"] == {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
    assert document["info"]["contact"]["name"] and document["info"]["contact"]["url"].startswith("https://")


def _schema_examples(document: dict[str, Any], media: dict[str, Any]) -> list[Any]:
    if "example" in media:
        return [media["example"]]
    if "examples" in media:
        return [example["value"] for example in media["examples"].values()]
    reference = media.get("schema", {}).get("$ref", "")
    name = reference.removeprefix("#/components/schemas/")
    return list(document["components"]["schemas"].get(name, {}).get("examples", []))


def test_every_body_and_json_answer_has_an_example(document: dict[str, Any]) -> None:
    for where, operation in _operations(document):
        if "requestBody" in operation:
            for media_type, media in operation["requestBody"]["content"].items():
                assert "examples" in media or "example" in media, f"{where} {media_type} request body"
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json")
            if status.startswith("2") and media is not None:
                assert _schema_examples(document, media), f"{where} {status}"
    assert _schema_examples(document, {"schema": {"$ref": "#/components/schemas/ProblemDetail"}})


def _without(keys: tuple[str, ...], value: Any) -> Any:
    """``value`` less those top-level keys and every null member (the document's examples have none)."""
    if isinstance(value, dict):
        return {k: _without((), v) for k, v in value.items() if k not in keys and v is not None}
    if isinstance(value, list):
        return [_without((), item) for item in value]
    return value


def test_the_examples_are_what_the_api_answers(db_client: TestClient, acme: Tenant, catalogue: Catalogue) -> None:
    """The hand-written examples are sent to the real app and compared with its answers."""
    document = db_client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    users = "/users/user-1842/logs"
    created = db_client.post(users, json=logs.LOG_EXAMPLE, headers=acme.headers)
    assert created.status_code == 201
    stored = created.json()
    (expected,) = schemas["LogPublic"]["examples"]
    moments = ("id", "created_at", "updated_at")
    assert _without(moments, stored) == _without(moments, expected)
    changed = db_client.patch(f"{users}/{stored['id']}", json=logs.LOG_UPDATE_EXAMPLE, headers=acme.headers)
    assert changed.status_code == 200 and changed.json()["notes"] == logs.LOG_UPDATE_EXAMPLE["notes"]
    (problem,) = schemas["ProblemDetail"]["examples"]
    refused = db_client.get(problem["instance"] + "?minutes=61")
    assert refused.status_code == 422 and refused.json() == problem
    (readiness,) = schemas["Readiness"]["examples"]
    assert db_client.get("/readyz").json() == readiness
    live = document["paths"]["/workouts"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    assert db_client.get(live["self"]).json() == live


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
