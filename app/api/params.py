"""Query-parameter types shared by several routes, and the query string read as FastAPI reads it."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar, cast, get_origin
from urllib.parse import parse_qsl

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, TypeAdapter, ValidationError

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
    as much as answering it from the page cache (its list defaults are deep-copied each time).

    A ``seed`` is the one parameter clients vary on every request (``/workouts``: a fresh draw each
    time), which made each such query a miss that also pushed the others out: the rest of the query is
    remembered, and the seed alone validated (with the field's own bounds) and put on a copy.
    """

    MAX_KEY = 512
    MAX_ENTRIES = 4096
    MAX_SEEDED = 1024

    def __init__(self) -> None:
        self.known: dict[tuple[type[BaseModel], bytes], object] = {}
        self.seeds: dict[type[BaseModel], TypeAdapter[Any] | None] = {}
        self.seeded: dict[tuple[type[BaseModel], bytes], BaseModel] = {}

    def parse(self, model: type[BaseModel], raw: bytes) -> BaseModel | None:
        if SEED in raw:
            key = (model, raw)
            seeded = self.seeded.get(key)
            if seeded is not None:  # (the same seed again: a client revalidating, or a bench)
                return seeded
            apart = _seed_apart(raw)
            adapter = self._seed_adapter(model) if apart is not None else None
            if apart is not None and adapter is not None:
                found = self._with_seed(model, raw, *apart, adapter)
                if found is not None and len(raw) <= self.MAX_KEY:
                    if len(self.seeded) >= self.MAX_SEEDED:  # (its own bound: fresh draws do not evict the rest)
                        self.seeded.clear()
                    self.seeded[key] = found
                return found
        return self._parse(model, raw)

    def _with_seed(
        self, model: type[BaseModel], raw: bytes, rest: bytes, seed: bytes, adapter: TypeAdapter[Any]
    ) -> BaseModel | None:
        found = self._parse(model, rest)
        if found is None or getattr(found, "seed", None) is not None:
            return parse_query(model, raw)  # (another seed in the rest, spelt se%65d: as FastAPI would)
        try:
            value = adapter.validate_python(seed.decode("ascii"))
        except ValidationError:
            return None
        return _with(found, "seed", value)

    def _seed_adapter(self, model: type[BaseModel]) -> TypeAdapter[Any] | None:
        if model not in self.seeds:
            field = model.model_fields.get("seed")
            if field is not None and field.alias not in (None, "seed"):
                field = None  # (the query names it otherwise)
            # (the field's type with its bounds: ge, le; Annotated needs at least one)
            bounded: Any = None
            if field is not None:
                bounded = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            self.seeds[model] = None if bounded is None else TypeAdapter(bounded)
        return self.seeds[model]

    def _parse(self, model: type[BaseModel], raw: bytes) -> BaseModel | None:
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


def _with(model: BaseModel, name: str, value: Any) -> BaseModel:
    """``model.model_copy(update={name: value})`` for a model with no extra fields or private attributes (the
    query models), at a third of its cost: it copies those and the set of fields set too, then updates."""
    if model.__pydantic_extra__ is not None or getattr(model, "__pydantic_private__", None) is not None:
        return model.model_copy(update={name: value})
    copied = _new(type(model))
    _set(copied, "__dict__", {**model.__dict__, name: value})
    _set(copied, "__pydantic_extra__", None)
    _set(copied, "__pydantic_fields_set__", model.__pydantic_fields_set__ | {name})
    _set(copied, "__pydantic_private__", None)
    return copied


_new = object.__new__
_set = object.__setattr__
SEED = b"seed="


def _seed_apart(raw: bytes) -> tuple[bytes, bytes] | None:
    """The query without its one ``seed`` and that seed's digits; None for anything else (two seeds, not
    plain digits): that query is validated whole, as before."""
    start = 0 if raw.startswith(SEED) else raw.find(b"&" + SEED) + 1
    if start == 0 and not raw.startswith(SEED):
        return None
    end = raw.find(b"&", start)
    if end < 0:
        digits, rest = raw[start + len(SEED):], raw[: max(start - 1, 0)]
    else:
        digits, rest = raw[start + len(SEED) : end], raw[:start] + raw[end + 1 :]
    if not (digits.isdigit() and len(digits) <= 20) or rest.startswith(SEED) or b"&" + SEED in rest:
        return None
    return rest, digits


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
