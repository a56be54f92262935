"""The JSON writer's ways of laying out a list of records agree to the byte.

Long lists of flat records are written key by key (each distinct value encoded once) rather than
record by record; the text has to be what the encoder writes for the same records.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import json_safe, json_safe_utf8
from planner.ingest import load_inputs
from planner.model.changes import AddLicenses, Scenario
from planner.report import json_report
from planner.report.data import (
    FindingList,
    LineTable,
    comparison_data,
    finding_records,
    plan_document,
    report_data,
)
from planner.results import Finding
from planner.ruleset import resolve_ruleset
from planner.scenarios.compare import compare


@pytest.fixture(
    autouse=True, scope="module", params=[0, json_report.BARE_FROM], ids=["bare", "few"]
)
def _bare_from(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test twice: once with text of any length written bare where it can be, once as the
    writer does (bare only from BARE_FROM values)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json_report, "BARE_FROM", request.param)
        yield


def _by_records(records: list[dict[str, Any]]) -> str:
    """The record-by-record text: the encoder over the rounded records, a record per line."""
    pad = "  "
    body = json_report._compact(json_report._rounded_records(records))[1:-1]
    return "[\n" + pad + body.replace('}, {"', "},\n" + pad + '{"') + "\n]"


def _by_columns(records: list[dict[str, Any]]) -> str | None:
    out = io.StringIO()
    if not json_report._flat_columns(records, "  ", "\n", out.write):
        return None
    return out.getvalue()


MIXED = [
    {
        "pool": "database",
        "gb": 1.23456,
        "remaining_share": 0.0714285714,
        "units": 3,
        "ok": True,
        "note": None,
        "odd %s key": '100% "quoted" \u2013 text',
    },
    {
        "pool": "file",
        "gb": -0.0,
        "remaining_share": -1e-12,
        "units": 1.0,
        "ok": 1,
        "note": "line\nbreak",
        "odd %s key": "",
    },
    {
        "pool": "log",
        "gb": 2.0005,
        "remaining_share": None,
        "units": True,
        "ok": False,
        "note": "x",
        "odd %s key": '100% "quoted" \u2013 text',
    },
]


@pytest.mark.parametrize(
    "records",
    [
        MIXED,
        [{"gb": 1e20}, {"gb": 123456789.0004}, {"gb": None}, {"gb": 0.1 + 0.2}],
        [{"name": f"ENV-{n:05d}", "gb": n / 7, "type": "sandbox"} for n in range(2500)],
    ],
    ids=["mixed", "floats", "many"],
)
def test_columns_write_what_the_encoder_writes(
    records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_report, "ROWS_AT_ONCE", 1000)  # several runs of rows
    assert _by_columns(records) == _by_records(records)
    assert json.loads(_by_columns(records) or "") == json.loads(_by_records(records))


@pytest.mark.parametrize(
    "records",
    [
        [{"a": 1, "b": 2}, {"b": 2, "a": 1}],  # keys in another order
        [{"a": 1}, {"a": 1, "b": 2}],  # another shape
        [{"a": [1.23456, 2]}, {"a": []}],  # a list value
        [{"a": 1.0}, {"a": math.nan}],  # not a number: the encoder refuses it
        [{"a": 1}, {"a": math.inf}],
    ],
)
def test_other_records_are_left_to_the_encoder(records: list[dict[str, Any]]) -> None:
    assert _by_columns(records) is None


def test_a_list_of_records_in_a_document_is_laid_out_the_same_either_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = {"rows": MIXED * 3, "nested": {"more": MIXED}}
    fast = json_report.dumps(document)
    monkeypatch.setattr(json_report, "_flat_columns", lambda *args: False)
    assert fast == json_report.dumps(document)


def test_whatif_json_is_the_same_from_line_tables() -> None:
    """The whatif JSON written from the plans' line tables is the JSON of their records."""
    samples = Path(__file__).resolve().parents[2] / "samples"
    inputs = load_inputs(
        [str(samples / "licenses-graph.json"), str(samples / "environments-inventory.csv")]
    )
    scenario = Scenario("more", (AddLicenses(sku="DYN365_FINANCE", quantity=5),))
    comparison = compare(inputs, [scenario], resolve_ruleset(None, "2026-12"), "2026-12", 12)
    lines = comparison_data(comparison, line_tables=True)
    assert isinstance(lines["baseline"]["consumption"], LineTable)
    plain = comparison_data(comparison)
    assert lines["baseline"]["consumption"].records() == plain["baseline"]["consumption"]
    assert json_report.dumps(lines) == json_report.dumps(plain)


def _table(source: pd.DataFrame) -> LineTable:
    keys = ("environment", "gb", "basis")
    return LineTable(source.loc[:, list(keys)], keys, source)


@pytest.mark.parametrize("into", ["text", "file", "file, too long to keep"])
def test_a_line_table_written_again_is_the_same_text_at_its_depth(
    into: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Line tables cut from one frame are encoded once; the second is that text laid out at
    its own depth, byte for byte what the records give, line feeds and pads in text
    included. Into a file, the later ones are the bytes of the first, indented for their
    depth (deeper or not as deep); where the first's bytes are more than are kept, they are
    laid out again."""
    source = pd.DataFrame(
        {
            "environment": [f"ENV-{n}" if n % 5 else ',\n    {"x": 1}\n' for n in range(45)],
            "gb": [n / 3 for n in range(45)],
            "basis": ["measured", "estimated\nby type", None] * 15,
            "other": range(45),
        }
    )
    monkeypatch.setattr(json_report, "ROWS_AT_ONCE", 10)  # several runs of records
    document = {
        "first": {"deep": {"consumption": _table(source)}},
        "baseline": {"consumption": _table(source), "n": 1},
        "scenarios": [
            {"name": "a", "plan": {"consumption": _table(source)}},
            {"name": "b", "plan": {"deeper": {"consumption": _table(source)}}},
        ],
        "same depth": {"deep": {"consumption": _table(source)}},
    }
    encoded: list[int] = []
    original = json_report._cells
    original_column = json_report._column_codes

    def counting(values: list[Any], digits: int, *kinds: Any) -> Any:
        encoded.append(len(values))
        return original(values, digits, *kinds)

    def counting_column(values: pd.Series, digits: int, *style: Any) -> Any:
        coded = original_column(values, digits, *style)
        if coded is not None:
            encoded.append(len(values))
        return coded

    monkeypatch.setattr(json_report, "_cells", counting)
    monkeypatch.setattr(json_report, "_column_codes", counting_column)
    if into == "text":
        text = json_report.dumps(document)
    else:
        laid_again = json_report._write_laid
        again: list[int] = []

        def counting_laid(laid: Any, *arguments: Any) -> None:
            again.append(laid.rows)
            laid_again(laid, *arguments)

        monkeypatch.setattr(json_report, "_write_laid", counting_laid)
        if into != "file":
            monkeypatch.setattr(json_report, "KEPT_AT_MOST", 1_000)
        json_report.write_document(document, tmp_path / "plan.json")
        text = (tmp_path / "plan.json").read_text(encoding="utf-8")
        # Laid out once, the others its bytes; or laid out again, each time.
        assert again == ([45] if into == "file" else [45] * 5)
    assert encoded == [45, 45, 45]  # one table's three keys, once
    records = _table(source).records()
    plain = {
        "first": {"deep": {"consumption": records}},
        "baseline": {"consumption": records, "n": 1},
        "scenarios": [
            {"name": "a", "plan": {"consumption": records}},
            {"name": "b", "plan": {"deeper": {"consumption": records}}},
        ],
        "same depth": {"deep": {"consumption": records}},
    }
    monkeypatch.setattr(json_report, "_cells", lambda values, digits, *kinds: None)  # by record
    monkeypatch.setattr(json_report, "_column_codes", lambda values, digits, *style: None)
    assert text == json_report.dumps(plain)
    assert json.loads(text) == json.loads(json_report.dumps(plain))


def test_line_tables_of_other_frames_are_written_each() -> None:
    first = pd.DataFrame({"environment": ["A"], "gb": [1.0], "basis": ["x"]})
    second = pd.DataFrame({"environment": ["B"], "gb": [2.0], "basis": ["y"]})
    text = json_report.dumps({"a": _table(first), "b": {"c": _table(second)}})
    assert json.loads(text) == {
        "a": [{"environment": "A", "gb": 1.0, "basis": "x"}],
        "b": {"c": [{"environment": "B", "gb": 2.0, "basis": "y"}]},
    }


def test_a_license_only_scenario_shares_the_baselines_consumption_lines() -> None:
    samples = Path(__file__).resolve().parents[2] / "samples"
    inputs = load_inputs(
        [str(samples / "licenses-graph.json"), str(samples / "environments-inventory.csv")]
    )
    scenario = Scenario("more", (AddLicenses(sku="DYN365_FINANCE", quantity=5),))
    comparison = compare(inputs, [scenario], resolve_ruleset(None, "2026-12"), "2026-12", 12)
    lines = comparison_data(comparison, line_tables=True)
    baseline = lines["baseline"]["consumption"]
    assert lines["scenarios"][0]["plan"]["consumption"].source is baseline.source
    assert json_report._shared_line_tables(lines) == {(id(baseline.source), baseline.keys)}


def _column_cells(values: pd.Series, digits: int) -> list[str] | None:
    """A column's coded text, a cell per row."""
    return _per_row(json_report._column_codes(values, digits))


def _per_row(coded: Any) -> list[str] | None:
    """Coded text (json_report._Coded), a cell per row; None for None."""
    if coded is None:
        return None
    quote = '"' if coded.bare else ""
    return [quote + coded.texts[code] + quote for code in coded.codes]


_FLOATS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.sampled_from([0.0, -0.0, 0.0005, 1.0005, 2.5e-7, 1e15, 123456.7895]),
)
_TEXTS = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["a", "é\u202e", '"\n\\']))


@settings(max_examples=examples(200), deadline=None)
@given(
    floats=st.lists(_FLOATS, min_size=1, max_size=30),
    texts=st.lists(_TEXTS, min_size=1, max_size=30),
    digits=st.sampled_from([3, 6]),
)
def test_a_column_is_encoded_from_its_array_as_from_its_records(
    floats: list[float | None], texts: list[str | None], digits: int
) -> None:
    """The cells made from a frame's column (pandas' hashing, each distinct value once) are
    the text the records' values give, for floats with gaps and text with gaps; a column it
    cannot encode is left to the records."""
    frame = pd.DataFrame({"f": pd.Series(floats, dtype=float)})
    text_frame = pd.DataFrame({"t": pd.Series(texts, dtype=object)})
    for column, table in (("f", frame), ("t", text_frame)):
        table_keys = (column,)
        from_records = json_report._cells(LineTable(table, table_keys).column(column), digits)
        assert _column_cells(table[column], digits) == _per_row(from_records)


@settings(max_examples=examples(200), deadline=None)
@given(
    distinct=st.one_of(
        st.lists(_FLOATS.filter(lambda v: v is None or math.isfinite(v)), min_size=1, max_size=4),
        st.lists(_TEXTS, min_size=1, max_size=4),
    ),
    picks=st.lists(st.integers(0, 3), min_size=1, max_size=12),
    # Repeated this many times: a distinct value per 64 records or fewer is coded by value.
    times=st.integers(40, 90),
    digits=st.sampled_from([3, 6]),
)
def test_a_column_of_records_is_the_text_of_each_value(
    distinct: list[Any], picks: list[int], times: int, digits: int
) -> None:
    """A key's values of many records, coded by their distinct values where those are few (a
    finding's code, severity and month) or a text per record otherwise, are the text each value
    has on its own."""
    values = [distinct[pick % len(distinct)] for pick in picks] * times
    cells = _per_row(json_report._cells(values, digits))
    alone = [_per_row(json_report._cells([value], digits)) for value in values]
    assert cells == [cell[0] for cell in alone if cell is not None]
    assert [json.loads(cell) for cell in cells] == [
        round(value, digits) if type(value) is float else value for value in values
    ]


def test_a_column_of_mixed_values_is_left_to_the_records() -> None:
    mixed = pd.Series(["a", 1, None], dtype=object)
    assert _column_cells(mixed, 3) is None
    objects = pd.Series([{"database": 1.0}, None, "a"], dtype=object)  # no hash: not factorized
    assert _column_cells(objects, 3) is None
    assert _column_cells(pd.Series([["x"], ["y"]], dtype=object), 3) is None
    assert _column_cells(pd.Series([1.0, math.inf]), 3) is None


_FEW = st.sampled_from(["database", "file", "log/x", "é\u202e", '"\n\\', None])
_NUMBERS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -0.0, 0.0005, 2.675, 1e16, 123456789012.345, 5e-06]),
)


@settings(max_examples=examples(150), deadline=None)
@given(
    rows=st.lists(
        st.tuples(_FEW, st.text(max_size=8), _NUMBERS, _FEW, st.booleans(), st.integers(-9, 9)),
        min_size=1,
        max_size=60,
    ),
    at_once=st.sampled_from([1, 7, 1000]),
)
def test_a_large_table_is_written_from_its_columns_as_pandas_writes_it(
    rows: list[tuple[Any, ...]], at_once: int
) -> None:
    """The plan's large tables, written from coded columns (few-valued next columns as one
    piece), are byte for byte what pandas' encoder writes for the same frame: its numbers, its
    escaped "/", null for NaN and missing text, a run of rows at a time."""
    frame = pd.DataFrame(
        rows, columns=["pool", "environment", "gb", "basis", "counted", "months"]
    ).astype({"pool": "str", "environment": "str", "gb": float, "basis": object})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(json_report, "ROWS_AT_ONCE", at_once)
        coded = io.StringIO()
        json_report._frame_json(frame, "    ", "\n  ", coded.write)
        patch.setattr(json_report, "_column_codes", lambda values, digits, *style: None)
        by_pandas = io.StringIO()
        json_report._frame_json(frame, "    ", "\n  ", by_pandas.write)
    assert coded.getvalue() == by_pandas.getvalue()


def test_next_columns_of_few_combinations_are_one_piece() -> None:
    """Three columns of few values over many rows are written as one piece per row."""
    rows = 400
    codes = [np.arange(rows) % 3, np.arange(rows) % 2, np.arange(rows)]
    columns = [
        json_report._Coded(codes[0], ['"a"', '"b"', '"c"']),
        json_report._Coded(codes[1], ["1", "2"]),
        json_report._Coded(codes[2], [str(n) for n in range(rows)]),
    ]
    pieces: list[json_report._Coded] = []
    for column in columns:
        json_report._add_piece(pieces, column, rows)
    assert len(pieces) == 2  # the first two joined; the third has a value per row
    joined = pieces[0]
    assert [joined.texts[code] for code in joined.codes[:4]] == ['"a"1', '"b"2', '"c"1', '"a"2']


def test_text_given_as_values_and_codes_is_written_as_the_column() -> None:
    """The engine's values and codes of a text column (repeats and missing text included) give
    the text the column gives, in both styles; a value other than text leaves it to hashing."""
    few = np.array(["a/b", np.nan, "é\n", "a/b", None], dtype=object)
    many = np.array([*few.tolist()] * 300, dtype=object)  # found distinct before encoding
    for values in (few, many):
        codes = np.array([0, 1, 2, 3, 4, 0, 2, 1, len(values) - 1, len(values) - 3], np.intp)
        column = pd.Series(values[codes].tolist(), dtype="str")
        for style in (json_report._PANDAS, json_report._PYTHON):
            given = json_report._column_codes(column, 3, style, (values, codes))
            found = json_report._column_codes(column, 3, style)
            assert given is not None and found is not None
            assert [given.texts[c] for c in given.codes] == [found.texts[c] for c in found.codes]
            assert len(given.texts) <= 5
    assert json_report._given_codes((np.array([1, "x"], dtype=object), codes[:2]), style) is None
    unhashable = np.empty(1002, dtype=object)
    unhashable[:] = [*["x"] * 1001, [1]]
    numbers = np.array([*[1] * 1001, "x"], dtype=object)
    for values in (unhashable, numbers):
        assert json_report._given_codes((values, codes[:2]), style) is None


def test_the_plan_and_whatif_json_use_the_engines_codes_to_the_same_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    samples = Path(__file__).resolve().parents[2] / "samples"
    inputs = load_inputs(
        [str(samples / "licenses-graph.json"), str(samples / "environments-inventory.csv")]
    )
    ruleset = resolve_ruleset(None, "2026-12")
    scenario = Scenario("more", (AddLicenses(sku="DYN365_FINANCE", quantity=5),))
    comparison = compare(inputs, [scenario], ruleset, "2026-12", 12)
    data = report_data(comparison.baseline)
    whatif = report_data(comparison=comparison)
    assert set(data.codes["consumption"]) >= {"environment", "pool", "basis"}
    used: list[int] = []
    original = json_report._given_codes

    def counting(given: Any, style: Any) -> Any:
        used.append(len(given[1]))
        return original(given, style)

    monkeypatch.setattr(json_report, "_given_codes", counting)
    with_codes = (json_report.render_json(data), json_report.render_json(whatif))
    assert used
    monkeypatch.setattr(json_report, "_given_codes", lambda given, style: None)
    assert (json_report.render_json(data), json_report.render_json(whatif)) == with_codes


# Text around the characters a terminal acts on, with their neighbours in UTF-8 (the same first
# bytes: U+00A0, U+0600, U+2013, U+2030), other non-ASCII text and plain ASCII.
_NEAR = "\x7f\x80\x9b\x9f\xa0\xe9\u0600\u061c\u200e\u200f\u2013\u2028\u202e\u2030\u2066\u2069"


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet=st.sampled_from([*_NEAR, "a", "\n", '"', "é", "\u4e2d", "\U0001f600"])))
def test_the_utf8_escapes_are_the_texts(text: str) -> None:
    assert json_safe_utf8(text) == json_safe(text).encode("utf-8")


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("CONTOSO-PROD is over by 1,024.00 GB: buy 2 x CDS_DB_CAPACITY.", True),
        ("Zürich \u4e2d \U0001f600 \u2028 \x7f \x9b", True),  # the encoder leaves them as they are
        ('a "quoted" name', False),
        ("a back\\slash", False),
        ("a line\nbreak", False),
        ("a tab\t", False),
        ("\x1f", False),
        ("a lone \ud800 surrogate", False),
    ],
)
def test_bare_text_is_text_the_encoder_writes_as_it_is(text: str, bare: bool) -> None:
    many = [f"{n} {text}" for n in range(2_500)]  # over two runs of a thousand
    assert json_report._bare(many, json_report._PYTHON) is bare
    if bare:
        assert all(json_report._string(value) == f'"{value}"' for value in many)
    one_bad = [f"{n} plain" for n in range(2_500)]
    one_bad[1_700] = text
    assert json_report._bare(one_bad, json_report._PYTHON) is bare
    assert json_report._bare(["a/b"] * 300, json_report._PANDAS) is False  # pandas escapes "/"
    assert json_report._bare(["a/b"] * 300, json_report._PYTHON) is True


def test_rounding_leaves_lists_without_floats_as_they_are() -> None:
    names = ["ENV-1", "ENV-2", 3, None, True]
    assert json_report.rounded(names) is names  # nothing to round: not copied
    assert json_report.rounded([1.23456, "a", [2.0004]]) == [1.235, "a", [2.0]]
    assert json_report.rounded({"environments": names, "gb": -0.0}) == {
        "environments": names,
        "gb": 0.0,
    }


def test_a_line_table_with_a_list_column_is_written_as_its_records() -> None:
    frame = pd.DataFrame(
        {"value": ["a", "b"], "environments": [["ENV-1", "ENV-2"], []], "gb": [1.23456, None]}
    )
    table = LineTable(frame, ("value", "environments", "gb"))
    assert json_report._write_cells(table, "  ", "\n", io.StringIO().write) is None
    text = json_report.dumps({"assumptions": table})
    assert json.loads(text)["assumptions"] == [
        {"value": "a", "environments": ["ENV-1", "ENV-2"], "gb": 1.235},
        {"value": "b", "environments": [], "gb": None},
    ]


def _findings(count: int, quoted: bool) -> tuple[Finding, ...]:
    def message(n: int) -> str:
        if quoted and n % 5 == 0:
            return f'ENV-{n:05d} has "{n}" GB\nof text'
        return f"ENV-{n:05d} is over by {n} GB"

    return tuple(
        Finding(
            ("USAGE_UNKNOWN", "CAPACITY_OVER")[n % 2],
            ("warning", "error", "info")[n % 3],
            f"ENV-{n:05d}",
            message(n),
            None if n % 4 else "2026-12",
        )
        for n in range(count)
    )


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
@pytest.mark.parametrize("count", [0, 1, 300, 3_000])
def test_findings_written_from_their_columns_are_their_records(count: int, quoted: bool) -> None:
    """A plan's findings are written key by key from the findings themselves (FindingList);
    the text is that of their records, quotes, line breaks and null months included."""
    findings = FindingList(_findings(count, quoted))
    assert findings.records() == finding_records(findings.findings)
    document = {"findings": findings, "after": 1}
    as_records = {"findings": findings.records(), "after": 1}
    assert json_report.dumps(document) == json_report.dumps(as_records)
    assert list(findings) == findings.records()
    errors = [r for r in findings.records() if r["severity"] == "error"]
    assert findings.of_severity("error") == (errors, len(errors))
    assert findings.of_severity("error", first=2) == (errors[:2], len(errors))
    kept = [r for r in errors if r["code"] != "CAPACITY_OVER"]
    assert findings.of_severity("error", excluding={"CAPACITY_OVER"}, first=1) == (
        kept[:1],
        len(kept),
    )


def test_renderers_read_the_findings_as_records() -> None:
    findings = FindingList(_findings(3, quoted=True))
    fields = {"findings": findings, "schema_version": 1}
    assert plan_document(fields, {})["findings"] == findings.records()
    assert plan_document(fields, {}, findings_as_list=False)["findings"] is findings


@given(
    st.lists(st.integers(0, 700) | st.sampled_from(["a", "b", "c"]), max_size=1_500),
    st.integers(-1, 800),
)
def test_more_distinct_is_the_size_of_the_set_of_values(values: list[Any], count: int) -> None:
    """Stopping as soon as there are more than ``count`` distinct values gives the answer the
    whole set gives, across the steps it counts in."""
    assert json_report._more_distinct(values, count) is (len(set(values)) > count)


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            st.sampled_from([0.0, -0.0, -0.0004, 0.0005, -0.0005, 2.5, -2.5, 1e300]),
        ),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=8),
)
def test_many_floats_are_written_as_each_is(values: list[float], digits: int) -> None:
    """A column of floats, rounded as a whole and each distinct rounded value written once, is
    written as each value alone is, a zero's sign dropped."""
    coded = json_report._column_codes(pd.Series(values, dtype=float), digits)
    assert coded is not None
    assert [coded.texts[code] for code in coded.codes.tolist()] == [
        json_report._float_text(value, digits) for value in values
    ]
