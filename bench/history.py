"""A long history for the progress rows: 2,000 logs of 10 sets (20,000 sets) for one user, over a year."""

from __future__ import annotations

import json
import random
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

USER = "bench-history"
LOGS = 2000
EXERCISES = [
    "core-brace",
    "isometric-hip-flexion-mini-band",
    "marching-resisted-bridge",
    "side-plank-clamshell",
    "half-kneeling-hip-flexor-stretch",
    "thomas-test",
    "hip-flexor-ball-release",
    "bridge-with-hip-flexor-pulls",
]


def _body(rng: random.Random, performed_at: datetime) -> bytes:
    entries = []
    for slug in rng.sample(EXERCISES, 5):
        sets = []
        for _ in range(2):
            one: dict[str, object] = {"reps": rng.randint(5, 20), "rpe": rng.randint(4, 9), "rir": rng.randint(0, 4)}
            if rng.random() < 0.5:
                one["hold_seconds"] = rng.randint(5, 60)
            if rng.random() < 0.3:
                one["load_kg"] = rng.randint(2, 40) * 2.5
            sets.append(one)
        entries.append({"exercise": slug, "sets": sets})
    body = {
        "performed_at": performed_at.isoformat(),
        "workout": {"goal": rng.choice(["rehab", "mobility", "strength"]), "seed": rng.randint(0, 1000)},
        "duration_minutes": rng.randint(10, 60),
        "session_rpe": rng.randint(3, 9),
        "pain_before": rng.randint(0, 6),
        "pain_after": rng.randint(0, 6),
        "entries": entries,
    }
    return json.dumps(body).encode()


def seed(base_url: str, key: str) -> str:
    """POST the history through the API (as a client would); returns the user's path."""
    rng = random.Random(2026)
    now = datetime.now(UTC)
    bodies = [_body(rng, now - timedelta(minutes=rng.randint(1, 365 * 24 * 60))) for _ in range(LOGS)]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(body: bytes) -> None:
        request = urllib.request.Request(f"{base_url}/users/{USER}/logs", body, headers, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, bodies))
    return f"/users/{USER}"


def analyze(database_url: str) -> None:
    """Refresh the planner's statistics after the seed, as production's autovacuum (Postgres) would.

    A freshly filled table has none: Postgres then estimates one row per scan and nested-loops.
    SQLite's ANALYZE is harmless here and keeps the two databases alike.
    """
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
