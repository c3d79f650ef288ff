"""Which study file a table is, from its columns: a file passed where codings are expected.

A decisions log has segment_id and code_id too, so it used to be read as codings (its disputed
rows counted as applied codes, dropped ones included); a segments file or a coding sheet failed
with a puzzling "missing column code_id". Each is recognised by columns only it has, and the
error says what the file is and which command reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from qualcode.errors import ContractError

# (kind, columns that together mark it, which command reads it)
KINDS: tuple[tuple[str, frozenset[str], str], ...] = (
    (
        "a decisions log (reconcile's audit trail)",
        frozenset({"decision", "coder_a", "coder_b"}),
        "it is read by `qualcode reconcile --decisions`; the consensus codings are the file "
        "reconcile wrote with -o",
    ),
    (
        "a coding sheet",
        frozenset({"segment_id", "check", "text"}),
        "read it back into codings with `qualcode code SEGMENTS --from-sheet SHEET --coder NAME "
        "-o codings/NAME.csv`",
    ),
    (
        "a segments file (from `qualcode ingest`)",
        frozenset({"segment_id", "transcript_id", "turn", "text"}),
        "pass it as --segments; codings are the files in codings/ (one per coder)",
    ),
    (
        "a roster",
        frozenset({"transcript_id", "speaker", "participant_id"}),
        "pass it as --roster",
    ),
)


def refuse_other_kind(columns: Iterable[str], path: str | Path | None) -> None:
    """Raise ContractError when `columns` are those of another study file, not codings."""
    names = {str(c).strip().casefold() for c in columns}
    has_codes = bool(names & {"code_id", "code"})
    for kind, marks, reader in KINDS:
        # A codings file may carry extra columns (turn, text, speaker for reading): only a table
        # without a code column is taken for segments, a sheet or a roster.
        if marks <= names and (not has_codes or "decision" in marks):
            raise ContractError(
                f"this is {kind}, not a codings file", file=path, line=1, hint=reader
            )


def refuse_coding_sheet_workbook(path: str | Path) -> None:
    """An .xlsx coding sheet read as codings: its title row comes first, so the columns that mark
    it (`segment_id`, `check`, `text`) are on row 2 of its Coding sheet. Called only when the
    codings columns are missing, so a workbook is opened again only on the way to an error."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - not a workbook we can open: the columns error stands
        return
    try:
        if "Coding" not in book.sheetnames:
            return
        rows = book["Coding"].iter_rows(min_row=2, max_row=2, values_only=True)
        header = [str(v) for v in next(rows, ()) if v is not None]
    finally:
        book.close()
    if header:
        try:
            refuse_other_kind(header, path)
        except ContractError as exc:  # the columns are on row 2 of the Coding sheet, not line 1
            raise ContractError(exc.message, file=f"{path}:Coding!A2", hint=exc.hint) from None
