"""What reaches the terminal: names of folders and files shown as escapes, never acted on; the
help and the version to a full device, and text in a legacy encoding, as ordinary outcomes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from planner.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
AS_OF = ("--as-of", "2026-12")
# A colour sequence, a one-character escape sequence (CSI, U+009B) and a right-to-left override.
HOSTILE = "E\x1b[31mR\u202eX\x9b1m"
RAW = ("\x1b", "\x9b", "\u202e")


def invoke(*args: str) -> Result:
    # color=True: click would otherwise strip escape sequences, hiding any from the check.
    return CliRunner().invoke(cli, list(args), color=True)


def assert_inert(result: Result) -> None:
    for text in (result.stdout, result.stderr):
        assert not any(raw in text for raw in RAW), repr(text)
    assert "E\\x1b[31mR\\u202eX\\x9b1m" in result.stdout + result.stderr


def test_init_names_what_it_wrote_as_escapes(tmp_path: Path) -> None:
    folder = tmp_path / f"i{HOSTILE}"
    result = invoke("init", str(folder))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("wrote ") == 3
    assert_inert(result)
    assert sorted(path.name for path in folder.iterdir()) == [
        "environments.csv",
        "licenses.csv",
        "scenario.toml",
    ]


def _tenants(root: Path, *names: str) -> Path:
    folder = root / f"b{HOSTILE}"
    for name in names:
        (folder / name).mkdir(parents=True)
        shutil.copy(SAMPLES / "licenses-graph.json", folder / name)
        shutil.copy(SAMPLES / "environments-inventory.csv", folder / name)
    return folder


def test_a_batch_shows_its_folders_and_tenants_as_escapes(tmp_path: Path) -> None:
    tenants = _tenants(tmp_path, f"t{HOSTILE}", f"bad{HOSTILE}")
    (tenants / f"bad{HOSTILE}" / "licenses-graph.json").write_text("{}", encoding="utf-8")
    out = tmp_path / f"o{HOSTILE}"
    result = invoke("report", "--batch", str(tenants), "--out", str(out), *AS_OF)
    assert result.exit_code == 2, result.stderr
    assert_inert(result)
    assert "capplan: error: tenant bad" in result.stderr
    # The tenant's message keeps its own two lines (what, then what was expected).
    (error,) = [line for line in result.stderr.splitlines() if "tenant bad" in line]
    assert result.stderr.splitlines()[result.stderr.splitlines().index(error) + 1].startswith(
        "  expected:"
    )
    assert result.stdout.count("wrote ") == 2 and "reports under" in result.stdout


def test_the_tenants_meeting_fail_on_are_named_as_escapes(tmp_path: Path) -> None:
    tenants = _tenants(tmp_path, f"t{HOSTILE}")
    out = tmp_path / "out"
    result = invoke(
        "report", "--batch", str(tenants), "--out", str(out), *AS_OF, "--fail-on", "shortfall"
    )
    assert result.exit_code == 1, result.stderr
    assert_inert(result)
    assert "--fail-on shortfall: met by tE\\x1b" in result.stderr


def test_import_skus_names_its_catalog_as_escapes(tmp_path: Path) -> None:
    source = tmp_path / "products.csv"
    source.write_text(
        "Product_Display_Name,String_ Id,GUID,Service_Plan_Name\n"
        "Contoso Widget,CONTOSO_WIDGET,12345678-1234-1234-1234-123456789abc,PLAN\n",
        encoding="utf-8",
    )
    out = tmp_path / f"c{HOSTILE}.toml"
    result = invoke("rules", "import-skus", str(source), "--out", str(out), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert_inert(result)
    assert not out.exists()


def _python(
    *args: str, stdout: Any, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``python -m planner`` in a process of its own, standard output going to ``stdout``."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "planner", *args],
        cwd=ROOT,
        env=environment,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs a device that is always full")
@pytest.mark.parametrize("args", [[], ["rules"], ["--help"], ["--version"], ["forecast", "-h"]])
def test_help_and_version_to_a_full_device_are_one_message(args: list[str]) -> None:
    """Printed before any command runs, outside the commands' handling of errors: a traceback."""
    with open("/dev/full", "w") as full:
        result = _python(*args, stdout=full)
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert stderr.startswith("capplan: error:") and "No space left on device" in stderr
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 2


LICENSES, INVENTORY = SAMPLES / "licenses-graph.json", SAMPLES / "environments-inventory.csv"
NAMED = "name,type,dataverse_database_gb\nКонтосо 日本,dataverse_sandbox,1\n"


@pytest.mark.parametrize(
    ("encoding", "command", "shown"),
    [
        ("latin-1", "forecast", "\\u2013"),  # an en dash of the sample plan's table
        ("cp437", "rules skus", "\\u2013"),
        ("latin-1", "forecast markdown", "\\u041a\\u043e\\u043d\\u0442"),
        ("cp1252", "forecast markdown", "\\u041a\\u043e\\u043d\\u0442"),
    ],
)
def test_text_the_terminal_cannot_encode_is_printed_as_escapes(
    tmp_path: Path, encoding: str, command: str, shown: str
) -> None:
    """A Latin-1 locale or an old console code page: a character it has no code for (an en
    dash, a Cyrillic name) was an internal error, exit 70."""
    if command == "rules skus":
        args = ["rules", "skus"]
    elif command == "forecast":
        args = ["forecast", str(LICENSES), str(INVENTORY), *AS_OF]
    else:
        named = tmp_path / "inventory.csv"
        named.write_text(NAMED, encoding="utf-8")
        args = ["forecast", str(LICENSES), str(named), *AS_OF, "--format", "markdown"]
    result = _python(*args, env={"PYTHONIOENCODING": encoding}, stdout=subprocess.PIPE)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode(encoding)  # every byte is of the encoding
    assert shown in text


def test_a_long_option_value_is_shown_shortened_in_its_message() -> None:
    """A value click quotes in a usage error is shown up to 64 characters and its length; the
    rest of the message (the values allowed) stays."""
    result = _python("forecast", "--format", "x" * 100_000, "a.csv", stdout=subprocess.PIPE)
    message = result.stderr.decode()
    assert result.returncode == 2 and message.count("\n") == 1
    assert f"'{'x' * 64}...' (100,000 characters) is not one of 'table', 'json'" in message
    short = _python("forecast", "--format", "jsn", "a.csv", stdout=subprocess.PIPE)
    assert "'jsn' is not one of" in short.stderr.decode()
