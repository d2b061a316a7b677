"""The floor under hipflex's cold start: one FastAPI route and one SQLModel table on a fresh SQLite file.

FastAPI, uvicorn and SQLModel are mandated (as is Alembic, which this leaves out): whatever hipflex does,
its cold start pays at least this app's (bench/cold_start.py serves it beside bare Starlette and hipflex).
Each start makes its table in a new SQLite file, as hipflex's start migrates one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel
from sqlmodel import Field, SQLModel, create_engine


class Note(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    text: str


class Health(BaseModel):
    status: str


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    folder = Path(tempfile.mkdtemp(prefix="hipflex-floor-"))
    engine = create_engine(f"sqlite:///{folder / 'floor.db'}")
    SQLModel.metadata.create_all(engine)
    yield
    engine.dispose()
    os.unlink(folder / "floor.db")
    folder.rmdir()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz", response_model=Health)
async def check_health() -> Health:
    return Health(status="ok")
