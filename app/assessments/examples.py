"""Examples for the API document: real answers of the domain (made with app.assessments.trends), kept as data.

tests/test_assessments.py checks that TRENDS is what ``trends`` gives for the same two sessions, so the
document cannot drift from the code.
"""

from typing import Any

# GET /assessment-tests, cut to one test and its inclinometer figures.
CATALOGUE: dict[str, Any] = {
    "version": "2026-12-06.1",
    "sources": {
        "clapis-2008": {
            "citation": "Clapis PA, Davis SM, Davis RO. Reliability of inclinometer and "
            "goniometric measurements of hip extension flexibility using the modified "
            "Thomas test. Physiother Theory Pract 2008;24(2):135-141",
            "read": "abstract",
        }
    },
    "tests": [
        {
            "code": "modified-thomas-hip",
            "name": "Modified Thomas test (hip)",
            "purpose": "How far the thigh drops when the hip flexors (mainly iliopsoas) are let to lengthen.",
            "measures": [
                {
                    "name": "thigh_angle",
                    "unit": "deg",
                    "kind": "number",
                    "required": True,
                    "plausible": {"min": -40.0, "max": 60.0},
                    "sign": "Angle of the hanging thigh to the horizontal: positive when the thigh stays "
                    "ABOVE horizontal (a hip extension deficit), negative when it drops below.",
                    "tighter_is": "higher",
                    "short_below": None,
                }
            ],
            "primary_measure": "thigh_angle",
            "sides": ["left", "right"],
            "methods": ["inclinometer", "goniometer"],
            "raters": ["self", "helper", "clinician"],
            "how": [
                "Sit on the very end of a firm table or bed and lie back, pulling one knee to your chest with "
                "both hands until your low back rests flat: this fixes the pelvis, and without it the number "
                "means little.",
                "Let the other leg hang off the end, knee bent, and relax it completely for a few breaths.",
            ],
            "controls": ["pelvis_stabilised", "lumbar_flat"],
            "interpretation": "A thigh that rests above horizontal with the pelvis held still suggests short "
            "one-joint hip flexors (iliopsoas). Vigotsky et al. 2016: the test only measures hip "
            "extension validly when pelvic tilt is controlled, so record whether it was.",
            "diagnosis_by_clinician": False,
            "reliability": [
                {
                    "method": "inclinometer",
                    "design": "intra",
                    "mdc95": 5.0,
                    "icc": 0.91,
                    "source": "clapis-2008",
                    "verified": False,
                    "note": "Clapis 2008 reports high reliability (ICC 0.89-0.93) for inclinometer and "
                    "goniometer but, in its abstract, no MDC: 5 deg is hipflex's convention, just "
                    "above the 3.9 deg intra-rater phone MDC95 for hip extension (2024) and the "
                    "4.17 deg MDD95 of the unstabilised test (Kim & Ha 2015).",
                },
                {
                    "method": "inclinometer",
                    "design": "inter",
                    "mdc95": 10.0,
                    "icc": 0.9,
                    "source": "clapis-2008",
                    "verified": False,
                    "note": "ICC 0.89-0.92 (inter-rater) from the abstract; 10 deg is hipflex's "
                    "convention (see goniometer, inter).",
                },
            ],
            "sources": ["clapis-2008"],
        }
    ],
}

# GET /users/{user_id}/assessments/trends?test=modified-thomas-hip: two sessions ten days apart, the right
# thigh 10.5 deg higher in the second (the mean of two trials), 12 deg in the first: a confirmed asymmetry.
_SERIES: dict[str, Any] = {
    "left": [
        {
            "at": "2026-11-02T07:00:00Z",
            "value": -8.0,
            "trials": 1,
            "rater": "self",
            "assessment_id": "5b0f3c1e-8d2a-4c57-9f0e-2a7d4e6b1c90",
        },
        {
            "at": "2026-11-12T07:00:00Z",
            "value": -7.0,
            "trials": 1,
            "rater": "self",
            "assessment_id": "9e4d2a71-3b6c-4f18-8a05-6c1f7b2e3d48",
        },
    ],
    "right": [
        {
            "at": "2026-11-02T07:00:00Z",
            "value": 4.0,
            "trials": 1,
            "rater": "self",
            "assessment_id": "5b0f3c1e-8d2a-4c57-9f0e-2a7d4e6b1c90",
        },
        {
            "at": "2026-11-12T07:00:00Z",
            "value": 3.5,
            "trials": 2,
            "rater": "self",
            "assessment_id": "9e4d2a71-3b6c-4f18-8a05-6c1f7b2e3d48",
        },
    ],
}
_CHANGE: dict[str, Any] = {
    "left": {
        "sessions": 2,
        "baseline": -8.0,
        "latest": -7.0,
        "from_baseline": 1.0,
        "from_previous": 1.0,
        "mdc": 5.0,
        "design": "intra",
        "verdict": "within_error",
        "verdict_from_previous": "within_error",
    },
    "right": {
        "sessions": 2,
        "baseline": 4.0,
        "latest": 3.5,
        "from_baseline": -0.5,
        "from_previous": -0.5,
        "mdc": 5.0,
        "design": "intra",
        "verdict": "within_error",
        "verdict_from_previous": "within_error",
    },
}
_ASYMMETRY: dict[str, Any] = {
    "status": "confirmed",
    "tighter_side": "right",
    "difference": 10.5,
    "mdc": 5.0,
    "sessions": ["2026-11-02T07:00:00Z", "2026-11-12T07:00:00Z"],
}
TRENDS: dict[str, Any] = {
    "test": "modified-thomas-hip",
    "measure": "thigh_angle",
    "unit": "deg",
    "tighter_is": "higher",
    "method": "inclinometer",
    "series": _SERIES,
    "change": _CHANGE,
    "asymmetry": _ASYMMETRY,
    # one method measured, so its own view is the whole view
    "methods": [{"method": "inclinometer", "series": _SERIES, "change": _CHANGE, "asymmetry": _ASYMMETRY}],
}
