"""The README's generated parts: the rule tables from the data, and a worked example of a flare
answered by the real app. ``hipflex readme`` rewrites them; tests/test_readme_coaching.py checks the
README holds exactly what this makes, so a rule changed in the data cannot leave the README behind.

Each part sits between ``<!-- name:start -->`` and ``<!-- name:end -->``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.assessments import catalogue as assessment_catalogue
from app.coaching import rules, today
from app.programmes import rules as programme_rules
from app.workouts import cautions, pain, screening

TABLES: dict[str, Callable[[], str]] = {
    "rules": rules.markdown,
    "pain-sources": today.markdown,
    "pain-grades": pain.markdown,
    "cautions": cautions.markdown,
    "screening": screening.markdown,
    "assessment-tests": assessment_catalogue.markdown,
    "programme-rules": programme_rules.markdown,
}

# A flare, as a person lives it: three ordinary rehab sessions, then the isometric hurts 7/10 during its
# sets on Nov 26 and the session ends at 7/10; the check-ins say 5 the next day and 7 this morning. The
# app sends no pain_level: today's grade must come from the person's own reports.
FLARE_QUERY: dict[str, Any] = {"goal": "rehab", "equipment": "mini_band,bench", "minutes": 30, "seed": 1}
FLARE_TODAY = "2026-11-28"


def _sets(count: int, **one: Any) -> list[dict[str, Any]]:
    return [dict(one) for _ in range(count)]


def _session(day: int, after: int, iso_pain: int | None) -> dict[str, Any]:
    iso = {"reps": 10, "hold_seconds": 3, "rpe": 6} | ({} if iso_pain is None else {"pain": iso_pain})
    return {
        "performed_at": f"2026-11-{day:02d}T07:30:00Z",
        "duration_minutes": 30,
        "session_rpe": 5,
        "pain_before": 2,
        "pain_after": after,
        "entries": [
            {"exercise": "prone-leg-lift-straight-leg", "sets": _sets(2, reps=8, hold_seconds=3, rpe=6)},
            {"exercise": "core-brace", "sets": _sets(2, reps=20, hold_seconds=10, rpe=6)},
            {"exercise": "isometric-hip-flexion-mini-band", "sets": _sets(2, **iso)},
        ],
    }


FLARE_LOGS = [_session(20, 2, None), _session(23, 2, None), _session(26, 7, 7)]
FLARE_CHECKINS = [{"date": "2026-11-27", "pain": 5}, {"date": "2026-11-28", "pain": 7}]


# The README's first coaching example (its curl lines): three sessions, the bridge hurt 6/10 in a set.
EXCHANGE_LOGS: list[dict[str, Any]] = [
    {
        "performed_at": "2026-11-24T07:30:00Z",
        "duration_minutes": 20,
        "session_rpe": 5,
        "pain_before": 1,
        "pain_after": 1,
        "entries": [
            {"exercise": "prone-leg-lift-straight-leg", "sets": _sets(2, reps=8, hold_seconds=3, rpe=6)},
            {
                "exercise": "core-brace",
                "sets": [{"reps": 20, "hold_seconds": 10, "rpe": 7}, {"reps": 20, "hold_seconds": 10, "rpe": 9}],
            },
        ],
    },
    {
        "performed_at": "2026-11-26T07:30:00Z",
        "duration_minutes": 20,
        "session_rpe": 5,
        "pain_before": 1,
        "pain_after": 2,
        "entries": [
            {
                "exercise": "prone-leg-lift-straight-leg",
                "sets": [{"reps": 8, "hold_seconds": 3, "rpe": 6}, {"reps": 8, "hold_seconds": 3, "rpe": 7}],
            },
            {
                "exercise": "bridge-with-hip-flexor-pulls",
                "sets": [{"reps": 8, "rpe": 6, "pain": 6}, {"reps": 8, "rpe": 7}],
            },
        ],
    },
    {
        "performed_at": "2026-11-28T07:30:00Z",
        "duration_minutes": 20,
        "session_rpe": 5,
        "pain_before": 1,
        "pain_after": 1,
        "entries": [{"exercise": "core-brace", "sets": _sets(2, reps=20, hold_seconds=10, rpe=8)}],
    },
]
EXCHANGE_BODY: dict[str, Any] = {
    "goal": "rehab",
    "equipment": ["mini_band", "bench"],
    "seed": 1,
    "today": "2026-11-30",
    "history": EXCHANGE_LOGS,
    "checkins": [{"date": "2026-11-27", "pain": 1}],
}


def abridged(answer: dict[str, Any]) -> dict[str, Any]:
    """What a reader needs of an adapted workout: where the grade came from, each item's decision, what
    the coach left out and why, and the notes."""
    return {
        "pain_today": answer["pain_today"],
        "pain_grade": answer["pain_grade"],
        "estimated_minutes": answer["estimated_minutes"],
        "items": [
            {
                "exercise": item["exercise"]["slug"],
                "action": item["adaptation"]["action"],
                "rule": item["adaptation"]["rule"],
                "reason": item["adaptation"]["reason"],
            }
            for item in answer["items"]
        ],
        "omitted_by_the_coach": [
            {"exercise": o["slug"], "reason": o["reason"], "detail": o["detail"]}
            for o in answer["omitted"]
            if o["reason"] in ("paused", "deload")
        ],
        "notes": answer["notes"],
    }


def flare_answer() -> dict[str, Any]:
    """The stored door's answer for the flare, from the real app on a fresh SQLite file (real migrations)."""
    from fastapi.testclient import TestClient

    from app import keys
    from app.catalogue import load_catalogue
    from app.main import create_app
    from app.settings import Settings
    from app.state import state_of

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(database_url=f"sqlite:///{folder}/readme.db"), catalogue=load_catalogue())
        with TestClient(app) as client:
            key, _ = keys.create(state_of(app).engine, "readme")
            auth = {"Authorization": f"Bearer {key}"}
            for log in FLARE_LOGS:
                assert client.post("/users/ann/logs", json=log, headers=auth).status_code == 201
            for checkin in FLARE_CHECKINS:
                assert client.post("/users/ann/checkins", json=checkin, headers=auth).status_code in (200, 201)
            params = {**FLARE_QUERY, "today": FLARE_TODAY}
            answer = client.get("/users/ann/workouts/next", params=params, headers=auth)
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            return result


def exchange_answer() -> dict[str, Any]:
    """POST /workouts/adapt for the README's first example, from the real app."""
    from fastapi.testclient import TestClient

    from app.catalogue import load_catalogue
    from app.main import create_app
    from app.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(database_url=f"sqlite:///{folder}/readme.db"), catalogue=load_catalogue())
        with TestClient(app) as client:
            answer = client.post("/workouts/adapt", json=EXCHANGE_BODY)
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            return result


def flare_block(answer: dict[str, Any]) -> str:
    return "```json\n" + json.dumps(abridged(answer), indent=1, ensure_ascii=False) + "\n```\n"


def exchange_block(answer: dict[str, Any]) -> str:
    shown = {
        **abridged(answer),
        "guards": [{k: g[k] for k in ("rule", "fired", "value", "detail")} for g in answer["guards"]],
    }
    return "```json\n" + json.dumps(shown, indent=1, ensure_ascii=False) + "\n```\n"


def parts(flare: dict[str, Any], exchange: dict[str, Any]) -> dict[str, str]:
    made = {name: make() for name, make in TABLES.items()}
    return {**made, "flare": flare_block(flare), "exchange": exchange_block(exchange)}


def section(text: str, name: str) -> str:
    start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
    return text[text.index(start) + len(start) : text.index(end)]


def render(text: str, made: dict[str, str]) -> str:
    for name, body in made.items():
        start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
        head, rest = text[: text.index(start) + len(start)], text[text.index(end) :]
        text = head + body + rest
    return text


def write(readme: Path) -> None:
    made = parts(flare_answer(), exchange_answer())
    readme.write_text(render(readme.read_text(encoding="utf-8"), made), encoding="utf-8")
