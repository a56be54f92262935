"""The bad-input corpus: every file capplan must refuse, and how it must say so.

cases.toml lists each file with a fragment of the message it must produce. One parametrized test
runs every case through the CLI in-process (fast); a handful also run as a real ``python -m
planner`` process, writing reports, to show the same holds outside the test runner.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.errors import InputError
from planner.ingest import load_inputs

from .make_corpus import FOLDERS, MAX_FILE_BYTES, build

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MANIFEST: dict[str, Any] = tomllib.loads((HERE / "cases.toml").read_text(encoding="utf-8"))
AS_OF = "2026-12"
GOOD_INPUTS = (HERE / "good" / "licenses.csv", HERE / "good" / "environments.csv")
KINDS = ("input", "licenses", "environments", "scenario", "history", "rules")
LONGEST_LINE = 1000  # a message quotes what is wrong, not a whole column of digits
# Anything a terminal could act on; a message may hold line breaks only between its own lines.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Case:
    file: str
    fragment: str
    kind: str = "input"
    command: str = "forecast"
    options: tuple[str, ...] = ()
    grow_to: int | None = None
    xfail: str | None = None
    same_as: str | None = None
    same_plan_as: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> Case:
        known = {
            "file",
            "fragment",
            "kind",
            "command",
            "options",
            "grow_to",
            "xfail",
            "same_as",
            "same_plan_as",
        }
        return cls(
            file=table["file"],
            fragment=table.get("fragment", ""),
            kind=table.get("kind", "input"),
            command=table.get("command", "forecast"),
            options=tuple(table.get("options", ())),
            grow_to=table.get("grow_to"),
            xfail=table.get("xfail"),
            same_as=table.get("same_as"),
            same_plan_as=table.get("same_plan_as"),
            extra={key: value for key, value in table.items() if key not in known},
        )

    @property
    def path(self) -> Path:
        return HERE / self.file

    @property
    def id(self) -> str:
        name = self.file.split("/", 1)[1]
        suffix = f"[{' '.join(self.options)}]" if self.options else ""
        kind = (
            f"({self.kind})" if self.kind not in ("input", "scenario", "history", "rules") else ""
        )
        return f"{name}{kind}{suffix}"


BAD = [Case.from_table(table) for table in MANIFEST["case"]]
GOOD = [Case.from_table(table) for table in MANIFEST["good"]]


def grown(case: Case, folder: Path) -> Path:
    """A copy of the case's file with its data rows repeated until it holds more than
    case.grow_to bytes: the lines after the first and, in a JSON file, before the last (which
    closes the list)."""
    assert case.grow_to is not None
    header, _, rows = case.path.read_bytes().partition(b"\n")
    closing = b""
    if case.path.suffix == ".json":
        rows, _, closing = rows.rstrip(b"\n").rpartition(b"\n")
        rows, closing = rows + b"\n", closing + b"\n"
    copy = folder / case.path.name
    copy.write_bytes(header + b"\n" + rows * (case.grow_to // len(rows) + 1) + closing)
    return copy


def arguments(case: Case, outputs: list[str], path: Path | None = None) -> list[str]:
    """The command line of a case; ``outputs`` are the output options to add; ``path`` replaces
    the case's file."""
    path = path or case.path
    options = list(case.options)
    if "--as-of" not in options:
        options += ["--as-of", AS_OF]
    good = [str(path) for path in GOOD_INPUTS]
    if case.kind == "scenario":
        return ["whatif", *good, "--scenario", str(path), *options, *outputs]
    if case.kind == "history":
        return ["forecast", *good, "--history", str(path), *options, *outputs]
    if case.kind == "rules":
        return ["forecast", *good, "--rules", str(path), *options, *outputs]
    if case.kind in ("licenses", "environments"):
        return [case.command, f"--{case.kind}", str(path), *options, *outputs]
    return [case.command, str(path), *options, *outputs]


def check_refusal(status: int, stdout: str, stderr: str, fragment: str) -> None:
    """Exit 2 and one clear message: the contract for bad input (README, exit statuses)."""
    assert status == 2, (status, stderr)
    assert stderr.startswith("capplan: error:"), stderr
    assert fragment in stderr, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) <= 3, stderr
    assert max(len(line) for line in stderr.splitlines()) <= LONGEST_LINE, stderr
    assert not CONTROL.search(stderr), repr(stderr)
    assert stdout == ""


def params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [],
        )
        for case in cases
    ]


@pytest.mark.parametrize("case", params(BAD))
def test_bad_input_is_refused_with_one_clear_message(
    case: Case, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = grown(case, tmp_path_factory.mktemp("grown")) if case.grow_to else None
    out = tmp_path / "out.txt"
    # color=True: click would otherwise strip escape sequences, hiding any from the check.
    result = CliRunner().invoke(cli, arguments(case, ["-o", str(out)], path), color=True)
    check_refusal(result.exit_code, result.stdout, result.stderr, case.fragment)
    assert list(tmp_path.iterdir()) == [], "an output or temporary file was written"


def test_the_size_limit_is_a_library_option() -> None:
    """load_inputs takes max_bytes, to the byte; a file over it is refused before parsing."""
    path = HERE / "bad" / "over-size-limit.csv"
    with pytest.raises(InputError) as caught:
        load_inputs([path], max_bytes=path.stat().st_size - 1)
    assert f"larger than the limit of {path.stat().st_size - 1:,} bytes" in caught.value.message
    assert caught.value.file == str(path)
    assert len(load_inputs([path], max_bytes=path.stat().st_size).licenses) == 4000


# A few cases as a user runs them: a fresh process, reports requested, none written.
PROCESS_CASES = (
    "bad/empty.csv",
    "bad/licenses-multiline-cell.csv",
    "bad/billion-laughs.xlsx",
    "bad/zip-bomb-declared-size.xlsx",
    "bad/scenario-unknown-kind.toml",
    "bad/inventory-escape-in-type.csv",
)


def test_refusals_in_a_real_process(tmp_path: Path) -> None:
    cases = [next(case for case in BAD if case.file == file) for file in PROCESS_CASES]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    running = []
    for number, case in enumerate(cases):
        folder = tmp_path / f"case{number}"
        folder.mkdir()
        if case.kind == "scenario":
            outputs = ["-o", str(folder / "comparison.txt")]
        else:
            outputs = ["--out", str(folder / "reports"), "--html", str(folder / "plan.html")]
        args = arguments(case, outputs)
        if case.kind != "scenario":
            args[0] = "report"
        process = subprocess.Popen(
            [sys.executable, "-m", "planner", *args],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        running.append((case, folder, process))
    for case, folder, process in running:
        stdout, stderr = process.communicate(timeout=120)
        check_refusal(
            process.returncode,
            stdout.decode("utf-8"),
            stderr.decode("utf-8"),
            case.fragment,
        )
        assert list(folder.iterdir()) == [], f"{case.id}: a file was written"


@pytest.mark.parametrize("case", params(GOOD))
def test_good_files_are_read(case: Case, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(cli, arguments(case, ["--format", "json", "-o", str(out)]))
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))
    if case.same_as:
        assert_same_rows(case.path, HERE / case.same_as)
    if case.same_plan_as:
        assert_same_entitlement(case.path, HERE / case.same_plan_as)


def assert_same_entitlement(path: Path, reference: Path) -> None:
    """Other rows (a GUID or a product name where the reference has a part number) that the SKU
    catalog resolves to the same licenses: the same entitlement, line by line."""
    from planner import plan

    got, want = (plan([p], as_of="2026-12", months=1) for p in (path, reference))
    pd.testing.assert_frame_equal(got.entitlement, want.entitlement)
    pd.testing.assert_frame_equal(got.capacity, want.capacity)


def assert_same_rows(path: Path, reference: Path) -> None:
    """The same licenses or environments, whatever the container and encoding."""
    read, expected = load_inputs([path]), load_inputs([reference])
    for table in ("licenses", "environments"):
        got = getattr(read, table).drop(columns=["source", "location"])
        want = getattr(expected, table).drop(columns=["source", "location"])
        pd.testing.assert_frame_equal(got, want)
    assert len(read.licenses) + len(read.environments) > 0


def test_the_manifest_and_the_folders_agree() -> None:
    listed = {case.file for case in [*BAD, *GOOD]} | {
        reference for case in GOOD for reference in (case.same_as, case.same_plan_as) if reference
    }
    on_disk = {f"{folder}/{path.name}" for folder in FOLDERS for path in (HERE / folder).iterdir()}
    assert sorted(listed - on_disk) == [], "listed in cases.toml but missing"
    unlisted_bad = {name for name in on_disk - listed if name.startswith("bad/")}
    assert sorted(unlisted_bad) == [], "in bad/ but not in cases.toml"
    assert len({case.file for case in BAD if case.file.startswith("bad/")}) >= 40
    for case in [*BAD, *GOOD]:
        assert case.kind in KINDS, case
        assert not case.extra, f"{case.file}: unknown keys {sorted(case.extra)}"
        assert case.kind != "input" or case.command in ("forecast", "whatif"), case


def test_the_generator_reproduces_the_corpus() -> None:
    built = build()
    on_disk = {f"{folder}/{path.name}" for folder in FOLDERS for path in (HERE / folder).iterdir()}
    assert sorted(on_disk ^ set(built)) == [], "run make_corpus.py"
    for name, data in built.items():
        assert (HERE / name).read_bytes() == data, f"{name} differs: run make_corpus.py"
        assert len(data) <= MAX_FILE_BYTES
