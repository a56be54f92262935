"""Text from input files made safe to show on one line of a terminal or a message.

File content can hold line breaks, terminal escape sequences (which recolour or retitle the
user's terminal), lone surrogates from undecodable bytes, or megabytes in one cell. Messages and
text renderers show such characters as escapes (``\\n``, ``\\x1b``) and long quotes shortened;
JSON, HTML and Excel output keep the exact text, escaped the way each format escapes.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
SHORTENED = " ... (shortened)"


def printable(text: str, limit: int | None = None) -> str:
    shown = _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)
    shown = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    if limit is not None and len(shown) > limit:
        shown = shown[: max(limit - len(SHORTENED), 0)] + SHORTENED
    return shown


def printable_data(value: Any) -> Any:
    """Every string in a nested structure made printable (for the text renderers)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: printable_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [printable_data(item) for item in value]
    return value
