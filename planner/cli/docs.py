"""docs/cli.md, written from the commands' own --help so that the reference never drifts.

python -m planner.cli.docs > docs/cli.md
"""

from __future__ import annotations

import click

from planner.cli.main import cli


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name in sorted(group.commands):
        command = group.commands[name]
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


def render_cli_reference() -> str:
    out = [
        "# Command-line reference",
        "",
        "Generated from `capplan --help` and the help of every command "
        "(`python -m planner.cli.docs > docs/cli.md`).",
        "",
        "Exit status: 0 success; 1 the `--fail-on` threshold was met (all output written first); "
        "2 bad input or usage; 3 `verify` could not tell; 70 an internal error.",
        "",
        "Numbers and months in options and what-if flags are written with the digits 0 to 9: "
        "`1_0`, `١٠` or `２０２６-01` is refused (exit 2), never read as 10 or 2026-01.",
        "",
    ]
    for path, command in [("capplan", cli), *_commands(cli, "capplan")]:
        with click.Context(
            command, info_name=path, terminal_width=100, help_option_names=["-h", "--help"]
        ) as context:
            text = command.get_help(context)
        out += [f"## {path}", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render_cli_reference(), end="")
