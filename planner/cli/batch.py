"""``capplan report --batch DIR``: every tenant folder under DIR planned, in parallel up to the
number of CPUs, each with its own report, and one portfolio page and workbook ranking them.

A tenant is a subfolder of DIR holding its inputs (license exports and environment lists, in
any supported format; every file not starting with a dot is read). Its report goes to
OUT/<tenant>/capplan-<as-of>.html, .xlsx and .json; the portfolio to OUT/portfolio.html and
OUT/portfolio.xlsx. A tenant whose inputs are bad is listed with the reason and does not stop
the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError


@dataclass(frozen=True)
class BatchOptions:
    """What every tenant of a batch is planned with (the common options of ``report``)."""

    as_of: str
    months: int
    rules: str | None = None
    include_warning_units: bool = False
    sheet: str | None = None
    max_bytes: int = 50 * 2**20
    buffer_pct: float = 0.0
    buy_at: str = "first-shortfall"


def tenant_folders(root: Path) -> list[Path]:
    """The tenant folders under ``root``, by name."""
    if not root.is_dir():
        raise InputError("--batch is not a folder", file=str(root), expected="a folder")
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name.casefold(),
    )
    if not folders:
        raise InputError(
            "--batch holds no tenant folder",
            file=str(root),
            expected="one subfolder per tenant, each with its license export and environment list",
        )
    return folders


# The portfolio's page and workbook, written into --out beside the tenants' report folders.
PORTFOLIO_FILES = ("portfolio.html", "portfolio.xlsx")


def check_portfolio_names(tenants: list[Path]) -> None:
    """Refuse a tenant folder named as a portfolio file (in any case, as a file system that
    ignores case would see it): its report folder and the portfolio would be one path in --out.
    Said before any tenant is planned, so that nothing is written."""
    for folder in tenants:
        if folder.name.casefold() in PORTFOLIO_FILES:
            raise InputError(
                f"a tenant folder is named {folder.name}, as the portfolio file written into "
                "--out beside the tenants' report folders: the two would be one path",
                file=str(folder),
                expected="tenant folders named other than portfolio.html and portfolio.xlsx "
                "(rename this one)",
            )


def tenant_inputs(folder: Path) -> list[str]:
    from planner.ingest.folders import visible_files

    return [str(path) for path in visible_files(folder)]


@dataclass(frozen=True)
class InputPlaces:
    """Where a batch's inputs are, links followed: the --batch folder, each tenant's folder
    (one may be a link to a folder elsewhere), capplan's own rules and templates, and the files
    read besides (--rules). No report of the batch may be written there, whatever links in
    --out lead to."""

    folders: frozenset[Path]
    files: frozenset[Path]

    @classmethod
    def of(cls, root: Path, tenants: list[Path], files: list[Path]) -> InputPlaces:
        from planner.cli.output import resolved
        from planner.resources import bundled_folders

        read = [root, *tenants, *bundled_folders()]
        return cls(
            frozenset(resolved(folder) for folder in read),
            frozenset(resolved(path) for path in files),
        )

    def holds(self, target: Path) -> Path | None:
        """The input file ``target`` would overwrite, or the input folder it would be written
        into; None where it lies outside them."""
        from planner.cli.output import resolved

        final = resolved(target)
        if final in self.files:
            return final
        return next((place for place in (final, *final.parents) if place in self.folders), None)


def plan_tenant(
    folder: Path, out: Path, options: BatchOptions, inputs_at: InputPlaces | None = None
) -> dict[str, Any]:
    """Plan one tenant and write its report; returns its portfolio summary (with the reason
    instead, when its inputs are bad, or when its report would land among the inputs)."""
    from planner.cli.output import write_all
    from planner.ingest import load_inputs
    from planner.planning import build_plan
    from planner.report.data import report_data
    from planner.report.html import render_html
    from planner.report.json_report import write_json
    from planner.report.portfolio import failed_summary, tenant_summary
    from planner.report.xlsx import write_xlsx
    from planner.ruleset import resolve_ruleset

    name = folder.name
    try:
        paths = tenant_inputs(folder)
        if not paths:
            raise InputError("the tenant folder holds no input file", file=str(folder))
        inputs = load_inputs(
            paths,
            include_warning_units=options.include_warning_units,
            sheet=options.sheet,
            max_bytes=options.max_bytes,
        )
        ruleset = resolve_ruleset(options.rules, options.as_of)
        plan = build_plan(
            inputs,
            ruleset,
            options.as_of,
            options.months,
            buffer_pct=options.buffer_pct,
            buy_at=options.buy_at,
        )
    except InputError as error:
        return failed_summary(name, error.render())
    target = out / name
    stem = f"capplan-{options.as_of}"
    files = {kind: f"{stem}.{kind}" for kind in ("html", "xlsx", "json")}
    landing = [target / file for file in files.values()]
    places = [inputs_at.holds(path) for path in [target, *landing]] if inputs_at else []
    place = next((place for place in places if place is not None), None)
    if place is not None:
        error = InputError(
            f"refusing to write the tenant's report where the batch's inputs are: links "
            f"followed, it would be written into or over {place}",
            file=str(target),
            expected="--out and the tenant folders without links from one into the other",
        )
        return failed_summary(name, error.render())
    target.mkdir(parents=True, exist_ok=True)
    data = report_data(plan)
    write_all(
        [
            (
                target / files["html"],
                lambda path: path.write_text(render_html(data, files), encoding="utf-8"),
            ),
            (target / files["xlsx"], lambda path: write_xlsx(data, path)),
            (target / files["json"], lambda path: write_json(data, path)),
        ]
    )
    return tenant_summary(name, plan, {kind: f"{name}/{file}" for kind, file in files.items()})


def _plan_tenant(job: tuple[Path, Path, BatchOptions, InputPlaces | None]) -> dict[str, Any]:
    return plan_tenant(*job)


def plan_tenants(
    folders: list[Path],
    out: Path,
    options: BatchOptions,
    workers: int | None = None,
    inputs_at: InputPlaces | None = None,
) -> Iterator[dict[str, Any]]:
    """Each tenant's summary, in the order of ``folders``: planned by up to ``workers``
    processes (default: one per CPU), each taking a run of tenants at a time."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(folders)))
    jobs = [(folder, out, options, inputs_at) for folder in folders]
    if workers == 1:
        yield from map(_plan_tenant, jobs)
        return
    # A run of several tenants per hand-over keeps the workers busy rather than waiting.
    chunk = max(1, len(jobs) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_plan_tenant, jobs, chunksize=chunk)


def run_batch(root: Path, out: Path, options: BatchOptions) -> list[dict[str, Any]]:
    """Plan every tenant under ``root`` into ``out`` and write the portfolio; returns the
    tenants' summaries, ranked."""
    from planner.cli.output import resolve_target, write_all
    from planner.report.portfolio import (
        portfolio_data,
        render_portfolio_html,
        write_portfolio_xlsx,
    )
    from planner.ruleset import ruleset_file

    folders = tenant_folders(root)
    if out.exists() and not out.is_dir():
        raise InputError("--out is not a folder", file=str(out), expected="a folder")
    rules = ruleset_file(options.rules)
    inputs_at = InputPlaces.of(root, folders, [] if rules is None else [Path(rules)])
    check_portfolio_names(folders)
    for page in PORTFOLIO_FILES:
        place = inputs_at.holds(out / page)
        if place is not None:
            raise InputError(
                f"refusing to write {page} where the batch's inputs are: links followed, it "
                f"would be written into or over {place}",
                file=str(out / page),
                expected="--out and the tenant folders without links from one into the other",
            )
        if out.is_dir():  # a folder or a socket where the page goes: said before any tenant
            resolve_target(out / page)
    out.mkdir(parents=True, exist_ok=True)
    summaries = list(plan_tenants(folders, out, options, inputs_at=inputs_at))
    data = portfolio_data(summaries, options.as_of, options.months)
    write_all(
        [
            (
                out / PORTFOLIO_FILES[0],
                lambda path: path.write_text(render_portfolio_html(data), encoding="utf-8"),
            ),
            (out / PORTFOLIO_FILES[1], lambda path: write_portfolio_xlsx(data, path)),
        ]
    )
    return data["tenants"]
