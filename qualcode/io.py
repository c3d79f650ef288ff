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
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError, OutputError
from qualcode.model import CODING_COLUMNS, ROLES, SEGMENT_COLUMNS

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
TABLE_ATTR = "qualcode.table"  # DataFrame.attrs key: where the rows of a table came from
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_DELIMITERS = (",", ";", "\t")  # Excel writes `;` in locales with a decimal comma, tab as "Text"
_HEADER_SPACES = re.compile(r"[\s\-]+")


def column_key(name: str) -> str:
    """A header name as matched: ` Segment ID ` = `segment_id` = `SEGMENT-ID`."""
    return _HEADER_SPACES.sub("_", str(name).strip().casefold())


def _canonical_columns(
    names: Sequence[str], columns: Sequence[str], synonyms: dict[str, str] | None
) -> list[str]:
    """Header names with contract columns spelled as the contract does (case, spaces, synonyms).

    A synonym is used only when the contract name itself is absent and one column alone claims it.
    """
    wanted = {column_key(c): c for c in columns}
    out = [wanted.get(column_key(n), n) for n in names]
    claims: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        target = (synonyms or {}).get(column_key(name))
        if target is not None and out[i] == name:
            claims.setdefault(target, []).append(i)
    for target, where in claims.items():
        if target not in out and len(where) == 1:
            out[where[0]] = target
    return out


def _sniff_delimiter(
    header: str, required: Sequence[str], columns: Sequence[str], synonyms: dict[str, str] | None
) -> str:
    """`,` unless the header line only names the required columns when split on `;` or tab."""
    if not required:
        return ","
    for delimiter in _DELIMITERS:
        try:
            names = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            continue
        found = set(_canonical_columns(names, columns, synonyms))
        if all(c in found for c in required):
            return delimiter
    return ","


def read_table(
    path: str | Path,
    *,
    what: str = "table",
    columns: Sequence[str] = (),
    required: Sequence[str] = (),
    synonyms: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Read a qualcode table (CSV or .xlsx) as all-string columns (empty cells are "").

    One reader for every study table, as people make them in Excel: CSV in UTF-8 (BOM or not) or
    cp1252, delimited by `,`, `;` or tab (a `;` or tab only when the header line names the `required`
    columns with it); .xlsx/.xlsm via `read_xlsx_table`. Header names matching one of `columns` up to
    case, surrounding spaces and space/hyphen/underscore are renamed to the contract's spelling;
    `synonyms` (column_key -> column) rename a header only when the column itself is absent.
    Where each row came from is kept in `df.attrs[TABLE_ATTR]`, for `row_location`.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise ContractError(f"{what} file not found", file=path)
    if path.is_dir():
        raise ContractError(f"expected a {what} CSV file, got a folder", file=path)
    if path.suffix.lower() in XLSX_SUFFIXES:
        return read_xlsx_table(
            path, what=what, columns=columns, required=required, synonyms=synonyms
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContractError(f"cannot read {what}: {exc.strerror}", file=path) from exc
    if b"\x00" in raw[:8192]:
        hint = None
        if raw.startswith(b"PK\x03\x04"):
            hint = "this looks like an Excel workbook: give it the .xlsx extension, or save as CSV"
        elif raw.startswith(b"\xd0\xcf\x11\xe0"):
            hint = "this looks like an old Excel .xls file: save it as .xlsx or CSV"
        raise ContractError(f"not a CSV {what}: the file is binary", file=path, hint=hint)
    try:
        text = raw.decode("utf-8-sig")
        # Valid UTF-8: the parser reads the bytes (no re-encoding of the decoded text).
        source, encoding = io.BytesIO(raw), "utf-8-sig"
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        source, encoding = io.StringIO(text), None
    if not text.strip():
        raise ContractError(f"{what} file is empty", file=path, hint="expected a header row")
    header = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    delimiter = _sniff_delimiter(header, required, columns, synonyms)
    try:
        df = pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding=encoding,
            sep=delimiter,
        )
    except pd.errors.ParserError as exc:
        raise ContractError(f"cannot parse {what} CSV: {exc}", file=path) from exc
    df.columns = _canonical_columns([str(c).strip() for c in df.columns], columns, synonyms)
    df.attrs[TABLE_ATTR] = {"sheet": None, "header_row": 1, "letters": {}}
    return df


read_csv_table = read_table  # the older name (every table reader accepts .xlsx as well)


def _xlsx_cell_text(value: object) -> str:
    """A cell as the text a CSV export would hold: 12.0 -> "12", dates ISO, booleans TRUE/FALSE."""
    from datetime import date, time

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _col_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_xlsx_table(
    path: str | Path,
    *,
    what: str = "table",
    columns: Sequence[str] = (),
    required: Sequence[str] = (),
    synonyms: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One sheet of a workbook as all-string columns (see `read_table`).

    The sheet: the first named like `what` (`Codings`, `coding`), else the first whose header row
    names the `required` columns, else the first with data. The header is its first non-empty row;
    empty rows after the last data row are dropped. Cells are text as a CSV export would hold them.
    """
    import zipfile

    import pandas as pd
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    stem = what.casefold().rstrip("s")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = []
            for ws in workbook.worksheets:
                if getattr(ws, "reset_dimensions", None):
                    ws.reset_dimensions()  # a wrong stored size would cut rows off
                rows = [list(r) for r in ws.iter_rows(values_only=True)]
                sheets.append((ws.title, rows))
        finally:
            workbook.close()
    # What openpyxl raises on a damaged file (lxml's XML errors are SyntaxErrors too).
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        ValueError,
        TypeError,
        SyntaxError,
        EOFError,
        OSError,
    ) as exc:
        raise ContractError(
            f"cannot read the {what} workbook: {exc}",
            file=path,
            hint="open it in Excel or LibreOffice and save it again as .xlsx, or save the sheet as CSV",
        ) from exc

    def grid(rows: list[list[object]]) -> tuple[int, list[list[str]]]:
        cells = [[_xlsx_cell_text(v) for v in row] for row in rows]
        filled = [i for i, row in enumerate(cells) if any(c.strip() for c in row)]
        if not filled:
            return 0, []
        return filled[0], cells[filled[0] : filled[-1] + 1]

    parsed = [(title, *grid(rows)) for title, rows in sheets]
    with_data = [p for p in parsed if p[2]]
    if not with_data:
        raise ContractError(
            f"{what} workbook has no sheet with data", file=path, hint="expected a header row"
        )

    def names_required(p) -> bool:
        names = _canonical_columns([c.strip() for c in p[2][0]], columns, synonyms)
        return bool(required) and all(c in names for c in required)

    chosen = (
        next((p for p in with_data if stem and stem in p[0].casefold() and names_required(p)), None)
        or next((p for p in with_data if names_required(p)), None)
        or next((p for p in with_data if stem and stem in p[0].casefold()), None)
        or with_data[0]
    )
    title, first, rows = chosen
    width = max(
        (max((j + 1 for j, c in enumerate(row) if c.strip()), default=0) for row in rows),
        default=0,
    )
    header = [c.strip() for c in rows[0][:width]] + [""] * max(0, width - len(rows[0]))
    names: list[str] = []
    for j, name in enumerate(header):
        name = name or f"Unnamed: {j}"
        base, n = name, 1
        while name in names:  # as pandas' read_csv names repeated headers
            name, n = f"{base}.{n}", n + 1
        names.append(name)
    body = [(row + [""] * width)[:width] for row in rows[1:]]
    df = pd.DataFrame(body, columns=names, dtype=object)
    df = df.astype(str) if len(df) else pd.DataFrame({n: pd.Series(dtype=str) for n in names})
    canonical = _canonical_columns(names, columns, synonyms)
    df.columns = canonical
    df.attrs[TABLE_ATTR] = {
        "sheet": title,
        "header_row": first + 1,
        "letters": {c: _col_letter(j) for j, c in enumerate(canonical)},
    }
    return df


def row_location(
    df: pd.DataFrame, path: str | Path | None, row: int | None = None, column: str | None = None
) -> dict[str, object]:
    """`file=` and `line=` for an error about 0-based data row `row` (None: the header row).

    CSV: the file and its line (header = 1). A workbook: `file.xlsx:Sheet!B7`, the cell in
    `column` (A when not given) of the sheet row a spreadsheet shows.
    """
    info = df.attrs.get(TABLE_ATTR) or {}
    line = info.get("header_row", 1) + (0 if row is None else row + 1)
    sheet = info.get("sheet")
    if not sheet:
        return {"file": path, "line": line}
    letter = info.get("letters", {}).get(column, "A")
    return {"file": f"{path}:{sheet}!{letter}{line}", "line": None}


def row_number(df: pd.DataFrame, row: int) -> int:
    """The 1-based line (CSV) or sheet row (xlsx) of 0-based data row `row`, as a user sees it."""
    info = df.attrs.get(TABLE_ATTR) or {}
    return info.get("header_row", 1) + row + 1


def require_columns(df: pd.DataFrame, required: Sequence[str], path: str | Path, what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        found = ", ".join(repr(str(c)) for c in df.columns[:12])
        raise ContractError(
            f"{what} is missing column(s): {', '.join(missing)}",
            **row_location(df, path),
            hint=f"the header must include: {', '.join(required)} (found: {found or 'none'})",
        )


def read_segments(path: str | Path) -> pd.DataFrame:
    """Read and check a segments.csv (contract in docs/architecture.md).

    Returns all columns of the contract (missing optional ones added empty); `turn` as int.
    """
    required = ("segment_id", "transcript_id", "turn", "speaker", "text")
    df = read_table(path, what="segments", columns=SEGMENT_COLUMNS, required=required)
    require_columns(df, required, path, "segments")
    for col in SEGMENT_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    dup = df["segment_id"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"duplicate segment_id {df['segment_id'].iat[i]!r}",
            **row_location(df, path, i, "segment_id"),
        )
    turns = df["turn"].str.strip()
    bad = ~turns.str.fullmatch(r"\d+")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"turn must be a whole number, got {df['turn'].iat[i]!r}",
            **row_location(df, path, i, "turn"),
        )
    huge = turns.str.len() > 9  # would overflow int64 (and no transcript has a billion turns)
    if huge.any():
        i = int(huge.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"turn {df['turn'].iat[i]!r} is too large to be a turn number",
            **row_location(df, path, i, "turn"),
        )
    df["turn"] = turns.astype(int)
    roles = df["role"].str.strip()
    df.loc[roles == "", "role"] = "unknown"
    bad_role = ~df["role"].isin(ROLES)
    if bad_role.any():
        i = int(bad_role.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"role must be one of {', '.join(ROLES)}, got {df['role'].iat[i]!r}",
            **row_location(df, path, i, "role"),
        )
    extra = [c for c in df.columns if c not in SEGMENT_COLUMNS]
    return df[list(SEGMENT_COLUMNS) + extra]


def write_segments(df: pd.DataFrame, path: str | Path, *, backup: bool = True) -> Path:
    cols = list(SEGMENT_COLUMNS) + [c for c in df.columns if c not in SEGMENT_COLUMNS]
    return write_dataframe_csv(df[cols], path, backup=backup)


# Header names hand-made codings files use for ours (column_key -> column); only these, because
# each is unambiguous: `code` could mean nothing but the code applied, `rater` nothing but the coder.
CODING_SYNONYMS: dict[str, str] = {
    "code": "code_id",
    "segment": "segment_id",
    "coder_name": "coder",
    "rater": "coder",
}
CODING_FILE_REQUIRED: tuple[str, ...] = ("segment_id", "code_id")
CODER_NOTE_ATTR = "qualcode.coder_note"


def coder_from_file(path: str | Path) -> str:
    """The coder of a codings file that does not name one: its file stem (`codings/maria.csv`)."""
    return Path(path).stem


def read_codings(path: str | Path) -> pd.DataFrame:
    """Read and check a codings file (contract in docs/architecture.md), CSV or .xlsx.

    `code_id` "" means: reviewed, no code applied. Returns all contract columns.

    Files made by hand are read as meant, never guessed at: the delimiter may be `,`, `;` or tab
    (`read_table`); header names match up to case and spaces (`Segment_ID`, ` code_id `), and three
    synonyms are accepted when the column itself is absent: `code` = code_id, `segment` =
    segment_id, `coder_name` or `rater` = coder. Without a `coder` column, or with one left empty,
    the coder is the file stem (`codings/maria.csv` -> `maria`, `coder_from_file`), and
    `coder_note(df)` says so. Several codes in one cell are not split: the unknown-code error shows
    the row and asks for one row per (segment, code) (`qualcode.ids`).
    """
    df = read_table(
        path,
        what="codings",
        columns=CODING_COLUMNS,
        required=CODING_FILE_REQUIRED,
        synonyms=CODING_SYNONYMS,
    )
    require_columns(df, CODING_FILE_REQUIRED, path, "codings")
    note = None
    if "coder" not in df.columns:
        note = "has no coder column"
    elif len(df) and not df["coder"].str.strip().any():
        note = "has an empty coder column"
    for col in CODING_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    if note is not None:
        name = coder_from_file(path)
        df["coder"] = name
        df.attrs[CODER_NOTE_ATTR] = f"{path} {note}: coder {name!r} is the file name"
    # Ids, coders and offsets repeat a lot: each check and strip runs once per distinct value.
    for col in ("segment_id", "code_id", "coder"):
        codes, uniques, stripped = _distinct_stripped(df[col])
        if col == "segment_id" and "" in stripped:
            i = _first_row_of(codes, [stripped.index("")])
            raise ContractError("segment_id is empty", **row_location(df, path, i, "segment_id"))
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
                **row_location(df, path, i, col),
            )
    extra = [c for c in df.columns if c not in CODING_COLUMNS]
    return df[list(CODING_COLUMNS) + extra]


def coder_note(df: pd.DataFrame) -> str | None:
    """Why the coder of codings read by `read_codings` is its file name (None: the file names it)."""
    return df.attrs.get(CODER_NOTE_ATTR)


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
