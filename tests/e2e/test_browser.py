"""The HTML report in a real browser: Debian's headless Chromium, driven through chromedriver.

In CI (CI=true) a missing browser is a failure, not a skip: .ci/run installs it.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest
from clitools import SAMPLES, run_capplan

BROWSER = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,2000",
)
pytestmark = pytest.mark.slow


def _require_browser() -> None:
    if BROWSER and DRIVER:
        return
    if os.environ.get("CI"):
        pytest.fail("chromium and chromedriver must be installed in CI (see .ci/run)")
    pytest.skip("chromium or chromedriver not installed")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("report")
    hostile = folder / "environments.csv"
    text = (SAMPLES / "environments-inventory.csv").read_text(encoding="utf-8-sig")
    hostile.write_text(text.replace("Contoso Trial", "<script>alert(1)</script>"), encoding="utf-8")
    run_capplan(
        "report",
        str(SAMPLES / "licenses-graph.json"),
        str(hostile),
        "--as-of",
        "2026-12",
        "--out",
        str(folder / "out"),
        check_exit=0,
    )
    data = json.loads((folder / "out" / "capplan-2026-12.json").read_text(encoding="utf-8"))
    return folder / "out" / "capplan-2026-12.html", data


def _driver(profile: Path):  # -> selenium WebDriver (imported only with a browser)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)


def test_report_in_headless_chromium(report, tmp_path) -> None:
    _require_browser()
    from selenium.webdriver.common.by import By

    page, data = report
    driver = _driver(tmp_path / "profile")
    try:
        driver.get(page.resolve().as_uri())
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []
        # The hostile name is text, and no script ran.
        assert "<script>alert(1)</script>" in driver.find_element(By.TAG_NAME, "body").text
        assert driver.execute_script("return document.scripts.length") == 0
        charts = driver.find_elements(By.CSS_SELECTOR, "svg[role='img']")
        assert len(charts) >= len(data["capacity"])
        for chart in charts:
            box = driver.execute_script(
                "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];",
                chart,
            )
            assert box[0] > 0 and box[1] > 0
        summary = driver.find_element(By.CSS_SELECTOR, "#summary table").text
        for pool in data["capacity"]:
            for key in ("entitled_gb", "consumed_gb", "available_gb"):
                assert f"{pool[key]:,.2f} GB" in summary, (pool["pool"], key)
        # Nothing was fetched from the network: every resource the page loaded is the file.
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert [r for r in resources if not r.startswith("file:")] == []
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()


LARGE_TENANT = 3000
KINDS = ("dataverse_production", "dataverse_sandbox", "developer", "production", "addon_sandbox")


def _large_inventory(path: Path, count: int) -> None:
    rng = random.Random(16)
    lines = ["name,type,tier,power_platform,dataverse_database_gb,dataverse_file_gb"]
    for index in range(count):
        kind = rng.choice(KINDS)
        tier = "2" if kind == "addon_sandbox" else ""
        state = rng.choice(["initial", "integrated"]) if kind in KINDS[3:] else ""
        lines.append(
            f"ENV-{index:05d},{kind},{tier},{state},"
            f"{rng.uniform(0.5, 8):.3f},{rng.uniform(0, 4):.3f}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _open_seconds(driver, pages: list[Path], runs: int = 5) -> list[float]:
    """The best of a few openings of each page (loaded, and laid out as a whole), taking turns
    so that a busy moment of the machine falls on both."""
    best = [float("inf")] * len(pages)
    for _ in range(runs):
        for index, page in enumerate(pages):
            driver.get("about:blank")
            started = time.perf_counter()
            driver.get(page.resolve().as_uri())
            driver.execute_script("return document.body.scrollHeight")
            best[index] = min(best[index], time.perf_counter() - started)
    return best


def test_a_large_tenant_page_opens_about_as_fast_as_the_sample(report, tmp_path) -> None:
    """Thousands of environments: the page stays under 2 MB and opens within twice the time of
    the sample's page, measured in the same browser as a ratio."""
    _require_browser()
    sample, _ = report
    inventory = tmp_path / "environments.csv"
    _large_inventory(inventory, LARGE_TENANT)
    run_capplan(
        "report",
        str(SAMPLES / "licenses-graph.json"),
        str(inventory),
        "--as-of",
        "2026-12",
        "--out",
        str(tmp_path / "out"),
        check_exit=0,
    )
    large = tmp_path / "out" / "capplan-2026-12.html"
    assert large.stat().st_size < 2 * 2**20
    data = json.loads((tmp_path / "out" / "capplan-2026-12.json").read_text(encoding="utf-8"))
    assert len({line["environment"] for line in data["consumption"]}) > LARGE_TENANT / 2
    driver = _driver(tmp_path / "profile")
    try:
        _open_seconds(driver, [sample], runs=1)  # the browser's first page pays for its start
        # A busy machine slows some openings down: the best of up to three rounds counts.
        best = [float("inf"), float("inf")]
        for _ in range(3):
            opened = _open_seconds(driver, [sample, large])
            best = [min(a, b) for a, b in zip(best, opened, strict=True)]
            if best[1] <= 2 * best[0]:
                break
    finally:
        driver.quit()
    sample_seconds, large_seconds = best
    assert large_seconds <= 2 * sample_seconds, (large_seconds, sample_seconds)
