"""Writing output files safely: never over an input, never half-written.

A report is written to a temporary file in the same folder and renamed over the target only when
complete, so a failed run leaves any earlier report untouched and no partial file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from planner.errors import InputError


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_not_input(target: str | Path, inputs: Iterable[str | Path], option: str = "") -> None:
    """Refuse an output path that is one of the inputs (exit status 2 at the CLI)."""
    out = Path(target)
    for given in inputs:
        source = Path(given)
        if _same_file(out, source) or out.resolve() == source.resolve():
            raise InputError(
                f"refusing to write {option or 'output'} over an input file",
                file=str(target),
                expected="an output path that is not one of the inputs",
            )


def atomic_write(target: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temporary_path)``, then move the finished file onto ``target``."""
    write_all([(target, write)])


def atomic_write_text(target: str | Path, text: str) -> None:
    atomic_write(target, lambda path: path.write_text(text, encoding="utf-8"))


def write_all(targets: list[tuple[str | Path, Callable[[Path], None]]]) -> None:
    """Write several files as one: every file is finished in a temporary file first, and only
    when all succeeded are they moved into place; a failure leaves every target untouched."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, write in targets:
            out = Path(target)
            folder = out.parent if str(out.parent) else Path(".")
            if not folder.is_dir():
                raise InputError(
                    "the folder to write into does not exist",
                    file=str(target),
                    expected="an existing folder",
                )
            handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
            os.close(handle)
            staged.append((Path(temporary), out))
            write(Path(temporary))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    # Temporary files are private; the finished ones get the usual permissions.
    mask = os.umask(0)
    os.umask(mask)
    for temporary, out in staged:
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, out)
