"""capplan: capacity and licensing planner for Dynamics 365 finance and operations and Dataverse."""

from __future__ import annotations

__version__ = "0.1.0"
