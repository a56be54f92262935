"""Benchmark: whole-process time and peak memory of capplan on a large generated tenant.

Generates 5,000 environments (inventory CSV) next to the sample license export, then times
``capplan forecast`` (36 months) and ``capplan report`` against the floor of merely loading the
same files with pandas. Each command runs in a fresh process, several times; the best time and
the peak resident memory are reported.

    python benchmarks/bench.py [--environments 5000] [--months 36] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

# Without an installed capplan, "python -m planner" must find the checkout.
ENVIRONMENT = {**os.environ, "PYTHONPATH": str(ROOT)}

# Runs a command and prints the child's peak resident memory (KiB on Linux).
PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
)


def generate(folder: Path, environments: int, seed: int = 7) -> tuple[Path, Path]:
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
    shutil.copy(ROOT / "samples" / "licenses-graph.json", licenses)
    return licenses, inventory


def measure(command: list[str], runs: int) -> dict[str, float]:
    seconds: list[float] = []
    peaks: list[int] = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", PEAK, *command],
            capture_output=True,
            text=True,
            check=True,
            env=ENVIRONMENT,
        )
        seconds.append(time.perf_counter() - started)
        peak, code = result.stdout.split()
        if code != "0":
            raise SystemExit(f"command failed ({code}): {' '.join(command)}")
        peaks.append(int(peak))
    return {
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "peak_mb": max(peaks) / 1024,
    }


def capplan_command() -> list[str]:
    installed = shutil.which("capplan")
    return [installed] if installed else [sys.executable, "-m", "planner"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environments", type=int, default=5000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        licenses, inventory = generate(folder, options.environments)
        floor = [
            sys.executable,
            "-c",
            "import json, sys, pandas as pd;"
            " pd.read_csv(sys.argv[1]); json.load(open(sys.argv[2]))",
            str(inventory),
            str(licenses),
        ]
        capplan = capplan_command()
        common = [str(licenses), str(inventory), "--months", str(options.months)]
        forecast = [*capplan, "forecast", *common, "--format", "json", "-o", str(folder / "p.json")]
        report = [*capplan, "report", *common, "--out", str(folder / "report")]
        results = {
            "environments": options.environments,
            "months": options.months,
            "load_with_pandas": measure(floor, options.runs),
            "forecast": measure(forecast, options.runs),
        }
        help_text = subprocess.run(
            [*capplan, "--help"], capture_output=True, text=True, env=ENVIRONMENT
        ).stdout
        if "report" in help_text:
            results["report"] = measure(report, options.runs)
    floor_s = results["load_with_pandas"]["best_s"]
    for name in ("forecast", "report"):
        if name in results:
            results[name]["x_floor"] = results[name]["best_s"] / floor_s
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
