"""Query-parameter types shared by several routes, and the query string read as FastAPI reads it."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar, cast, get_origin
from urllib.parse import parse_qsl

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError

from app.programmes.models import MAX_TZ_LENGTH, valid_zone


def _split_commas(value: Any) -> Any:
    """Accept both ``?x=a,b`` and ``?x=a&x=b`` (and a mix).

    An empty value (``?x=`` or ``?x=a,,b``) is kept, so it is refused like any value
    outside the list's items: leave the parameter out to mean "none".
    """
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",")]
    return value


T = TypeVar("T")

# ``list[T]`` that also splits comma-separated values: ``CommaList[PainFlag]``.
CommaList = Annotated[list[T], BeforeValidator(_split_commas)]


# An IANA time zone name (`Europe/Berlin`): the zone a person's calendar days are counted in.
Zone = Annotated[str, Field(min_length=1, max_length=MAX_TZ_LENGTH), AfterValidator(valid_zone)]
TZ_DESCRIPTION = "The IANA time zone the person's days are counted in (e.g. `Pacific/Auckland`); default UTC."


_LIST_FIELDS: dict[type[BaseModel], frozenset[str]] = {}
_REFUSED = object()


class QueryMemo:
    """Validated queries by model and raw query string: clients repeat the same few (bounded; the answers
    must not change the models they are given). Validating ``/exercises``'s empty query alone cost about
    as much as answering it from the page cache (its list defaults are deep-copied each time)."""

    MAX_KEY = 512
    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self.known: dict[tuple[type[BaseModel], bytes], object] = {}

    def parse(self, model: type[BaseModel], raw: bytes) -> BaseModel | None:
        key = (model, raw)
        found = self.known.get(key)
        if found is None:
            found = parse_query(model, raw)
            if found is None:
                found = _REFUSED
            if len(raw) <= self.MAX_KEY:
                if len(self.known) >= self.MAX_ENTRIES:
                    self.known.clear()
                self.known[key] = found
        return None if found is _REFUSED else cast(BaseModel, found)


def parse_query(model: type[BaseModel], raw: bytes) -> BaseModel | None:
    """Validate a query string as FastAPI would for ``Annotated[model, Query()]``; None when it would refuse."""
    lists = _LIST_FIELDS.get(model)
    if lists is None:
        lists = frozenset(name for name, f in model.model_fields.items() if get_origin(f.annotation) is list)
        _LIST_FIELDS[model] = lists
    data: dict[str, Any] = {}
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if key in lists:
            data.setdefault(key, []).append(value)
        else:
            data[key] = value  # a repeated one: the last, as FastAPI takes it
    try:
        return model.model_validate(data)
    except ValidationError:
        return None
