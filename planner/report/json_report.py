"""``--format json``: the Plan contract, GB rounded to 3 decimals when written.

Laid out one record per line: readable in a diff and written by the C JSON encoder, which matters
for tenants with thousands of environments.
"""

from __future__ import annotations

import json
from typing import Any

from planner.plan import Plan
from planner.report.data import plan_data, rounded

DIGITS = 3


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
_compact = _ENCODER.encode


def _layout(value: Any, depth: int) -> str:
    """Objects one key per line, lists of records one record per line, the rest compact."""
    pad = "  " * (depth + 1)
    if isinstance(value, dict) and value:
        parts = [f"{pad}{_compact(k)}: {_layout(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(parts) + "\n" + "  " * depth + "}"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        if depth < 2:
            items = [pad + _layout(item, depth + 1) for item in value]
            if all(
                not isinstance(v, (dict, list)) or not v for item in value for v in item.values()
            ):
                items = [pad + _compact(item) for item in value]
            return "[\n" + ",\n".join(items) + "\n" + "  " * depth + "]"
        return (
            "[\n" + ",\n".join(pad + _compact(item) for item in value) + "\n" + "  " * depth + "]"
        )
    return _compact(rounded(value))


def dumps(data: dict[str, Any]) -> str:
    """JSON laid out for reading and diffing; floats in record lists were rounded by
    ``plan_data(..., digits=DIGITS)``, other floats are rounded here."""
    return _layout(data, 0) + "\n"


def render_json(plan: Plan) -> str:
    return dumps(plan_data(plan, digits=DIGITS))
