"""Excerpts in the coding sheet (issue 16.1): turns shown with numbered sentences, code cells that
take sentence numbers (2-3, 1,4), read back as start_char/end_char; old sheets read the same."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qualcode.io import read_codings

DATA = Path(__file__).parent / "data" / "code_modes"
ANSWER = (
    "I was scared at first. Then the group helped, e.g. with cravings. "
    "We met on Tuesdays [laughs]. It was fine."
)
SENTENCES = [
    "I was scared at first.",
    "Then the group helped, e.g. with cravings.",
    "We met on Tuesdays [laughs].",
    "It was fine.",
]
# Sheet columns: G text, H RI1, I RI2, J RI3, K memo, L none; rows 3 i1:1 (facilitator),
# 4 i1:2 (the four-sentence answer), 5 i1:3 (one sentence).


@pytest.fixture
def study(tmp_path: Path) -> Path:
    shutil.copy(DATA / "codebook.yaml", tmp_path / "codebook.yaml")
    rows = [
        ["i1:1", "i1", "1", "Interviewer", "", "facilitator", "How was it? Tell me."],
        ["i1:2", "i1", "2", "P1", "P1", "participant", ANSWER],
        ["i1:3", "i1", "3", "P1", "P1", "participant", "Yes."],
    ]
    with open(tmp_path / "segments.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["segment_id", "transcript_id", "turn", "speaker", "participant_id", "role", "text"]
        )
        writer.writerows(rows)
    return tmp_path


def write_sheet(cli, study: Path, name: str):
    return cli(
        "code", study / "segments.csv", "-c", study / "codebook.yaml", "--coder", "alice",
        "--sheet", study / name, "-o", study / "alice.csv",
    )  # fmt: skip


def read_sheet(cli, study: Path, name: str):
    return cli(
        "code", study / "segments.csv", "-c", study / "codebook.yaml", "--from-sheet",
        study / name, "--coder", "alice", "-o", study / "alice.csv",
    )  # fmt: skip


def excerpts(path: Path) -> list[tuple[str, str, str]]:
    """(segment, code, excerpt text or "" for the whole turn) of each codings row."""
    df = read_codings(path)
    texts = {"i1:1": "How was it? Tell me.", "i1:2": ANSWER, "i1:3": "Yes."}
    out = []
    for sid, code, start, end in df[["segment_id", "code_id", "start_char", "end_char"]].to_numpy():
        out.append((sid, code, texts[sid][int(start) : int(end)] if start else ""))
    return out


def edit_xlsx(path: Path, cells: dict[str, str]) -> None:
    wb = load_workbook(path)
    for ref, value in cells.items():
        wb["Coding"][ref] = value
    wb.save(path)


def edit_csv(path: Path, cells: dict[tuple[int, int], str]) -> None:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    for (r, c), value in cells.items():
        table[r][c] = value
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)


def test_xlsx_sentences_are_numbered_and_excerpts_read_back(cli, study):
    result = write_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 0, result.stderr
    assert "the numbers of the sentences a code covers, e.g. 2-3" in result.stdout
    ws = load_workbook(study / "coding.xlsx")["Coding"]
    assert ws["G4"].value == " ".join(f"[{k}] {s}" for k, s in enumerate(SENTENCES, start=1))
    assert ws["G5"].value == "Yes."  # one sentence: nothing to number
    assert ws["G3"].value == "[1] How was it? [2] Tell me."  # context rows too
    edit_xlsx(
        study / "coding.xlsx",
        {"H4": "2-3", "I4": "1, 4", "J4": "x", "H5": "1", "I3": "1-2", "K4": "a memo"},
    )
    result = read_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 0, result.stderr
    assert excerpts(study / "alice.csv") == [
        ("i1:1", "RI2", ""),  # sentences 1-2 of 2 are the whole turn: no span
        ("i1:2", "RI1", SENTENCES[1] + " " + SENTENCES[2]),
        ("i1:2", "RI2", SENTENCES[0]),  # 1,4: two excerpts, two rows
        ("i1:2", "RI2", SENTENCES[3]),
        ("i1:2", "RI3", ""),
        ("i1:3", "RI1", ""),  # "1" where no numbers are shown: applied, as before
    ]
    df = read_codings(study / "alice.csv")
    assert list(df["memo"]) == ["", "a memo", "", "", "", ""]  # on the segment's first row
    assert list(df["start_char"])[1:3] == ["23", "0"]
    assert "4 codes applied, 2 of them on excerpts (3 excerpts)" not in result.stdout
    assert "(5 codes applied, 2 of them on excerpts (3 excerpts))" in result.stdout


def test_excerpt_cells_are_text_so_excel_keeps_2_3(cli, study):
    write_sheet(cli, study, "coding.xlsx")
    ws = load_workbook(study / "coding.xlsx")["Coding"]
    assert ws.column_dimensions["H"].number_format == "@"  # empty cells take the column's style
    assert ws["H3"].number_format == "@"  # a context row writes every cell, greyed
    assert ws["K3"].number_format == "General"  # the memo is free text


def test_csv_excerpts_and_other_range_forms(cli, study):
    assert write_sheet(cli, study, "coding.csv").exit_code == 0
    edit_csv(study / "coding.csv", {(2, 7): "2..3", (2, 8): "4 to 4", (2, 9): "3 1"})
    result = read_sheet(cli, study, "coding.csv")
    assert result.exit_code == 0, result.stderr
    assert excerpts(study / "alice.csv") == [
        ("i1:2", "RI1", SENTENCES[1] + " " + SENTENCES[2]),
        ("i1:2", "RI2", SENTENCES[3]),
        ("i1:2", "RI3", SENTENCES[0]),
        ("i1:2", "RI3", SENTENCES[2]),
    ]


def test_bad_selections_name_the_cell_and_what_to_write(cli, study):
    write_sheet(cli, study, "coding.xlsx")
    edit_xlsx(study / "coding.xlsx", {"H4": "5", "I4": "3-2", "J4": "maybe", "H5": "2-3"})
    result = read_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 1
    sheet = study / "coding.xlsx"
    hint = "use x for the whole turn, sentence numbers such as 2 or 2-3 or 1,4, or leave empty"
    assert result.stderr.splitlines()[:4] == [
        f"error: {sheet}:Coding!H4: no sentence 5: the turn has 4 sentences (1-4) ({hint})",
        f"error: {sheet}:Coding!I4: sentences '3-2': write the smaller number first ({hint})",
        f"error: {sheet}:Coding!J4: unknown mark 'maybe' ({hint})",
        f"error: {sheet}:Coding!H5: unknown mark '2-3': this turn's text shows no sentence "
        "numbers (use x for the whole turn, or leave empty)",
    ]
    assert not (study / "alice.csv").exists()


def test_a_date_made_by_a_spreadsheet_is_explained(cli, study):
    write_sheet(cli, study, "coding.csv")
    edit_csv(study / "coding.csv", {(2, 7): "3-Feb"})  # Excel's reading of 2-3 in a csv
    result = read_sheet(cli, study, "coding.csv")
    assert result.exit_code == 1
    assert (
        f"error: {study / 'coding.csv'}:H3: '3-Feb' is a date: the spreadsheet turned sentence "
        "numbers into a date; write them as 2..3 or 2 to 3, or format the column as text"
    ) in result.stderr


def test_a_date_in_an_xlsx_code_cell_is_explained(cli, study):
    import datetime

    write_sheet(cli, study, "coding.xlsx")
    wb = load_workbook(study / "coding.xlsx")
    wb["Coding"]["H4"] = datetime.datetime(2026, 2, 3)  # a General cell typed 2-3 in Excel
    wb.save(study / "coding.xlsx")
    result = read_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {study / 'coding.xlsx'}:Coding!H4: '2026-02-03 00:00:00' is a date: the "
        "spreadsheet turned sentence numbers into a date; write them as 2..3 or 2 to 3, or format "
        "the column as text"
    )


def test_excerpts_prefill_and_read_back_unchanged(cli, study):
    """A coder resuming: excerpts in the codings file are shown as sentence numbers (or c12-40
    when they do not fall on sentences) and read back to the same start_char/end_char."""
    starts = [ANSWER.index(s) for s in SENTENCES]
    rows = [
        ("i1:2", "RI1", "alice", "manual", "memo", starts[1], starts[2] + len(SENTENCES[2])),
        ("i1:2", "RI2", "alice", "manual", "", starts[0], len(SENTENCES[0])),
        ("i1:2", "RI2", "alice", "manual", "", starts[3], len(ANSWER)),
        ("i1:2", "RI3", "alice", "manual", "", 2, 9),  # "was sca": from another program
        ("i1:3", "RI1", "alice", "manual", "", "", ""),
    ]
    with open(study / "alice.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["segment_id", "code_id", "coder", "origin", "memo", "start_char", "end_char"]
        )
        writer.writerows(rows)
    before = excerpts(study / "alice.csv")
    result = write_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 0, result.stderr
    ws = load_workbook(study / "coding.xlsx")["Coding"]
    assert [ws[f"{c}4"].value for c in "HIJ"] == ["2-3", "1, 4", "c2-9"]
    assert ws["H5"].value == "x"
    result = read_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 0, result.stderr
    assert excerpts(study / "alice.csv") == before


def test_prefill_refuses_an_excerpt_outside_its_turn(cli, study):
    with open(study / "alice.csv", "w", newline="", encoding="utf-8") as fh:
        fh.write("segment_id,code_id,coder,origin,memo,start_char,end_char\n")
        fh.write("i1:3,RI1,alice,manual,,0,40\n")
    result = write_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {study / 'alice.csv'}:2: span 0..40 does not fit in segment 'i1:3' (4 characters; "
        "end is exclusive, start before end)\n"
    )
    # the library call checks it too
    from qualcode.codebook import load_codebook
    from qualcode.coding.sheet import write_coding_sheet
    from qualcode.errors import ContractError
    from qualcode.io import read_segments

    with pytest.raises(ContractError) as info:
        write_coding_sheet(
            read_segments(study / "segments.csv"),
            load_codebook(study / "codebook.yaml"),
            "alice",
            study / "coding.xlsx",
            existing=read_codings(study / "alice.csv"),
        )
    assert info.value.message == "an excerpt 0-40 lies outside the 4 characters of its turn"


def test_a_sheet_written_before_excerpts_reads_the_same(cli, study):
    """Old sheets show the turn without numbers: `1` there means "applied" (the whole turn)."""
    write_sheet(cli, study, "coding.xlsx")
    edit_xlsx(
        study / "coding.xlsx",
        {"G4": ANSWER, "G3": "How was it? Tell me.", "H4": "1", "I4": "x", "L5": "x"},
    )
    result = read_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 0, result.stderr
    assert excerpts(study / "alice.csv") == [
        ("i1:2", "RI1", ""),
        ("i1:2", "RI2", ""),
        ("i1:3", "", ""),
    ]


def test_a_csv_sheet_saved_with_crlf_line_ends_in_cells_reads_the_same_excerpts(cli, study):
    with open(study / "segments.csv", "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["i1:4", "i1", "4", "P1", "P1", "participant", "One.\nTwo. Three."])
    write_sheet(cli, study, "coding.csv")
    with open(study / "coding.csv", encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[4][6] == "[1] One.\n[2] Two. [3] Three."
    table[4][6] = table[4][6].replace("\n", "\r\n")  # as some spreadsheets save a cell's lines
    table[4][7] = "2-3"
    with open(study / "coding.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)
    result = read_sheet(cli, study, "coding.csv")
    assert result.exit_code == 0, result.stderr
    df = read_codings(study / "alice.csv")
    assert df[["segment_id", "start_char", "end_char"]].values.tolist() == [["i1:4", "5", "16"]]


def test_edited_numbered_text_is_still_found(cli, study):
    write_sheet(cli, study, "coding.xlsx")
    edit_xlsx(study / "coding.xlsx", {"G4": "[1] I was scared. [2] Then.", "H4": "x"})
    result = read_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 1
    assert "Coding!G4: the text of segment 'i1:2' was edited" in result.stderr


def test_an_excerpt_past_the_end_of_its_turn_is_refused_where_segments_are_given(cli, study):
    header = "segment_id,code_id,coder,origin,memo,start_char,end_char\n"
    (study / "a.csv").write_text(header + "i1:2,RI1,a,manual,,0,22\ni1:3,RI1,a,manual,,0,40\n")
    (study / "b.csv").write_text(header + "i1:2,RI1,b,manual,,,\ni1:3,RI1,b,manual,,,\n")
    result = cli(
        "compare", study / "a.csv", study / "b.csv", "--codebook", study / "codebook.yaml",
        "--segments", study / "segments.csv",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {study / 'a.csv'}:3: span 0..40 does not fit in segment 'i1:3' (4 characters; end "
        "is exclusive, start before end)"
    )
