"""An inventory's size columns are read as numbers by the CSV parser itself; whatever the cells
hold, the table, the environments and every message are those of reading them as text."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from budget import examples

from planner.errors import InputError
from planner.ingest.detect import _inventory_numbers
from planner.ingest.inventory import number_columns, read_growth_sheet, read_inventory
from planner.ingest.table import (
    NumberRule,
    Table,
    distinct_numbers,
    parse_numbers,
    table_from_text,
)

TIERS = ["2", "Tier 3", "t-4", "T5", "1", "", "", "6", "0", "-0", "2.5", "Tier", "x", "+2"]
NUMBERS = [
    *("1", "2.5", "0", "-0", "-0.0", "+2", ".5", "5.", "1e3", "1E-2", "12345678", "3.0"),
    *(" 3 ", "\u00a04", "\u200b5", "6\t", "1e400", "inf", "-inf", "Infinity", "nan", "NaN"),
    *("NA", "1,5", "1.000", "1_0", "0x1A", "\u0661", "abc", "", "", "", " ", '"7"', '" 8"'),
    *("-3", "99999999999", "1e7", "10000001", "2.50000000000000000001"),
]
TEXTS = ["sandbox", "production", "developer", "dataverse_sandbox", "Sand Box", "", "tier"]


def _row(
    rng: random.Random,
    number: int,
    columns: int,
    tier: int | None,
    *,
    quoted: bool = False,
    delimiter: str = ",",
) -> str:
    name = rng.choice(
        [
            *(f"E{number}", f'"E{number}\nsecond line"', f" E{number} ", f"E\u00a0{number}"),
            *(f'"E{number}{delimiter} Ltd"', f'" E{number}"', f'"E{number} "', f'"E""{number}"""'),
            *(f'"E{number}"', f'E"{number}', f'"E{number}"x', f' "E{number}"'),
            *(f'"\nE{number}"', f'"E{number}\r\n"', '"\n"', f'"\tE{number}"'),
        ]
    )
    cells = [name if rng.random() > 0.02 else "", rng.choice(TEXTS[:4])]
    odd = rng.random() < 0.3  # else plain numbers, so that many files read without a refusal
    choices = NUMBERS if odd else NUMBERS[:12]
    cells += [rng.choice(choices) if rng.random() > 0.3 else "" for _ in range(columns - 2)]
    if tier is not None:  # tiers only on sandboxes, mostly, and mostly written well
        cells[1] = "sandbox" if rng.random() < 0.9 else cells[1]
        cells[tier] = rng.choice(TIERS[:7] if rng.random() < 0.9 else TIERS)
    if rng.random() < 0.02:
        cells = [""] * len(cells)  # a blank row
    if rng.random() < 0.01:
        cells = cells[:-1]  # a short row
    if quoted:  # every cell in quotes, as PowerShell's Export-Csv writes them
        cells = [cell if cell.startswith('"') else f'"{cell}"' for cell in cells]
    return delimiter.join(cells)


def _inventory_text(rng: random.Random, delimiter: str = ",") -> str:
    header = ["name", "type", "dataverse_database_gb", "operations_file_growth_gb_per_month"]
    header += rng.sample(["dataverse_file_gb", "dataverse_log_actual_gb", "org_url", "tier"], 2)
    quoted = rng.random() < 0.2
    lines = [
        delimiter.join(f'"{cell}"' if quoted or rng.random() < 0.1 else cell for cell in header)
    ]
    tier = header.index("tier") if "tier" in header else None
    count = rng.randint(0, 12)
    lines += [
        _row(rng, number, len(header), tier, quoted=quoted, delimiter=delimiter)
        for number in range(count)
    ]
    if rng.random() < 0.2:
        lines.insert(1, "")  # a blank line under the header
    ending = rng.choice(["\n", "\r\n"])
    preambles = ["", "", "\n", "#TYPE Selected.Object\n", f"sep={delimiter}\n", "\ufeff"]
    preamble = rng.choice(preambles)
    return preamble + ending.join(lines) + (ending if rng.random() < 0.8 else "")


def _outcome(read: Callable[[Any], object], given: object) -> object:
    """What reading gives: the result, or the message of its refusal."""
    try:
        return read(given)
    except InputError as error:
        return str(error)


def _same(first: object, second: object) -> bool:
    if isinstance(first, str) or isinstance(second, str):
        return first == second
    assert isinstance(first, pd.DataFrame) and isinstance(second, pd.DataFrame)
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    for column in first.columns:
        left, right = first[column].to_numpy(), second[column].to_numpy()
        if left.dtype.kind == "f":
            assert np.array_equal(np.signbit(left), np.signbit(right)), column
    return True


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("seed", range(4))
def test_numbers_read_by_the_parser_read_as_their_text(seed: int, delimiter: str) -> None:
    """In a semicolon file (decimal commas, and grouping dots refused) the parser reads no
    number: it splits the cells, and the readers parse their text."""
    rng = random.Random(f"{seed}{delimiter}")
    read_by_parser = read_whole = split_by_parser = 0
    rounds = examples(150)
    for _ in range(rounds):
        text = _inventory_text(rng, delimiter)
        as_text = _outcome(lambda t: table_from_text("inventory.csv", t), text)
        with_numbers = _outcome(
            lambda t: table_from_text("inventory.csv", t, _inventory_numbers), text
        )
        if isinstance(as_text, str) or isinstance(with_numbers, str):
            assert with_numbers == as_text, text
            continue
        assert isinstance(as_text, Table) and isinstance(with_numbers, Table)
        read_by_parser += bool(with_numbers.numbers)
        split_by_parser += with_numbers.texts is not None
        assert with_numbers.decimal_comma == as_text.decimal_comma == (delimiter == ";")
        assert with_numbers.headers == as_text.headers
        assert with_numbers.row_numbers.tolist() == as_text.row_numbers.tolist(), text
        assert with_numbers.header_row == as_text.header_row
        for position in range(len(as_text.headers)):
            assert with_numbers.column(position).tolist() == as_text.column(position).tolist()
        for read in (read_inventory, read_growth_sheet):
            found = _outcome(read, with_numbers)
            assert _same(found, _outcome(read, as_text)), text
            read_whole += isinstance(found, pd.DataFrame) and bool(with_numbers.numbers)
    # The parser did read numbers, and whole files of them, often enough to tell.
    # Both readings are met often (150 rounds: more than 30 and 10 times).
    if delimiter == ",":
        assert read_by_parser > rounds // 5 and read_whole > rounds // 15
    else:
        assert read_by_parser == 0 and split_by_parser > rounds // 5


def test_a_clean_inventory_is_read_with_its_numbers_and_no_text_of_them() -> None:
    text = "name,type,dataverse_database_gb,tier\nA,sandbox,1.5,2\nB,production,,\n"
    table = table_from_text("inventory.csv", text, _inventory_numbers)
    assert list(table.numbers) == [2]
    assert np.array_equal(table.numbers[2], [1.5, np.nan], equal_nan=True)
    assert sorted(table.cells.columns) == [0, 1, 3]
    assert table.column(2).tolist() == ["1.5", ""]  # the words, read again on demand


def test_a_quoted_inventory_is_read_with_its_numbers() -> None:
    """Every cell quoted, as PowerShell's Export-Csv writes them, numbers included."""
    text = '"name","type","dataverse_database_gb"\n"A, Ltd","sandbox","1.5"\n"B","x",""\n'
    table = table_from_text("inventory.csv", text, _inventory_numbers)
    assert table.headers == ("name", "type", "dataverse_database_gb")
    assert np.array_equal(table.numbers[2], [1.5, np.nan], equal_nan=True)
    assert table.column(0).tolist() == ["A, Ltd", "B"]


def test_a_line_break_at_the_edge_of_a_quoted_cell_is_trimmed() -> None:
    text = 'name,type,dataverse_database_gb\nA,sandbox,1\n"\nB",sandbox,2\n"C\r\n",sandbox,3\n'
    table = table_from_text("inventory.csv", text, _inventory_numbers)
    assert table.numbers and table.column(0).tolist() == ["A", "B", "C"]


def test_a_table_that_is_no_inventory_is_read_as_text() -> None:
    text = "sku,quantity\nDYN365_FINANCE,20\n"
    table = table_from_text("licenses.csv", text, _inventory_numbers)
    assert not table.numbers and table.column(1).tolist() == ["20"]


@pytest.mark.parametrize(
    "text",
    [
        'name,type,dat"averse_database_gb\nA,sandbox,1\n',  # a quote inside a header
        'name,type,"dataverse_database_gb"x\nA,sandbox,1\n',  # text after a quoted header
        'name,type,dataverse_database_gb\n"A\nB",sandbox,1\n',  # a first row over two lines
        'name,type,dataverse_database_gb\n"A,B",sandbox,1,2\n',  # a longer first row, quoted
        "name;type;dataverse_database_gb\nA;sandbox;1,5\n",  # decimal commas
        "name,type,dataverse_database_gb\nA,sandbox,x\n",  # a word in a number column
        "name,type,dataverse_database_gb\nA,sandbox,1,extra\n",  # a longer first row
        "name,type,dataverse_database_gb\nA,sandbox,1,\nB,sandbox,2\n",  # a trailing comma
        "name,type,dataverse_database_gb\n0,E0,sandbox,1\n1,E1,sandbox,2\n",  # row labels
    ],
)
def test_text_the_parser_might_read_otherwise_is_read_as_text(text: str) -> None:
    found = _outcome(lambda t: table_from_text("inventory.csv", t, _inventory_numbers), text)
    if isinstance(found, Table):
        assert not found.numbers
    else:  # refused, in the words of the reading as text
        assert found == _outcome(lambda t: table_from_text("inventory.csv", t), text)
        assert "more values than the header" in found


def test_number_columns_are_the_size_columns_by_any_of_their_names() -> None:
    headers = ["Name", "Type", "Tier", "dataverse_database_usage_gb", "org_url"]
    assert number_columns([*headers, "operations_file_growth_gb_month"]) == [3, 5]


@pytest.mark.parametrize(
    "rule",
    [
        NumberRule("a sandbox tier", whole=True, minimum=1, maximum=5),
        NumberRule("a size in GB", whole=False),
        NumberRule("a count", whole=True, required=True),
    ],
    ids=["tier", "size", "required"],
)
def test_numbers_of_distinct_texts_are_those_of_the_column(rule: NumberRule) -> None:
    rng = random.Random(rule.what)
    spread = 0
    rounds = examples(400)
    for _ in range(rounds):
        pieces = rng.choice(
            [TIERS, NUMBERS, [*NUMBERS[:12], ""], ["1", "2", "5", "", "3.0", "+4", "1e0"]]
        )
        column = pd.Series([rng.choice(pieces) for _ in range(rng.randint(1, 8))], dtype=str)
        codes, distinct = pd.factorize(column)
        texts = pd.Series(distinct, dtype=object)
        found = distinct_numbers(texts, codes, rule)
        if found is None:
            continue
        spread += 1
        table = table_from_text("t.csv", "value\n" + "\n".join(["x"] * len(column)) + "\n")
        expected = parse_numbers(table, 0, "value", rule, values=column)
        assert np.array_equal(found, expected, equal_nan=True), column.tolist()
        assert np.array_equal(np.signbit(found), np.signbit(expected)), column.tolist()
    assert spread > rounds // 8  # 400 rounds: more than 50


def _tables_alike(first: object, second: object) -> bool:
    if isinstance(first, str) or isinstance(second, str):
        return first == second
    assert isinstance(first, Table) and isinstance(second, Table)
    return (
        first.headers == second.headers
        and first.row_numbers.tolist() == second.row_numbers.tolist()
        and first.header_row == second.header_row
        and sorted(first.numbers) == sorted(second.numbers)
        and all(
            first.column(p).tolist() == second.column(p).tolist() for p in range(len(first.headers))
        )
    )


@pytest.mark.parametrize("seed", range(2))
def test_the_file_bytes_read_as_the_text_encoded_again(seed: int) -> None:
    """A caller that has the text's UTF-8 (the file's bytes) gets the same table."""
    rng = random.Random(100 + seed)
    for _ in range(examples(150)):
        text = _inventory_text(rng)
        plain = _outcome(lambda t: table_from_text("inventory.csv", t, _inventory_numbers), text)
        given = _outcome(
            lambda t: table_from_text(
                "inventory.csv", t, _inventory_numbers, utf8=t.encode("utf-8")
            ),
            text,
        )
        assert _tables_alike(plain, given), text


@pytest.mark.parametrize(
    "text",
    [
        "sep=,\nname,type,dataverse_database_gb\nA,sandbox,1\n",  # a line above the header
        "\n\nname,type,dataverse_database_gb\nA,sandbox,1\n",  # blank lines above it
        "name,type,dataverse_database_gb\nA\u00a0B,sandbox,1\n",  # an invisible space
        "name,type,dataverse_database_gb\nStraße,sandbox,1\n",  # other text not ASCII
    ],
)
def test_bytes_that_are_not_the_text_read_are_not_used(text: str) -> None:
    plain = _outcome(lambda t: table_from_text("inventory.csv", t, _inventory_numbers), text)
    given = _outcome(
        lambda t: table_from_text("inventory.csv", t, _inventory_numbers, utf8=t.encode("utf-8")),
        text,
    )
    assert _tables_alike(plain, given)


def test_utf8_bytes_after_any_byte_order_mark_are_the_texts_utf8() -> None:
    """A UTF-8 file's bytes are its text's UTF-8, after the byte order mark where it has one;
    a UTF-16 file holds none."""
    from planner.ingest.source import RawFile, decode_text, utf8_of

    text = "name,type\nStraße,sandbox\n"
    for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        raw = RawFile("a.csv", data)
        assert utf8_of(raw) == decode_text(raw).encode("utf-8") == text.encode("utf-8")
    assert utf8_of(RawFile("a.csv", text.encode("utf-16"))) is None


@pytest.mark.parametrize("numbers", [False, True], ids=["as-text", "with-numbers"])
def test_ctrl_c_while_the_parser_runs_is_an_interrupt_not_bad_text(
    monkeypatch: pytest.MonkeyPatch, numbers: bool
) -> None:
    """pandas' parser turns an exception raised while it reads into its own error about the
    text: Ctrl-C then is still Ctrl-C, not a malformed file nor a reading the other way."""
    import os
    import signal
    import time

    from planner.ingest import table as table_module

    calls: list[int] = []

    def interrupted_read_csv(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        try:  # as the parser does: the interrupt is raised in its reading, and swallowed
            if len(calls) == 1:  # the first reading only: the next one would be no interrupt
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        raise pd.errors.ParserError("Error tokenizing data. C error: Calling read(nbytes) failed")

    monkeypatch.setattr(table_module.pd, "read_csv", interrupted_read_csv)
    text = "name,type,dataverse_database_gb\nPROD,production,1.5\nDEV,developer,2\n"
    with pytest.raises(KeyboardInterrupt):
        table_from_text("inventory.csv", text, _inventory_numbers if numbers else None)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
