"""Status phrases come from app/statuses.py (RFC 9110), never from the running Python's http.HTTPStatus."""

from __future__ import annotations

import http
import json
from pathlib import Path
from typing import Any

from conftest import LogFactory, Tenant
from fastapi.testclient import TestClient

from app.problems import Problem
from app.statuses import PHRASES, phrase

ROOT = Path(__file__).resolve().parents[1]

# Every phrase this Python knows, plus the names 3.13 retired: a description or
# title that is any of these must be our table's phrase for its status.
KNOWN = {status.phrase for status in http.HTTPStatus} | {"Request Entity Too Large", "Unprocessable Entity"} | set(
    PHRASES.values()
)


def documented(document: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [
        (f"{method.upper()} {path}", int(code), response["description"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for code, response in operation["responses"].items()
    ]


def test_the_table_uses_the_rfc_9110_names() -> None:
    assert PHRASES[413] == "Content Too Large"
    assert PHRASES[422] == "Unprocessable Content"
    assert phrase(499) == "Client Error"
    assert phrase(599) == "Server Error"


def test_every_documented_status_reads_as_the_table_says(client: TestClient) -> None:
    committed = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    served = client.get("/openapi.json").json()
    for document in (committed, served):
        responses = documented(document)
        assert {413, 422} <= {status for _, status, _ in responses}
        for where, status, description in responses:
            assert status in PHRASES, f"{where}: {status} is not in app/statuses.py"
            if description in KNOWN:
                assert description == PHRASES[status], f"{where} {status}: {description!r}"


def test_problem_titles_default_to_the_table() -> None:
    for status in PHRASES:
        assert Problem(status, "x", "detail").title == PHRASES[status]


def test_served_problem_titles_come_from_the_table(
    db_client: TestClient, acme: Tenant, make_log: LogFactory
) -> None:
    headers = acme.headers | {"Idempotency-Key": "title-check"}
    assert db_client.post("/users/u-1/logs", json=make_log(), headers=headers).status_code == 201
    reused = db_client.post("/users/u-1/logs", json=make_log(notes="another body"), headers=headers)
    too_large = db_client.post(
        "/users/u-1/logs", content=b"x" * (1024 * 1024), headers=acme.headers | {"Content-Type": "application/json"}
    )
    missing = db_client.get("/no-such-thing")
    wrong_method = db_client.put("/exercises")
    for response, status in ((reused, 422), (too_large, 413), (missing, 404), (wrong_method, 405)):
        assert response.status_code == status
        assert response.json()["title"] == PHRASES[status]
