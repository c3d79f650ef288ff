"""Coding in a spreadsheet: write a coding sheet (xlsx or csv), read the coder's marks back.

The sheet has one row per segment and one column per code (repeating idea), grouped under theme
headers, plus a memo and a `none` column. Columns, left to right:

    segment_id | check | transcript | turn | speaker | role | text | <codes...> | memo | none

`segment_id` and `check` are machine columns (hidden in xlsx). `check` is "n/N hash": the row's
position when written (so deleted rows are found even if the coder sorted the sheet) and a short
hash of the text (so edited text is found). An xlsx sheet also carries a hidden, protected
`qualcode` sheet with the coder, the code ids and every segment id, and a `Codebook` sheet with the
definitions for the coder to read.

Reading back (`read_coding_sheet`), decided once:
- A mark is one of x, X, 1, ✓, ✔, yes, y, true (any case); empty, 0, no, n, false mean "not
  applied"; anything else is an error naming the cell (`coding.xlsx:Coding!F12`).
- A row counts as reviewed only when the coder says so: a code mark, a mark in `none` ("reviewed,
  no code applies": an empty-code row) or a memo. A row left blank is untouched: not reviewed, no
  rows (a second coder who double-codes 10-25% of a study fills in only those rows). Facilitator
  rows (greyed context) follow the same rule. A `none` mark beside code marks is an error. Sheets
  written before the `none` column had a `skip` column: a mark there still means "not reviewed".
  The counts of reviewed and untouched rows are in `sheet_counts(codings)`.
- The memo goes on the first codings row of its segment (as in the bundled study's codings).
- A code found during coding (issue 16.2): the coder adds a column headed `new ID: Label`, or
  `new ID (THEME): Label` to put it under a theme (`new RI9 (T2): Someone to call`; in xlsx the
  label may also go on a second line of the cell). The word `new` says the column is meant to add a
  code, so a typo in an existing code's header is never taken for a new code. Its marks are read like
  any code's; `sheet_new_codes(codings)` lists the new codes, which the caller writes into the
  codebook (`qualcode.codebook_edit.add_codes`). A header `new ID ...` whose ID is already an
  inductive code of the codebook with that label (the sheet read back before) is that code.
- Excerpts (issue 16.1): a turn of two or more sentences (`qualcode.sentences`) is shown with its
  sentences numbered, `[1] I was scared. [2] Then the group helped.`, and a code cell may hold
  sentence numbers instead of x: `2` (sentence 2), `2-3` (2 to 3; also `2..3`, `2 to 3`), `1,4`
  (two excerpts: two codings rows). They become start_char/end_char of the turn text (the
  numbers in the text are not part of it: the check hash is of the turn itself). In a numbered row
  a bare number is a sentence; in a row without numbers (one sentence, or a sheet written before
  excerpts) `1` still means "applied", so old sheets read the same. Sentences that cover the whole
  turn are the whole turn (no span). `c12-40` marks characters 12 to 40 (end exclusive) of the
  turn: how an excerpt that does not fall on sentence boundaries (from another program) is
  pre-filled, so it reads back unchanged. The sentence boundaries are read from the numbers in the
  text cell, not recomputed, so a later change of the splitter cannot move a coder's excerpts.
  Code cells of an xlsx sheet are formatted as text (Excel would turn 2-3 into a date); a date in
  a code cell (a csv sheet edited in Excel) is an error that says so.
- Edited text, edited machine cells, deleted or duplicated rows, code columns not in the codebook and
  bad marks are all errors, reported together (`FindingsError`), each with its cell reference.

Text cells that a spreadsheet would run as a formula (= + - @ ...) are prefixed with an apostrophe
(`qualcode.io.neutralise_formula`), in xlsx as in csv: a string cell is safe only until a coder
edits it or saves the sheet as csv. The apostrophe is taken off again on reading, so the text hash
still matches. The csv sheet is UTF-8 with a BOM (so Excel shows accents); on reading, a sheet
saved back by Excel as cp1252 or with ";" separators is accepted too.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError, Finding, FindingsError
from qualcode.io import FORMULA_PREFIXES, atomic_open, neutralise_formula
from qualcode.model import CODING_COLUMNS, ROLE_FACILITATOR, Codebook
from qualcode.sentences import (
    SelectionError,
    describe_selection,
    is_whole_turn,
    parse_selection,
    sentence_spans,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.codebook_edit import NewCode

ORIGIN_MANUAL = "manual"
SHEET_FORMAT = "qualcode coding sheet 1"
CODING_SHEET = "Coding"
CODEBOOK_SHEET = "Codebook"
META_SHEET = "qualcode"
FIXED_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "check",
    "transcript",
    "turn",
    "speaker",
    "role",
    "text",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("segment_id", "check", "text")
MEMO = "memo"
NONE = "none"  # "reviewed, no code applies"
SKIP = "skip"  # sheets written before the none column: a mark meant "not reviewed"
COUNTS_ATTR = "qualcode.sheet_counts"
INSTRUCTION = (
    "Coder: {coder}. Mark codes with x (the whole turn), or with the numbers of the sentences "
    "the code covers: 2 = sentence [2], 2-3 = sentences [2] to [3], 1,4 = two excerpts. "
    "Mark 'none' when no code applies. Rows left blank are not reviewed. To add a code, add a "
    "column headed 'new ID: Label' (or 'new ID (THEME): Label')."
)
SENTENCE_HINT = "use x for the whole turn, sentence numbers such as 2 or 2-3 or 1,4, or leave empty"
NEW_CODES_ATTR = "qualcode.sheet_new_codes"
NEW_HEADER_FORM = "'new ID: Label' or 'new ID (THEME): Label'"
# `new RI9: Label`, `new RI9 (T2): Label`; in xlsx the label may follow on the cell's next line.
_NEW_HEADER = re.compile(
    r"new\s+(?P<id>[^\s:()]+)\s*(?:\((?P<theme>[^()]*)\))?\s*(?::|\n)\s*(?P<label>.*?)\s*",
    re.IGNORECASE | re.DOTALL,
)
_NEW_WORD = re.compile(r"new\b", re.IGNORECASE)
MARKS_TRUE = frozenset({"x", "1", "✓", "✔", "yes", "y", "true"})
MARKS_FALSE = frozenset({"", "0", "no", "n", "false"})
MAX_FINDINGS = 25
_CHECK = re.compile(r"^(\d+)/(\d+) ([0-9a-f]{8})$")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_GREY_FILL = "F2F2F2"
_THEME_FILLS = ("DDEBF7", "E2EFDA")
# A csv sheet carries whole turns in its text column: a 200 KB turn (a long interview answer) is
# plausible, but the csv module stops at 128 KB a cell. While a sheet is read the limit is 16 MB
# (then restored); a cell over that is an error naming its row.
SHEET_CSV_FIELD_LIMIT = 16 * 1024 * 1024
# Excel opens no sheet of more than 1,048,576 rows (openpyxl writes them, Excel refuses the file).
# The hidden qualcode sheet is the longest: 8 rows before one row per segment id.
XLSX_MAX_ROWS = 1_048_576
_META_ROWS = 8


@dataclass(frozen=True)
class SheetPrefill:
    """What a coder's existing codings put into a sheet (`sheet_prefill`): marks and memos."""

    marks: dict[str, dict[str, list[tuple[int, int]]]]
    memos: dict[str, str]


def sheet_prefill(existing: pd.DataFrame, codebook: Codebook) -> SheetPrefill:
    """The marks and memos `existing` codings pre-fill a sheet with, to give `write_coding_sheet`
    (so the codings table need not be held while the sheet is written)."""
    marks, memos, _ = _prefill(existing, codebook)
    return SheetPrefill(marks, memos)


@dataclass(frozen=True)
class SheetWritten:
    """What `write_coding_sheet` wrote: rows, context rows among them, codes, pre-filled marks."""

    path: Path
    rows: int
    context_rows: int
    codes: int
    prefilled_segments: int
    prefilled_marks: int


# --- shared -------------------------------------------------------------------------------------
def _clean(text: str) -> str:
    """The text as a sheet stores it: no XML-illegal control characters, LF line ends."""
    return _ILLEGAL_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def text_hash(text: str) -> str:
    """8 hex digits of SHA-1 over the text as the sheet stores it (ends stripped)."""
    return hashlib.sha1(_clean(text).strip().encode("utf-8")).hexdigest()[:8]


def _unneutralise(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _is_csv(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return True
    if suffix in (".xlsx", ".xlsm"):
        return False
    raise ContractError(
        f"a coding sheet must be .xlsx or .csv, not {suffix or 'a file without extension'!r}",
        file=path,
    )


_NUMBERED = "[{}] "  # before each sentence of the text cell


def numbered_text(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """The text cell of a turn and its sentence spans: the sentences numbered `[1] ... [2] ...`
    when there are two or more, else the text as it is and None.

    A turn is numbered only when the numbers read back to the very same text and spans (checked
    here, so a turn quoting "[2] " or holding characters the sheet cannot store stays plain: its
    code cells take x or c12-40) and the cell stays within Excel's limit."""
    spans = sentence_spans(text)
    if len(spans) < 2 or _clean(text) != text or text != text.strip():
        return _clean(text), None
    parts: list[str] = []
    previous = 0
    for k, (start, _) in enumerate(spans, start=1):
        parts.append(text[previous:start])
        parts.append(_NUMBERED.format(k))
        previous = start
    parts.append(text[previous:])
    shown = "".join(parts)
    if len(shown) > _MAX_CELL or _unnumbered(shown) != (text, spans):
        return text, None
    return shown, spans


def _unnumbered(cell: str) -> tuple[str, list[tuple[int, int]]] | None:
    """The turn text and sentence spans of a numbered text cell; None when it is not numbered.

    Markers `[k] ` are found in order, each at the start of the cell or after whitespace; a
    sentence ends at the last non-space character before the next marker."""
    plain: list[str] = []
    starts: list[int] = []
    length = pos = 0
    k = 1
    while True:
        marker = _NUMBERED.format(k)
        i = cell.find(marker, pos)
        while i > 0 and not cell[i - 1].isspace():
            i = cell.find(marker, i + 1)
        if i < 0:
            break
        plain.append(cell[pos:i])
        length += i - pos
        starts.append(length)
        pos = i + len(marker)
        k += 1
    if len(starts) < 2 or starts[0] != 0:
        return None
    plain.append(cell[pos:])
    text = "".join(plain)
    ends = [
        len(text[a:b].rstrip()) + a for a, b in zip(starts, [*starts[1:], len(text)], strict=True)
    ]
    return text, list(zip(starts, ends, strict=True))


def _code_header(code_id: str, label: str, *, csv_style: bool) -> str:
    return f"{code_id}: {label}" if csv_style else f"{code_id}\n{label}"


def check_sheet_size(path: str | Path, rows: int) -> None:
    """Refuse an xlsx sheet of more rows than Excel opens, before anything is written."""
    path = Path(path)
    if _is_csv(path) or rows + _META_ROWS <= XLSX_MAX_ROWS:
        return
    raise ContractError(
        f"an xlsx coding sheet of {rows:,} segments would need {rows + _META_ROWS:,} rows, "
        f"more than the {XLSX_MAX_ROWS:,} rows a sheet can have in Excel",
        file=path,
        hint=f"write a .csv sheet (no row limit), or one sheet per group of at most "
        f"{XLSX_MAX_ROWS - _META_ROWS:,} segments (fewer transcripts at a time)",
    )


SHEET_SEGMENT_COLUMNS = ("segment_id", "transcript_id", "turn", "speaker", "role", "text")


class _Rows:
    """The sheet's rows, one dict per segment made as it is read (a list of 250,000 dicts took
    70 MB): segment_id, transcript_id, turn, speaker, role, text."""

    COLUMNS = SHEET_SEGMENT_COLUMNS

    def __init__(self, segments: pd.DataFrame, include_facilitator_context: bool) -> None:
        seg = segments.reindex(columns=list(self.COLUMNS)).fillna("")
        seg = seg.astype({c: str for c in self.COLUMNS if c != "turn"})
        self._columns = [seg[c].tolist() for c in self.COLUMNS]  # the frame's own strings
        roles = self._columns[4]
        self._keep: list[int] | None = (
            None
            if include_facilitator_context
            else [i for i, role in enumerate(roles) if role != ROLE_FACILITATOR]
        )

    def __len__(self) -> int:
        return len(self._columns[0]) if self._keep is None else len(self._keep)

    def __iter__(self) -> Iterator[dict]:
        names = self.COLUMNS
        rows = zip(*self._columns, strict=True)
        if self._keep is not None:
            keep = set(self._keep)
            rows = (row for i, row in enumerate(rows) if i in keep)
        for row in rows:
            yield dict(zip(names, row, strict=True))


def _segment_rows(segments: pd.DataFrame, include_facilitator_context: bool) -> _Rows:
    return _Rows(segments, include_facilitator_context)


def _prefill(
    existing: pd.DataFrame | None, codebook: Codebook
) -> tuple[dict[str, dict[str, list[tuple[int, int]]]], dict[str, str], set[str]]:
    """Marks and memos per segment from existing codings; the segments they reviewed.

    Marks are code -> excerpts (start, end); an empty list is the whole turn. A reviewed segment
    without codes has no marks (its `none` cell is marked)."""
    if existing is None or existing.empty:
        return {}, {}, set()
    known = set(codebook.code_ids())
    marks: dict[str, dict[str, list[tuple[int, int]]]] = {}
    memos: dict[str, list[str]] = {}
    reviewed: set[str] = set()
    columns = ["segment_id", "code_id", "memo", "start_char", "end_char"]
    frame = existing.reindex(columns=columns).astype(object).fillna("").astype(str)
    for i, (sid, code, memo, start, end) in enumerate(frame.itertuples(index=False, name=None)):
        reviewed.add(sid)
        marks.setdefault(sid, {})
        if code:
            if code not in known:
                raise ContractError(
                    f"the codings use code {code!r}, which is not in the codebook",
                    line=i + 2,
                    hint="a sheet has one column per codebook code; fix the code id or the codebook",
                )
            excerpts = marks[sid].get(code)
            if start.strip() or end.strip():
                if excerpts != []:  # a whole-turn row of the same code covers any excerpt
                    marks[sid].setdefault(code, []).append((int(start), int(end)))
            else:
                marks[sid][code] = []
        if memo.strip() and memo not in memos.setdefault(sid, []):
            memos[sid].append(memo)
    return marks, {k: "\n".join(v) for k, v in memos.items() if v}, reviewed


# --- writing ------------------------------------------------------------------------------------
def write_coding_sheet(
    segments: pd.DataFrame,
    codebook: Codebook,
    coder: str,
    path: str | Path,
    *,
    include_facilitator_context: bool = True,
    existing: pd.DataFrame | SheetPrefill | None = None,
    backup: bool = True,
    progress: Callable[[int], None] | None = None,
) -> SheetWritten:
    """Write a coding sheet (xlsx or csv, by the extension) for `coder`; atomic, with backup.

    `existing` codings (a coder resuming; or their `sheet_prefill`) pre-fill the marks and memos.
    Only the columns in `SHEET_SEGMENT_COLUMNS` of `segments` are read. `progress(n)` is called
    as rows are written (xlsx; a csv sheet is written at once).
    """
    path = Path(path)
    csv_style = _is_csv(path)
    codes = codebook.codes()
    if not codes:
        raise ContractError(
            "the codebook has no codes to put in the sheet's columns", file=codebook.source
        )
    rows = _segment_rows(segments, include_facilitator_context)
    check_sheet_size(path, len(rows))
    if isinstance(existing, SheetPrefill):
        marks, memos = existing.marks, existing.memos
    else:
        marks, memos, _ = _prefill(existing, codebook)
    # Written as the rows are made, straight into the temp file (the whole sheet built in
    # memory first took 2-6 KB a segment).
    if csv_style:
        with atomic_open(path, "w", encoding="utf-8-sig", backup=backup) as fh:  # with a BOM
            _write_csv(fh, rows, codebook, coder, marks, memos)
    else:
        with atomic_open(path, "wb", encoding=None, backup=backup) as fh:
            _write_xlsx(fh, rows, codebook, coder, marks, memos, progress)
    ids = {r["segment_id"] for r in rows}
    return SheetWritten(
        path=path,
        rows=len(rows),
        context_rows=sum(r["role"] == ROLE_FACILITATOR for r in rows),
        codes=len(codes),
        prefilled_segments=len((set(marks) | set(memos)) & ids),
        prefilled_marks=sum(len(v) for k, v in marks.items() if k in ids),
    )


def _mark_cell(excerpts: list[tuple[int, int]] | None, spans, text: str) -> str:
    """A code cell: "" (not applied), "x" (whole turn), or its excerpts ("2-3, 5", "c12-40")."""
    if excerpts is None:
        return ""
    if not excerpts:
        return "x"
    for start, end in excerpts:
        if not 0 <= start < end <= len(text):
            raise ContractError(
                f"an excerpt {start}-{end} lies outside the {len(text)} characters of its turn",
                hint="start_char < end_char, within the turn text (0-based, end exclusive)",
            )
    return ", ".join(describe_selection(a, b, spans or []) for a, b in sorted(set(excerpts)))


def _row_values(row: dict, n: int, total: int, codebook: Codebook, marks, memos) -> list:
    """One row's cells; text cells neutralised (a leading = + - @ gets an apostrophe)."""
    applied = marks.get(row["segment_id"])
    shown, spans = numbered_text(row["text"])
    return [
        neutralise_formula(row["segment_id"]),  # a transcript named "-fg1" gives "-fg1:1"
        f"{n}/{total} {text_hash(row['text'])}",
        neutralise_formula(row["transcript_id"]),
        row["turn"],
        neutralise_formula(row["speaker"]),
        row["role"],
        neutralise_formula(shown),
        *(
            _mark_cell(applied.get(c.id), spans, row["text"]) if applied else ""
            for c in codebook.codes()
        ),
        neutralise_formula(memos.get(row["segment_id"], "")),
        "x" if applied is not None and not applied else "",
    ]


def _write_csv(fh, rows: _Rows, codebook: Codebook, coder: str, marks, memos) -> None:
    writer = csv.writer(fh, lineterminator="\r\n")  # what Excel writes and expects
    headers = [_code_header(c.id, c.label, csv_style=True) for c in codebook.codes()]
    writer.writerow([neutralise_formula(h) for h in (*FIXED_COLUMNS, *headers, MEMO, NONE)])
    for n, row in enumerate(rows, start=1):
        values = _row_values(row, n, len(rows), codebook, marks, memos)
        writer.writerow([neutralise_formula(v) for v in values])


def _write_xlsx(
    fh, rows: _Rows, codebook: Codebook, coder: str, marks, memos, progress=None
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    codes = codebook.codes()
    n_fixed = len(FIXED_COLUMNS)
    first_code = n_fixed + 1
    memo_col = first_code + len(codes)
    skip_col = memo_col + 1
    header_row, first_row = 2, 3
    last_row = first_row + max(len(rows), 1) - 1

    wb = Workbook()
    ws = wb.active
    ws.title = CODING_SHEET
    bold = Font(bold=True)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="top")

    # Row 1: a note for the coder over the text columns, theme names over their codes.
    note = ws.cell(row=1, column=3, value=_string(INSTRUCTION.format(coder=coder)))
    note.font = Font(italic=True)
    ws.merge_cells(start_row=1, start_column=3, end_row=1, end_column=n_fixed)
    col = first_code
    groups: list[tuple[str, int]] = [
        (f"{t.id} {t.label}", len(t.codes)) for t in codebook.all_themes() if t.codes
    ]
    if codebook.flat_codes:
        groups.append(("codes", len(codebook.flat_codes)))
    for gi, (title, width) in enumerate(groups):
        cell = ws.cell(row=1, column=col)
        _set_string(cell, neutralise_formula(title))
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center")
        fill = PatternFill("solid", fgColor=_THEME_FILLS[gi % 2])
        for c in range(col, col + width):
            ws.cell(row=1, column=c).fill = fill
            ws.cell(row=header_row, column=c).fill = fill
        if width > 1:
            ws.merge_cells(start_row=1, start_column=col, end_row=1, end_column=col + width - 1)
        col += width
    ws.row_dimensions[1].height = 45

    headers = [*FIXED_COLUMNS, *(f"{c.id}\n{c.label}" for c in codes), MEMO, NONE]
    for ci, value in enumerate(headers, start=1):
        cell = ws.cell(row=header_row, column=ci)
        _set_string(cell, neutralise_formula(value))
        cell.font = bold
        cell.alignment = wrap_top
    for ci, code in enumerate(codes, start=first_code):
        parts = [
            code.definition,
            *(f"{k}: {v}" for k, v in (("include", code.include), ("exclude", code.exclude)) if v),
        ]
        text = "\n".join(p for p in parts if p)
        if text:
            ws.cell(row=header_row, column=ci).comment = Comment(_clean(text)[:2000], "qualcode")
    ws.row_dimensions[header_row].height = 75

    grey = PatternFill("solid", fgColor=_GREY_FILL)
    grey_font = Font(italic=True, color="808080")
    top = Alignment(vertical="top")

    def kind(ci: int) -> int:
        if first_code <= ci < memo_col or ci == skip_col:
            return 0  # a mark
        return 1 if ci in (n_fixed, memo_col) else 2  # wrapped text, or plain

    # One style per (kind of column, context row); a template cell outside the sheet registers it
    # in the workbook's style table and gives its index for the rows' XML.
    style_ids: dict[tuple[int, bool], int] = {}
    for context in (False, True):
        for ci in range(1, skip_col + 1):
            key = (kind(ci) if ci >= first_code else 3 + kind(ci), context)
            if key in style_ids:
                continue
            template = WriteOnlyCell(ws)
            template.alignment = (centre, wrap_top, top)[kind(ci)]
            if kind(ci) == 0 and ci >= first_code:
                template.number_format = "@"  # text: Excel would make sentences 2-3 a date
            if context:
                template.fill = grey
                if ci < first_code:
                    template.font = grey_font
            style_ids[key] = template.style_id
    column_styles = {
        context: [
            style_ids[(kind(ci) if ci >= first_code else 3 + kind(ci), context)]
            for ci in range(1, skip_col + 1)
        ]
        for context in (False, True)
    }
    is_mark = [kind(ci) == 0 for ci in range(1, skip_col + 1)]
    rows_xml = _rows_xml(
        rows, first_row, codebook, marks, memos, column_styles, is_mark, progress=progress
    )

    widths = {1: 12, 2: 16, 3: 12, 4: 6, 5: 16, 6: 11, 7: 60}
    for ci in range(1, skip_col + 1):
        width = widths.get(ci, 14 if ci < memo_col else 40 if ci == memo_col else 6)
        ws.column_dimensions[get_column_letter(ci)].width = width
        if kind(ci) == 0 and ci >= first_code:
            ws.column_dimensions[get_column_letter(ci)].alignment = centre
            ws.column_dimensions[get_column_letter(ci)].number_format = "@"
    ws.column_dimensions["A"].hidden = True
    ws.column_dimensions["B"].hidden = True
    ws.freeze_panes = f"{get_column_letter(first_code)}{first_row}"  # no cell: rows come later
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(skip_col)}{last_row}"
    tick = DataValidation(
        type="list",
        formula1='"x,✓"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="qualcode",
        error="Mark with x (or leave the cell empty; mark none when no code applies).",
    )
    # Code cells offer x but take sentence numbers (2-3) without a warning: they are checked when
    # the sheet is read back.
    excerpt = DataValidation(
        type="list", formula1='"x,✓"', allow_blank=True, showErrorMessage=False
    )
    ws.add_data_validation(tick)
    ws.add_data_validation(excerpt)
    excerpt.add(
        f"{get_column_letter(first_code)}{first_row}:{get_column_letter(memo_col - 1)}{last_row}"
    )
    tick.add(f"{get_column_letter(skip_col)}{first_row}:{get_column_letter(skip_col)}{last_row}")

    _codebook_sheet(wb.create_sheet(CODEBOOK_SHEET), codebook)
    _meta_sheet(wb.create_sheet(META_SHEET), codebook, coder, rows)
    buffer = io.BytesIO()
    wb.save(buffer)
    last = f"{get_column_letter(skip_col)}{header_row + len(rows)}"
    _splice_rows(fh, buffer.getvalue(), rows_xml, f"A1:{last}")


# Text cells longer than this are cut, as openpyxl cuts them (Excel's limit).
_MAX_CELL = 32767
_COLUMN_LETTERS: list[str] = []


def _rows_xml(
    rows: list[dict],
    first_row: int,
    codebook: Codebook,
    marks,
    memos,
    column_styles: dict[bool, list[int]],
    is_mark: list[bool],
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The <row> elements of the coding rows, as openpyxl would write them, but written directly.

    openpyxl spends ~20 us per cell building and serialising cell objects (a 160,000-row sheet took
    two minutes, in write-only mode as well); strings are ~20x faster. The cells are the same:
    inline strings (never formulas), the turn as a number, empty mark cells left out on participant
    rows (they take the column's style), every cell of a facilitator (context) row written greyed.
    Made as they are written, 1,000 rows at a time.
    """
    from xml.sax.saxutils import escape

    width = len(is_mark)
    while len(_COLUMN_LETTERS) < width:
        _COLUMN_LETTERS.append(_col_letter(len(_COLUMN_LETTERS)))
    letters = _COLUMN_LETTERS[:width]
    out: list[str] = []
    total = len(rows)
    for n, row in enumerate(rows, start=1):
        r = first_row + n - 1
        values = _row_values(row, n, total, codebook, marks, memos)
        context = row["role"] == ROLE_FACILITATOR
        styles = column_styles[context]
        cells = [f'<row r="{r}">']
        for i, value in enumerate(values):
            if value == "" and not context and is_mark[i]:
                continue  # an empty mark cell takes its column's style: fewer cells, faster
            ref = f'r="{letters[i]}{r}" s="{styles[i]}"'
            if is_mark[i] and value in ("", "x"):  # most cells: skip the cleaning below
                cells.append(
                    f'<c {ref} t="inlineStr"><is><t>x</t></is></c>'
                    if value
                    else f'<c {ref} t="n"/>'
                )
                continue
            if i == 3 and str(value).isdigit():
                cells.append(f'<c {ref} t="n"><v>{int(value)}</v></c>')
                continue
            text = _string("" if value is None else value)[:_MAX_CELL]
            if not text:
                cells.append(f'<c {ref} t="n"/>')
            elif text != text.strip():
                cells.append(
                    f'<c {ref} t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'
                )
            else:
                cells.append(f'<c {ref} t="inlineStr"><is><t>{escape(text)}</t></is></c>')
        cells.append("</row>")
        out.append("".join(cells))
        if n % 1000 == 0:
            yield "".join(out).encode("utf-8")
            out.clear()
            if progress is not None:
                progress(1000)
    yield "".join(out).encode("utf-8")
    if progress is not None and total % 1000:
        progress(total % 1000)


def _splice_rows(fh, workbook: bytes, rows_xml: Iterator[bytes], dimension: str) -> None:
    """Write the workbook to `fh` with the coding rows in the Coding sheet (the first) after its
    two header rows. The rows go through a temp file first: a zip entry must say before its
    first byte whether it needs ZIP64 (over 2 GB), which Excel reads strictly, so the entry is
    written with its exact size, as `writestr` would (not held in memory)."""
    import shutil
    import tempfile
    import zipfile

    target = "xl/worksheets/sheet1.xml"
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as src,
        zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            payload = src.read(info)
            if info.filename == target:
                head, sep, tail = payload.partition(b"</sheetData>")
                # Only the two header rows may be there (a cell made in row 3 would be written
                # as a second row 3, which readers take as a deleted row).
                if not sep or re.findall(rb'<row r="(\d+)"', head) != [b"1", b"2"]:
                    raise RuntimeError("the Coding sheet must hold only its header rows here")
                head = re.sub(
                    rb'<dimension ref="[^"]*"/>',
                    f'<dimension ref="{dimension}"/>'.encode(),
                    head,
                    count=1,
                )
                with tempfile.TemporaryFile() as spool:
                    for chunk in rows_xml:
                        spool.write(chunk)
                    info.file_size = len(head) + spool.tell() + len(sep + tail)
                    spool.seek(0)
                    with dst.open(info, "w") as entry:
                        entry.write(head)
                        shutil.copyfileobj(spool, entry, 1 << 20)
                        entry.write(sep + tail)
                continue
            dst.writestr(info, payload)


def _string(value: object) -> str:
    return _clean(str(value))


def _set_string(cell, value: object) -> None:
    """Store as a string cell, never a formula (openpyxl turns a leading "=" into a formula)."""
    text = _string("" if value is None else value)
    cell.value = text if text else None
    if text:
        cell.data_type = "s"


def _codebook_sheet(ws, codebook: Codebook) -> None:
    from openpyxl.styles import Alignment, Font

    header = ["construct", "theme", "code", "label", "definition", "include", "exclude", "examples"]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    labels = {t.id: t.label for t in codebook.all_themes()}
    constructs = {c.id: c.label for c in codebook.constructs}
    for code in codebook.codes():
        values = [
            f"{code.construct_id} {constructs.get(code.construct_id, '')}"
            if code.construct_id
            else "",
            f"{code.theme_id} {labels.get(code.theme_id, '')}" if code.theme_id else "",
            code.id,
            code.label,
            code.definition,
            code.include,
            code.exclude,
            "\n".join(code.examples),
        ]
        r = ws.max_row + 1
        for ci, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=ci)
            _set_string(cell, neutralise_formula(value))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGH", (24, 28, 8, 28, 50, 40, 40, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


def _meta_sheet(ws, codebook: Codebook, coder: str, rows: list[dict]) -> None:
    from qualcode.provenance import codebook_identity

    ws.sheet_state = "hidden"
    for key, *values in (
        ("format", SHEET_FORMAT),
        ("coder", coder),
        ("codebook", codebook.title or (Path(codebook.source).name if codebook.source else "")),
        ("codebook_id", codebook_identity(codebook)),
        ("codes", *codebook.code_ids()),
        ("segments", len(rows)),
    ):
        r = ws.max_row + 1 if ws.max_row > 1 or ws["A1"].value else 1
        ws.cell(row=r, column=1, value=key)
        for ci, value in enumerate(values, start=2):
            _set_string(ws.cell(row=r, column=ci), neutralise_formula(value))
    start = ws.max_row + 2
    ws.cell(row=start, column=1, value="segment_ids")
    for i, row in enumerate(rows, start=start + 1):
        _set_string(ws.cell(row=i, column=1), neutralise_formula(row["segment_id"]))
    ws.protection.sheet = True


# --- reading ------------------------------------------------------------------------------------
@dataclass
class _Grid:
    """The cells of the coding sheet as strings, read row by row (a 250,000-row sheet held as
    lists of strings took 1.2 KB a row), with a function naming a cell for messages."""

    head: list[list[str]]  # the first rows, where the header is looked for
    each_row: Callable[[], Iterator[list[str]]]  # every row, from the first
    ref: Callable[[int, int], str]  # (0-based row, 0-based column) -> "file:Coding!F12"
    file: str
    meta: dict[str, list[str]] | None = None
    meta_segments: list[str] | None = None
    close: Callable[[], None] = lambda: None

    def rows(self, progress: Callable[[int], None] | None = None) -> Iterator[list[str]]:
        """Every row from the first, read again at each call; `progress(n)` every 1,000 rows."""
        count = 0
        for row in self.each_row():
            yield row
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(1000)
        if progress is not None and count % 1000:
            progress(count % 1000)


_HEAD_ROWS = 10


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _col_letter(ci: int) -> str:
    letters = ""
    ci += 1
    while ci:
        ci, rem = divmod(ci - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _read_xlsx(path: Path, progress: Callable[[int], None] | None = None) -> _Grid:
    import zipfile

    from openpyxl import load_workbook

    if not path.exists():
        raise ContractError("coding sheet not found", file=path)
    try:
        wb = load_workbook(path, data_only=True, read_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ContractError(
            f"cannot read the coding sheet as an xlsx workbook ({type(exc).__name__})", file=path
        ) from exc
    if CODING_SHEET not in wb.sheetnames:
        raise ContractError(
            f"the workbook has no {CODING_SHEET!r} sheet (sheets: {', '.join(wb.sheetnames)})",
            file=path,
            hint="read back the sheet qualcode wrote (do not rename its Coding sheet)",
        )
    ws = wb[CODING_SHEET]

    def each_row() -> Iterator[list[str]]:
        for row in ws.iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]

    grid = _Grid(
        list(itertools.islice(each_row(), _HEAD_ROWS)),
        each_row,
        lambda r, c: f"{path}:{CODING_SHEET}!{_col_letter(c)}{r + 1}",
        str(path),
        close=wb.close,  # read-only workbooks keep the file open until closed
    )
    if META_SHEET in wb.sheetnames:
        meta: dict[str, list[str]] = {}
        segs: list[str] = []
        in_segments = False
        for row in wb[META_SHEET].iter_rows(values_only=True):
            cells = [_unneutralise(_cell_text(v)) for v in row]
            if not cells or not cells[0]:
                continue
            if in_segments:
                segs.append(cells[0])
            elif cells[0] == "segment_ids":
                in_segments = True
            else:
                meta[cells[0]] = [c for c in cells[1:] if c != ""]
        grid.meta, grid.meta_segments = meta, segs
    return grid


def _read_csv(path: Path) -> _Grid:
    import codecs

    if not path.exists():
        raise ContractError("coding sheet not found", file=path)
    # Read as a stream, twice: once to check the encoding, then row by row (the whole sheet held
    # as bytes, text, a StringIO and lists of strings took about 2 KB a row). UTF-8 first; a
    # sheet saved back by Excel as "CSV (Comma delimited)" is cp1252.
    encoding, errors = "utf-8-sig", "strict"
    decoder = codecs.getincrementaldecoder(encoding)()
    first = ""
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                encoding, errors = "cp1252", "replace"
                break
            if "\n" not in first:
                first += text
            if not chunk:
                break
    if encoding != "utf-8-sig":
        with path.open(encoding=encoding, errors=errors, newline="") as fh:
            first = ""
            while "\n" not in first and (chunk := fh.read(65536)):
                first += chunk
    first = first.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # Excel in many locales

    def each_row() -> Iterator[list[str]]:
        with path.open(encoding=encoding, errors=errors, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            previous = csv.field_size_limit(SHEET_CSV_FIELD_LIMIT)
            try:
                yield from reader
            except csv.Error as exc:
                raise ContractError(
                    f"cannot read this CSV row: {exc}",
                    file=path,
                    line=reader.line_num,
                    hint=f"a cell of a coding sheet must fit in {SHEET_CSV_FIELD_LIMIT // 2**20} MB",
                ) from exc
            finally:
                csv.field_size_limit(previous)

    return _Grid(
        list(itertools.islice(each_row(), _HEAD_ROWS)),
        each_row,
        lambda r, c: f"{path}:{_col_letter(c)}{r + 1}",
        str(path),
    )


def _parse_code_header(header: str, known: list[str] | None) -> str:
    first = _unneutralise(header.split("\n", 1)[0].strip())
    if known is not None:
        for code_id in sorted(known, key=len, reverse=True):
            if first == code_id or (first.startswith(code_id) and first[len(code_id)] in ": \t"):
                return code_id
    return re.split(r"[:\s]", first, maxsplit=1)[0]


def _new_code_column(
    header: str, codebook: Codebook | None, taken: dict[str, str]
) -> tuple[NewCode | str | None, str | None]:
    """A `new ID: Label` header: (the new code, or the id of a code the codebook already has
    from an earlier read-back, None) and the problem with it (None when it is usable).
    (None, None) when the header does not start with the word `new`."""
    from qualcode.codebook_edit import NewCode, new_code_problem

    text = _unneutralise(header.strip())
    if not _NEW_WORD.match(text):
        return None, None
    shown = " ".join(text.split())
    found = _NEW_HEADER.fullmatch(text)
    if found is None or not found["label"].strip():
        return (
            None,
            f"header {shown!r} does not say the new code's id and label: write {NEW_HEADER_FORM}",
        )
    theme = found["theme"].strip() if found["theme"] is not None else None
    code = NewCode(found["id"], " ".join(found["label"].split()), theme or None)
    if codebook is None:
        return None, f"column {shown!r} adds code {code.id!r}: give the codebook to write it into"
    if code.id in codebook:
        old = codebook.code(code.id)
        if old.inductive and old.label == code.label and (theme is None or old.theme_id == theme):
            return code.id, None  # added by an earlier read-back of this sheet
    if code.id in taken:
        return None, f"code {code.id!r} has two columns (also {taken[code.id]!r})"
    problem = new_code_problem(codebook, code)
    return (code, None) if problem is None else (None, f"{problem} (column {shown!r})")


def sheet_new_codes(codings: pd.DataFrame) -> list[NewCode]:
    """The codes a coding sheet read by `read_coding_sheet` adds to the codebook (its `new ...`
    columns), in column order; empty for other codings."""
    return list(codings.attrs.get(NEW_CODES_ATTR, []))


def read_coding_sheet(
    path: str | Path,
    *,
    coder: str,
    codebook: Codebook | None = None,
    segments: pd.DataFrame | None = None,
    warnings: list[Finding] | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Read a coding sheet back into codings (origin "manual"), validating every cell.

    Codes are checked against `codebook` when given, else against the code list the xlsx sheet
    carries (a csv sheet without a codebook takes its code columns as they are). With `segments`,
    segment ids and texts are checked against them too. Raises `FindingsError` listing every
    problem with its cell reference; warnings go to `warnings` when a list is given. `progress(n)`
    is called as the rows of the sheet are read (n rows at a time).
    """
    path = Path(path)
    grid = _read_csv(path) if _is_csv(path) else _read_xlsx(path)
    try:
        return _read_grid(grid, path, coder, codebook, segments, warnings, progress)
    finally:
        grid.close()


def _read_grid(
    grid: _Grid,
    path: Path,
    coder: str,
    codebook: Codebook | None,
    segments: pd.DataFrame | None,
    warnings: list[Finding] | None,
    progress: Callable[[int], None] | None,
) -> pd.DataFrame:
    """`read_coding_sheet` on the sheet's rows."""
    import pandas as pd

    found: list[Finding] = []
    notes: list[Finding] = []

    def error(r: int, c: int, kind: str, message: str) -> None:
        found.append(Finding(kind, message, file=grid.ref(r, c)))

    header_at = next(
        (i for i, row in enumerate(grid.head) if "segment_id" in [c.strip() for c in row]),
        None,
    )
    if header_at is None:
        raise ContractError(
            "no header row with a segment_id column in the first 10 rows",
            file=path,
            hint="read back a sheet written by qualcode code --sheet",
        )
    header = [c.strip() for c in grid.head[header_at]]
    meta_codes = grid.meta.get("codes") if grid.meta else None
    known = codebook.code_ids() if codebook is not None else meta_codes
    columns: dict[str, int] = {}
    code_cols: list[tuple[int, str]] = []
    new_codes: list[tuple[NewCode, str]] = []  # code, header
    for ci, name in enumerate(header):
        if name in FIXED_COLUMNS or name in (MEMO, NONE, SKIP):
            if name in columns:
                error(header_at, ci, "duplicate-column", f"column {name!r} appears twice")
            columns.setdefault(name, ci)
        elif name:
            code_id = _parse_code_header(name, known)
            new_code, problem = (
                _new_code_column(name, codebook, {c.id: n for c, n in new_codes})
                if known is None or code_id not in known
                else (None, None)
            )
            if problem is not None:
                error(header_at, ci, "new-code", problem)
            elif new_code is not None:
                code_id = new_code if isinstance(new_code, str) else new_code.id
                if not isinstance(new_code, str):
                    new_codes.append((new_code, name.splitlines()[0]))
                code_cols.append((ci, code_id))
            elif known is not None and code_id not in known:
                where = (
                    "the codebook"
                    if codebook is not None
                    else "the codes this sheet was written with"
                )
                error(
                    header_at,
                    ci,
                    "unknown-code",
                    f"column {name.splitlines()[0]!r} is not a code in {where}"
                    + (
                        f"; to add a code while coding, head its column {NEW_HEADER_FORM}"
                        if codebook is not None
                        else ""
                    ),
                )
            elif code_id in [c for _, c in code_cols]:
                error(header_at, ci, "duplicate-column", f"code {code_id!r} has two columns")
            else:
                code_cols.append((ci, code_id))
        elif any(
            r > header_at and ci < len(row) and row[ci].strip() for r, row in enumerate(grid.rows())
        ):
            error(header_at, ci, "no-header", "a column without a header holds values")
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            raise ContractError(
                f"the sheet has no {name!r} column (it was deleted or renamed)",
                file=path,
                line=header_at + 1,
                hint="write a fresh sheet with qualcode code --sheet and copy the marks across",
            )
    present = {c for _, c in code_cols}
    if known is not None:
        # Columns the sheet was written with that are gone: the coder's marks there are lost.
        for code_id in meta_codes or []:
            if code_id not in present and (codebook is None or code_id in codebook):
                error(header_at, 0, "deleted-column", f"the column of code {code_id!r} was deleted")
        if codebook is not None:
            for code_id in codebook.code_ids():
                if code_id not in present and code_id not in (meta_codes or []):
                    notes.append(
                        Finding(
                            "missing-code",
                            f"code {code_id!r} has no column in the sheet: it was not coded",
                            file=str(path),
                            severity="warning",
                        )
                    )
    if grid.meta and grid.meta.get("coder") and grid.meta["coder"][0] != coder:
        notes.append(
            Finding(
                "other-coder",
                f"the sheet was written for coder {grid.meta['coder'][0]!r}, read as {coder!r}",
                file=str(path),
                severity="warning",
            )
        )

    seg_text: dict[str, str] | None = None
    if segments is not None:
        frame = segments.reindex(columns=["segment_id", "text"]).fillna("").astype(str)
        seg_text = dict(zip(frame["segment_id"], frame["text"], strict=True))

    def get(row: list[str], name: str) -> str:
        ci = columns.get(name)
        return row[ci] if ci is not None and ci < len(row) else ""

    decided: dict[int, tuple[str, list[str], str, str]] = {}  # n -> (segment_id, codes, memo, hash)
    untouched = {False: 0, True: 0}  # rows nobody marked: participant rows, context rows
    seen: dict[int, int] = {}
    total: int | None = None
    for r, row in enumerate(grid.rows(progress)):
        if r <= header_at or not any(v.strip() for v in row):
            continue
        sid = _unneutralise(get(row, "segment_id").strip())
        check = _CHECK.match(get(row, "check").strip())
        if not sid:
            error(r, columns["segment_id"], "edited-id", "segment_id is empty (machine column)")
            continue
        if check is None:
            error(
                r,
                columns["check"],
                "edited-check",
                f"the check cell of segment {sid!r} was edited (machine column)",
            )
            continue
        n, n_total, digest = int(check[1]), int(check[2]), check[3]
        if total is None:
            total = n_total
        elif n_total != total:
            error(
                r,
                columns["check"],
                "edited-check",
                f"the check cell of segment {sid!r} does not match the other rows",
            )
            continue
        if n in seen:
            error(
                r,
                columns["segment_id"],
                "duplicate-row",
                f"segment {sid!r} appears twice (also at row {seen[n] + 1})",
            )
            continue
        seen[n] = r
        if grid.meta_segments is not None and (
            n > len(grid.meta_segments) or grid.meta_segments[n - 1] != sid
        ):
            error(
                r,
                columns["segment_id"],
                "edited-id",
                f"segment_id {sid!r} was edited (machine column)",
            )
            continue
        if seg_text is not None and sid not in seg_text:
            error(
                r,
                columns["segment_id"],
                "unknown-segment",
                f"segment {sid!r} is not in the segments",
            )
            continue
        cell = get(row, "text")
        spans: list[tuple[int, int]] | None = None  # the sentences of a numbered row
        plain = _unneutralise(cell)
        if digest not in (text_hash(cell), text_hash(plain)):
            numbered = _unnumbered(_clean(plain))  # a numbered turn's text is clean: CRLF -> LF
            if numbered is None or text_hash(numbered[0]) != digest:
                error(
                    r,
                    columns["text"],
                    "edited-text",
                    f"the text of segment {sid!r} was edited; put notes in the memo column instead",
                )
                continue
            plain, spans = numbered
        if seg_text is not None and text_hash(seg_text[sid]) != digest:
            transcript = get(row, "transcript").strip()
            error(
                r,
                columns["text"],
                "changed-text",
                f"the text of segment {sid!r} changed in the transcripts since the sheet was written"
                + (f" (transcript {_unneutralise(transcript)})" if transcript else ""),
            )
            continue
        length = len(seg_text[sid]) if seg_text is not None else len(plain)
        applied: list[tuple[str, list[tuple[int, int]]]] = []
        bad = False
        for ci, code_id in code_cols:
            try:
                excerpts = _code_mark(row[ci] if ci < len(row) else "", spans, length)
            except SelectionError as exc:
                error(r, ci, "bad-excerpt" if spans is not None else "unknown-mark", str(exc))
                bad = True
                continue
            if excerpts is not None:
                applied.append((code_id, excerpts))
        flags: dict[str, bool] = {}
        for name in (NONE, SKIP):
            flag = _mark(get(row, name))
            if flag is None:
                error(
                    r,
                    columns[name],
                    "unknown-mark",
                    f"unknown mark {get(row, name).strip()!r} (use x or leave empty)",
                )
                bad = True
            elif flag and applied:
                error(
                    r,
                    columns[name],
                    f"{name}-and-codes",
                    f"segment {sid!r} is marked {name} but has codes",
                )
                bad = True
            flags[name] = bool(flag)
        if bad:
            continue
        memo = _unneutralise(get(row, MEMO)).strip()
        context = get(row, "role").strip() == ROLE_FACILITATOR
        if flags[SKIP] or not (applied or flags[NONE] or memo):
            untouched[context] += 1  # not reviewed: the coder said nothing about this row
            continue
        decided[n] = (sid, applied, memo, digest)
    if total is not None:
        for n in range(1, total + 1):
            if n not in seen:
                sid = (
                    f"segment {grid.meta_segments[n - 1]!r}"
                    if grid.meta_segments and n <= len(grid.meta_segments)
                    else f"segment {n} of {total}"
                )
                error(
                    header_at + n,
                    0,
                    "deleted-row",
                    f"the row of {sid} was deleted (it was written as row {header_at + n + 1})",
                )
    if warnings is not None:
        warnings.extend(notes)
    if found:
        shown = found[:MAX_FINDINGS]
        more = f"; the first {MAX_FINDINGS} are shown" if len(found) > MAX_FINDINGS else ""
        raise FindingsError(
            f"the coding sheet has {len(found)} problem{'s' if len(found) != 1 else ''}{more}",
            shown,
            file=str(path),
            hint="fix the cells named above (or write a fresh sheet) and read it again",
        )
    from qualcode.provenance import CODEBOOK, TEXT_HASH, codebook_identity

    # The sheet's check cell holds the hash of the text the coder saw: it goes into the codings.
    identity = codebook_identity(codebook) if codebook is not None else ""
    if not identity and grid.meta and grid.meta.get("codebook_id"):
        identity = grid.meta["codebook_id"][0]
    out_rows = []
    for n in sorted(decided):
        sid, applied, memo, digest = decided[n]
        cells: list[tuple[str, str, str]] = []
        for code_id, excerpts in applied or [("", [])]:
            if excerpts:  # one row per excerpt
                cells.extend((code_id, str(a), str(b)) for a, b in excerpts)
            else:
                cells.append((code_id, "", ""))
        for i, (code_id, start, end) in enumerate(cells):
            out_rows.append(
                (
                    sid,
                    code_id,
                    coder,
                    ORIGIN_MANUAL,
                    memo if i == 0 else "",
                    start,
                    end,
                    digest,
                    identity,
                )
            )
    out = pd.DataFrame(out_rows, columns=[*CODING_COLUMNS, TEXT_HASH, CODEBOOK])
    out.attrs[NEW_CODES_ATTR] = [code for code, _ in new_codes]
    out.attrs[COUNTS_ATTR] = {
        "rows": len(decided) + untouched[False] + untouched[True],
        "reviewed": len(decided),
        "with_codes": sum(bool(v[1]) for v in decided.values()),
        "untouched": untouched[False] + untouched[True],
        "untouched_context": untouched[True],
    }
    return out


def sheet_counts(codings: pd.DataFrame) -> dict[str, int] | None:
    """Rows of the sheet read by `read_coding_sheet`: rows, reviewed, with_codes, untouched (not
    reviewed), untouched_context (facilitator rows among them). None for other codings."""
    return codings.attrs.get(COUNTS_ATTR)


_DATE = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?|\d{1,2}[-/ ][A-Za-z]{3,9}|[A-Za-z]{3,9}[-/ ]\d{1,4}"
    r"|\d{1,2}/\d{1,2}/\d{2,4})$"
)


def _code_mark(
    value: str, spans: list[tuple[int, int]] | None, length: int
) -> list[tuple[int, int]] | None:
    """A code cell read: None (not applied), [] (the whole turn) or the excerpts (start, end).

    `spans` are the sentences of a numbered row (None: the row shows no numbers, where `1` still
    means "applied"). Raises SelectionError with the message for the cell."""
    v = value.strip()
    if _DATE.match(v):
        raise SelectionError(
            f"{v!r} is a date: the spreadsheet turned sentence numbers into a date; "
            "write them as 2..3 or 2 to 3, or format the column as text"
        )
    chars = v[:1] in "cC" and v[1:2].isdigit()
    if not (chars or spans is not None and v[:1].isdigit()):
        mark = _mark(v)
        if mark is None:
            if spans is None and v[:1].isdigit():
                raise SelectionError(
                    f"unknown mark {v!r}: this turn's text shows no sentence numbers "
                    "(use x for the whole turn, or leave empty)"
                )
            hint = SENTENCE_HINT if spans is not None else "use x or leave empty"
            raise SelectionError(f"unknown mark {v!r} ({hint})")
        return [] if mark else None
    try:
        picked = parse_selection(v, spans or [], length)
    except SelectionError as exc:
        raise SelectionError(f"{exc} ({SENTENCE_HINT})") from None
    return [] if spans and is_whole_turn(picked, spans) else picked


def _mark(value: str) -> bool | None:
    v = value.strip().lower()
    if v in MARKS_TRUE:
        return True
    if v in MARKS_FALSE:
        return False
    return None
