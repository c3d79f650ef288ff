"""Codings files made by other tools and by hand in Excel: they work, or fail with one line naming
the file and row and a hint saying what was probably meant (through the real CLI)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from qualcode.io import read_codings, read_segments, read_table
from qualcode.roster import read_roster

CODEBOOK = """\
title: Tiny study
constructs:
  - id: C1
    label: Care
    themes:
      - id: T1
        label: Peer support
        repeating_ideas:
          - id: RI1
            label: People who are not using
          - id: RI2
            label: Somebody to call
      - id: T2
        label: Belonging
        repeating_ideas:
          - id: RI7
            label: Same boat
"""
SEGMENTS = """\
segment_id,transcript_id,turn,speaker,role,text
group1:1,group1,1,Facilitator,facilitator,What helps?
group1:2,group1,2,P1,participant,People who are not using.
group1:3,group1,3,P2,participant,We are all in the same boat.
group1:4,group1,4,P3,participant,Someone to call at night.
group2:1,group2,1,P4,participant,Same boat here.
group2:2,group2,2,P5,participant,I call my sponsor.
"""
# The reference coders, as qualcode writes them.
MARIA = [("group1:2", "RI1"), ("group1:3", "RI7"), ("group1:4", "RI2"), ("group2:1", "RI7")]
BEN = [("group1:2", "RI1"), ("group1:3", "RI7"), ("group1:4", ""), ("group2:1", "RI7")]


def csv_text(rows, coder, *, delimiter=",", header=("segment_id", "code_id", "coder")) -> str:
    lines = [delimiter.join(header)]
    lines += [delimiter.join([s, c, coder][: len(header)]) for s, c in rows]
    return "\n".join(lines) + "\n"


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def study(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (tmp_path / "segments.csv").write_text(SEGMENTS, encoding="utf-8")
    (tmp_path / "maria.csv").write_text(csv_text(MARIA, "maria"), encoding="utf-8")
    (tmp_path / "ben.csv").write_text(csv_text(BEN, "ben"), encoding="utf-8")
    return {
        "dir": tmp_path,
        "cb": tmp_path / "codebook.yaml",
        "seg": tmp_path / "segments.csv",
        "a": tmp_path / "maria.csv",
        "b": tmp_path / "ben.csv",
    }


def compare_json(cli, study, a, b, *extra) -> dict:
    result = cli("compare", a, b, "--codebook", study["cb"], "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def figures(report: dict) -> list:
    """What an agreement report says, without the file names."""
    return [
        report["coders"],
        report["reviewed"],
        [(r["code_id"], r["both"], r["only_a"], r["only_b"]) for r in report["per_code"]],
    ]


def failure(result) -> tuple[str, str]:
    """(error line, hint line) of a data error: exit 1, no traceback."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [x for x in result.stderr.splitlines() if not x.startswith("note: ")]
    hint = next((x for x in lines if x.startswith("hint: ")), "")
    return lines[0], hint


# --- 1. Excel-saved CSV: cp1252, `;` and tab delimiters -------------------------------------------
def test_semicolon_cp1252_crlf_codings_compare_like_the_comma_file(cli, study):
    expected = figures(compare_json(cli, study, study["a"], study["b"]))
    european = study["dir"] / "maria_excel.csv"
    text = csv_text(
        MARIA, "maria", delimiter=";", header=("segment_id", "code_id", "coder", "memo")
    )
    text = text.replace("\n", ";café, très bien\r\n").replace("coder;café, très bien", "coder")
    european.write_bytes(text.encode("cp1252"))
    assert figures(compare_json(cli, study, european, study["b"])) == expected
    df = read_codings(european)
    assert df["memo"].tolist() == ["café, très bien"] * 4


def test_tab_delimited_codings_compare_like_the_comma_file(cli, study):
    expected = figures(compare_json(cli, study, study["a"], study["b"]))
    tabbed = study["dir"] / "ben_tabs.csv"
    tabbed.write_text(csv_text(BEN, "ben", delimiter="\t"), encoding="utf-8")
    assert figures(compare_json(cli, study, study["a"], tabbed)) == expected


def test_semicolon_segments_and_roster_for_report(cli, study):
    seg = study["dir"] / "segments_eu.csv"
    seg.write_text(SEGMENTS.replace(",", ";"), encoding="utf-8")
    roster = study["dir"] / "roster_eu.csv"
    roster.write_text(
        "transcript_id;speaker;participant_id;role;gender\n"
        "group1;Facilitator;;facilitator;\ngroup1;P1;P01;;woman\ngroup1;P2;P02;;man\n"
        "group1;P3;P03;;woman\ngroup2;P4;P01;;woman\ngroup2;P5;P05;;man\n",
        encoding="utf-8",
    )
    assert (
        read_segments(seg)["segment_id"].tolist()
        == read_segments(study["seg"])["segment_id"].tolist()
    )
    assert read_roster(roster)["participant_id"].tolist() == ["", "P01", "P02", "P03", "P01", "P05"]
    args = ("--codings", study["a"], "--codebook", study["cb"], "--format", "json")
    plain = cli("report", "hierarchy", "--segments", study["seg"], *args)
    eu = cli("report", "hierarchy", "--segments", seg, "--roster", roster, *args)
    assert plain.exit_code == 0 and eu.exit_code == 0, (plain.stderr, eu.stderr)
    # The roster joins P1 (group1) and P4 (group2) as one participant: 4 participants, not 5.
    assert json.loads(plain.stdout)["summary"]["participants"] == 5
    assert json.loads(eu.stdout)["summary"]["participants"] == 4


def test_delimiter_is_only_sniffed_from_the_expected_header(tmp_path):
    # A comma file whose header has a `;` in a name stays a comma file.
    comma = tmp_path / "c.csv"
    comma.write_text("segment_id,code_id,coder,note;extra\nG1:1,RI1,ana,x;y\n", encoding="utf-8")
    assert read_codings(comma)[["code_id", "note;extra"]].values.tolist() == [["RI1", "x;y"]]
    # A table without the expected names is never split on `;`.
    table = tmp_path / "t.csv"
    table.write_text("a;b\n1;2\n", encoding="utf-8")
    assert list(read_table(table, what="table")) == ["a;b"]


def test_semicolon_file_without_the_columns_names_the_header(cli, study):
    bad = study["dir"] / "bad.csv"
    bad.write_text("Segment;Kode;Rater\ngroup1:2;RI1;maria\n", encoding="utf-8")
    error, hint = failure(cli("compare", bad, study["b"]))
    assert error == f"error: {bad}:1: codings is missing column(s): segment_id, code_id"
    assert hint == (
        "hint: the header must include: segment_id, code_id (found: 'Segment;Kode;Rater')"
    )


# --- 2. .xlsx codings, segments, rosters ---------------------------------------------------------
def maria_sheet(code_at_row_4="RI2") -> list[list[object]]:
    return [
        ["Segment ID", "code_id", "coder", "start_char", "end_char", "memo"],
        ["group1:2", "RI1", "maria", 0.0, 12.0, dt.datetime(2024, 3, 1)],
        ["group1:3", "RI7", "maria", None, None, dt.datetime(2024, 3, 1, 10, 30)],
        ["group1:4", code_at_row_4, "maria", None, None, True],
        ["group2:1", "RI7", "maria", None, None, 3.5],
        [],  # Excel keeps formatted empty rows at the end
        [None, None],
    ]


def test_xlsx_codings_cells_read_as_a_csv_export_holds_them(study):
    path = write_xlsx(study["dir"] / "maria.xlsx", {"Sheet1": maria_sheet()})
    df = read_codings(path)
    assert df[["segment_id", "code_id", "start_char", "end_char", "memo"]].values.tolist() == [
        ["group1:2", "RI1", "0", "12", "2024-03-01"],
        ["group1:3", "RI7", "", "", "2024-03-01T10:30:00"],
        ["group1:4", "RI2", "", "", "TRUE"],
        ["group2:1", "RI7", "", "", "3.5"],
    ]


def test_xlsx_codings_through_compare_reconcile_and_report(cli, study):
    expected = figures(compare_json(cli, study, study["a"], study["b"]))
    xlsx = write_xlsx(study["dir"] / "maria.xlsx", {"Sheet1": maria_sheet()})
    assert figures(compare_json(cli, study, xlsx, study["b"])) == expected

    out = study["dir"] / "consensus.csv"
    args = ("--strategy", "union", "--codebook", study["cb"], "--segments", study["seg"])
    from_csv = cli("reconcile", study["a"], study["b"], *args, "-o", out)
    assert from_csv.exit_code == 0, from_csv.stderr
    consensus_csv = read_codings(out)[["segment_id", "code_id"]].values.tolist()
    from_xlsx = cli("reconcile", xlsx, study["b"], *args, "-o", out)
    assert from_xlsx.exit_code == 0, from_xlsx.stderr
    assert read_codings(out)[["segment_id", "code_id"]].values.tolist() == consensus_csv

    report = ("report", "hierarchy", "--segments", study["seg"], "--codebook", study["cb"])
    # The same codings as CSV, with the sheet's excerpt (0..12) on group1:2: reports use spans.
    spanned = study["dir"] / "maria_spans.csv"
    spanned.write_text(
        "segment_id,code_id,coder,start_char,end_char\n"
        + "".join(f"{s},{c},maria,{'0,12' if s == 'group1:2' else ','}\n" for s, c in MARIA),
        encoding="utf-8",
    )
    plain = cli(*report, "--codings", spanned, "--format", "json")
    excel = cli(*report, "--codings", xlsx, "--format", "json")
    assert excel.exit_code == 0, excel.stderr
    assert json.loads(excel.stdout) == json.loads(plain.stdout)


def test_xlsx_sheet_named_like_the_codings_and_errors_name_the_cell(cli, study):
    rows = [[], *maria_sheet(code_at_row_4="RI9")]  # header on row 2: the data rows are 3..6
    xlsx = write_xlsx(
        study["dir"] / "maria.xlsx", {"Read me": [["coded by Maria"]], "Codings": rows}
    )
    error, hint = failure(cli("compare", xlsx, study["b"], "--codebook", study["cb"]))
    assert error == f"error: {xlsx}:Codings!B5: code ids not in the codebook: RI9"
    assert hint.startswith("hint: fix the typo, or add the code to the codebook")


def test_xlsx_error_in_the_reader_names_the_cell(cli, study):
    sheet = maria_sheet()
    sheet[2][3] = "ten"  # start_char of data row 2 = sheet row 3, column D
    xlsx = write_xlsx(study["dir"] / "maria.xlsx", {"Sheet1": sheet})
    error, _ = failure(cli("compare", xlsx, study["b"]))
    assert (
        error == f"error: {xlsx}:Sheet1!D3: start_char must be empty or a whole number, got 'ten'"
    )


def test_xlsx_segments_and_roster_for_report(cli, study):
    seg_rows = [line.split(",") for line in SEGMENTS.strip().splitlines()]
    seg_rows = [r[:2] + [int(r[2]) if r[2].isdigit() else r[2]] + r[3:] for r in seg_rows]
    segments = write_xlsx(study["dir"] / "segments.xlsx", {"segments": seg_rows})
    roster = write_xlsx(
        study["dir"] / "roster.xlsx",
        {
            "roster": [
                ["Transcript_ID", "Speaker", "Participant_ID", "Role", "Age"],
                ["group1", "P1", "P01", None, 34],
                ["group2", "P4", "P01", None, 34],
            ]
        },
    )
    assert read_segments(segments)["turn"].tolist() == [1, 2, 3, 4, 1, 2]
    assert read_roster(roster)["Age"].tolist() == ["34", "34"]
    result = cli(
        "report",
        "hierarchy",
        "--segments",
        segments,
        "--roster",
        roster,
        "--codings",
        study["a"],
        "--codebook",
        study["cb"],
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["participants"] == 4


def test_damaged_workbook_and_workbook_named_csv(cli, study):
    broken = study["dir"] / "maria.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    error, hint = failure(cli("compare", broken, study["b"]))
    assert error.startswith(f"error: {broken}: cannot read the codings workbook")
    assert hint.startswith("hint: open it in Excel or LibreOffice and save it again as .xlsx")

    renamed = study["dir"] / "maria_wb.csv"
    renamed.write_bytes(write_xlsx(study["dir"] / "x.xlsx", {"S": maria_sheet()}).read_bytes())
    error, hint = failure(cli("compare", renamed, study["b"]))
    assert error == f"error: {renamed}: not a CSV codings: the file is binary"
    assert (
        hint
        == "hint: this looks like an Excel workbook: give it the .xlsx extension, or save as CSV"
    )


def test_workbook_without_data(cli, study):
    empty = write_xlsx(study["dir"] / "maria.xlsx", {"Sheet1": [[], [None]]})
    error, _ = failure(cli("compare", empty, study["b"]))
    assert error == f"error: {empty}: codings workbook has no sheet with data"


# --- 3. header variants --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    [
        ("Segment_ID", " code_id ", "CODER"),
        ("segment id", "Code-ID", "Coder"),
        ("segment", "code", "rater"),
        ("Segment", "Code", "coder_name"),
    ],
)
def test_header_case_spaces_and_synonyms(cli, study, header):
    expected = figures(compare_json(cli, study, study["a"], study["b"]))
    variant = study["dir"] / "maria_v.csv"
    variant.write_text(csv_text(MARIA, "maria", header=header), encoding="utf-8")
    assert list(read_codings(variant).columns[:3]) == ["segment_id", "code_id", "coder"]
    assert figures(compare_json(cli, study, variant, study["b"])) == expected


def test_a_synonym_never_replaces_the_column_itself(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("segment_id,code,code_id,coder\nG1:1,Same boat,RI7,ana\n", encoding="utf-8")
    df = read_codings(path)
    assert df[["code_id", "code"]].values.tolist() == [["RI7", "Same boat"]]
    # Two columns claiming `coder`: neither is taken, so the file has no coder column.
    path.write_text("segment_id,code_id,rater,coder_name\nG1:1,RI7,ana,bo\n", encoding="utf-8")
    assert read_codings(path)["coder"].tolist() == ["c"]


# --- 4. no coder column: the file stem, said where the coders are shown ---------------------------
def test_missing_coder_column_is_the_file_stem_in_compare(cli, study):
    no_coder = study["dir"] / "codings" / "maria.csv"
    no_coder.parent.mkdir()
    no_coder.write_text(csv_text(MARIA, "", header=("segment_id", "code_id")), encoding="utf-8")
    result = cli("compare", no_coder, study["b"], "--codebook", study["cb"])
    assert result.exit_code == 0, result.stderr
    assert f"note: {no_coder} has no coder column: coder 'maria' is the file name" in result.stderr
    assert "Inter-coder agreement: maria and ben" in result.stdout


def test_empty_coder_column_is_the_file_stem_too(cli, study):
    blank = study["dir"] / "ana.csv"
    blank.write_text(csv_text(MARIA, ""), encoding="utf-8")
    assert read_codings(blank)["coder"].unique().tolist() == ["ana"]
    out = study["dir"] / "consensus.csv"
    result = cli("reconcile", blank, study["b"], "--strategy", "union", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert f"note: {blank} has an empty coder column: coder 'ana' is the file name" in result.stderr
    assert "Reconciled ana (A) and ben (B)" in result.stdout


def test_named_coder_column_gives_no_note(cli, study):
    result = cli("compare", study["a"], study["b"])
    assert result.exit_code == 0
    assert "note:" not in result.stderr


# --- 5-6. unknown codes: several in one cell, labels, near-miss ids -------------------------------
CODE_CASES = [
    ("RI1; RI2", "hint: row 4 has several codes in one cell ('RI1; RI2'): write one row per (segment, code)"),
    ("RI1, RI7", "hint: row 4 has several codes in one cell ('RI1, RI7'): write one row per (segment, code)"),
    ("RI1|RI2", "hint: row 4 has several codes in one cell ('RI1|RI2'): write one row per (segment, code)"),
    ("Same boat", "hint: row 4: 'Same boat' is the label of RI7; use the id"),
    ("same  BOAT", "hint: row 4: 'same  BOAT' is the label of RI7; use the id"),
    ("ri7", "hint: row 4: 'ri7' is not a code id; did you mean RI7?"),
    ("RI 7", "hint: row 4: 'RI 7' is not a code id; did you mean RI7?"),
    ("RI07", "hint: row 4: 'RI07' is not a code id; did you mean RI7?"),
    ("Same bot", "hint: row 4: 'Same bot' is not a code id; did you mean RI7 ('Same boat')?"),
    ("XYZ", "hint: fix the typo, or add the code to the codebook"),
]  # fmt: skip


def with_code_at_row_4(study, value: str) -> Path:
    rows = list(MARIA)
    rows[2] = (rows[2][0], value)  # data row 3 = file line 4
    path = study["dir"] / "maria_hand.csv"
    path.write_text(csv_text(rows, "maria", delimiter="\t"), encoding="utf-8")
    return path


@pytest.mark.parametrize(("value", "hint"), CODE_CASES)
def test_unknown_code_hints_in_compare(cli, study, value, hint):
    path = with_code_at_row_4(study, value)
    error, got = failure(cli("compare", path, study["b"], "--codebook", study["cb"]))
    shown = repr(value) if any(c in value for c in " ,;|") else value
    assert error == f"error: {path}:4: code ids not in the codebook: {shown}"
    assert got.startswith(hint)


@pytest.mark.parametrize(("value", "hint"), [CODE_CASES[0], CODE_CASES[3], CODE_CASES[6]])
def test_unknown_code_hints_in_reconcile(cli, study, value, hint):
    path = with_code_at_row_4(study, value)
    out = study["dir"] / "consensus.csv"
    result = cli(
        "reconcile", path, study["b"], "--strategy", "union", "--codebook", study["cb"], "-o", out
    )
    error, got = failure(result)
    assert error.startswith(f"error: {path}:4: code ids not in the codebook: ")
    assert got == hint
    assert not out.exists()


@pytest.mark.parametrize(("value", "hint"), [CODE_CASES[1], CODE_CASES[4], CODE_CASES[7]])
def test_unknown_code_hints_in_report_hierarchy(cli, study, value, hint):
    path = with_code_at_row_4(study, value)
    result = cli(
        "report",
        "hierarchy",
        "--segments",
        study["seg"],
        "--codings",
        path,
        "--codebook",
        study["cb"],
    )
    error, got = failure(result)
    assert error == f"error: {path}:4: code {value!r} is not in the codebook"
    assert got == hint


def test_unknown_code_in_xlsx_hint_uses_the_sheet_row(cli, study):
    xlsx = write_xlsx(study["dir"] / "maria.xlsx", {"Sheet1": maria_sheet("Somebody to call")})
    error, hint = failure(cli("compare", xlsx, study["b"], "--codebook", study["cb"]))
    assert error == f"error: {xlsx}:Sheet1!B4: code ids not in the codebook: 'Somebody to call'"
    assert hint == "hint: row 4: 'Somebody to call' is the label of RI2; use the id"


# --- 7. segment ids in another turn style --------------------------------------------------------
SEGMENT_CASES = [
    ("group1-3", "hint: row 3: 'group1-3' is 'group1:3' in the segments file (segment ids are <transcript_id>:<turn>)"),
    ("group1 3", "hint: row 3: 'group1 3' is 'group1:3' in the segments file (segment ids are <transcript_id>:<turn>)"),
    ("Group1:03", "hint: row 3: 'Group1:03' is 'group1:3' in the segments file (segment ids are <transcript_id>:<turn>)"),
    ("g1t3", "hint: row 3: 'g1t3' is not a segment id; segment ids are <transcript_id>:<turn>, like 'group1:1'"),
    ("group9:3", "hint: row 3: no transcript 'group9' in the segments file (it has group1, group2)"),
]  # fmt: skip


def with_segment_at_row_3(study, value: str) -> Path:
    rows = list(MARIA)
    rows[1] = (value, rows[1][1])  # data row 2 = file line 3
    path = study["dir"] / "maria_hand.csv"
    path.write_text(csv_text(rows, "maria"), encoding="utf-8")
    return path


@pytest.mark.parametrize(("value", "hint"), SEGMENT_CASES)
def test_unknown_segment_hints_in_compare(cli, study, value, hint):
    path = with_segment_at_row_3(study, value)
    error, got = failure(cli("compare", path, study["b"], "--segments", study["seg"]))
    assert error.startswith(f"error: {path}:3: segment ids not in the segments file ")
    assert got == hint


@pytest.mark.parametrize(("value", "hint"), SEGMENT_CASES[:2])
def test_unknown_segment_hints_in_reconcile_and_report(cli, study, value, hint):
    path = with_segment_at_row_3(study, value)
    out = study["dir"] / "consensus.csv"
    rec = cli(
        "reconcile", path, study["b"], "--strategy", "union", "--segments", study["seg"], "-o", out
    )
    error, got = failure(rec)
    assert error == f"error: {path}:3: segment {value!r} is not in {study['seg']}"
    assert got == hint
    rep = cli(
        "report",
        "hierarchy",
        "--segments",
        study["seg"],
        "--codings",
        path,
        "--codebook",
        study["cb"],
    )
    error, got = failure(rep)
    assert error == f"error: {path}:3: segment_id {value!r} is not in the segments"
    assert got == hint
