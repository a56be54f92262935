"""The one error type for bad input, and its rule-file flavour.

Every reader and validator raises :class:`InputError` with the file, the place in it (row and
column, JSON path, or sheet and cell) and what was expected. The CLI prints it on one or two
lines and exits with status 2; nothing else about bad input ever reaches the user.
"""

from __future__ import annotations


class InputError(Exception):
    """A file or option the user gave is not what capplan can work with."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        location: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.location = location
        self.expected = expected
        super().__init__(self.render())

    def render(self) -> str:
        where = ", ".join(part for part in (self.file, self.location) if part)
        text = f"{where}: {self.message}" if where else self.message
        if self.expected:
            text += f"\n  expected: {self.expected}"
        return text


class RulesError(InputError):
    """A rule set file is malformed: names the file, the entry and what is wrong."""
