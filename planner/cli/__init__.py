"""The command line: click commands that parse options, call the library and pick a renderer."""

from planner.cli.main import cli, main

__all__ = ["cli", "main"]
