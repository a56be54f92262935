"""The built wheel works on its own: rules and templates travel inside it.

Builds the wheel, installs it into a fresh virtual environment and runs ``capplan`` from a folder
outside the checkout. The fresh environment borrows the already installed dependencies (pandas,
openpyxl, ...) through a path file, so the test needs no download beyond the build backend.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from clitools import ROOT, SAMPLES


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("capplan-*.whl")
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    # Install first: with the borrowed dependencies visible, pip would see the capplan of the
    # running environment as already installed and skip the wheel.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "borrowed-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for name in ("licenses-graph.json", "environments-inventory.csv"):
        shutil.copy(SAMPLES / name, outside / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    capplan = environment / "bin" / "capplan"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(capplan), *args], cwd=outside, env=env, capture_output=True, text=True, timeout=300
        )

    where = subprocess.run(
        [str(python), "-c", "import planner; print(planner.__file__)"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(environment)), where.stdout
    listed = run("rules", "list")
    assert listed.returncode == 0 and "pooled-2025-12" in listed.stdout, listed.stderr
    skus = run("rules", "skus", "--format", "json")
    assert skus.returncode == 0 and json.loads(skus.stdout)["count"] > 500, skus.stderr
    report = run(
        "report",
        "licenses-graph.json",
        "environments-inventory.csv",
        "--out",
        "out",
        "--as-of",
        "2026-12",
    )
    assert report.returncode == 0, report.stderr
    assert (outside / "out" / "capplan-2026-12.html").stat().st_size > 10_000
    assert (outside / "out" / "capplan-2026-12.xlsx").stat().st_size > 5_000
    plan = json.loads((outside / "out" / "capplan-2026-12.json").read_text(encoding="utf-8"))
    assert plan["ruleset"] == "pooled-2025-12"
    started = run("init", "starter")
    assert started.returncode == 0 and (outside / "starter" / "scenario.toml").exists()
