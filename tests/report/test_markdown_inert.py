"""Markdown for CI summaries: text from inputs shows as written and never becomes markup."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.report.formatting import markdown_text

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
