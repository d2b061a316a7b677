"""Contraindications that depend on more than one thing the user told us: rules as data.

A pain flag alone rules an exercise out through the catalogue's own
``contraindications``. Some work is only unsafe in combination: a long lever
on the hip flexors is fine for a pain-free user, but not with pain of 4/10 or
more whose site we do not know, nor with a pinch at the front of the hip.
Each row names the mechanics it covers (``Mechanic``), when it applies, the
reason told in ``omitted`` (its words are ``caution.<id>`` in the wording
table), and its source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.catalogue.models import Mechanic, PainFlag

WARWICK = (
    "Griffin DR et al. The Warwick Agreement on femoroacetabular impingement syndrome (FAI syndrome): an "
    "international consensus statement. Br J Sports Med 2016;50(19):1169-1176"
)
MCGILL = "McGill S. Low Back Disorders: Evidence-Based Prevention and Rehabilitation, 3rd ed. Human Kinetics, 2016"
OURS = "hipflex own design"

LONG_LEVER = frozenset(
    {
        Mechanic.long_lever_hip_flexion,  # leg raises, the straight-leg L-sits
        Mechanic.fast_hip_flexion,  # climbers
        Mechanic.heavy_abdominal_load,  # the tuck L-sit
        Mechanic.spine_extension_load,  # the reverse Nordic
    }
)
SITES = frozenset(PainFlag) - {PainFlag.pregnancy}  # flags that say where it hurts


@dataclass(frozen=True)
class Caution:
    id: str
    mechanics: frozenset[Mechanic]
    when: str
    params: Mapping[str, int]
    reason: str  # English; the shown text is ``caution.<id>`` of the wording table
    source: str
    own_design: bool
    applies: Callable[[tuple[PainFlag, ...], int, Mapping[str, int]], bool]


def _unknown_site(pain: tuple[PainFlag, ...], level: int, p: Mapping[str, int]) -> bool:
    return level >= p["pain_from"] and not SITES.intersection(pain)


def _pinch(pain: tuple[PainFlag, ...], level: int, p: Mapping[str, int]) -> bool:
    return PainFlag.hip_pinch in pain


def _low_back(pain: tuple[PainFlag, ...], level: int, p: Mapping[str, int]) -> bool:
    return PainFlag.low_back in pain and level >= p["pain_from"]


CAUTIONS: tuple[Caution, ...] = (
    Caution(
        "long-lever-unknown-site",
        LONG_LEVER,
        "pain of 4/10 or more and no pain area given: leg raises, L-sits, climbers and the reverse Nordic",
        {"pain_from": 4},
        "with this much pain and no area given, nothing that levers hard on the hip flexors and lower back",
        f"{MCGILL}; applying it when the site is unknown is our own design",
        True,
        _unknown_site,
    ),
    Caution(
        "long-lever-hip-pinch",
        LONG_LEVER,
        "a pinch at the front of the hip: leg raises, L-sits, climbers and the reverse Nordic",
        {},
        "a long lever or fast drive takes the hip into the flexion that pinches",
        WARWICK,
        False,
        _pinch,
    ),
    Caution(
        "loaded-flexion-low-back",
        frozenset({Mechanic.loaded_hip_flexion}),
        "low-back pain of 4/10 or more: hip flexion against a band or weight",
        {"pain_from": 4},
        "resisted hip flexion pulls the psoas hard on a painful lower back",
        f"{MCGILL}; the 4/10 threshold is our own design",
        True,
        _low_back,
    ),
)
BY_ID = {caution.id: caution for caution in CAUTIONS}


def active(pain: tuple[PainFlag, ...], level: int) -> tuple[str, ...]:
    """The ids of the cautions that apply to these pain flags and this pain level."""
    return tuple(c.id for c in CAUTIONS if c.applies(pain, level, c.params))


def markdown() -> str:
    lines = ["| Rule | When | Source |", "| --- | --- | --- |"]
    lines.extend(f"| `{c.id}` | {c.when} | {c.source} |" for c in CAUTIONS)
    return "\n".join(lines) + "\n"
