"""Getting a file's bytes safely and telling what kind of container they are.

Nothing here knows about licenses or environments: it answers "is this a workbook, text, or
something capplan refuses?" and turns text bytes into a ``str``. Every refusal is an
``InputError`` that says what to do instead.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import msgspec

from planner.errors import InputError
from planner.model.limits import read_up_to

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# Magic numbers at the start of a file.
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_BINARIES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"SQLite format 3", "an SQLite database"),
)

# An OLE2 container holding these stream names is an encrypted (password-protected) Office file.
_ENCRYPTION_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))


class RawFile(msgspec.Struct, frozen=True):
    """A file's bytes and the name to show the user (the path exactly as they gave it)."""

    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def read_raw(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> RawFile:
    """Read at most ``max_bytes``; a larger file is refused rather than read halfway."""
    name = str(path)
    file_path = Path(path)
    try:
        if file_path.is_dir():
            raise InputError("is a folder, not a file", file=name, expected="a file")
        # Reading one byte past the limit tells "exactly at the limit" from "larger", and
        # works for files whose size the file system does not report (pipes, devices).
        data, pipe = read_up_to(file_path, max_bytes + 1)
    except FileNotFoundError:
        raise InputError("file not found", file=name) from None
    except PermissionError:
        raise InputError("permission denied when reading the file", file=name) from None
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror or error})", file=name) from None
    if pipe and not data:
        raise InputError(
            "the file is a named pipe that nothing writes to",
            file=name,
            expected="a license export or environment list, or a pipe something writes one to",
        )
    if len(data) > max_bytes:
        raise InputError(
            f"file is larger than the limit of {max_bytes:,} bytes",
            file=name,
            # The admin environment list as JSON takes about 2 KB per environment, so a tenant
            # of more than 25,000 environments is over the default: the option is the way on.
            expected="a license export or environment list; --max-input-mb reads a larger one",
        )
    return RawFile(name=name, data=data)


def is_workbook_container(raw: RawFile) -> bool:
    """True for a zip container (an XLSX workbook, or something pretending to be one)."""
    return raw.data.startswith(_ZIP) or raw.data.startswith(_EMPTY_ZIP)


def refuse_known_binaries(raw: RawFile) -> None:
    """Refuse containers capplan cannot read, with the fix the user needs."""
    data = raw.data
    if data.startswith(_OLE2):
        if any(marker in data for marker in _ENCRYPTION_MARKERS):
            raise InputError(
                "this is a password-protected Excel workbook, which capplan cannot open",
                file=raw.name,
                expected="the same workbook saved as .xlsx with the password removed",
            )
        raise InputError(
            "this is a legacy binary Excel file (.xls) or another old Office document",
            file=raw.name,
            expected="the sheet saved as .xlsx (Excel Workbook) or as CSV UTF-8",
        )
    for magic, description in _OTHER_BINARIES:
        if data.startswith(magic):
            raise InputError(
                f"this is {description}, not a license export or environment list",
                file=raw.name,
                expected="a CSV, XLSX or JSON file",
            )


def utf8_of(raw: RawFile) -> bytes | None:
    """The UTF-8 of the text decode_text gives, where the file holds it: its bytes, after the
    byte order mark where it has one (UTF-8 reads valid bytes one way only); None for UTF-16."""
    if raw.data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if raw.data.startswith(codecs.BOM_UTF8):
        return raw.data[len(codecs.BOM_UTF8) :]
    return raw.data


def decode_text(raw: RawFile) -> str:
    """Bytes to text: UTF-8 (BOM optional) or UTF-16 with a BOM (Excel's "Unicode text")."""
    data = raw.data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        before = data[: error.start]
        # Lines end as the CSV parser ends them: at a newline, a carriage return, or the two.
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise InputError(
            f"the file is not valid {encoding.upper().replace('-SIG', '')} text "
            f"(byte {error.start + 1} on line {line} cannot be decoded)",
            file=raw.name,
            location=f"line {line}",
            expected=(
                "a CSV saved as 'CSV UTF-8', a UTF-16 'Unicode text' file, an XLSX workbook or "
                "a JSON file"
            ),
        ) from None
    if "\x00" in text:
        hint = (
            " It looks like UTF-16 text without a byte order mark."
            if data[1:2] == b"\x00" or data[:1] == b"\x00"
            else ""
        )
        raise InputError(
            f"the file holds binary data, not text.{hint}",
            file=raw.name,
            expected="a CSV, XLSX or JSON file",
        )
    return text
