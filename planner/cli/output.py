"""Writing output files safely: never over an input, never half-written.

A report is written to a temporary file in the same folder and renamed over the target only when
complete, so a failed run leaves any earlier report untouched and no partial file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

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


def write_all(
    targets: list[tuple[str | Path, Callable[[Path], None]]], *, parallel: bool = False
) -> None:
    """Write several files as one: every file is finished in a temporary file first, and only
    when all succeeded are they moved into place; a failure leaves every target untouched.

    With ``parallel``, the last writer runs in a forked child process while the others run here
    (where the system can fork): a large report's workbook is built beside its page. One child
    is enough on a machine of two cores; more would only compete for them.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for target, _ in targets:
            staged.append((_temporary_beside(target), Path(target)))
        writers = [
            (temporary, write) for (temporary, _), (_, write) in zip(staged, targets, strict=True)
        ]
        if parallel and len(writers) > 1 and hasattr(os, "fork"):
            _write_in_parallel(writers)
        else:
            for temporary, write in writers:
                write(temporary)
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


def _temporary_beside(target: str | Path) -> Path:
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
    return Path(temporary)


def _write_in_parallel(writers: list[tuple[Path, Callable[[Path], None]]]) -> None:
    """The last writer in a forked child, the others here; a child's failure is re-raised."""
    # Imported only where a child is started: every other command runs without it.
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    temporary, write = writers[-1]
    child = context.Process(target=_child, args=(write, temporary, sender), daemon=True)
    child.start()
    sender.close()
    try:
        for temporary, write in writers[:-1]:
            write(temporary)
    finally:
        try:
            message = receiver.recv()
        except EOFError:  # the child ended without a word: it was killed
            message = None
        child.join()
    if message is not None or child.exitcode != 0:
        raise RuntimeError(message or f"a report writer stopped (status {child.exitcode})")


def _child(write: Callable[[Path], None], temporary: Path, sender: Any) -> None:
    try:
        write(temporary)
    except BaseException as error:  # reported to the parent, which raises it there
        sender.send(f"{type(error).__name__}: {error}")
        sender.close()
        os._exit(1)
    sender.send(None)
    sender.close()
