"""Pain today, 0-10, graded as one table: what each band of the scale changes in a session.

Each row is a rule: the band it covers, what it does (the most intense work
allowed, whether doses drop to the bottom of their range, a cap on minutes,
whether there is a session at all), the reason the user is shown and its
source. The generator reads only this table; nothing else branches on the
pain level. The bands are the product's (issue 9); the pain-monitoring model
they lean on is Silbernagel et al.'s, where up to 5/10 during exercise is
acceptable if it settles by the next morning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.catalogue.models import Intensity
from app.workouts.models import PainGradeInfo

SILBERNAGEL = (
    "Silbernagel KG, Thomee R, Eriksson BI, Karlsson J. Continued sports activity, using a pain-monitoring model, "
    "during rehabilitation in patients with Achilles tendinopathy. Am J Sports Med 2007;35(6):897-906"
)
NICE_HIP = "NICE Clinical Knowledge Summaries: Hip pain in adults (assessment and referral)"

INTENSITY_RANK = {Intensity.gentle: 0, Intensity.moderate: 1, Intensity.intense: 2}


@dataclass(frozen=True)
class PainGrade:
    id: str
    low: int  # the band covers low..high, inclusive
    high: int
    max_intensity: Intensity  # nothing more intense is chosen
    bottom_dose: bool  # every dose at the bottom of its range, with no extra sets
    max_minutes: int | None  # the session is capped at this many minutes
    session: bool  # False: no training session, a referral instead
    label: str
    effect: str  # what the grade does, told to the user
    reason: str
    source: str
    own_design: bool

    def allows(self, intensity: Intensity) -> bool:
        return INTENSITY_RANK[intensity] <= INTENSITY_RANK[self.max_intensity]


PAIN_GRADES: tuple[PainGrade, ...] = (
    PainGrade(
        id="as-prescribed",
        low=0,
        high=3,
        max_intensity=Intensity.intense,
        bottom_dose=False,
        max_minutes=None,
        session=True,
        label="Little or no pain",
        effect="the session is as prescribed for your level",
        reason="Mild pain that settles by the next morning is compatible with training as planned.",
        source=SILBERNAGEL,
        own_design=False,
    ),
    PainGrade(
        id="ease-off",
        low=4,
        high=5,
        max_intensity=Intensity.moderate,
        bottom_dose=True,
        max_minutes=None,
        session=True,
        label="Moderate pain",
        effect="nothing intense, and every dose at the bottom of its range",
        reason=(
            "4-5/10 is the top of the acceptable zone: keep training, but lower the load so the pain does not "
            "climb during the session or the next morning."
        ),
        source=f"{SILBERNAGEL}; bottom-of-range doses are our own design",
        own_design=True,
    ),
    PainGrade(
        id="gentle-short",
        low=6,
        high=7,
        max_intensity=Intensity.gentle,
        bottom_dose=True,
        max_minutes=15,
        session=True,
        label="High pain",
        effect="gentle exercises only, at the bottom dose, in a session of at most 15 minutes",
        reason=(
            "Above 5/10 the pain-monitoring model calls training high-risk. Gentle work keeps you moving; a fixed "
            "15-minute cap (half the rehab protocol) keeps the total short whatever was asked, so it is easy to "
            "stop the moment pain rises."
        ),
        source=f"{SILBERNAGEL}; the 15-minute cap is our own design",
        own_design=True,
    ),
    PainGrade(
        id="refer",
        low=8,
        high=10,
        max_intensity=Intensity.gentle,
        bottom_dose=True,
        max_minutes=0,
        session=False,
        label="Severe pain",
        effect="no training session: see a clinician first",
        reason=(
            "Pain this severe needs to be assessed before it is trained: in the hip and groin it can come from a "
            "stress fracture, a hernia, an infection or the spine, which exercise cannot help and may hide. We "
            "give no session at all, not even breathing drills, so the only action offered is the right one."
        ),
        source=f"{NICE_HIP}; giving no session is our own design",
        own_design=True,
    ),
)

_BY_LEVEL = {level: grade for grade in PAIN_GRADES for level in range(grade.low, grade.high + 1)}


def grade(pain_level: int) -> PainGrade:
    """The row covering ``pain_level`` (0-10); the table covers every level exactly once (tested)."""
    return _BY_LEVEL[pain_level]


def describe(row: PainGrade, table: Mapping[str, str]) -> PainGradeInfo:
    """The row as the API shows it, its texts from ``table`` (``wording.words``: the user's language)."""
    return PainGradeInfo(
        id=row.id,
        low=row.low,
        high=row.high,
        label=table[f"grade.{row.id}.label"],
        effect=table[f"grade.{row.id}.effect"],
        max_intensity=row.max_intensity,
        bottom_dose=row.bottom_dose,
        max_minutes=row.max_minutes,
        session=row.session,
        reason=table[f"grade.{row.id}.reason"],
        source=row.source,
        own_design=row.own_design,
    )


def markdown() -> str:
    """The README's pain-grade table, from ``PAIN_GRADES``."""
    lines = [
        "| Grade | Pain | Most intense work | Doses | Minutes | Session | Source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in PAIN_GRADES:
        cap = "no cap" if row.max_minutes is None else f"at most {row.max_minutes}"
        lines.append(
            f"| `{row.id}` | {row.low}-{row.high}/10 | {row.max_intensity.value} | "
            f"{'bottom of range' if row.bottom_dose else 'as prescribed'} | {cap} | "
            f"{'yes' if row.session else 'no: a referral'} | {row.source} |"
        )
    return "\n".join(lines) + "\n"
