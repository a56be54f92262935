"""Reading rules and scenario files under their limits: pipes, devices and TOML shapes."""

from __future__ import annotations

import os
import threading
import time
import tomllib
from pathlib import Path

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError
from planner.ingest.source import read_raw
from planner.model import limits
from planner.model.limits import MAX_TOML_KEY_PARTS, parse_toml, read_limited, read_up_to

EXPECTED = "a TOML file"


def test_a_named_pipe_nothing_writes_to_is_refused_at_once(tmp_path: Path) -> None:
    pipe = tmp_path / "rules.toml"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="a named pipe that nothing writes to"):
        read_limited(pipe, 1024, "rules file", EXPECTED)


def test_a_named_pipe_with_a_writer_is_read(tmp_path: Path) -> None:
    """A writer blocked in its open (as a shell's 'cat rules > pipe' is) counts as writing."""
    pipe = tmp_path / "rules.toml"
    os.mkfifo(pipe)

    def write() -> None:
        with pipe.open("wb") as sink:  # blocks until the reader opens the pipe
            sink.write(b'id = "x"\n')

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    while not _blocked_in_open(writer):
        time.sleep(0.01)
    assert read_limited(pipe, 1024, "rules file", EXPECTED) == b'id = "x"\n'
    writer.join(5)


def _blocked_in_open(thread: threading.Thread) -> bool:
    """Is the thread waiting in its open of the pipe for a reader?"""
    return Path(f"/proc/self/task/{thread.native_id}/wchan").read_text() == "wait_for_partner"


def test_a_device_is_read_up_to_the_limit() -> None:
    with pytest.raises(InputError, match="larger than the limit of 1,024 bytes"):
        read_limited("/dev/zero", 1024, "rules file", EXPECTED)


def test_an_input_that_is_a_device_is_read_whole_once_up_to_the_limit() -> None:
    data, pipe = read_up_to("/dev/zero", 4096)
    assert (len(data), pipe) == (4096, False) and data == bytes(4096)
    with pytest.raises(InputError, match="larger than the limit of 4,096 bytes"):
        read_raw("/dev/zero", 4096)


def test_a_dotted_key_of_too_many_parts_is_refused_with_its_line() -> None:
    deep = ".".join(["a"] * (MAX_TOML_KEY_PARTS + 1))
    with pytest.raises(tomllib.TOMLDecodeError, match=r"more than 32 dotted parts \(at line 2"):
        parse_toml(f'name = "x"\n{deep} = 1\n')
    with pytest.raises(tomllib.TOMLDecodeError, match="at line 1"):
        parse_toml(f"[{deep}]\n")
    with pytest.raises(tomllib.TOMLDecodeError, match="dotted parts"):
        parse_toml(f"x = {{ {deep} = 1 }}\n")


def test_keys_up_to_the_limit_and_dots_in_strings_and_numbers_are_read() -> None:
    key = ".".join(["a"] * MAX_TOML_KEY_PARTS)
    text = f'{key} = 1.5\nurl = "https://learn.microsoft.com/a.b.c"\nv = "1.2.3.4"\n'
    data = parse_toml(text)
    assert data["url"] == "https://learn.microsoft.com/a.b.c"
    assert data["v"] == "1.2.3.4"


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "b1", "-", "_", ".", " . ", "\t", '"x.y"', "'q'", "\n", "=", " 1"]),
        max_size=120,
    )
)
def test_the_quick_look_for_a_long_key_misses_none(pieces: list[str]) -> None:
    """Text the key pattern finds a key of too many parts in is always looked at: the quick
    look (a line of that many dots) never passes a text holding one."""
    text = "".join(pieces)
    for repeated in (text, text.replace(".", " . "), ".".join([text] * 40)):
        if limits._LONG_KEY.search(repeated) is not None:
            assert limits._may_hold_a_long_key(repeated)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(
        st.sampled_from(["a", "b1", "x-y", '"x.y"', "'q'", '"a\\"b"']), min_size=1, max_size=45
    ),
    st.lists(st.sampled_from([".", " . ", "\t.", ".\t"]), min_size=44, max_size=44),
    st.sampled_from(["", "[", "x = { ", "n = 1\n", "# c\n"]),
)
def test_a_dotted_key_is_refused_exactly_when_it_has_too_many_parts(
    parts: list[str], dots: list[str], before: str
) -> None:
    key = parts[0] + "".join(dot + part for dot, part in zip(dots, parts[1:], strict=False))
    text = before + key + ("]" if before == "[" else " = 1" + (" }" if "{" in before else ""))
    if len(parts) > MAX_TOML_KEY_PARTS:
        with pytest.raises(tomllib.TOMLDecodeError, match="dotted parts"):
            parse_toml(text + "\n")
    else:
        assert limits._LONG_KEY.search(text) is None


def test_a_named_pipe_whose_writer_comes_later_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that opens the pipe only after capplan did is given a moment to write."""
    monkeypatch.setattr(limits, "PIPE_WAIT_SECONDS", 10.0)
    pipe = tmp_path / "licenses.csv"
    os.mkfifo(pipe)

    def write() -> None:
        time.sleep(0.2)
        with pipe.open("wb") as sink:
            sink.write(b"sku,quantity\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert read_up_to(pipe, 1024) == (b"sku,quantity\n", True)
    writer.join(5)


def test_an_input_pipe_nothing_writes_to_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "PIPE_WAIT_SECONDS", 0.05)
    pipe = tmp_path / "licenses.csv"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="the file is a named pipe that nothing writes to"):
        read_raw(pipe)


@pytest.mark.parametrize("limit", [0, 1, 999, 1000, 1001, 1002, 10**6])
def test_a_file_is_read_up_to_the_limit_whatever_its_size(tmp_path: Path, limit: int) -> None:
    path = tmp_path / "data.csv"
    data = b"0123456789" * 100
    path.write_bytes(data)
    assert read_up_to(path, limit) == (data[:limit], False)


def test_a_file_that_grows_after_it_is_measured_is_read_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size is only a hint: bytes written after it was taken are read too, to the limit."""
    path = tmp_path / "growing.csv"
    path.write_bytes(b"a" * 100)
    measured = os.fstat

    def stale(descriptor: int) -> os.stat_result:
        result = measured(descriptor)
        with path.open("ab") as handle:  # the file grows once its size is known
            handle.write(b"a" * 100)
        return result

    monkeypatch.setattr(limits.os, "fstat", stale)
    assert read_up_to(path, 250) == (b"a" * 250, False)


def test_a_named_pipe_whose_writer_never_ends_is_refused_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that sends a line and then holds the pipe open would hold the run for as long
    as it lives: the whole read has PIPE_READ_SECONDS."""
    monkeypatch.setattr(limits, "PIPE_READ_SECONDS", 0.5)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    release = threading.Event()

    def write() -> None:
        with open(pipe, "wb") as handle:
            handle.write(b'name = "x"\n')
            handle.flush()
            release.wait(10)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        with pytest.raises(InputError, match=r"still being written to after 0\.5 s"):
            read_limited(pipe, 1000, "scenario file", "a scenario")
    finally:
        release.set()
        writer.join(10)
