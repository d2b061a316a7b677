"""Dependencies shared by the routes (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.engine import Engine

from app.answers import AnswerCache
from app.catalogue import Catalogue
from app.languages import choose_language
from app.observability import Metrics
from app.settings import Settings
from app.state import AppState, state


async def get_catalogue(request: Request) -> Catalogue:
    return state(request).catalogue


async def get_localised_catalogue(
    request: Request,
    accept_language: Annotated[
        str | None,
        Header(
            alias="Accept-Language",
            description="`de` for German, `en` (the default) for English; q-values are honoured. "
            "Anything else gets English, never an error.",
            examples=["de", "de-DE,de;q=0.9,en;q=0.5"],
        ),
    ] = None,
) -> Catalogue:
    """The catalogue in the language ``Accept-Language`` asks for (English when it is not supported)."""
    return state(request).catalogue.in_language(choose_language(accept_language))


async def get_settings(request: Request) -> Settings:
    return state(request).settings


async def get_engine(request: Request) -> Engine:
    # async: it does no I/O, and a plain `def` dependency costs a threadpool hop.
    return state(request).engine


async def get_metrics(request: Request) -> Metrics:
    return state(request).metrics


async def get_state(request: Request) -> AppState:
    return state(request)


async def get_answers(request: Request) -> AnswerCache:
    return state(request).answers


CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
LocalisedCatalogueDep = Annotated[Catalogue, Depends(get_localised_catalogue)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
StateDep = Annotated[AppState, Depends(get_state)]
AnswersDep = Annotated[AnswerCache, Depends(get_answers)]
