"""Load, validate and index the catalogue data file.

A malformed file raises ``CatalogueError`` whose message names the file, the
exercise (by slug) and the field, so a bad deploy stops with a useful line.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from app.catalogue.models import (
    Advice,
    AssumedEquipment,
    CatalogueFile,
    Equipment,
    Exercise,
    Muscle,
    PainFlag,
    Principle,
    Source,
)
from app.catalogue.translations import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    CatalogueError,
    TranslationError,
    language_file,
    read_language,
    translate_exercises,
)

BUILTIN = "exercises.json"
_EQUIPMENT = frozenset(e.value for e in Equipment)


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a string, for search."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True, eq=False)  # identity equality: usable as a cache key
class Catalogue:
    """An immutable, indexed catalogue. Build it with ``load_catalogue``."""

    version: str
    sources: dict[str, Source]
    exercises: tuple[Exercise, ...]
    by_slug: dict[str, Exercise] = field(repr=False)
    # what each exercise can be searched by: folded name and aliases
    search_terms: dict[str, tuple[str, ...]] = field(repr=False)
    etag: str = ""
    principles: tuple[Principle, ...] = ()
    assumed_equipment: tuple[AssumedEquipment, ...] = ()
    advice: tuple[Advice, ...] = ()
    language: str = "en"
    # The language file's other sections (goals, workouts, vocabulary, problems); empty for English.
    texts: dict[str, Any] = field(default_factory=dict, repr=False)
    # The same catalogue in each other language, built and validated at load; see ``in_language``.
    translations: dict[str, Catalogue] = field(default_factory=dict, repr=False)

    def in_language(self, language: str) -> Catalogue:
        """This catalogue in ``language``; English (this object) when there is no such translation."""
        return self.translations.get(language, self)

    def get(self, slug: str) -> Exercise | None:
        return self.by_slug.get(slug)

    def equipment_option(self, exercise: Exercise, have: frozenset[Equipment]) -> list[Equipment] | None:
        """The richest equipment option the user's kit covers (first on a tie), or None.

        Richest, because an optional aid the user owns (parallettes for an
        L-sit) is worth using when the exercise also works without it.
        """
        best: list[Equipment] | None = None
        for option in exercise.equipment:
            if have.issuperset(option) and (best is None or len(option) > len(best)):
                best = option
        return best

    def kit(self, declared: Iterable[str]) -> frozenset[Equipment]:
        """What a user has: what they declared (``none`` means nothing) plus what is assumed, unless they opt out."""
        said = {str(e) for e in declared}
        have = {Equipment(e) for e in said if e in _EQUIPMENT}
        have.update(a.item for a in self.assumed_equipment if a.opt_out not in said)
        return frozenset(have)

    def muscles_used(self) -> set[Muscle]:
        return {m for e in self.exercises for m in (*e.muscles.primary, *e.muscles.secondary)}

    def flags_used(self) -> set[PainFlag]:
        return {c.flag for e in self.exercises for c in e.contraindications}


def _locate(errors: list[Any], raw: dict[str, Any]) -> list[str]:
    """Turn Pydantic error locations into 'exercise <slug>: field: message' lines."""
    lines = []
    exercises = raw.get("exercises") if isinstance(raw, dict) else None
    for error in errors:
        loc = list(error["loc"])
        where = ".".join(str(p) for p in loc) or "<file>"
        if len(loc) >= 2 and loc[0] == "exercises" and isinstance(loc[1], int) and isinstance(exercises, list):
            index = loc[1]
            item = exercises[index] if index < len(exercises) else None
            slug = item.get("slug") if isinstance(item, dict) else None
            name = f"exercise {slug!r}" if slug else f"exercise #{index}"
            where = f"{name}: " + (".".join(str(p) for p in loc[2:]) or "<record>")
        lines.append(f"{where}: {error['msg']}")
    return lines


def _check_references(data: CatalogueFile) -> list[str]:
    problems = []
    seen: set[str] = set()
    for exercise in data.exercises:
        if exercise.slug in seen:
            problems.append(f"exercise {exercise.slug!r}: slug: appears more than once")
        seen.add(exercise.slug)
    source_ids = {s.id for s in data.sources}
    for exercise in data.exercises:
        for field_name in ("regressions", "progressions"):
            for ref in getattr(exercise, field_name):
                if ref not in seen:
                    problems.append(f"exercise {exercise.slug!r}: {field_name}: unknown slug {ref!r}")
        if exercise.variant_of is not None and exercise.variant_of not in seen:
            problems.append(f"exercise {exercise.slug!r}: variant_of: unknown slug {exercise.variant_of!r}")
        for ref in exercise.sources:
            if ref.source not in source_ids:
                problems.append(f"exercise {exercise.slug!r}: sources: unknown source {ref.source!r}")
        for c in exercise.contraindications:
            if c.source not in source_ids:
                problems.append(f"exercise {exercise.slug!r}: contraindications: unknown source {c.source!r}")
    return problems + _check_families(data) + _check_principles(data, source_ids)


def _check_families(data: CatalogueFile) -> list[str]:
    """Variants share their family, so the generator can keep one of a family per session."""
    by_slug = {e.slug: e for e in data.exercises}
    problems = []
    for exercise in data.exercises:
        base = by_slug.get(exercise.variant_of or "")
        if base is not None and base.family != exercise.family:
            problems.append(
                f"exercise {exercise.slug!r}: family: {exercise.family!r} differs from its variant_of's {base.family!r}"
            )
    return problems


def _check_principles(data: CatalogueFile, source_ids: set[str]) -> list[str]:
    """Every principle holds for every exercise: its mechanic brings its flag, with a reason."""
    problems = []
    for principle in data.principles:
        problems += [
            f"principle {principle.id!r}: sources: unknown source {ref.source!r}"
            for ref in principle.sources
            if ref.source not in source_ids
        ]
        for exercise in data.exercises:
            if principle.mechanic in exercise.mechanics and exercise.ruled_out_by(principle.flag) is None:
                problems.append(
                    f"exercise {exercise.slug!r}: contraindications: {principle.mechanic.value} needs the "
                    f"{principle.flag.value!r} flag (principle {principle.id!r})"
                )
    ids = {p.id for p in data.principles}
    for exercise in data.exercises:
        for c in exercise.contraindications:
            if c.principle is not None and c.principle not in ids:
                problems.append(f"exercise {exercise.slug!r}: contraindications: unknown principle {c.principle!r}")
    for assumed in data.assumed_equipment:
        if assumed.source not in source_ids:
            problems.append(f"assumed_equipment {assumed.item.value!r}: unknown source {assumed.source!r}")
    for advice in data.advice:
        unknown = [r.source for r in advice.sources if r.source not in source_ids]
        problems += [f"advice {advice.id!r}: unknown source {source!r}" for source in unknown]
    return problems


def _fail(origin: str, problems: list[str]) -> CatalogueError:
    return CatalogueError(f"{origin}: invalid catalogue:\n  " + "\n  ".join(problems))


def parse(raw_bytes: bytes, origin: str) -> CatalogueFile:
    """Validate one catalogue file's schema; ``origin`` names it in errors."""
    try:
        raw = json.loads(raw_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"{origin}: not valid JSON: {exc}") from exc
    try:
        return CatalogueFile.model_validate(raw)
    except ValidationError as exc:
        raise _fail(origin, _locate(exc.errors(), raw)) from exc


def _merge(base: CatalogueFile, extra: CatalogueFile, origin: str) -> CatalogueFile:
    """The built-in catalogue extended by a custom file; a clash is an error."""
    slugs = {b.slug for b in base.exercises}
    source_ids = {b.id for b in base.sources}
    clashes = [
        f"exercise {e.slug!r}: slug: already in the built-in catalogue" for e in extra.exercises if e.slug in slugs
    ]
    clashes += [f"source {s.id!r}: id: already in the built-in catalogue" for s in extra.sources if s.id in source_ids]
    if clashes:
        raise _fail(origin, clashes)
    return CatalogueFile.model_construct(
        version=f"{base.version}+{extra.version}",
        sources=[*base.sources, *extra.sources],
        principles=[*base.principles, *extra.principles],
        assumed_equipment=[*base.assumed_equipment, *extra.assumed_equipment],
        advice=[*base.advice, *extra.advice],
        exercises=[*base.exercises, *extra.exercises],
    )


def build(data: CatalogueFile, digest_parts: Iterable[bytes]) -> Catalogue:
    digest = hashlib.sha256()
    for part in digest_parts:
        digest.update(part)
    exercises = tuple(data.exercises)
    return Catalogue(
        version=data.version,
        sources={s.id: s for s in data.sources},
        exercises=exercises,
        by_slug={e.slug: e for e in exercises},
        search_terms={
            e.slug: tuple(fold(t) for t in (e.name, *e.aliases, e.slug.replace("-", " "))) for e in exercises
        },
        etag=f'"{data.version}-{digest.hexdigest()[:16]}"',
        principles=tuple(data.principles),
        assumed_equipment=tuple(data.assumed_equipment),
        advice=tuple(data.advice),
    )


def builtin_bytes() -> bytes:
    return resources.files("app.catalogue").joinpath("data", BUILTIN).read_bytes()


def load_catalogue(custom: Path | None = None, mode: Literal["extend", "replace"] = "extend") -> Catalogue:
    """The built-in catalogue, extended or replaced by the file at ``custom``."""
    builtin = builtin_bytes()
    origin = f"built-in {BUILTIN}"
    data = parse(builtin, origin)
    parts = [builtin]
    if custom is not None:
        try:
            raw = custom.read_bytes()
        except OSError as exc:
            raise CatalogueError(f"{custom}: cannot read: {exc.strerror}") from exc
        extra = parse(raw, str(custom))
        origin = str(custom)
        data, parts = (_merge(data, extra, origin), [builtin, raw]) if mode == "extend" else (extra, [raw])
    problems = _check_references(data)
    if problems:
        raise _fail(origin, problems)
    catalogue = build(data, parts)
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            catalogue.translations[language] = _translated(catalogue, language, parts, builtin=mode == "extend")
    return catalogue


def _translated(english: Catalogue, language: str, parts: list[bytes], builtin: bool) -> Catalogue:
    """``english`` with the built-in language file applied.

    Every built-in exercise must be translated field for field, or the load fails. A custom file's
    own exercises (and every exercise of a catalogue that replaces the built-in one) stay English.
    """
    raw, origin = language_file(language)
    try:
        data = read_language(raw, origin)
        # The file is always checked against the built-in catalogue it translates.
        originals = _builtin_exercises()
        translated = translate_exercises(originals, frozenset(e.slug for e in originals), data, origin)
        by_slug = {e.slug: e for e in translated} if builtin else {}
    except TranslationError as exc:
        raise CatalogueError(str(exc)) from exc
    exercises = tuple(by_slug.get(e.slug, e) for e in english.exercises)
    digest = hashlib.sha256()
    for part in (*parts, raw):
        digest.update(part)
    # replace(): every other field (principles, assumptions, advice...) stays the English catalogue's.
    return replace(
        english,
        exercises=exercises,
        by_slug={e.slug: e for e in exercises},
        # either language's names find an exercise
        search_terms={
            e.slug: (*(fold(t) for t in (e.name, *e.aliases)), *english.search_terms[e.slug]) for e in exercises
        },
        etag=f'"{english.version}-{digest.hexdigest()[:16]}-{language}"',
        language=language,
        texts={k: v for k, v in data.items() if k != "exercises"},
        translations={},
    )


@lru_cache(maxsize=1)
def _builtin_exercises() -> tuple[Exercise, ...]:
    return tuple(parse(builtin_bytes(), f"built-in {BUILTIN}").exercises)
