"""The CLI on the samples: formats agree, contracts hold, bad input gets one clear message."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest
from clitools import ROOT, SAMPLES, run_capplan, run_capplan_together
from referencing import Registry, Resource

LICENSE_FILES = [
    "licenses-graph.json",
    "licenses-mgsku.csv",
    "licenses-msol.csv",
    "licenses-planning.csv",
]
ENVIRONMENT_FILES = [
    "environments-inventory.csv",
    "environments-inventory.xlsx",
]
SCHEMA = json.loads((ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8"))
AS_OF = ("--as-of", "2026-12")


def forecast_json(*files: str, extra: tuple[str, ...] = ()) -> dict:
    result = run_capplan(
        "forecast",
        *(str(SAMPLES / f) for f in files),
        *AS_OF,
        "--format",
        "json",
        *extra,
        check_exit=0,
    )
    return json.loads(result.stdout)


REFERENCE = ("licenses-graph.json", "environments-inventory.csv")
PAIRS = [
    REFERENCE,
    *((license_file, REFERENCE[1]) for license_file in LICENSE_FILES),
    *((REFERENCE[0], environment_file) for environment_file in ENVIRONMENT_FILES),
    (REFERENCE[0], "environments-ppac.json"),
    (REFERENCE[0], "environments-lcs.json"),
]


@pytest.fixture(scope="module")
def sample_plans() -> dict[tuple[str, str], dict]:
    """The forecast JSON of the reference samples and of each other format of the same tenant,
    from separate processes run side by side (the reference twice: a second run must agree)."""
    commands = [
        ("forecast", *(str(SAMPLES / f) for f in pair), *AS_OF, "--format", "json")
        for pair in PAIRS
    ]
    results = run_capplan_together(commands, check_exit=0)
    plans = {}
    for pair, result in zip(PAIRS, results, strict=True):
        plans[pair if pair not in plans else ("again", *pair)] = json.loads(result.stdout)
    return plans


@pytest.fixture(scope="module")
def reference(sample_plans) -> dict:
    return sample_plans[REFERENCE]


def test_json_matches_the_schema(reference) -> None:
    jsonschema.validate(reference, SCHEMA)
    assert reference["schema_version"] == 1
    assert reference["ruleset"] == "pooled-2025-12"


def test_python_started_afresh_plans_what_a_forked_process_does(reference) -> None:
    """The commands of these tests run in processes forked from one that loaded capplan once
    (see forkserver.py): ``python -m planner`` started anew prints the same plan."""
    fresh = run_capplan(
        "forecast",
        *(str(SAMPLES / f) for f in REFERENCE),
        *AS_OF,
        "--format",
        "json",
        check_exit=0,
        fresh=True,
    )
    assert json.loads(fresh.stdout) == reference


@pytest.mark.parametrize("license_file", LICENSE_FILES)
def test_every_license_format_gives_the_same_entitlement(
    sample_plans, reference, license_file
) -> None:
    pair = (license_file, REFERENCE[1])
    plan = sample_plans[pair if pair != REFERENCE else ("again", *pair)]
    assert plan["capacity"] == reference["capacity"]
    assert plan["entitlement"] == reference["entitlement"]


@pytest.mark.parametrize("environment_file", ENVIRONMENT_FILES)
def test_inventory_csv_and_xlsx_agree(sample_plans, reference, environment_file) -> None:
    pair = (REFERENCE[0], environment_file)
    plan = sample_plans[pair if pair != REFERENCE else ("again", *pair)]
    assert plan["consumption"] == reference["consumption"]


def test_admin_api_and_lcs_lists_plan_too(sample_plans) -> None:
    for environments in ("environments-ppac.json", "environments-lcs.json"):
        plan = sample_plans[(REFERENCE[0], environments)]
        jsonschema.validate(plan, SCHEMA)
        assert {c["environment"] for c in plan["consumption"]}


def test_issue_example_by_hand(tmp_path) -> None:
    """25 Finance, 10 SCM, 50 Team Members, 8 SCM attach, 5 Activity, 4 database add-ons."""
    graph = {
        "value": [
            {
                "skuId": f"00000000-0000-0000-0000-00000000000{i}",
                "skuPartNumber": sku,
                "consumedUnits": 0,
                "prepaidUnits": {"enabled": quantity, "warning": 0, "suspended": 0, "lockedOut": 0},
            }
            for i, (sku, quantity) in enumerate(
                [
                    ("DYN365_FINANCE", 25),
                    ("DYN365_SCM", 10),
                    ("DYN365_TEAM_MEMBERS", 50),
                    ("DYN365_SCM_ATTACH", 8),
                    ("Dyn365_Operations_Activity", 5),
                    ("CDS_DB_CAPACITY", 4),
                ]
            )
        ]
    }
    licenses = tmp_path / "skus.json"
    licenses.write_text(json.dumps(graph), encoding="utf-8")
    result = run_capplan(
        "forecast", str(licenses), "--rules", "pooled-2025-12", "--format", "json", check_exit=0
    )
    capacity = {c["pool"]: c["entitled_gb"] for c in json.loads(result.stdout)["capacity"]}
    assert capacity == {"database": 274.0, "file": 265.0, "log": 2.0}


@pytest.mark.parametrize("purchase", [(), ("--buffer", "10", "--buy-at", "now")])
def test_table_and_markdown_say_what_the_json_says(
    reference: dict, purchase: tuple[str, ...]
) -> None:
    """The headline and the purchase, with --buffer and --buy-at, are the JSON's in every
    format of forecast."""
    files = [str(SAMPLES / "licenses-graph.json"), str(SAMPLES / "environments-inventory.csv")]
    if purchase:
        reference = forecast_json(
            "licenses-graph.json", "environments-inventory.csv", extra=purchase
        )
    table = run_capplan("forecast", *files, *AS_OF, *purchase, check_exit=0).stdout
    markdown = run_capplan(
        "forecast", *files, *AS_OF, *purchase, "--format", "markdown", check_exit=0
    ).stdout
    assert "\x1b[" not in table  # no colour when not on a terminal
    assert reference["shortfalls"] and reference["purchases"]
    for line in reference["headline"]["lines"]:
        assert line in table and f"- {line}" in markdown
    for shortfall in reference["shortfalls"]:
        title = shortfall["pool"].capitalize()
        assert f"{title} runs short in {shortfall['first_month']}" in table
    for bought in reference["purchases"]:
        assert f"| {bought['units']:,} | {bought['buy_month']} | " in markdown
        assert f"${bought['monthly_cost_usd']:,.2f}" in table
        assert f"${bought['horizon_cost_usd']:,.2f}" in markdown
    if purchase:
        assert all(p["buy_month"] == "2026-12" for p in reference["purchases"])
        assert all(p["buffer_pct"] == 10 for p in reference["purchases"])


def test_table_names_pools_by_title(reference) -> None:
    table = run_capplan(
        "forecast",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        *AS_OF,
        check_exit=0,
    ).stdout
    for pool in reference["capacity"]:
        assert f"{pool['entitled_gb']:,.2f} GB" in table


def test_fail_on_shortfall_writes_output_then_exits_1(reference) -> None:
    assert reference["shortfalls"], "the samples are meant to show a shortfall"
    result = run_capplan(
        "forecast",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        *AS_OF,
        "--format",
        "json",
        "--fail-on",
        "shortfall",
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["shortfalls"]
    assert "--fail-on shortfall" in result.stderr
    never = run_capplan(
        "forecast",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        *AS_OF,
        "--format",
        "json",
    )
    assert never.returncode == 0


@pytest.mark.parametrize("scenario", [(), ("--add-licenses", "DYN365_FINANCE=1")])
def test_report_fail_on_writes_every_file_then_exits_1(tmp_path, scenario) -> None:
    """report decides --fail-on before it lets the plan go and writes its files: all three are
    written, then the exit status and the reason, with or without a what-if scenario."""
    result = run_capplan(
        "report",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        *AS_OF,
        *scenario,
        "--out",
        str(tmp_path),
        "--fail-on",
        "shortfall",
    )
    assert result.returncode == 1
    assert "--fail-on shortfall: shortfall within the horizon" in result.stderr
    written = sorted(path.suffix for path in tmp_path.iterdir())
    assert written == [".html", ".json", ".xlsx"]
    assert result.stdout.count("wrote ") == 3


@pytest.mark.parametrize(
    ("content", "name", "fragment"),
    [
        ("", "empty.csv", "empty"),
        ("sku,quantity\nDYN365_FINANCE,lots\n", "words.csv", "row 2"),
        ('{"value": [', "truncated.json", "truncated.json"),
        ("name,type\nA,spaceship\n", "types.csv", "spaceship"),
    ],
)
def test_bad_input_exits_2_with_one_message(tmp_path, content, name, fragment) -> None:
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    result = run_capplan("forecast", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert result.stderr.startswith("capplan: error:")
    assert len(result.stderr.strip().splitlines()) <= 3


def test_bad_options_exit_2() -> None:
    for args in (("--as-of", "2026-13"), ("--months", "0"), ("--rules", "no-such-rules")):
        result = run_capplan("forecast", str(SAMPLES / "licenses-graph.json"), *args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_report_writes_three_files_and_refuses_to_overwrite_an_input(tmp_path, reference) -> None:
    licenses = tmp_path / "licenses.json"
    shutil.copy(SAMPLES / "licenses-graph.json", licenses)
    before = licenses.read_bytes()
    refused = run_capplan(
        "report",
        str(licenses),
        str(SAMPLES / "environments-inventory.csv"),
        "--html",
        str(licenses),
    )
    assert refused.returncode == 2
    assert licenses.read_bytes() == before
    out = tmp_path / "out"
    run_capplan(
        "report",
        str(licenses),
        str(SAMPLES / "environments-inventory.csv"),
        *AS_OF,
        "--out",
        str(out),
        check_exit=0,
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == ["capplan-2026-12.html", "capplan-2026-12.json", "capplan-2026-12.xlsx"]
    written = json.loads((out / "capplan-2026-12.json").read_text(encoding="utf-8"))
    jsonschema.validate(written, SCHEMA)
    assert written["capacity"] == reference["capacity"]


def test_failed_report_leaves_the_earlier_one_untouched(tmp_path) -> None:
    out = tmp_path / "report.html"
    out.write_text("earlier report", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,quantity\nX,-1\n", encoding="utf-8")
    result = run_capplan("report", str(bad), "--html", str(out))
    assert result.returncode == 2
    assert out.read_text(encoding="utf-8") == "earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "report.html"]


def test_whatif_flags_and_scenario_files() -> None:
    result = run_capplan(
        "whatif",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        *AS_OF,
        "--add-licenses",
        "DYN365_FINANCE=10",
        "--format",
        "json",
        check_exit=0,
    )
    data = json.loads(result.stdout)
    whatif_schema = json.loads((ROOT / "docs" / "whatif.schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resource("plan.schema.json", Resource.from_contents(SCHEMA))
    jsonschema.Draft202012Validator(whatif_schema, registry=registry).validate(data)
    delta = {d["pool"]: d for d in data["scenarios"][0]["delta"]}
    assert delta["database"]["entitled_gb"] == pytest.approx(50)
    assert delta["file"]["entitled_gb"] == pytest.approx(50)
    scenarios = sorted((SAMPLES / "scenarios").glob("*.toml"))
    assert scenarios
    # Every sample scenario, side by side in one comparison, as a user would run them.
    compared = run_capplan(
        "whatif",
        str(SAMPLES / "licenses-graph.json"),
        str(SAMPLES / "environments-inventory.csv"),
        *AS_OF,
        *(option for scenario in scenarios for option in ("--scenario", str(scenario))),
        "--format",
        "json",
        check_exit=0,
    )
    names = [s["name"] for s in json.loads(compared.stdout)["scenarios"]]
    assert len(names) == len(scenarios)


def test_init_writes_starter_files_that_plan(tmp_path) -> None:
    run_capplan("init", str(tmp_path / "tenant"), check_exit=0)
    folder = tmp_path / "tenant"
    run_capplan(
        "whatif",
        str(folder / "licenses.csv"),
        str(folder / "environments.csv"),
        *AS_OF,
        "--scenario",
        str(folder / "scenario.toml"),
        check_exit=0,
    )
    again = run_capplan("init", str(folder))
    assert again.returncode == 2 and "already exist" in again.stderr


def test_init_writes_all_starter_files_or_none(tmp_path) -> None:
    folder = tmp_path / "tenant"
    (folder / "scenario.toml").mkdir(parents=True)  # the last starter file cannot be written
    result = run_capplan("init", str(folder), "--force")
    assert result.returncode == 2 and "is a folder" in result.stderr, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["scenario.toml"]


def test_init_refuses_a_starter_pipe_nothing_reads(tmp_path) -> None:
    folder = tmp_path / "tenant"
    folder.mkdir()
    os.mkfifo(folder / "licenses.csv")
    result = run_capplan("init", str(folder), "--force")
    assert result.returncode == 2 and "pipe that nothing reads from" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["licenses.csv"]


def test_rules_commands(tmp_path) -> None:
    listed = run_capplan("rules", "list", check_exit=0).stdout
    assert "split-2023" in listed and "pooled-2025-12" in listed
    shown = json.loads(
        run_capplan("rules", "show", "split-2023", "--format", "json", check_exit=0).stdout
    )
    assert shown["defaults_combine"] == "sum"
    run_capplan("rules", "check", str(ROOT / "rules" / "pooled-2025-12.toml"), check_exit=0)
    broken = tmp_path / "broken.toml"
    text = (ROOT / "rules" / "pooled-2025-12.toml").read_text(encoding="utf-8")
    broken.write_text(text.replace('role = "activity"', 'role = "boss"'), encoding="utf-8")
    result = run_capplan("rules", "check", str(broken))
    assert result.returncode == 2
    assert "role 'boss'" in result.stderr and "line " in result.stderr


def test_help_has_an_example_on_every_command() -> None:
    for command in ("forecast", "report", "whatif", "init", "verify", "rules"):
        text = run_capplan(command, "--help", check_exit=0).stdout
        assert "Example" in text, command
    assert run_capplan("--version", check_exit=0).stdout.startswith("capplan, version")


def test_library_call_returns_the_plan_the_cli_prints(reference) -> None:
    from planner import plan
    from planner.report.data import report_data
    from planner.report.json_report import render_json

    result = plan(
        [SAMPLES / "licenses-graph.json", SAMPLES / "environments-inventory.csv"], as_of="2026-12"
    )
    assert json.loads(render_json(report_data(result)))["capacity"] == reference["capacity"]
    assert json.loads(render_json(report_data(result)))["forecast"] == reference["forecast"]


def test_json_on_standard_output_is_the_file_and_a_reader_may_stop_early(tmp_path) -> None:
    """A tenant large enough for its JSON to be written by two processes: what ``--format
    json`` prints into a pipe is what ``-o`` writes, and a reader that stops after a few bytes
    (``| head``) ends the run quietly, with its exit status unchanged."""
    inventory = tmp_path / "environments.csv"
    rows = "".join(f"PROD-{n},dataverse_production,{n % 9 + 0.5}\n" for n in range(7_500))
    inventory.write_text("name,type,dataverse_database_gb\n" + rows, encoding="utf-8")
    common = [str(SAMPLES / "licenses-graph.json"), str(inventory), "--as-of", "2026-12"]
    common += ["--format", "json"]
    written = tmp_path / "plan.json"
    printed, _ = run_capplan_together(
        [["forecast", *common], ["forecast", *common, "-o", str(written)]], check_exit=0
    )
    plan = json.loads(printed.stdout)
    assert len(plan["consumption"]) >= 20_000  # written beside: see planner/report/json_report
    assert printed.stdout == written.read_text(encoding="utf-8")
    for fail_on, status in (("never", 0), ("shortfall", 1)):
        process = subprocess.Popen(
            [sys.executable, "-m", "planner", "forecast", *common, "--fail-on", fail_on],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(100).startswith(b"{")
        process.stdout.close()
        errors = process.stderr.read().decode()
        assert process.wait(timeout=300) == status
        assert "error" not in errors and "Traceback" not in errors


@pytest.mark.parametrize("closed", [1, 2])
def test_a_closed_standard_stream_is_no_internal_error(closed: int) -> None:
    """Started with standard output closed (``>&-``), capplan says so and exits 2; with
    standard error closed it still prints its plan."""
    inputs = [str(SAMPLES / "licenses-graph.json"), str(SAMPLES / "environments-inventory.csv")]
    run = subprocess.run(
        [sys.executable, "-m", "planner", "forecast", *inputs, "--as-of", "2026-12"],
        stdout=subprocess.PIPE if closed == 2 else None,
        stderr=subprocess.PIPE if closed == 1 else None,
        preexec_fn=lambda: os.close(closed),
        cwd=ROOT,
        check=False,
    )
    if closed == 1:
        assert run.returncode == 2, run.stderr
        assert b"standard output is closed" in run.stderr and b"internal error" not in run.stderr
    else:
        assert run.returncode in (0, 1)
        assert b"Capacity plan as of 2026-12" in run.stdout


def test_a_reader_that_stops_after_one_line_ends_any_command_quietly() -> None:
    """``capplan rules list | head -1``: the command prints line by line, so a line after the
    first meets the closed pipe. It ends quietly, as the commands that print at once do."""
    process = subprocess.Popen(
        [sys.executable, "-m", "planner", "rules", "list"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each line meets the pipe as it is made
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(5)
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, errors
    assert not errors
