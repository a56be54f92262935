"""capplan: capacity and licensing planner for Dynamics 365 finance and operations and Dataverse.

The library entry point is :func:`plan`::

    from planner import plan
    result = plan(["licenses.json", "environments.csv"], as_of="2026-12", months=24)
    result.capacity          # per pool: entitled, consumed, available, status in month 0
    result.shortfalls        # first month short, peak deficit, add-on units and cost

It returns the same Plan that ``capplan forecast`` prints.
"""

from __future__ import annotations

__version__ = "0.1.0"

# Loaded on first use, so that "capplan --version" and "--help" need no pandas.
_LAZY = {"plan", "Plan", "build_plan"}


def __getattr__(name: str) -> object:  # (typing is not loaded here: see planner/cli)
    if name in _LAZY:
        from planner import planning

        return getattr(planning, name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")


__all__ = ["Plan", "__version__", "build_plan", "plan"]
