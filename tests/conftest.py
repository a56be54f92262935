"""Shared test helpers live beside this file (``casefile``, ``budget``); pytest puts this folder on
the path.

Property tests run the ``quick`` profile unless ``--hypothesis-profile`` names another: the
option is applied after this file is loaded (see budget.py)."""

import budget  # noqa: F401  (registers the profiles)
from hypothesis import settings

settings.load_profile("quick")
