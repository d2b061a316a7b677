"""What a client sends and gets back for an assessment, and the check of a body against its test.

The body's shape is checked by Pydantic; what depends on the test (its sides, measures, units,
plausible ranges and methods) by ``check``, which names every offending field, so a bad reading is a
422 that says where, and nothing is stored.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from app.assessments.catalogue import AssessmentCatalogue, AssessmentTest, Method, Rater, Side
from app.logs.schemas import MAX_NOTES, NO_NUL, CleanStr, Instant, Pain

MAX_TRIALS_A_SIDE = 3
MAX_TRIALS = 2 * MAX_TRIALS_A_SIDE
TEST_CODE_PATTERN = r"^[a-z][a-z0-9-]{0,63}$"

EXAMPLE: dict[str, Any] = {
    "test": "modified-thomas-hip",
    "performed_at": "2026-11-21T08:30:00+01:00",
    "method": "inclinometer",
    "rater": "self",
    "controls": {"pelvis_stabilised": True, "lumbar_flat": True},
    "pain": 0,
    "notes": "Phone on the mid-thigh, knee hugged in.",
    "trials": [
        {"side": "left", "thigh_angle": -8},
        {"side": "left", "thigh_angle": -7},
        {"side": "right", "thigh_angle": 4},
        {"side": "right", "thigh_angle": 5},
    ],
}


class Trial(BaseModel):
    """One reading: the side, and the test's measures by their catalogue names (GET /assessment-tests)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": {"anyOf": [{"type": "number"}, {"type": "boolean"}]},
            "examples": [{"side": "left", "thigh_angle": -8}, {"side": "right", "knee_flexion": 62, "hip_rise": True}],
        },
    )
    __pydantic_extra__: dict[str, StrictFloat | StrictInt | StrictBool] = Field(init=False)

    side: Side | None = Field(default=None, description="`left` or `right`: required by every test that has sides.")

    def values(self) -> dict[str, float | bool]:
        return dict(self.__pydantic_extra__ or {})


class Controls(BaseModel):
    """How the test was controlled: it decides whether a reading means what it seems to."""

    model_config = ConfigDict(extra="forbid")

    pelvis_stabilised: StrictBool | None = Field(default=None, description="The pelvis was held or strapped still.")
    lumbar_flat: StrictBool | None = Field(default=None, description="The low back stayed flat on the table.")


Units = dict[
    StrictStr,
    StrictStr,
]


class AssessmentCreate(BaseModel):
    """One session of one test: its trials, side by side."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    test: StrictStr = Field(pattern=TEST_CODE_PATTERN, max_length=64, description="A code of GET /assessment-tests.")
    performed_at: Instant = Field(description="When, with a time zone offset.")
    method: Method
    rater: Rater = Field(description="Who measured: `self`, a `helper` or a `clinician`.")
    controls: Controls = Field(default_factory=Controls)
    pain: Pain | None = Field(default=None, description="Pain during the test, 0-10. 4 or more: see a clinician.")
    notes: CleanStr | None = Field(default=None, max_length=MAX_NOTES, json_schema_extra=NO_NUL)
    trials: list[Trial] = Field(min_length=1, max_length=MAX_TRIALS, description="At most 3 a side.")
    units: Units | None = Field(
        default=None,
        max_length=8,
        description="Optional: the unit of each measure, to be checked against the test's (`deg`, `cm`, `nrs`).",
    )


def _never_null(schema: dict[str, Any]) -> None:
    """The document says what the route does (issue 23): the field may be left out, never null."""
    schema.pop("default", None)
    kinds = schema.pop("anyOf", None)
    if kinds is not None:
        (kind,) = [k for k in kinds if k != {"type": "null"}]
        schema.update(kind)


class AssessmentUpdate(BaseModel):
    """The fields to change; `trials` replaces them all. The test itself cannot change: delete and post."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"pain": 2, "notes": "Re-read."}]})

    performed_at: Instant | None = Field(default=None, json_schema_extra=_never_null)
    method: Method | None = Field(default=None, json_schema_extra=_never_null)
    rater: Rater | None = Field(default=None, json_schema_extra=_never_null)
    controls: Controls | None = Field(default=None, json_schema_extra=_never_null)
    pain: Pain | None = None
    notes: CleanStr | None = Field(default=None, max_length=MAX_NOTES, json_schema_extra=NO_NUL)
    trials: list[Trial] | None = Field(default=None, min_length=1, max_length=MAX_TRIALS, json_schema_extra=_never_null)
    units: Units | None = Field(default=None, max_length=8)

    @model_validator(mode="after")
    def _never_null_if_given(self) -> AssessmentUpdate:
        for name in ("performed_at", "method", "rater", "controls", "trials"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may be left out, never null")
        return self


class AssessmentPublic(BaseModel):
    """A stored assessment."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0f5e2b7c-3d4a-4f7e-9a51-7f4c1b2d9e10",
                    "user_id": "user-1842",
                    **{k: v for k, v in EXAMPLE.items() if k != "performed_at"},
                    "performed_at": "2026-11-21T07:30:00Z",
                    "created_at": "2026-11-21T07:41:12.118402Z",
                    "updated_at": "2026-11-21T07:41:12.118402Z",
                }
            ]
        }
    )

    id: str
    user_id: str
    test: str
    performed_at: datetime
    method: Method
    rater: Rater
    controls: Controls
    pain: int | None
    notes: str | None
    trials: list[dict[str, str | float | bool]]
    created_at: datetime
    updated_at: datetime


class AssessmentPage(BaseModel):
    """One page of assessments, newest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": AssessmentPublic.model_config["json_schema_extra"]["examples"],  # type: ignore[index]
                    "next": "/users/user-1842/assessments?limit=1"
                    "&cursor=1795156200000000.0f5e2b7c3d4a4f7e9a517f4c1b2d9e10",
                }
            ]
        }
    )

    items: list[AssessmentPublic]
    next: str | None = Field(
        description="Absolute URL of the next page (also in the `Link` header), or null on the last one."
    )


class Invalid(Exception):
    """A body that does not fit its test: (field, message) pairs, in body order."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors[0][1])
        self.errors = errors


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_trials(test: AssessmentTest, trials: list[Trial]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    by_name = {m.name: m for m in test.measures}
    per_side: dict[Side | None, int] = {}
    for i, trial in enumerate(trials):
        where = f"trials.{i}"
        if test.sides and trial.side is None:
            errors.append((f"{where}.side", f"{test.code} is measured per side: give `left` or `right`"))
        elif trial.side is not None and trial.side not in test.sides:
            errors.append((f"{where}.side", f"{test.code} has no {trial.side.value} side"))
        per_side[trial.side] = per_side.get(trial.side, 0) + 1
        values = trial.values()
        for name, value in values.items():
            measure = by_name.get(name)
            if measure is None:
                known = ", ".join(by_name)
                errors.append((f"{where}.{name}", f"not a measure of {test.code} (its measures: {known})"))
            elif measure.kind == "boolean":
                if not isinstance(value, bool):
                    errors.append((f"{where}.{name}", "must be true or false"))
            elif not _number(value) or not math.isfinite(value):
                errors.append((f"{where}.{name}", f"must be a finite number of {measure.unit}"))
            elif measure.plausible is not None and not measure.plausible.min <= value <= measure.plausible.max:
                low, high = measure.plausible.min, measure.plausible.max
                message = f"must be {low:g} to {high:g} {measure.unit} (outside is not a plausible reading)"
                errors.append((f"{where}.{name}", message))
        for measure in test.measures:
            if measure.required and measure.name not in values:
                errors.append((f"{where}.{measure.name}", f"required by {test.code}"))
    for side, count in per_side.items():
        if count > MAX_TRIALS_A_SIDE:
            errors.append(("trials", f"at most {MAX_TRIALS_A_SIDE} trials a side ({count} for {side or 'no side'})"))
    return errors


def check_units(test: AssessmentTest, units: dict[str, str] | None) -> list[tuple[str, str]]:
    errors = []
    for name, unit in (units or {}).items():
        measure = next((m for m in test.measures if m.name == name), None)
        if measure is None:
            errors.append((f"units.{name}", f"not a measure of {test.code}"))
        elif unit != measure.unit:
            errors.append((f"units.{name}", f"must be {measure.unit!r}: {test.code} measures {name} in {measure.unit}"))
    return errors


def check(catalogue: AssessmentCatalogue, body: AssessmentCreate) -> AssessmentTest:
    """The body's test, if every trial fits it; else ``Invalid`` naming each field."""
    test = catalogue.get(body.test)
    if test is None:
        raise Invalid([("test", f"unknown test {body.test!r} (GET /assessment-tests lists them)")])
    errors = []
    if body.method not in test.methods:
        allowed = ", ".join(m.value for m in test.methods)
        errors.append(("method", f"{test.code} is measured by {allowed}"))
    errors += check_trials(test, body.trials)
    errors += check_units(test, body.units)
    if errors:
        raise Invalid(errors)
    return test


def stored_trials(trials: list[Trial]) -> list[dict[str, Any]]:
    """Trials as kept: the side first, then the measures as given."""
    return [{**({"side": t.side.value} if t.side is not None else {}), **t.values()} for t in trials]
