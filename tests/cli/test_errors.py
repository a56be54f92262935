"""How the CLI reports errors: bad input exits 2; a bug exits 70, traceback only on --debug."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import planner.planning
from planner.cli.main import cli


@pytest.fixture
def inputs(tmp_path):
    licenses = tmp_path / "licenses.csv"
    licenses.write_text("sku,quantity\nDYN365_FINANCE,20\n", encoding="utf-8")
    return str(licenses)


def test_internal_error_exits_70_and_asks_for_a_report(monkeypatch, inputs) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(planner.planning, "build_plan", broken)
    result = CliRunner().invoke(cli, ["forecast", inputs])
    assert result.exit_code == 70
    assert "internal error: RuntimeError: engine exploded" in result.output
    assert "bug in capplan" in result.output
    assert "Traceback" not in result.output
    debug = CliRunner().invoke(cli, ["--debug", "forecast", inputs])
    assert debug.exit_code == 70
    assert "Traceback" in debug.output


def test_input_error_exits_2_with_file_and_place(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,quantity\nDYN365_FINANCE,-3\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["forecast", str(bad)])
    assert result.exit_code == 2
    assert result.output.startswith("capplan: error: ")
    assert str(bad) in result.output and "row 2" in result.output


def test_no_inputs_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["forecast"])
    assert result.exit_code == 2
    assert "no input files given" in result.output
