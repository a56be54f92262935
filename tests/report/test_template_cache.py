"""The page's templates, compiled once, are kept for later runs in the user's private cache
folder; a damaged, missing or unwritable cache only means compiling them again."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from jinja2 import FileSystemBytecodeCache

from planner.report import html
from planner.report.data import report_data
from planner.results import Plan


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary folder of the test's own, and Jinja's environment made anew in it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    html.environment.cache_clear()
    yield tmp_path
    html.environment.cache_clear()


def _page(plan: Plan) -> str:
    html.environment.cache_clear()  # as a new run: templates from the cache, if any
    return html.render_html(report_data(plan))


def _cached(folder: Path) -> list[Path]:
    return sorted(folder.glob("_jinja2-cache-*/*.cache"))


def test_a_later_run_loads_the_compiled_templates(temporary: Path, short_plan: Plan) -> None:
    first = _page(short_plan)
    cached = _cached(temporary)
    assert cached  # the page and the templates it includes
    assert {path.stat().st_mode & 0o777 for path in cached} == {0o600}
    compiled: list[str] = []
    original = html.Environment.compile

    def counting(self: html.Environment, *args: object, **kwargs: object) -> object:
        compiled.append("once more")
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(html.Environment, "compile", counting)
        assert _page(short_plan) == first
    assert compiled == []


def test_a_damaged_cache_is_compiled_again(temporary: Path, short_plan: Plan) -> None:
    first = _page(short_plan)
    for path in _cached(temporary):  # its header intact, its code cut short
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert _page(short_plan) == first


def test_no_private_folder_means_no_cache(temporary: Path, short_plan: Plan) -> None:
    (temporary / f"_jinja2-cache-{os.getuid()}").write_text("a file, not a folder")
    assert html._template_cache() is None
    assert "<html" in _page(short_plan)


def test_a_cache_that_cannot_be_written_is_no_failure(
    temporary: Path, short_plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: FileSystemBytecodeCache, bucket: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", lambda **_: full(None, None))
    assert "<html" in _page(short_plan)
    assert _cached(temporary) == []
