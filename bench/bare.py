"""The yardstick: a bare Starlette endpoint returning a small JSON object."""

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request: object) -> JSONResponse:
    return JSONResponse({"status": "ok", "service": "bare"})


app = Starlette(routes=[Route("/", hello), Route("/healthz", hello)])
