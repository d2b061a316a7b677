"""A posted history validated lean: POST /workouts/adapt's logs read straight into what the coach reads.

Validating a 30-session body into models built ~350 pydantic objects (logs, entries, sets) that the coach
then read back into ``Session``\\ s and dropped: about three quarters of the body's validation. The lean
validator is the body model's own core schema with the history's models turned into typed dicts (the same
fields, types, bounds, defaults and validators, extra keys still refused), each log read into a ``PostedLog``
(its session, its sets as ``SetDone``\\ s) as it is validated, so no model of a log, an entry or a set is built.
A whole number's step (``WHOLE``: 10.0 is 10) is done in Rust (``_whole``), not by its Python function: it ran
~750 times a 30-session body. So is a log's ``performed_at`` text's pattern (``_instant``); its years and its
shift to UTC are checked in ``_log``.

It refuses at least what the model refuses, and only ever stands in front of it: a body it refuses is
validated again by the model (app.api.bodies), so every refusal is worded by the model, as before. A body it
takes is one the model takes, read into the same sessions (tests/test_posted_history.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel
from pydantic_core import SchemaValidator

from app.coaching.history import Session, SetDone, set_of_values
from app.logs.schemas import (
    EARLIEST_YEAR,
    INSTANT_PATTERN,
    LATEST_YEAR,
    WHOLE,
    EntryLog,
    LogCreate,
    ProgrammeLink,
    SetLog,
    WorkoutSeed,
    instant_input,
    to_utc,
)

M = TypeVar("M", bound=BaseModel)


class PostedLog(NamedTuple):
    """One posted log as the coach reads it, with its entries' slugs in order (for the 422 that names one)."""

    session: Session
    exercises: tuple[str, ...]


# A set's values in ``SetDone``'s order, and its work, read in C (as ``session_of_model`` reads a model's).
_SET_VALUES = itemgetter("reps", "hold_seconds", "load_kg", "rpe", "rir", "pain", "completed", "side")
_WORK = itemgetter("reps", "hold_seconds")
_NO_WORK = (None, None)


_EXERCISE = itemgetter("exercise")
_new = object.__new__


def _log(raw: Mapping[str, Any]) -> PostedLog:
    entries: dict[str, tuple[SetDone, ...]] = {}
    listed = raw["entries"]
    for entry in listed:  # (an exercise logged twice has its sets joined, as session_of_model does)
        sets = entry["sets"]
        if _NO_WORK in map(_WORK, sets):  # (SetLog._has_work: the model says so)
            raise ValueError("a set needs reps, hold_seconds or both")
        slug, done = entry["exercise"], tuple(map(set_of_values, map(_SET_VALUES, sets)))
        entries[slug] = entries[slug] + done if slug in entries else done
    # ``Session(...)`` without the frozen dataclass's ``__init__`` (a setattr through ``object`` a field, then
    # ``__post_init__``): 0.9 us a log instead of 2.4. Its fields and ``day`` as ``__post_init__`` sets it: the
    # sessions are compared with ``session_of_model``'s, built by ``__init__`` (tests/test_posted_history.py).
    # (``Instant``'s Python steps, done here: see ``_instant``)
    written = raw["performed_at"]
    if not EARLIEST_YEAR <= written.year <= LATEST_YEAR:  # (first: then the shift to UTC cannot overflow)
        raise ValueError("out of the years the answers are built for")
    performed_at = written.astimezone(UTC)
    if not EARLIEST_YEAR <= performed_at.year <= LATEST_YEAR:
        raise ValueError("out of the years the answers are built for in UTC")
    session = _new(Session)
    session.__dict__.update(
        performed_at=performed_at,
        entries=entries,
        pain_before=raw["pain_before"],
        pain_after=raw["pain_after"],
        session_rpe=raw["session_rpe"],
        duration_minutes=raw["duration_minutes"],
        day=performed_at.date(),
    )
    return PostedLog(session, tuple(map(_EXERCISE, listed)))


def _instant(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """A log's ``performed_at`` (``Instant``) without its two Python steps: the text's pattern checked in Rust
    (a ``$`` there takes no trailing newline, so at most what ``instant_input`` takes), then the aware
    date-time as before; ``_log`` checks the years and turns it to UTC as ``to_utc`` does."""
    if schema.get("type") != "function-after" or _function(schema) is not to_utc:
        return None
    before = schema["schema"]
    if before.get("type") != "function-before" or _function(before) is not instant_input:
        return None
    text = {"type": "str", "strict": True, "pattern": INSTANT_PATTERN}
    return {"type": "chain", "steps": [text, before["schema"]]}


# What each model of a log becomes: its typed dict, then this (None: the dict as it is).
_LEAN: dict[type[BaseModel], Callable[[Any], Any] | None] = {
    LogCreate: _log, EntryLog: None, SetLog: None, WorkoutSeed: None, ProgrammeLink: None,
}
_AFTER_MODEL = {SetLog._has_work}  # model validators ``_log`` does instead


def _function(schema: Mapping[str, Any]) -> Any:
    return schema.get("function", {}).get("function")


def _whole(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``WHOLE`` before a strict int, in Rust: an int, or a float with no fractional part made one (a bool, a
    string refused), then the int's own bounds. ~750 calls of the Python step a 30-session body."""
    bounded = {**schema, "strict": False}  # (lax from an int or a float only: a whole float becomes an int)
    numbers = {"type": "union", "choices": [{"type": "int", "strict": True}, {"type": "float", "strict": True}]}
    return {"type": "chain", "steps": [numbers, bounded]}


def _lean(schema: Any, root: type[BaseModel] | None = None) -> Any:
    """``schema`` with the log's models (and ``root``, the body's) as typed dicts."""
    if isinstance(schema, list):
        return [_lean(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind == "function-after" and _function(schema) in _AFTER_MODEL:
        return _lean(schema["schema"])
    if kind == "function-before" and _function(schema) is WHOLE.func and schema["schema"].get("strict"):
        return _whole(schema["schema"])
    if kind == "model" and (schema["cls"] in _LEAN or schema["cls"] is root):
        fields = schema["schema"]
        if fields.get("type") != "model-fields" or schema["config"].get("extra_fields_behavior") != "forbid" or any(
            "validation_alias" in field for field in fields["fields"].values()
        ):
            raise TypeError(f"{schema['cls'].__name__}: not a plain model with extra keys refused")
        instant = _instant(fields["fields"]["performed_at"]["schema"]) if schema["cls"] is LogCreate else None
        if schema["cls"] is LogCreate and instant is None:
            raise TypeError("LogCreate.performed_at: not the Instant _log reads")
        typed = {
            "type": "typed-dict",
            "extra_behavior": "forbid",
            "fields": {
                name: {"type": "typed-dict-field",
                       "schema": instant if instant is not None and name == "performed_at" else _lean(field["schema"]),
                       "required": field["schema"]["type"] != "default"}
                for name, field in fields["fields"].items()
            },
        }
        then = _LEAN.get(schema["cls"])
        if then is None:
            return typed
        return {"type": "function-after", "function": {"type": "no-info", "function": then}, "schema": typed}
    lean = {key: _lean(value) for key, value in schema.items()}
    if kind == "list":  # (its errors are never shown: the first is enough to ask the model)
        lean["fail_fast"] = True
    return lean


LEAN_MODELS: set[type[BaseModel]] = set()
"""Body models validated lean first (by the body gate and the fast path), each marked by ``lean``."""


def lean(model: type[M]) -> type[M]:
    """Mark a body model with a ``history: list[LogCreate]`` to be validated lean first (see above)."""
    LEAN_MODELS.add(model)
    return model


@cache
def _validator(model: type[BaseModel]) -> SchemaValidator:
    """Built at the first body, not at import. The body's own model is a typed dict too: a model's schema
    is compiled as the model's own validator, whole."""
    return SchemaValidator(_lean(model.__pydantic_core_schema__, model))


def validate(model: type[M], value: Any) -> M:
    """``value`` (a body's JSON) validated lean as ``model``, its history as ``PostedLog``\\ s; raises
    ``ValidationError`` where the model may refuse it (then let the model say why)."""
    fields = _validator(model).validate_python(value)
    return model.model_construct(set(value), **fields)  # (the fields sent: a typed dict took only those)
