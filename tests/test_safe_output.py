"""Output is written safely: never over an input, never half-written, never able to run code.

Every command that writes a file (forecast -o, report --html/--xlsx/--json/--out, whatif -o,
verify --inventory --out) writes to a temporary file beside the target and moves it into place
only when finished. These tests show, through the CLI, that an input is never overwritten, that a
failed run leaves earlier output untouched with no temporary files behind, and that text taken
from input files stays inert in every renderer: escaped in HTML, text (not formulas) in Excel
and CSV, valid in JSON, and free of terminal control sequences in tables and markdown.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
import socket
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from planner.cli.main import cli
from planner.cli.output import atomic_write_text, write_all
from planner.errors import FORMULA_TRIGGERS as FORMULA_PREFIXES
from planner.errors import InputError
from planner.report.xlsx_writer import safe_cell_text
from planner.verify.inventory import neutralise_formula

AS_OF = ("--as-of", "2026-12")
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
EARLIER = "an earlier report\n"

# Names an attacker (or an unlucky copy and paste) could put into an inventory.
SCRIPT_NAME = '<script>alert("owned")</script>'
FORMULA_NAMES = (
    '=HYPERLINK("http://example.invalid/?leak="&A1,"Click")',
    "+SUM(1,2)*cmd",
    "-2+3+cmd",
    "@SUM(A1)cmd",
)
QUOTED_NAME = 'He said "hi" \\ back\\slash </b> \u2028 end'
ESCAPE_NAME = "RED \x1b[31mALERT\x1b]0;title\x07"
SKU = "=1+1+SKU"


def invoke(*args: str, color: bool = False, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), color=color, env=env)


def leftovers(folder: Path) -> list[str]:
    """Temporary files of an interrupted write (``.<name>.<random>.tmp``)."""
    return sorted(path.name for path in folder.rglob("*.tmp"))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def plain(tmp_path: Path) -> tuple[Path, Path]:
    """A small, valid license sheet and inventory."""
    licenses = tmp_path / "licenses.csv"
    licenses.write_text("sku,quantity\nDYN365_FINANCE,25\n", encoding="utf-8")
    environments = write_csv(
        tmp_path / "environments.csv",
        [
            ["name", "type", "tier", "power_platform", "org_url", "dataverse_database_gb"],
            ["PROD", "production", "", "integrated", "", "4"],
            ["UAT", "sandbox", "2", "initial", "", ""],
            ["CE", "dataverse_production", "", "", "", "3"],
        ],
    )
    return licenses, environments


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """Inputs whose names are markup, formulas, quotes and terminal escape sequences."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    licenses = write_csv(
        folder / "licenses.csv",
        [
            ["sku", "quantity", "display_name"],
            [SKU, "5", SCRIPT_NAME],
            ["DYN365_FINANCE", "25", ""],
        ],
    )
    header = ["name", "type", "tier", "power_platform", "org_url", "dataverse_database_gb"]
    rows = [
        [SCRIPT_NAME, "dataverse_production", "", "", "javascript:alert(1)", "3"],
        [QUOTED_NAME, "dataverse_sandbox", "", "", "", "2"],
        [ESCAPE_NAME, "production", "", "initial", "", ""],
        *([name, "developer", "", "", "", "1"] for name in FORMULA_NAMES),
    ]
    return licenses, write_csv(folder / "environments.csv", [header, *rows])


# ---------------------------------------------------------------------------------------------
# Never over an input


def scenario_file(folder: Path) -> Path:
    path = folder / "scenario.toml"
    path.write_text(
        'name = "More"\n[[changes]]\nkind = "buy_addon"\npool = "database"\ngb = 5\n',
        encoding="utf-8",
    )
    return path


OVERWRITES: dict[str, Callable[[Path, Path, Path], list[str]]] = {
    "forecast -o licenses": lambda lic, env, scen: ["forecast", str(lic), str(env), "-o", str(lic)],
    "forecast -o history": lambda lic, env, scen: [
        "forecast",
        str(lic),
        "--history",
        str(env),
        "-o",
        str(env),
    ],
    "report --html": lambda lic, env, scen: ["report", str(lic), str(env), "--html", str(env)],
    "report --xlsx": lambda lic, env, scen: ["report", str(lic), str(env), "--xlsx", str(lic)],
    "report --json": lambda lic, env, scen: ["report", str(lic), str(env), "--json", str(env)],
    "whatif -o input": lambda lic, env, scen: [
        "whatif",
        str(lic),
        str(env),
        "--scenario",
        str(scen),
        "-o",
        str(env),
    ],
    "whatif -o scenario": lambda lic, env, scen: [
        "whatif",
        str(lic),
        str(env),
        "--scenario",
        str(scen),
        "-o",
        str(scen),
    ],
    "report --xlsx scenario": lambda lic, env, scen: [
        "report",
        str(lic),
        str(env),
        "--scenario",
        str(scen),
        "--xlsx",
        str(scen),
    ],
    "verify --out": lambda lic, env, scen: ["verify", "--inventory", str(env), "--out", str(env)],
    "forced --licenses": lambda lic, env, scen: [
        "forecast",
        "--licenses",
        str(lic),
        str(env),
        "-o",
        str(lic),
    ],
}


@pytest.mark.parametrize("case", sorted(OVERWRITES))
def test_an_input_is_never_overwritten(case: str, plain: tuple[Path, Path]) -> None:
    licenses, environments = plain
    scenario = scenario_file(licenses.parent)
    before = {path: path.read_bytes() for path in licenses.parent.iterdir()}
    args = OVERWRITES[case](licenses, environments, scenario)
    result = invoke(*args, *(AS_OF if args[0] != "verify" else ()))
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("capplan: error:")
    assert "refusing to write" in result.stderr and "over an input file" in result.stderr
    assert {path: path.read_bytes() for path in licenses.parent.iterdir()} == before


def test_other_spellings_of_an_input_are_refused(
    plain: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    licenses, _environments = plain
    folder = licenses.parent
    (folder / "sub").mkdir()
    os.link(licenses, folder / "hard-link.csv")
    (folder / "symbolic-link.csv").symlink_to(licenses)
    monkeypatch.chdir(folder)
    before = licenses.read_bytes()
    for target in ("./sub/../licenses.csv", "hard-link.csv", "symbolic-link.csv"):
        result = invoke("forecast", "licenses.csv", "environments.csv", *AS_OF, "-o", target)
        assert result.exit_code == 2, (target, result.stderr)
        assert "over an input file" in result.stderr
    assert licenses.read_bytes() == before
    assert (folder / "symbolic-link.csv").is_symlink()


def test_report_out_folder_refuses_a_name_taken_by_an_input(plain: tuple[Path, Path]) -> None:
    licenses, environments = plain
    folder = licenses.parent / "reports"
    folder.mkdir()
    taken = folder / "capplan-2026-12.json"
    taken.write_bytes(licenses.read_bytes())
    result = invoke("report", str(taken), str(environments), *AS_OF, "--out", str(folder))
    assert result.exit_code == 2, result.stderr
    assert "refusing to write --json over an input file" in result.stderr
    assert taken.read_bytes() == licenses.read_bytes()
    assert sorted(path.name for path in folder.iterdir()) == ["capplan-2026-12.json"]


def test_files_read_from_an_input_folder_are_inputs(plain: tuple[Path, Path]) -> None:
    """A history folder and a snapshot folder are read file by file: no output may be written
    anywhere in them, over one of their files or as a new file, which the next run would read
    as an input. The message names the folder; nothing is written."""
    licenses, environments = plain
    history = licenses.parent / "history"
    history.mkdir()
    for day in ("2026-10-31", "2026-11-30"):
        (history / f"environments-{day}.csv").write_bytes(environments.read_bytes())
    snapshot = licenses.parent / "2026-12-02"
    snapshot.mkdir()
    (snapshot / "subscribedSkus.json").write_bytes((SAMPLES / "licenses-graph.json").read_bytes())
    (snapshot / "environments.json").write_bytes((SAMPLES / "environments-ppac.json").read_bytes())
    (snapshot / "tenantCapacity.json").write_bytes((SAMPLES / "tenant-capacity.json").read_bytes())
    (licenses.parent / "into-history").symlink_to(history)
    before = {p: p.read_bytes() for folder in (history, snapshot) for p in folder.iterdir()}
    history_run = ["forecast", str(licenses), str(environments), "--history", str(history)]
    attempts = {
        history: [
            [*history_run, "-o", str(history / "environments-2026-10-31.csv")],
            [*history_run, "-o", str(history / "plan.txt")],
            [*history_run, "-o", str(licenses.parent / "into-history" / "plan.txt")],
            ["report", *history_run[1:], "--out", str(history)],
            ["report", *history_run[1:], "--out", str(history / "reports")],
        ],
        snapshot: [
            ["forecast", str(snapshot), "-o", str(snapshot / "environments.json")],
            ["forecast", str(snapshot), "-o", str(snapshot / "plan.txt")],
            ["report", str(snapshot), "--json", str(snapshot / "subscribedSkus.json")],
            ["reconcile", str(snapshot), "-o", str(snapshot / "out.json")],
            ["whatif", str(snapshot), "--link", "x", "-o", str(snapshot / "sub" / "w.txt")],
        ],
    }
    for folder, runs in attempts.items():
        for args in runs:
            result = invoke(*args, *AS_OF)
            assert result.exit_code == 2, (args, result.stderr)
            assert "refusing to write" in result.stderr, result.stderr
            assert f"into {folder}, a folder capplan reads" in result.stderr, result.stderr
            assert len(result.stderr.splitlines()) == 2
    assert {p: p.read_bytes() for folder in (history, snapshot) for p in folder.iterdir()} == before
    assert not (history / "reports").exists() and not (snapshot / "sub").exists()
    beside = invoke(*history_run, *AS_OF, "-o", str(licenses.parent / "plan.txt"))
    assert beside.exit_code in (0, 1), beside.stderr


def test_the_bundled_rules_are_inputs(plain: tuple[Path, Path]) -> None:
    """The bundled rule sets and SKU catalog are read on every run."""
    from planner.ruleset.load import bundled_dir

    licenses, environments = plain
    target = bundled_dir("rules") / "pooled-2025-12.toml"
    before = target.read_bytes()
    try:
        result = invoke("forecast", str(licenses), str(environments), *AS_OF, "-o", str(target))
        assert result.exit_code == 2, result.stderr
        assert target.read_bytes() == before
    finally:  # a failing guard must not leave the checkout without its rules
        if target.read_bytes() != before:
            target.write_bytes(before)


def listing(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("name", ["rules", "templates"])
def test_nothing_new_is_written_into_the_bundled_folders(
    plain: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    """A new file among the bundled rule sets was read as one by every later run ("not valid
    TOML"); capplan's own folders take no output at all, from any command, links followed."""
    from planner.resources import bundled_dir

    licenses, environments = plain
    folder = bundled_dir(name)
    (tmp_path / "link").symlink_to(folder)
    tenants = tmp_path / "tenants"
    (tenants / "acme").mkdir(parents=True)
    shutil.copy(licenses, tenants / "acme")
    shutil.copy(environments, tenants / "acme")
    before, there = listing(folder), set(folder.rglob("*"))
    planned = [str(licenses), str(environments), *AS_OF]
    attempts = [
        ["forecast", *planned, "-o", str(folder / "zz-out.toml")],
        ["forecast", *planned, "-o", str(tmp_path / "link" / "zz-out.toml")],
        ["whatif", *planned, "--link", "UAT", "-o", str(folder / "catalog" / "zz.toml")],
        ["report", *planned, "--out", str(folder / "reports")],
        ["report", "--batch", str(tenants), "--out", str(folder / "portfolio"), *AS_OF],
        ["rules", "import-skus", str(licenses), "--out", str(folder / "zz-catalog.toml")],
        ["verify", "--inventory", str(environments), "--out", str(folder / "verified.csv")],
        ["collect", "--out", str(folder), "--token-env", "CAPPLAN_NO_SUCH_TOKEN"],
        ["collect", "--out", str(tmp_path / "link" / "snapshots"), "--token-env", "X"],
        ["init", str(folder)],
        ["init", str(tmp_path / "link" / "new-starter")],
    ]
    try:
        for args in attempts:
            result = invoke(*args)
            assert result.exit_code == 2, (args, result.stderr)
            assert "refusing to write" in result.stderr, (args, result.stderr)
            assert str(folder.resolve()) in result.stderr or str(folder) in result.stderr
            assert listing(folder) == before, args
            assert not (folder / "reports").exists() and not (folder / "new-starter").exists()
    finally:  # a failing guard must not leave files or folders in the checkout's own folders
        for path in sorted(set(folder.rglob("*")) - there, reverse=True):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def test_a_batch_never_writes_among_its_tenants(plain: tuple[Path, Path]) -> None:
    licenses, environments = plain
    tenants = licenses.parent / "tenants"
    (tenants / "acme").mkdir(parents=True)
    taken = tenants / "acme" / "capplan-2026-12.json"
    taken.write_bytes(licenses.read_bytes())
    (tenants / "acme" / "environments.csv").write_bytes(environments.read_bytes())
    for out in (tenants, tenants / "reports"):
        result = invoke("report", "--batch", str(tenants), "--out", str(out), *AS_OF)
        assert result.exit_code == 2, result.stderr
        assert "--batch folder" in result.stderr
    assert taken.read_bytes() == licenses.read_bytes()


@pytest.mark.parametrize("name", ["portfolio.html", "portfolio.xlsx", "Portfolio.HTML"])
def test_a_tenant_named_as_a_portfolio_file_is_refused_before_anything_is_written(
    plain: tuple[Path, Path], name: str
) -> None:
    """Its report folder and the portfolio file would be one path in --out: the tenants' reports
    were written, then the portfolio failed, leaving a partial set."""
    licenses, environments = plain
    tenants, out = licenses.parent / "tenants", licenses.parent / "out"
    for tenant in (name, "normal"):
        (tenants / tenant).mkdir(parents=True)
        shutil.copy(licenses, tenants / tenant)
        shutil.copy(environments, tenants / tenant)
    result = invoke("report", "--batch", str(tenants), "--out", str(out), *AS_OF)
    assert result.exit_code == 2, result.stderr
    assert f"a tenant folder is named {name}" in result.stderr
    assert str(tenants / name) in result.stderr
    assert len(result.stderr.splitlines()) == 2
    assert not out.exists()


def test_a_folder_where_the_portfolio_goes_is_refused_before_any_tenant(
    plain: tuple[Path, Path],
) -> None:
    licenses, environments = plain
    tenants, out = licenses.parent / "tenants", licenses.parent / "out"
    (tenants / "acme").mkdir(parents=True)
    shutil.copy(licenses, tenants / "acme")
    shutil.copy(environments, tenants / "acme")
    (out / "portfolio.xlsx").mkdir(parents=True)
    result = invoke("report", "--batch", str(tenants), "--out", str(out), *AS_OF)
    assert result.exit_code == 2, result.stderr
    assert "the output path is a folder" in result.stderr
    assert sorted(path.name for path in out.iterdir()) == ["portfolio.xlsx"]


@pytest.mark.parametrize("link", ["report folder", "tenant folder", "across", "portfolio"])
def test_links_between_a_batch_and_its_out_folder_never_reach_an_input(
    plain: tuple[Path, Path], link: str
) -> None:
    """A link in --out into the tenants (a report folder, or the portfolio onto an input), a
    tenant folder linked into --out, or one tenant's report folder linked to another's: the
    inputs stay as they are, and the run says why (exit status 2)."""
    licenses, environments = plain
    tenants, out = licenses.parent / "tenants", licenses.parent / "out"
    out.mkdir()
    for name in ("acme", "zenith"):
        folder = out / name if link == "tenant folder" and name == "acme" else tenants / name
        folder.mkdir(parents=True)
        # An input named as the report would be: what a link could make the report overwrite.
        (folder / "capplan-2026-12.json").write_bytes(licenses.read_bytes())
        (folder / "environments.csv").write_bytes(environments.read_bytes())
    if link == "report folder":
        (out / "acme").symlink_to(tenants / "acme")
    elif link == "tenant folder":
        (tenants / "acme").symlink_to(out / "acme")
    elif link == "across":
        (out / "acme").symlink_to(tenants / "zenith")
    else:
        (out / "portfolio.html").symlink_to(tenants / "acme" / "environments.csv")
    folders = [(tenants / name).resolve() for name in ("acme", "zenith")]
    before = {path: path.read_bytes() for folder in folders for path in folder.iterdir()}
    result = invoke("report", "--batch", str(tenants), "--out", str(out), *AS_OF)
    assert result.exit_code == 2, result.stderr
    assert "where the batch's inputs are" in result.stderr
    assert {p: p.read_bytes() for p in before} == before
    if link != "portfolio":  # the other tenant is still written
        assert (out / "zenith" / "capplan-2026-12.html").is_file()


def test_a_loop_of_links_as_an_output_is_an_ordinary_error(
    plain: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    licenses, environments = plain
    monkeypatch.chdir(licenses.parent)
    Path("loop").symlink_to("loop")
    for flag in ("-o", "--html"):
        command = "report" if flag == "--html" else "forecast"
        result = invoke(command, str(licenses), str(environments), *AS_OF, flag, "loop")
        assert result.exit_code == 2, result.stderr
        assert "symbolic links" in result.stderr and "internal error" not in result.stderr


# ---------------------------------------------------------------------------------------------
# Never half-written


def earlier_outputs(folder: Path, *names: str) -> dict[Path, bytes]:
    outputs = {}
    for name in names:
        path = folder / name
        path.write_text(EARLIER + name, encoding="utf-8")
        outputs[path] = path.read_bytes()
    return outputs


def unchanged(outputs: dict[Path, bytes]) -> bool:
    return all(path.read_bytes() == data for path, data in outputs.items())


@pytest.mark.parametrize("command", ["forecast", "whatif", "report", "verify"])
def test_bad_input_leaves_earlier_output_untouched(command: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,type,org_url\nPROD,production,\nPROD,sandbox,\n", encoding="utf-8")
    outputs = earlier_outputs(tmp_path, "out.txt", "plan.html", "plan.xlsx", "plan.json")
    out = str(tmp_path / "out.txt")
    args = {
        "forecast": ["forecast", str(bad), "-o", out],
        "whatif": ["whatif", str(bad), "--add-licenses", "DYN365_FINANCE=5", "-o", out],
        "report": [
            "report",
            str(bad),
            *(f"--{kind}={tmp_path / f'plan.{kind}'}" for kind in ("html", "xlsx", "json")),
        ],
        "verify": ["verify", "--inventory", str(bad), "--out", out],
    }[command]
    result = invoke(*args, *(AS_OF if command != "verify" else ()))
    assert result.exit_code == 2, result.stderr
    assert "used twice" in result.stderr
    assert unchanged(outputs)
    assert leftovers(tmp_path) == []


def test_a_writer_failing_midway_leaves_every_report_untouched(
    plain: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTML is finished first, then the workbook fails half-written: nothing moves into place."""
    import planner.report.xlsx

    # The workbook may be written in a child process: it leaves its path in a file.
    record = tmp_path / "seen-by-writer.txt"

    def half_written(report: object, path: Path) -> None:
        record.write_text(str(path), encoding="utf-8")
        path.write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(planner.report.xlsx, "write_xlsx", half_written)
    outputs = earlier_outputs(tmp_path, "plan.html", "plan.xlsx", "plan.json")
    licenses, environments = plain
    result = invoke(
        "report",
        str(licenses),
        str(environments),
        *AS_OF,
        "--html",
        str(tmp_path / "plan.html"),
        "--xlsx",
        str(tmp_path / "plan.xlsx"),
        "--json",
        str(tmp_path / "plan.json"),
    )
    assert result.exit_code == 2, result.stderr
    assert "plan.xlsx: cannot write the output: no space left on device" in result.stderr
    assert "expected: free some disk space" in result.stderr
    seen = [Path(record.read_text(encoding="utf-8"))]
    record.unlink()
    assert seen and seen[0].parent.parent == tmp_path and seen[0].parent.name.endswith(".tmp")
    assert unchanged(outputs)
    assert leftovers(tmp_path) == []
    assert "wrote" not in result.stdout


def test_verify_failure_leaves_the_earlier_inventory_untouched(
    plain: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.verify.dataverse

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("network vanished")

    monkeypatch.setattr(planner.verify.dataverse, "verify_inventory", broken)
    inventory = write_csv(
        tmp_path / "inventory.csv",
        [["name", "type", "org_url"], ["CE", "dataverse_production", "https://ce.example.invalid"]],
    )
    outputs = earlier_outputs(tmp_path, "verified.csv")
    result = invoke(
        "verify",
        "--inventory",
        str(inventory),
        "--out",
        str(tmp_path / "verified.csv"),
        env={"DATAVERSE_TOKEN": "t"},
    )
    assert result.exit_code == 70
    assert unchanged(outputs)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_write_all_cleans_up_after_any_failure(tmp_path: Path, failure: BaseException) -> None:
    outputs = earlier_outputs(tmp_path, "a.txt", "b.txt")

    def fail(path: Path) -> None:
        path.write_text("partial", encoding="utf-8")
        raise failure

    with pytest.raises(type(failure)):
        write_all(
            [
                (tmp_path / "a.txt", lambda path: path.write_text("new a", encoding="utf-8")),
                (tmp_path / "b.txt", fail),
            ]
        )
    assert unchanged(outputs)
    assert leftovers(tmp_path) == []


def test_finished_files_replace_earlier_ones_with_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "plan.txt"
    target.write_text("old", encoding="utf-8")
    atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert leftovers(tmp_path) == []


def test_an_output_name_of_the_longest_length_allowed_is_written(
    plain: tuple[Path, Path], tmp_path: Path
) -> None:
    # A name of 250 characters plus an extension: the system allows it, so capplan does; its
    # staged copy must not be longer.
    licenses, environments = plain
    page, book = tmp_path / ("p" * 250 + ".html"), tmp_path / ("b" * 250 + ".xlsx")
    result = invoke(
        "report", str(licenses), str(environments), *AS_OF, "--html", str(page), "--xlsx", str(book)
    )
    assert result.exit_code == 0, result.stderr
    assert page.read_bytes().startswith(b"<!DOCTYPE html>") and zipfile.is_zipfile(book)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["forecast", "whatif", "report"])
def test_successful_runs_leave_no_temporary_files(
    command: str, plain: tuple[Path, Path], tmp_path: Path
) -> None:
    licenses, environments = plain
    out = tmp_path / "out"
    outputs = {
        "forecast": ["-o", str(out)],
        "whatif": ["--add-licenses", "DYN365_FINANCE=5", "-o", str(out)],
        "report": ["--out", str(out)],
    }[command]
    result = invoke(command, str(licenses), str(environments), *AS_OF, *outputs)
    assert result.exit_code == 0, result.stderr
    assert out.exists()
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Text from inputs stays inert


def test_html_escapes_input_text(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "plan.html"
    result = invoke("report", *map(str, hostile), *AS_OF, "--html", str(out))
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(" in html
    assert "&lt;/b&gt;" in html and "</b> \u2028" not in html
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)


def formulas_in(path: Path) -> list[str]:
    """The text of every formula stored in the workbook's sheets."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8")
                found += re.findall(r"<f(?:\s[^>]*)?>(.*?)</f>", xml, re.DOTALL)
    return found


def test_xlsx_stores_formula_like_input_text_as_text(
    hostile: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "plan.xlsx"
    result = invoke("report", *map(str, hostile), *AS_OF, "--xlsx", str(out))
    assert result.exit_code == 0, result.stderr
    formulas = formulas_in(out)
    assert formulas, "the workbook has formulas of its own (SUMIFS), so this check can see them"
    assert not [f for f in formulas if "cmd" in f or "HYPERLINK" in f or "SKU" in f]
    workbook = openpyxl.load_workbook(out)
    cells = {
        str(cell.value): cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }
    for text in (*FORMULA_NAMES, SKU):
        assert text in cells, f"{text!r} is missing from the workbook"
        assert cells[text].data_type == "s", text
        assert cells[text].quotePrefix, text


def test_scenario_text_stays_inert_in_reports(plain: tuple[Path, Path], tmp_path: Path) -> None:
    """Scenario names, descriptions and notes reach the comparison section and sheet."""
    scenario = tmp_path / "hostile.toml"
    scenario.write_text(
        'name = "=HYPERLINK(\\"http://example.invalid\\",\\"cmd\\")"\n'
        "description = \"\\t=cmd|' /C calc'!A0 <script>alert(1)</script>\"\n"
        '[[changes]]\nkind = "buy_addon"\npool = "database"\ngb = 10\nnote = "@SUM(A1) cmd"\n',
        encoding="utf-8",
    )
    html, xlsx = tmp_path / "plan.html", tmp_path / "plan.xlsx"
    result = invoke(
        "report",
        *map(str, plain),
        *AS_OF,
        "--scenario",
        str(scenario),
        "--html",
        str(html),
        "--xlsx",
        str(xlsx),
    )
    assert result.exit_code == 0, result.stderr
    assert "<script" not in html.read_text(encoding="utf-8").lower()
    assert not [f for f in formulas_in(xlsx) if "cmd" in f or "HYPERLINK" in f]
    texts = [
        cell
        for sheet in openpyxl.load_workbook(xlsx).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "cmd" in cell.value
    ]
    assert any(cell.value.startswith("\t=cmd") for cell in texts)
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in texts), texts


@pytest.mark.parametrize("text", [f"{prefix}1+1" for prefix in FORMULA_PREFIXES])
def test_every_formula_prefix_is_neutralised(text: str) -> None:
    assert neutralise_formula(text) == "'" + text
    guarded = safe_cell_text(text)
    assert not isinstance(guarded, str) and str(guarded) == text  # rich text: stored as text


@pytest.mark.parametrize("value", ["PROD", "1+1", "", 12.5, -3, None, float("nan")])
def test_ordinary_values_pass_unchanged(value: object) -> None:
    result = neutralise_formula(value)
    assert result is value


def closed_loopback_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_verified_inventory_csv_neutralises_formulas(tmp_path: Path) -> None:
    url = closed_loopback_url()
    header = ["name", "type", "org_url", "dataverse_database_gb"]
    rows = [[name, "developer", url, "1"] for name in FORMULA_NAMES]
    inventory = write_csv(tmp_path / "inventory.csv", [header, *rows])
    out = tmp_path / "verified.csv"
    result = invoke(
        "verify",
        "--inventory",
        str(inventory),
        "--out",
        str(out),
        "--timeout",
        "5",
        "--allow-host",
        "127.0.0.1",
        env={"DATAVERSE_TOKEN": "test-token"},
    )
    assert result.exit_code == 3, result.stderr  # a closed port: the status is unknown
    written = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["name"] for row in written] == ["'" + name for name in FORMULA_NAMES]
    for row in written:
        assert row["power_platform_verified"] == "unknown"
        assert not any(value.startswith(FORMULA_PREFIXES) for value in row.values() if value)
    assert "test-token" not in out.read_text(encoding="utf-8")


def names_in(document: dict) -> set[str]:
    return {line["environment"] for line in document["consumption"]}


def test_json_stays_valid_and_exact(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    printed = invoke("forecast", *map(str, hostile), *AS_OF, "--format", "json")
    assert printed.exit_code == 0, printed.stderr
    document = json.loads(printed.stdout)
    expected = {SCRIPT_NAME, QUOTED_NAME, ESCAPE_NAME, *FORMULA_NAMES}
    assert names_in(document) == expected
    assert "\x1b" not in printed.stdout  # escaped as \u001b inside the strings
    out = tmp_path / "plan.json"
    written = invoke("report", *map(str, hostile), *AS_OF, "--json", str(out))
    assert written.exit_code == 0, written.stderr
    assert names_in(json.loads(out.read_text(encoding="utf-8"))) == expected
    comparison = invoke(
        "whatif",
        *map(str, hostile),
        *AS_OF,
        "--add-licenses",
        "DYN365_FINANCE=5",
        "--format",
        "json",
    )
    assert comparison.exit_code == 0, comparison.stderr
    json.loads(comparison.stdout)


@pytest.mark.parametrize(
    ("command", "output_format"),
    [
        ("forecast", "table"),
        ("forecast", "markdown"),
        ("whatif", "table"),
        ("whatif", "markdown"),
    ],
)
def test_no_escape_sequence_from_input_reaches_the_terminal(
    command: str, output_format: str, hostile: tuple[Path, Path]
) -> None:
    # whatif shows names in the changes it lists: link the environment with the hostile name.
    flags = ["--link", ESCAPE_NAME] if command == "whatif" else []
    # color=True: click must not strip the sequences, a terminal would receive them.
    result = invoke(
        command, *map(str, hostile), *AS_OF, *flags, "--format", output_format, color=True
    )
    assert result.exit_code == 0, result.stderr
    assert "ALERT" in result.stdout, "the environment name is shown"
    assert "\x1b" not in result.stdout


def test_a_full_disk_under_the_workbook_is_an_ordinary_error(
    plain: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XlsxWriter wraps the file system's error in its own; written by a child process beside
    the page, a full disk there was an internal error (exit 70). It is the disk's error."""
    from xlsxwriter.exceptions import FileCreateError
    from xlsxwriter.workbook import Workbook

    def full(self: Workbook) -> None:
        raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(Workbook, "close", full)
    licenses, environments = plain
    out = tmp_path / "reports"
    result = invoke("report", str(licenses), str(environments), *AS_OF, "--out", str(out))
    assert result.exit_code == 2, result.stderr
    assert "no space left on device" in result.stderr
    assert "internal error" not in result.stderr
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="a system without /dev/full")
def test_a_full_device_among_the_outputs_leaves_the_files_untouched(
    plain: tuple[Path, Path], tmp_path: Path
) -> None:
    """A device is written through, not staged: it is written before any file is moved into
    place, so that its failure leaves the earlier files as they were."""
    licenses, environments = plain
    earlier = earlier_outputs(tmp_path, "out.json")
    result = invoke(
        "report",
        str(licenses),
        str(environments),
        *AS_OF,
        "--html",
        "/dev/full",
        "--json",
        str(tmp_path / "out.json"),
    )
    assert result.exit_code == 2, result.stderr
    assert "/dev/full: cannot write the output: no space left on device" in result.stderr
    assert unchanged(earlier)


def test_write_all_refuses_a_pipe_nothing_reads_rather_than_waiting(tmp_path: Path) -> None:
    # Every command refuses such a pipe before it starts; the writer itself must not wait for a
    # reader either (a caller that did not check, or a reader gone meanwhile).
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    kept = earlier_outputs(tmp_path, "kept.txt")
    outcome: list[BaseException | None] = []

    def write() -> None:
        try:
            write_all(
                [
                    (tmp_path / "kept.txt", lambda path: path.write_text("new", encoding="utf-8")),
                    (pipe, lambda path: path.write_text("plan", encoding="utf-8")),
                ]
            )
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(30)
    assert not writer.is_alive(), "write_all waited for a reader"
    (error,) = outcome
    assert isinstance(error, InputError) and "a pipe that nothing reads from" in error.message
    assert unchanged(kept) and leftovers(tmp_path) == []
