"""What capplan asks of the C allocator (glibc's, on Linux; elsewhere nothing is asked)."""

from __future__ import annotations

import contextlib
import os
import sys
from functools import cache
from typing import Any

# Bytes of a large text compared at a time, where its bytes are counted or looked at with numpy
# (an input's line breaks, a workbook column's census): one buffer this size is used again for
# each stretch and stays in the processor's cache, where an array as large as the text would be
# fresh memory whose first use costs more than the comparing.
SCAN_BYTES = 256 * 1024


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


# prctl's options (linux/prctl.h).
_PR_SET_THP_DISABLE = 41


def no_huge_pages() -> None:
    """No transparent huge pages for this process and the children it forks (Linux).

    With huge pages a run's many short-lived arrays and texts of a few megabytes each take
    memory 2 MB at a time, every page of it zeroed first, and after the report's fork a write
    to a shared page copies 2 MB instead of 4 KB. At 200,000 environments the report spent
    0.8 to 1.0 s in the system and took 3.0 to 3.2 s; without them 0.6 to 0.7 s and 2.9 s, at
    the same peak memory. A system without the option is left as it is."""
    libc = _glibc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0)


def release_memory() -> None:
    """Hand memory the run has freed back to the system: after reading, after the engine and
    after the checks, and before a fork, so that a child does not start with it.

    glibc keeps what a stage freed for reuse, scattered between what stays, so the next stage
    grew beside it: 499,000 environments printed as a table peaked at 924 MB, and at 786 MB
    with this between the stages, for about 10 ms; 50,000 environments, about 4 ms. (What the
    plan leaves in reference cycles is a few thousand small objects: collecting them would
    take longer than it saves.)"""
    libc = _glibc()
    if libc is not None:
        # glibc keeps freed blocks for reuse; malloc_trim returns whole free pages.
        with contextlib.suppress(AttributeError):
            libc.malloc_trim(0)
