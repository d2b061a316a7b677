"""Records and progress answers kept under each user's revision: every change shows in the next answer.

On both databases, through the real app: each kind of change (a new log, an edit, a delete, a check-in
and its deletion, an erasure) gives a new answer equal to a fresh computation, other tenants never see
one, the memory stays within its bound, and concurrent misses compute once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Tenant, make_settings, new_tenant
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, insert, select

from app.state import state_of
from app import migrations, revisions
from app.answers import ENTRY_OVERHEAD, AnswerCache, user_key
from app.api.progress import PROGRESS_STEP, progress_end
from app.catalogue import Catalogue
from app.main import create_app
from app.progress import reports
from app.revisions import USER_REVISIONS
from app.tables import Checkin, Log

PROGRESS = "/progress?window=7d&tz=Europe/Berlin"


# A stretch, whose record is its longest hold (the Thomas test, a check, has no records since issue 19).
def _hold_log(at: datetime, hold: int, pain_after: int = 1) -> dict[str, Any]:
    return {
        "performed_at": at.isoformat(),
        "duration_minutes": 30,
        "session_rpe": 5,
        "pain_after": pain_after,
        "workout": {"goal": "rehab", "seed": 1},
        "entries": [{"exercise": "half-kneeling-hip-flexor-stretch", "sets": [{"hold_seconds": hold}]}],
    }


def _cache(client: TestClient) -> AnswerCache:
    cache: AnswerCache = state_of(client.app).answers
    return cache


def _fresh(client: TestClient, tenant: str, user: str, path: str, answer: dict[str, Any]) -> dict[str, Any] | None:
    """What the store computes now, bypassing the cache (progress: for the answer's own `end`)."""
    engine = state_of(client.app).engine
    if path == "/records":
        found: Any = reports.records(engine, tenant, user)
    else:
        end = datetime.fromisoformat(answer["end"])
        found = reports.progress(engine, tenant, user, window="7d", tz=ZoneInfo("Europe/Berlin"), goal=None, now=end)
    return None if found is None else found.model_dump(mode="json")


def _answers(client: TestClient, tenant: Tenant, user: str) -> dict[str, Any]:
    """Both answers for ``user``, each checked against a fresh computation and then asked again (a hit)."""
    got: dict[str, Any] = {}
    for path in ("/records", PROGRESS):
        response = client.get(f"/users/{user}{path}", headers=tenant.headers)
        if response.status_code == 404:
            assert response.headers["content-type"] == "application/problem+json"
            got[path] = None
            continue
        assert response.status_code == 200, response.text
        body = response.json()
        assert body == _fresh(client, tenant.name, user, path.split("?")[0], body)
        hits = _cache(client).stats.hits
        again = client.get(f"/users/{user}{path}", headers=tenant.headers)
        if again.json().get("end") == body.get("end"):  # (not across a minute's turn)
            assert again.content == response.content
            assert _cache(client).stats.hits == hits + 1
        got[path] = body
    return got


def test_every_change_to_logs_or_checkins_changes_the_next_answer(db_client: TestClient, acme: Tenant) -> None:
    now = datetime.now(UTC)
    first = db_client.post("/users/u1/logs", json=_hold_log(now - timedelta(days=1), 40), headers=acme.headers)
    assert first.status_code == 201
    before = _answers(db_client, acme, "u1")
    assert before[PROGRESS]["sessions"] == 1

    def changed(what: str, *paths: str) -> None:
        nonlocal before
        after = _answers(db_client, acme, "u1")
        for path in paths:
            assert after[path] != before[path], (what, path)
        before = after

    # a new log (through the group-commit writer)
    second = db_client.post("/users/u1/logs", json=_hold_log(now - timedelta(days=2), 60), headers=acme.headers)
    assert second.status_code == 201
    changed("write", "/records", PROGRESS)
    assert before[PROGRESS]["sessions"] == 2
    log_id = second.json()["id"]
    # an edit of the sets, then of pain_after alone
    edited = {"entries": [{"exercise": "half-kneeling-hip-flexor-stretch", "sets": [{"hold_seconds": 70}]}]}
    assert db_client.patch(f"/users/u1/logs/{log_id}", json=edited, headers=acme.headers).status_code == 200
    changed("edit", "/records")
    assert db_client.patch(f"/users/u1/logs/{log_id}", json={"pain_after": 6}, headers=acme.headers).status_code == 200
    changed("edit pain_after", "/records", PROGRESS)
    # a delete
    assert db_client.delete(f"/users/u1/logs/{log_id}", headers=acme.headers).status_code == 204
    changed("delete", "/records", PROGRESS)
    # a check-in, and its deletion
    today = now.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat()
    posted = db_client.post("/users/u1/checkins", json={"date": today, "pain": 7}, headers=acme.headers)
    assert posted.status_code == 201
    changed("check-in", PROGRESS)
    assert before[PROGRESS]["pain"]["checkin_mean"] == 7
    assert db_client.delete(f"/users/u1/checkins/{today}", headers=acme.headers).status_code == 204
    changed("check-in deleted", PROGRESS)
    # an erasure: 404, and a user id used again starts from nothing
    assert db_client.delete("/users/u1", headers=acme.headers).status_code == 204
    assert _answers(db_client, acme, "u1") == {"/records": None, PROGRESS: None}
    assert revisions.of(state_of(db_client.app).engine, "acme", "u1") is None
    again = db_client.post("/users/u1/logs", json=_hold_log(now - timedelta(hours=1), 15), headers=acme.headers)
    assert again.status_code == 201
    reborn = _answers(db_client, acme, "u1")
    assert [r["value"] for r in reborn["/records"]["items"]] == [15]  # a stretch: its longest hold only
    assert reborn[PROGRESS]["sessions"] == 1


def test_a_user_whose_logs_are_all_deleted_is_404_as_before(db_client: TestClient, acme: Tenant) -> None:
    posted = db_client.post("/users/u2/logs", json=_hold_log(datetime.now(UTC), 30), headers=acme.headers)
    assert _answers(db_client, acme, "u2")["/records"] is not None
    assert db_client.delete(f"/users/u2/logs/{posted.json()['id']}", headers=acme.headers).status_code == 204
    assert _answers(db_client, acme, "u2") == {"/records": None, PROGRESS: None}
    assert _answers(db_client, acme, "nobody") == {"/records": None, PROGRESS: None}


def test_another_tenant_never_gets_this_ones_answer(db_client: TestClient, acme: Tenant, globex: Tenant) -> None:
    now = datetime.now(UTC)
    assert db_client.post("/users/u1/logs", json=_hold_log(now, 40), headers=acme.headers).status_code == 201
    assert _answers(db_client, acme, "u1")["/records"] is not None  # kept now
    assert _answers(db_client, globex, "u1") == {"/records": None, PROGRESS: None}
    assert db_client.post("/users/u1/logs", json=_hold_log(now, 25), headers=globex.headers).status_code == 201
    theirs = _answers(db_client, globex, "u1")
    assert {r["value"] for r in theirs["/records"]["items"]} == {25}
    assert {r["value"] for r in _answers(db_client, acme, "u1")["/records"]["items"]} == {40}


def test_a_session_logged_just_now_is_in_the_progress_at_once(db_client: TestClient, acme: Tenant) -> None:
    assert db_client.post("/users/u3/logs", json=_hold_log(datetime.now(UTC), 20), headers=acme.headers).status_code == 201
    started = datetime.now(UTC)
    for _ in range(3):
        asked = datetime.now(UTC)
        body = db_client.get("/users/u3/progress?window=7d", headers=acme.headers).json()
        end = datetime.fromisoformat(body["end"])
        assert asked <= end < datetime.now(UTC) + PROGRESS_STEP  # never more than a minute from the request
        assert body["sessions"] == 1
        posted = db_client.post("/users/u3/logs", json=_hold_log(datetime.now(UTC), 20), headers=acme.headers)
        assert posted.status_code == 201
        assert db_client.get("/users/u3/progress?window=7d", headers=acme.headers).json()["sessions"] == 2
        assert db_client.delete(f"/users/u3/logs/{posted.json()['id']}", headers=acme.headers).status_code == 204
    assert datetime.now(UTC) - started < timedelta(seconds=30)


@given(st.datetimes(timezones=st.just(UTC)))
def test_progress_end_is_the_next_whole_minute(now: datetime) -> None:
    end = progress_end(now)
    assert now <= end < now + PROGRESS_STEP
    assert (end.second, end.microsecond) == (0, 0)
    assert progress_end(end) == end


# --- the cache itself ----------------------------------------------------------------


def _entry_size(key: tuple[Any, ...], body: bytes) -> int:
    return ENTRY_OVERHEAD + len(body) + sum(len(str(part)) for part in key)


@given(
    bound=st.integers(0, 5000),
    steps=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1500), st.booleans()), max_size=80),
)
def test_the_cache_stays_within_its_bound_and_drops_the_least_recently_used(
    bound: int, steps: list[tuple[int, int, bool]]
) -> None:
    cache = AnswerCache(bound)
    model: dict[tuple[Any, ...], bytes] = {}  # insertion/use order = recency, oldest first
    for name, length, read in steps:
        key = ("records", f"user-{name}")
        if read:
            if key in model:
                model[key] = model.pop(key)
            assert cache.get(key) == model.get(key)
            continue
        body = bytes([name]) * length
        cache.put(key, body)
        if key not in model and _entry_size(key, body) <= bound:
            model[key] = body
            while sum(_entry_size(k, b) for k, b in model.items()) > bound:
                del model[next(iter(model))]
        assert cache.size == sum(_entry_size(k, b) for k, b in model.items()) <= bound
        assert len(cache) == len(model)
    for key, body in model.items():
        assert cache.get(key) == body


def _until_all_asked(cache: AnswerCache, askers: int) -> None:
    """Wait until ``askers`` requests have missed. Each counts its miss before it waits on the leader, so the
    overlap is a fact the test waits for, not a sleep it hopes is long enough."""
    deadline = time.monotonic() + 10
    while cache.stats.misses < askers:
        assert time.monotonic() < deadline, "the other threads never asked"
        time.sleep(0.001)


def test_concurrent_misses_on_one_key_compute_once() -> None:
    cache = AnswerCache(1 << 20)
    calls: list[int] = []
    start = threading.Barrier(8)

    def compute() -> bytes:
        calls.append(1)
        _until_all_asked(cache, 8)  # every other thread has found this one computing and waits
        return b'{"n":1}'

    got: list[bytes | None] = []

    def ask() -> None:
        start.wait()
        got.append(cache.answer(("k",), compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [b'{"n":1}'] * 8
    assert len(calls) == 1
    assert (cache.stats.hits, cache.stats.misses) == (0, 8)  # the waiters were not answered from memory before


def test_a_miss_that_keeps_nothing_lets_each_waiter_compute() -> None:
    cache = AnswerCache(1 << 20)
    calls: list[int] = []
    start = threading.Barrier(4)

    def compute() -> None:
        calls.append(1)
        if len(calls) == 1:
            _until_all_asked(cache, 4)  # the other three wait on this one, then compute for themselves

    threads = [threading.Thread(target=lambda: (start.wait(), cache.answer(("k",), compute))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 4
    assert len(cache) == 0


@pytest.fixture
def small_cache_client(database_url: str, catalogue: Catalogue) -> Iterator[TestClient]:
    app: FastAPI = create_app(make_settings(database_url, answer_cache_bytes=20_000), catalogue=catalogue)
    with TestClient(app) as client:
        yield client


def test_the_apps_cache_stays_within_the_configured_bytes(small_cache_client: TestClient) -> None:
    client = small_cache_client
    tenant = new_tenant(client.app, "acme")
    now = datetime.now(UTC)
    users = [f"u{n}" for n in range(6)]
    for user in users:
        assert client.post(f"/users/{user}/logs", json=_hold_log(now, 30), headers=tenant.headers).status_code == 201
    cache = _cache(client)
    for user in users:
        for window in ("7d", "28d", "90d", "365d", "all"):
            assert client.get(f"/users/{user}/progress?window={window}", headers=tenant.headers).status_code == 200
            assert cache.size <= 20_000
        assert client.get(f"/users/{user}/records", headers=tenant.headers).status_code == 200
    assert 0 < len(cache) < 6 * 6  # something kept, not everything
    assert cache.size <= 20_000


# --- the migration -------------------------------------------------------------------


def test_0005_gives_the_users_already_stored_a_revision(empty_database_url: str) -> None:
    url = empty_database_url
    migrations.upgrade(url, "0004")
    engine = create_engine(url)
    now = datetime.now(UTC)
    log = {
        "tenant": "acme", "user_id": "with-logs", "performed_at": now, "entries": [], "created_at": now,
        "updated_at": now,
    }
    try:
        with engine.begin() as connection:
            for user in ("with-logs", "with-both"):
                connection.execute(insert(Log.__table__), {**log, "id": str(uuid.uuid4()), "user_id": user})
            for user in ("with-checkins", "with-both"):
                row = {"tenant": "acme", "user_id": user, "date": now.date(), "pain": 1, "created_at": now}
                connection.execute(insert(Checkin.__table__), row)
        migrations.upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(select(USER_REVISIONS)).all()
    finally:
        engine.dispose()
    assert sorted(r.user_id for r in rows) == ["with-both", "with-checkins", "with-logs"]
    assert len({r.revision for r in rows}) == 3


# --- a property: after any sequence of changes, the answers equal a fresh computation ---------

_OPS = st.lists(
    st.sampled_from(["write", "edit", "delete", "checkin", "uncheckin", "erase"]), min_size=1, max_size=8
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_OPS, holds=st.lists(st.integers(5, 90), min_size=8, max_size=8))
def test_after_any_changes_the_answers_equal_a_fresh_computation(
    db_client: TestClient, acme: Tenant, ops: list[str], holds: list[int]
) -> None:
    user = uuid.uuid4().hex
    now = datetime.now(UTC)
    logs: list[str] = []
    days: list[str] = []
    for step, (op, hold) in enumerate(zip(ops, holds, strict=False)):
        url = f"/users/{user}"
        if op == "write" or (op in ("edit", "delete") and not logs):
            posted = db_client.post(f"{url}/logs", json=_hold_log(now - timedelta(days=step), hold), headers=acme.headers)
            logs.append(posted.json()["id"])
        elif op == "edit":
            patched = {"entries": [{"exercise": "half-kneeling-hip-flexor-stretch", "sets": [{"hold_seconds": hold}]}], "pain_after": step}
            assert db_client.patch(f"{url}/logs/{logs[-1]}", json=patched, headers=acme.headers).status_code == 200
        elif op == "delete":
            assert db_client.delete(f"{url}/logs/{logs.pop()}", headers=acme.headers).status_code == 204
        elif op == "checkin":
            day = (now - timedelta(days=step)).astimezone(ZoneInfo("Europe/Berlin")).date().isoformat()
            posted = db_client.post(f"{url}/checkins", json={"date": day, "pain": hold % 11}, headers=acme.headers)
            assert posted.status_code == 201
            days.append(day)
        elif op == "uncheckin" and days:
            assert db_client.delete(f"{url}/checkins/{days.pop()}", headers=acme.headers).status_code == 204
        elif op == "erase":
            assert db_client.delete(url, headers=acme.headers).status_code == 204
            logs, days = [], []
        got = _answers(db_client, acme, user)  # each compared with a fresh computation inside
        assert (got["/records"] is None) == (not logs and not days)


# --- the fast path (app.api.fastpath) serves records and progress too --------------------


def _fast_served(client: TestClient, route: str) -> float:
    value = state_of(client.app).metrics.registry.get_sample_value(
        "hipflex_fast_path_total", {"route": route}
    )
    return value or 0.0


@pytest.mark.parametrize("fast_path", [True, False])
def test_hits_are_the_same_bytes_with_or_without_the_fast_path(
    database_url: str, catalogue: Catalogue, fast_path: bool
) -> None:
    app = create_app(make_settings(database_url, fast_path=fast_path), catalogue=catalogue)
    with TestClient(app) as client:
        tenant, other = new_tenant(app, "acme"), new_tenant(app, "globex")
        assert client.post("/users/u1/logs", json=_hold_log(datetime.now(UTC), 30), headers=tenant.headers).status_code == 201
        for url, route in [
            ("/users/u1/records?metric=longest_hold_seconds", "/users/{user_id}/records"),
            ("/users/u1/progress?window=28d&tz=Europe/Berlin", "/users/{user_id}/progress"),
        ]:
            first = client.get(url, headers=tenant.headers)  # a miss: the route computes and keeps it
            before = _fast_served(client, route)
            second = client.get(url, headers=tenant.headers)
            assert (first.status_code, second.status_code) == (200, 200)
            if first.json().get("end") == second.json().get("end"):
                assert second.content == first.content
                assert second.headers["content-type"] == first.headers["content-type"] == "application/json"
                assert _fast_served(client, route) - before == (1.0 if fast_path else 0.0)
            # never another tenant's, nor an invalid query's, nor without a key
            assert client.get(url, headers=other.headers).status_code == 404
            assert client.get(url).status_code == 401
            assert client.get(url + "&tz=Mars/Olympus", headers=tenant.headers).status_code == 422
        # HEAD is answered like GET (app.api.delivery), by the fast path too
        head = client.head("/users/u1/records?metric=longest_hold_seconds", headers=tenant.headers)
        assert head.status_code == 200 and head.content == b""


def test_the_revision_peek_is_the_revision_read(db_client: TestClient, acme: Tenant) -> None:
    engine = state_of(db_client.app).engine
    assert revisions.peek(engine, "acme", "u1") is None is revisions.of(engine, "acme", "u1")
    seen = set()
    for hold in (10, 20):
        assert db_client.post("/users/u1/logs", json=_hold_log(datetime.now(UTC), hold), headers=acme.headers).status_code == 201
        now = revisions.of(engine, "acme", "u1")
        assert now is not None and revisions.peek(engine, "acme", "u1") == now
        seen.add(now)
    assert len(seen) == 2
    assert revisions.peek(engine, "globex", "u1") is None
    # (Postgres: peek reads outside a transaction; every pooled connection is back to transactional)
    held = [engine.raw_connection() for _ in range(3)]
    try:
        if engine.dialect.name == "postgresql":
            assert [c.driver_connection.autocommit for c in held] == [False] * 3
    finally:
        for connection in held:
            connection.close()


def test_the_loop_reads_the_revision_peek_reads(db_client: TestClient, acme: Tenant) -> None:
    """The event loop's own read (app.revisions ``LoopReader``, SQLite only) gives ``peek``'s revision after every
    write, so a kept /next answered on the loop is the one a thread would find; on Postgres it reads nothing
    (the thread answers)."""
    state = state_of(db_client.app)
    reader, engine = state.loop_revisions, state.engine
    assert reader is not None
    on_sqlite = engine.dialect.name == "sqlite"
    url = "/users/u1/workouts/next?goal=rehab&seed=5"
    answers = []
    for hold in (10, 20):
        assert db_client.post("/users/u1/logs", json=_hold_log(datetime.now(UTC), hold), headers=acme.headers).status_code == 201
        now = revisions.peek(engine, "acme", "u1")
        assert now is not None and reader.read("acme", "u1") == (now if on_sqlite else None)
        answers.append([db_client.get(url, headers=acme.headers).content for _ in range(2)])
    assert answers[0][0] == answers[0][1] != answers[1][0] == answers[1][1]
    assert reader.read("globex", "u1") is None
    reader.close()  # (reopened on the next read)
    assert reader.read("acme", "u1") == (revisions.peek(engine, "acme", "u1") if on_sqlite else None)


def test_the_fast_path_checks_keys_with_authenticate_and_refuses_a_revoked_one(
    db_client: TestClient, acme: Tenant
) -> None:
    """One door for keys (app.api.auth.tenant_of): a key no longer remembered is checked again, and a revoked
    one is refused on the fast path with the very 401 a route without a fast path gives."""
    from app import keys

    app = db_client.app
    assert db_client.post("/users/u1/logs", json=_hold_log(datetime.now(UTC), 30), headers=acme.headers).status_code == 201
    first = db_client.get("/users/u1/records", headers=acme.headers)
    remembered = state_of(app).remembered_keys
    remembered.forget(acme.prefix.removeprefix(keys.PREFIX))  # as after RECHECK_SECONDS
    before = _fast_served(db_client, "/users/{user_id}/records")
    again = db_client.get("/users/u1/records", headers=acme.headers)
    assert again.content == first.content
    assert _fast_served(db_client, "/users/{user_id}/records") == before + 1
    assert keys.revoke(state_of(app).engine, acme.prefix, remembered) is not None
    refused = db_client.get("/users/u1/records", headers=acme.headers)
    assert _fast_served(db_client, "/users/{user_id}/records") == before + 2  # refused by the fast path itself
    by_route = db_client.get("/users/u1/logs", headers=acme.headers)  # a route off the registry
    assert (refused.status_code, by_route.status_code) == (401, 401)
    assert refused.json()["detail"] == by_route.json()["detail"] == "The API key has been revoked."
    assert refused.headers["www-authenticate"] == by_route.headers["www-authenticate"]


# --- the next workout kept per revision; the next minute's progress computed ahead ------------


def test_the_next_workout_is_kept_until_the_users_data_changes(db_client: TestClient, acme: Tenant) -> None:
    answers: AnswerCache = state_of(db_client.app).answers
    url = "/users/u1/workouts/next?goal=rehab&seed=5"
    assert db_client.post("/users/u1/logs", json=_hold_log(datetime.now(UTC), 30), headers=acme.headers).status_code == 201
    first = db_client.get(url, headers=acme.headers)
    hits = answers.stats.hits
    again = db_client.get(url, headers=acme.headers)
    assert first.status_code == again.status_code == 200 and again.content == first.content
    assert answers.stats.hits == hits + 1
    german = db_client.get(url, headers=acme.headers | {"Accept-Language": "de"})  # another catalogue: its own
    assert german.headers["content-language"] == "de" and german.content != first.content
    assert answers.stats.hits == hits + 1
    # a new log is in the next answer (as a fresh computation on an app with nothing kept has it)
    assert db_client.post("/users/u1/logs", json=_hold_log(datetime.now(UTC), 60), headers=acme.headers).status_code == 201
    changed = db_client.get(url, headers=acme.headers)
    assert answers.stats.hits == hits + 1
    fresh_app = create_app(state_of(db_client.app).settings.model_copy(update={"answer_cache_bytes": 0}))
    with TestClient(fresh_app) as fresh:
        assert fresh.get(url, headers=acme.headers).content == changed.content
    # a pain_level sent counts as asked, one left out comes from the person's data: kept apart
    size = len(answers)
    assert db_client.get(url + "&pain_level=0", headers=acme.headers).status_code == 200
    assert len(answers) == size + 1 and answers.stats.hits == hits + 1
    # unseeded: a fresh draw each time, never kept
    size = len(answers)
    db_client.get("/users/u1/workouts/next?goal=rehab", headers=acme.headers)
    assert len(answers) == size


def test_the_coachs_kept_inputs_never_outlive_a_change(db_client: TestClient, acme: Tenant) -> None:
    """The user's data read for a day is kept under their revision (app.api.coaching ``Inputs``): a seed not
    asked before is computed from it without a read, and every change (a log, its edit and deletion, a check-in
    and its deletion, an assessment, an erasure) is in the very next answer for a new seed, as a fresh
    computation with nothing kept has it."""
    from test_assessments import post, thomas

    inputs = state_of(db_client.app).coach_inputs
    seeds = iter(range(1, 1000))
    url = "/users/u1/workouts/next?goal=mobility&level=beginner&minutes=20&today=2026-11-12&seed="
    logged = {**_hold_log(datetime(2026, 11, 11, 7, tzinfo=UTC), 30), "pain_before": 1}

    def ask() -> dict[str, Any]:
        """A seed never asked before (the kept answers miss), checked against an app that keeps nothing."""
        seeded = url + str(next(seeds))
        answer = db_client.get(seeded, headers=acme.headers)
        assert answer.status_code == 200, answer.text
        with TestClient(create_app(state_of(db_client.app).settings.model_copy(update={"answer_cache_bytes": 0}))) as fresh:
            assert fresh.get(seeded, headers=acme.headers).content == answer.content
        body: dict[str, Any] = answer.json()
        return body

    posted = db_client.post("/users/u1/logs", json=logged, headers=acme.headers)
    assert posted.status_code == 201
    log_id = posted.json()["id"]
    assert ask()["pain_grade"] == "as-prescribed"  # (pain 1 after yesterday's session)
    hits = inputs.stats.hits
    assert ask()["pain_today"]["level"] == 1
    assert inputs.stats.hits == hits + 1  # another seed: from the kept inputs
    # a check-in of today at 7/10 moves today's grade at once
    assert db_client.post("/users/u1/checkins", json={"date": "2026-11-12", "pain": 7}, headers=acme.headers).status_code == 201
    graded = ask()
    assert (graded["pain_grade"], graded["pain_today"]["level"]) == ("gentle-short", 7)
    assert db_client.delete("/users/u1/checkins/2026-11-12", headers=acme.headers).status_code == 204
    assert ask()["pain_grade"] == "as-prescribed"
    # the log's edit (pain after it: 6), then its deletion
    patched = db_client.patch(f"/users/u1/logs/{log_id}", json={"pain_after": 6}, headers=acme.headers)
    assert patched.status_code == 200
    assert ask()["pain_today"]["level"] == 6
    assert db_client.delete(f"/users/u1/logs/{log_id}", headers=acme.headers).status_code == 204
    assert ask()["pain_today"]["level"] == 0
    # an assessment: a confirmed asymmetry (two tests a week apart) adds one stretch set
    assert post(db_client, acme, thomas("2026-11-05", -8, 4)).status_code == 201
    assert "assessment" not in ask()
    assert post(db_client, acme, thomas("2026-11-12", -7, 3)).status_code == 201
    assert ask()["assessment"]["extra_sets"] == 1
    # an erasure: nothing of the user is read from memory again
    assert db_client.delete("/users/u1", headers=acme.headers).status_code == 204
    erased = ask()
    assert "assessment" not in erased and {item["adaptation"]["action"] for item in erased["items"]} == {"new"}


def test_an_answer_computed_ahead_is_the_one_found_next() -> None:
    cache = AnswerCache(1 << 20)
    started, release = threading.Event(), threading.Event()

    def slow() -> bytes:
        started.set()
        release.wait(5)
        return b"ahead"

    cache.ahead(("k",), slow)
    assert started.wait(5)
    cache.ahead(("k",), lambda: b"twice")  # already being computed: not again
    release.set()
    assert cache.answer(("k",), lambda: b"computed by the request") == b"ahead"  # waited for it
    cache.ahead(("k",), lambda: b"again")  # kept already: nothing to do
    assert cache.get(("k",)) == b"ahead"


def test_a_failure_computing_ahead_is_logged(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = AnswerCache(1 << 20)

    def broken() -> bytes:
        raise RuntimeError("the database went away")

    with caplog.at_level("WARNING", logger="hipflex.errors"):
        cache.ahead(("k",), broken)
        for _ in range(500):
            if ("k",) not in cache._computing:
                break
            time.sleep(0.01)
    # (on stdout as JSON once an app has configured our loggers, else through pytest's capture)
    assert "computing an answer ahead failed" in caplog.text + capsys.readouterr().out
    assert cache.answer(("k",), lambda: b"the request computes") == b"the request computes"


# --- fairness (issue 21, item 6) ---------------------------------------------------------------------


def test_one_tenant_cannot_evict_another_tenants_answers() -> None:
    cache = AnswerCache(20_000)
    for user in range(5):
        cache.put(user_key(("records",), "quiet", f"u{user}", 1), b"q" * 1000)
    quiet = {user_key(("records",), "quiet", f"u{user}", 1) for user in range(5)}
    # 45 time-zone spellings of one answer, and more: far more than the whole cache
    for n in range(200):
        cache.put(user_key(("progress", "all", f"Etc/GMT+{n}"), "noisy", "u1", 1), b"n" * 2000)
        assert cache.size <= 20_000
    assert all(cache.get(key) == b"q" * 1000 for key in quiet)  # every quiet answer is still there
    assert cache.held("noisy") <= 20_000 - cache.held("quiet")
    assert cache.get(user_key(("progress", "all", "Etc/GMT+199"), "noisy", "u1", 1)) is not None  # its newest


def test_the_tenant_holding_most_gives_way_first() -> None:
    cache = AnswerCache(10_000)
    for n in range(4):
        cache.put(user_key(("records",), "big", f"u{n}", 1), b"b" * 2000)
    cache.put(user_key(("records",), "small", "u1", 1), b"s" * 1500)
    cache.put(user_key(("records",), "small", "u2", 1), b"s" * 1500)  # over: one of big's goes
    assert cache.get(user_key(("records",), "big", "u0", 1)) is None
    assert cache.get(user_key(("records",), "small", "u1", 1)) is not None
    assert cache.size <= 10_000
