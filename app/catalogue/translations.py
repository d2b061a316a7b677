"""Translations of the catalogue's text, validated at load like the catalogue itself.

A language file (``data/i18n/<lang>.json``) holds, per exercise slug, every
human-readable text field by its path (``instructions.2``,
``contraindications.knee.reason``). The paths come from walking the models, not
from a list kept by hand, so a new text field or exercise that lacks a
translation stops the load instead of shipping half a language.
"""

from __future__ import annotations

import json
import string
from enum import Enum
from importlib import resources
from typing import Any

from pydantic import BaseModel, ValidationError

from app.catalogue.models import Exercise

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "de")  # English first: it is the fallback
# Fields that hold identifiers, not prose: never translated (a medium's address, licence and author are names;
# its alt text is prose).
IDENTIFIERS = frozenset(
    {"slug", "regressions", "progressions", "variant_of", "source", "flag", "family", "pattern", "key", "value"}
    | {"members"}
    | {"catalogue_version", "principle", "url", "licence", "author"}
)
# A list item is addressed by its identifier when it has one, so a reordered list cannot swap texts.
ITEM_KEYS = ("flag", "source", "key", "value")


class CatalogueError(Exception):
    """The catalogue cannot be used; the message says where and why."""


class TranslationError(CatalogueError):
    """A language file does not match what it translates; the message says where."""


def text_fields(model: BaseModel, prefix: str = "", identifiers: frozenset[str] = IDENTIFIERS) -> dict[str, str]:
    """Every translatable string of ``model`` by its path; fields named in ``identifiers`` are skipped."""
    found: dict[str, str] = {}
    for name in type(model).model_fields:
        if name in identifiers:
            continue
        _walk(getattr(model, name), f"{prefix}{name}", found, identifiers)
    return found


def _walk(value: Any, path: str, found: dict[str, str], identifiers: frozenset[str]) -> None:
    if isinstance(value, Enum) or value is None or isinstance(value, bool | int | float):
        return
    if isinstance(value, str):
        found[path] = value
    elif isinstance(value, BaseModel):
        found.update(text_fields(value, path + ".", identifiers))
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{path}.{key.value if isinstance(key, Enum) else key}", found, identifiers)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            key = next((getattr(item, k) for k in ITEM_KEYS if isinstance(getattr(item, k, None), str)), index)
            _walk(item, f"{path}.{key.value if isinstance(key, Enum) else key}", found, identifiers)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def check_texts(origin: str, where: str, english: dict[str, str], translated: Any) -> list[str]:
    """Problems with one record's translation: missing, extra, empty or placeholder-changing keys."""
    if not isinstance(translated, dict):
        return [f"{origin}: {where}: expected an object of field path -> text"]
    problems = [f"{origin}: {where}: {path}: missing" for path in english if path not in translated]
    problems += [f"{origin}: {where}: {path}: no such text field" for path in translated if path not in english]
    for path, text in translated.items():
        if path not in english:
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{origin}: {where}: {path}: must be a non-empty string")
        elif placeholders(text) != placeholders(english[path]):
            wanted = sorted(placeholders(english[path]))
            problems.append(f"{origin}: {where}: {path}: placeholders differ from the English {wanted}")
    return problems


def _set(data: Any, path: list[str], text: str) -> None:
    head, rest = path[0], path[1:]
    if isinstance(data, list):
        index = next(
            (i for i, item in enumerate(data) if isinstance(item, dict) and head in (item.get(k) for k in ITEM_KEYS)),
            None,
        )
        target = int(head) if index is None else index
        if not rest:
            data[target] = text
        else:
            _set(data[target], rest, text)
    elif not rest:
        data[head] = text
    else:
        _set(data[head], rest, text)


def translated_data(model: BaseModel, texts: dict[str, str]) -> dict[str, Any]:
    """``model`` dumped to plain data with the texts at ``texts``' paths replaced."""
    data = model.model_dump(mode="json")
    for path, text in texts.items():
        _set(data, path.split("."), text)
    return data


def translate_exercise(exercise: Exercise, texts: dict[str, str]) -> Exercise:
    return Exercise.model_validate(translated_data(exercise, texts))


def language_file(language: str) -> tuple[bytes, str]:
    name = f"{language}.json"
    return resources.files("app.catalogue").joinpath("data", "i18n", name).read_bytes(), f"built-in i18n/{name}"


def read_language(raw: bytes, origin: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TranslationError(f"{origin}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
        raise TranslationError(f"{origin}: expected an object with an 'exercises' object")
    return data


def translate_exercises(
    exercises: tuple[Exercise, ...], expected: frozenset[str], data: dict[str, Any], origin: str
) -> tuple[Exercise, ...]:
    """``exercises`` in the file's language; every one must be there, field for field.

    ``expected`` are the slugs the file must translate (the built-in catalogue's); any other is an error.
    """
    table: dict[str, Any] = data["exercises"]
    problems = [
        f"{origin}: exercise {slug!r}: no such exercise in the catalogue" for slug in table if slug not in expected
    ]
    for exercise in exercises:
        if exercise.slug not in table:
            problems.append(f"{origin}: exercise {exercise.slug!r}: missing")
            continue
        problems += check_texts(origin, f"exercise {exercise.slug!r}", text_fields(exercise), table[exercise.slug])
    if problems:
        raise TranslationError("invalid translation:\n  " + "\n  ".join(problems))
    translated = []
    for exercise in exercises:
        try:
            translated.append(translate_exercise(exercise, table[exercise.slug]))
        except ValidationError as exc:
            raise TranslationError(f"{origin}: exercise {exercise.slug!r}: {exc}") from exc
    return tuple(translated)
