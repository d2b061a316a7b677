"""Query-parameter types shared by several routes."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator


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
