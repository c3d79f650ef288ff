"""Crash-safe journals for interactive sessions: append rows durably, repair a torn last row.

An interactive session appends each finished decision to its output at once (one `os.write` of the
whole block, then fsync), so a kill -9 loses at most the decision on screen. A kill in the middle of
a write can leave a partial last line; `repair_tail` removes it before the file is read again.
Rows written here must not contain line breaks inside fields (callers flatten them), so a torn write
leaves a last line without a newline and with too few fields.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from qualcode.errors import OutputError


def append_rows(path: str | Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Append CSV rows (the header first when the file is new or empty) in one write + fsync."""
    path = Path(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    new = not path.exists() or path.stat().st_size == 0
    if new:
        writer.writerow(columns)
    for row in rows:
        values = ["" if v is None else str(v) for v in row]
        if any("\n" in v or "\r" in v for v in values):
            raise ValueError("journal rows must not contain line breaks")
        writer.writerow(values)
    data = buffer.getvalue().encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror}", file=path) from exc
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def repair_tail(path: str | Path) -> str | None:
    """Make a journal end with a newline before appending to it.

    A last line without a newline is either a complete row whose newline is missing (a file saved
    by a spreadsheet): the newline is added ("completed"); or a row cut short by a kill: it is
    dropped ("dropped"), with a backup of the file. Returns None when nothing was needed.
    """
    from qualcode.io import atomic_write_bytes

    path = Path(path)
    if not path.exists():
        return None
    raw = path.read_bytes()
    if not raw or raw.endswith(b"\n"):
        return None
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        records = []
    if len(records) >= 2 and len(records[-1]) == len(records[0]):
        atomic_write_bytes(path, raw + b"\n", backup=False)
        return "completed"
    atomic_write_bytes(path, raw[: raw.rfind(b"\n") + 1], backup=True)
    return "dropped"
