"""The report layer's shape: renderers take one ReportData and none imports another."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import planner.report
from planner.cli.main import cli
from planner.report import data, html, json_report, reconcile_text, text, whatif_text, xlsx
from planner.report.data import ReportData

REPORT = Path(planner.report.__file__).parent
# Modules that turn data into a format a person or a program reads.
RENDERERS = ("json_report", "text", "whatif_text", "html", "xlsx", "rules_view", "reconcile_text")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_renderer_imports_another() -> None:
    for name in RENDERERS:
        imported = imported_modules(REPORT / f"{name}.py")
        others = {f"planner.report.{other}" for other in RENDERERS if other != name}
        assert not imported & others, f"{name} imports {sorted(imported & others)}"


def test_plan_renderers_take_only_report_data() -> None:
    renderers = (
        json_report.render_json,
        text.render_table,
        text.render_markdown,
        whatif_text.render_whatif_table,
        whatif_text.render_whatif_markdown,
        html.render_html,
        xlsx.write_xlsx,
        reconcile_text.render_reconcile_table,
        reconcile_text.render_reconcile_markdown,
        json_report.render_reconcile_json,
    )
    for render in renderers:
        first = next(iter(inspect.signature(render).parameters.values()))
        assert first.annotation in ("ReportData", ReportData), render.__qualname__
        source = inspect.getsource(inspect.getmodule(render))  # type: ignore[arg-type]
        assert "planner.results" not in source, f"{render.__module__} reads a Plan"


def test_no_renderer_builds_the_data_itself() -> None:
    """The plan's and the comparison's data are built by report_data, once, not by a renderer."""
    for name in RENDERERS:
        tree = ast.parse((REPORT / f"{name}.py").read_text(encoding="utf-8"))
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        assert not used & {"plan_data", "comparison_data", "report_data"}, name


def test_one_report_run_compares_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    original = data.comparison_data

    def counted(comparison: object, **options: Any) -> object:
        calls.append(comparison)
        return original(comparison, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(data, "comparison_data", counted)
    samples = REPORT.parents[1] / "samples"
    result = CliRunner().invoke(
        cli,
        [
            "report",
            str(samples / "licenses-graph.json"),
            str(samples / "environments-inventory.csv"),
            "--as-of",
            "2026-12",
            "--add-licenses",
            "DYN365_FINANCE=5",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".html", ".json", ".xlsx"]
    assert len(calls) == 1
