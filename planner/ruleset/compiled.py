"""The bundled rule sets and SKU catalog as read, kept beside them (``rules/compiled.msgpack``).

Every run that plans reads the rule set in force and the catalog. Parsing them is Python work
(the TOML parser is pure Python): 17 ms and 15 ms here, a fixed cost of every run. The file
holds what the loaders made of each bundled file, which a run decodes in a few milliseconds
into the same types, checked as they are decoded (see planner.ruleset.load and .catalog).

The file is keyed by a digest of the bundled files and of the code that reads them. Where
either changed since it was written, the key does not match and it is not used: the bundled
files are read as before, and a test says the file needs writing again, with
``python -m planner.ruleset``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import msgspec

from planner.resources import bundled_dir

COMPILED_FILE = "compiled.msgpack"
_PACKAGE = Path(__file__).resolve().parents[1]
# The code whose reading of the bundled files the compiled file holds: the readers and every
# module of capplan's they import (a test keeps the list whole).
READER_CODE = (
    "errors.py",
    "resources.py",
    "model/inputs.py",
    "model/limits.py",
    "model/months.py",
    "model/structs.py",
    "model/toml_numbers.py",
    "model/units.py",
    "ruleset/catalog.py",
    "ruleset/compiled.py",
    "ruleset/load.py",
    "ruleset/model.py",
    "ruleset/schema.py",
)


class Compiled(msgspec.Struct, frozen=True):
    digest: str
    # What the loader made of each bundled file, by its path under rules/ ("catalog/skus.csv").
    parts: dict[str, msgspec.Raw]


def compiled_path() -> Path:
    return bundled_dir("rules") / COMPILED_FILE


def _bundled_files(rules: Path) -> list[Path]:
    return sorted(
        path for path in rules.rglob("*") if path.is_file() and path.name != COMPILED_FILE
    )


def source_digest(rules: Path | None = None) -> str:
    """A digest of the bundled files (in ``rules``: by default the bundled folder) and of the
    code that reads them."""
    rules = rules or bundled_dir("rules")
    named = [(path.relative_to(rules).as_posix(), path) for path in _bundled_files(rules)]
    named += [(name, _PACKAGE / name) for name in READER_CODE]
    digest = hashlib.sha256()
    for name, path in named:
        data = path.read_bytes()
        # Named relative to their folders: the same digest in a checkout and an installation.
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def compiled_bytes(parts: Mapping[str, bytes]) -> bytes:
    """The compiled file of ``parts``: each bundled file's reading, encoded (msgpack), by its
    path under rules/."""
    raw = {name: msgspec.Raw(data) for name, data in sorted(parts.items())}
    return msgspec.msgpack.encode(Compiled(source_digest(), raw))


@lru_cache(maxsize=2)
def _compiled(rules: Path) -> Compiled | None:
    """The compiled file of the folder ``rules``, where it is there, reads, and matches the
    files and the code."""
    try:
        compiled = msgspec.msgpack.decode((rules / COMPILED_FILE).read_bytes(), type=Compiled)
    except (OSError, msgspec.DecodeError):
        return None
    return compiled if compiled.digest == source_digest(rules) else None


def compiled_part(path: Path) -> msgspec.Raw | None:
    """The encoded reading of the bundled file at ``path`` (None: none matches; read the file)."""
    rules = bundled_dir("rules")
    try:
        name = path.relative_to(rules).as_posix()
    except ValueError:
        return None
    compiled = _compiled(rules)
    return None if compiled is None else compiled.parts.get(name)
