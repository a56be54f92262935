"""Markdown for CI summaries: text from inputs shows as written and never becomes markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.report.formatting import markdown_text
from planner.ruleset.load import bundled_dir

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

HOSTILE = [
    "[Approve](https://evil.example/)",
    "![pixel](https://evil.example/p.png)",
    "<img src=x onerror=alert(1)>",
    "<https://evil.example>",
    "[ref]: https://evil.example",
    "`code` and \\ and www.evil.example and admin@evil.example",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_link_image_or_html_is_left(text: str) -> None:
    shown = markdown_text(text)
    for markup in ("](", "[", "]", "<", ">", "://", "www.", "@"):
        assert markup not in shown, (markup, shown)


def test_brackets_are_character_references() -> None:
    assert markdown_text("[Approve](x)") == "&#91;Approve&#93;(x)"


@pytest.mark.parametrize("command", ["forecast", "whatif"])
def test_names_from_inputs_reach_markdown_inert(command: str, tmp_path: Path) -> None:
    licenses = tmp_path / "licenses.csv"
    licenses.write_text("sku,quantity\nDYN365_FINANCE,25\n", encoding="utf-8")
    environments = tmp_path / "environments.csv"
    rows = "".join(f'"{name}",sandbox,2,initial\n' for name in HOSTILE[:3])
    environments.write_text(f"name,type,tier,power_platform\n{rows}", encoding="utf-8")
    flags = ["--link", HOSTILE[0]] if command == "whatif" else []
    args = [command, str(licenses), str(environments), "--as-of", "2026-12", *flags]
    result = CliRunner().invoke(cli, [*args, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert "Approve" in result.stdout
    for markup in ("](", "<img", "[Approve", "![", "https://evil"):
        assert markup not in result.stdout, markup


# Backticks that an escape leaves literal: what remains pairs up into code spans.
_CODE_SPAN = re.compile(r"(?<!\\)`([^`]*)(?<!\\)`")


def _code_spans_are_finding_codes(markdown: str) -> None:
    """Every code span of the output holds a finding code (words of capitals): text from the
    inputs never opens or closes one."""
    for line in markdown.splitlines():
        for span in _CODE_SPAN.findall(line):
            assert re.fullmatch(r"[A-Z_]+", span), (span, line)


def test_reconcile_markdown_is_inert(tmp_path: Path) -> None:
    """The tenant capacity answer's own text (its license model, capacity types Microsoft
    lists that capplan does not count) is text from an input too."""
    answer = json.loads((SAMPLES / "tenant-capacity.json").read_text(encoding="utf-8"))
    answer["licenseModelType"] = f"StorageDriven {' '.join(HOSTILE)}"
    answer["tenantCapacities"].append(
        {**answer["tenantCapacities"][0], "capacityType": f"Trial {HOSTILE[0]} {HOSTILE[2]}"}
    )
    hostile = tmp_path / "tenant-capacity.json"
    hostile.write_text(json.dumps(answer), encoding="utf-8")
    args = [
        "reconcile",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-ppac.json"),
        str(hostile),
        "--format",
        "markdown",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    assert "Approve" in result.stdout
    for markup in ("](", "<img", "[Approve", "![", "https://evil", "www.evil"):
        assert markup not in result.stdout, markup
    _code_spans_are_finding_codes(result.stdout)


def test_a_part_number_cannot_end_a_code_span(tmp_path: Path) -> None:
    """An add-on's part number from the user's rules file, holding backticks, stays text in
    the forecast's markdown (a backslash does not escape a backtick inside a code span)."""
    rules = (bundled_dir("rules") / "pooled-2025-12.toml").read_text(encoding="utf-8")
    hostile_sku = "CDS_DB_CAPACITY` <b>x</b> [Approve](https://evil.example) `"
    assert 'sku = "CDS_DB_CAPACITY"' in rules
    rules = rules.replace('sku = "CDS_DB_CAPACITY"', f'sku = "{hostile_sku}"')
    path = tmp_path / "rules.toml"
    path.write_text(rules, encoding="utf-8")
    args = [
        "forecast",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        "--rules",
        str(path),
        "--as-of",
        "2026-12",
        "--format",
        "markdown",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    assert "CDS_DB_CAPACITY" in result.stdout
    for markup in ("<b>", "](", "[Approve"):
        assert markup not in result.stdout, markup
    _code_spans_are_finding_codes(result.stdout)
