"""The headline's error line: named findings first, then how many more."""

from __future__ import annotations

from planner.report.headline import ERRORS_NAMED, _error_line


def _errors(count: int) -> list[dict[str, str]]:
    return [{"code": "UNKNOWN_SKU", "subject": f"SKU_{n}"} for n in range(count)]


def test_many_errors_are_counted_not_pluralised_as_a_word() -> None:
    errors = _errors(ERRORS_NAMED + 3752)
    line = _error_line(errors[:ERRORS_NAMED], len(errors))
    assert "and 3,752 more)" in line
    assert "mores" not in line
    assert line.startswith(f"Plan has errors; figures may be wrong: {ERRORS_NAMED + 3752:,} error")


def test_a_few_errors_are_all_named() -> None:
    line = _error_line(_errors(2), 2)
    assert "UNKNOWN_SKU (SKU_0); UNKNOWN_SKU (SKU_1)" in line
    assert " more" not in line
