"""A JSON document written by two processes (its long tables by a forked child, the rest here)
is the same text as one written by one, and a failure on either side leaves no part behind."""

from __future__ import annotations

import errno
import itertools
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pytest

from planner.cli.main import checked_into_json, every_plan
from planner.errors import InputError
from planner.ingest import load_inputs
from planner.model.changes import AddEnvironment, AddLicenses, Scenario
from planner.model.parallel import Beside
from planner.planning import build_plan, check_plan, engine_plan
from planner.report import json_report
from planner.report.data import LineTable, report_data
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import compare, engine_comparison
from planner.scenarios.read import read_scenario_file

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="a child is started by fork")
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _frame(rows: int, prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "environment": [
                f"{prefix}-{n}" if n % 7 else ',\n    {"x": "/\u2028"}\n' for n in range(rows)
            ],
            "gb": [n / 3 if n % 11 else float("nan") for n in range(rows)],
            "basis": ["measured", "estimated\nby type", None] * (rows // 3) + [None] * (rows % 3),
        }
    )


def _table(source: pd.DataFrame) -> LineTable:
    keys = ("environment", "gb", "basis")
    return LineTable(source.loc[:, list(keys)], keys, source)


def _document() -> dict[str, Any]:
    """Long tables at several depths, two of one source (the second is the first's text again),
    a frame written as pandas writes it, and short tables and records between them."""
    shared = _frame(40, "ENV")
    return {
        "head": {"n": 1, "text": "before"},
        "consumption": _frame(50, "LINE"),
        "baseline": {"consumption": _table(shared), "short": _table(_frame(4, "S"))},
        "records": [{"a": n, "b": f"r{n}"} for n in range(30)],
        "scenarios": [
            {"name": "a", "plan": {"consumption": _table(shared)}},
            {"name": "b", "plan": {"deeper": {"consumption": _table(_frame(35, "B"))}}},
        ],
        "tail": "after",
    }


class _Select:
    """The child's look at whether the part before a table is complete, answered always
    ``ready`` (the table is written straight into the output) or never (it is laid out ahead
    into a file of its own, then copied after the part)."""

    def __init__(self, ready: bool) -> None:
        self.ready = ready

    def select(self, read: list[int], *rest: Any) -> tuple[list[int], list[int], list[int]]:
        return (read if self.ready else [], [], [])


@pytest.mark.parametrize("ahead", [None, True, False], ids=["as it comes", "ahead", "in place"])
@pytest.mark.parametrize("held", [0, 100, 1_000_000], ids=["spilled", "held then spilled", "held"])
@pytest.mark.parametrize("lines", [1, 30, 45, 10_000])
def test_a_document_written_beside_is_the_text_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: int, held: int, ahead: bool | None
) -> None:
    """``held``: the bytes of its last part held in memory rather than in its part file;
    ``ahead``: each later table laid out before the part ahead of it is complete."""
    monkeypatch.setattr(json_report, "LINES_BESIDE", lines)
    monkeypatch.setattr(json_report, "HELD_AT_MOST", held)
    monkeypatch.setattr(json_report, "ROWS_AT_ONCE", 8)  # several runs of records
    if ahead is not None:
        monkeypatch.setattr(json_report, "select", _Select(not ahead))
    document = _document()
    target = tmp_path / "plan.json"
    json_report.write_document(document, target, beside=True)
    assert target.read_text(encoding="utf-8") == json_report.dumps(document)
    assert [path.name for path in tmp_path.iterdir()] == ["plan.json"]


def _samples() -> Any:
    return load_inputs(
        [str(SAMPLES / "licenses-graph.json"), str(SAMPLES / "environments-inventory.csv")]
    )


@pytest.mark.parametrize("kind", ["plan", "licenses only", "new sandbox"])
def test_the_plan_and_whatif_json_are_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    ruleset = resolve_ruleset(None, "2026-12")
    inputs = _samples()
    if kind == "plan":
        data = report_data(build_plan(inputs, ruleset, "2026-12", 12))
    else:
        change = (
            AddLicenses(sku="DYN365_FINANCE", quantity=5)
            if kind == "licenses only"
            else AddEnvironment(
                name="NEW SB", type="addon_sandbox", tier=2, sizes={"operations_database_gb": 5.0}
            )
        )
        comparison = compare(inputs, [Scenario(kind, (change,))], ruleset, "2026-12", 12)
        data = report_data(comparison=comparison)
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    json_report.write_json(data, one)
    monkeypatch.setattr(json_report, "LINES_BESIDE", 1)
    json_report.write_json(data, two, beside=True)
    assert two.read_bytes() == one.read_bytes()
    json.loads(two.read_text(encoding="utf-8"))


def _recorded_children(monkeypatch: pytest.MonkeyPatch) -> list[Beside]:
    """The child processes the JSON writer starts from now on, in order."""
    started: list[Beside] = []

    class Recorded(Beside):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            started.append(self)

    monkeypatch.setattr(json_report, "Beside", Recorded)
    return started


def _begun(target: Path, change: Any = None) -> Any:
    """The sample plan's JSON begun before its checks and finished after them (the checked
    report data changed by ``change`` first, where given); the checked plan."""
    plan = engine_plan(_samples(), resolve_ruleset(None, "2026-12"), "2026-12", 12)
    assert not plan.findings
    early = report_data(plan)
    with json_report.begin_json(early, target) as finish:
        checked = check_plan(plan)
        data = report_data(checked, before_checks=early)
        finish(change(data) if change else data)
    return checked


def _scenarios(tmp_path: Path) -> list[Scenario]:
    """A scenario that changes licenses only (its consumption lines are the baseline's), one
    with a new sandbox, and a renewal into another rule set (a plan before the switch too)."""
    renewal = tmp_path / "renew.toml"
    renewal.write_text(
        'name = "Renew"\n[[changes]]\nkind = "switch_rules"\nrules = "split-2023"\n'
        'month = "2027-06"\n',
        encoding="utf-8",
    )
    sandbox = AddEnvironment(
        name="NEW SB", type="addon_sandbox", tier=2, sizes={"operations_database_gb": 5.0}
    )
    return [
        Scenario("licenses only", (AddLicenses(sku="DYN365_FINANCE", quantity=5),)),
        Scenario("new sandbox", (sandbox,)),
        read_scenario_file(renewal, "2026-12", 12),
    ]


@pytest.mark.parametrize("lines", [1, 40, 10**6], ids=["every table", "some", "none"])
def test_a_whatif_begun_before_its_checks_is_the_text_written_after_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: int
) -> None:
    """The what-if JSON begun with the plans the engine made, its long tables written by the
    child while every plan is checked, is the text of the checked comparison's JSON."""
    monkeypatch.setattr(json_report, "LINES_BESIDE", lines)
    monkeypatch.setattr(json_report, "ROWS_AT_ONCE", 8)
    ruleset, scenarios = resolve_ruleset(None, "2026-12"), _scenarios(tmp_path)
    early = engine_comparison(_samples(), scenarios, ruleset, "2026-12", 12)
    assert not any(plan.findings for plan in every_plan(early))
    begun = tmp_path / "begun.json"
    checked = checked_into_json(early, partial(json_report.begin_json, path=begun))
    compared = compare(_samples(), scenarios, ruleset, "2026-12", 12)
    assert [plan.findings for plan in every_plan(checked)] == [
        plan.findings for plan in every_plan(compared)
    ]
    expected = tmp_path / "expected.json"
    json_report.write_json(report_data(comparison=compared), expected)
    assert begun.read_bytes() == expected.read_bytes()


def test_a_whatif_is_begun_with_its_scenarios_long_tables_alone(tmp_path: Path) -> None:
    """Before the checks, only what the child writes is made of the scenarios (their plans'
    long tables, in their places); the rest is made with the checks, and the checked data is
    the data of the checked comparison made at once."""
    from planner.scenarios.compare import check_comparison

    ruleset, scenarios = resolve_ruleset(None, "2026-12"), _scenarios(tmp_path)
    made = engine_comparison(_samples(), scenarios, ruleset, "2026-12", 12)
    early = report_data(None, made, scenarios_later=True)
    assert early.comparison is not None
    assert early.comparison["baseline_summary"] is None
    entries = early.comparison["scenarios"]
    assert [set(entry) for entry in entries] == [
        {"plan"},
        {"plan"},
        {"plan", "plan_before_switch"},
    ]
    for entry in entries:
        for plan in entry.values():
            assert list(plan) == ["consumption", "licenses", "ignored_licenses"]
            assert all(isinstance(table, LineTable) for table in plan.values())
    checked = check_comparison(made)
    data = report_data(None, checked, before_checks=early)
    assert json_report.dumps(data.comparison) == json_report.dumps(
        report_data(comparison=checked).comparison
    )


@pytest.mark.parametrize("lines", [1, 40, 10**6], ids=["every table", "some", "none"])
def test_a_plan_begun_before_its_checks_is_the_text_written_after_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: int
) -> None:
    """The child writes the engine's long tables while the checks run; the file is the JSON of
    the checked plan, to the byte."""
    monkeypatch.setattr(json_report, "LINES_BESIDE", lines)
    monkeypatch.setattr(json_report, "ROWS_AT_ONCE", 8)
    checked = _begun(tmp_path / "begun.json")
    assert checked.findings  # the checks ran, and their findings are in the file
    expected = tmp_path / "expected.json"
    plan = build_plan(_samples(), resolve_ruleset(None, "2026-12"), "2026-12", 12)
    json_report.write_json(report_data(plan), expected)
    assert (tmp_path / "begun.json").read_bytes() == expected.read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["begun.json", "expected.json"]


def _head_changed(data: Any) -> Any:
    return replace(data, fields={**data.fields, "generator": "another head"})


def _table_changed(data: Any) -> Any:
    return replace(
        data,
        tables={**data.tables, "consumption": data.tables["consumption"][:3]},
        codes={**data.codes, "consumption": {}},
    )


@pytest.mark.parametrize("change", [_head_changed, _table_changed], ids=["head", "table"])
def test_a_document_that_does_not_follow_on_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Any
) -> None:
    """Where the checked document's text before its first long table, or a long table, is not
    what was begun, the child is stopped and the file written again: it is the checked
    document's JSON, whatever was begun."""
    monkeypatch.setattr(json_report, "LINES_BESIDE", 5)
    started = _recorded_children(monkeypatch)
    seen: list[Any] = []

    def changed(data: Any) -> Any:
        seen.append(change(data))
        return seen[-1]

    _begun(tmp_path / "begun.json", changed)
    expected = tmp_path / "expected.json"
    json_report.write_json(seen[0], expected)
    assert (tmp_path / "begun.json").read_bytes() == expected.read_bytes()
    assert len(started) == 2 and not any(child.running() for child in started)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["begun.json", "expected.json"]


def test_a_failure_while_the_plan_is_checked_stops_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_report, "LINES_BESIDE", 5)
    started = _recorded_children(monkeypatch)
    plan = engine_plan(_samples(), resolve_ruleset(None, "2026-12"), "2026-12", 12)
    with (
        pytest.raises(KeyboardInterrupt),
        json_report.begin_json(report_data(plan), tmp_path / "plan.json"),
    ):
        raise KeyboardInterrupt
    assert len(started) == 1 and not started[0].running()
    assert [path.name for path in tmp_path.iterdir()] == ["plan.json"]


def test_a_failure_in_the_child_is_raised_here_and_leaves_no_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_report, "LINES_BESIDE", 10)

    def full(*args: Any) -> None:  # only the child writes a frame: the long table
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(json_report, "_frame_json", full)
    document = {"before": 1, "lines": _frame(20, "L"), "after": [{"a": 1}]}
    with pytest.raises(OSError) as raised:
        json_report.write_document(document, tmp_path / "plan.json", beside=True)
    assert raised.value.errno == errno.ENOSPC
    assert [path.name for path in tmp_path.iterdir()] == ["plan.json"]


def test_a_failure_here_stops_the_child_and_leaves_no_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_report, "LINES_BESIDE", 10)
    started = _recorded_children(monkeypatch)

    def interrupted(*args: Any) -> bool:  # the records after the long table, written here
        raise KeyboardInterrupt

    monkeypatch.setattr(json_report, "_flat_columns", interrupted)
    document = {"lines": _table(_frame(20, "L")), "then": _table(_frame(20, "M")), "r": [{"a": 1}]}
    with pytest.raises(KeyboardInterrupt):
        json_report.write_document(document, tmp_path / "plan.json", beside=True)
    assert len(started) == 1 and not started[0].running()
    assert [path.name for path in tmp_path.iterdir()] == ["plan.json"]


def _fails_with(error: BaseException) -> None:
    raise error


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (InputError("bad cell", file="f.csv", location="row 2", expected="a number"), InputError),
        (OSError(errno.EACCES, "Permission denied", "x.json"), PermissionError),
        (ValueError("odd"), RuntimeError),
    ],
    ids=["bad input", "os error", "other"],
)
def test_a_childs_failure_is_raised_as_its_own(error: BaseException, raised: type) -> None:
    with pytest.raises(raised) as caught:
        Beside(lambda: _fails_with(error)).join()
    if isinstance(error, InputError):
        assert (caught.value.message, caught.value.location) == ("bad cell", "row 2")
    elif isinstance(error, OSError):
        assert (caught.value.errno, caught.value.filename) == (errno.EACCES, "x.json")
    else:
        assert "ValueError: odd" in str(caught.value)


def test_a_killed_child_is_a_failure() -> None:
    with pytest.raises(RuntimeError, match="status"):
        Beside(lambda: os._exit(3)).join()


def test_a_context_stops_the_child_when_the_body_fails() -> None:
    with pytest.raises(KeyboardInterrupt), Beside(lambda: os.pause()) as child:
        raise KeyboardInterrupt
    assert not child.running()


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="write-back is asked by fadvise")
@pytest.mark.parametrize("beside", [False, True])
def test_write_back_is_asked_for_every_part_of_the_output_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beside: bool
) -> None:
    """Every byte of the output is handed to the system's write-back once, in order, and the
    text is the same."""
    monkeypatch.setattr(json_report, "LINES_BESIDE", 30)
    monkeypatch.setattr(json_report, "ROWS_AT_ONCE", 8)
    monkeypatch.setattr(json_report, "WRITE_BACK_EVERY", 500)
    target = tmp_path / "plan.json"
    asked = tmp_path / "asked"
    original = os.posix_fadvise

    def recording(descriptor: int, offset: int, length: int, advice: int) -> None:
        if os.path.samefile(f"/proc/self/fd/{descriptor}", target):
            with asked.open("a", encoding="utf-8") as record:  # the child's too
                record.write(f"{offset} {length}\n")
        original(descriptor, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", recording)
    document = _document()
    json_report.write_document(document, target, beside=beside)
    assert target.read_text(encoding="utf-8") == json_report.dumps(document)
    ranges = sorted(tuple(map(int, line.split())) for line in asked.read_text().splitlines())
    assert len(ranges) > 3
    assert ranges[0][0] == 0
    for (offset, length), (following, _) in itertools.pairwise(ranges):
        assert offset + length == following  # no byte twice, none left out between
    assert ranges[-1][0] + ranges[-1][1] <= target.stat().st_size


def test_a_child_that_stops_early_has_its_failure_raised_not_the_pipes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child fails on the first of two long tables; whether this process notices at the
    second table (the pipe is closed) or when it waits for the child, the child's own error is
    what is raised."""
    monkeypatch.setattr(json_report, "LINES_BESIDE", 10)

    def full(*args: Any) -> None:  # only the child writes frames: the long tables
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(json_report, "_frame_json", full)
    slow = json_report._flat_columns

    def later(*args: Any) -> bool:  # the records between the tables: the child is gone by then
        time.sleep(0.2)
        return slow(*args)

    monkeypatch.setattr(json_report, "_flat_columns", later)
    document = {"a": _frame(20, "A"), "between": [{"x": 1}], "b": _frame(20, "B"), "c": 1}
    with pytest.raises(OSError) as raised:
        json_report.write_document(document, tmp_path / "plan.json", beside=True)
    assert raised.value.errno == errno.ENOSPC
    assert [path.name for path in tmp_path.iterdir()] == ["plan.json"]


def _stream_into(
    kind: str, tmp_path: Path, data: Any, write: Callable[[Any, BinaryIO], None] | None = None
) -> bytes:
    """``write`` (``stream_json`` where not given) into a file, a file opened to append to, or a
    pipe read by a thread; the bytes it wrote there."""
    write = write or json_report.stream_json
    if kind == "pipe":
        reader, writer = os.pipe()
        received: list[bytes] = []

        def read() -> None:
            with os.fdopen(reader, "rb") as stream:
                received.append(stream.read())

        thread = threading.Thread(target=read)
        thread.start()
        try:
            with os.fdopen(writer, "wb") as stream:
                write(data, stream)
        finally:
            thread.join()
        return received[0]
    target = tmp_path / "out.json"
    target.write_bytes(b"before\n")
    with target.open("ab" if kind == "appended file" else "wb") as stream:
        write(data, stream)
    text = target.read_bytes()
    return text.removeprefix(b"before\n") if kind == "appended file" else text


def _begun_stream(change: Any = None) -> Callable[[Any, BinaryIO], None]:
    """The sample plan's JSON begun into a stream before its checks (see _begun)."""

    def write(plan: Any, stream: BinaryIO) -> None:
        early = report_data(plan)
        with json_report.begin_stream(early, stream) as finish:
            data = report_data(check_plan(plan), before_checks=early)
            finish(change(data) if change else data)

    return write


@pytest.mark.parametrize("kind", ["file", "appended file", "pipe"])
@pytest.mark.parametrize("change", [None, _head_changed], ids=["same", "head changed"])
def test_json_begun_into_a_stream_is_the_text_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, change: Any
) -> None:
    """Printed, the JSON begun before the checks is what -o writes; a head that differs is
    written again into a file (after what it held before), and is an error into a pipe, where
    what went out cannot be taken back. No part is left behind."""
    monkeypatch.setattr(json_report, "LINES_BESIDE", 5)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    plan = engine_plan(_samples(), resolve_ruleset(None, "2026-12"), "2026-12", 12)
    one = tmp_path / "one.json"
    checked = report_data(check_plan(plan))
    json_report.write_json(change(checked) if change else checked, one)
    if change is not None and kind == "pipe":
        with pytest.raises(RuntimeError, match="begun before the checks"):
            _stream_into(kind, tmp_path, plan, _begun_stream(change))
    else:
        assert _stream_into(kind, tmp_path, plan, _begun_stream(change)) == one.read_bytes()
    assert list((tmp_path / "temp").iterdir()) == []


@pytest.mark.parametrize("kind", ["file", "appended file", "pipe"])
@pytest.mark.parametrize("lines", [1, 10_000_000])
def test_json_streamed_to_standard_output_is_the_text_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, lines: int
) -> None:
    """What ``--format json`` prints is what ``-o`` writes, whether the long tables are written
    beside (into a pipe, which has no position, too) or not; no part is left behind."""
    monkeypatch.setattr(json_report, "ROWS_AT_ONCE", 8)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    (tmp_path / "temp").mkdir()
    data = report_data(build_plan(_samples(), resolve_ruleset(None, "2026-12"), "2026-12", 12))
    one = tmp_path / "one.json"
    json_report.write_json(data, one)
    monkeypatch.setattr(json_report, "LINES_BESIDE", lines)
    assert _stream_into(kind, tmp_path, data) == one.read_bytes()
    assert list((tmp_path / "temp").iterdir()) == []


def test_a_reader_that_stops_early_is_a_broken_pipe_and_leaves_no_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_report, "LINES_BESIDE", 1)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = report_data(build_plan(_samples(), resolve_ruleset(None, "2026-12"), "2026-12", 12))
    reader, writer = os.pipe()
    os.close(reader)
    with pytest.raises(BrokenPipeError), os.fdopen(writer, "wb") as stream:
        json_report.stream_json(data, stream)
    assert list(tmp_path.iterdir()) == []


def test_where_no_temporary_folder_can_be_made_the_json_is_streamed_by_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Printing needs a folder for the parts only where two processes write: a small document
    never asks for one, and a large one is written by this process alone where none can be
    made."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    data = report_data(build_plan(_samples(), resolve_ruleset(None, "2026-12"), "2026-12", 12))
    one = tmp_path / "one.json"
    json_report.write_json(data, one)
    for lines in (10_000_000, 1):
        monkeypatch.setattr(json_report, "LINES_BESIDE", lines)
        target = tmp_path / f"printed-{lines}.json"
        with target.open("wb") as stream:
            json_report.stream_json(data, stream)
        assert target.read_bytes() == one.read_bytes()


def test_printing_clears_the_parts_of_a_killed_run_and_leaves_none_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console command keeps the parts in a staging folder of its own: one left by a run
    that was killed (its process gone) is removed by the next, like an output's."""
    from planner.cli.output import STAGING_PREFIX, STAGING_SUFFIX, scratch_folder

    temp = tmp_path / "temp"
    killed = temp / f"{STAGING_PREFIX}{2**22 + 12345}-x{STAGING_SUFFIX}"  # above any pid here
    killed.mkdir(parents=True)
    (killed / "output.json.0.part").write_bytes(b"{" * 1000)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(json_report, "LINES_BESIDE", 1)
    data = report_data(build_plan(_samples(), resolve_ruleset(None, "2026-12"), "2026-12", 12))
    one = tmp_path / "one.json"
    json_report.write_json(data, one)
    target = tmp_path / "printed.json"
    with target.open("wb") as stream:
        json_report.stream_json(data, stream, scratch_folder)
    assert target.read_bytes() == one.read_bytes()
    assert list(temp.iterdir()) == []
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))  # none can be made
    with target.open("wb") as stream:
        json_report.stream_json(data, stream, scratch_folder)
    assert target.read_bytes() == one.read_bytes()


def test_a_ctrl_c_while_the_child_starts_stops_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C is held back while the child is forked and raised once it is: the child, started
    by then, is stopped rather than left writing after this process has ended."""
    import signal

    from planner.model import parallel

    real = signal.pthread_sigmask
    calls: list[int] = []

    def interrupted(how: int, mask: Any) -> Any:
        calls.append(how)
        previous = real(how, mask)
        if how == signal.SIG_SETMASK:
            raise KeyboardInterrupt
        return previous

    def job() -> None:
        time.sleep(60)

    forked: list[int] = []
    real_fork = os.fork

    def recorded_fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(parallel.signal, "pthread_sigmask", interrupted)
    monkeypatch.setattr(parallel.os, "fork", recorded_fork)
    with pytest.raises(KeyboardInterrupt):
        Beside(job)
    assert calls == [signal.SIG_BLOCK, signal.SIG_SETMASK]
    assert len(forked) == 1
    try:  # stopped and reaped: no such child left to wait for
        left = os.waitpid(forked[0], os.WNOHANG)
    except ChildProcessError:
        left = None
    if left is not None:  # not to leave one sleeping, should this fail
        os.kill(forked[0], signal.SIGKILL)
    assert left is None
