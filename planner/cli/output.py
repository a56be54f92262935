"""Writing output files safely: never over an input, never half-written, never a mixed set.

Every file of one run is written into one hidden staging folder beside its target, flushed to
disk, and only when all succeeded moved into place. Before the moves the staging folder gets a
list of them (a small journal), so a run killed halfway through the moves is completed by the
next run into that folder, and a run killed earlier is rolled back by it: either way no mixed
set of old and new reports stays behind, and no hidden leftovers either.

An output path that is a symbolic link is written through (the file it points to is replaced);
one that is a device or a pipe (``/dev/null``, ``/dev/stdout``) is written through too, once the
content is complete, instead of being replaced by a regular file. An existing output keeps its
permissions. Failures the user can fix (a full disk, a read-only folder) are bad input: one
message, exit status 2.

An output that replaces an earlier file keeps that file linked in its staging folder, and the
console command has the folder removed by a process of its own once it has ended: freeing a
large file's blocks is left to a moment nothing waits for.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

from planner.cli.ending import remove_later, removes_later
from planner.errors import InputError
from planner.model.limits import process_alive
from planner.model.parallel import Beside, can_fork

STAGING_PREFIX = ".capplan-staging-"
STAGING_SUFFIX = ".tmp"
JOURNAL = "moves.json"

Writer = Callable[[Path], None]


def standard_output() -> BinaryIO | None:
    """Standard output, where it is a file or a pipe, as a stream of bytes of its own on the
    same file (closing it leaves standard output open), with what was printed before flushed.
    None where it is a terminal (printed as text, in the terminal's encoding), is closed, or is
    not a file of the system (as under a test's runner)."""
    try:
        descriptor = sys.stdout.fileno()
        if sys.stdout.isatty():
            return None
    except (AttributeError, OSError, ValueError):
        return None
    sys.stdout.flush()
    return open(descriptor, "wb", closefd=False)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def resolved(path: Path) -> Path:
    """``path`` with its symbolic links followed as far as they go: a loop of links (which
    ``Path.resolve`` raises for) is left to fail where the file is opened, with its own
    message."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies somewhere under it (links followed)."""
    inside, around = resolved(path), resolved(folder)
    return inside == around or around in inside.parents


def check_not_input(target: str | Path, inputs: Iterable[str | Path], option: str = "") -> None:
    """Refuse an output path that is one of the inputs, or that lies anywhere inside an input
    folder (a snapshot, history or batch folder, the bundled rules and templates), links
    followed: capplan reads every file in such a folder, so even a new file there would be read
    as an input by the next run (exit status 2 at the CLI)."""
    out = Path(target)
    what = option or "output"
    for given in inputs:
        source = Path(given)
        if source.is_dir() and within(out, source):  # the folder itself too (collect --out)
            raise _refused_in_folder(what, target, source)
        if _same_file(out, source) or resolved(out) == resolved(source):
            raise InputError(
                f"refusing to write {what} over an input file",
                file=str(target),
                expected="an output path that is not one of the inputs",
            )


def _refused_in_folder(what: str, target: str | Path, folder: str | Path) -> InputError:
    """The refusal of an output ``target`` inside ``folder``, which the run reads."""
    return InputError(
        f"refusing to write {what} into {folder}, a folder capplan reads its inputs from "
        "(the next run would read the output as one)",
        file=str(target),
        expected="an output path outside the input folders (history, snapshot and batch "
        "folders, and capplan's own rules and templates)",
    )


def check_distinct(targets: Iterable[tuple[str, str | Path]]) -> None:
    """Refuse two outputs that name the same file (``--html X --xlsx X``)."""
    seen: list[tuple[str, Path]] = []
    for option, target in targets:
        path = Path(target)
        for other_option, other in seen:
            if _same_file(path, other) or resolved(path) == resolved(other):
                raise InputError(
                    f"{other_option} and {option} name the same file",
                    file=str(target),
                    expected="a different path for each output",
                )
        seen.append((option, path))


def atomic_write(target: str | Path, write: Writer) -> None:
    """Call ``write(temporary_path)``, then move the finished file onto ``target``."""
    write_all([(target, write)])


def atomic_write_text(target: str | Path, text: str) -> None:
    atomic_write(target, lambda path: path.write_text(text, encoding="utf-8"))


class _Target(msgspec.Struct, frozen=True):
    given: str  # as the user wrote it, for messages
    final: Path  # where the bytes end up: symbolic links followed
    special: bool  # a device or pipe: written through, never replaced
    mode: int | None  # an existing file's permissions, kept


def resolve_target(target: str | Path) -> _Target:
    """Where an output really goes, refusing paths that cannot be a file."""
    given = str(target)
    if given.endswith(("/", os.sep)):
        raise InputError(
            "the output path ends with '/', which names a folder",
            file=given,
            expected="a file path (a report's folder is given with --out DIR)",
        )
    path = Path(given)
    try:
        status = path.stat()  # follows symbolic links
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise _write_error(error, given) from None
    if status is not None:
        if stat.S_ISDIR(status.st_mode):
            raise InputError(
                "the output path is a folder", file=given, expected="a file path inside it"
            )
        if stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode):
            return _Target(given, path, True, None)
        if not stat.S_ISREG(status.st_mode):
            raise InputError(
                "the output path is a socket or block device, which capplan does not write to",
                file=given,
                expected="a regular file, a character device or a pipe",
            )
        return _Target(given, Path(os.path.realpath(path)), False, stat.S_IMODE(status.st_mode))
    final = Path(os.path.realpath(path))  # a dangling link: create the file it points to
    if not final.parent.is_dir():
        raise InputError(
            "the folder to write into does not exist", file=given, expected="an existing folder"
        )
    return _Target(given, final, False, None)


def write_all(targets: list[tuple[str | Path, Writer]], *, parallel: bool = False) -> None:
    """Write several files as one: every file is finished in a staging folder first, and only
    when all succeeded are they moved into place; a failure leaves every target untouched.

    With ``parallel``, the last writer runs in a forked child process while the others run here
    (where the system can fork): a large report's workbook is built beside its page. One child
    is enough on a machine of two cores; more would only compete for them.
    """
    resolved = [resolve_target(target) for target, _ in targets]
    check_distinct((target.given, target.final) for target in resolved)
    stagings: dict[Path, Path] = {}
    staged: list[Path] = []
    try:
        for number, target in enumerate(resolved):
            folder = target.final.parent if not target.special else Path(tempfile.gettempdir())
            if folder not in stagings:
                stagings[folder] = _new_staging(folder, target.given)
            staged.append(stagings[folder] / _staged_name(number, target.final))
        mask = os.umask(0)
        os.umask(mask)
        writers = [
            (path, _sealed(write, target, mask))
            for path, target, (_, write) in zip(staged, resolved, targets, strict=True)
        ]
        if parallel and len(writers) > 1 and can_fork():
            _write_in_parallel(writers)
        else:
            for path, write in writers:
                write(path)
        _commit(resolved, staged, stagings)
    except OSError as error:
        _discard(stagings.values())
        if error.errno is None:
            raise
        raise _write_error(error, _which(error, resolved, staged)) from None
    except BaseException:
        _discard(stagings.values())
        raise


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """A private folder for a run's temporary files (the parts of a large JSON written to
    standard output), in the system's temporary folder; removed at the end, and by a later run
    where this one was killed (see :func:`clean_leftovers`)."""
    staging = _make_staging(Path(tempfile.gettempdir()))  # OSError as raised: see stream_json
    try:
        yield staging
    finally:
        _discard([staging])


def _staged_name(number: int, final: Path) -> str:
    """A staged file's name: its number and the output's extension. Short whatever the output's
    name (one of 255 bytes is allowed, and a writer may name parts after the staged file), and
    with the extension a writer may go by."""
    suffix = final.suffix
    return f"{number}{suffix}" if 1 < len(suffix) <= 16 and suffix[1:].isalnum() else str(number)


def _which(error: OSError, resolved: list[_Target], staged: list[Path]) -> str:
    """The output a write error is about, as the user named it: the one whose final path, or
    staged file (or a part named after it), the error names."""
    if error.filename:
        named = Path(os.fsdecode(error.filename))
        for target, path in zip(resolved, staged, strict=False):
            if named == target.final or named == path or named.name.startswith(path.name + "."):
                return target.given
    return resolved[0].given if len(resolved) == 1 else ", ".join(t.given for t in resolved)


_WRITE_HINTS = {
    errno.ENOSPC: "free some disk space, or write somewhere else",
    errno.EDQUOT: "free some of your disk quota, or write somewhere else",
    errno.EROFS: "a folder you can write to",
    errno.EACCES: "a folder you can write to",
    errno.EPERM: "a folder you can write to",
    errno.ENAMETOOLONG: "a shorter file name",
    errno.EFBIG: "a file system that allows larger files",
}


def _write_error(error: OSError, which: str) -> InputError:
    reason = error.strerror or str(error)
    return InputError(
        f"cannot write the output: {reason[:1].lower() + reason[1:]}",
        file=which,
        expected=_WRITE_HINTS.get(error.errno or 0, "a path capplan can write to"),
    )


def _make_staging(folder: Path) -> Path:
    """A fresh hidden staging folder in ``folder``, after cleaning up after killed runs."""
    clean_leftovers(folder)
    return Path(
        tempfile.mkdtemp(
            prefix=f"{STAGING_PREFIX}{os.getpid()}-", suffix=STAGING_SUFFIX, dir=folder
        )
    )


def _new_staging(folder: Path, given: str) -> Path:
    """:func:`_make_staging` for the outputs, a failure the output's error (``given``)."""
    try:
        return _make_staging(folder)
    except OSError as error:
        raise _write_error(error, given) from None


def _sealed(write: Writer, target: _Target, mask: int) -> Writer:
    """``write``, then the staged file given its final permissions and flushed to disk, by the
    process that wrote it as soon as it is written: a file finished early is flushed while
    another is still being written (a report's page and JSON while its workbook is built)."""

    def sealed(path: Path) -> None:
        write(path)
        if not target.special:
            os.chmod(path, target.mode if target.mode is not None else 0o666 & ~mask)
            _fsync(path)

    return sealed


def _open_special(target: _Target) -> BinaryIO:
    """A device or a named pipe opened to write through. A pipe that nothing reads from is
    refused: opening it would wait for a reader for ever. (The commands refuse one before they
    start; this holds for every writer, whenever the reader went.)"""
    try:
        descriptor = os.open(target.final, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno != errno.ENXIO:  # ENXIO: a pipe no process has open for reading
            raise
        raise InputError(
            "the output is a pipe that nothing reads from",
            file=target.given,
            expected="a file, or a pipe another program is reading",
        ) from None
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "wb")


def _commit(resolved: list[_Target], staged: list[Path], stagings: dict[Path, Path]) -> None:
    """Write the special targets (a device, a pipe: written through, so they cannot be staged),
    then record the moves of the staged files (each flushed already) and make them: a special
    target that fails (a full device) leaves every file untouched."""
    for target, path in zip(resolved, staged, strict=True):
        if target.special:
            try:
                with path.open("rb") as source, _open_special(target) as sink:
                    shutil.copyfileobj(source, sink)
            except OSError as error:  # named, so that the message says which output failed
                raise OSError(error.errno, error.strerror, str(target.final)) from None
    moves: dict[Path, list[tuple[str, str]]] = {}
    for target, path in zip(resolved, staged, strict=True):
        if target.special:
            continue
        moves.setdefault(path.parent, []).append((path.name, str(target.final)))
    # One file moves by one rename, which either happened or did not: it needs no journal.
    if sum(map(len, moves.values())) > 1:
        for staging, pairs in moves.items():
            journal = staging / JOURNAL
            journal.write_text(json.dumps(pairs), encoding="utf-8")
            _fsync(journal)
            _fsync(staging)
    for staging, pairs in moves.items():
        _finish(staging, pairs)
    _discard(stagings.values())


def _finish(staging: Path, pairs: list[tuple[str, str]]) -> None:
    """Move the staged files of a journal into place (again, after a kill: skips done ones)."""
    folders = set()
    later = removes_later()
    replaced = False
    for name, final in pairs:
        source = staging / name
        if source.exists():
            if later and _keep_replaced(Path(final), staging / f"replaced-{name}"):
                replaced = True
            os.replace(source, final)
            folders.add(Path(final).parent)
    for folder in folders:
        _fsync(folder)
    if replaced:
        # The files replaced are still linked here: the folder goes, under a name of its own
        # (a staging folder's still, for a later run to clean up after a kill), with them in it
        # once the process has ended (see planner/cli/ending.py).
        done = staging.with_name(staging.name.removesuffix(STAGING_SUFFIX) + REPLACED_SUFFIX)
        with contextlib.suppress(OSError):
            os.rename(staging, done)
            remove_later(done)
            return
    shutil.rmtree(staging, ignore_errors=True)


# A staging folder whose moves are done and which holds the files they replaced.
REPLACED_SUFFIX = "-replaced" + STAGING_SUFFIX


def _keep_replaced(final: Path, link: Path) -> bool:
    """Link the regular file at ``final`` (an output about to be replaced) at ``link``, so
    that the move does not free it: a file system frees a large file's blocks as its last
    name goes (a replaced what-if JSON of 142 MB, 25 ms here). True where it is linked."""
    try:
        if not stat.S_ISREG(os.lstat(final).st_mode):
            return False
        os.link(final, link)
    except OSError:  # no such file, or a file system without hard links
        return False
    return True


def clean_leftovers(folder: Path) -> None:
    """Finish or roll back the staging folders of runs that were killed.

    A staging folder with a journal was killed while moving files into place: the moves are
    completed, so the set is the new one. Without a journal nothing was moved yet: it is
    deleted. Staging folders of runs still alive are left alone.
    """
    try:
        entries = list(folder.glob(f"{STAGING_PREFIX}*{STAGING_SUFFIX}"))
    except OSError:
        return
    for staging in entries:
        pid_text = staging.name[len(STAGING_PREFIX) :].partition("-")[0]
        if not staging.is_dir() or not (pid_text.isascii() and pid_text.isdigit()):
            continue
        if int(pid_text) != os.getpid() and process_alive(int(pid_text)):
            continue
        journal = staging / JOURNAL
        try:
            pairs = json.loads(journal.read_text(encoding="utf-8")) if journal.exists() else None
        except (OSError, ValueError):
            pairs = None
        if isinstance(pairs, list) and all(
            isinstance(pair, list) and len(pair) == 2 and Path(pair[1]).parent == folder
            for pair in pairs
        ):
            with contextlib.suppress(OSError):
                _finish(staging, [(str(name), str(final)) for name, final in pairs])
        shutil.rmtree(staging, ignore_errors=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EBADF):  # folders on some file systems
            raise
    finally:
        os.close(descriptor)


def _discard(stagings: Iterable[Path]) -> None:
    for staging in stagings:
        shutil.rmtree(staging, ignore_errors=True)


def _write_in_parallel(writers: list[tuple[Path, Writer]]) -> None:
    """The last writer in a forked child, the others here; a child's failure is raised here."""
    temporary, write = writers[-1]
    with Beside(lambda: write(temporary)):
        for path, writer in writers[:-1]:
            writer(path)
