"""What capplan asks of the C allocator (glibc's, on Linux; elsewhere nothing is asked)."""

from __future__ import annotations

import contextlib
import os
import sys
from functools import cache
from typing import Any


@cache
def _glibc() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        import ctypes

        return ctypes.CDLL("libc.so.6")
    except (ValueError, OSError):  # not glibc (musl), or no such library
        return None


def release_memory() -> None:
    """Hand memory the run has freed back to the system, so a child process forked next does
    not start with it. (What the plan leaves in reference cycles is a few thousand small
    objects: collecting them would take longer than it saves.)"""
    libc = _glibc()
    if libc is not None:
        # glibc keeps freed blocks for reuse; malloc_trim returns whole free pages.
        with contextlib.suppress(AttributeError):
            libc.malloc_trim(0)
