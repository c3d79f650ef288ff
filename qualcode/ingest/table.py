"""Transcripts kept as tables (.csv, .xlsx): one row per utterance, a speaker and a text column.

Columns are found by name (case-insensitive, spaces/underscores alike: `Speaker Name` =
`speaker_name`), or named by the caller. Optional start/end columns hold seconds or clock times.
`line` is the row number a spreadsheet shows (the header is row 1). Rows with empty text are skipped;
an empty speaker continues the previous one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from qualcode.errors import InputFormatError
from qualcode.ingest.blocks import ParsedTranscript, RawBlock
from qualcode.ingest.cues import parse_clock

SPEAKER_COLUMNS = ("speaker", "name", "participant", "speaker_name", "who")
TEXT_COLUMNS = (
    "text",
    "utterance",
    "transcript",
    "content",
    "dialogue",
    "message",
    "turn_text",
    "comment",
)
START_COLUMNS = ("start", "start_time", "timestamp", "time", "begin", "begin_time")
END_COLUMNS = ("end", "end_time", "stop", "stop_time", "finish")

COLUMN_HINT = "name the columns with --speaker-column and --text-column"
_DELIMITERS = (",", ";", "\t")
_SEPARATORS = re.compile(r"[\s_\-]+")
_QUOTED = re.compile(r'"[^"]*"')
_HEADER_WINDOW = 65536


def column_key(name: str) -> str:
    """`Speaker Name`, `speaker_name` and ` SPEAKER-NAME ` all match."""
    return _SEPARATORS.sub("_", name.strip().casefold()).strip("_")


# --- CSV ----------------------------------------------------------------------------------------
def parse_csv_table(
    text: str,
    source: str,
    *,
    speaker_column: str | None = None,
    text_column: str | None = None,
) -> ParsedTranscript:
    """Parse a CSV transcript (delimiter `,`, `;` or tab, found from the header line)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = _csv_rows(reader, source)
    return _parse_rows(rows, source, speaker_column=speaker_column, text_column=text_column)


def sniff_delimiter(text: str) -> str:
    """The delimiter used most on the header line, outside quotes (comma on a tie)."""
    end = text.find("\n", 0, _HEADER_WINDOW)
    header = _QUOTED.sub("", text[: end if end >= 0 else _HEADER_WINDOW])
    return max(_DELIMITERS, key=header.count)  # max keeps the first on a tie


def _csv_rows(reader, source: str) -> Iterable[tuple[int, Sequence[object]]]:
    """(row number, cells); a row spread over several lines by quoted newlines counts once."""
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputFormatError(
                f"cannot read this CSV row: {exc}",
                file=source,
                line=number + 1,
                hint="check the quotes in this row; a cell's text must fit in 128 KB",
            ) from exc
        number += 1
        yield number, row


# --- XLSX ---------------------------------------------------------------------------------------
def parse_xlsx_table(
    path: Path,
    *,
    speaker_column: str | None = None,
    text_column: str | None = None,
) -> ParsedTranscript:
    """Parse an .xlsx transcript: a sheet named like `transcript`, else the first non-empty one."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    source = str(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = list(workbook.worksheets)
            preferred = [ws for ws in sheets if "transcript" in ws.title.casefold()]
            for sheet in preferred + [ws for ws in sheets if ws not in preferred]:
                rows = list(_xlsx_rows(sheet))
                if any(_filled(cells) for _, cells in rows):
                    break
            else:
                rows = []
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
    ) as exc:
        raise InputFormatError(
            f"cannot read this Excel workbook: {exc}",
            file=source,
            hint="open it in Excel or LibreOffice and save it again as .xlsx "
            "(or export the sheet as .csv)",
        ) from exc
    if not rows:
        raise InputFormatError(
            "the workbook has no sheet with data",
            file=source,
            hint="put the transcript on the first sheet: a header row, then one row per utterance",
        )
    return _parse_rows(rows, source, speaker_column=speaker_column, text_column=text_column)


def _xlsx_rows(sheet) -> Iterable[tuple[int, Sequence[object]]]:
    for cells in sheet.iter_rows():
        number = next((c.row for c in cells if getattr(c, "row", None) is not None), None)
        if number is not None:
            yield number, tuple(c.value for c in cells)


# --- rows -> blocks -----------------------------------------------------------------------------
def _filled(cells: Sequence[object]) -> bool:
    return any(_cell_text(c) for c in cells)


def _cell_text(value: object) -> str:
    """A cell as text: integral floats without `.0` (a speaker `3` typed in Excel), else str()."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip(" \t\n")


def _parse_rows(
    rows: Iterable[tuple[int, Sequence[object]]],
    source: str,
    *,
    speaker_column: str | None,
    text_column: str | None,
) -> ParsedTranscript:
    iterator = iter(rows)
    header_line, header = next(((n, cells) for n, cells in iterator if _filled(cells)), (0, ()))
    if not header:
        raise InputFormatError(
            "the table is empty",
            file=source,
            hint="a transcript table has a header row (speaker, text) and one row per utterance",
        )
    names = [_cell_text(h) for h in header]
    keys = [column_key(n) for n in names]
    found = ", ".join(repr(n) for n in names if n) or "none"

    def locate(wanted: str | None, defaults: Sequence[str], what: str) -> int:
        choices = (wanted,) if wanted is not None else defaults
        for choice in choices:
            key = column_key(choice)
            if key in keys:
                return keys.index(key)
        looked_for = repr(wanted) if wanted is not None else ", ".join(defaults)
        raise InputFormatError(
            f"no {what} column (looked for {looked_for}); the columns are {found}",
            file=source,
            line=header_line,
            hint=COLUMN_HINT,
        )

    speaker_at = locate(speaker_column, SPEAKER_COLUMNS, "speaker")
    text_at = locate(text_column, TEXT_COLUMNS, "text")
    if speaker_at == text_at:
        raise InputFormatError(
            f"the speaker and the text column are the same column ({names[text_at]!r})",
            file=source,
            line=header_line,
            hint=COLUMN_HINT,
        )
    start_at = _optional(keys, START_COLUMNS, taken=(speaker_at, text_at))
    end_at = _optional(keys, END_COLUMNS, taken=(speaker_at, text_at, start_at))

    blocks: list[RawBlock] = []
    bad_times: list[int] = []
    no_text: list[int] = []
    for line, cells in iterator:
        text = _cell_text(_get(cells, text_at))
        speaker = _cell_text(_get(cells, speaker_at)) or None
        if not text:
            if speaker:
                no_text.append(line)
            continue
        start = _seconds(_get(cells, start_at), line, bad_times)
        end = _seconds(_get(cells, end_at), line, bad_times)
        blocks.append(RawBlock(speaker, text, line, start, end))
    if not blocks:
        raise InputFormatError(
            f"no rows with text in the {names[text_at]!r} column",
            file=source,
            line=header_line,
            hint="a transcript table has one row per utterance below the header row",
        )
    warnings: list[str] = []
    if no_text:
        warnings.append(
            f"{_rows(no_text)} with a speaker but no text skipped (row {_row_list(no_text)})"
        )
    if bad_times:
        warnings.append(
            f"{_rows(sorted(set(bad_times)))} with a time that is not seconds or hh:mm:ss "
            f"(row {_row_list(sorted(set(bad_times)))}); those times are left empty"
        )
    return ParsedTranscript("table", blocks, warnings)


def _optional(keys: list[str], names: Sequence[str], taken: Sequence[int | None]) -> int | None:
    for name in names:
        key = column_key(name)
        for i, k in enumerate(keys):
            if k == key and i not in taken:
                return i
    return None


def _get(cells: Sequence[object], at: int | None) -> object:
    if at is None or at >= len(cells):
        return None
    return cells[at]


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _seconds(value: object, line: int, bad: list[int]) -> float | None:
    """Seconds from a number, `hh:mm:ss(.fff)`, `mm:ss`, `[00:01:02]`, or an Excel time cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        bad.append(line)
        return None
    if isinstance(value, int | float):
        return round(float(value), 3)
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        return round(
            value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6, 3
        )
    text = str(value).strip().strip("[]()")
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return round(float(text.replace(",", ".")), 3)
    seconds = parse_clock(text)
    if seconds is None:
        bad.append(line)
    return seconds


def _rows(lines: list[int]) -> str:
    return f"{len(lines)} row{'' if len(lines) == 1 else 's'}"


def _row_list(lines: list[int], most: int = 5) -> str:
    shown = ", ".join(str(x) for x in lines[:most])
    return shown + (f" and {len(lines) - most} more" if len(lines) > most else "")
