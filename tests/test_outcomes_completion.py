"""Programme completion, the pure hook outcomes will feed from the programmes table (issue 22, not merged yet)."""

from __future__ import annotations

from datetime import date

import pytest

from app.outcomes.completion import ProgrammeRow, assess

TODAY = date(2026, 12, 6)


def six_weeks_of_three(start: date, done: int, status: str = "active", ended: date | None = None) -> ProgrammeRow:
    return ProgrammeRow(status=status, weeks=6, days_per_week=3, start=start, ended=ended, sessions_done=done)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param([six_weeks_of_three(date(2026, 10, 1), 15)], (1, 1, 1, True),
                     id="6 weeks of 3 over, 15 of 18 sessions logged (83 %): completed"),
        pytest.param([six_weeks_of_three(date(2026, 10, 1), 14)], (1, 1, 0, False),
                     id="over with 14 of 18 (78 %): finished, not completed"),
        pytest.param([six_weeks_of_three(date(2026, 11, 20), 6)], (1, 0, 0, None),
                     id="still running: nothing to judge yet"),
        pytest.param([six_weeks_of_three(date(2026, 11, 20), 4, "ended", date(2026, 11, 30))], (1, 1, 0, False),
                     id="ended early by the user: finished, not completed"),
        pytest.param([six_weeks_of_three(date(2026, 9, 1), 3, "ended", date(2026, 9, 10)),
                      six_weeks_of_three(date(2026, 10, 1), 18)], (2, 2, 1, True),
                     id="a second programme completed counts the user"),
        pytest.param([], (0, 0, 0, None), id="no programme"),
    ],
)
def test_completion(rows: list[ProgrammeRow], expected: tuple[int, int, int, bool | None]) -> None:
    found = assess(rows, TODAY)
    assert (found.programmes, found.finished, found.completed, found.completed_any) == expected
