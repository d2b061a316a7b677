"""The lean validator of POST /workouts/adapt (app/api/posted_history.py) takes only what the model takes, and
reads it into the same request and sessions; whatever it refuses, the model is asked (so its words stay)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from test_coaching_history import SLUGS, exact, raw_logs

from app.api.coaching import AdaptRequest
from app.api.posted_history import LEAN_MODELS, PostedLog, validate
from app.coaching import session_of_model

ODD_VALUES = [None, 0, -1, 1, 5.0, 5.5, 1e3, "5", "left", True, False, [], {}, [{}], {"reps": 8}, "2026-11-20"]


def paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: its members and items, and a new key in each object."""
    found = [at]
    if isinstance(value, dict):
        found.append((*at, "extra"))
        for key, member in value.items():
            found += paths(member, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*at, index))
    return found


def changed(value: Any, at: tuple[Any, ...], new: Any) -> Any:
    if not at:
        return new
    head, rest = at[0], at[1:]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = changed(value[head], rest, new) if rest else new
    return copy


def both(body: Any) -> tuple[AdaptRequest | None, AdaptRequest | None]:
    """(lean, model) validations of ``body`` as the JSON it would arrive as; None where refused."""
    raw = json.dumps(body).encode()
    value = json.loads(raw)
    try:
        lean = validate(AdaptRequest, value)
    except ValidationError:
        lean = None
    try:
        model = AdaptRequest.model_validate(value, from_attributes=True)
    except ValidationError:
        model = None
    return lean, model


def assert_same(lean: AdaptRequest, model: AdaptRequest) -> None:
    assert lean.model_fields_set == model.model_fields_set
    assert lean.model_dump(exclude={"history"}) == model.model_dump(exclude={"history"})
    posted = [log for log in lean.history if isinstance(log, PostedLog)]
    assert len(posted) == len(lean.history) == len(model.history)
    for mine, theirs in zip(posted, model.history, strict=True):
        assert exact(mine.session) == exact(session_of_model(theirs))
        assert vars(mine.session) == vars(session_of_model(theirs))  # every field, ``day`` too
        assert mine.exercises == tuple(entry.exercise for entry in theirs.entries)


def test_the_adapt_body_is_marked_lean() -> None:
    assert AdaptRequest in LEAN_MODELS


@settings(max_examples=150, deadline=None)
@given(history=st.lists(raw_logs, max_size=4), extra=st.fixed_dictionaries({}, optional={
    "pain_level": st.integers(0, 10), "minutes": st.sampled_from([10, 20.0, 30]), "seed": st.integers(0, 99),
    "checkins": st.just([{"date": "2026-11-20", "pain": 2}]), "goal": st.sampled_from(["rehab", "mobility"])}))
def test_a_valid_body_is_the_same_request_either_way(history: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    lean, model = both({"history": history, **extra})
    assert lean is not None and model is not None
    assert_same(lean, model)


@settings(max_examples=400, deadline=None)
@given(history=st.lists(raw_logs, min_size=1, max_size=3), data=st.data())
def test_a_changed_body_is_taken_only_as_the_model_takes_it(history: list[dict[str, Any]], data: st.DataObject) -> None:
    body = {"goal": "rehab", "history": history}
    where = data.draw(st.sampled_from(paths(body)))
    lean, model = both(changed(body, where, data.draw(st.sampled_from(ODD_VALUES))))
    if lean is not None:  # (refused: the model is asked, and words the 422)
        assert model is not None
        assert_same(lean, model)


@pytest.mark.parametrize("sets", [
    [{"reps": 8, "rpe": 6.0}],  # a whole number written as a float: the step that makes it an int runs
    [{"hold_seconds": 30.0, "load_kg": 2.5, "side": "left", "completed": False}],
    [{"reps": 8}, {"reps": 8}],
])
def test_sets_as_the_model_reads_them(sets: list[dict[str, Any]]) -> None:
    log = {"performed_at": "2026-11-20T07:30:00+01:00", "entries": [{"exercise": slug, "sets": sets} for slug in SLUGS]}
    lean, model = both({"history": [log, {**log, "entries": log["entries"][:1]}]})
    assert lean is not None and model is not None
    assert_same(lean, model)


WHOLE_NUMBERS = [5, 5.0, 10.0, -0.0, 0, 11, 1e3, 1e300, 2**70, 5.5, 3.0000000000000004, float("inf"), float("nan"),
                 True, False, "5", None]


@pytest.mark.parametrize("number", WHOLE_NUMBERS, ids=repr)
@pytest.mark.parametrize("field", ["reps", "rpe", "pain", "session_rpe", "duration_minutes", "pain_level", "minutes"])
def test_a_whole_number_is_taken_lean_exactly_as_the_model_takes_it(field: str, number: Any) -> None:
    # (the model's Python step that makes 10.0 an int runs in Rust lean: neither more nor less is taken)
    log: dict[str, Any] = {"performed_at": "2026-11-20T07:30:00Z", "entries": [{"exercise": SLUGS[0], "sets": [{"reps": 8}]}]}
    body: dict[str, Any] = {"history": [log]}
    if field in ("reps", "rpe", "pain"):
        log["entries"][0]["sets"][0][field] = number
    elif field in ("pain_level", "minutes"):
        body[field] = number
    else:
        log[field] = number
    lean, model = both(body)
    assert (lean is None) == (model is None)
    if lean is not None and model is not None:
        assert_same(lean, model)


INSTANTS = [
    "2026-11-20T07:30:00Z", "2026-11-20t07:30:00z", "2026-11-20T07:30:00.123456789+01:00", "2026-11-20T07:30:00-23:59",
    "1900-01-01T00:00:00+23:59", "1900-01-01T00:00:00-01:00", "2199-12-31T23:59:59-23:59", "2199-12-31T23:59:59+01:00",
    "1899-12-31T23:59:59Z", "2200-01-01T00:00:00Z", "2026-11-20T07:30:00Z\n", "2026-11-20T07:30:00",
    "2026-11-20 07:30:00Z", "2026-02-30T07:30:00Z", "2026-11-20T24:00:00Z", "2026-11-20T07:30:60Z",
    "\u0662\u0660\u0662\u0666-11-20T07:30:00Z", "2026-11-20", "1700000000", 1700000000, None, "",
]


@pytest.mark.parametrize("instant", INSTANTS, ids=repr)
def test_an_instant_is_taken_lean_exactly_as_the_model_takes_it(instant: Any) -> None:
    # (its pattern checked in Rust and its years and UTC in _log, not by the model's two Python steps)
    log = {"performed_at": instant, "entries": [{"exercise": SLUGS[0], "sets": [{"reps": 8}]}]}
    lean, model = both({"history": [log]})
    assert (lean is None) == (model is None)
    if lean is not None and model is not None:
        assert_same(lean, model)


def test_a_set_without_work_is_refused_lean_too() -> None:
    log = {"performed_at": "2026-11-20T07:30:00Z", "entries": [{"exercise": SLUGS[0], "sets": [{"rpe": 5}]}]}
    assert both({"history": [log]}) == (None, None)
