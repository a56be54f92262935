"""What ``report`` imports and forks: a child only where two files are written, never the
multiprocessing package, and no XlsxWriter in a process that does not write the workbook; what
``forecast`` of the inventory template leaves out: the readers of other formats and the planned
changes' classes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FORKS = pytest.mark.skipif(not hasattr(os, "fork"), reason="files are written apart only by fork")
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# Runs the command in this process and prints which of the modules it imported, and how many
# children it forked.
SCRIPT = """
import json, os, sys
from planner.cli.main import main
forked = []
real_fork = os.fork
def counted_fork():
    forked.append(1)
    return real_fork()
os.fork = counted_fork
try:
    main(sys.argv[1:])
except SystemExit:
    pass
imported = {name: name in sys.modules for name in ("multiprocessing", "xlsxwriter")}
print(json.dumps({**imported, "forked": len(forked)}))
"""


def _imported(tmp_path: Path, *outputs: str) -> dict[str, object]:
    command = [
        sys.executable,
        "-c",
        SCRIPT,
        "report",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        "--as-of",
        "2026-12",
    ]
    for kind in outputs:
        command += [f"--{kind}", str(tmp_path / f"plan.{kind}")]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    for kind in outputs:
        assert (tmp_path / f"plan.{kind}").stat().st_size > 0
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        # One file: written here, nothing forked.
        (("json",), {"multiprocessing": False, "xlsxwriter": False, "forked": 0}),
        (("xlsx",), {"multiprocessing": False, "xlsxwriter": True, "forked": 0}),
        # The workbook is written in the child: the parent never imports XlsxWriter.
        pytest.param(
            ("html", "json", "xlsx"),
            {"multiprocessing": False, "xlsxwriter": False, "forked": 1},
            marks=FORKS,
        ),
        pytest.param(
            ("html", "json"),
            {"multiprocessing": False, "xlsxwriter": False, "forked": 1},
            marks=FORKS,
        ),
    ],
    ids=["json", "xlsx", "all-three", "page-and-json"],
)
def test_report_imports_what_it_uses(
    tmp_path: Path, outputs: tuple[str, ...], expected: dict[str, object]
) -> None:
    assert _imported(tmp_path, *outputs) == expected


# Modules a forecast of a license JSON and the inventory template has no use for.
UNUSED_BY_FORECAST = (
    "planner.model.changes",
    "planner.ingest.workbook",
    "planner.ingest.coe",
    "planner.ingest.lcs",
    "planner.ingest.ppac",
    "planner.ingest.tenant_capacity",
    "planner.scenarios.compare",
)
FORECAST_SCRIPT = f"""
import json, sys
from planner.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps([name for name in {UNUSED_BY_FORECAST!r} if name in sys.modules]))
"""


@pytest.mark.parametrize("output", ["table", "json"])
def test_forecast_of_the_inventory_template_loads_no_other_reader_nor_change(
    tmp_path: Path, output: str
) -> None:
    command = [
        sys.executable,
        "-c",
        FORECAST_SCRIPT,
        "forecast",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        "--as-of",
        "2026-12",
    ]
    if output == "json":
        command += ["--format", "json", "-o", str(tmp_path / "plan.json")]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
