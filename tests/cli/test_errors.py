"""How the CLI reports errors: bad input exits 2; a bug exits 70, traceback only on --debug."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import planner.planning

# Imported before any test patches build_plan, so that the name it binds is the real one.
import planner.scenarios.compare
from planner.cli.main import _PIPES, cli


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


# Numbers an option cannot use. click's own FloatRange lets "nan" through (every comparison with
# it is false), and "inf" or "1e308" would mean "wait for ever".
UNUSABLE = ("nan", "inf", "-1", "0", "1e308")
NO_TOKEN = {"CAPPLAN_TEST_TOKEN": "never-sent"}
VERIFY = ("verify", "--url", "https://contoso.crm.dynamics.com")
CLOSED = "http://127.0.0.1:9"  # were a number let through, nothing would leave the machine
COLLECT = (
    "collect",
    *("--out", "never-written", "--token-env", "CAPPLAN_TEST_TOKEN"),
    *("--graph-url", CLOSED, "--bap-url", CLOSED, "--powerplatform-url", CLOSED),
)
RECONCILE = ("reconcile", "in.json")


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        pytest.param(command, option, value, id=f"{command[0]} {option} {value}")
        for command, option, values in (
            (VERIFY, "--timeout", UNUSABLE),
            (COLLECT, "--timeout", UNUSABLE),
            (COLLECT, "--max-wait", ("nan", "inf", "-1", "1e308")),
            (RECONCILE, "--tolerance", ("nan", "inf", "-1")),
        )
        for value in values
    ],
)
def test_a_number_an_option_cannot_use_is_one_message_and_exit_2(
    command: tuple[str, ...], option: str, value: str, tmp_path, monkeypatch
) -> None:
    line = _refused_in_one_line([*command, option, value], tmp_path, monkeypatch)
    assert line.startswith("capplan: error: ")
    assert option in line and f"'{value}' is not a finite number" in line


def _refused_in_one_line(
    arguments: list[str], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The one line of the refusal of ``arguments`` run in ``folder``: exit status 2, nothing
    printed on standard output, nothing written, nothing collected."""
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(cli, arguments, env=NO_TOKEN)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert list(folder.iterdir()) == []
    return lines[0]


# Months written with other digits than 0 to 9, which int() would read (as 2026-01): refused
# by every command that takes one. The planning commands' are also in the bad-input corpus
# (tests/bad_inputs/cases.toml).
FULL_WIDTH_MONTH = "\uff12\uff10\uff12\uff16-01"


@pytest.mark.parametrize(
    "command",
    [
        ("rules", "show"),
        ("rules", "skus"),
        ("reconcile", "in.json"),
        ("report", "--batch", "tenants", "--out", "reports"),
        ("report", "lic.csv", "--out", "reports"),
    ],
    ids=" ".join,
)
def test_a_month_not_written_with_the_digits_0_to_9_is_refused(
    command: tuple[str, ...], tmp_path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*command, "--as-of", FULL_WIDTH_MONTH])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"capplan: error: --as-of {FULL_WIDTH_MONTH!r} is not a month written with the digits "
        "0 to 9 (\uff12 is U+FF12 FULLWIDTH DIGIT TWO)\n  expected: YYYY-MM, like 2027-03\n"
    )
    assert list(tmp_path.iterdir()) == []


# Numbers written with other digits than 0 to 9, or with underscores, which int() and float()
# would read (as 10, 5, 3): refused by every option that takes one. The planning commands'
# options are in the bad-input corpus (tests/bad_inputs/cases.toml).
ARABIC_TEN = "\u0661\u0660"
NOT_DIGITS = [
    (VERIFY, "--timeout", ARABIC_TEN, "U+0661 ARABIC-INDIC DIGIT ONE"),
    (VERIFY, "--timeout", "1_0", "it holds an underscore"),
    (COLLECT, "--timeout", "\u0663", "U+0663 ARABIC-INDIC DIGIT THREE"),
    (COLLECT, "--timeout", "1_0", "it holds an underscore"),
    (COLLECT, "--max-wait", "\u0663", "U+0663 ARABIC-INDIC DIGIT THREE"),
    (COLLECT, "--max-wait", "1_0", "it holds an underscore"),
    (RECONCILE, "--tolerance", "\u0665", "U+0665 ARABIC-INDIC DIGIT FIVE"),
    (RECONCILE, "--max-input-mb", "1_0", "it holds an underscore"),
]


@pytest.mark.parametrize(
    ("command", "option", "value", "odd"),
    [pytest.param(*case, id=f"{case[0][0]} {case[1]} {case[2]!a}") for case in NOT_DIGITS],
)
def test_a_number_not_written_with_the_digits_0_to_9_is_refused(
    command: tuple[str, ...], option: str, value: str, odd: str, tmp_path, monkeypatch
) -> None:
    line = _refused_in_one_line([*command, option, value], tmp_path, monkeypatch)
    assert line.startswith(f"capplan: error: Invalid value for '{option}': {value!r} is not")
    assert "written with the digits 0 to 9" in line and odd in line


@pytest.mark.parametrize("value", ["5e-324", "0.05", "0"])
def test_verify_waits_at_least_a_tenth_of_a_second(value: str, tmp_path, monkeypatch) -> None:
    """A budget of 5e-324 s would be reported as "no complete answer within 4.94066e-324 s"."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*VERIFY, "--timeout", value], env=NO_TOKEN)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"capplan: error: Invalid value for '--timeout': '{value}' is not a finite number in "
        "[0.1, 3600]"
    )


def test_a_report_folder_under_a_file_is_bad_input_not_a_bug(tmp_path) -> None:
    """The file system refusing (here: a folder asked for inside a file, like /dev/full/x) is
    something the user can fix: one message naming the path, exit 2."""
    licenses = tmp_path / "licenses.csv"
    licenses.write_text("sku,quantity\nDYN365_FINANCE,20\n", encoding="utf-8")
    environments = tmp_path / "environments.csv"
    environments.write_text("name,type\nPROD,production\n", encoding="utf-8")
    blocker = tmp_path / "plain-file"
    blocker.write_text("x", encoding="utf-8")
    out = blocker / "reports"
    args = ["report", str(licenses), str(environments), "--as-of", "2026-12", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"capplan: error: {out}: Not a directory\n")
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_an_output_pipe_nothing_reads_is_refused_at_once(inputs, tmp_path) -> None:
    """Writing to a named pipe without a reader would wait forever: exit 2 instead."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    result = CliRunner().invoke(cli, ["forecast", inputs, "--as-of", "2026-12", "-o", str(pipe)])
    assert result.exit_code == 2, result.output
    assert f"{pipe}: --output names a pipe that nothing reads from" in result.output


def test_import_skus_into_a_pipe_nothing_reads_is_refused(tmp_path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    products = tmp_path / "products.csv"
    products.write_text(
        "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
        "Service_Plans_Included_Friendly_Names\n"
        "Dynamics 365 Finance,DYN365_FINANCE,55c9eb4e-c746-45b4-b255-9ab6b19d5c62,X,"
        "a1b2c3d4-0000-0000-0000-000000000000,X\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["rules", "import-skus", str(products), "--out", str(pipe)])
    assert result.exit_code == 2, result.output
    assert f"{pipe}: --out names a pipe that nothing reads from" in result.output


def test_an_output_pipe_with_a_reader_gets_the_output(inputs, tmp_path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    finished = threading.Event()
    # The reader is there first. Until a writer comes, a read gives nothing (the end of a pipe
    # without writers), so it reads on until the run has finished and closed its end.
    reader_fd = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    os.set_blocking(reader_fd, True)

    def read() -> None:
        while True:
            piece = os.read(reader_fd, 1 << 16)
            if piece:
                received.append(piece)
            elif finished.is_set():
                break
            else:
                time.sleep(0.01)
        os.close(reader_fd)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        args = ["forecast", inputs, "--as-of", "2026-12", "--format", "json", "-o", str(pipe)]
        result = CliRunner().invoke(cli, args)
    finally:
        while _PIPES:  # what the process would close on its way out
            os.close(_PIPES.pop())
        finished.set()
    reader.join(10)
    assert result.exit_code == 0, result.output
    assert json.loads(b"".join(received))["schema_version"] == 1


# Records, for every module looked for after it starts, whether Ctrl-C was still Python's.
WATCHED_IMPORTS = """
import _signal, sys
seen = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        seen.append((name, _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler))
sys.meta_path.insert(0, Watch())
import planner.cli
print(" ".join(name for name, default in seen if default))
"""


def test_ctrl_c_is_taken_over_before_any_other_module_loads() -> None:
    """Every module loaded before the quiet handler is set is a moment in which Ctrl-C prints
    the import machinery's traceback: the package, the handler's module, nothing else."""
    done = subprocess.run(
        [sys.executable, "-c", WATCHED_IMPORTS], capture_output=True, text=True, check=True
    )
    before = set(done.stdout.split()) - {"__future__"}  # loaded already by most interpreters
    assert before == {"planner", "planner.cli", "planner.cli.interrupt"}


def test_ctrl_c_while_the_modules_load_ends_quietly_with_130() -> None:
    """Until planner.cli.main has loaded, Ctrl-C ends the run with the usual line and status
    instead of a traceback of the import machinery; once loaded, Ctrl-C is Python's again."""
    code = (
        "import signal, planner.cli\n"
        "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler\n"
        "planner.cli.interrupt.interrupted_while_starting(signal.SIGINT, None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "\ncapplan: interrupted\n"


@pytest.mark.parametrize(
    "options",
    [
        ["forecast", "", "{env}"],
        ["forecast", "--licenses", "", "--environments", "{env}"],
        ["forecast", "{lic}", "{env}", "--history", ""],
        ["whatif", "{lic}", "{env}", "--scenario", ""],
        ["forecast", "{lic}", "{env}", "-o", ""],
        ["init", ""],
    ],
    ids=["input", "licenses", "history", "scenario", "output", "init"],
)
def test_an_empty_path_is_refused_not_taken_for_the_current_folder(
    inputs, tmp_path, monkeypatch, options
) -> None:
    """ "" (an unset variable in a script) names no file: refused, where a folder option would
    read or write the current folder."""
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    args = [part.format(lic=inputs, env=inputs) for part in options]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "an empty path names no file or folder" in result.output
    assert sorted(tmp_path.iterdir()) == before


def test_an_empty_as_of_is_refused_not_taken_for_this_month(inputs) -> None:
    result = CliRunner().invoke(cli, ["forecast", inputs, "--as-of", ""])
    assert result.exit_code == 2 and "--as-of '' is not a month" in result.output
