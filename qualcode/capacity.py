"""Will a large output fit? The memory and disk space a step may use, checked before it writes.

A step that would need more memory than the machine has must stop with a clear error before it
starts, not be killed by the kernel's out-of-memory killer halfway (issue 19); one that would fill
the disk must say so before it writes. Both figures are estimates: the atomic writers in
`qualcode.io` still leave no partial file when an estimate was too low.

Available memory: `QUALCODE_MEMORY_LIMIT` (bytes, or with a K/M/G suffix) when set, as on a shared
machine or a batch job with an allowance; else the smaller of Linux's MemAvailable
(/proc/meminfo) and the cgroup v2 limit left (containers). Elsewhere nothing is known and nothing is
checked. psutil is not a dependency: two small files suffice on Linux.

Every step that loads a study calls `check_fits` before it reads a row: the estimate is
`BASE + MARGIN x (bytes per input byte x input bytes)` from the sizes of its input files (a stat,
nothing read), with the bytes per input byte of `FOOTPRINTS`, each measured as the peak resident
memory of the step (/usr/bin/time -v) on bench/scaling.py's studies at 250k and 1M segments.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
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
    return memory_limit()[0]


def memory_limit() -> tuple[int | None, str]:
    """(bytes this process may still take or None, where that figure comes from)."""
    limit = os.environ.get(MEMORY_ENV, "").strip()
    if limit:
        return parse_size(limit), f"that {MEMORY_ENV} allows"
    known: list[tuple[int, str]] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    known.append((int(line.split()[1]) * 1024, "available (MemAvailable)"))
                    break
    except OSError:
        pass
    try:
        high = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if high != "max":
            known.append((max(int(high) - int(used), 0), "left under the cgroup's memory.max"))
    except (OSError, ValueError):
        pass
    return min(known) if known else (None, "")


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


# --- will a step's study fit in memory? ---------------------------------------------------------
MB = 1024**2
# Python with pandas and qualcode loaded, before a row is read (`report demographics` of a 1 MB
# roster peaks at 104 MB).
BASE = 100 * MB
# The footprints below fit the peaks measured; the estimate takes this much more, for studies
# shaped otherwise than the synthetic one (longer turns or memos, more codes per turn).
MARGIN = 1.25


@dataclass(frozen=True)
class Footprint:
    """A step's peak memory beyond BASE: `fixed` bytes plus so many bytes per byte of each kind of
    input file."""

    fixed: int = 0  # what the step adds whatever the size (libraries it imports, buffers)
    segments: float = 0.0  # segments.csv (or a segments table being ingested)
    codings: float = 0.0  # codings CSVs, decisions logs
    transcripts: float = 0.0  # transcript files ingested on the way (SOURCES)
    sheet_csv: float = 0.0  # a coding sheet read back
    sheet_xlsx: float = 0.0
    roster: float = 0.0  # roster.csv, where it is the only input
    one_part: bool = False  # holds one part file of a folder of segments part files at a time


# Fitted to peak resident memory measured with `/usr/bin/time -v python -m qualcode ...` (nice; 2
# cores, load average 4-10) on copies of bench/scaling.py's studies (seed 7) at 250k segments
# (59.3 MB segments.csv, 46.8 MB of transcripts, 9.4 + 9.0 MB coder_a/coder_b.csv, 11.6 MB
# consensus.csv, 3.3 MB decisions) and 1M (238.5, 187.1, 37.8 + 36.2, 46.6, 13.3 MB): where a step
# has both points, `fixed` and the factor are the line through them (a factor alone when the line
# would start below zero); a step reading segments and codings has its segments factor from the
# same step on a 2,000-row codings file. bench/capacity.py prints each estimate beside the peak
# measured now. Transcripts given as SOURCES are ingested first: their factor is the larger of
# ingest's and the step's segments factor x 1.27 (segments.csv bytes per transcript byte in those
# studies: 59.3 MB from 46.8 MB). Not measured, borrowed: code --interactive's factors (code
# --sheet csv's), the codings factor of code --sheet / --interactive / suggest (reconcile's) and
# reconcile's segments factor (compare's). Measured peaks (MB, binary as human_size prints them)
# at 250k / 1M: ingest 372 / 1196; code --auto 260 / 716
# (whole file); compare 297 / 800, with --segments 428 at 250k; compare of 3 coders 769 at 62.5k
# and 2772 at 250k; reconcile union 450 / 1447, replay 465 / 1444; report hierarchy 403 / 1140
# (300 on 2,000 codings rows at 250k), cooccurrence 425 at 250k, saturation 510 / 1406 (364), all
# 596 and methods 507 at 250k; code --sheet 586 (csv) and 1266 (xlsx), --from-sheet 938 (csv,
# with the segments; 800 without) and 616 (xlsx) at 250k; export qdpx 389 at 250k (271 on
# 2,000 codings rows); suggest codes 781 / 1140 on the first 2,500 / 10,000 turns of the 62.5k
# study (0.6 / 2.4 MB; suggest ideas borrows its footprint). ingest over an existing segments.csv
# (250k: 376 MB, against 278 new) reads the old one too: it counts as segments read. Measured
# since on 1M: ingest 1204, of the table 758, code --auto 723, compare 773 (1219 with
# --segments). The 1M figures of ingest,
# code --auto, compare, reconcile and report are the lead's at be6053f (bench/scaling.py, load
# 1.0-1.8). At 10M segments the estimates stay under 17 GB for every step the 10M benchmark
# runs (tests/test_capacity.py).
FOOTPRINTS: dict[str, Footprint] = {
    "ingest": Footprint(segments=3.15, transcripts=6.14),
    # One segments.csv is read CHUNK_SEGMENTS rows at a time (qualcode.coding.autocode): `fixed`
    # is the chunk's, the segments factor the ids kept to refuse a repeated one (estimate()).
    "code --auto": Footprint(segments=0.59, transcripts=6.14, one_part=True),
    # ... but read whole with --roster (re-mapped) or --engine dask (sent out from here).
    "code --auto whole": Footprint(fixed=9 * MB, segments=2.67, transcripts=6.14, one_part=True),
    "code --sheet": Footprint(segments=20.6, transcripts=26.2, codings=18.8),
    # A csv sheet: the lead's bench/scaling.py run at 2717b9b (load 1.0-1.2) measured 333 MB at
    # 250k and 934 MB at 1M; the xlsx footprint above (be6053f) refused the 4M study's csv sheet
    # (26.7 GB estimated against 22.8 GB available) though it needs about 3.7 GB.
    "code --sheet csv": Footprint(segments=3.7, transcripts=4.7, codings=2.0),
    "code --from-sheet": Footprint(
        segments=3.15, transcripts=6.14, sheet_csv=12.2, sheet_xlsx=12.2
    ),
    "code --interactive": Footprint(segments=8.6, transcripts=10.9, codings=18.8),
    "compare": Footprint(fixed=32 * MB, codings=9.46, segments=2.32),
    "compare 3+ coders": Footprint(fixed=23 * MB, codings=92.9, segments=2.32),
    "reconcile": Footprint(fixed=43 * MB, codings=18.8, segments=2.32),
    "report": Footprint(fixed=81 * MB, segments=3.53, transcripts=6.14, codings=4.0),
    "report saturation": Footprint(fixed=113 * MB, segments=4.66, transcripts=6.14, codings=2.98),
    "report methods": Footprint(fixed=113 * MB, segments=4.66, transcripts=6.14, codings=2.98),
    "report all": Footprint(fixed=150 * MB, segments=4.66, transcripts=6.14, codings=2.98),
    "report demographics": Footprint(roster=4.0),
    "export qdpx": Footprint(segments=3.02, codings=6.75),
    "suggest codes": Footprint(fixed=560 * MB, segments=213.0, transcripts=271.0, codings=18.8),
    "suggest ideas": Footprint(fixed=560 * MB, segments=213.0, transcripts=271.0, codings=18.8),
}


# code --auto on one segments.csv, read in chunks (measured at dbbfec8, the chunked read's commit):
# 178 MB at 250k and 278 MB at 1M, the line 45 MB + 0.59 per byte of segments.csv; the 45 MB is
# the chunk of 20,000 rows (CHUNK_SEGMENTS) with its codings: 2,355 bytes per chunk row.
CHUNK_SEGMENT_BYTES = 2_355


@dataclass(frozen=True)
class StudySize:
    """Bytes of each kind of input a step reads (file sizes; nothing is read)."""

    segments: int = 0
    codings: int = 0
    transcripts: int = 0
    sheet_csv: int = 0
    sheet_xlsx: int = 0
    roster: int = 0

    def phrase(self) -> str:
        """'238.5 MB of segments and 74.0 MB of codings'."""
        parts = [
            f"{human_size(n)} of {label}"
            for n, label in (
                (self.segments, "segments"),
                (self.transcripts, "transcripts"),
                (self.codings, "codings"),
                (self.sheet_csv + self.sheet_xlsx, "coding sheet"),
                (self.roster, "roster"),
            )
            if n
        ]
        if not parts:
            return "its inputs"
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _file_bytes(path: Path) -> int:
    """Bytes of a file, or of the files under a folder (hidden ones left out); 0 if missing."""
    try:
        if path.is_file():
            return path.stat().st_size
        total = 0
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if not name.startswith("."):
                    with contextlib.suppress(OSError):
                        total += os.stat(os.path.join(root, name)).st_size
        return total
    except OSError:
        return 0


def _paths(items: Iterable[str | Path | None] | str | Path | None) -> list[Path]:
    if items is None:
        return []
    if isinstance(items, str | Path):
        return [Path(items)]
    return [Path(p) for p in items if p is not None]


def study_size(
    *,
    segments: str | Path | None = None,
    codings: Iterable[str | Path | None] | str | Path | None = None,
    sources: Iterable[str | Path | None] | None = None,
    sheet: str | Path | None = None,
    roster: str | Path | None = None,
    one_part: bool = False,
) -> StudySize:
    """The input sizes of a step: `segments` is a segments.csv; `sources` are SOURCES as `code`,
    `suggest`, `ingest` and `report` take them (a lone segments.csv counts as segments, anything
    else as transcripts; with `one_part`, a lone folder of segments part files counts as its
    largest part, for `code --auto`, which holds one at a time); `sheet` a coding sheet."""
    from qualcode.engine.tasks import is_parts_folder, part_files
    from qualcode.ingest import is_segments_csv

    seg = sum(_file_bytes(p) for p in _paths(segments))
    transcripts = 0
    given = _paths(sources)
    if len(given) == 1 and given[0].is_file() and is_segments_csv(given[0]):
        seg += _file_bytes(given[0])
    elif one_part and len(given) == 1 and is_parts_folder(given[0]):
        seg += max(_file_bytes(p) for p in part_files(given[0]))
    else:
        transcripts = sum(_file_bytes(p) for p in given)
    xlsx = csv = 0
    for p in _paths(sheet):
        if p.suffix.lower() == ".xlsx":
            xlsx += _file_bytes(p)
        else:
            csv += _file_bytes(p)
    return StudySize(
        segments=seg,
        codings=sum(_file_bytes(p) for p in _paths(codings)),
        transcripts=transcripts,
        sheet_csv=csv,
        sheet_xlsx=xlsx,
        roster=sum(_file_bytes(p) for p in _paths(roster)),
    )


def _footprint(step: str) -> Footprint:
    name = step
    while name not in FOOTPRINTS and " " in name:
        name = name.rsplit(" ", 1)[0]
    return FOOTPRINTS[name]


def estimate(step: str, size: StudySize) -> int:
    """Bytes of memory `step` is estimated to need for inputs of `size` (FOOTPRINTS, MARGIN).
    A step without a footprint of its own takes that of the longest name it begins with
    ('report hierarchy' -> 'report')."""
    f = _footprint(step)
    fixed = f.fixed
    if step == "code --auto":
        from qualcode.coding.autocode import CHUNK_SEGMENTS

        fixed += CHUNK_SEGMENTS * CHUNK_SEGMENT_BYTES
    data = (
        fixed
        + f.segments * size.segments
        + f.codings * size.codings
        + f.transcripts * size.transcripts
        + f.sheet_csv * size.sheet_csv
        + f.sheet_xlsx * size.sheet_xlsx
        + f.roster * size.roster
    )
    return int(BASE + MARGIN * data)


def check_fits(
    step: str,
    *,
    what: str | None = None,
    segments: str | Path | None = None,
    codings: Iterable[str | Path | None] | str | Path | None = None,
    sources: Iterable[str | Path | None] | None = None,
    sheet: str | Path | None = None,
    roster: str | Path | None = None,
    hint: str | None = None,
) -> None:
    """Raise QualcodeError, before `step` reads anything, when its estimated memory (from the
    sizes of its input files) is more than this process may take. `what` names the step in the
    message (default: `step`); `hint` adds what else the user can do (a bounded-memory path)."""
    limit, source = memory_limit()
    if limit is None:
        return
    one_part = _footprint(step).one_part
    size = study_size(
        segments=segments,
        codings=codings,
        sources=sources,
        sheet=sheet,
        roster=roster,
        one_part=one_part,
    )
    needed = estimate(step, size)
    if needed <= limit:
        return
    raise QualcodeError(
        f"{what or step} of {size.phrase()} would need about {human_size(needed)} of memory, "
        f"more than the {human_size(limit)} {source}; nothing was written",
        hint=f"run it on a machine with more memory, or set {MEMORY_ENV}={size_setting(needed)} "
        "if you know it fits" + (f"; {hint}" if hint else ""),
    )


def size_setting(n: int) -> str:
    """Bytes as a QUALCODE_MEMORY_LIMIT value, rounded up: '1.5G', '420M'."""
    if n >= 1024**3:
        return f"{math.ceil(n / 1024**3 * 10) / 10:g}G"
    return f"{math.ceil(n / 1024**2)}M"
