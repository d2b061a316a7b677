"""The API document (`/openapi.json`): FastAPI's, plus what generators, linters and readers need.

Conventions here are enforced over every route by tests/test_service.py: operationIds are the
route names, public operations say `security: []`, and every 2xx JSON answer has an example.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app import problems
from app.api import exercises, pain_grades, screening, vocabulary, workouts
from app.api.representations import rendered
from app.catalogue import Catalogue
from app.catalogue.models import Goal
from app.state import state_of
from app.workouts import WorkoutImpossible, WorkoutQuery, generate_json

# No licence is declared for hipflex: the document says so rather than implying an open one
# (`LicenseRef-` is SPDX's form for a licence that is not on its list).
LICENSE = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
CONTACT = {"name": "hipflex maintainers", "url": "https://hipflex.dev"}
# Relative, so the document is the same wherever the service runs (and in openapi.json).
SERVERS = [{"url": "/", "description": "The server this document came from."}]
EXAMPLE_SEED = 42


def build(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the problem schema every error points at and live examples."""
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=SERVERS,
        license_info=LICENSE,
        contact=CONTACT,
        separate_input_output_schemas=False,
    )
    problem = problems.ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(problem.pop("$defs", {}))
    components["ProblemDetail"] = problem
    catalogue = state_of(app).catalogue
    components.update(exercises.document_components(catalogue))
    _mark_public(schema)
    for (method, path), example in live_examples(catalogue).items():
        operation = schema["paths"].get(path, {}).get(method)
        if operation is not None:
            operation["responses"]["200"]["content"]["application/json"]["example"] = example
    return schema


def _mark_public(schema: dict[str, Any]) -> None:
    """`security: []` on every operation that needs no key, so linters and clients know it is public."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            operation.setdefault("security", [])


# Where the examples' absolute links start (a real deployment's come from HIPFLEX_PUBLIC_URL or the request).
EXAMPLE_BASE = "https://hipflex.example"


def live_examples(catalogue: Catalogue) -> dict[tuple[str, str], Any]:
    """Real answers of this catalogue, so the examples cannot drift from what the API says."""
    pages = rendered(catalogue)
    first = catalogue.exercises[0].slug
    page_query = exercises.ExerciseQuery(limit=2)
    found: dict[tuple[str, str], Any] = {
        ("get", "/exercises"): json.loads(
            exercises.render_page(catalogue, page_query, [("limit", "2")], EXAMPLE_BASE)[0]
        ),
        ("get", "/exercises/{slug}"): json.loads(pages.details[first]),
        ("get", "/vocabulary"): json.loads(vocabulary.build(catalogue).model_dump_json()),
        ("get", "/goals"): json.loads(workouts.goals_body(catalogue)[0]),
        ("get", "/pain-grades"): json.loads(pain_grades.body()),
        ("get", "/screening"): json.loads(screening.body()),
    }
    try:
        workout = generate_json(catalogue, WorkoutQuery(goal=Goal.mobility, minutes=15), EXAMPLE_SEED)
    except WorkoutImpossible:  # a custom catalogue may have nothing for it; the document still builds
        return found
    found[("get", "/workouts")] = json.loads(workout)
    return found
