"""app.layers: a layer calls what its ``app`` is now, also after a walk down the stack relinks it."""

from __future__ import annotations

import asyncio
from typing import Any

from app.layers import Layer


class _Passing(Layer):
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.next(scope, receive, send)


class _Answering:
    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(self.name)


def test_a_layer_follows_its_app_when_it_is_set_again() -> None:
    heard: list[str] = []

    async def send(message: Any) -> None:
        heard.append(message)

    async def function_app(scope: Any, receive: Any, send: Any) -> None:
        await send("function")

    outer = _Passing(_Passing(_Answering("inner")))
    asyncio.run(outer({}, None, send))
    outer.app = outer.app.app  # (unlinked, as app.main's _API does to FastAPI's idle layers)
    asyncio.run(outer({}, None, send))
    outer.app = _Answering("other")
    asyncio.run(outer({}, None, send))
    outer.app = function_app
    asyncio.run(outer({}, None, send))
    assert heard == ["inner", "inner", "other", "function"]
