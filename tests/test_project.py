"""The project's set-up stays true: the README's commands, CI's command, what the wheel carries."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "the README opens with a shell block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    run, test = commands
    assert "pip install ." in run and "capplan report samples/" in run
    assert "pytest" in test and "'.[test]'" in test


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci


def test_rules_and_templates_ship_inside_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included == {
        "rules": "planner/_bundled/rules",
        "templates": "planner/_bundled/templates",
    }
    assert config["project"]["scripts"]["capplan"] == "planner.cli:main"


def test_no_number_of_microsofts_in_the_engine_code() -> None:
    """Entitlements, estimates and prices live in rules/, never in planner/ code."""
    suspicious = re.compile(r"(?<![\w.])(250|60|90|125|80|3072|40\.0|1\.5)(?![\w.])")
    offenders = []
    for path in (ROOT / "planner").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if suspicious.search(code) and "width" not in code and "height" not in code:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_cli_reference_is_in_sync_with_the_commands() -> None:
    from planner.cli.docs import render_cli_reference

    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == render_cli_reference(), "run: python -m planner.cli.docs > docs/cli.md"


def test_rules_reference_tables_are_in_sync_with_the_rule_files() -> None:
    from planner.report.rules_doc import with_tables

    written = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == with_tables(written), "run: python -m planner.report.rules_doc"
