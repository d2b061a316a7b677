"""The query memo (app.api.params.QueryMemo) gives what validating the whole query gives, seed or not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import app.main  # noqa: F401  (the routes, and with them the registry, are imported by the app)
from app.api.fastpath import REGISTRY
from app.api.params import QueryMemo, parse_query

SEEDED = sorted(
    {hot.query for hot in REGISTRY.values() if hot.query is not None and "seed" in hot.query.model_fields},
    key=lambda model: model.__name__,
)
KEYS = ["seed", "se%65d", "goal", "level", "minutes", "weeks", "start", "tz"]
VALUES = ["", "0", "4", "007", "-3", "2147483647", "2147483648", "1e3", "%31", "x", "mobility", "rehab", "2026-01-05"]


def test_the_seeded_models_are_found() -> None:
    assert {model.__name__ for model in SEEDED} >= {"WorkoutParams"}


def _same(memo: BaseModel | None, whole: BaseModel | None) -> bool:
    return memo == whole and (memo is None or whole is None or memo.model_fields_set == whole.model_fields_set)


@settings(max_examples=400, deadline=None)
@given(
    model=st.sampled_from(SEEDED),
    pairs=st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES), st.booleans()), max_size=5),
)
def test_a_remembered_query_is_the_whole_query_validated(model: type[BaseModel], pairs: list[tuple[str, str, bool]]) -> None:
    raw = "&".join(f"{key}={value}" if with_value else key for key, value, with_value in pairs).encode()
    memo = QueryMemo()
    assert _same(memo.parse(model, raw), parse_query(model, raw))
    assert _same(memo.parse(model, raw), parse_query(model, raw))  # again, from what it remembered


def test_fresh_seeds_share_one_entry_and_keep_their_own_seed() -> None:
    memo = QueryMemo()
    model = next(model for model in SEEDED if model.__name__ == "WorkoutParams")
    first = memo.parse(model, b"goal=mobility&seed=7")
    second = memo.parse(model, b"seed=8&goal=mobility")
    assert first is not None and second is not None
    assert (first.seed, second.seed) == (7, 8)  # type: ignore[attr-defined]
    assert len(memo.known) == 1


@settings(max_examples=200, deadline=None)
@given(model=st.sampled_from(SEEDED), seed=st.integers(0, 2**31 - 1), goal=st.sampled_from(["", "goal=rehab&", "minutes=20&"]))
def test_the_seed_put_on_a_copy_is_what_model_copy_gives(model: type[BaseModel], seed: int, goal: str) -> None:
    from app.api.params import _with

    found = parse_query(model, goal.encode())
    if found is None:
        return
    copied, expected = _with(found, "seed", seed), found.model_copy(update={"seed": seed})
    assert type(copied) is type(expected) and copied == expected
    assert copied.__dict__ == expected.__dict__ and list(copied.__dict__) == list(expected.__dict__)
    assert copied.model_fields_set == expected.model_fields_set and "seed" not in found.model_fields_set
    assert copied.model_dump_json() == expected.model_dump_json()
    assert (copied.__pydantic_extra__, copied.__pydantic_private__) == (expected.__pydantic_extra__, expected.__pydantic_private__)
