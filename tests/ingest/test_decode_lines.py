"""The line a decoding error names is counted as the CSV parser counts lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import InputError
from planner.ingest.source import decode_text, read_raw


@pytest.mark.parametrize("end", ["\n", "\r", "\r\n"])
def test_the_line_of_an_undecodable_byte_counts_every_kind_of_line_end(
    tmp_path: Path, end: str
) -> None:
    path = tmp_path / "environments.csv"
    path.write_bytes(end.join(["name,type", "A,sandbox", "B,production"]).encode() + b"\xff\n")
    with pytest.raises(InputError, match="on line 3 cannot be decoded") as refused:
        decode_text(read_raw(path))
    assert refused.value.location == "line 3"
