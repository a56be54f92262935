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


def test_the_page_shows_characters_that_hide_or_reorder_text_as_escapes(
    temporary: Path,
) -> None:
    """A name with a right-to-left override or a C1 control reads on the page as it is; line
    breaks stay, and markup made by the page stays markup."""
    from markupsafe import Markup

    page = html.environment().from_string("{{ name }}|{{ kept }}|{{ note }}")
    shown = page.render(name="ENV\u202e1\x9b<b>", kept=Markup("<i>a\u200bb</i>"), note="a\nb")
    assert shown == "ENV\\u202e1\\x9b&lt;b&gt;|<i>a\\u200bb</i>|a\nb"


def test_templates_compiled_without_the_pages_text_rule_are_compiled_again(
    temporary: Path, short_plan: Plan
) -> None:
    """A cache written by a version whose environment compiled templates differently is not
    used: its templates lack the text rule."""
    from jinja2 import Environment, FileSystemLoader

    from planner.resources import bundled_dir

    earlier = Environment(
        loader=FileSystemLoader(bundled_dir("templates")),
        bytecode_cache=FileSystemBytecodeCache(),
        autoescape=True,
    )
    earlier.get_template(html.TEMPLATE)  # compiled without finalize, and cached
    assert _cached(temporary)
    template = html.environment().get_template(html.TEMPLATE)
    # Compiled with the rule, the page's code calls the environment's finalize.
    assert "finalize" in template.root_render_func.__code__.co_names
