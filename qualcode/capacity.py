"""Will a large output fit? The memory and disk space a step may use, checked before it writes.

A step that would need more memory than the machine has must stop with a clear error before it
starts, not be killed by the kernel's out-of-memory killer halfway (issue 19); one that would fill
the disk must say so before it writes. Both figures are estimates: the atomic writers in
`qualcode.io` still leave no partial file when an estimate was too low.

Available memory: `QUALCODE_MEMORY_LIMIT` (bytes, or with a K/M/G suffix) when set, as on a shared
machine or a batch job with an allowance; else the smaller of Linux's MemAvailable
(/proc/meminfo) and the cgroup v2 limit left (containers). Elsewhere nothing is known and nothing is
checked. psutil is not a dependency: two small files suffice on Linux.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from qualcode.errors import OutputError, QualcodeError

MEMORY_ENV = "QUALCODE_MEMORY_LIMIT"
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def human_size(n: float) -> str:
    """1536 -> '1.5 KB' (binary units, as `du -h` and the file managers count)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def parse_size(text: str) -> int:
    """'2G', '500 MB', '1500000000' -> bytes; QualcodeError for anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if match is None:
        raise QualcodeError(
            f"the environment variable {MEMORY_ENV} must be a size such as 4G or 500M, got {text!r}"
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def available_memory() -> int | None:
    """Bytes of memory this process may still take, or None where that is not known."""
    limit = os.environ.get(MEMORY_ENV, "").strip()
    if limit:
        return parse_size(limit)
    known = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    known.append(int(line.split()[1]) * 1024)
                    break
    except OSError:
        pass
    try:
        high = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if high != "max":
            known.append(max(int(high) - int(used), 0))
    except (OSError, ValueError):
        pass
    return min(known) if known else None


def check_memory(needed: int, what: str) -> None:
    """Raise QualcodeError when `needed` bytes are more than the memory available."""
    available = available_memory()
    if available is not None and needed > available:
        raise QualcodeError(
            f"{what} needs about {human_size(needed)} of memory, but only "
            f"{human_size(available)} is available",
            hint="close other programs or run it on a machine with more memory "
            f"({MEMORY_ENV} sets the figure qualcode assumes)",
        )


def check_disk(needed: int, output: str | Path) -> None:
    """Raise OutputError when the folder of `output` has less than `needed` bytes free (a device
    or pipe such as /dev/stdout is not checked)."""
    path = Path(output)
    if path.exists() and not path.is_file():
        return
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), Path("."))
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise OutputError(
            f"not enough disk space: this needs about {human_size(needed)}, and {folder} has "
            f"{human_size(free)} free",
            file=path,
            hint="free some space there or write the output to another disk",
        )
