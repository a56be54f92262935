"""The reference of finding codes, generated from the registry: each check's code, usual severity
and docstring. ``docs/findings.md`` is this module's output; a test keeps the two equal.

Regenerate with ``python -m planner.checks.docs > docs/findings.md``.
"""

from __future__ import annotations

import inspect
import sys

from planner.checks import REGISTRY, Check

INTRODUCTION = """\
# Finding codes

<!-- Generated from the checks in planner/checks; do not edit by hand. Regenerate with
     python -m planner.checks.docs > docs/findings.md -->

Every plan carries findings: `code`, `severity` (`info`, `warning` or `error`), `subject` (the
environment, SKU or pool it is about), `message` (what is wrong and what to do) and, where it
applies, `month`. The severity below is the usual one; a check may raise it for a particular
finding (an add-on sandbox whose Dataverse database the pool cannot cover is an error).

Checks that look at planned changes see the tenant in month 0 and again in every month a change
of the scenario takes effect. A change's month is its offset from month 0; the forecast of that
month already includes the change, and "before the change" means the same month with only that
change taken out again.
"""


def _summary(check: Check) -> str:
    """The first paragraph of the docstring on one line, safe inside a table cell."""
    first = inspect.cleandoc(check.doc).split("\n\n", 1)[0]
    return " ".join(first.split()).replace("|", "\\|")


def render_findings_markdown() -> str:
    """The Markdown reference of every registered finding code, in code order."""
    checks = [REGISTRY[code] for code in sorted(REGISTRY)]
    parts = [INTRODUCTION, "| code | usual severity | what it means |", "|---|---|---|"]
    parts += [f"| [`{c.code}`](#{c.code.lower()}) | {c.severity} | {_summary(c)} |" for c in checks]
    for registered in checks:
        parts += [
            "",
            f"## {registered.code}",
            "",
            f"Usual severity: **{registered.severity}**",
            "",
            inspect.cleandoc(registered.doc),
        ]
    return "\n".join(parts) + "\n"


def main() -> None:
    sys.stdout.write(render_findings_markdown())


if __name__ == "__main__":
    main()
