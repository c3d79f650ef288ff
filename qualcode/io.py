"""Safe reading and writing of study files.

Writes are atomic (temp file in the same folder + fsync + os.replace), so a crash or Ctrl-C never
leaves a truncated file; anything replaced is first copied to a timestamped backup. Readers check the
file contracts of docs/architecture.md and raise `ContractError` naming the file, row and fix.
CSV files are read as strings with no NA guessing: a speaker called "NA" stays "NA".
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError, OutputError
from qualcode.model import CODING_COLUMNS, CODING_REQUIRED, ROLES, SEGMENT_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- writing ------------------------------------------------------------------------------------
def backup_path(path: Path, when: datetime | None = None) -> Path:
    """`name.YYYYmmdd-HHMMSS.bak` beside the file (with a counter if that exists already)."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{stamp}-{n}.bak")
        n += 1
    return candidate


def backup_existing(path: str | Path) -> Path | None:
    """Copy an existing file to a timestamped backup; returns the backup path (None if no file)."""
    path = Path(path)
    if not path.exists():
        return None
    if path.is_dir():
        raise OutputError("output path is a folder, not a file", file=path)
    target = backup_path(path)
    shutil.copy2(path, target)
    return target


# Write failures that are about the output (disk full, read-only, no permission), not a bug.
_OUTPUT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
)


def _output_error(exc: OSError, path: Path) -> OutputError:
    return OutputError(f"cannot write: {exc.strerror or exc}", file=path)


@contextlib.contextmanager
def atomic_open(
    path: str | Path, mode: str = "w", *, backup: bool = True, encoding: str | None = "utf-8"
) -> Iterator[io.IOBase]:
    """Open a temp file beside `path`; on success fsync and rename it over `path`.

    On any exception (including KeyboardInterrupt) the temp file is removed and `path` is untouched.
    With `backup`, an existing `path` is copied to a timestamped `.bak` first. A symlinked output is
    written through (the link stays); a device or pipe (`/dev/stdout`, `/dev/null`, a FIFO) is
    written straight to: it cannot be backed up or replaced (copying `/dev/zero` never ends, and
    renaming over `/dev/null` would replace the device). Inside `written_together()` the rename
    waits until every file of the group is written.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError("output path is a folder, not a file", file=path)
    try:
        mode_bits = path.stat().st_mode
    except OSError:
        mode_bits = None
    if mode_bits is not None and not stat.S_ISREG(mode_bits):
        with _direct_open(path, mode, encoding) as handle:
            yield handle
        return
    if mode_bits is not None and path.is_symlink():
        path = Path(os.path.realpath(path))
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {parent}: {exc.strerror}", file=path) from exc
    binary = "b" in mode
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"cannot write here: {exc.strerror}", file=path) from exc
    tmp = Path(tmp_name)
    try:
        if binary:
            handle = os.fdopen(fd, mode)
        else:
            handle = os.fdopen(fd, mode, encoding=encoding, newline="")
        try:
            with handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp makes the file 0600; give it the mode a plain open() would (or the old one's).
            os.chmod(tmp, _target_mode(path))
            if _GROUPS:  # inside written_together(): the rename waits for the whole group
                _GROUPS[-1].append((tmp, path, backup))
            else:
                _commit(tmp, path, backup)
        except OSError as exc:
            if exc.errno in _OUTPUT_ERRNOS:
                raise _output_error(exc, path) from exc
            raise
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _commit(tmp: Path, path: Path, backup: bool) -> None:
    if backup:
        backup_existing(path)
    os.replace(tmp, path)


# Groups of writes that land together (written_together); the innermost is last.
_GROUPS: list[list[tuple[Path, Path, bool]]] = []


@contextlib.contextmanager
def written_together() -> Iterator[None]:
    """Files written (with `atomic_open` and the writers here) inside the block land together or
    not at all: each is written and synced to its temp file as usual, but the renames over the
    outputs wait until the block ends without error, then run in the order written. On an error
    (an unwritable folder for the second file, a full disk, Ctrl-C) every temp file is removed and
    no output is touched, so a consensus never lands without its decisions log. A device or pipe
    output is written straight away, as always. A group inside a group joins the outer one."""
    if _GROUPS:
        yield
        return
    pending: list[tuple[Path, Path, bool]] = []
    _GROUPS.append(pending)
    try:
        yield
    except BaseException:
        _discard(pending)
        raise
    finally:
        _GROUPS.pop()
    # Everything is on disk; only the renames remain (they fail only on a vanished folder).
    for i, (tmp, path, backup) in enumerate(pending):
        try:
            _commit(tmp, path, backup)
        except BaseException as exc:
            _discard(pending[i:])
            if isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS:
                raise _output_error(exc, path) from exc
            raise


def _discard(pending: list[tuple[Path, Path, bool]]) -> None:
    for tmp, _path, _backup in pending:
        with contextlib.suppress(OSError):
            tmp.unlink()


@contextlib.contextmanager
def _direct_open(path: Path, mode: str, encoding: str | None) -> Iterator[io.IOBase]:
    """Write straight to a device or pipe (no temp file, no backup)."""
    try:
        if "b" in mode:
            handle = open(path, mode)  # noqa: SIM115 - closed below
        else:
            handle = open(path, mode, encoding=encoding, newline="")  # noqa: SIM115
    except OSError as exc:
        raise _output_error(exc, path) from exc
    try:
        with handle:
            yield handle
            handle.flush()
    except OSError as exc:
        if exc.errno in _OUTPUT_ERRNOS:
            raise _output_error(exc, path) from exc
        raise


def _target_mode(path: Path) -> int:
    """The permission bits the output should get: the replaced file's, else 0666 minus umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def refuse_overwriting_inputs(
    output: str | Path, inputs: Iterable[str | Path | None], *, what: str = "the output"
) -> None:
    """Raise OutputError if `output` is one of `inputs` (same file, also via a link or another
    spelling of the path): a command must never replace the user's source files."""
    out = Path(output)
    if not out.exists():
        return
    for item in inputs:
        if item is None:
            continue
        try:
            same = os.path.samefile(out, item)
        except OSError:
            continue
        if same:
            raise OutputError(
                f"{what} would overwrite the input file {item}",
                file=out,
                hint="write the output to another path; input files are never modified",
            )


def atomic_write_text(path: str | Path, text: str, *, backup: bool = True) -> Path:
    with atomic_open(path, "w", backup=backup) as fh:
        fh.write(text)
    return Path(path)


def atomic_write_bytes(path: str | Path, data: bytes, *, backup: bool = True) -> Path:
    with atomic_open(path, "wb", backup=backup, encoding=None) as fh:
        fh.write(data)
    return Path(path)


def neutralise_formula(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula (= + - @ tab CR) with a quote.

    Applied to report/export tables only; the study's own data files stay byte-faithful.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv_rows(
    path: str | Path,
    columns: Sequence[str],
    rows: Iterable[Sequence[object] | dict[str, object]],
    *,
    backup: bool = True,
    neutralise: bool = False,
) -> Path:
    """Write rows (sequences or dicts) as UTF-8 CSV with LF line ends, atomically."""
    with atomic_open(path, "w", backup=backup) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = [row.get(c, "") for c in columns] if isinstance(row, dict) else list(row)
            if neutralise:
                values = [neutralise_formula(v) for v in values]
            writer.writerow(["" if v is None else v for v in values])
    return Path(path)


def write_dataframe_csv(
    df: pd.DataFrame, path: str | Path, *, backup: bool = True, neutralise: bool = False
) -> Path:
    """Write a DataFrame as CSV atomically (no index)."""
    frame = df
    if neutralise:
        frame = (
            df.map(neutralise_formula) if hasattr(df, "map") else df.applymap(neutralise_formula)
        )
    with atomic_open(path, "w", backup=backup) as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")
    return Path(path)


# --- reading ------------------------------------------------------------------------------------
def read_csv_table(path: str | Path, *, what: str = "table") -> pd.DataFrame:
    """Read a CSV as all-string columns (empty cells are ""), with a clear error if it cannot."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise ContractError(f"{what} file not found", file=path)
    if path.is_dir():
        raise ContractError(f"expected a {what} CSV file, got a folder", file=path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContractError(f"cannot read {what}: {exc.strerror}", file=path) from exc
    if b"\x00" in raw[:8192]:
        raise ContractError(f"not a CSV {what}: the file is binary", file=path)
    try:
        text = raw.decode("utf-8-sig")
        # Valid UTF-8: the parser reads the bytes (no re-encoding of the decoded text).
        source, encoding = io.BytesIO(raw), "utf-8-sig"
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        source, encoding = io.StringIO(text), None
    if not text.strip():
        raise ContractError(f"{what} file is empty", file=path, hint="expected a header row")
    try:
        df = pd.read_csv(
            source, dtype=str, keep_default_na=False, na_filter=False, encoding=encoding
        )
    except pd.errors.ParserError as exc:
        raise ContractError(f"cannot parse {what} CSV: {exc}", file=path) from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df


def require_columns(df: pd.DataFrame, required: Sequence[str], path: str | Path, what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ContractError(
            f"{what} is missing column(s): {', '.join(missing)}",
            file=path,
            line=1,
            hint=f"the header must include: {', '.join(required)}",
        )


def read_segments(path: str | Path) -> pd.DataFrame:
    """Read and check a segments.csv (contract in docs/architecture.md).

    Returns all columns of the contract (missing optional ones added empty); `turn` as int.
    """
    df = read_csv_table(path, what="segments")
    require_columns(
        df, ("segment_id", "transcript_id", "turn", "speaker", "text"), path, "segments"
    )
    for col in SEGMENT_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    dup = df["segment_id"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"duplicate segment_id {df['segment_id'].iat[i]!r}", file=path, line=i + 2
        )
    turns = df["turn"].str.strip()
    bad = ~turns.str.fullmatch(r"\d+")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"turn must be a whole number, got {df['turn'].iat[i]!r}", file=path, line=i + 2
        )
    huge = turns.str.len() > 9  # would overflow int64 (and no transcript has a billion turns)
    if huge.any():
        i = int(huge.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"turn {df['turn'].iat[i]!r} is too large to be a turn number", file=path, line=i + 2
        )
    df["turn"] = turns.astype(int)
    roles = df["role"].str.strip()
    df.loc[roles == "", "role"] = "unknown"
    bad_role = ~df["role"].isin(ROLES)
    if bad_role.any():
        i = int(bad_role.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"role must be one of {', '.join(ROLES)}, got {df['role'].iat[i]!r}",
            file=path,
            line=i + 2,
        )
    extra = [c for c in df.columns if c not in SEGMENT_COLUMNS]
    return df[list(SEGMENT_COLUMNS) + extra]


def write_segments(df: pd.DataFrame, path: str | Path, *, backup: bool = True) -> Path:
    cols = list(SEGMENT_COLUMNS) + [c for c in df.columns if c not in SEGMENT_COLUMNS]
    return write_dataframe_csv(df[cols], path, backup=backup)


def read_codings(path: str | Path) -> pd.DataFrame:
    """Read and check a codings file (contract in docs/architecture.md).

    `code_id` "" means: reviewed, no code applied. Returns all contract columns.
    """
    df = read_csv_table(path, what="codings")
    require_columns(df, CODING_REQUIRED, path, "codings")
    for col in CODING_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    # Ids, coders and offsets repeat a lot: each check and strip runs once per distinct value.
    for col in ("segment_id", "code_id", "coder"):
        codes, uniques, stripped = _distinct_stripped(df[col])
        if col == "segment_id" and "" in stripped:
            i = _first_row_of(codes, [stripped.index("")])
            raise ContractError("segment_id is empty", file=path, line=i + 2)
        if stripped != uniques:
            df[col] = _take(stripped, codes)
    for col in ("start_char", "end_char"):
        codes, uniques, stripped = _distinct_stripped(df[col])
        # str.isdecimal() is exactly re's \d+ on a non-empty str (Unicode category Nd)
        bad = [k for k, v in enumerate(stripped) if v != "" and not v.isdecimal()]
        if bad:
            i = _first_row_of(codes, bad)
            raise ContractError(
                f"{col} must be empty or a whole number, got {df[col].iat[i]!r}",
                file=path,
                line=i + 2,
            )
    extra = [c for c in df.columns if c not in CODING_COLUMNS]
    return df[list(CODING_COLUMNS) + extra]


def _distinct_stripped(values: pd.Series) -> tuple[np.ndarray, list[str], list[str]]:
    """(codes, distinct values, the same stripped): values == distinct[codes], in first-seen order."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    distinct = uniques.tolist()  # str already: read_csv_table reads every cell as text
    return codes, distinct, [u.strip() for u in distinct]


def _first_row_of(codes: np.ndarray, wanted: list[int]) -> int:
    """0-based index of the first row whose code is one of `wanted`."""
    import numpy as np

    return int(np.isin(codes, wanted).nonzero()[0][0])


def _take(distinct: list[str], codes: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray(distinct, dtype=object)[codes]


def write_codings(df: pd.DataFrame, path: str | Path, *, backup: bool = True) -> Path:
    cols = list(CODING_COLUMNS) + [c for c in df.columns if c not in CODING_COLUMNS]
    out = df.copy()
    for col in CODING_COLUMNS:
        if col not in out.columns:
            out[col] = ""
    return write_dataframe_csv(out[cols], path, backup=backup)
