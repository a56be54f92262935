"""docs/findings.md is generated from the registry of checks; it must not drift from the code."""

from __future__ import annotations

from pathlib import Path

from planner.checks import REGISTRY
from planner.checks.docs import render_findings_markdown

FINDINGS_DOC = Path(__file__).resolve().parents[2] / "docs" / "findings.md"


def test_findings_doc_is_up_to_date() -> None:
    written = FINDINGS_DOC.read_text(encoding="utf-8")
    assert written == render_findings_markdown(), (
        "docs/findings.md is out of date: regenerate it with "
        "python -m planner.checks.docs > docs/findings.md"
    )


def test_every_code_is_documented() -> None:
    text = render_findings_markdown()
    for code, registered in REGISTRY.items():
        assert registered.doc, f"{code} has no docstring"
        assert f"\n## {code}\n" in text
