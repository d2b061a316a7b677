"""The assessment-test catalogue: which range-of-motion tests we log, how, and how much change is real.

A versioned data file in the package (data/tests.json), validated at load like the exercise catalogue:
a bad file stops the start with a message naming the test and the field. Every reliability figure
says whether it was checked against its source (``verified``); the rest are our conventions.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUILTIN = "tests.json"


class Side(StrEnum):
    left = "left"
    right = "right"


class Method(StrEnum):
    inclinometer = "inclinometer"  # a phone app or a bubble inclinometer
    goniometer = "goniometer"
    tape = "tape"
    visual = "visual"


class Rater(StrEnum):
    self = "self"
    helper = "helper"
    clinician = "clinician"


class Design(StrEnum):
    """Whose measurements a figure compares: the same rater's twice, or two raters'."""

    intra = "intra"
    inter = "inter"


class AssessmentSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    citation: str
    read: str = Field(description="What of the source was read when the figures were taken from it.")


class Plausible(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float
    max: float


class Measure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    unit: Literal["deg", "cm", "nrs", "yes_no"]
    kind: Literal["number", "boolean"]
    required: bool
    plausible: Plausible | None = Field(default=None, description="Values outside it are refused (422).")
    sign: str = Field(description="The sign convention: what positive and negative mean.")
    tighter_is: Literal["higher", "lower"] | None = Field(description="Which direction means tighter (null: yes/no).")
    short_below: float | None = Field(default=None, description="A published 'short' threshold, where there is one.")

    @model_validator(mode="after")
    def _numbers_have_a_range(self) -> Measure:
        if self.kind == "number" and (self.plausible is None or self.tighter_is is None):
            raise ValueError(f"measure {self.name!r}: a number needs a plausible range and tighter_is")
        return self


class Reliability(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method
    design: Design
    mdc95: float = Field(gt=0, description="Minimal detectable change (95%), in the primary measure's unit.")
    icc: float | None
    source: str = Field(description="A key of `sources`.")
    verified: bool = Field(description="True when the MDC95 was read in the source; false for our convention.")
    note: str


class AssessmentTest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9-]{0,63}$")
    name: str
    purpose: str
    measures: tuple[Measure, ...] = Field(min_length=1)
    primary_measure: str
    sides: tuple[Side, ...]
    methods: tuple[Method, ...] = Field(min_length=1)
    raters: tuple[Rater, ...] = Field(min_length=1, description="Who can do it: alone (`self`), a helper, a clinician.")
    how: tuple[str, ...] = Field(min_length=1, description="How to do it, in our own words.")
    controls: tuple[str, ...]
    interpretation: str = Field(description="What a short or tight result means.")
    diagnosis_by_clinician: bool = Field(
        description="A pain-provocation test too: what pain in it means is for a clinician, not this service."
    )
    reliability: tuple[Reliability, ...]
    sources: tuple[str, ...]

    @model_validator(mode="after")
    def _consistent(self) -> AssessmentTest:
        names = [m.name for m in self.measures]
        if len(set(names)) != len(names):
            raise ValueError(f"test {self.code!r}: measure names repeat")
        if self.primary_measure not in names or self.measure(self.primary_measure).kind != "number":
            raise ValueError(f"test {self.code!r}: primary_measure must be one of its numeric measures")
        for method in self.methods:
            for design in Design:
                if self.mdc(method, design) is None:
                    raise ValueError(f"test {self.code!r}: no {design.value}-rater MDC95 for method {method.value!r}")
        return self

    def measure(self, name: str) -> Measure:
        return next(m for m in self.measures if m.name == name)

    def mdc(self, method: Method, design: Design) -> float | None:
        return next((r.mdc95 for r in self.reliability if r.method == method and r.design == design), None)


class AssessmentCatalogue(BaseModel):
    """The whole data file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    sources: dict[str, AssessmentSource]
    tests: tuple[AssessmentTest, ...]

    @model_validator(mode="after")
    def _sources_known(self) -> AssessmentCatalogue:
        codes = [t.code for t in self.tests]
        if len(set(codes)) != len(codes):
            raise ValueError("test codes repeat")
        for test in self.tests:
            for key in (*test.sources, *(r.source for r in test.reliability)):
                if key not in self.sources:
                    raise ValueError(f"test {test.code!r}: unknown source {key!r}")
        return self

    def get(self, code: str) -> AssessmentTest | None:
        return next((t for t in self.tests if t.code == code), None)


class AssessmentCatalogueError(Exception):
    """The data file is not a valid test catalogue."""


def parse(text: str | bytes) -> AssessmentCatalogue:
    try:
        return AssessmentCatalogue.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        raise AssessmentCatalogueError(f"{BUILTIN}: {exc}") from exc


@cache
def load() -> AssessmentCatalogue:
    """The built-in catalogue, read and validated once."""
    return parse(resources.files("app.assessments").joinpath("data", BUILTIN).read_bytes())


@cache
def rendered() -> tuple[bytes, str]:
    """The catalogue's JSON as served, and its strong ETag."""
    body = load().__pydantic_serializer__.to_json(load())
    return body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def markdown() -> str:
    """The README's table of tests: each method's MDC95 for the same rater and another, and whether each
    was read in its source (a test keeps the README equal to this)."""
    lines = [
        "| Test | Measure (unit; tighter is) | Method | MDC95, same rater / another | Read in the source? | Sources |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for test in load().tests:
        measure = test.measure(test.primary_measure)
        for method in test.methods:
            by = {r.design: r for r in test.reliability if r.method == method}
            intra, inter = by[Design.intra], by[Design.inter]
            read = " / ".join("yes" if r.verified else "no: our convention" for r in (intra, inter))
            sources = ", ".join(sorted({intra.source, inter.source}))
            lines.append(
                f"| `{test.code}` | {measure.name} ({measure.unit}; {measure.tighter_is}) | {method.value} | "
                f"{intra.mdc95:g} / {inter.mdc95:g} | {read} | {sources} |"
            )
    return "\n".join(lines) + "\n"
