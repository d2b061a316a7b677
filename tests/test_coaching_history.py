"""The representations of a log that the coach reads become the same session: a validated LogCreate
(the posted door, read from its attributes), its model_dump(), and the stored row whose entries are
the JSON text the log store keeps (the stored door, decoded once per distinct text and shared)."""

from __future__ import annotations

import json
from dataclasses import astuple
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.state import state_of
from app import logs
from app.coaching import Session, session_of, session_of_model
from app.coaching.history import MAX_SESSIONS, in_order, order, window
from app.logs import LogCreate
from conftest import Tenant

SLUGS = ["prone-leg-lift-straight-leg", "core-brace", "side-plank-clamshell"]


def exact(session: Session) -> list[Any]:
    """Everything a session holds, with each value's type: 10 kg and 10.0 kg are told apart."""

    def typed(values: tuple[Any, ...]) -> list[tuple[str, Any]]:
        return [(type(v).__name__, v) for v in values]

    head = typed((session.performed_at, session.pain_before, session.pain_after, session.session_rpe,
                  session.duration_minutes))
    return [head, [(slug, [typed(astuple(s)) for s in sets]) for slug, sets in session.entries.items()]]


def stored_text(model: LogCreate) -> str:
    """The entries column as the log store writes it (app/logs/store.py ``_stored``)."""
    return json.dumps([entry.model_dump(mode="json", exclude_defaults=True) for entry in model.entries])


sets = st.fixed_dictionaries(
    {"reps": st.integers(1, 40)},
    optional={
        "hold_seconds": st.integers(1, 120),
        "load_kg": st.one_of(st.integers(0, 200), st.floats(0, 1000, allow_nan=False, allow_infinity=False)),
        "rpe": st.integers(1, 10),
        "rir": st.integers(0, 10),
        "pain": st.integers(0, 10),
        "completed": st.booleans(),
        "side": st.sampled_from(["left", "right", "both"]),
    },
)
raw_logs = st.fixed_dictionaries(
    {
        "performed_at": st.datetimes(datetime(2026, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)).map(
            lambda d: d.isoformat()
        ),
        # an exercise may come twice: its sets are joined, in order
        "entries": st.lists(
            st.fixed_dictionaries({"exercise": st.sampled_from(SLUGS), "sets": st.lists(sets, min_size=1, max_size=4)}),
            min_size=1,
            max_size=4,
        ),
    },
    optional={
        "pain_before": st.integers(0, 10),
        "pain_after": st.integers(0, 10),
        "session_rpe": st.integers(1, 10),
        "duration_minutes": st.integers(0, 240),
    },
)


@settings(max_examples=200, deadline=None)
@given(raw=raw_logs)
def test_every_representation_of_a_log_is_the_same_session(raw: dict[str, Any]) -> None:
    model = LogCreate.model_validate(raw)
    dumped = session_of(model.model_dump())
    row = {**model.model_dump(mode="json"), "entries": stored_text(model)}
    from_text, again = session_of(row), session_of(dict(row))  # the second decode is the memo's
    assert exact(session_of_model(model)) == exact(dumped) == exact(from_text) == exact(again)
    assert session_of_model(model) == dumped == from_text


def test_a_stored_session_is_shared_only_by_equal_rows() -> None:
    """The stored door shares one session among rows equal in value, type and zone, never more."""
    text = stored_text(LogCreate.model_validate({"performed_at": "2026-11-20T07:30:00Z", "entries": [
        {"exercise": SLUGS[0], "sets": [{"reps": 8}]}]}))
    when = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    row = {"performed_at": when, "entries": text, "pain_after": 2, "session_rpe": 5}
    assert session_of(dict(row)) is session_of(dict(row))
    berlin = when.astimezone(timezone(timedelta(hours=1)))  # the same instant, written in another zone
    for other in ({"pain_after": 2.0}, {"session_rpe": None}, {"performed_at": berlin}, {"entries": text + " "}):
        changed = session_of({**row, **other})
        assert changed is not session_of(dict(row))
        assert exact(changed) == exact(session_of({**row, **other, "entries": json.loads(text)}))


def test_a_long_entries_text_is_decoded_without_the_memo_alike() -> None:
    raw = {
        "performed_at": "2026-11-20T07:30:00+01:00",
        "entries": [{"exercise": SLUGS[i % 3], "sets": [{"reps": 8 + i % 5, "hold_seconds": 3, "rpe": 6}] * 5}
                    for i in range(60)],
    }
    model = LogCreate.model_validate(raw)
    text = stored_text(model)
    assert len(text) > 4096
    session = session_of({"performed_at": model.performed_at, "entries": text})
    assert exact(session) == exact(session_of_model(model)) == exact(session_of(model.model_dump()))
    assert [len(sets) for sets in session.entries.values()] == [100, 100, 100]


def test_the_stored_door_reads_what_was_posted(db_client: TestClient, acme: Tenant) -> None:
    """On both databases: logs.recent (entries as their stored JSON text) gives the sessions of the
    logs as posted, oldest first, the newest MAX_SESSIONS inside the window."""
    today = datetime(2026, 11, 30, tzinfo=UTC)
    bodies = [
        {
            "performed_at": (today - timedelta(hours=11 * n + 1)).isoformat(),
            "pain_after": n % 4,
            "entries": [
                {"exercise": SLUGS[n % 3], "sets": [{"reps": 8 + n % 3, "load_kg": 2.5 * (n % 2), "side": "left"}]},
                {"exercise": SLUGS[(n + 1) % 3], "sets": [{"reps": 5, "hold_seconds": 30, "completed": n % 5 > 0}]},
            ],
        }
        for n in range(MAX_SESSIONS + 10)
    ]
    for body in bodies:
        assert db_client.post("/users/ann/logs", json=body, headers=acme.headers).status_code == 201
    since, until = window(today.date())
    engine = state_of(db_client.app).engine
    rows = logs.recent(engine, acme.name, "ann", since=since, until=until, limit=MAX_SESSIONS)
    assert all(isinstance(row["entries"], str) for row in rows)
    posted = sorted((session_of_model(LogCreate.model_validate(b)) for b in bodies), key=lambda s: s.performed_at)
    assert [exact(session_of(row)) for row in rows] == [exact(s) for s in posted[-MAX_SESSIONS:]]
    assert logs.recent(engine, "globex", "ann", since=since, until=until, limit=MAX_SESSIONS) == []


instants = st.sampled_from(
    [datetime(2026, 11, 20, 7, tzinfo=UTC), datetime(2026, 11, 20, 8, tzinfo=timezone(timedelta(hours=1))),
     datetime(2026, 11, 20, 9, tzinfo=UTC), datetime(2026, 11, 21, 7, tzinfo=UTC)]
)


@settings(max_examples=300, deadline=None)
@given(logs=st.lists(st.tuples(instants, raw_logs), max_size=12))
def test_in_order_is_sorted_by_order(logs: list[tuple[datetime, dict[str, Any]]]) -> None:
    """Many logs at one instant (written in two zones, too), with equal or different content: in_order
    puts them where sorted(key=order) does, equal ones in the order given."""
    sessions = [session_of_model(LogCreate.model_validate({**raw, "performed_at": when.isoformat()}))
                for when, raw in logs]
    sessions += sessions[: len(sessions) // 2]  # equal sessions, some the same object
    assert [id(s) for s in in_order(sessions)] == [id(s) for s in sorted(sessions, key=order)]
