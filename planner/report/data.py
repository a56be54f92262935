"""What every renderer reads: :class:`ReportData`, built once per run by :func:`report_data`.

It holds the plan as plain data (the JSON contract, ``schema_version`` 1), the what-if comparison
as plain data where there is one (the ``whatif`` JSON contract), and the few words of the rule set
that the JSON does not carry (pool titles, source titles, the warning threshold). Renderers take
only a ``ReportData``: none reads a Plan, and none imports another renderer.

GB values stay unrounded here; they are rounded to 3 decimals only when written, so comparisons
(status, shortfall, ``--fail-on``) never see rounded numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import compress
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np
import pandas as pd

from planner import __version__
from planner.engine.consumption import TextCodes
from planner.report import contract
from planner.report.contract import keys
from planner.report.formatting import first_of_each_code
from planner.report.headline import plan_headline
from planner.report.words import Names, status_words
from planner.results import Comparison, Finding, Plan

if TYPE_CHECKING:
    from planner.engine.reconcile import Reconciliation

SCHEMA_VERSION = 1


def _clean(value: Any) -> Any:
    """numpy and pandas scalars to plain Python; NaN to None."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        if set(map(type, value)) <= {str}:  # names: nothing to convert (looked at in C)
            return list(value)
        return [_clean(v) for v in value]
    if value is pd.NA or value is None:
        return None
    return value


def records(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows as plain dicts (NaN as None), converted column-wise so that thousands of rows stay
    cheap."""
    converted = record_columns(frame, columns)
    return [dict(zip(columns, row, strict=True)) for row in zip(*converted.values(), strict=True)]


def record_columns(
    frame: pd.DataFrame, columns: list[str] | tuple[str, ...]
) -> dict[str, list[Any]]:
    """The values of :func:`records`, a list per column."""
    subset = frame.loc[:, list(columns)]
    converted: dict[str, list[Any]] = {}
    for column in columns:
        values = subset[column]
        if pd.api.types.is_float_dtype(values):
            numbers = values.to_numpy(dtype=float).tolist()
            converted[column] = [None if v != v else v for v in numbers]
        elif pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
            converted[column] = values.tolist()
        else:
            converted[column] = [v if type(v) is str else _clean(v) for v in values.tolist()]
    return converted


@dataclass(frozen=True, eq=False)
class LineTable:
    """A table of a plan's data kept as its frame: the whatif JSON writes its lines straight
    from the columns, without a record per line (a scenario's consumption lines are its
    largest table). ``records()`` gives the list of records it stands for."""

    frame: pd.DataFrame
    keys: tuple[str, ...]
    # The plan's frame this table was cut from (None: not known). Tables of one source and the
    # same keys hold the same lines: a scenario that reuses the baseline's consumption shares
    # its frame, and a writer may write their text once.
    source: pd.DataFrame | None = None
    # Text columns of the frame as values and codes, where the engine made them so (see
    # planner.engine.consumption.Consumption.line_text): a writer encodes each value once.
    codes: dict[str, TextCodes] = field(default_factory=dict)

    def records(self) -> list[dict[str, Any]]:
        return records(self.frame, self.keys)

    def columns(self) -> dict[str, list[Any]]:
        return record_columns(self.frame, self.keys)

    def column(self, key: str) -> list[Any]:
        """One key's values, as :meth:`columns` gives them."""
        return record_columns(self.frame, (key,))[key]


# The keys of each table, as the contract (planner.report.contract) writes them.
CAPACITY_KEYS = keys(contract.CapacityRow)
ENTITLEMENT_KEYS = keys(contract.EntitlementRow)
CONSUMPTION_KEYS = keys(contract.ConsumptionRow)
FORECAST_KEYS = keys(contract.ForecastRow)
SHORTFALL_KEYS = keys(contract.ShortfallRow)
PURCHASE_KEYS = keys(contract.PurchaseRow)
BOUGHT_KEYS = keys(contract.BoughtRow)
ASSUMPTION_KEYS = keys(contract.AssumptionRow)
LICENSE_KEYS = keys(contract.LicenseRow)
IGNORED_LICENSE_KEYS = keys(contract.IgnoredLicenseRow)


# The plan's tables, each with the contract's keys in order.
TABLES: dict[str, tuple[str, ...]] = {
    "capacity": CAPACITY_KEYS,
    "entitlement": ENTITLEMENT_KEYS,
    "consumption": CONSUMPTION_KEYS,
    "forecast": FORECAST_KEYS,
    "shortfalls": SHORTFALL_KEYS,
    "purchases": PURCHASE_KEYS,
    "bought": BOUGHT_KEYS,
    "assumptions": ASSUMPTION_KEYS,
    "licenses": LICENSE_KEYS,
    "ignored_licenses": IGNORED_LICENSE_KEYS,
}
# Tables the renderers read from their frames (``ReportData.tables``), never as a record per row:
# the consumption lines (a row per environment and capacity type), and the license lines (an
# export can hold hundreds of thousands); the other tables have a row per pool, month or rule.
LONG_TABLES = ("consumption", "licenses", "ignored_licenses")
# The keys of the plan JSON, in the order they are written.
PLAN_KEYS = keys(contract.PlanDocument)


def plan_tables(plan: Plan, names: Sequence[str] = tuple(TABLES)) -> dict[str, pd.DataFrame]:
    """The plan's tables as frames of the contract's columns (see ``TABLES``), unrounded; those
    of ``names`` only, where given."""
    makers: dict[str, Callable[[], pd.DataFrame]] = {
        "capacity": lambda: _capacity_frame(plan),
        "entitlement": lambda: _entitlement_frame(plan),
        "consumption": lambda: plan.consumption,
        "forecast": lambda: plan.forecast.table,
        "shortfalls": lambda: _as_objects(plan.shortfalls, "addon_units"),
        "purchases": lambda: _as_objects(plan.purchases, "units"),
        "bought": lambda: _as_objects(
            plan.bought if len(plan.bought) else pd.DataFrame(columns=list(BOUGHT_KEYS)), "units"
        ),
        "assumptions": lambda: plan.assumptions,
        "licenses": lambda: plan.licenses,
        "ignored_licenses": lambda: plan.licenses[plan.licenses["status"] == "not_relevant"],
    }
    return {name: makers[name]().loc[:, list(TABLES[name])] for name in names}


def _as_objects(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with ``column`` as Python objects (whole numbers written as such, a gap as
    None): what ``astype({column: object})`` gives, in a tenth of its time on the few rows of
    these tables (pandas' astype took a millisecond a call)."""
    return frame.assign(**{column: frame[column].to_numpy(dtype=object)})


def _capacity_frame(plan: Plan) -> pd.DataFrame:
    capacity = plan.capacity.copy()
    thresholds = plan.ruleset.thresholds
    capacity["status_text"] = [
        status_words(
            status,
            deficit,
            thresholds.warning_remaining.value,
            thresholds.critical_remaining.value,
        )
        for status, deficit in zip(
            capacity["status"], capacity["effective_deficit_gb"], strict=True
        )
    ]
    return capacity


def _entitlement_frame(plan: Plan) -> pd.DataFrame:
    entitlement = plan.entitlement.copy()
    entitlement["sku"] = entitlement["sku"].where(entitlement["sku"] != "", None)
    return entitlement


# The tables the headline reads besides the fields.
HEADLINE_TABLES = ("shortfalls", "purchases", "bought")


def plan_fields(
    plan: Plan, before_checks: tuple[dict[str, Any], dict[str, pd.DataFrame]] | None = None
) -> dict[str, Any]:
    """The keys of the plan JSON that are not tables: the run, the rule set, changes, findings.

    ``before_checks``: the fields and tables of the same plan before its checks ran (the report
    data of the plan planner.planning.engine_plan made): only the findings, and the headline
    that counts them, are made again."""
    ruleset = plan.ruleset
    if before_checks is not None:
        earlier, tables = before_checks
        fields = {**earlier, "findings": FindingList(plan.findings)}
        small = {name: records(tables[name], TABLES[name]) for name in HEADLINE_TABLES}
        fields["headline"] = plan_headline({**fields, **small}, Names.of(ruleset))
        return fields
    fields: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generator": f"capplan {__version__}",
        "ruleset": ruleset.id,
        "ruleset_title": ruleset.title,
        "ruleset_effective_from": ruleset.effective_from,
        "defaults_combine": ruleset.defaults_combine,
        "as_of": plan.as_of,
        "months": plan.months,
        "horizon_end": plan.forecast.months[-1],
        "inputs": [
            {
                "path": s.path,
                "kind": s.kind,
                "format": s.format,
                "rows": s.rows,
                "tenant_id": s.tenant_id or None,
            }
            for s in plan.inputs.sources
        ],
        "changes": [
            {
                "kind": c.kind,
                "month": c.month_label,
                "subject": c.subject,
                "description": c.describe(),
                "origin": c.origin,
            }
            for c in plan.changes
        ],
        "findings": FindingList(plan.findings),
        "pools": [{"pool": p.name, "title": p.title} for p in ruleset.pools],
        **(
            {}
            if plan.reconciliation is None
            else {"reconciliation": reconciliation_data(plan.reconciliation)}
        ),
        "notifications": notifications_data(plan),
        **lifecycle_data(plan),
    }
    # The headline from the same (unrounded) data every format shows, so all of them agree.
    small = {
        "shortfalls": records(_as_objects(plan.shortfalls, "addon_units"), SHORTFALL_KEYS),
        "purchases": records(_as_objects(plan.purchases, "units"), PURCHASE_KEYS),
        "bought": records(
            plan.bought if len(plan.bought) else pd.DataFrame(columns=list(BOUGHT_KEYS)),
            BOUGHT_KEYS,
        ),
    }
    fields["headline"] = plan_headline({**fields, **small}, Names.of(ruleset))
    return fields


# The keys of a finding's record: the fields of a Finding, in their order.
FINDING_KEYS = ("code", "severity", "subject", "message", "month")


def finding_records(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Each finding as a record of FINDING_KEYS (a large tenant has tens of thousands): made
    by msgspec in C, 51 ms for 120,000 where a dict each in Python took 85 ms."""
    if Finding.__struct_fields__ != FINDING_KEYS:
        raise TypeError("a Finding's fields are not the keys of its record")
    records: list[dict[str, Any]] = msgspec.to_builtins(list(findings))
    return records


@dataclass(frozen=True, eq=False)
class FindingList:
    """A plan's findings in its data, kept as the plan has them: a large tenant has tens of
    thousands, and the JSON writer writes them a column at a time (13 ms less at 50,000
    environments than from a record each). The renderers read ``records()``, the records of
    ``finding_records``: :func:`plan_document` gives them."""

    findings: tuple[Finding, ...]

    def __len__(self) -> int:
        return len(self.findings)

    def records(self) -> list[dict[str, Any]]:
        """The findings' records: made once, one list for every renderer, as before."""
        return self._records

    @cached_property
    def _records(self) -> list[dict[str, Any]]:
        return finding_records(self.findings)

    def columns(self) -> list[list[Any]]:
        """The findings' values key by key, in ``FINDING_KEYS`` order (made once; not to be
        changed)."""
        return [self._columns[key] for key in FINDING_KEYS]

    def column(self, key: str) -> list[Any]:
        """One key's values, in the findings' order (made once; not to be changed)."""
        return self._columns[key]

    @cached_property
    def _columns(self) -> dict[str, list[Any]]:
        return {key: list(map(attrgetter(key), self.findings)) for key in FINDING_KEYS}

    def record(self, position: int) -> dict[str, Any]:
        """The record of the finding at ``position``, as :meth:`records` has it."""
        return finding_records([self.findings[position]])[0]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The records, for a renderer that reads the findings as the list of them."""
        return iter(self._records)

    def of_severity(
        self, severity: str, *, excluding: Collection[str] = (), first: int | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """The records of the findings of ``severity`` whose code is not one of ``excluding``,
        of the ``first`` of them only where given, and how many there are (the headline's
        errors: a few named of many). Found a column at a time: a test of each finding in
        Python took 12 ms of 30,000."""
        severities = map(attrgetter("severity"), self.findings)
        kept = list(compress(self.findings, map(severity.__eq__, severities)))
        if excluding:
            kept = [finding for finding in kept if finding.code not in excluding]
        return finding_records(kept[:first]), len(kept)

    def shown(self) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """What :func:`findings_shown` gives of the records, the records made of only the
        findings listed: a text format lists a few of each code, of tens of thousands."""
        positions, more = first_of_each_code(list(map(attrgetter("code"), self.findings)))
        return finding_records([self.findings[position] for position in positions]), more


NOTIFICATION_LEVELS = ("warning", "critical", "over")


def notifications_data(plan: Plan) -> list[dict[str, Any]]:
    """The first month each pool reaches each notification level (a worse level counts as
    having reached the milder ones), in month order: when the admin center's banners start."""
    forecast = plan.forecast
    rank = {"ok": 0, "warning": 1, "critical": 2, "over": 3}
    found = []
    for position, pool in enumerate(plan.ruleset.pool_names):
        levels = np.vectorize(rank.__getitem__, otypes=[int])(forecast.status[position])
        for level, status in enumerate(NOTIFICATION_LEVELS, start=1):
            reached = np.flatnonzero(levels >= level)
            if not len(reached):
                continue
            month = int(reached[0])
            found.append(
                {
                    "month": forecast.months[month],
                    "pool": pool,
                    "status": status,
                    "remaining_share": float(forecast.remaining[position, month]),
                    "effective_deficit_gb": float(forecast.deficit[position, month]),
                }
            )
    return sorted(found, key=lambda n: (n["month"], NOTIFICATION_LEVELS.index(n["status"])))


def lifecycle_data(plan: Plan) -> dict[str, Any]:
    """``overage_lifecycle`` (the stages reached, empty when none) and, where the lifecycle
    does not apply to the tenant, ``overage_lifecycle_note`` saying why."""
    lifecycle = plan.lifecycle
    if lifecycle is None:
        return {}
    return {
        "overage_lifecycle": [
            {
                "stage": stage.stage,
                "name": stage.name,
                "starts": stage.starts,
                "environments": list(stage.environments),
                "t0": stage.t0,
            }
            for stage in lifecycle.stages
        ],
        "overage_lifecycle_note": lifecycle.note,
    }


def reconciliation_data(reconciliation: Reconciliation) -> dict[str, Any]:
    """Month 0 beside Microsoft's figures: pools, licenses and why they differ (the plan JSON's
    ``reconciliation``, present only when a tenant capacity answer is among the inputs)."""
    licenses = reconciliation.licenses.copy()
    for column in ("capplan_units", "microsoft_units"):
        licenses[column] = pd.Series(
            [None if v != v else int(v) for v in licenses[column]],
            dtype=object,
            index=licenses.index,
        )
    return {
        "source": reconciliation.source,
        "tenant_id": reconciliation.tenant_id or None,
        "license_model": reconciliation.license_model or None,
        "status": reconciliation.status or None,
        "tolerance_gb": reconciliation.tolerance_gb,
        "matches": not (
            len(reconciliation.mismatched_licenses)
            or len(reconciliation.mismatched_consumption)
            or reconciliation.unexplained_gb
        ),
        "pools": records(reconciliation.pools, keys(contract.ReconciledPoolRow)),
        "licenses": records(licenses, keys(contract.ReconciledLicenseRow)),
        "explanations": list(reconciliation.explanations),
        "not_counted": records(reconciliation.listed, keys(contract.NotCountedRow)),
    }


def plan_document(
    fields: dict[str, Any], tables: dict[str, Any], *, findings_as_list: bool = True
) -> dict[str, Any]:
    """The plan JSON's keys in order, from ``plan_fields`` and the tables in whatever form a
    writer wants them; optional keys the plan does not have (``reconciliation``) are left out.
    The findings as their records, or, with ``findings_as_list=False``, as the
    :class:`FindingList` of the fields (for the JSON writer)."""
    document = {
        key: fields[key] if key in fields else tables[key]
        for key in PLAN_KEYS
        if key in fields or key in tables
    }
    findings = document.get("findings")
    if findings_as_list and isinstance(findings, FindingList):
        document["findings"] = findings.records()
    return document


def text_codes(plan: Plan) -> dict[str, dict[str, TextCodes]]:
    """The text columns of the plan's tables that the engine made as values and codes, by
    table (the consumption lines; see ``LineTable.codes``). ``plan_tables`` keeps each table's
    rows in the engine's order, so the codes hold for its frames too."""
    return {"consumption": plan.consumption_detail.line_text}


def plan_data(
    plan: Plan,
    *,
    line_tables: bool = False,
    made: tuple[dict[str, Any], dict[str, pd.DataFrame]] | None = None,
    long_only: bool = False,
) -> dict[str, Any]:
    """The plan as plain data (the plan JSON contract): tables as lists of records, numbers
    unrounded; with ``line_tables`` (for the writers), the long tables (``LONG_TABLES``) as
    :class:`LineTable` and the findings as their :class:`FindingList`, whose records are made
    only for a writer that reads them (the JSON's writes them from their columns).
    ``made``: the plan's ``plan_fields`` and ``plan_tables`` where they are made already.
    ``long_only``: the long tables alone, as line tables, in their order (see
    :func:`comparison_data`)."""
    # Line tables of one source hold the same lines wherever they are (see LineTable).
    sources = {"consumption": plan.consumption}
    codes = text_codes(plan)
    if long_only:
        long_frames = plan_tables(plan, [key for key in PLAN_KEYS if key in LONG_TABLES])
        return {
            name: LineTable(frame, TABLES[name], sources.get(name), codes.get(name, {}))
            for name, frame in long_frames.items()
        }
    fields, frames = (plan_fields(plan), plan_tables(plan)) if made is None else made
    tables: dict[str, Any] = {
        name: LineTable(frame, TABLES[name], sources.get(name), codes.get(name, {}))
        if line_tables and name in LONG_TABLES
        else records(frame, TABLES[name])
        for name, frame in frames.items()
    }
    return plan_document(fields, tables, findings_as_list=not line_tables)


def comparison_data(
    comparison: Comparison,
    *,
    line_tables: bool = False,
    baseline: tuple[dict[str, Any], dict[str, pd.DataFrame]] | None = None,
    scenarios_later: bool = False,
) -> dict[str, Any]:
    """The whatif JSON contract: baseline plan, and per scenario its plan and deltas; with
    ``line_tables``, each plan's long tables as :class:`LineTable` (for the writers, which
    read no line of them but the JSON's). ``baseline``: the baseline's fields and tables where
    they are made already (see :func:`plan_data`).

    ``scenarios_later`` (with ``line_tables``): the document begun before the plans are
    checked (see planner.report.json_report.begin_json), whose text goes as far as the
    baseline's consumption lines, and whose long tables a child process writes: the baseline
    whole, each scenario's plans as their long tables alone, and no baseline summary (None).
    :func:`checked_comparison_data` makes the rest with the checks: at 50,000 environments 30 ms
    less before the child starts."""
    if scenarios_later:
        scenarios = []
        for scenario, plan in comparison.scenarios:
            entry = {"plan": plan_data(plan, long_only=True)}
            if scenario.switch is not None:
                before = comparison.before_switch[scenario.name]
                entry["plan_before_switch"] = plan_data(before, long_only=True)
            scenarios.append(entry)
        return {
            "schema_version": SCHEMA_VERSION,
            "baseline": plan_data(comparison.baseline, line_tables=True, made=baseline),
            "baseline_summary": None,
            "scenarios": scenarios,
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "baseline": plan_data(comparison.baseline, line_tables=line_tables, made=baseline),
        **_scenario_data(comparison, line_tables=line_tables),
    }


def _scenario_data(comparison: Comparison, *, line_tables: bool) -> dict[str, Any]:
    """The baseline's summary and the scenarios of :func:`comparison_data`."""
    # What-if only: forecast and report without scenarios load none of it.
    from planner.scenarios.compare import (
        delta,
        extension_outcomes,
        matching_pools,
        pool_summary,
        scenario_plans,
    )

    baseline_summary = pool_summary(comparison.baseline)
    scenarios = []
    for scenario, plan in comparison.scenarios:
        summary = pool_summary(plan)
        entry: dict[str, Any] = {
            "name": scenario.name,
            "source": scenario.source,
            "description": scenario.description,
            "changes": [c.describe() for c in scenario.changes],
            "summary": summary,
            "delta": delta(baseline_summary, summary),
            "plan": plan_data(plan, line_tables=line_tables),
            "extensions": extension_outcomes(scenario_plans(comparison, scenario, plan)),
        }
        if scenario.switch is not None:
            # Compared from the switch month on, pool by pool of the new rule set.
            before = comparison.before_switch[scenario.name]
            at_switch = pool_summary(comparison.baseline, start=scenario.switch.month)
            entry["changes"].append(scenario.switch.describe())
            entry["delta"] = delta(
                at_switch, summary, matching_pools(comparison.baseline.ruleset, plan.ruleset)
            )
            entry["ruleset_switch"] = {
                "rules": plan.ruleset.id,
                "month": scenario.switch.month_label,
            }
            entry["plan_before_switch"] = plan_data(before, line_tables=line_tables)
        scenarios.append(entry)
    return {"baseline_summary": baseline_summary, "scenarios": scenarios}


def checked_comparison_data(early: dict[str, Any], comparison: Comparison) -> dict[str, Any]:
    """:func:`comparison_data` of ``comparison`` (its plans checked), from ``early``, that of
    the same plans made before their checks with ``scenarios_later``
    (planner.scenarios.compare.engine_comparison): the baseline's findings and the headline
    that counts them made again, the scenarios made from the checked plans (whose tables are
    those of the plans before their checks)."""
    if early["baseline_summary"] is not None:
        raise ValueError("the data begun before the checks is made with scenarios_later")
    baseline = _checked_document(early["baseline"], comparison.baseline)
    return {**early, "baseline": baseline, **_scenario_data(comparison, line_tables=True)}


def _checked_document(early: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """A plan's document for the writers (see :func:`plan_data`) made before its checks, with
    the findings of the checked ``plan`` and the headline made again (as :func:`plan_fields`
    makes them)."""
    findings = FindingList(plan.findings)
    document = {**early, "findings": findings}
    document["headline"] = plan_headline(document, Names.of(plan.ruleset))
    return document


@dataclass(frozen=True)
class Source:
    """A document a rule set cites: its id, title and address."""

    id: str
    title: str
    url: str


@dataclass(frozen=True)
class ReportData:
    """The one input of every renderer, built once per run by :func:`report_data`.

    ``plan`` is :func:`plan_data` of the plan (the baseline where there are scenarios), built
    from ``fields`` and ``tables`` (the same numbers as frames, which a writer of thousands of
    rows may read instead) when first read; ``comparison`` is :func:`comparison_data` of the
    what-if comparison, or None. The rest are
    the rule set's words: ``pool_titles`` and ``draws_on`` by pool name (the baseline's pools,
    then pools only a scenario's rule set has), the baseline rule set's ``sources`` and its
    ``warning_share`` (the share of a pool left below which its status is a warning).
    """

    fields: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    comparison: dict[str, Any] | None
    pool_titles: dict[str, str]
    draws_on: dict[str, tuple[str, ...]]
    sources: tuple[Source, ...]
    warning_share: float
    names: Names  # the baseline rule set's pool titles, product names and family titles
    critical_share: float = 0.05
    # Text columns of ``tables`` as values and codes, by table (see :func:`text_codes`).
    codes: dict[str, dict[str, TextCodes]] = field(default_factory=dict)

    def status_words(self, row: dict[str, Any]) -> str:
        """A capacity or forecast row's status as the admin center words it."""
        return status_words(
            row["status"],
            row.get("effective_deficit_gb"),
            self.warning_share,
            self.critical_share,
        )

    @cached_property
    def plan(self) -> dict[str, Any]:
        """The plan's data, as :func:`plan_data` gives it."""
        small = self._small_records
        tables = {
            name: small[name] if name in small else records(frame, TABLES[name])
            for name, frame in self.tables.items()
        }
        return plan_document(self.fields, tables)

    @cached_property
    def brief(self) -> dict[str, Any]:
        """The plan's data without its long tables (``LONG_TABLES``: a record per environment
        and capacity type, or per license line): for the renderers, which read those from
        ``tables`` rather than a record each."""
        return plan_document(self.fields, self._small_records)

    @cached_property
    def outline(self) -> dict[str, Any]:
        """:attr:`brief` with the findings as the plan has them, a :class:`FindingList`: for the
        text formats, which list a few of each code (see :meth:`FindingList.shown`)."""
        return plan_document(self.fields, self._small_records, findings_as_list=False)

    @cached_property
    def _small_records(self) -> dict[str, list[dict[str, Any]]]:
        return {
            name: records(frame, TABLES[name])
            for name, frame in self.tables.items()
            if name not in LONG_TABLES
        }

    @cached_property
    def timeline(self) -> list[dict[str, Any]]:
        """The admin center's banners and the overage lifecycle's stages in date order, in
        words: ``{"month", "date", "what", "environments"}`` (date None for a banner, which
        shows from some day of its month)."""
        data = self.outline
        events: list[tuple[str, int, dict[str, Any]]] = []
        for note in data.get("notifications", []):
            title = self.names.pool(note["pool"])
            what = {
                "warning": f"{title}: first banner, running low (less than "
                f"{self.warning_share:.0%} left)",
                "critical": f"{title}: running low (less than {self.critical_share:.0%} left)",
                "over": f"{title}: deficit after borrowing, {note['effective_deficit_gb']:,.2f} GB",
            }[note["status"]]
            events.append(
                (
                    note["month"],
                    0,
                    {"month": note["month"], "date": None, "what": what, "environments": []},
                )
            )
        for stage in data.get("overage_lifecycle", []):
            events.append(
                (
                    stage["starts"][:7],
                    stage["stage"],
                    {
                        "month": stage["starts"][:7],
                        "date": stage["starts"],
                        "what": f"Overage stage {stage['stage']}: {stage['name']}",
                        "environments": stage["environments"],
                    },
                )
            )
        return [event for _, _, event in sorted(events, key=lambda e: (e[0], e[1]))]

    @property
    def source_titles(self) -> dict[str, str]:
        """Source titles by address, as entitlement lines name their source."""
        return {s.url: s.title for s in self.sources}


def check_baseline(plan: Plan, comparison: Comparison) -> None:
    """The report's plan has to be the comparison's baseline (normally the same object)."""
    baseline = comparison.baseline
    if plan is baseline:
        return
    if (plan.as_of, plan.months, plan.ruleset.id) != (
        baseline.as_of,
        baseline.months,
        baseline.ruleset.id,
    ):
        raise ValueError(
            "the plan is not the comparison's baseline: pass comparison.baseline as the plan"
        )


def report_data(
    plan: Plan | None = None,
    comparison: Comparison | None = None,
    *,
    before_checks: ReportData | None = None,
    scenarios_later: bool = False,
) -> ReportData:
    """The renderers' input for ``plan``, or for a ``comparison`` and its baseline (``plan``
    may then be left out; given, it must be the comparison's baseline). ``scenarios_later``:
    the data of a comparison begun before its checks, for the JSON alone (see
    :func:`comparison_data`).

    ``before_checks``: the report data of the same plan before its checks ran (the plan
    planner.planning.engine_plan made, of which ``plan`` is planner.planning.check_plan's
    result), or of the same comparison (see :func:`checked_comparison_data`). Only the plans'
    fields depend on the findings: their tables are taken from there."""
    if before_checks is not None:
        earlier = (before_checks.fields, before_checks.tables)
        if comparison is not None and before_checks.comparison is not None:
            check_baseline(plan or comparison.baseline, comparison)
            return replace(
                before_checks,
                fields=plan_fields(comparison.baseline, earlier),
                comparison=checked_comparison_data(before_checks.comparison, comparison),
            )
        if plan is None or comparison is not None or before_checks.comparison is not None:
            raise ValueError("before_checks is the report data of the same plan or comparison")
        return replace(before_checks, fields=plan_fields(plan, earlier))
    if comparison is not None:
        if plan is None:
            plan = comparison.baseline
        check_baseline(plan, comparison)
    if plan is None:
        raise ValueError("report_data needs a plan or a comparison")
    rulesets = [plan.ruleset]
    if comparison is not None:
        rulesets += [other.ruleset for _, other in comparison.scenarios]
    pool_titles: dict[str, str] = {}
    draws_on: dict[str, tuple[str, ...]] = {}
    for ruleset in rulesets:  # the baseline's pools first: its titles win
        for pool in ruleset.pools:
            pool_titles.setdefault(pool.name, pool.title)
            draws_on.setdefault(pool.name, tuple(pool.draws_on))
    fields, tables = plan_fields(plan), plan_tables(plan)
    return ReportData(
        fields=fields,
        tables=tables,
        comparison=None
        if comparison is None
        else comparison_data(
            comparison,
            line_tables=True,
            baseline=(fields, tables),
            scenarios_later=scenarios_later,
        ),
        pool_titles=pool_titles,
        draws_on=draws_on,
        sources=tuple(Source(s.id, s.title, s.url) for s in plan.ruleset.sources.values()),
        warning_share=plan.ruleset.thresholds.warning_remaining.value,
        names=Names.of(plan.ruleset, (source.path for source in plan.inputs.sources)),
        critical_share=plan.ruleset.thresholds.critical_remaining.value,
        codes=text_codes(plan),
    )
