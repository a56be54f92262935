"""``python -m planner.ruleset``: write the compiled file of the bundled rule sets and SKU
catalog (see planner/ruleset/compiled.py) from the bundled files as they are read now."""

from __future__ import annotations

import os
import sys

import msgspec

from planner.resources import bundled_dir
from planner.ruleset.catalog import catalog_path, load_catalog
from planner.ruleset.compiled import compiled_bytes, compiled_path
from planner.ruleset.load import load_ruleset_file


def main() -> None:
    """Write the file. Its mappings keep their order (the rule set's order is the order its
    tables print in); its sets are in the order of their strings' hashes, which
    PYTHONHASHSEED=0 makes the same whenever the file is written again."""
    rules = bundled_dir("rules")
    # Each rule set without its file's path (a run puts the path it reads it from back).
    parts = {
        path.name: msgspec.msgpack.encode(msgspec.structs.replace(load_ruleset_file(path), path=""))
        for path in sorted(rules.glob("*.toml"))
    }
    catalog = catalog_path()
    entries = load_catalog(catalog).entries
    parts[catalog.relative_to(rules).as_posix()] = msgspec.msgpack.encode(entries)
    target = compiled_path()
    target.write_bytes(compiled_bytes(parts))
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        environment = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, "-m", "planner.ruleset"], environment)
    main()
