"""The project's set-up stays true: the README's commands, CI's command, what the wheel carries,
and the layers of planner/ (what may import what)."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "the README opens with a shell block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    run, test = commands
    assert "pip install ." in run and "capplan report samples/" in run
    assert "pytest" in test and "'.[test]'" in test


def test_the_readme_test_command_tries_every_example() -> None:
    """A bare pytest runs the quick profile of the property tests (tests/budget.py); the whole
    suite, as CI runs it, asks for every example of every budget."""
    assert "--hypothesis-profile=full" in readme_commands()[1].split()


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci


def test_the_test_extra_brings_what_the_sign_in_tests_need() -> None:
    """The sign-in tests of collect skip where Azure Identity is missing: the README's test
    command, and so CI, must install it, or they would pass by being skipped."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = config["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", requirement)[0] for requirement in extras["test"]}
    assert {"azure-identity", "cryptography"} <= names
    assert any(r.startswith("azure-identity") for r in extras["live"])


def test_rules_and_templates_ship_inside_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included == {
        "rules": "planner/_bundled/rules",
        "templates": "planner/_bundled/templates",
    }
    assert config["project"]["scripts"]["capplan"] == "planner.cli:main"


def test_no_number_of_microsofts_in_the_engine_code() -> None:
    """Entitlements, estimates and prices live in rules/, never in planner/ code."""
    suspicious = re.compile(r"(?<![\w.])(250|60|90|125|80|3072|40\.0|1\.5)(?![\w.])")
    offenders = []
    for path in (ROOT / "planner").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if suspicious.search(code) and "width" not in code and "height" not in code:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_cli_reference_is_in_sync_with_the_commands() -> None:
    from planner.cli.docs import render_cli_reference

    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == render_cli_reference(), "run: python -m planner.cli.docs > docs/cli.md"


def test_rules_reference_tables_are_in_sync_with_the_rule_files() -> None:
    from planner.report.rules_doc import with_tables

    written = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == with_tables(written), "run: python -m planner.report.rules_doc"


# The layers of planner/, lowest first: a module may import from its own package and from the
# packages of lower layers, never from a higher one. Packages in one layer may import each other
# (verify uses live's HTTP client); the cycle test below keeps that honest.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "resources"),
    ("model",),
    ("ruleset",),
    ("ingest",),
    ("live", "verify"),
    ("engine",),
    ("results",),
    ("checks",),
    ("planning",),
    ("scenarios",),
    ("report",),
    ("cli", "__main__"),
)


def planner_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((ROOT / "planner").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imports_of(path: Path, modules: Mapping[str, Path]) -> set[str]:
    """The planner modules a file imports, at its top or inside a function (lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "planner")
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path.relative_to(ROOT)}: relative import"
            if node.module.split(".")[0] != "planner":
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found


def layer_of(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    for rank, packages in enumerate(LAYERS):
        if top in packages:
            return rank
    raise AssertionError(f"{module} belongs to no layer: add its package to LAYERS")


@cache
def import_graph() -> dict[str, set[str]]:
    modules = planner_modules()
    graph = {}
    for module, path in modules.items():
        if module == "planner":
            # The package's own __init__ is the library's front door: it reaches planning lazily
            # (`from planner import plan`) and holds __version__, which any module may read.
            continue
        graph[module] = {m for m in imports_of(path, modules) if m != module}
    return graph


def test_at_most_six_modules_at_the_top_of_planner() -> None:
    top = sorted(p.name for p in (ROOT / "planner").glob("*.py"))
    assert len(top) <= 6, top


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = []
    for module, imported in import_graph().items():
        for target in imported:
            if target == "planner":
                continue  # __version__
            if layer_of(target) > layer_of(module):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
