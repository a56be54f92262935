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


def dumps(data: dict[str, Any]) -> str:
    """A JSON object whose lists of records get one record per line.

    Lists of records come from ``plan_data(..., digits=DIGITS)`` already rounded; other values
    are rounded here.
    """
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = ",\n    ".join(_compact(item) for item in value)
            parts.append(f"  {_compact(key)}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {_compact(key)}: {_compact(rounded(value))}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def render_json(plan: Plan) -> str:
    return dumps(plan_data(plan, digits=DIGITS))
