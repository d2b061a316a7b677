"""Our middleware layers call the next one as a bound method.

``await self.app(...)`` on an instance goes through its type's ``__call__`` slot, a few hundred instructions more a
layer a request than calling the bound ``__call__`` (bench.read_instructions). ``app`` stays the attribute a walk
down the stack reads and sets (app.main's ``_API`` unlinks idle layers by setting it): ``next`` follows it.
"""

from __future__ import annotations

from inspect import getattr_static
from types import FunctionType, MethodType

from starlette.types import ASGIApp


class Layer:
    _app: ASGIApp
    next: ASGIApp

    @property
    def app(self) -> ASGIApp:
        return self._app

    @app.setter
    def app(self, app: ASGIApp) -> None:
        self._app = app
        call = getattr_static(type(app), "__call__", None)
        self.next = MethodType(call, app) if isinstance(call, FunctionType) else app
