"""Where outputs go: through links and devices, as a set, with their mode, or refused (exit 2)."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planner.cli import output
from planner.cli.main import cli
from planner.cli.output import (
    JOURNAL,
    STAGING_PREFIX,
    STAGING_SUFFIX,
    clean_leftovers,
    write_all,
)

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "bad_inputs" / "good"
INPUTS = (str(GOOD / "licenses.csv"), str(GOOD / "environments.csv"))
AS_OF = ("--as-of", "2026-12")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def forecast_to(target: str) -> Result:
    return invoke("forecast", *INPUTS, *AS_OF, "--format", "json", "-o", target)


def test_a_symbolic_link_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    result = forecast_to(str(link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and json.loads(real.read_text(encoding="utf-8"))["schema_version"]


def test_a_character_device_is_written_through_not_replaced() -> None:
    result = forecast_to("/dev/null")
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_trailing_slash_names_a_folder(tmp_path: Path) -> None:
    result = forecast_to(str(tmp_path / "newdir") + "/")
    assert result.exit_code == 2
    assert "ends with '/', which names a folder" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o600)
    assert forecast_to(str(target)).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text(encoding="utf-8") != "old"


def test_two_outputs_naming_one_file_are_refused(tmp_path: Path) -> None:
    same = str(tmp_path / "report")
    result = invoke("report", *INPUTS, *AS_OF, "--html", same, "--xlsx", same)
    assert result.exit_code == 2
    assert "--html and --xlsx name the same file" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_rules_file_is_an_input(tmp_path: Path) -> None:
    rules = tmp_path / "my.toml"
    rules.write_bytes((ROOT / "rules" / "pooled-2025-12.toml").read_bytes())
    before = rules.read_bytes()
    for args in (
        ["forecast", *INPUTS, *AS_OF, "--rules", str(rules), "-o", str(rules)],
        ["report", *INPUTS, *AS_OF, "--rules", str(rules), "--json", str(rules)],
    ):
        result = invoke(*args)
        assert result.exit_code == 2 and "over an input file" in result.stderr
    assert rules.read_bytes() == before


def test_a_rules_file_named_in_a_scenario_is_an_input(tmp_path: Path) -> None:
    rules = tmp_path / "renewal.toml"
    rules.write_bytes((ROOT / "rules" / "pooled-2025-12.toml").read_bytes())
    before = rules.read_bytes()
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        f'name = "Renewal"\n\n[[changes]]\nkind = "switch_rules"\nrules = "{rules}"\n'
        'month = "2027-06"\n',
        encoding="utf-8",
    )
    result = invoke("whatif", *INPUTS, *AS_OF, "--scenario", str(scenario), "-o", str(rules))
    assert result.exit_code == 2 and "over an input file" in result.stderr, result.stderr
    assert rules.read_bytes() == before


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_write_failures_the_user_can_fix_are_bad_input(tmp_path: Path, code: int) -> None:
    """A full disk or a read-only folder: one message, exit 2, nothing left behind."""

    def fail(path: Path) -> None:
        raise OSError(code, os.strerror(code), str(path))

    with pytest.raises(Exception) as caught:
        write_all([(tmp_path / "a.txt", fail)])
    assert type(caught.value).__name__ == "InputError"
    assert "cannot write the output" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_folder_is_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def read_only(*args: object, **kwargs: object) -> str:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkdtemp", read_only)
    result = forecast_to(str(tmp_path / "plan.json"))
    assert result.exit_code == 2, result.stderr
    assert "cannot write the output: read-only file system" in result.stderr


def staging(folder: Path, pid: int, name: str = "x") -> Path:
    path = folder / f"{STAGING_PREFIX}{pid}-{name}{STAGING_SUFFIX}"
    path.mkdir()
    return path


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_run_before_its_moves_is_rolled_back(tmp_path: Path) -> None:
    (tmp_path / "plan.html").write_text("old", encoding="utf-8")
    left = staging(tmp_path, dead_pid())
    (left / "0-plan.html").write_text("new", encoding="utf-8")
    clean_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.html"]
    assert (tmp_path / "plan.html").read_text(encoding="utf-8") == "old"


def test_a_killed_run_during_its_moves_is_completed(tmp_path: Path) -> None:
    """The journal is written before the first move: the next run finishes the set."""
    (tmp_path / "plan.html").write_text("new", encoding="utf-8")  # moved before the kill
    (tmp_path / "plan.json").write_text("old", encoding="utf-8")
    left = staging(tmp_path, dead_pid())
    (left / "1-plan.json").write_text("new", encoding="utf-8")
    (left / JOURNAL).write_text(
        json.dumps(
            [
                ["0-plan.html", str(tmp_path / "plan.html")],
                ["1-plan.json", str(tmp_path / "plan.json")],
            ]
        ),
        encoding="utf-8",
    )
    clean_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.html", "plan.json"]
    assert (tmp_path / "plan.json").read_text(encoding="utf-8") == "new"


def test_a_live_run_s_staging_folder_is_left_alone(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        left = staging(tmp_path, sleeper.pid)
        clean_leftovers(tmp_path)
        assert left.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    """SIGINT while a report is written: status 130, one line, no output, no leftovers."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = (
        "import time, planner.report.html as h\n"
        "real = h.render_html\n"
        "def slow(*a, **k):\n"
        "    print('writing', flush=True); time.sleep(30); return real(*a, **k)\n"
        "h.render_html = slow\n"
        "from planner.cli.main import main\n"
        "main()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, "report", *INPUTS, *AS_OF, "--out", str(tmp_path / "r")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "writing"
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert list((tmp_path / "r").iterdir()) == []


@pytest.mark.parametrize("files", [1, 2])
def test_a_journal_is_written_only_for_a_set_of_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: int
) -> None:
    """Several files need a journal to be completed together after a kill; one file moves by a
    single rename, which needs none."""
    journals: list[bool] = []
    finish = output._finish

    def recording(staging: Path, pairs: list[tuple[str, str]]) -> None:
        journals.append((staging / JOURNAL).exists())
        finish(staging, pairs)

    monkeypatch.setattr(output, "_finish", recording)
    write_all(
        [
            (tmp_path / f"{n}.txt", lambda path, n=n: path.write_text(str(n), encoding="utf-8"))
            for n in range(files)
        ]
    )
    assert journals == [files > 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{n}.txt" for n in range(files)]


REPLACING = """
import sys
from planner.cli import main
main(["forecast", *sys.argv[1:]])
"""


def test_the_files_a_command_replaced_are_removed_after_it(tmp_path: Path) -> None:
    """The console command leaves a replaced output's blocks to a process of its own: the new
    file is in place when the command ends, and the folder holding the old one goes soon after."""
    target = tmp_path / "plan.json"
    target.write_text("old", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", REPLACING, *INPUTS, *AS_OF, "--format", "json", "-o", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["schema_version"] == 1
    for _ in range(200):  # the removal runs on after the command: ten seconds at most
        if [p.name for p in tmp_path.iterdir()] == ["plan.json"]:
            break
        time.sleep(0.05)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_library_call_removes_what_it_replaced_itself(tmp_path: Path) -> None:
    target = tmp_path / "plan.txt"
    target.write_text("old", encoding="utf-8")
    write_all([(target, lambda path: path.write_text("new", encoding="utf-8"))])
    assert [p.name for p in tmp_path.iterdir()] == ["plan.txt"]
    assert target.read_text(encoding="utf-8") == "new"


def test_replaced_files_left_by_a_killed_removal_are_cleaned_up(tmp_path: Path) -> None:
    """A removal that never ran (the machine stopped) leaves a folder a later run removes."""
    (tmp_path / "plan.html").write_text("new", encoding="utf-8")
    name = f"{STAGING_PREFIX}{dead_pid()}-x{output.REPLACED_SUFFIX}"
    left = tmp_path / name
    left.mkdir()
    (left / "replaced-0-plan.html").write_text("old", encoding="utf-8")
    clean_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.html"]
    assert (tmp_path / "plan.html").read_text(encoding="utf-8") == "new"
