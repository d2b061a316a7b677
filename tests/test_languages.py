"""Languages: the German translation is complete and checked, and responses follow Accept-Language."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.state import state_of
from app.api.examples.coaching import ADAPT_REQUEST
from app.api import vocabulary
from app.languages import choose_language
from app.catalogue import Catalogue, CatalogueError
from app.catalogue.loader import _builtin_exercises
from app.catalogue.translations import (
    IDENTIFIERS,
    TranslationError,
    language_file,
    read_language,
    text_fields,
    translate_exercises,
)
from app.main import create_app
from app.settings import Settings
from app.workouts import generate, wording
from app.workouts.goals import GOALS
from app.workouts.models import TightSide, WorkoutQuery

GERMAN = {"Accept-Language": "de"}


def german_file() -> dict[str, object]:
    raw, origin = language_file("de")
    return read_language(raw, origin)


# ------------------------------------------------------------ the data file


def test_every_text_of_every_exercise_has_german(catalogue: Catalogue) -> None:
    german = catalogue.in_language("de")
    assert german.language == "de" and german is not catalogue
    for english in catalogue.exercises:
        translated = german.by_slug[english.slug]
        texts, german_texts = text_fields(english), text_fields(translated)
        assert texts, english.slug
        assert set(german_texts) == set(texts), english.slug
        for path, text in texts.items():
            # A sentence left in English is not a translation (short names like "L-sit" may stay close).
            if " " in text and len(text) > 30:
                assert german_texts[path] != text, (english.slug, path)


# Exercise fields that hold only enums, numbers or structure: no text to translate.
NON_TEXT = {"kind", "roles", "muscles", "position", "equipment", "level", "intensity", "mechanics"}
# Fields with text that no built-in exercise fills (media: custom catalogues only, whose texts stay English).
EMPTY_IN_BUILTIN = {"media"}


def test_every_exercise_field_is_text_an_identifier_or_declared_textless(catalogue: Catalogue) -> None:
    """The walk is generic: a new field holding text shows up here and then needs German to load."""
    found = {path.split(".")[0] for e in catalogue.exercises for path in text_fields(e)}
    declared = set(type(catalogue.exercises[0]).model_fields)
    assert {"name", "aliases", "summary", "instructions", "cues", "mistakes", "contraindications", "dose"} <= found
    assert found | (IDENTIFIERS & declared) | NON_TEXT | EMPTY_IN_BUILTIN == declared
    assert not found & NON_TEXT
    assert not any(getattr(e, name) for e in catalogue.exercises for name in EMPTY_IN_BUILTIN)


def _problems(data: dict[str, object]) -> str:
    originals = _builtin_exercises()
    with pytest.raises(TranslationError) as error:
        translate_exercises(originals, frozenset(e.slug for e in originals), data, "i18n/test.json")
    return str(error.value)


def test_a_missing_text_is_a_load_error_naming_file_slug_and_field() -> None:
    data = copy.deepcopy(german_file())
    del data["exercises"]["king-runner"]["contraindications.knee.reason"]
    assert "i18n/test.json: exercise 'king-runner': contraindications.knee.reason: missing" in _problems(data)


def test_a_missing_exercise_and_an_extra_field_are_load_errors() -> None:
    data = copy.deepcopy(german_file())
    del data["exercises"]["l-sit"]
    data["exercises"]["pigeon-pose"]["instructions.9"] = "Zu viel."
    data["exercises"]["no-such-exercise"] = {}
    message = _problems(data)
    assert "exercise 'l-sit': missing" in message
    assert "exercise 'pigeon-pose': instructions.9: no such text field" in message
    assert "exercise 'no-such-exercise': no such exercise in the catalogue" in message


def test_a_text_too_long_for_the_model_is_a_load_error() -> None:
    data = copy.deepcopy(german_file())
    data["exercises"]["l-sit"]["name"] = "L" * 81
    assert "exercise 'l-sit'" in _problems(data)


def _with_texts(catalogue: Catalogue, section: str, key: str, value: str | None) -> Catalogue:
    german = catalogue.in_language("de")
    texts = copy.deepcopy(german.texts)
    if value is None:
        del texts[section][key]
    else:
        texts[section][key] = value
    changed = dataclasses.replace(german, texts=texts)
    return dataclasses.replace(catalogue, translations={"de": changed})


def test_goals_and_workout_sentences_are_complete_and_keep_their_placeholders(catalogue: Catalogue) -> None:
    wording.check(catalogue)  # the shipped file passes
    german = catalogue.in_language("de").texts
    assert set(german["workouts"]) == set(wording.EN)
    for plan in GOALS:
        assert set(german["goals"][plan.goal.value]) == set(wording.goal_texts(plan))
    with pytest.raises(CatalogueError, match="workouts: why: placeholders differ"):
        wording.check(_with_texts(catalogue, "workouts", "why", "{goal}: {exercise} {purpose}."))
    with pytest.raises(CatalogueError, match="workouts: title: missing"):
        wording.check(_with_texts(catalogue, "workouts", "title", None))
    with pytest.raises(CatalogueError, match="goals: 'cardio': no such goal"):
        wording.check(_with_texts(catalogue, "goals", "cardio", "{}"))


def test_vocabulary_labels_are_complete(catalogue: Catalogue) -> None:
    vocabulary.check(catalogue)
    with pytest.raises(CatalogueError, match="vocabulary: muscles.iliacus.label: missing"):
        vocabulary.check(_with_texts(catalogue, "vocabulary", "muscles.iliacus.label", None))


def test_a_german_workout_explains_itself_in_german(catalogue: Catalogue) -> None:
    query = WorkoutQuery(goal="rehab", pain=["knee", "low_back"], pain_level=6, tight_side=TightSide.left, minutes=60)
    english = generate(catalogue, query, 7)
    german = generate(catalogue.in_language("de"), query, 7)
    assert [i.exercise.slug for i in german.items] == [i.exercise.slug for i in english.items]
    assert german.title == "Einheit „Reha“, Stufe Einsteiger"
    for en_item, de_item in zip(english.items, german.items, strict=True):
        assert de_item.why != en_item.why and de_item.why.startswith("Reha, Phase ")
        assert de_item.phase_title != en_item.phase_title or de_item.phase_title == "Isometrisch"
    assert german.safety == [
        "Brich jede Übung ab, die Schmerzen auslöst oder verstärkt.",
        "Wenn es nach einigen Wochen nicht besser wird, lass dich ärztlich oder physiotherapeutisch untersuchen.",
        "Schmerzen heute 6/10 (starke Schmerzen, Schmerzstufe gentle-short): nur sanfte Übungen, in der niedrigsten "
        "Dosis, in einer Einheit von höchstens 15 Minuten. Diese Einheit wird von 60 auf 15 Minuten gekürzt. Solange "
        "es wehtut, gibt es keinen Extrasatz für die engere Seite. Über 5/10 gilt Training im Schmerz-Monitoring-Modell "
        "als risikoreich. Sanfte Übungen halten dich in Bewegung; eine feste Grenze von 15 Minuten (die Hälfte des "
        "Reha-Programms) hält die Einheit kurz, egal wie viel gewünscht war, sodass du leicht aufhören kannst, sobald "
        "die Schmerzen zunehmen.",
        "Übungen, die dein Knie und deinen unteren Rücken belasten würden, sind weggelassen (siehe „omitted“).",
        "Gönn der Hüfte während der Reha eine Pause von dem, was den Schmerz ausgelöst hat "
        "(schnelles Laufen, schweres Heben).",
    ]
    # pain 6/10 cuts the session to 15 minutes, which it fills: no time note (the grade is in `safety`)
    assert german.time_note is None and english.time_note is None
    assert all(i.side_note is None for i in german.items)  # no extra tight-side set from 4/10 (GET /pain-grades)
    assert german.frequency.advice.startswith("Unser Vorschlag:")
    details = {o.slug: o.detail for o in german.omitted}
    assert details["king-runner"].startswith("Knie: Du kniest")
    # Constraints and safety decisions do not depend on the language.
    assert [(o.slug, o.reason) for o in german.omitted] == [(o.slug, o.reason) for o in english.omitted]


# -------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("DE-de", "de"),
        ("en", "en"),
        ("fr", "en"),
        ("*", "en"),
        ("", "en"),
        (None, "en"),
        ("fr, de;q=0.5", "de"),
        ("en;q=0.4, de;q=0.8", "de"),
        ("de;q=0.8, en", "en"),
        ("de;q=0, fr", "en"),
        ("de;q=abc", "en"),
        ("de;q=2", "en"),
        ("de;q=nan", "en"),
        (";;;,,,=", "en"),
        ("de-" + "x" * 600, "en"),
        ("fr-CH, fr;q=0.9, de;q=0.7, *;q=0.5", "de"),
        ("*;q=0.9, de;q=0.8", "en"),
    ],
)
def test_choose_language(header: str | None, language: str) -> None:
    assert choose_language(header) == language


@pytest.fixture(scope="module", params=[True, False], ids=["fast-path", "fastapi"])
def app_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue
) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("languages")
    settings_ = Settings(database_url=f"sqlite:///{folder / 'hipflex.db'}", fast_path=request.param)
    with TestClient(create_app(settings_, catalogue=catalogue)) as client:
        yield client


LOCALISED_URLS = [
    "/exercises",
    "/exercises?q=taube",
    "/exercises/king-runner",
    "/vocabulary",
    "/goals",
    "/workouts?goal=rehab&pain=knee&seed=3",
    "/workouts?goal=rehab&pain_level=8&seed=3",
    "/workouts?goal=strength&pain_level=5&minutes=8&level=advanced&seed=3",
    "/pain-grades",
    "/screening",
]


@pytest.mark.parametrize("url", LOCALISED_URLS)
def test_german_responses_differ_and_say_so(app_client: TestClient, url: str) -> None:
    english = app_client.get(url)
    german = app_client.get(url, headers=GERMAN)
    assert english.status_code == 200 and german.status_code == 200
    assert german.headers["content-language"] == "de"
    assert english.headers["content-language"] == "en"
    for response in (english, german):
        assert "Accept-Language" in response.headers["vary"]
    assert german.content != english.content


def test_german_exercise_in_full(app_client: TestClient) -> None:
    body = app_client.get("/exercises/king-runner", headers=GERMAN).json()
    assert body["name"] == "King-Runner-Dehnung"
    assert body["instructions"][0].startswith("Knie dich")
    english = app_client.get("/exercises/king-runner").json()
    assert [c["flag"] for c in body["contraindications"]] == [c["flag"] for c in english["contraindications"]]
    assert body["slug"] == "king-runner" and body["level"] == "intermediate"  # identifiers stay as they are


def test_search_finds_german_and_english_names_in_german(app_client: TestClient) -> None:
    for q in ("taube", "pigeon"):
        items = app_client.get(f"/exercises?q={q}", headers=GERMAN).json()["items"]
        assert [i["slug"] for i in items] == ["pigeon-pose"], q
    assert app_client.get("/exercises?q=taube").json()["items"] == []  # English search stays English


@pytest.mark.parametrize("url", ["/exercises", "/exercises/core-brace", "/vocabulary"])
def test_etag_differs_per_language_and_304_works_per_language(app_client: TestClient, url: str) -> None:
    english = app_client.get(url)
    german = app_client.get(url, headers=GERMAN)
    assert english.headers["etag"] != german.headers["etag"]
    assert german.headers["etag"].endswith(('-de"', '-de-gzip"'))  # -gzip: httpx asks for gzip (see test_delivery)
    again = app_client.get(url, headers={**GERMAN, "If-None-Match": german.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["content-language"] == "de" and "Accept-Language" in again.headers["vary"]
    # The English tag does not validate the German representation, nor the other way round.
    assert app_client.get(url, headers={**GERMAN, "If-None-Match": english.headers["etag"]}).status_code == 200
    assert app_client.get(url, headers={"If-None-Match": german.headers["etag"]}).status_code == 200
    assert app_client.get(url, headers={"If-None-Match": english.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("header", ["fr", "*", "de;q=oops", ",,;", "x" * 2000, "en-GB"])
def test_unsupported_or_malformed_languages_get_english(app_client: TestClient, header: str) -> None:
    english = app_client.get("/exercises/l-sit")
    response = app_client.get("/exercises/l-sit", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert response.headers["content-language"] == "en"
    assert response.content == english.content


def test_problem_titles_follow_the_language(app_client: TestClient) -> None:
    missing = app_client.get("/exercises/no-such-thing", headers=GERMAN)
    assert missing.status_code == 404
    assert missing.json()["title"] == "Nicht gefunden"
    assert missing.headers["content-language"] == "de" and "Accept-Language" in missing.headers["vary"]
    invalid = app_client.get("/workouts?minutes=1", headers=GERMAN)
    assert invalid.status_code == 422
    assert invalid.json()["title"] == "Ungültige Anfrage"
    query = "goal=warmup&pain=knee,wrist&pain_level=6&equipment=no_wall&exclude=front-line-opener"
    impossible = app_client.get(f"/workouts?{query}", headers=GERMAN)
    assert impossible.status_code == 422
    assert impossible.json()["title"] == "Zu diesen Vorgaben passt kein Workout"
    english = app_client.get("/exercises/no-such-thing", headers={"Accept-Language": "fr"})
    assert english.json()["title"] == "Not Found" and english.headers["content-language"] == "en"


def test_the_english_bytes_do_not_change_with_a_header(app_client: TestClient) -> None:
    for url in LOCALISED_URLS:
        plain = app_client.get(url)
        asked = app_client.get(url, headers={"Accept-Language": "en-US,en;q=0.9"})
        assert plain.content == asked.content, url
        assert plain.headers.get("etag") == asked.headers.get("etag"), url
        assert asked.headers["content-language"] == "en", url


# ------------------------------------------------- fast path == FastAPI path


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Iterator[tuple[TestClient, TestClient]]:
    folder: Path = tmp_path_factory.mktemp("languages-both")
    fast = create_app(Settings(database_url=f"sqlite:///{folder / 'fast.db'}", fast_path=True), catalogue=catalogue)
    slow = create_app(Settings(database_url=f"sqlite:///{folder / 'slow.db'}", fast_path=False), catalogue=catalogue)
    with TestClient(fast) as fast_client, TestClient(slow) as slow_client:
        yield fast_client, slow_client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    url=st.sampled_from([*LOCALISED_URLS, "/exercises?kind=stretch&limit=3", "/workouts?goal=strength&seed=9"]),
    language=st.sampled_from([None, "de", "en", "fr", "*", "de-CH;q=0.5, en;q=0.9", "de;q=x", "en;q=0.1, de"]),
    revalidate=st.booleans(),
)
def test_fast_and_slow_paths_choose_the_same_language(
    both: tuple[TestClient, TestClient], url: str, language: str | None, revalidate: bool
) -> None:
    headers = {"Accept-Language": language} if language is not None else {}
    if revalidate:
        chosen = state_of(both[1].app).catalogue.in_language(choose_language(language))
        headers["If-None-Match"] = chosen.etag
    fast, slow = (client.get(url, headers=headers) for client in both)
    assert fast.status_code == slow.status_code, url
    assert fast.content == slow.content, url
    for name in ("content-language", "vary", "etag", "x-catalogue-version"):
        assert fast.headers.get(name) == slow.headers.get(name), (url, name)


def test_the_language_file_is_valid_json_with_the_expected_sections() -> None:
    raw, _ = language_file("de")
    data = json.loads(raw)
    assert set(data) == {"language", "exercises", "goals", "workouts", "vocabulary", "problems"}
    assert data["language"] == "de"


def test_an_adapted_workout_tells_the_tight_side_in_the_workouts_language(app_client: TestClient) -> None:
    body = {**ADAPT_REQUEST, "tight_side": "left"}
    notes = {}
    for language in ("en", "de"):
        response = app_client.post("/workouts/adapt", json=body, headers={"Accept-Language": language})
        assert response.status_code == 200, response.text
        adapted = [i for i in response.json()["items"] if i["adaptation"]["action"] != "new" and i["side_note"]]
        assert adapted, "the example should adapt a per-side exercise"
        notes[language] = adapted[0]["side_note"]
    assert notes["en"].startswith("Your left side is tight")
    assert notes["de"].startswith("Deine linke Seite ist enger")
