"""``capplan report --batch``: every tenant folder planned, a portfolio ranking them."""

from __future__ import annotations

import shutil
from pathlib import Path

from clitools import SAMPLES, run_capplan
from openpyxl import load_workbook

INVENTORY = "name,type,power_platform,dataverse_database_gb,operations_database_gb\n"


def _tenants(root: Path) -> Path:
    """Three tenants: the sample (short in 2028), a larger one short at once, and one whose
    inventory cannot be read."""
    folder = root / "tenants"
    for name in ("sample", "big", "broken"):
        (folder / name).mkdir(parents=True)
        shutil.copy(SAMPLES / "licenses-graph.json", folder / name / "licenses.json")
    shutil.copy(SAMPLES / "environments-inventory.csv", folder / "sample" / "environments.csv")
    rows = [f"prod-{i},production,integrated,40,900\n" for i in range(12)]
    (folder / "big" / "environments.csv").write_text(INVENTORY + "".join(rows), encoding="utf-8")
    (folder / "broken" / "environments.csv").write_text("nonsense\n1\n", encoding="utf-8")
    return folder


def test_batch_plans_every_tenant_and_ranks_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_capplan(
        "report", "--batch", str(_tenants(tmp_path)), "--out", str(out), "--as-of", "2026-12"
    )
    # A tenant with bad inputs is reported, the others are still written.
    assert result.returncode == 2
    assert "tenant broken:" in result.stderr and "environments.csv" in result.stderr
    assert "Traceback" not in result.stderr
    for name in ("sample", "big"):
        for kind in ("html", "xlsx", "json"):
            assert (out / name / f"capplan-2026-12.{kind}").is_file(), (name, kind)
    assert not (out / "broken").exists()
    page = (out / "portfolio.html").read_text(encoding="utf-8")
    assert page.index(">big<") < page.index(">sample<") < page.index(">broken<")
    assert 'href="big/capplan-2026-12.html"' in page
    assert 'href="sample/capplan-2026-12.xlsx"' in page
    rows = list(load_workbook(out / "portfolio.xlsx")["Portfolio"].iter_rows(values_only=True))
    header = rows[0]
    tenants = [row[header.index("Tenant")] for row in rows[1:]]
    assert tenants == ["big", "sample", "broken"]
    first = [row[header.index("First month short")] for row in rows[1:]]
    assert first[0].strftime("%Y-%m") == "2026-12"
    problem = rows[3][header.index("Problem")]
    assert "environments.csv" in problem


def test_batch_takes_no_input_files(tmp_path: Path) -> None:
    result = run_capplan(
        "report",
        "--batch",
        str(_tenants(tmp_path)),
        "--out",
        str(tmp_path / "out"),
        str(SAMPLES / "licenses-graph.json"),
    )
    assert result.returncode == 2
    assert "--batch takes each tenant's inputs from its folder" in result.stderr
    assert not (tmp_path / "out").exists()
    missing = run_capplan("report", "--batch", str(tmp_path / "tenants"))
    assert missing.returncode == 2 and "--batch needs --out" in missing.stderr


def test_a_tenant_holding_a_link_to_a_device_is_reported_not_read(tmp_path: Path) -> None:
    """An entry of a tenant folder that is neither a file nor a folder (here a link to
    /dev/zero) fails that tenant with one message; the others are planned."""
    tenants = _tenants(tmp_path)
    shutil.rmtree(tenants / "broken")
    (tenants / "big" / "zero.csv").symlink_to("/dev/zero")
    out = tmp_path / "out"
    result = run_capplan("report", "--batch", str(tenants), "--out", str(out), "--as-of", "2026-12")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "tenant big:" in result.stderr and "neither a file nor a folder" in result.stderr
    assert (out / "sample" / "capplan-2026-12.html").is_file()
