"""The compiled file of the bundled rule sets and catalog: current, the same readings as the
files give, and left alone where it does not match them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from planner.resources import bundled_dir
from planner.ruleset import CatalogEntry, RuleSet, catalog, compiled, load
from planner.ruleset.__main__ import main as write_compiled
from tests.test_project import import_graph

RULES = bundled_dir("rules")


def test_the_digest_covers_every_module_the_readers_import() -> None:
    graph = import_graph()
    readers = ["planner.ruleset.load", "planner.ruleset.catalog"]
    seen: set[str] = set()
    while readers:
        module = readers.pop()
        if module not in seen:
            seen.add(module)
            readers.extend(graph.get(module, ()))
    files = {module.removeprefix("planner.").replace(".", "/") + ".py" for module in seen}
    assert files <= set(compiled.READER_CODE), files - set(compiled.READER_CODE)


def test_the_compiled_file_is_current() -> None:
    assert compiled._compiled(RULES) is not None, (
        "rules/compiled.msgpack does not match the bundled files or the code that reads them: "
        "run python -m planner.ruleset"
    )


@pytest.mark.parametrize("path", sorted(RULES.glob("*.toml")), ids=lambda path: path.name)
def test_a_compiled_rule_set_is_its_files_reading(path: Path) -> None:
    load._bundled_ruleset.cache_clear()
    from_compiled = load._bundled_ruleset(path)
    assert compiled.compiled_part(path) is not None
    assert from_compiled == load.load_ruleset_file(path)
    assert from_compiled.path == str(path)


def test_the_compiled_catalog_is_its_files_reading() -> None:
    catalog.bundled_catalog.cache_clear()
    path = catalog.catalog_path()
    assert compiled.compiled_part(path) is not None
    assert catalog.bundled_catalog() == catalog.load_catalog(path)


@pytest.mark.parametrize("damage", ["another digest", "not msgpack", "missing"])
def test_a_compiled_file_that_does_not_match_is_not_used(
    damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy of the bundled folder whose compiled file is stale, damaged or missing: its files
    are read, and give what they give."""
    copy = tmp_path / "rules"
    copy.mkdir()
    for source in [*compiled._bundled_files(RULES), RULES / compiled.COMPILED_FILE]:
        target = copy / source.relative_to(RULES)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    written = copy / compiled.COMPILED_FILE
    if damage == "another digest":
        stale = msgspec.msgpack.decode(written.read_bytes(), type=compiled.Compiled)
        written.write_bytes(msgspec.msgpack.encode(msgspec.structs.replace(stale, digest="0")))
    elif damage == "not msgpack":
        written.write_bytes(b"\xc1 not a compiled file")
    else:
        written.unlink()
    # A rule set edited after the file was written: its reading is the edited one.
    toml = copy / "pooled-2025-12.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'title = "Pooled storage', 'title = "Edited pooled storage', 1
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(compiled, "bundled_dir", lambda name: copy)
    monkeypatch.setattr(catalog, "bundled_dir", lambda name: copy)
    assert compiled._compiled(copy) is None
    load._bundled_ruleset.cache_clear()
    catalog.bundled_catalog.cache_clear()
    try:
        assert load._bundled_ruleset(toml).title.startswith("Edited pooled storage")
        assert catalog.bundled_catalog() == catalog.load_catalog(copy / "catalog" / "skus.csv")
    finally:
        load._bundled_ruleset.cache_clear()
        catalog.bundled_catalog.cache_clear()


def test_writing_the_compiled_file_again_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / compiled.COMPILED_FILE
    monkeypatch.setattr(compiled, "compiled_path", lambda: target)
    import planner.ruleset.__main__ as refresher

    monkeypatch.setattr(refresher, "compiled_path", lambda: target)
    write_compiled()
    # (Its sets are in the order of the strings' hashes, which differ from run to run.)
    written, shipped = (
        msgspec.msgpack.decode(path.read_bytes(), type=compiled.Compiled)
        for path in (target, RULES / compiled.COMPILED_FILE)
    )
    assert written.digest == shipped.digest
    assert written.parts.keys() == shipped.parts.keys()
    for name, part in written.parts.items():
        kind: Any = RuleSet if name.endswith(".toml") else tuple[CatalogEntry, ...]
        assert msgspec.msgpack.decode(part, type=kind) == msgspec.msgpack.decode(
            shipped.parts[name], type=kind
        ), name
