"""The ``capplan`` command line: parse options, call the library, pick a renderer.

No domain logic lives here. Exit status: 0 success; 1 the ``--fail-on`` threshold was met (all
output written first); 2 bad input or usage; 3 ``verify`` could not tell, or a live service gave
``collect`` no usable answer; 70 an internal error.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import math
import os
import re
import signal
import stat
import sys
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import click

from planner import __version__
from planner.cli.ending import keep_until_exit
from planner.cli.interrupt import interrupted_while_starting
from planner.errors import LONGEST_PART, InputError, printable, printable_data
from planner.live import DEFAULT_BAP_URL, DEFAULT_GRAPH_URL, DEFAULT_POWERPLATFORM_URL
from planner.model.memory import no_huge_pages
from planner.model.units import loosely_infinite, typed_float, typed_int

EXIT_FAIL_ON = 1
EXIT_BAD_INPUT = 2
EXIT_SERVICE = 3  # collect: a live service gave no usable answer
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class FilePath(click.Path):
    """A path option or argument: an empty one names no file (the shell's "" or an unset
    variable), where a folder would be taken to mean the current one."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value:
            self.fail("an empty path names no file or folder", param, ctx)
        return super().convert(value, param, ctx)


class FiniteFloat(click.ParamType):
    """A finite number within bounds, written with the digits 0 to 9: click's FloatRange lets
    "nan" through every comparison, and its float() reads "1_0" as 10 and "٥" as 5."""

    name = "number"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            try:
                # "nan" and "inf" are refused below, with the bounds.
                number = float(value) if loosely_infinite(value) else typed_float(value)
            except ValueError as error:
                self.fail(str(error), param, ctx)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)  # a default
        else:
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            self.fail(
                f"{value!r} is not a finite number in [{self.low:g}, {self.high:g}]", param, ctx
            )
        return number


def _typed_whole(
    kind: click.ParamType, value: Any, param: click.Parameter | None, ctx: click.Context | None
) -> Any:
    """A whole number typed (text) as its value; anything else (a default) as it is."""
    if not isinstance(value, str):
        return value
    try:
        return typed_int(value)
    except ValueError as error:
        kind.fail(str(error), param, ctx)


class WholeNumber(click.types.IntParamType):
    """A whole number written with the digits 0 to 9: click's int type reads "1_0" as 10 and
    "٥" as 5."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(_typed_whole(self, value, param, ctx), param, ctx)


class WholeNumberRange(click.IntRange):
    """:class:`WholeNumber` within bounds."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(_typed_whole(self, value, param, ctx), param, ctx)


def usage_error(error: click.UsageError) -> None:
    """Usage errors look like every other bad input: one line on standard error, exit 2."""
    if isinstance(error, click.exceptions.NoArgsIsHelpError) and error.ctx:
        click.echo(error.ctx.get_help())  # plain "capplan": the help is the answer
        sys.exit(0)
    hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
    message = _LONG_QUOTE.sub(_shortened_quote, error.format_message())
    click.echo(f"capplan: error: {printable(message, 2 * LONGEST_PART)}{hint}", err=True)
    sys.exit(EXIT_BAD_INPUT)


# A value click quotes in its message, longer than a message shows: its start, and its length.
_SHOWN_OF_A_VALUE = 64
_LONG_QUOTE = re.compile(f"'([^']{{{_SHOWN_OF_A_VALUE + 1},}})'")


def _shortened_quote(found: re.Match[str]) -> str:
    value = found.group(1)
    return f"'{value[:_SHOWN_OF_A_VALUE]}...' ({len(value):,} characters)"


class CapplanGroup(click.Group):
    """Turns InputError into one clear message and exit 2, and anything unexpected into exit 70."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            usage_error(error)
            raise AssertionError("unreachable") from error

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as error:
            click.echo(f"capplan: error: {error.render()}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except click.UsageError as error:
            usage_error(error)
        except KeyboardInterrupt:
            interrupted()
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError as error:
            if not reader_gone():  # another pipe than standard output's: an output lost
                click.echo(f"capplan: error: {os_error_words(error)}", err=True)
                ctx.exit(EXIT_BAD_INPUT)
            # The reader of standard output stopped early (``| head``): as every command that
            # prints at once, end quietly, and never try to print to it again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except OSError as error:  # the user's file system: a full disk, a read-only folder
            click.echo(f"capplan: error: {os_error_words(error)}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except Exception as error:  # a bug of ours: short message, traceback only with --debug
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            click.echo(
                f"capplan: internal error: {type(error).__name__}: "
                f"{printable(str(error), LONGEST_PART)}\n"
                "  This is a bug in capplan. Please report it with the command you ran"
                " (run again with --debug for the traceback).",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


def reader_gone() -> bool:
    """Whether standard output is a pipe that nothing reads from any more."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll, or no descriptor (a test runner)
        return False


def os_error_words(error: OSError) -> str:
    """What the system refused, on which file, in one line."""
    names = [str(name) for name in (error.filename, error.filename2) if name is not None]
    reason = error.strerror or type(error).__name__
    where = f"{printable(' -> '.join(names), LONGEST_PART)}: " if names else ""
    return f"{where}{printable(reason)}\n  expected: a file or folder capplan can read or write"


@click.group(cls=CapplanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="capplan")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Plan Dataverse and finance and operations storage capacity.

    Feed capplan the tenant's license export and environment list; it tells you what you are
    entitled to, what you consume, when you run out and what to buy.

    \b
    Example:
      capplan forecast samples/licenses-graph.json samples/environments-inventory.csv
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def input_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that plans: inputs, rule set, horizon, CI gate."""
    decorators = [
        click.argument("inputs", nargs=-1, type=FilePath()),
        click.option(
            "--licenses",
            "license_files",
            multiple=True,
            type=FilePath(dir_okay=False),
            help="A license export (its format is still detected). Repeatable.",
        ),
        click.option(
            "--environments",
            "environment_files",
            multiple=True,
            type=FilePath(dir_okay=False),
            help="An environment list (its format is still detected). Repeatable.",
        ),
        click.option(
            "--rules",
            metavar="ID|PATH",
            help="Rule set id (see 'capplan rules list') or a rules file. "
            "Default: the newest bundled rule set effective at --as-of.",
        ),
        click.option(
            "--as-of", metavar="YYYY-MM", help="Month 0 of the plan. Default: this month."
        ),
        click.option(
            "--months",
            default=24,
            show_default=True,
            type=WholeNumber(),
            help="Horizon in months (1 to 120).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["never", "warning", "shortfall"]),
            default="never",
            show_default=True,
            help="Exit 1 after writing all output when a shortfall (or a warning or error "
            "finding) is found.",
        ),
        click.option(
            "--include-warning-units",
            is_flag=True,
            help="Count licenses in their grace period (warning units) as purchased.",
        ),
        click.option("--sheet", help="Worksheet to read when a workbook has several candidates."),
        click.option(
            "--max-input-mb",
            default=50,
            show_default=True,
            type=WholeNumberRange(1, 4096),
            help="Refuse input files larger than this many megabytes.",
        ),
        click.option(
            "--history",
            "history_files",
            multiple=True,
            type=FilePath(),
            help="Dated snapshots of the environment list (files such as "
            "environments-2026-03-31.csv, CoE Starter Kit capacity exports, or snapshot folders "
            "of 'capplan collect'; a folder of them takes every one); each environment's monthly "
            "growth is fitted from them (3 or more) where the inventory gives none. Repeatable.",
        ),
        click.option(
            "--buffer",
            "buffer_pct",
            default=0.0,
            show_default=True,
            type=FiniteFloat(0, 95),
            help="Headroom to keep free when recommending add-ons, in percent of the entitlement.",
        ),
        click.option(
            "--buy-at",
            type=click.Choice(["first-shortfall", "now"]),
            default="first-shortfall",
            show_default=True,
            help="When the recommended add-ons are bought.",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def load_inputs_and_rules(options: dict[str, Any]) -> tuple[Any, Any, str]:
    """Read the input files and pick the rule set: the first half of every planning command."""
    from planner.ingest import load_inputs
    from planner.model.limits import require_utf8
    from planner.planning import validate_horizon
    from planner.ruleset import resolve_ruleset

    as_of = validate_horizon(options["as_of"], options["months"])
    for path in input_paths(options):
        require_utf8(path, "the file name")
    paths = [*options["inputs"], *options["license_files"], *options["environment_files"]]
    if not paths:
        raise InputError(
            "no input files given",
            expected="a license export and an environment list, e.g. "
            "capplan forecast licenses.json environments.csv",
        )
    inputs = load_inputs(
        list(options["inputs"]),
        licenses=list(options["license_files"]),
        environments=list(options["environment_files"]),
        include_warning_units=options["include_warning_units"],
        sheet=options["sheet"],
        max_bytes=max_bytes(options),
    )
    for note in inputs.notes:
        click.echo(f"capplan: note: {printable(note, 500)}", err=True)
    if options["history_files"]:
        from planner.engine.growth import apply_fitted_growth, fit_growth
        from planner.ingest.snapshots import read_snapshots

        fits = fit_growth(read_snapshots(options["history_files"], max_bytes(options)))
        inputs = apply_fitted_growth(inputs, fits)
    return inputs, resolve_ruleset(options["rules"], as_of), as_of


def max_bytes(options: dict[str, Any]) -> int:
    return int(options["max_input_mb"]) * 2**20


def purchase_options(options: dict[str, Any]) -> dict[str, Any]:
    return {"buffer_pct": options["buffer_pct"], "buy_at": options["buy_at"]}


def load_plan(options: dict[str, Any], *, checked: bool = True) -> Any:
    """The plan of the command's inputs; ``checked=False``: before the checks run (see
    planner.planning.engine_plan)."""
    from planner.planning import build_plan, engine_plan

    inputs, ruleset, as_of = load_inputs_and_rules(options)
    make = build_plan if checked else engine_plan
    return make(inputs, ruleset, as_of, options["months"], **purchase_options(options))


def input_paths(options: dict[str, Any]) -> list[str]:
    """Every file the command reads: none of them may be an output."""
    from planner.resources import bundled_folders
    from planner.ruleset import ruleset_file

    rules = ruleset_file(options.get("rules"))
    return [
        *options["inputs"],
        *options["license_files"],
        *options["environment_files"],
        *options["history_files"],
        *options.get("scenario_files", ()),
        *([str(rules)] if rules is not None else []),
        # The bundled rule sets and SKU catalog, read every run, and the report templates.
        *map(str, bundled_folders()),
    ]


def check_outputs(
    options: dict[str, Any], targets: dict[str, str], scenarios: Sequence[Any] = ()
) -> None:
    """Refuse outputs that are inputs, including rules files named inside scenarios, and two
    outputs that are one file."""
    from planner.cli.output import check_distinct, check_not_input
    from planner.ruleset import ruleset_file

    inputs = input_paths(options)
    for scenario in scenarios:
        if scenario.switch is not None:
            named = ruleset_file(scenario.switch.rules)
            if named is not None:
                inputs.append(str(named))
    check_distinct(targets.items())
    for option, path in targets.items():
        check_not_input(path, inputs, option)
        check_pipe_is_read(path, option)


# Write ends of named pipes an output goes to, held open until the process ends (see below).
_PIPES: list[int] = []


def check_pipe_is_read(path: str, option: str) -> None:
    """An output that is a named pipe must have a reader, else writing to it would wait forever:
    refused. With a reader, the pipe is held open from now on, so that the reader does not see
    the end before the output is written through it."""
    try:
        if not stat.S_ISFIFO(os.stat(path).st_mode):
            return
        _PIPES.append(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError as error:
        if error.errno != errno.ENXIO:  # ENXIO: no process has the pipe open for reading
            return  # not there yet, or not a pipe we can open: the writer says what is wrong
        raise InputError(
            f"{option} names a pipe that nothing reads from",
            file=path,
            expected="a file, or a pipe another program is reading",
        ) from None


def fail_on_reason(plans: Sequence[Any], fail_on: str) -> str | None:
    """Why the --fail-on threshold is met, or None."""
    if fail_on == "never":
        return None
    for plan in plans:
        if len(plan.shortfalls):
            pools = ", ".join(plan.shortfalls["pool"])
            return f"shortfall within the horizon in {pools}"
        if fail_on == "warning":
            serious = [f for f in plan.findings if f.severity in ("warning", "error")]
            if serious:
                codes = ", ".join(sorted({f.code for f in serious}))
                return f"{len(serious)} warning or error findings ({codes})"
    return None


def print_json(data: Any) -> None:
    """The JSON of ``data`` (see planner.report.data.ReportData) on standard output as it is
    made, never held as one text: a large tenant's to a script's pipe or a file as fast as
    with ``-o``. A reader that stops early (``| head``) ends the output quietly; the run goes
    on to its exit status."""
    from planner.cli.output import scratch_folder, standard_output
    from planner.report.json_report import render_json, stream_json

    stream = standard_output()
    if stream is None:  # a terminal, or not a file of the system (a test's runner)
        click.echo(render_json(data), nl=False)
        return
    try:
        with stream:
            stream_json(data, stream, scratch_folder)
    except BrokenPipeError:
        _quiet_standard_output()


def checked_into_json(made: Any, begin: Callable[[Any], Any]) -> Any:
    """Check what the engine ``made`` (a plan, planner.planning.engine_plan, or a comparison,
    planner.scenarios.compare.engine_comparison) while its JSON is begun by ``begin``
    (planner.report.json_report.begin_json or begin_stream, given the report data), then
    finish the JSON; the checked plan or comparison."""
    from planner.planning import check_plan
    from planner.report.data import report_data
    from planner.results import Comparison

    if isinstance(made, Comparison):
        from planner.scenarios.compare import check_comparison

        check: Callable[[Any], Any] = check_comparison
        data_of: Callable[..., Any] = partial(report_data, None)  # (plan=None, comparison)
        # Begun with the baseline's text alone: the scenarios are made with the checks.
        early = report_data(None, made, scenarios_later=True)
    else:
        check, data_of = check_plan, report_data
        early = report_data(made)
    with begin(early) as finish_json:
        checked = check(made)
        data = data_of(checked, before_checks=early)
        keep_until_exit(checked, data, early)  # left to the system: see ending.py
        finish_json(data)
    return checked


def print_checked_json(options: dict[str, Any]) -> Any:
    """:func:`print_json` of the command's plan, begun before its checks run (see
    :func:`checked_into_json`); the checked plan. A reader that stops early ends the output
    quietly, and the plan is still checked, for the exit status."""
    from planner.cli.output import scratch_folder, standard_output
    from planner.planning import check_plan
    from planner.report.data import report_data
    from planner.report.json_report import begin_stream

    stream = standard_output()
    if stream is None:  # a terminal, or not a file of the system: printed as one text
        plan = load_plan(options)
        data = report_data(plan)
        keep_until_exit(plan, data)
        print_json(data)
        return plan
    plan = load_plan(options, checked=False)
    try:
        with stream:
            return checked_into_json(
                plan, partial(begin_stream, stream=stream, scratch=scratch_folder)
            )
    except BrokenPipeError:
        _quiet_standard_output()
        return check_plan(plan)


def _quiet_standard_output() -> None:
    """Nothing more can reach the reader, nor should the interpreter try again at its exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def finish(plans: Sequence[Any], fail_on: str) -> None:
    reason = fail_on_reason(plans, fail_on)
    if reason:
        click.echo(f"capplan: --fail-on {fail_on}: {printable(reason)}", err=True)
        sys.exit(EXIT_FAIL_ON)


def scenario_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """What-if options shared by whatif and report: scenario files and the quick flags."""
    decorators = [
        click.option(
            "--scenario",
            "scenario_files",
            multiple=True,
            type=FilePath(dir_okay=False),
            help="A scenario file (TOML); each is one scenario of the comparison, printed as rows "
            "after the baseline's. Repeatable.",
        ),
        click.option(
            "--add-licenses",
            multiple=True,
            metavar="SKU=N",
            help="Add N licenses of SKU (negative N removes). Repeatable.",
        ),
        click.option(
            "--add-sandbox",
            multiple=True,
            metavar="NAME[:TIER][=GB]",
            help="Add an add-on sandbox with its initial Power Platform environment; GB is its "
            "starting Operations database size (else the rule set's estimate for the tier, or "
            "unknown). Repeatable.",
        ),
        click.option(
            "--link",
            multiple=True,
            metavar="NAME",
            help="Link environment NAME to a new Dataverse database.",
        ),
        click.option(
            "--buy-addon",
            multiple=True,
            metavar="POOL=GB",
            help="Buy capacity add-ons for POOL worth GB.",
        ),
        click.option(
            "--growth",
            multiple=True,
            metavar="POOL=GB_PER_MONTH",
            help="Extra consumption growth of POOL, on top of the environments' own.",
        ),
        click.option(
            "--extension",
            multiple=True,
            metavar="POOL@YYYY-MM",
            help="Ask for a temporary capacity extension of POOL in that month, under the rule "
            "set's overage rules (how full the pool must be, how much it adds for how long, how "
            "often); a request they do not allow is refused with the rule it breaks. Repeatable.",
        ),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def load_scenarios(options: dict[str, Any], as_of: str) -> list[Any]:
    """The scenarios of --scenario files and of the what-if flags (one more, if any)."""
    from planner.model.changes import Scenario
    from planner.model.limits import MAX_RUN_CHANGES, MAX_SCENARIO_CHANGES, MAX_SCENARIOS
    from planner.scenarios.read import changes_from_flags, read_scenario_file

    months = options["months"]
    files = options["scenario_files"]
    if len(files) > MAX_SCENARIOS:
        raise InputError(
            f"{len(files):,} scenario files, more than the {MAX_SCENARIOS} capplan compares in "
            "one run",
            expected=f"at most {MAX_SCENARIOS} scenarios (compare more in runs of their own)",
        )
    scenarios = []
    changes = 0
    for path in files:
        scenarios.append(read_scenario_file(path, as_of, months, max_bytes(options)))
        changes += len(scenarios[-1].changes)
        if changes > MAX_RUN_CHANGES:  # said before the next file is read
            raise InputError(
                f"the scenarios up to this one make {changes:,} changes, more than the "
                f"{MAX_RUN_CHANGES:,} capplan applies in one run",
                file=str(path),
                expected=f"at most {MAX_RUN_CHANGES:,} changes in all the scenarios of a run",
            )
    flags = changes_from_flags(
        as_of,
        add_licenses=options["add_licenses"],
        add_sandbox=options["add_sandbox"],
        link=options["link"],
        buy_addon=options["buy_addon"],
        growth=options["growth"],
        extension=options["extension"],
        months=months,
    )
    if len(flags) > MAX_SCENARIO_CHANGES:
        raise InputError(
            f"the what-if flags make {len(flags):,} changes, more than the "
            f"{MAX_SCENARIO_CHANGES:,} capplan applies in one scenario",
            expected="a few what-if flags, or several scenario files",
        )
    if flags and len(scenarios) == MAX_SCENARIOS:
        raise InputError(
            f"the what-if flags make one scenario more than the {MAX_SCENARIOS} capplan "
            "compares in one run",
            expected=f"at most {MAX_SCENARIOS} scenarios, the what-if flags counting as one",
        )
    if changes + len(flags) > MAX_RUN_CHANGES:
        raise InputError(
            f"the scenarios and the what-if flags make {changes + len(flags):,} changes, more "
            f"than the {MAX_RUN_CHANGES:,} capplan applies in one run",
            expected=f"at most {MAX_RUN_CHANGES:,} changes in all the scenarios of a run",
        )
    if flags:
        scenarios.append(Scenario("command line", flags, "", "command line"))
    return scenarios


def load_comparison(
    options: dict[str, Any],
    inputs: Any,
    ruleset: Any,
    as_of: str,
    scenarios: list[Any],
    *,
    checked: bool = True,
) -> Any:
    """The baseline and the scenarios compared; None when there are no scenarios.
    ``checked=False``: before the checks run (see planner.scenarios.compare.engine_comparison)."""
    from planner.scenarios.compare import compare, engine_comparison

    if not scenarios:
        return None
    make = compare if checked else engine_comparison
    return make(inputs, scenarios, ruleset, as_of, options["months"], **purchase_options(options))


def every_plan(comparison: Any) -> list[Any]:
    return [
        comparison.baseline,
        *comparison.before_switch.values(),
        *(plan for _, plan in comparison.scenarios),
    ]


def output_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Where and how forecast and whatif print: a format, and optionally a file."""
    function = click.option(
        "-o",
        "--output",
        type=FilePath(dir_okay=False),
        help="Write to this file (atomically) instead of standard output.",
    )(function)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json", "markdown"]),
        default="table",
        show_default=True,
        help="table for people, json for scripts (schema_version 1), markdown for a CI summary.",
    )(function)


def with_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Pass every option as one dict, so the commands share the loading code."""

    @functools.wraps(function)
    def wrapper(**options: Any) -> Any:
        return function(options)

    return wrapper


@cli.command()
@input_options
@output_options
@with_options
def forecast(options: dict[str, Any]) -> None:
    """Print the capacity plan: entitlement, consumption, forecast, shortfalls, findings.

    INPUT files are license exports (Graph subscribedSkus JSON, Get-MgSubscribedSku or
    Get-MsolAccountSku CSV/XLSX, a sku,quantity sheet) and environment lists (the inventory
    template, the admin API environment list, the LCS environment list), in any mix; the
    format is detected from the content.

    \b
    Examples:
      capplan forecast samples/licenses-graph.json samples/environments-inventory.csv
      capplan forecast samples/licenses-mgsku.csv samples/environments-ppac.json \\
          --rules split-2023 --as-of 2025-06 --months 36
      capplan forecast lic.json env.csv --format json > plan.json
      capplan forecast lic.json env.csv --format markdown --fail-on shortfall
    """
    from planner.cli.output import atomic_write, atomic_write_text
    from planner.report.data import report_data
    from planner.report.text import render_markdown, render_table

    if options["output"]:
        check_outputs(options, {"--output": options["output"]})
    output_format = options["output_format"]
    if output_format == "json" and options["output"]:
        # Into the file as it is made: a large tenant's JSON is never held as one text. Its
        # long tables are the engine's: a child process writes them beside the rest, begun
        # while this process runs the checks.
        from planner.report.json_report import begin_json

        checked: list[Any] = []

        def write(path: Path) -> None:
            plan = load_plan(options, checked=False)
            checked.append(checked_into_json(plan, partial(begin_json, path=path)))

        atomic_write(options["output"], write)
        finish(checked, options["fail_on"])
        return
    if output_format == "json":
        finish([print_checked_json(options)], options["fail_on"])
        return
    plan = load_plan(options)
    data = report_data(plan)
    keep_until_exit(plan, data)  # left to the system when the process ends: see ending.py
    if output_format == "markdown":
        text = render_markdown(data)
    else:
        colour = not options["output"] and sys.stdout.isatty()
        text = render_table(data, colour=colour)
    if options["output"]:
        atomic_write_text(options["output"], text)
    else:
        click.echo(text, nl=False)
    finish([plan], options["fail_on"])


@cli.command()
@click.argument("inputs", nargs=-1, type=FilePath())
@click.option(
    "--licenses",
    "license_files",
    multiple=True,
    type=FilePath(dir_okay=False),
    help="A license export (its format is still detected). Repeatable.",
)
@click.option(
    "--environments",
    "environment_files",
    multiple=True,
    type=FilePath(dir_okay=False),
    help="An environment list (its format is still detected). Repeatable.",
)
@click.option("--rules", metavar="ID|PATH", help="Rule set id or a rules file.")
@click.option("--as-of", metavar="YYYY-MM", help="The month of the figures. Default: this month.")
@click.option(
    "--tolerance",
    "tolerance_gb",
    default=0.01,
    show_default=True,
    type=FiniteFloat(0, math.inf),
    help="Differences up to this many GB count as equal (0 or more).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["never", "mismatch"]),
    default="never",
    show_default=True,
    help="Exit 1 after printing when capplan and Microsoft differ, or the files come from "
    "different tenants.",
)
@click.option(
    "--include-warning-units",
    is_flag=True,
    help="Count licenses in their grace period (warning units) as purchased.",
)
@click.option("--sheet", help="Worksheet to read when a workbook has several candidates.")
@click.option(
    "--max-input-mb",
    default=50,
    show_default=True,
    type=WholeNumberRange(1, 4096),
    help="Refuse input files larger than this many megabytes.",
)
@output_options
@with_options
def reconcile(options: dict[str, Any]) -> None:
    """Hold capplan's figures against Microsoft's own: entitlement per pool and license,
    consumption per pool, and why they differ.

    INPUT files are a license export, an environment list and the tenant capacity answer
    (GET /licensing/tenantCapacity of the Power Platform API), in any order, or a snapshot
    folder written by 'capplan collect'.

    \b
    Examples:
      capplan reconcile samples/licenses-graph.json samples/environments-ppac.json \\
          samples/tenant-capacity.json
      capplan reconcile snapshots/2026-12-02/ --format markdown --fail-on mismatch
      capplan reconcile lic.json env.json capacity.json --tolerance 0.5 --format json
    """
    from planner.cli.output import atomic_write_text, check_not_input
    from planner.planning import build_plan
    from planner.report.data import report_data
    from planner.report.json_report import render_reconcile_json
    from planner.report.reconcile_text import render_reconcile_markdown, render_reconcile_table
    from planner.report.reconciliation import RECONCILE_CODES

    options = {**options, "months": 1, "history_files": ()}
    if options["output"]:
        check_not_input(options["output"], input_paths(options), "--output")
        check_pipe_is_read(options["output"], "--output")
    inputs, ruleset, as_of = load_inputs_and_rules(options)
    if inputs.microsoft is None:
        raise InputError(
            "no tenant capacity answer among the inputs: there is nothing to reconcile against",
            expected="the JSON of GET https://api.powerplatform.com/licensing/tenantCapacity "
            "(capplan collect saves it), beside the license export and environment list",
        )
    plan = build_plan(inputs, ruleset, as_of, 1, tolerance_gb=options["tolerance_gb"])
    render = {
        "json": render_reconcile_json,
        "markdown": render_reconcile_markdown,
        "table": render_reconcile_table,
    }[options["output_format"]]
    text = render(report_data(plan))
    if options["output"]:
        atomic_write_text(options["output"], text)
    else:
        click.echo(text, nl=False)
    if options["fail_on"] == "mismatch":
        found = sorted({f.code for f in plan.findings if f.code in RECONCILE_CODES})
        if found:
            click.echo(f"capplan: --fail-on mismatch: {', '.join(found)}", err=True)
            sys.exit(EXIT_FAIL_ON)


@cli.command()
@input_options
@scenario_options
@click.option(
    "--html",
    "html_path",
    type=FilePath(dir_okay=False),
    help="Write the HTML report (one self-contained file) here.",
)
@click.option(
    "--xlsx", "xlsx_path", type=FilePath(dir_okay=False), help="Write the Excel workbook here."
)
@click.option(
    "--json",
    "json_path",
    type=FilePath(dir_okay=False),
    help="Write the plan JSON (as forecast --format json prints it) here.",
)
@click.option(
    "--out",
    "out_dir",
    type=FilePath(file_okay=False),
    help="Write all three into this folder, named capplan-<as-of>.html/.xlsx/.json.",
)
@click.option(
    "--batch",
    "batch_dir",
    type=FilePath(file_okay=False),
    help="Plan every tenant folder under this folder (one subfolder per tenant, holding its "
    "inputs), in parallel; write each tenant's report under --out and a portfolio page and "
    "workbook ranking them.",
)
@with_options
def report(options: dict[str, Any]) -> None:
    """Write the plan as reports to hand on: HTML, Excel and JSON, with the same numbers.

    All files are finished before any is moved into place, so a failure leaves earlier reports
    untouched; an output path that is one of the inputs is refused.

    \b
    With --scenario files or what-if flags, the reports add a comparison of the baseline and
    the scenarios (an HTML section and an Excel sheet), and the JSON is the whatif comparison.

    \b
    Examples:
      capplan report samples/licenses-graph.json samples/environments-inventory.csv --out report
      capplan report lic.json env.csv --html plan.html --xlsx plan.xlsx
      capplan report lic.json env.csv --out report --months 36 --fail-on shortfall
      capplan report lic.json env.csv --scenario samples/scenarios/wave-2.toml --out report
      capplan report --batch tenants/ --out portfolio --as-of 2026-12
    """
    if options["batch_dir"]:
        report_batch(options)
        return
    from planner.cli.output import write_all
    from planner.model.memory import release_memory
    from planner.planning import validate_horizon
    from planner.report.data import TABLES, records, report_data
    from planner.report.formatting import HEADLINE_KEYS, headline
    from planner.report.html import render_html
    from planner.report.json_report import write_json

    targets: dict[str, str] = {}
    if options["out_dir"]:
        folder = Path(options["out_dir"])
        if folder.exists() and not folder.is_dir():
            raise InputError("--out is not a folder", file=str(folder), expected="a folder")
        # The month as parsed, never the text as typed, goes into the file names.
        stem = f"capplan-{validate_horizon(options['as_of'], options['months'])}"
        targets = {kind: str(folder / f"{stem}.{kind}") for kind in ("html", "xlsx", "json")}
    for kind in ("html", "xlsx", "json"):
        if options[f"{kind}_path"]:
            targets[kind] = options[f"{kind}_path"]
    if not targets:
        raise InputError("no report to write", expected="--out DIR, or --html/--xlsx/--json PATH")
    check_outputs(options, {f"--{kind}": path for kind, path in targets.items()})
    inputs, ruleset, as_of = load_inputs_and_rules(options)
    scenarios = load_scenarios(options, as_of)
    check_outputs(options, {f"--{kind}": path for kind, path in targets.items()}, scenarios)
    comparison = load_comparison(options, inputs, ruleset, as_of, scenarios)
    if comparison is None:
        from planner.planning import build_plan

        plan = build_plan(inputs, ruleset, as_of, options["months"], **purchase_options(options))
    else:
        plan = comparison.baseline

    if options["out_dir"]:
        Path(options["out_dir"]).mkdir(parents=True, exist_ok=True)
    # Once for the page, the workbook, the JSON and the headline; the plan's data is built
    # here, before the workbook's child process starts.
    data = report_data(plan, comparison)
    keep_until_exit(data)  # left to the system when the process ends: see ending.py
    # The headline reads a few small keys: no records of the large tables for it.
    lines = headline(
        printable_data(
            {
                key: data.fields[key]
                if key in data.fields
                else records(data.tables[key], TABLES[key])
                for key in HEADLINE_KEYS
            }
        )
    )
    # The page points to the workbook and JSON written beside it for the complete lists.
    page_folder = Path(targets.get("html", ".")).parent
    files = {
        kind: os.path.relpath(targets[kind], page_folder)
        for kind in ("xlsx", "json")
        if kind in targets
    }

    def write_workbook(path: Path) -> None:
        # Imported where the workbook is written, in the child process where there is one:
        # XlsxWriter takes a few dozen milliseconds to import that the parent need not spend.
        from planner.report.xlsx import write_xlsx

        write_xlsx(data, path)

    writers = {
        "html": lambda path: path.write_text(render_html(data, files), encoding="utf-8"),
        "xlsx": write_workbook,
        "json": lambda path: write_json(data, path),
    }
    # What --fail-on says is known now; past this point only the report's data is needed. The
    # plan's own frames and records are let go before the workbook's child process starts, so
    # neither process carries them while the files are written.
    reason = fail_on_reason(
        [plan] if comparison is None else every_plan(comparison), options["fail_on"]
    )
    del plan, comparison, inputs, scenarios
    # The findings' columns, which the page, the JSON and the workbook all read, are made once
    # and before the workbook's child process starts: a child that made its own would copy each
    # page of findings it touched (111 ms for 165,000 findings, 25 ms here).
    data.outline["findings"].columns()
    release_memory()
    # The workbook is the slowest to build: it goes to a child process, the page stays here.
    order = sorted(targets.items(), key=lambda item: item[0] == "xlsx")
    write_all([(path, writers[kind]) for kind, path in order], parallel=True)
    for path in targets.values():
        click.echo(f"wrote {printable(path)}")

    for line in lines:
        click.echo(line)
    if reason:
        click.echo(f"capplan: --fail-on {options['fail_on']}: {printable(reason)}", err=True)
        sys.exit(EXIT_FAIL_ON)


BATCH_ALONE = (
    ("inputs", "input files"),
    ("license_files", "--licenses"),
    ("environment_files", "--environments"),
    ("history_files", "--history"),
    ("html_path", "--html"),
    ("xlsx_path", "--xlsx"),
    ("json_path", "--json"),
    ("scenario_files", "--scenario"),
    ("add_licenses", "--add-licenses"),
    ("add_sandbox", "--add-sandbox"),
    ("link", "--link"),
    ("buy_addon", "--buy-addon"),
    ("growth", "--growth"),
    ("extension", "--extension"),
)


def report_batch(options: dict[str, Any]) -> None:
    """``report --batch DIR --out OUT``: every tenant folder, then the portfolio."""
    from planner.cli.batch import PORTFOLIO_FILES, BatchOptions, run_batch
    from planner.cli.output import within
    from planner.model.months import current_month
    from planner.planning import validate_horizon
    from planner.ruleset import ruleset_file

    given = [flag for key, flag in BATCH_ALONE if options.get(key)]
    if given:
        raise InputError(
            f"--batch takes each tenant's inputs from its folder; {', '.join(given)} cannot "
            "be given with it",
            expected="capplan report --batch DIR --out FOLDER [--as-of ...] [--months ...]",
        )
    if not options["out_dir"]:
        raise InputError(
            "--batch needs --out, the folder for the tenants' reports and the portfolio",
            expected="capplan report --batch DIR --out FOLDER",
        )
    as_of = validate_horizon(options["as_of"] or current_month(), options["months"])
    batch = BatchOptions(
        as_of=as_of,
        months=options["months"],
        rules=options["rules"],
        include_warning_units=options["include_warning_units"],
        sheet=options["sheet"],
        max_bytes=max_bytes(options),
        buffer_pct=options["buffer_pct"],
        buy_at=options["buy_at"],
    )
    out = Path(options["out_dir"])
    batch_dir = Path(options["batch_dir"])
    if within(out, batch_dir):
        raise InputError(
            "--out is the --batch folder or inside it: the reports would be written among the "
            "tenants' inputs",
            file=str(out),
            expected="an --out folder outside the --batch folder",
        )
    rules = ruleset_file(options["rules"])
    if rules is not None and within(rules, out):
        raise InputError(
            "the --rules file is inside --out, where the reports are written",
            file=str(rules),
            expected="a rules file outside the --out folder",
        )
    tenants = run_batch(batch_dir, out, batch)
    failed = [t for t in tenants if t["problem"]]
    short = [t for t in tenants if t["first_shortfall"]]
    for page in PORTFOLIO_FILES:
        click.echo(f"wrote {printable(str(out / page))}")
    click.echo(
        f"{len(tenants) - len(failed)} tenants planned, {len(short)} run short within the "
        f"horizon; reports under {printable(str(out))}."
    )
    for tenant in failed:
        # The problem is a rendered message: its own line breaks stay, as on its own.
        name = printable(tenant["tenant"])
        problem = "\n".join(map(printable, tenant["problem"].split("\n")))
        click.echo(f"capplan: error: tenant {name}: {problem}", err=True)
    if failed:
        sys.exit(EXIT_BAD_INPUT)
    fail_on = options["fail_on"]
    warned = [t for t in tenants if t["errors"] or t["warnings"]]
    if (fail_on == "shortfall" and short) or (fail_on == "warning" and (short or warned)):
        names = ", ".join(printable(t["tenant"]) for t in (short or warned)[:10])
        click.echo(f"capplan: --fail-on {fail_on}: met by {names}", err=True)
        sys.exit(EXIT_FAIL_ON)


@cli.command()
@input_options
@scenario_options
@output_options
@with_options
def whatif(options: dict[str, Any]) -> None:
    """Compare the baseline with what-if scenarios, side by side, with what to buy.

    Each --scenario file is one scenario; the quick flags together form one more
    ("command line"), applied from month 0. Each scenario prints as rows, one per pool,
    after the baseline's rows. Deltas are scenario minus baseline.

    \b
    Examples:
      capplan whatif samples/licenses-graph.json samples/environments-inventory.csv \\
          --scenario samples/scenarios/wave-2.toml
      capplan whatif lic.json env.csv --add-licenses DYN365_FINANCE=50 --add-sandbox UAT2:2=45
      capplan whatif lic.json env.csv --link CONTOSO-UAT --format json
      capplan whatif lic.json env.csv --buy-addon database=20 --buffer 15 --fail-on shortfall
      capplan whatif lic.json env.csv --extension database@2027-04
    """
    from planner.cli.output import atomic_write, atomic_write_text
    from planner.report.data import report_data
    from planner.report.whatif_text import render_whatif_markdown, render_whatif_table

    outputs = {"--output": options["output"]} if options["output"] else {}
    check_outputs(options, outputs)
    inputs, ruleset, as_of = load_inputs_and_rules(options)
    scenarios = load_scenarios(options, as_of)
    check_outputs(options, outputs, scenarios)
    if not scenarios:
        raise InputError(
            "no scenario given",
            expected="--scenario FILE or a what-if flag such as --add-licenses SKU=N "
            "(capplan init writes a starter scenario)",
        )
    if options["output_format"] == "json" and options["output"]:
        # Into the file as it is made, as forecast writes its plan: the long tables (each
        # plan's consumption lines) are the engine's, written by a child process while this
        # one runs the checks.
        from planner.report.json_report import begin_json

        early = load_comparison(options, inputs, ruleset, as_of, scenarios, checked=False)
        checked: list[Any] = []

        def write(path: Path) -> None:
            checked.append(checked_into_json(early, partial(begin_json, path=path)))

        atomic_write(options["output"], write)
        finish(every_plan(checked[0]), options["fail_on"])
        return
    comparison = load_comparison(options, inputs, ruleset, as_of, scenarios)
    data = report_data(comparison=comparison)
    keep_until_exit(comparison, data)  # left to the system when the process ends: see ending.py
    if options["output_format"] == "json":
        print_json(data)
        finish(every_plan(comparison), options["fail_on"])
        return
    render = {
        "markdown": render_whatif_markdown,
        "table": render_whatif_table,
    }[options["output_format"]]
    text = render(data)
    if options["output"]:
        atomic_write_text(options["output"], text)
    else:
        click.echo(text, nl=False)
    finish(every_plan(comparison), options["fail_on"])


@cli.command()
@click.argument("directory", type=FilePath(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite starter files that already exist.")
def init(directory: str, force: bool) -> None:
    """Write starter files to fill in: an inventory, a license sheet and a scenario.

    \b
    Example:
      capplan init my-tenant
      capplan forecast my-tenant/licenses.csv my-tenant/environments.csv
      capplan whatif my-tenant/licenses.csv my-tenant/environments.csv \\
          --scenario my-tenant/scenario.toml
    """
    from planner.cli.starter import write_starter_files

    for path in write_starter_files(directory, force=force):
        click.echo(f"wrote {printable(str(path))}")


@cli.group()
def rules() -> None:
    """List, show and check rule sets.

    \b
    Examples:
      capplan rules list
      capplan rules show pooled-2025-12
      capplan rules show split-2023 --format json
      capplan rules check my-rules.toml
    """


@rules.command("list")
def rules_list() -> None:
    """List the bundled rule sets and the month each takes effect."""
    from planner.ruleset import bundled_rulesets

    rows = bundled_rulesets()
    width = max(len(r.id) for r in rows)
    for ruleset in rows:
        click.echo(
            f"{ruleset.id.ljust(width)}  from {ruleset.effective_from}  "
            f"pools: {', '.join(ruleset.pool_names)}  defaults: {ruleset.defaults_combine}\n"
            f"{' ' * width}  {ruleset.title}"
        )


@rules.command("show")
@click.argument("ruleset_id", required=False, metavar="[ID|PATH]")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--as-of", metavar="YYYY-MM", help="Without ID: the rule set effective then.")
def rules_show(ruleset_id: str | None, output_format: str, as_of: str | None) -> None:
    """Show one rule set: pools, borrowing, licenses and every amount with its source.

    \b
    Examples:
      capplan rules show
      capplan rules show split-2023 --format json
    """
    from planner.model.months import current_month
    from planner.report.rules_view import rules_json, rules_table
    from planner.ruleset import resolve_ruleset

    ruleset = resolve_ruleset(ruleset_id, current_month() if as_of is None else as_of)
    click.echo(rules_json(ruleset) if output_format == "json" else rules_table(ruleset), nl=False)


@rules.command("check")
@click.argument("path", type=FilePath(dir_okay=False))
def rules_check(path: str) -> None:
    """Validate a rules file; errors name the line and the entry.

    \b
    Example:
      capplan rules check my-rules.toml
    """
    from planner.ruleset import load_ruleset_file

    ruleset = load_ruleset_file(path)
    assumed = sum(1 for amount in ruleset.all_amounts() if amount.assumed)
    click.echo(
        f"{printable(path)}: ok, rule set {printable(ruleset.id)} from {ruleset.effective_from}: "
        f"{len(ruleset.pools)} pools, {len(ruleset.licenses)} licenses, "
        f"{assumed} assumed amounts"
    )


@rules.command("skus")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option("--rules", "ruleset_id", metavar="ID|PATH", help="Check against this rule set.")
@click.option("--as-of", metavar="YYYY-MM", help="Without --rules: the rule set effective then.")
def rules_skus(output_format: str, ruleset_id: str | None, as_of: str | None) -> None:
    """List the SKU catalog: every product by part number, GUID and display name, with the
    rule that gives it capacity, or why it grants none.

    \b
    Examples:
      capplan rules skus
      capplan rules skus --format json --rules split-2023
    """
    from planner.model.months import current_month
    from planner.report.catalog_view import catalog_json, catalog_table
    from planner.ruleset import resolve_ruleset
    from planner.ruleset.catalog import bundled_catalog

    ruleset = resolve_ruleset(ruleset_id, current_month() if as_of is None else as_of)
    render = catalog_json if output_format == "json" else catalog_table
    click.echo(render(bundled_catalog(), ruleset), nl=False)


@rules.command("import-skus")
@click.argument("path", type=FilePath(dir_okay=False))
@click.option(
    "--out",
    "out_path",
    type=FilePath(dir_okay=False),
    help="Catalog file to write (default: the catalog capplan uses).",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def rules_import_skus(path: str, out_path: str | None, dry_run: bool) -> None:
    """Rebuild the SKU catalog from a newer download of Microsoft's "Product names and service
    plan identifiers for licensing" CSV, and show what changed.

    Products are matched by GUID; their capacity classification is kept. New products are
    classified as granting no capacity when they are not Dynamics 365 or Power Platform
    products (or are free, trial or developer plans), else as unknown until reviewed.

    \b
    Example:
      capplan rules import-skus product-names.csv --dry-run
    """
    from planner.cli.output import atomic_write_text, check_not_input, resolved
    from planner.ingest.products import read_product_csv
    from planner.report.catalog_view import import_report
    from planner.resources import bundled_folders
    from planner.ruleset.catalog import catalog_path, dump_catalog, import_products, load_catalog

    target = Path(out_path) if out_path else catalog_path()
    # The catalog capplan uses is rewritten in place; any other file among the bundled rules
    # would be read as a rule set by every later run.
    bundled = [] if resolved(target) == resolved(catalog_path()) else bundled_folders()
    check_not_input(target, [path, *bundled], "--out")
    check_pipe_is_read(str(target), "--out")
    products = read_product_csv(path)
    current = load_catalog(target if target.exists() else catalog_path())
    origin = f"Microsoft product names and service plan identifiers CSV ({Path(path).name})"
    updated, changes = import_products(current, products, origin)
    if not dry_run:
        atomic_write_text(target, dump_catalog(updated))
    click.echo(import_report(changes, len(current), updated, printable(str(target))), nl=False)


@cli.command()
@click.option("--url", "org_url", metavar="ORG_URL", help="Dataverse organization URL to check.")
@click.option(
    "--token-env",
    default="DATAVERSE_TOKEN",
    show_default=True,
    metavar="NAME",
    help="Environment variable holding the bearer token (never printed).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=FiniteFloat(0.1, 3600),
    help="Seconds the whole check of one environment may take, retries included: from 0.1 to 3600.",
)
@click.option(
    "--inventory",
    type=FilePath(dir_okay=False),
    help="Check every row of this inventory (CSV) that has an org_url.",
)
@click.option(
    "--out",
    "out_path",
    type=FilePath(dir_okay=False),
    help="With --inventory: the new inventory to write (never the input).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="PATTERN",
    help="A host the token may be sent to, such as "
    "contoso.crm4.dynamics.com or *.crm4.dynamics.com ('*.' stands for any subdomains). "
    "Repeatable; replaces the default list of Dataverse domains (*.dynamics.com, "
    "*.crm*.dynamics.com and the US Government and China clouds). Rows of other hosts are "
    "reported and never contacted; a --url of another host is refused (a loopback address, "
    "which never leaves this machine, is not).",
)
def verify(
    org_url: str | None,
    token_env: str,
    output_format: str,
    timeout: float,
    inventory: str | None,
    out_path: str | None,
    allow_hosts: tuple[str, ...],
) -> None:
    """Ask Dataverse whether an environment is linked to finance and operations.

    Calls RetrieveFinanceAndOperationsIntegrationDetails on the organization and reports the
    linked finance and operations URL, tenant and environment id. Status is linked, not_linked
    or unknown; exit status 0 when known, 3 when unknown. https is required except to loopback
    addresses.

    \b
    Examples:
      DATAVERSE_TOKEN=... capplan verify --url https://contoso.crm.dynamics.com
      capplan verify --url https://contoso.crm.dynamics.com --format json
      capplan verify --inventory environments.csv --out environments-verified.csv
    """
    from planner.live.http import check_host_patterns
    from planner.verify import dataverse as verifying

    allowed = check_host_patterns(allow_hosts) if allow_hosts else verifying.DEFAULT_ALLOWED_HOSTS
    if inventory:
        if not out_path:
            raise InputError(
                "--inventory needs --out, the new inventory to write",
                expected="--out FILE (a new file, not the input)",
            )
        from planner.cli.output import atomic_write_text, check_not_input
        from planner.resources import bundled_folders
        from planner.verify.inventory import read_rows, rows_as_csv

        check_not_input(out_path, [inventory, *bundled_folders()], "--out")
        check_pipe_is_read(out_path, "--out")
        rows = read_rows(inventory)
        tokens: dict[str, str] = {}

        def token_for(url: str) -> str:
            if url not in tokens:
                tokens[url] = verifying.resolve_token(url, token_env)
            return tokens[url]

        checked = verifying.verify_inventory(
            rows, token_for, file=inventory, timeout=timeout, allowed_hosts=allowed
        )
        atomic_write_text(out_path, rows_as_csv(checked))
        states = [
            row["power_platform_verified"] for row in checked if row["power_platform_verified"]
        ]
        counts = {state: states.count(state) for state in ("linked", "not_linked", "unknown")}
        skipped = [
            row for row in checked if row["verify_message"].startswith(verifying.NOT_ALLOWED)
        ]
        click.echo(
            f"{printable(out_path)}: {len(states)} environments checked: {counts['linked']} "
            f"linked, {counts['not_linked']} not linked, {counts['unknown']} unknown"
        )
        if skipped:
            names = ", ".join(printable(str(row.get("name", "?")), 100) for row in skipped[:10])
            more = f" and {len(skipped) - 10} more" if len(skipped) > 10 else ""
            click.echo(
                f"capplan: {len(skipped)} not checked, their host is not allowed "
                f"(--allow-host): {names}{more}",
                err=True,
            )
        unknown = counts["unknown"] or skipped
        sys.exit(verifying.EXIT_UNKNOWN if unknown else verifying.EXIT_KNOWN)
    if not org_url:
        raise InputError(
            "no organization URL given",
            expected="--url https://<org>.crm.dynamics.com, or --inventory FILE --out FILE",
        )
    verifying.check_allowed(org_url, allowed)
    token = verifying.resolve_token(org_url, token_env)
    result = verifying.check_integration(org_url, token, timeout=timeout)
    text = (
        verifying.render_json(result) if output_format == "json" else verifying.render_table(result)
    )
    click.echo(text, nl=False)
    sys.exit(verifying.exit_status(result))


def interrupted() -> None:
    """Ctrl-C: one line and the shell's status for SIGINT, 128 + 2; outputs are untouched."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not print a traceback
    click.echo("\ncapplan: interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)


@cli.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=FilePath(file_okay=False),
    help="Folder of snapshots; this run writes OUT/YYYY-MM-DD/.",
)
@click.option(
    "--device-code",
    is_flag=True,
    help="Sign in with a device code (an admin at a terminal) instead of DefaultAzureCredential: "
    "the code and the page to enter it on are shown on standard error, once for the three APIs. "
    "Signs in to the tenant of AZURE_TENANT_ID when it is set (a guest admin's customer).",
)
@click.option(
    "--token-env",
    metavar="NAME",
    help="Use the bearer token in environment variable NAME (NAME_GRAPH, NAME_BAP, "
    "NAME_POWERPLATFORM for one API each) instead of signing in. Never printed.",
)
@click.option("--graph-url", default=DEFAULT_GRAPH_URL, show_default=True, metavar="URL")
@click.option("--bap-url", default=DEFAULT_BAP_URL, show_default=True, metavar="URL")
@click.option(
    "--powerplatform-url", default=DEFAULT_POWERPLATFORM_URL, show_default=True, metavar="URL"
)
@click.option(
    "--bap-scope",
    default="https://service.powerapps.com/.default",
    show_default=True,
    metavar="SCOPE",
    help="The token scope of the admin API (--bap-url): the PowerApps service of your cloud. "
    "Graph's and the Power Platform API's scopes follow their URLs' hosts.",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=FiniteFloat(0.1, 600),
    help="Seconds to wait for each answer, from 0.1 to 600.",
)
@click.option(
    "--max-wait",
    default=180.0,
    show_default=True,
    type=FiniteFloat(0, 3600),
    help="Seconds to wait in all when the services ask to retry later (429, 503), from 0 to 3600.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="PATTERN",
    help="A host the tokens may be sent to when an answer pages or redirects there, such as "
    "graph.microsoft.us or *.example.com ('*.' stands for any subdomains). Repeatable; "
    "replaces the default list (graph.microsoft.com, api.bap.microsoft.com, "
    "api.powerplatform.com). The URLs of --graph-url, --bap-url and --powerplatform-url are "
    "always allowed, exactly as given (scheme, host and port). A link or redirect anywhere "
    "else is refused before the token is sent.",
)
@click.pass_context
def collect(
    ctx: click.Context,
    out_dir: str,
    device_code: bool,
    token_env: str | None,
    graph_url: str,
    bap_url: str,
    powerplatform_url: str,
    bap_scope: str,
    timeout: float,
    max_wait: float,
    allow_hosts: tuple[str, ...],
) -> None:
    """Read the tenant live, read-only, and keep the answers as a dated snapshot.

    Calls Microsoft Graph subscribedSkus, the Power Platform admin environment list with
    capacity and the Power Platform tenant capacity API, and writes OUT/YYYY-MM-DD/ with the
    three answers and manifest.json (when, endpoints, counts, sha256), all at once or not at
    all. Signs in with Azure Identity (pip install 'capplan[live]'); --token-env takes a token
    minted elsewhere. Exit status 2 when a call is refused (the message names the missing
    permission) or an option is wrong, 3 when a service gives no usable answer.

    \b
    Examples:
      capplan collect --out snapshots
      capplan collect --out snapshots --device-code
      CAPPLAN_TOKEN=... capplan collect --out snapshots --token-env CAPPLAN_TOKEN
    """
    from planner.cli.output import check_not_input
    from planner.live.collect import (
        BaseUrls,
        ServiceError,
        live_client,
        next_commands,
        tokens_from_azure,
        tokens_from_environment,
    )
    from planner.live.collect import (
        collect as collect_snapshot,
    )
    from planner.resources import bundled_folders

    if device_code and token_env:
        raise InputError(
            "--device-code and --token-env both say how to get a token",
            expected="one of them, or neither (DefaultAzureCredential)",
        )
    # A snapshot among capplan's own rules or templates would be read with them.
    check_not_input(out_dir, bundled_folders(), "--out")
    urls = BaseUrls(graph_url, bap_url, powerplatform_url, bap_scope).checked()
    debug = ctx.obj.get("debug") if ctx.obj else False
    log = (lambda line: click.echo(f"capplan: {printable(line)}", err=True)) if debug else None
    tokens = (
        tokens_from_environment(token_env)
        if token_env
        else tokens_from_azure(device_code, say=lambda line: click.echo(printable(line), err=True))
    )
    client = live_client(urls, allow_hosts, timeout=timeout, total_wait=max_wait, debug=log)
    out = Path(out_dir)
    try:
        with client:
            collected = collect_snapshot(out, tokens, urls, client=client)
    except ServiceError as error:
        click.echo(f"capplan: error: {error.render()}", err=True)
        sys.exit(EXIT_SERVICE)
    for entry in collected.manifest["files"]:
        click.echo(
            f"wrote {printable(str(collected.folder / entry['file']))}: {entry['count']} items, "
            f"{entry['pages']} page(s)"
        )
    click.echo(f"wrote {printable(str(collected.folder / 'manifest.json'))}")
    click.echo("Next:")
    for command in next_commands(collected, out):
        click.echo(f"  {printable(command)}")


def escaping_what_cannot_be_shown() -> None:
    """Standard output and error in an encoding short of Unicode (a Latin-1 locale, a cp437
    console, PYTHONIOENCODING): a character it has no code for is printed as an escape
    (``\\u2013``) rather than ending the run. Files capplan writes are UTF-8 all the same."""
    for stream in (sys.stdout, sys.stderr):
        # Not a text stream of the system (a test's runner, a stream replaced): left as it is.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


def printing_failed(error: OSError) -> None:
    """What could not be printed, as one message and exit status 2, as for any output."""
    if error.filename is None and error.filename2 is None:
        words = f"standard output: {printable(error.strerror or type(error).__name__)}"
        text = f"{words}\n  expected: standard output that can be written to"
    else:
        text = os_error_words(error)
    with contextlib.suppress(OSError):  # standard error as full: the status alone says it
        click.echo(f"capplan: error: {text}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def main(argv: Sequence[str] | None = None) -> None:
    # One short run allocates hundreds of thousands of small objects (records, cells) and frees
    # them by reference counting; the cycle collector would only rescan them again and again.
    gc.disable()
    no_huge_pages()
    escaping_what_cannot_be_shown()
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="capplan")
    except KeyboardInterrupt:  # between click's own handling and the interpreter's
        interrupted()
    except OSError as error:
        # Printing the help or the version, which click does before any command runs (and so
        # outside CapplanGroup.invoke): standard output is a full device, or was closed.
        printing_failed(error)
    finally:
        # On the way out the interpreter collects cycles once more over every object still
        # alive (a large plan is hundreds of thousands); frozen objects are left to the system,
        # which frees the whole process at once. Files are all closed by then.
        gc.freeze()


# Loaded: Ctrl-C raises KeyboardInterrupt again, which the commands turn into status 130
# (planner/cli/__init__.py ended the run quietly while the modules were loading).
if signal.getsignal(signal.SIGINT) is interrupted_while_starting:
    signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    main()
