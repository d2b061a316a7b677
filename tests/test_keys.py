"""API keys: random, shown once, stored as a hash, listable, revocable; and the `hipflex keys` commands."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.state import state_of
from app import keys
from app.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _engine(client: TestClient) -> object:
    return state_of(client.app).engine


def test_keys_are_random_prefixed_and_stored_only_as_a_hash(db_client: TestClient) -> None:
    engine = _engine(db_client)
    first, info = keys.create(engine, "acme", "ci")
    second, _ = keys.create(engine, "acme")
    assert first != second
    assert first.startswith("hf_") and first.startswith(info.prefix + "_")
    assert len(first) > 40
    with engine.connect() as connection:
        stored = [tuple(str(v) for v in row) for row in connection.exec_driver_sql("SELECT * FROM api_keys")]
    assert stored and not any(first in value or first[12:] in value for row in stored for value in row)
    assert keys.authenticate(engine, first) == "acme"


@pytest.mark.parametrize("tenant", ["", "Acme", "a b", "x" * 65, "-lead"])
def test_bad_tenant_names_are_refused(db_client: TestClient, tenant: str) -> None:
    with pytest.raises(ValueError):
        keys.create(_engine(db_client), tenant)


def test_unknown_tampered_and_revoked_keys_are_rejected(db_client: TestClient) -> None:
    engine = _engine(db_client)
    key, info = keys.create(engine, "acme")
    for bad in ["", "hf_", key[:-1], key + "x", key[:-1] + ("A" if key[-1] != "A" else "B"), key.replace("hf_", "hx_")]:
        with pytest.raises(keys.KeyRejected):
            keys.authenticate(engine, bad)
    assert keys.revoke(engine, info.prefix) is not None
    with pytest.raises(keys.KeyRejected, match="revoked"):
        keys.authenticate(engine, key)
    assert keys.revoke(engine, "hf_nosuchk") is None


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIPFLEX_")} | {"HIPFLEX_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_keys_commands(
    db_client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app: FastAPI = db_client.app
    created = _cli(database_url, "create", "--tenant", "acme", "--name", "mobile app")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("hf_") and "\n" not in key
    assert "only this once" in created.stderr
    headers = {"Authorization": f"Bearer {key}"}
    assert db_client.get("/users/anyone/logs", headers=headers).status_code == 404  # authenticated: just no logs

    # list, in-process: the prefix, never the secret
    monkeypatch.setenv("HIPFLEX_DATABASE_URL", database_url)
    keys.create(state_of(app).engine, "globex", "other")
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    prefix = key[: len("hf_") + keys.ID_LENGTH]
    assert prefix in listing and "mobile app" in listing and "acme" in listing and "globex" in listing
    assert key not in listing and key[len(prefix) + 1 :] not in listing
    assert main(["keys", "list", "--tenant", "acme"]) == 0
    only_acme = capsys.readouterr().out
    assert "globex" not in only_acme and prefix in only_acme

    # revoke, from another process: within a second or so every request with it is a 401
    revoked = _cli(database_url, "revoke", prefix)
    assert revoked.returncode == 0, revoked.stderr
    deadline = time.monotonic() + keys.RECHECK_SECONDS + 5
    while db_client.get("/users/anyone/logs", headers=headers).status_code != 401:
        assert time.monotonic() < deadline, "the revoked key still works"
        time.sleep(0.1)
    response = db_client.get("/users/anyone/logs", headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == 'Bearer realm="hipflex"'
    assert main(["keys", "list", "--tenant", "acme"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-1] != "-"  # the REVOKED column is filled

    assert _cli(database_url, "revoke", "hf_nosuchk").returncode == 1
    bad = _cli(database_url, "create", "--tenant", "Not A Tenant")
    assert bad.returncode == 2 and "tenant" in bad.stderr
