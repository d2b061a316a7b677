"""The README's generated parts (``app/readme.py``) are what the data and the real app give today:
the rule, pain-grade, pain-source, caution and screening tables, and the worked flare."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import readme

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(readme.TABLES))
def test_each_table_is_the_generated_one(name: str) -> None:
    assert readme.section(README, name) == readme.TABLES[name](), f"run `hipflex readme` ({name})"


def test_the_worked_flare_is_what_the_app_answers() -> None:
    answer = readme.flare_answer()
    assert readme.section(README, "flare") == readme.flare_block(answer), "run `hipflex readme` (flare)"
    # and it shows what the issue asks: the grade from this morning's check-in, the culprit paused,
    # nothing new, and when to see a clinician
    assert (answer["pain_today"]["rule"], answer["pain_today"]["level"]) == ("checkin", 7)
    assert answer["pain_grade"] == "gentle-short"
    paused = {o["slug"] for o in answer["omitted"] if o["reason"] == "paused"}
    assert "isometric-hip-flexion-mini-band" in paused
    assert "new" not in {i["adaptation"]["action"] for i in answer["items"]}
    assert any("physiotherapist or doctor" in note for note in answer["notes"])


def test_the_first_coaching_example_is_what_the_app_answers() -> None:
    answer = readme.exchange_answer()
    assert readme.section(README, "exchange") == readme.exchange_block(answer), "run `hipflex readme` (exchange)"
