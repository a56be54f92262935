"""The one error type for bad input, and its rule-file flavour.

Every reader and validator raises :class:`InputError` with the file, the place in it (row and
column, JSON path, or sheet and cell) and what was expected. The CLI prints it on one or two
lines and exits with status 2; nothing else about bad input ever reaches the user.
"""

from __future__ import annotations

from planner.model.printable import printable

LONGEST_PART = 500  # characters of one part of a message; a quoted cell may be megabytes long


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
        """One or two lines; text quoted from a file cannot break them or drive a terminal."""
        message, file, location, expected = (
            printable(part, LONGEST_PART) if part else part
            for part in (self.message, self.file, self.location, self.expected)
        )
        where = ", ".join(part for part in (file, location) if part)
        text = f"{where}: {message}" if where else message
        if expected:
            text += f"\n  expected: {expected}"
        return text


class RulesError(InputError):
    """A rule set file is malformed: names the file, the entry and what is wrong."""
