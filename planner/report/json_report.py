"""``--format json``: the Plan contract, GB rounded to 3 decimals when written."""

from __future__ import annotations

import json
from typing import Any

from planner.plan import Plan
from planner.report.data import plan_data, rounded


def dumps(data: Any) -> str:
    return json.dumps(rounded(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_json(plan: Plan) -> str:
    return dumps(plan_data(plan))
