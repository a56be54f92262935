"""Benchmark: capplan on large generated tenants, each command paired with the load floor.

For every size (5,000, 50,000 and 200,000 environments by default; ``--sizes`` to choose) the
script writes an inventory CSV next to the sample license export, then runs, in fresh processes
and interleaved so that both see the same machine:

- the floor: Python merely loading the same two files (``pandas.read_csv`` and ``json.load``);
- ``capplan forecast --format json -o FILE`` over 36 months (``--months``);
- ``capplan forecast`` as a user first types it: the table it prints (to nowhere);
- ``capplan report --out DIR``;
- ``capplan whatif --add-licenses ... --format json -o FILE`` (one scenario), and the same with
  ``--add-sandbox`` too (a scenario that changes the environments, planned and checked anew).

Each is run ``--runs`` times; the best wall time counts, and each command's time is divided by
the floor's best time from the same size. Peak memory is the largest resident size of the
whole process tree (the command and any child it starts), sampled while it runs. The report's
HTML page is measured for size, and, when Chromium, chromedriver and selenium are installed,
for the time Chromium takes to open and lay it out, next to the bundled sample's page.

    python benchmarks/bench.py [--sizes 5000,50000] [--months 36] [--runs 3] [--json FILE]

``--shape linked`` and ``--shape mixed`` generate other kinds of inventory (see SHAPES);
``--tenant LICENSES ENVIRONMENTS...`` measures a tenant's own files instead of generated ones:
a license export and one or more environment files, merged as capplan merges them (an admin
list beside the inventory, a growth sheet); any format capplan reads, which the floor loads as
CSV, JSON or workbook by their extension.

``--batch 1000x50`` measures ``capplan report --batch`` over 1,000 generated tenants of 50
environments each instead, against the floor summed over the tenants (the floor of a sample of
``--floor-sample`` tenants, scaled to all of them).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TYPES = [
    ("production", 0.05),
    ("sandbox", 0.05),
    ("addon_sandbox", 0.15),
    ("cloud_hosted_dev", 0.05),
    ("dataverse_production", 0.2),
    ("dataverse_sandbox", 0.25),
    ("developer", 0.15),
    ("trial", 0.1),
]
HEADER = [
    "name",
    "type",
    "tier",
    "power_platform",
    "linked_to",
    "dataverse_database_gb",
    "dataverse_file_gb",
    "dataverse_log_gb",
    "operations_database_gb",
    "operations_file_gb",
    "dataverse_database_growth_gb_per_month",
    "dataverse_file_growth_gb_per_month",
    "dataverse_log_growth_gb_per_month",
    "operations_database_growth_gb_per_month",
    "operations_file_growth_gb_per_month",
]
DEFAULT_SIZES = "5000,50000,200000"
AS_OF = "2026-12"
SAMPLE_LICENSES = ROOT / "samples" / "licenses-graph.json"
SAMPLE_INVENTORY = ROOT / "samples" / "environments-inventory.csv"

# Without an installed capplan, "python -m planner" must find the checkout.
ENVIRONMENT = {**os.environ, "PYTHONPATH": str(ROOT)}
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
SAMPLE_SECONDS = 0.02
LAST_CPU = 0.0

# Loading each file as pandas or the json module reads it: a table by its extension, JSON whole.
FLOOR_SCRIPT = (
    "import json, sys, pandas as pd\n"
    "for path in sys.argv[1:]:\n"
    "    end = path.lower().rsplit('.', 1)[-1]\n"
    "    if end == 'json': json.load(open(path, encoding='utf-8'))\n"
    "    elif end in ('xlsx', 'xlsm'): pd.read_excel(path)\n"
    "    else: pd.read_csv(path)\n"
)


def generate(
    folder: Path, environments: int, seed: int = 7, shape: str = "plain"
) -> tuple[Path, Path]:
    """A tenant of ``environments`` environments (and the Default one): an inventory CSV and the
    sample's license export. ``shape``: see SHAPES."""
    if shape == "linked":
        return _generate_linked(folder, environments, seed)
    if shape == "mixed":
        return _generate_mixed(folder, environments, seed)
    rng = random.Random(seed)
    kinds, weights = zip(*TYPES, strict=True)
    lines = [",".join(HEADER)]
    lines.append("Default,default,,,,2.5,1.0,0.3,,,0.01,0.01,,,")
    for index in range(environments):
        kind = rng.choices(kinds, weights)[0]
        fno = kind in ("production", "sandbox", "addon_sandbox", "cloud_hosted_dev")
        state = rng.choice(["initial", "integrated"]) if fno and kind != "cloud_hosted_dev" else ""
        tier = str(rng.randint(2, 5)) if kind == "addon_sandbox" else ""
        measured = rng.random() < 0.8

        def gb(low: float, high: float, *, when: bool = True, measured: bool = measured) -> str:
            return f"{rng.uniform(low, high):.3f}" if when and measured else ""

        ops = fno and kind != "cloud_hosted_dev"
        lines.append(
            ",".join(
                [
                    f"ENV-{index:05d}",
                    kind,
                    tier,
                    state,
                    "",
                    gb(0.5, 8),
                    gb(0, 4),
                    gb(0, 1),
                    gb(10, 200, when=ops),
                    gb(0, 20, when=ops),
                    f"{rng.uniform(0, 0.2):.3f}",
                    f"{rng.uniform(0, 0.1):.3f}",
                    f"{rng.uniform(0, 0.02):.3f}",
                    f"{rng.uniform(0, 2):.3f}" if ops else "",
                    f"{rng.uniform(0, 0.3):.3f}" if ops else "",
                ]
            )
        )
    inventory = folder / "environments-large.csv"
    inventory.write_text("\n".join(lines) + "\n", encoding="utf-8")
    licenses = folder / "licenses-graph.json"
    shutil.copy(SAMPLE_LICENSES, licenses)
    return licenses, inventory


# Inventories the benchmark can generate: its own short one, and one that costs more per
# environment in other ways, so that a target met on the first is not met by its shape alone.
SHAPES = {
    "plain": "short names, three decimals, a fifth of the usage unmeasured, no links",
    "linked": "names of words, every usage measured to four decimals, org URLs, a third of the "
    "finance and operations environments linked to existing Dataverse ones, quoted names, "
    "CRLF line ends, a license CSV",
    "mixed": "columns in another order with environment ids, measurement dates, actual sizes and "
    "a column capplan does not read, names with accents and some with a comma (quoted), most "
    "environments developer and trial ones, Power Platform states of every kind (a quarter of "
    "the finance and operations ones linked to existing Dataverse ones), a Graph license export",
}
LINKED_KINDS = [
    ("production", 3),
    ("sandbox", 5),
    ("addon_sandbox", 20),
    ("cloud_hosted_dev", 10),
    ("dataverse_production", 15),
    ("dataverse_sandbox", 25),
    ("developer", 15),
    ("trial", 7),
]
SAMPLE_LICENSE_CSV = ROOT / "samples" / "licenses-mgsku.csv"


def _generate_linked(folder: Path, environments: int, seed: int) -> tuple[Path, Path]:
    rng = random.Random(seed)
    kinds, weights = zip(*LINKED_KINDS, strict=True)
    header = [*HEADER[:5], "org_url", *HEADER[5:]]
    lines = [",".join(header), "Default,default,,,,,2.5,1.0,0.3,,,0.01,0.01,,,"]
    dataverse: list[str] = []
    for index in range(environments):
        kind = rng.choices(kinds, weights)[0]
        area = rng.choice(["Finance", "Supply Chain", "Sales", "Field Service", "HR", "Commerce"])
        stage = rng.choice(["UAT", "Test", "Dev", "Prod", "Train", "Perf"])
        name = f"Fabrikam {area} {stage} {index:06d}"
        ops = kind in FINANCE_OPERATIONS_KINDS
        state, linked_to = _power_platform(rng, kind, name, LINKED_STATES, dataverse)
        linked = state == "linked_existing"

        def gb(low: float, high: float) -> str:
            return f"{rng.uniform(low, high):.4f}"

        row = [
            f'"{name}"' if rng.random() < 0.3 else name,
            kind,
            str(rng.randint(2, 5)) if kind == "addon_sandbox" else "",
            state,
            linked_to,
            "" if kind == "cloud_hosted_dev" else f"https://fab{index:06d}.crm4.dynamics.com",
            *(["", "", ""] if linked else [gb(0.1, 30), gb(0, 60), gb(0, 5)]),
            *([gb(5, 500), gb(0, 50)] if ops else ["", ""]),
            *(["", "", ""] if linked else [gb(0, 0.5), gb(0, 0.4), gb(0, 0.05)]),
            *([gb(0, 3), gb(0, 0.5)] if ops else ["", ""]),
        ]
        lines.append(",".join(row))
    inventory = folder / "environments-large.csv"
    inventory.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    licenses = folder / "licenses-mgsku.csv"
    shutil.copy(SAMPLE_LICENSE_CSV, licenses)
    return licenses, inventory


MIXED_KINDS = [
    ("production", 4),
    ("sandbox", 8),
    ("addon_sandbox", 6),
    ("cloud_hosted_dev", 5),
    ("dataverse_production", 12),
    ("dataverse_sandbox", 15),
    ("developer", 30),
    ("trial", 10),
]
MIXED_HEADER = [
    "environment_id",
    "name",
    "type",
    "measured_on",
    "tier",
    "power_platform",
    "linked_to",
    "org_url",
    "dataverse_database_gb",
    "dataverse_database_actual_gb",
    "dataverse_file_gb",
    "dataverse_log_gb",
    "operations_database_gb",
    "operations_file_gb",
    "dataverse_database_growth_gb_per_month",
    "dataverse_file_growth_gb_per_month",
    "operations_database_growth_gb_per_month",
    "notes",
]
MIXED_WORDS = ["Contoso", "Fabrikam", "Northwind", "Tailspin", "Wide World", "Litware", "Zava"]
MIXED_PLACES = ["Finanças", "Lieferkette", "Ventes", "Köln", "São Paulo", "Zürich", "Dev", "UAT"]


def _generate_mixed(folder: Path, environments: int, seed: int) -> tuple[Path, Path]:
    rng = random.Random(seed)
    kinds, weights = zip(*MIXED_KINDS, strict=True)
    rows = [MIXED_HEADER]
    default = ["Default Environment", "default", "2026-11-28", "", "", "", "", "3.2", "3.1"]
    rows.append([_guid(rng), *default, "2.0", "0.4", "", "", "0.02", "0.01", "", ""])
    dataverse: list[str] = []
    for index in range(environments):
        kind = rng.choices(kinds, weights)[0]
        name = f"{rng.choice(MIXED_WORDS)} {rng.choice(MIXED_PLACES)} {index}"
        name += ", Inc" if rng.random() < 0.05 else ""
        ops = kind in FINANCE_OPERATIONS_KINDS
        state, linked_to = _power_platform(rng, kind, name, (*LINKED_STATES, "none"), dataverse)
        measured = rng.random() < 0.7
        has_dataverse = kind != "cloud_hosted_dev" and state not in ("none", "linked_existing")

        def gb(low: float, high: float, when: bool, measured: bool = measured) -> str:
            return f"{rng.uniform(low, high):.2f}" if when and measured else ""

        rows.append(
            [
                _guid(rng),
                name,
                kind,
                f"2026-11-{rng.randint(1, 30):02d}" if measured else "",
                str(rng.randint(2, 5)) if kind == "addon_sandbox" else "",
                state,
                linked_to,
                f"https://org{index}.crm{rng.choice(['', '4', '11'])}.dynamics.com"
                if has_dataverse
                else "",
                gb(0.1, 20, has_dataverse),
                gb(0.1, 20, has_dataverse and rng.random() < 0.3),
                gb(0, 40, has_dataverse),
                gb(0, 3, has_dataverse),
                gb(5, 300, ops),
                gb(0, 30, ops),
                gb(0, 0.3, has_dataverse),
                gb(0, 0.2, has_dataverse),
                gb(0, 2, ops),
                "migrated" if rng.random() < 0.1 else "",
            ]
        )
    inventory = folder / "environments-large.csv"
    with inventory.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    licenses = folder / "licenses-graph.json"
    shutil.copy(SAMPLE_LICENSES, licenses)
    return licenses, inventory


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128)))


# Finance and operations environments that have a Power Platform state, and the states the
# linked and mixed shapes draw.
FINANCE_OPERATIONS_KINDS = ("production", "sandbox", "addon_sandbox")
LINKED_STATES = ("initial", "integrated", "linked_existing")


def _power_platform(
    rng: random.Random, kind: str, name: str, states: tuple[str, ...], dataverse: list[str]
) -> tuple[str, str]:
    """A generated environment's Power Platform state and link: a finance and operations one
    draws its state from ``states``, and one linked to an existing Dataverse environment is
    linked to one generated before it (integrated while there is none). ``dataverse``: the
    standalone Dataverse environments so far, which ``name`` joins where it is one."""
    state = linked_to = ""
    if kind in FINANCE_OPERATIONS_KINDS:
        state = rng.choice(states)
        if state == "linked_existing":
            if dataverse:
                linked_to = rng.choice(dataverse)
            else:
                state = "integrated"
    if kind.startswith("dataverse"):
        dataverse.append(name)
    return state, linked_to


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields follow the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def _resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def tree_resident_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants, now."""
    parents = _parents()
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(_resident_bytes(pid) for pid in tree)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of the process tree of one run; the CPU seconds
    of the tree (user and system, every process that was waited for) in LAST_CPU."""
    global LAST_CPU
    peak = 0
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENVIRONMENT
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_resident_bytes(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.isdir("/proc"):
        sampler.start()
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    LAST_CPU = _children_cpu() - cpu_before
    done.set()
    if sampler.is_alive():
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(
            f"command failed ({process.returncode}): {' '.join(command)}\n"
            f"{errors.decode(errors='replace')[-2000:]}"
        )
    return seconds, peak


def measure(command: list[str]) -> tuple[float, int, int, bytes, float]:
    """Wall seconds, peak resident bytes of the process tree, exit status, stderr and CPU
    seconds of one run, whatever its exit status (the hostile benchmark expects refusals)."""
    peak = 0
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENVIRONMENT
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_resident_bytes(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.isdir("/proc"):
        sampler.start()
    _, errors = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    if sampler.is_alive():
        sampler.join()
    return seconds, peak, process.returncode, errors, _children_cpu() - cpu_before


def compile_checkout() -> None:
    """Bytecode for the checkout's modules, as an installation leaves it: pip compiles a
    package when it installs it, and the floor's pandas was compiled so. Without it, an
    environment that writes no bytecode (PYTHONDONTWRITEBYTECODE) would have every capplan run
    compile its sources again, about 0.12 s here."""
    import compileall

    compileall.compile_dir(str(ROOT / "planner"), quiet=1)


def capplan_command() -> list[str]:
    installed = shutil.which("capplan")
    return [installed] if installed else [sys.executable, "-m", "planner"]


def commands(
    folder: Path, licenses: Path, inventory: Sequence[Path], months: int
) -> dict[str, list[str]]:
    """Each command measured, by its name: the floor and capplan's. ``inventory``: the files
    that describe the environments."""
    capplan = capplan_command()
    files = [str(path) for path in inventory]
    common = [str(licenses), *files, "--as-of", AS_OF, "--months", str(months)]
    return {
        "floor": [sys.executable, "-c", FLOOR_SCRIPT, *files, str(licenses)],
        "forecast": [
            *capplan,
            "forecast",
            *common,
            "--format",
            "json",
            "-o",
            str(folder / "plan.json"),
        ],
        "forecast_table": [*capplan, "forecast", *common],
        "report": [*capplan, "report", *common, "--out", str(folder / "report")],
        "whatif": [
            *capplan,
            "whatif",
            *common,
            "--add-licenses",
            "DYN365_FINANCE=50",
            "--format",
            "json",
            "-o",
            str(folder / "whatif.json"),
        ],
        # A scenario that changes the environments too: the scenario's plan is made and
        # checked anew, and its consumption lines are written apart from the baseline's.
        "whatif_sandbox": [
            *capplan,
            "whatif",
            *common,
            "--add-licenses",
            "DYN365_FINANCE=50",
            "--add-sandbox",
            NEW_SANDBOX,
            "--format",
            "json",
            "-o",
            str(folder / "whatif-sandbox.json"),
        ],
    }


# The sandbox the second what-if adds: a name no generated tenant holds.
NEW_SANDBOX = "Benchmark UAT (new)"


def measure_size(
    folder: Path, environments: int, months: int, runs: int, shape: str = "plain"
) -> dict[str, Any]:
    licenses, inventory = generate(folder, environments, shape=shape)
    return measure_files(folder, licenses, [inventory], environments, months, runs)


def count_environments(inventory: Sequence[Path]) -> int:
    """The environments the files describe, as capplan reads and merges them (files of any
    format it reads)."""
    script = (
        "import sys\nfrom planner.errors import InputError\n"
        "from planner.ingest import load_inputs\n"
        "try:\n    print(len(load_inputs(sys.argv[1:]).environments))\n"
        "except InputError as error:\n    sys.exit(str(error))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, inventory)],
        capture_output=True,
        text=True,
        env=ENVIRONMENT,
        check=False,
    )
    if result.returncode != 0:
        names = ", ".join(map(str, inventory))
        raise SystemExit(f"capplan cannot read {names}:\n{result.stderr[-2000:]}")
    return int(result.stdout.split()[-1])


def measure_files(
    folder: Path,
    licenses: Path,
    inventory: Sequence[Path],
    environments: int,
    months: int,
    runs: int,
) -> dict[str, Any]:
    """:func:`measure_size` of the given files (``environments`` of them, for the figures per
    environment); the outputs are written in ``folder``."""
    plan = commands(folder, licenses, inventory, months)
    seconds: dict[str, list[float]] = {name: [] for name in plan}
    cpu: dict[str, list[float]] = {name: [] for name in plan}
    peaks: dict[str, int] = dict.fromkeys(plan, 0)
    for _ in range(runs):
        # Interleaved: a floor run beside every command run, so a busy moment hits both.
        for name, command in plan.items():
            elapsed, peak = run_once(command)
            seconds[name].append(elapsed)
            cpu[name].append(LAST_CPU)
            peaks[name] = max(peaks[name], peak)
    floor = min(seconds["floor"])
    floor_cpu = min(cpu["floor"])
    result: dict[str, Any] = {"environments": environments, "months": months}
    for name in plan:
        best = min(seconds[name])
        result[name] = {
            "best_s": round(best, 3),
            "runs_s": [round(s, 3) for s in seconds[name]],
            "cpu_s": round(min(cpu[name]), 3),
            "peak_mb": round(peaks[name] / 2**20, 1),
            "x_floor": round(best / floor, 2),
            # CPU seconds of the whole process tree against the floor's: steadier than wall
            # time on a shared machine, and it counts a child's work too.
            "x_floor_cpu": round(min(cpu[name]) / floor_cpu, 2),
            "ms_per_1000_environments": round(best / environments * 1e6, 2),
        }
    page = folder / "report" / f"capplan-{AS_OF}.html"
    result["html_bytes"] = page.stat().st_size
    result["html_path"] = str(page)
    return result


class Chromium:
    """Headless Chromium through chromedriver: how long a page takes to open and lay out."""

    def __init__(self, profile: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or ""
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--no-first-run",
            "--window-size=1280,2000",
            f"--user-data-dir={profile}",
        ):
            options.add_argument(flag)
        service = Service(executable_path=shutil.which("chromedriver") or "")
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(900)

    def open_seconds(self, page: Path, runs: int) -> float:
        best = float("inf")
        for _ in range(runs):
            self.driver.get("about:blank")
            started = time.perf_counter()
            self.driver.get(page.resolve().as_uri())  # returns once the page has loaded
            # Force the layout of the whole document, as a reader scrolling it needs.
            self.driver.execute_script("return document.body.scrollHeight")
            best = min(best, time.perf_counter() - started)
        return best

    def close(self) -> None:
        self.driver.quit()


def browser_available() -> bool:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return False
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return True


def sample_page(folder: Path) -> Path:
    out = folder / "sample"
    command = [
        *capplan_command(),
        "report",
        str(SAMPLE_LICENSES),
        str(SAMPLE_INVENTORY),
        "--as-of",
        AS_OF,
        "--out",
        str(out),
    ]
    run_once(command)
    return out / f"capplan-{AS_OF}.html"


def table(results: list[dict[str, Any]], sample_s: float | None) -> str:
    head = (
        "| environments | floor s | forecast / floor | printed table / floor | report / floor "
        "| whatif / floor | whatif adding a sandbox / floor | report memory (process tree) "
        "| HTML size | HTML load in Chromium |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in results:
        load = r.get("html_load_s")
        load_text = "-" if load is None else f"{load:.2f} s"
        if load is not None and sample_s:
            load_text += f" ({load / sample_s:.2f} x sample)"
        lines.append(
            f"| {r['environments']:,} | {r['floor']['best_s']:.2f} | "
            f"{_ratio(r['forecast'])} | {_ratio(r['forecast_table'])} | "
            f"{_ratio(r['report'])} | {_ratio(r['whatif'])} | {_ratio(r['whatif_sandbox'])} | "
            f"{_megabytes(r['report']['peak_mb'])} | "
            f"{r['html_bytes'] / 2**20:.2f} MB | {load_text} |"
        )
    lines.append("")
    lines.append(
        "Per 1,000 environments (ms): "
        + "; ".join(
            f"{r['environments']:,}: forecast {r['forecast']['ms_per_1000_environments']:.0f}, "
            f"report {r['report']['ms_per_1000_environments']:.0f}"
            for r in results
        )
    )
    lines.append(
        "Peak memory (MB, process tree): "
        + "; ".join(
            f"{r['environments']:,}: "
            + ", ".join(
                f"{n} {r[n]['peak_mb']:.0f}"
                for n in ("floor", "forecast", "whatif", "whatif_sandbox")
            )
            for r in results
        )
    )
    if sample_s:
        lines.append(f"The bundled sample's page opens in {sample_s:.2f} s.")
    return "\n".join(lines)


def _ratio(figures: dict[str, Any]) -> str:
    """Wall time over the floor's, and (in parentheses) CPU time over the floor's."""
    return f"{figures['x_floor']:.2f} ({figures['x_floor_cpu']:.2f} CPU)"


def _megabytes(value: float) -> str:
    return f"{value / 1024:.2f} GB" if value >= 1024 else f"{value:.0f} MB"


def measure_batch(folder: Path, tenants: int, environments: int, months: int, sample: int) -> str:
    root = folder / "tenants"
    floors: list[float] = []
    for index in range(tenants):
        tenant = root / f"tenant-{index:04d}"
        tenant.mkdir(parents=True)
        licenses, inventory = generate(tenant, environments, seed=index)
        if index < sample:
            command = [sys.executable, "-c", FLOOR_SCRIPT, str(inventory), str(licenses)]
            floors.append(run_once(command)[0])
    command = [
        *capplan_command(),
        "report",
        "--batch",
        str(root),
        "--out",
        str(folder / "out"),
        "--as-of",
        AS_OF,
        "--months",
        str(months),
    ]
    seconds, peak = run_once(command)
    floor = sum(floors) / len(floors) * tenants
    return (
        f"batch of {tenants:,} tenants x {environments:,} environments, {months} months, "
        f"{os.cpu_count()} CPUs: {seconds:.1f} s, {seconds / floor:.2f} x the floor summed over "
        f"the tenants ({floor:.1f} s: {floor / tenants:.3f} s each, from {len(floors)} tenants); "
        f"peak memory {peak / 2**20:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help=f"Comma-separated numbers of environments (default {DEFAULT_SIZES}).",
    )
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true", help="Skip the Chromium timing.")
    parser.add_argument("--json", dest="json_path", help="Also write the raw figures here.")
    parser.add_argument("--batch", metavar="TENANTSxENVIRONMENTS", help="e.g. 1000x50")
    parser.add_argument("--floor-sample", type=int, default=20)
    parser.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="plain",
        help="The generated inventory: "
        + "; ".join(f"{name}: {words}" for name, words in SHAPES.items())
        + ".",
    )
    parser.add_argument(
        "--tenant",
        nargs="+",
        metavar="FILE",
        type=Path,
        help="Measure a tenant's own files instead of generated tenants: its license export, "
        "then one or more environment files (--sizes and --shape are ignored).",
    )
    options = parser.parse_args()
    if options.batch:
        compile_checkout()
        tenants, environments = (int(n) for n in options.batch.lower().split("x"))
        with tempfile.TemporaryDirectory(prefix="capplan-bench-") as temporary:
            print(
                measure_batch(
                    Path(temporary), tenants, environments, options.months, options.floor_sample
                )
            )
        return
    sizes = [int(size.replace("_", "")) for size in options.sizes.split(",") if size.strip()]
    compile_checkout()

    results: list[dict[str, Any]] = []
    sample_s: float | None = None
    with tempfile.TemporaryDirectory(prefix="capplan-bench-") as temporary:
        root = Path(temporary)
        if options.tenant:
            licenses, *inventory = (path.resolve() for path in options.tenant)
            if not inventory:
                parser.error("--tenant takes the license export, then the environment files")
            size = count_environments(inventory)
            results.append(
                measure_files(root, licenses, inventory, size, options.months, options.runs)
            )
            names = " + ".join(path.name for path in inventory)
            print(f"measured {names}: {size:,} environments", file=sys.stderr)
        for size in [] if options.tenant else sizes:
            folder = root / str(size)
            folder.mkdir()
            results.append(measure_size(folder, size, options.months, options.runs, options.shape))
            print(f"measured {size:,} environments", file=sys.stderr, flush=True)
        if not options.no_browser and browser_available():
            browser = Chromium(root / "profile")
            try:
                sample_s = browser.open_seconds(sample_page(root), options.runs)
                for result in results:
                    result["html_load_s"] = browser.open_seconds(
                        Path(result["html_path"]), options.runs
                    )
            finally:
                browser.close()
    for result in results:
        result.pop("html_path")
    if options.json_path:
        Path(options.json_path).write_text(
            json.dumps({"sample_html_load_s": sample_s, "sizes": results}, indent=2) + "\n",
            encoding="utf-8",
        )
    print(table(results, sample_s))


if __name__ == "__main__":
    main()
