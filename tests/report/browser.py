"""Driving a headless Chromium from tests: a screenshot or a PDF print of a report file.

Optional everywhere: callers skip when :func:`find_browser` returns None. The flags keep the
browser off the network and away from the user's profile, so a run shows only what the file holds.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
QUIET_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
TIMEOUT_SECONDS = 120


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(browser: str, page: Path, *flags: str) -> None:
    with tempfile.TemporaryDirectory(prefix="capplan-browser-") as profile:
        subprocess.run(
            [browser, *QUIET_FLAGS, f"--user-data-dir={profile}", *flags, page.resolve().as_uri()],
            check=True,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
        )


def screenshot(page: Path, png: Path, *, width: int = 1280, height: int = 3000) -> None:
    browser = find_browser()
    if browser is None:
        raise RuntimeError("no Chromium-based browser found")
    _run(browser, page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}")


def print_pdf(page: Path, pdf: Path) -> None:
    browser = find_browser()
    if browser is None:
        raise RuntimeError("no Chromium-based browser found")
    _run(browser, page, "--no-pdf-header-footer", f"--print-to-pdf={pdf.resolve()}")
