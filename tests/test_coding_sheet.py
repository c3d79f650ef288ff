"""Spreadsheet round-trip: `qualcode code --sheet` writes a sheet, a coder edits it (here with
openpyxl or the csv module, as a spreadsheet would), `--from-sheet` reads and checks it."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qualcode.codebook import load_codebook
from qualcode.coding.sheet import read_coding_sheet, text_hash, write_coding_sheet
from qualcode.errors import ContractError, FindingsError
from qualcode.io import read_codings, read_segments

DATA = Path(__file__).parent / "data" / "code_modes"
# Columns of the tiny study's sheet: A segment_id, B check, C transcript, D turn, E speaker,
# F role, G text, H RI1, I RI2, J RI3, K memo, L none. Header in row 2; data rows 3-9:
# 3 g1:1 (facilitator), 4 g1:2, 5 g1:3, 6 g1:4, 7 g2:1 (facilitator), 8 g2:2, 9 g2:3.


@pytest.fixture
def study(tmp_path: Path) -> Path:
    for name in ("codebook.yaml", "segments.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def write_sheet(cli, study: Path, name: str = "coding.xlsx", *extra: str):
    return cli(
        "code", study / "segments.csv", "-c", study / "codebook.yaml", "--coder", "alice",
        "--sheet", study / name, "-o", study / "alice.csv", *extra,
    )  # fmt: skip


def read_sheet(cli, study: Path, name: str = "coding.xlsx", *extra: str):
    return cli(
        "code", "--from-sheet", study / name, "--coder", "alice", "-o", study / "alice.csv", *extra
    )


def rows(path: Path) -> list[tuple[str, ...]]:
    df = read_codings(path)
    return [tuple(r) for r in df[["segment_id", "code_id", "coder", "origin", "memo"]].to_numpy()]


def edit_xlsx(path: Path, cells: dict[str, object], *, delete_row: int | None = None) -> None:
    wb = load_workbook(path)
    ws = wb["Coding"]
    for ref, value in cells.items():
        ws[ref] = value
    if delete_row is not None:
        ws.delete_rows(delete_row)
    wb.save(path)


def test_xlsx_sheet_layout(cli, study):
    result = write_sheet(cli, study)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"wrote {study / 'coding.xlsx'}: 7 rows, 2 facilitator turns greyed as context, "
        "3 code columns"
    )
    assert "--from-sheet" in result.stdout
    wb = load_workbook(study / "coding.xlsx")
    assert wb.sheetnames == ["Coding", "Codebook", "qualcode"]
    assert wb["qualcode"].sheet_state == "hidden"
    ws = wb["Coding"]
    assert [c.value for c in ws[2]] == [
        "segment_id", "check", "transcript", "turn", "speaker", "role", "text",
        "RI1\nThe pill takes care of the body", "RI2\nNot what's up here", "RI3\nNot alone",
        "memo", "none",
    ]  # fmt: skip
    assert ws["C1"].value == (
        "Coder: alice. Mark codes with x (the whole turn), or with the numbers of the sentences "
        "the code covers: 2 = sentence [2], 2-3 = sentences [2] to [3], 1,4 = two excerpts. "
        "Mark 'none' when no code applies. Rows left blank are not reviewed. To add a code, add a "
        "column headed 'new ID: Label' (or 'new ID (THEME): Label')."
    )
    assert ws["H1"].value == "T1 Medication" and ws["J1"].value == "T2 Groups"
    assert "H1:I1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.column_dimensions["A"].hidden and ws.column_dimensions["B"].hidden
    assert ws.freeze_panes == "H3"
    assert [ws[f"A{r}"].value for r in range(3, 10)] == [
        "g1:1", "g1:2", "g1:3", "g1:4", "g2:1", "g2:2", "g2:3"
    ]  # fmt: skip
    # Facilitator turns are grey context; participant turns are not.
    assert ws["G3"].fill.fgColor.rgb.endswith("F2F2F2") and ws["G3"].font.i
    assert not ws["G4"].font.i
    # Text that looks like a formula is neutralised as in every xlsx output (issue 15.5): a string
    # cell becomes a live formula once a coder edits it or saves the sheet as csv.
    # A turn of two or more sentences shows them numbered (excerpts, issue 16.1): the cell then
    # starts with "[1] ", never a formula; the check hash is of the turn text itself.
    assert ws["G5"].data_type == "s"
    assert ws["G5"].value == "[1] =SUM(A1) is how I count days.\n[2] Second line."
    assert ws["G9"].value == "'-Not for me."
    assert (
        ws["B5"].value
        == f"3/7 {text_hash('=SUM(A1) is how I count days.' + chr(10) + 'Second line.')}"
    )
    tick, excerpt = ws.data_validations.dataValidation
    assert tick.formula1 == '"x,✓"' and str(tick.sqref) == "L3:L9"
    # code cells offer x and take sentence numbers (checked on reading back), formatted as text
    assert excerpt.formula1 == '"x,✓"' and str(excerpt.sqref) == "H3:J9"
    assert not excerpt.showErrorMessage
    assert ws.column_dimensions["H"].number_format == "@"
    assert "Medication removes withdrawal." in ws["H2"].comment.text
    book = wb["Codebook"]
    assert [c.value for c in book[1]] == [
        "construct", "theme", "code", "label", "definition", "include", "exclude", "examples"
    ]  # fmt: skip
    assert [c.value for c in book[2]][1:] == [
        "T1 Medication", "RI1", "The pill takes care of the body", "Medication removes withdrawal.",
        "Withdrawal gone.", "Cravings (RI2).", "That's gone.",
    ]  # fmt: skip


def test_xlsx_round_trip_as_a_coder_edits_it(cli, study):
    assert write_sheet(cli, study).exit_code == 0
    edit_xlsx(
        study / "coding.xlsx",
        {
            "H4": "x",  # g1:2 RI1
            "J4": "✓",  # g1:2 RI3
            "K4": "strong quote",
            "I6": "X",  # g1:4 RI2
            "L5": "x",  # g1:3 reviewed, no code applies
            # g2:2 (row 8) left blank: not reviewed
            "J9": 1,  # g2:3 RI3, typed as a number
            "K7": "facilitator reframes",  # a memo on context: reviewed, no code
        },
    )
    result = read_sheet(cli, study)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"read {study / 'coding.xlsx'}: 5 segments reviewed, 3 with codes (4 codes applied); "
        "2 rows left untouched (1 of them facilitator context), not counted as reviewed",
        f"wrote {study / 'alice.csv'}",
    ]
    assert rows(study / "alice.csv") == [
        ("g1:2", "RI1", "alice", "manual", "strong quote"),
        ("g1:2", "RI3", "alice", "manual", ""),
        ("g1:3", "", "alice", "manual", ""),
        ("g1:4", "RI2", "alice", "manual", ""),
        ("g2:1", "", "alice", "manual", "facilitator reframes"),
        ("g2:3", "RI3", "alice", "manual", ""),
    ]


def test_sorted_sheet_reads_back_in_segment_order(study):
    book = load_codebook(study / "codebook.yaml")
    segments = read_segments(study / "segments.csv")
    path = study / "coding.xlsx"
    write_coding_sheet(segments, book, "alice", path)
    wb = load_workbook(path)
    ws = wb["Coding"]
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    data.reverse()  # the coder sorted the sheet
    for r, values in enumerate(data, start=3):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # as a spreadsheet moves text: "=SUM(A1) ..." stays text
    ws["H3"] = "x"  # now g2:3
    ws["L5"] = "x"  # now g2:1: reviewed, no code
    ws["L7"] = "x"  # now g1:3
    wb.save(path)
    out = read_coding_sheet(path, coder="alice", codebook=book, segments=segments)
    assert list(out["segment_id"]) == ["g1:3", "g2:1", "g2:3"]
    assert list(out["code_id"]) == ["", "", "RI1"]


def test_xlsx_errors_name_every_cell(cli, study):
    assert write_sheet(cli, study).exit_code == 0
    edit_xlsx(
        study / "coding.xlsx",
        {"H4": "maybe", "G6": "I still crave it. (edited)", "J2": "RI9\nInvented"},
        delete_row=9,
    )
    result = read_sheet(cli, study)
    assert result.exit_code == 1
    sheet = study / "coding.xlsx"
    assert result.stderr.splitlines() == [
        f"error: {sheet}:Coding!J2: column 'RI9' is not a code in the codes this sheet was "
        "written with",
        f"error: {sheet}:Coding!A2: the column of code 'RI3' was deleted",
        f"error: {sheet}:Coding!H4: unknown mark 'maybe' (use x for the whole turn, sentence "
        "numbers such as 2 or 2-3 or 1,4, or leave empty)",
        f"error: {sheet}:Coding!G6: the text of segment 'g1:4' was edited; put notes in the memo "
        "column instead",
        f"error: {sheet}:Coding!A9: the row of segment 'g2:3' was deleted (it was written as row 9)",
        f"error: {sheet}: the coding sheet has 5 problems",
        "hint: fix the cells named above (or write a fresh sheet) and read it again",
    ]
    assert not (study / "alice.csv").exists()


def test_unknown_code_column_against_the_codebook_and_edited_ids(cli, study):
    assert write_sheet(cli, study).exit_code == 0
    edit_xlsx(study / "coding.xlsx", {"I2": "RI7", "A5": "g1:99", "B6": "tampered"})
    result = read_sheet(cli, study, "coding.xlsx", "-c", study / "codebook.yaml")
    assert result.exit_code == 1
    sheet = study / "coding.xlsx"
    assert f"error: {sheet}:Coding!I2: column 'RI7' is not a code in the codebook" in result.stderr
    assert f"error: {sheet}:Coding!A5: segment_id 'g1:99' was edited (machine column)" in (
        result.stderr
    )
    assert f"error: {sheet}:Coding!B6: the check cell of segment 'g1:4' was edited" in (
        result.stderr
    )


def test_duplicated_row_skip_with_codes_and_transcript_changes(study):
    book = load_codebook(study / "codebook.yaml")
    segments = read_segments(study / "segments.csv")
    path = study / "coding.xlsx"
    write_coding_sheet(segments, book, "alice", path)
    wb = load_workbook(path)
    ws = wb["Coding"]
    ws.append([c.value for c in ws[4]])  # g1:2 pasted again as row 10
    ws["H6"], ws["L6"] = "x", "x"
    wb.save(path)
    changed = segments.copy()
    changed.loc[changed["segment_id"] == "g2:2", "text"] = "Re-transcribed."
    with pytest.raises(FindingsError) as err:
        read_coding_sheet(path, coder="alice", codebook=book, segments=changed)
    assert [str(f) for f in err.value.findings] == [
        f"{path}:Coding!L6: segment 'g1:4' is marked none but has codes",
        f"{path}:Coding!G8: the text of segment 'g2:2' changed in the transcripts since the sheet "
        "was written (transcript g2)",
        f"{path}:Coding!A10: segment 'g1:2' appears twice (also at row 4)",
    ]


def test_csv_sheet_round_trip(cli, study):
    result = write_sheet(cli, study, "coding.csv")
    assert result.exit_code == 0, result.stderr
    raw = (study / "coding.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows "Café" correctly
    with open(study / "coding.csv", encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == [
        "segment_id", "check", "transcript", "turn", "speaker", "role", "text",
        "RI1: The pill takes care of the body", "RI2: Not what's up here", "RI3: Not alone",
        "memo", "none",
    ]  # fmt: skip
    assert table[2][6] == "[1] The withdrawal is gone. [2] Café every morning."
    assert table[3][6] == "[1] =SUM(A1) is how I count days.\n[2] Second line."
    assert table[7][6] == "'-Not for me."
    # The coder marks it in a spreadsheet and saves it back.
    table[2][7] = "yes"
    table[4][8] = "✔"
    table[4][10] = "=not a formula"
    table[3][11] = "x"  # g1:3 reviewed, no code (the none column)
    table[7][9] = "x"
    with open(study / "coding.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)
    result = read_sheet(cli, study, "coding.csv", "-c", study / "codebook.yaml")
    assert result.exit_code == 0, result.stderr
    assert rows(study / "alice.csv") == [
        ("g1:2", "RI1", "alice", "manual", ""),
        ("g1:3", "", "alice", "manual", ""),
        ("g1:4", "RI2", "alice", "manual", "=not a formula"),
        ("g2:3", "RI3", "alice", "manual", ""),
    ]  # g2:2 left blank: not reviewed


def test_csv_saved_by_excel_in_cp1252_with_semicolons(study):
    book = load_codebook(study / "codebook.yaml")
    segments = read_segments(study / "segments.csv")
    path = study / "coding.csv"
    write_coding_sheet(segments, book, "alice", path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    table[2][9] = "X"
    table[3][11] = "x"  # g1:3: none
    with open(path, "w", encoding="cp1252", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(table)
    out = read_coding_sheet(path, coder="alice", codebook=book, segments=segments)
    assert list(zip(out["segment_id"], out["code_id"], strict=True))[:2] == [
        ("g1:2", "RI3"),
        ("g1:3", ""),
    ]


def test_csv_errors_use_spreadsheet_cell_references(study):
    book = load_codebook(study / "codebook.yaml")
    segments = read_segments(study / "segments.csv")
    path = study / "coding.csv"
    write_coding_sheet(segments, book, "alice", path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    table[3][7] = "perhaps"
    del table[5]  # g2:1's row
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)
    with pytest.raises(FindingsError) as err:
        read_coding_sheet(path, coder="alice", codebook=book)
    assert [str(f) for f in err.value.findings] == [
        f"{path}:H4: unknown mark 'perhaps' (use x for the whole turn, sentence numbers such as 2 "
        "or 2-3 or 1,4, or leave empty)",
        f"{path}:A6: the row of segment 5 of 7 was deleted (it was written as row 6)",
    ]


def _csv_sheet_with(study: Path, text: str, memo: str = ""):
    """A csv sheet whose g1:2 turn is `text`, marked RI1 there, with `memo` on that row."""
    book = load_codebook(study / "codebook.yaml")
    segments = read_segments(study / "segments.csv")
    segments.loc[segments["segment_id"] == "g1:2", "text"] = text
    path = study / "coding.csv"
    write_coding_sheet(segments, book, "alice", path)
    default = csv.field_size_limit(2**30)  # the test's own reader reads long cells too
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh))
    finally:
        csv.field_size_limit(default)
    table[2][7], table[2][10] = "x", memo
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)
    return path, book, segments


def test_csv_sheet_with_a_200_kb_turn_reads_back(study):
    long_turn = "I kept going to the group. " * 8_000  # 216 KB, over csv's 128 KB default
    path, book, segments = _csv_sheet_with(study, long_turn)
    out = read_coding_sheet(path, coder="alice", codebook=book, segments=segments)
    assert ("g1:2", "RI1") in set(zip(out["segment_id"], out["code_id"], strict=True))
    assert csv.field_size_limit() == 131_072  # the process-wide limit is restored


def test_csv_sheet_cell_over_the_limit_is_an_error_naming_the_row(study):
    from qualcode.coding.sheet import SHEET_CSV_FIELD_LIMIT

    path, book, _ = _csv_sheet_with(study, "short", memo="m" * (SHEET_CSV_FIELD_LIMIT + 1))
    with pytest.raises(ContractError) as err:
        read_coding_sheet(path, coder="alice", codebook=book)
    assert str(err.value).startswith(f"{path}:3: cannot read this CSV row: field larger than")
    assert "16 MB" in err.value.hint
    assert csv.field_size_limit() == 131_072


def test_csv_sheet_with_a_huge_cell_through_the_cli(cli, study):
    path, _, _ = _csv_sheet_with(study, "x" * 140_000)
    result = read_sheet(cli, study, "coding.csv", "-c", study / "codebook.yaml")
    assert result.exit_code == 0, result.stderr
    assert ("g1:2", "RI1", "alice", "manual", "") in rows(study / "alice.csv")


def test_sheet_is_prefilled_from_the_coders_codings_and_backed_up(cli, study):
    (study / "alice.csv").write_text(
        "segment_id,code_id,coder,origin,memo\n"
        "g1:2,RI3,alice,manual,first pass\ng1:2,RI1,alice,manual,\ng2:3,,alice,manual,\n"
    )
    assert write_sheet(cli, study).exit_code == 0
    edit_xlsx(study / "coding.xlsx", {"I6": "x"})
    result = write_sheet(cli, study)
    assert result.exit_code == 0, result.stderr
    assert "pre-filled 2 marks on 2 segments from" in result.stdout
    backups = sorted(study.glob("coding.xlsx.*.bak"))
    assert len(backups) == 1
    assert (
        load_workbook(io.BytesIO(backups[0].read_bytes()))["Coding"]["I6"].value == "x"
    )  # the coder's marks are kept
    assert f"warning: {study / 'coding.xlsx'} existed: the old sheet" in result.stderr
    ws = load_workbook(study / "coding.xlsx")["Coding"]
    assert [ws[f"{c}4"].value for c in "HIJKL"] == ["x", None, "x", "first pass", None]
    assert ws["L9"].value == "x"  # g2:3 was reviewed with no code: pre-filled as none
    result = read_sheet(cli, study)
    assert result.exit_code == 0, result.stderr
    assert rows(study / "alice.csv")[:2] == [
        ("g1:2", "RI1", "alice", "manual", "first pass"),
        ("g1:2", "RI3", "alice", "manual", ""),
    ]
    assert len(list(study.glob("alice.csv.*.bak"))) == 1  # the codings it replaced


def test_prefill_with_a_code_not_in_the_codebook_is_an_error(cli, study):
    (study / "alice.csv").write_text("segment_id,code_id,coder\ng1:2,RI8,alice\n")
    result = write_sheet(cli, study)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {study / 'alice.csv'}:2: the codings use code 'RI8', which is not in the codebook"
    )


def test_other_coder_is_a_warning(cli, study):
    assert write_sheet(cli, study).exit_code == 0
    result = cli(
        "code", "--from-sheet", study / "coding.xlsx", "--coder", "bob", "-o", study / "bob.csv"
    )
    assert result.exit_code == 0, result.stderr
    assert "the sheet was written for coder 'alice', read as 'bob'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-sheet", "coding.docx"], "a coding sheet must be .xlsx or .csv, not '.docx'"),
        (["--from-sheet", "missing.xlsx"], "coding sheet not found"),
        (["--from-sheet", "notes.xlsx"], "cannot read the coding sheet as an xlsx workbook"),
        (["--from-sheet", "empty.csv"], "no header row with a segment_id column"),
        (["--from-sheet", "notext.csv"], "the sheet has no 'text' column"),
        (["--from-sheet", "coding.xlsx", "-o", "coding.xlsx"], "the codings would overwrite the input file"),
        (["--from-sheet", "renamed.xlsx"], "the workbook has no 'Coding' sheet (sheets: Data"),
        (["segments.csv", "-c", "codebook.yaml", "--sheet", "coding.docx"], "a coding sheet must be .xlsx or .csv"),
    ],
)  # fmt: skip
def test_sheet_errors(cli, study, args, message):
    assert write_sheet(cli, study).exit_code == 0
    (study / "notes.xlsx").write_text("not a workbook")
    (study / "empty.csv").write_text("a,b\n1,2\n")
    (study / "notext.csv").write_text("segment_id,check\ng1:2,1/1 00000000\n")
    wb = load_workbook(study / "coding.xlsx")
    wb["Coding"].title = "Data"
    wb.save(study / "renamed.xlsx")
    full = [str(study / a) if a.endswith((".xlsx", ".csv", ".docx", ".yaml")) else a for a in args]
    result = cli("code", "--coder", "alice", *full)
    assert result.exit_code == 1, result.stdout
    assert message in result.stderr


def test_from_sheet_with_sources_checks_the_segments(cli, study):
    assert write_sheet(cli, study).exit_code == 0
    segments = (study / "segments.csv").read_text().replace("g2:3,g2,3", "g2:9,g2,9")
    (study / "segments.csv").write_text(segments)
    result = cli(
        "code", study / "segments.csv", "--from-sheet", study / "coding.xlsx", "--coder", "alice",
        "-o", study / "alice.csv",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {study / 'coding.xlsx'}:Coding!A9: segment 'g2:3' is not in the segments"
    )


def test_xlsx_sheet_over_excels_row_limit_is_refused_before_writing(cli, study, monkeypatch):
    # The tiny study has 7 segments; the hidden qualcode sheet needs 8 rows more than that.
    import qualcode.coding.sheet as sheet_module

    (study / "coding.xlsx").write_bytes(b"old sheet")
    monkeypatch.setattr(sheet_module, "XLSX_MAX_ROWS", 14)
    result = write_sheet(cli, study)
    assert result.exit_code == 1
    assert (
        "an xlsx coding sheet of 7 segments would need 15 rows, more than the 14 rows a sheet "
        "can have in Excel" in result.output
    )
    assert "write a .csv sheet (no row limit), or one sheet per group of at most 6" in result.output
    assert "Traceback" not in result.output
    assert (study / "coding.xlsx").read_bytes() == b"old sheet"  # untouched, no backup made
    assert sorted(p.name for p in study.iterdir()) == [
        "codebook.yaml",
        "coding.xlsx",
        "segments.csv",
    ]
    # At the limit it is written; a csv sheet has no limit.
    monkeypatch.setattr(sheet_module, "XLSX_MAX_ROWS", 15)
    assert write_sheet(cli, study).exit_code == 0
    monkeypatch.setattr(sheet_module, "XLSX_MAX_ROWS", 1)
    assert write_sheet(cli, study, "coding.csv").exit_code == 0
