"""Freed memory kept for reuse in the qualcode process (glibc only).

glibc hands every allocation over its mmap threshold (at most 32 MB) to the kernel as a fresh
mapping and unmaps it when freed. numpy arrays of a few million rows are over that size, so each
temporary of a large study is mapped, faulted in page by page, zeroed and unmapped again: on reconcile
union the system time grew 6.1x per 4x size from 1M to 4M segments (1.41 -> 8.66 s), against 4x for
the rest. With mmap off and a high trim threshold, freed arrays stay in the heap and the next array
reuses them (bench/README.md has the figures). Peak memory does not change: the same arrays are
alive at the peak. QUALCODE_MALLOC=default keeps glibc's own settings.
"""

from __future__ import annotations

import os

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_MAX = -4
TRIM_THRESHOLD = 1 << 30  # return freed memory to the kernel only when 1 GB sits free at the top


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed memory instead of returning it; True if it was asked."""
    if os.environ.get("QUALCODE_MALLOC", "").strip().lower() == "default":
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
    except (AttributeError, ValueError, OSError):
        return False  # not glibc (macOS, Windows, musl)
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mmap stays glibc's fallback when the heap cannot grow (sysmalloc), so large requests still
    # succeed when M_MMAP_MAX is 0.
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
