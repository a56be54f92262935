"""A small evaluator for the formula shapes the workbook uses, so tests can check them offline.

It knows numbers, strings, cell references, whole-column ranges, + - * /, & (joining text),
comparisons, IF (lazy, as in a spreadsheet), MAX of numbers, TEXT with the format "#,##0.00",
SUM of whole columns and SUMIFS with one criterion of plain equality.
Anything else raises, so a new formula shape cannot pass unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import column_index_from_string
from openpyxl.workbook.workbook import Workbook

TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>"(?:[^"]|"")*")
  | (?P<range>(?:(?P<range_sheet>[A-Za-z]+)!)?\$?(?P<first>[A-Z]+):\$?(?P<last>[A-Z]+))
  | (?P<cell>(?:(?P<cell_sheet>[A-Za-z]+)!)?\$?(?P<column>[A-Z]+)\$?(?P<row>\d+))
  | (?P<function>[A-Z]+)\(
  | (?P<number>\d+(?:\.\d+)?(?:E[+-]?\d+)?)
  | (?P<op><=|>=|<>|[-+*/<>=(),&])
)""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Column:
    sheet: str
    column: str


def tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read {text[position:]!r}")
        position = match.end()
        kind = match.lastgroup
        if match.group("string") is not None:
            tokens.append(("value", match.group("string")[1:-1].replace('""', '"')))
        elif match.group("range") is not None:
            if match.group("first") != match.group("last"):
                raise ValueError("only single whole columns are supported")
            tokens.append(("range", (match.group("range_sheet"), match.group("first"))))
        elif match.group("cell") is not None:
            tokens.append(
                (
                    "cell",
                    (match.group("cell_sheet"), match.group("column"), int(match.group("row"))),
                )
            )
        elif match.group("function") is not None:
            tokens.append(("function", match.group("function")))
        elif match.group("number") is not None:
            tokens.append(("value", float(match.group("number"))))
        elif kind == "op" or match.group("op") is not None:
            tokens.append(("op", match.group("op")))
    return tokens


class Evaluator:
    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook

    def cell(self, sheet: str, column: str, row: int) -> Any:
        cell = self.workbook[sheet].cell(row=row, column=column_index_from_string(column))
        value = cell.value
        if cell.data_type == "f":
            return self.formula(sheet, value)
        if value is not None and not isinstance(value, (int, float, str)):
            return str(value)  # rich text
        return value  # text is text, even when it starts with "="

    def formula(self, sheet: str, text: str) -> Any:
        parser = _Parser(tokenize(text[1:]), sheet)
        tree = parser.expression()
        if parser.position != len(parser.tokens):
            raise ValueError(f"trailing tokens in {text!r}")
        return self.evaluate(tree)

    def evaluate(self, node: tuple[Any, ...]) -> Any:
        kind = node[0]
        if kind == "value":
            return node[1]
        if kind == "cell":
            sheet, column, row = node[1]
            return self.cell(sheet, column, row)
        if kind == "range":
            return Column(*node[1])
        if kind == "negate":
            return -self.evaluate(node[1])
        if kind == "binary":
            _, op, left_node, right_node = node
            left, right = self.evaluate(left_node), self.evaluate(right_node)
            left = 0 if left is None else left
            right = 0 if right is None else right
            return {
                "+": lambda: left + right,
                "-": lambda: left - right,
                "*": lambda: left * right,
                "/": lambda: left / right,
                "<": lambda: left < right,
                ">": lambda: left > right,
                "<=": lambda: left <= right,
                ">=": lambda: left >= right,
                "=": lambda: left == right,
                "<>": lambda: left != right,
                "&": lambda: _text(left) + _text(right),
            }[op]()
        if kind == "call":
            _, name, arguments = node
            if name == "IF":
                condition, when_true, when_false = arguments
                return self.evaluate(when_true if self.evaluate(condition) else when_false)
            if name == "MAX":
                return max(self.evaluate(argument) for argument in arguments)
            if name == "TEXT":
                number, pattern = (self.evaluate(argument) for argument in arguments)
                if pattern != "#,##0.00":
                    raise ValueError(f"TEXT is only supported with #,##0.00, not {pattern!r}")
                return f"{number:,.2f}"
            if name == "SUM":
                columns = [self.evaluate(argument) for argument in arguments]
                if not all(isinstance(column, Column) for column in columns):
                    raise ValueError("SUM is only supported over whole columns")
                return sum(self.column_sum(column) for column in columns)
            if name == "SUMIFS":
                total_node, criteria_node, wanted_node = arguments
                return self.sumifs(
                    self.evaluate(total_node),
                    self.evaluate(criteria_node),
                    self.evaluate(wanted_node),
                )
            raise ValueError(f"unknown function {name}")
        raise ValueError(f"unknown node {node!r}")

    def column_sum(self, column: Column) -> float:
        """Like a spreadsheet: the numbers of the column; text (a header, "unknown") is
        skipped."""
        result = 0.0
        for row in range(1, self.workbook[column.sheet].max_row + 1):
            value = self.cell(column.sheet, column.column, row)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                result += value
        return result

    def sumifs(self, total: Column, criteria: Column, wanted: Any) -> float:
        sheet = self.workbook[total.sheet]
        result = 0.0
        for row in range(1, sheet.max_row + 1):
            key = self.cell(criteria.sheet, criteria.column, row)
            if key is None or str(key).casefold() != str(wanted).casefold():
                continue
            value = self.cell(total.sheet, total.column, row)
            # Like a spreadsheet: text (such as "unknown") is skipped, not an error.
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                result += value
        return result


def _text(value: Any) -> str:
    """A value joined into text, as a spreadsheet shows it (whole numbers without a point)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], sheet: str) -> None:
        self.tokens = tokens
        self.position = 0
        self.sheet = sheet

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expect(self, op: str) -> None:
        token = self.take()
        if token != ("op", op):
            raise ValueError(f"expected {op}, got {token}")

    def expression(self) -> tuple[Any, ...]:
        left = self.joined()
        token = self.peek()
        if token and token[0] == "op" and token[1] in ("<", ">", "<=", ">=", "=", "<>"):
            self.take()
            return ("binary", token[1], left, self.joined())
        return left

    def joined(self) -> tuple[Any, ...]:
        node = self.additive()
        while self.peek() == ("op", "&"):
            self.take()
            node = ("binary", "&", node, self.additive())
        return node

    def additive(self) -> tuple[Any, ...]:
        node = self.term()
        while (token := self.peek()) and token[0] == "op" and token[1] in "+-":
            self.take()
            node = ("binary", token[1], node, self.term())
        return node

    def term(self) -> tuple[Any, ...]:
        node = self.unary()
        while (token := self.peek()) and token[0] == "op" and token[1] in "*/":
            self.take()
            node = ("binary", token[1], node, self.unary())
        return node

    def unary(self) -> tuple[Any, ...]:
        token = self.peek()
        if token == ("op", "-"):
            self.take()
            return ("negate", self.unary())
        return self.primary()

    def primary(self) -> tuple[Any, ...]:
        kind, value = self.take()
        if kind == "value":
            return ("value", value)
        if kind == "cell":
            sheet, column, row = value
            return ("cell", (sheet or self.sheet, column, row))
        if kind == "range":
            sheet, column = value
            return ("range", (sheet or self.sheet, column))
        if kind == "function":
            arguments = [self.expression()]
            while self.peek() == ("op", ","):
                self.take()
                arguments.append(self.expression())
            self.expect(")")
            return ("call", value, arguments)
        if (kind, value) == ("op", "("):
            node = self.expression()
            self.expect(")")
            return node
        raise ValueError(f"unexpected {value!r}")
