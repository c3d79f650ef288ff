"""What a worker runs on one partition: read it (when it is a part file), call the partition
function, return plain data. No Dask here, so the tasks are the same functions the local path
calls, and a worker needs only qualcode itself to run them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import ContractError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.model import Codebook

PART_SUFFIXES = (".csv", ".parquet")


def part_files(folder: Path) -> list[Path]:
    """The part files of a folder (`*.csv` or `*.parquet`, one kind), in name order."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in PART_SUFFIXES)
    if not files:
        raise ContractError(
            "no part files (*.csv or *.parquet) in this folder",
            file=folder,
            hint="give a segments.csv, transcripts, or a folder of segments part files",
        )
    kinds = {p.suffix for p in files}
    if len(kinds) > 1:
        raise ContractError("the folder mixes .csv and .parquet part files", file=folder)
    return files


def is_parts_folder(path: Path) -> bool:
    """A folder of segments part files (not of transcripts): every file is a part file, all CSV
    with the segments header or all Parquet."""
    if not path.is_dir():
        return False
    files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    if not files or any(p.suffix not in PART_SUFFIXES for p in files):
        return False
    if all(p.suffix == ".parquet" for p in files):
        return True
    from qualcode.ingest import is_segments_csv

    # Every CSV has the segments header: a folder of transcript tables is ingested as before.
    return all(p.suffix == ".csv" and is_segments_csv(p) for p in files)


def read_part(part: Any) -> pd.DataFrame:
    """A segments partition: a DataFrame as it is, or a part file read with the segments checks
    (Parquet columns are read as text, as the CSV reader does)."""
    from qualcode.io import read_segments

    if not isinstance(part, (str, Path)):
        return part
    path = Path(part)
    if path.suffix != ".parquet":
        return read_segments(path)
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except ImportError as exc:
        raise ContractError(
            "reading Parquet part files needs pyarrow on every worker: install it with "
            "pip install pyarrow, or give CSV part files",
            file=path,
        ) from exc
    from qualcode.io import checked_segments

    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    frame.columns = [str(c).strip() for c in frame.columns]
    return checked_segments(frame, path)


def autocode_task(
    part: Any,
    codebook: Codebook,
    coder: str,
    include_facilitator: bool,
    pattern_timeout: float,
) -> tuple[pd.DataFrame, Any]:
    """Auto-code one partition: its stamped codings rows and its `summary_part`."""
    from qualcode.coding.autocode import autocode_partition_summarised

    return autocode_partition_summarised(
        read_part(part),
        codebook,
        coder=coder,
        include_facilitator=include_facilitator,
        pattern_timeout=pattern_timeout,
    )
