"""The spreadsheet modes of `qualcode code`: `--sheet FILE` writes a coding sheet, `--from-sheet FILE`
reads the coder's marks back into codings (imported lazily by `qualcode/cli/code.py`)."""

from __future__ import annotations

from pathlib import Path

import typer

PROGRESS_ROWS = 20_000  # an xlsx sheet takes about a second per 15,000 rows to write
PROGRESS_SHEET_BYTES = 300_000  # and about 3 s per MB of xlsx to read back (~2,000 rows)


def _print_warnings(findings) -> None:
    for finding in findings:
        typer.echo(f"warning: {finding}", err=True)


def write_sheet(
    sources: list[Path],
    codebook_path: Path,
    coder: str,
    sheet: Path,
    codings: Path,
    roster: Path | None,
) -> None:
    """Write the coding sheet; pre-fill it from the coder's codings file when that exists."""
    from contextlib import nullcontext

    from qualcode.cli.render import progress_bar
    from qualcode.cli.sources import load_segments
    from qualcode.codebook import load_codebook
    from qualcode.coding.sheet import (
        SHEET_SEGMENT_COLUMNS,
        check_sheet_size,
        sheet_prefill,
        write_coding_sheet,
    )
    from qualcode.errors import QualcodeError
    from qualcode.io import backup_existing, read_codings

    # `qualcode code` has checked that the sheet is none of the inputs (codings included).
    warnings: list = []
    book = load_codebook(codebook_path, warnings=warnings)
    _print_warnings(warnings)
    segments = load_segments(sources, roster)
    check_sheet_size(sheet, len(segments))  # before the backup: nothing written when too long
    existing = read_codings(codings) if codings.exists() else None
    if existing is not None:
        from qualcode.cli.checks import check_text

        check_text(existing, codings, segments)  # pre-filling marks onto turns that moved
    # Only what the sheet shows is kept while it is written: the codings as marks, the segments'
    # shown columns (a 250,000-segment study took 2.9 KB a segment, issue 19).
    segments = segments[[c for c in SHEET_SEGMENT_COLUMNS if c in segments.columns]]
    try:
        existing = sheet_prefill(existing, book) if existing is not None else None
    except QualcodeError as exc:
        if exc.file is None:
            exc.file = str(codings)
        raise
    backup = None
    if sheet.exists():
        backup = backup_existing(sheet)
    big = len(segments) >= PROGRESS_ROWS and sheet.suffix.lower() != ".csv"
    try:
        with progress_bar("Writing the sheet", len(segments)) if big else nullcontext() as advance:
            info = write_coding_sheet(
                segments, book, coder, sheet, existing=existing, backup=False, progress=advance
            )
    except QualcodeError as exc:
        if existing is not None and exc.file is None:
            exc.file = str(codings)
        raise
    if backup is not None:
        _print_warnings(
            [f"{sheet} existed: the old sheet (and any marks in it) is kept as {backup}"]
        )
    context = (
        f", {info.context_rows} facilitator turns greyed as context" if info.context_rows else ""
    )
    typer.echo(f"wrote {sheet}: {info.rows} rows{context}, {info.codes} code columns")
    if existing is not None:
        typer.echo(
            f"pre-filled {info.prefilled_marks} marks on {info.prefilled_segments} segments "
            f"from {codings}"
        )
    import shlex

    # The segments go with the read-back: the sheet's text hashes are checked against them, so
    # turns that moved since (a re-ingested transcript) are found, not silently mis-joined.
    given = " ".join(shlex.quote(str(p)) for p in sources)
    # --codebook in the read-back: a column the coder adds for a code found in the data
    # (`new ID: Label`) is written into it (a csv sheet has no instruction row to say so).
    from qualcode.coding.sheet import NEW_HEADER_FORM

    typer.echo(
        "mark codes with x (or the numbers of the sentences a code covers, e.g. 2-3; 'none' "
        "where no code applies; blank rows are not reviewed; a code found in the data gets a "
        f"column headed {NEW_HEADER_FORM}), then read it back: qualcode code {given} "
        f"--codebook {shlex.quote(str(codebook_path))} --from-sheet {shlex.quote(str(sheet))} "
        f"--coder {shlex.quote(coder)} -o {shlex.quote(str(codings))}"
    )


def read_sheet(
    sheet: Path,
    codebook_path: Path | None,
    coder: str,
    output: Path,
    sources: list[Path] | None,
    roster: Path | None,
) -> None:
    """Read the marks back, validate them, write the codings."""
    from contextlib import nullcontext

    from qualcode.cli.render import progress_bar
    from qualcode.cli.sources import load_segments
    from qualcode.codebook import load_codebook
    from qualcode.coding.sheet import read_coding_sheet
    from qualcode.io import write_codings

    # `qualcode code` has checked that -o is none of the inputs (the sheet included).
    warnings: list = []
    book = load_codebook(codebook_path, warnings=warnings) if codebook_path is not None else None
    segments = load_segments(sources, roster) if sources else None
    big = sheet.suffix.lower() in (".xlsx", ".xlsm") and sheet.is_file()
    big = big and sheet.stat().st_size >= PROGRESS_SHEET_BYTES
    with progress_bar("Reading the sheet", None) if big else nullcontext() as advance:
        codings = read_coding_sheet(
            sheet,
            coder=coder,
            codebook=book,
            segments=segments,
            warnings=warnings,
            progress=advance,
        )
    _print_warnings(warnings)
    added = _add_new_codes(codings, codebook_path, coder)
    write_codings(codings, output)
    for line in added:
        typer.echo(line)
    from qualcode.coding.sheet import sheet_counts

    counts = sheet_counts(codings)
    reviewed = codings["segment_id"].nunique()
    coded = codings.loc[codings["code_id"] != "", "segment_id"].nunique()
    marked = codings[codings["code_id"] != ""]
    applied = len(marked.drop_duplicates(["segment_id", "code_id"]))  # excerpts of one code: once
    on_excerpts = marked.loc[marked["start_char"] != "", ["segment_id", "code_id"]]
    excerpts = (
        f", {len(on_excerpts.drop_duplicates())} of them on excerpts ({len(on_excerpts)} excerpts)"
        if len(on_excerpts)
        else ""
    )
    untouched = ""
    if counts is not None:
        context = counts["untouched_context"]
        among = f" ({context} of them facilitator context)" if context else ""
        untouched = f"; {counts['untouched']} rows left untouched{among}, not counted as reviewed"
    typer.echo(
        f"read {sheet}: {reviewed} segments reviewed, {coded} with codes ({applied} codes "
        f"applied{excerpts}){untouched}"
    )
    typer.echo(f"wrote {output}")


def _add_new_codes(codings, codebook_path: Path | None, coder: str) -> list[str]:
    """Write the codes the sheet's `new ID: Label` columns add into the codebook (inductive, by
    the coder, today) before the codings that use them; the codings then name the new codebook.
    Returns what to tell the coder."""
    from qualcode.coding.sheet import sheet_new_codes

    new = sheet_new_codes(codings)
    if not new or codebook_path is None:  # without a codebook the sheet reader refused them
        return []
    from qualcode.codebook_edit import add_codes
    from qualcode.provenance import CODEBOOK, codebook_identity

    book = add_codes(codebook_path, new, added_by=coder)
    if CODEBOOK in codings.columns:
        codings[CODEBOOK] = codebook_identity(book)
    lines = []
    for code in new:
        added = book.code(code.id)
        where = f"under {added.theme_id}" if added.theme_id else "without a theme"
        lines.append(
            f"added {added.id} {added.label} to {codebook_path} {where} (origin: inductive, "
            f"added by {added.added_by} on {added.added_on})"
        )
    return lines
