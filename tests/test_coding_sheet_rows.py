"""The coding rows of an xlsx sheet are written as XML directly (not cell by cell through openpyxl):
every kind of text comes back from openpyxl, in normal and read-only mode, as it went in."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from qualcode.codebook import load_codebook
from qualcode.coding.sheet import read_coding_sheet, sheet_counts, write_coding_sheet

DATA = Path(__file__).parent / "data" / "code_modes"

TEXTS = [
    "Fish & chips <b>not bold</b> > less",
    "  leading and trailing spaces  ",
    "two\nlines\r\nand a carriage return",
    "=SUM(A1) stays text",
    "+1 and -1 and @name",
    "#N/A looks like an error",
    "Café, naïve, 東京, emoji 🙂",
    "quotes \" and ' and ]]> end",
    "tab\tinside",
    "control\x01char\x1f gone",
]


def _segments(texts: list[str]) -> pd.DataFrame:
    rows = []
    for i, text in enumerate(texts, start=1):
        role = "facilitator" if i % 4 == 1 else "participant"
        rows.append(
            {
                "segment_id": f"g1:{i}",
                "transcript_id": "g1",
                "turn": i,
                "speaker": "Mod" if role == "facilitator" else f"P{i}",
                "role": role,
                "text": text,
            }
        )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("read_only", [False, True])
def test_texts_marks_and_turns_read_back_as_written(tmp_path, read_only):
    book = load_codebook(DATA / "codebook.yaml")
    segments = _segments(TEXTS)
    existing = pd.DataFrame(
        {
            "segment_id": ["g1:2", "g1:2", "g1:3"],
            "code_id": ["RI1", "RI3", ""],
            "memo": ["a memo & <note>", "", ""],
        }
    )
    path = tmp_path / "coding.xlsx"
    calls: list[int] = []
    write_coding_sheet(segments, book, "alice", path, existing=existing, progress=calls.append)
    assert sum(calls) == len(TEXTS)

    wb = load_workbook(path, read_only=read_only)
    got = [list(r) for r in wb["Coding"].iter_rows(min_row=3, values_only=True)]
    wb.close()
    expected_text = [t.replace("\r\n", "\n").replace("\x01", "").replace("\x1f", "") for t in TEXTS]
    # Formula-like text gets the apostrophe every xlsx output gives it (issue 15.5).
    expected_text = ["'" + t if t[:1] in "=+-@" else t for t in expected_text]
    assert [r[6] for r in got] == expected_text
    assert [r[3] for r in got] == list(range(1, len(TEXTS) + 1))  # the turn is a number
    assert [r[0] for r in got] == list(segments["segment_id"])
    assert got[1][7:12] == ["x", None, "x", "a memo & <note>", None]
    assert got[2][7:12] == [None, None, None, None, "x"]  # g1:3 reviewed, no code: none
    assert all(r[7:10] == [None, None, None] for i, r in enumerate(got) if i != 1)


def test_rows_round_trip_through_read_coding_sheet(tmp_path):
    book = load_codebook(DATA / "codebook.yaml")
    segments = _segments(TEXTS)
    path = tmp_path / "coding.xlsx"
    write_coding_sheet(segments, book, "alice", path)
    wb = load_workbook(path)
    ws = wb["Coding"]
    ws["I4"] = "x"  # g1:2, RI2
    ws["K7"] = "memo"  # g1:5 is a facilitator row: a memo makes it reviewed
    for row in range(5, 13):  # every text, formula-like ones included, read back by its hash
        if row != 7:
            ws[f"L{row}"] = "x"
    wb.save(path)
    out = read_coding_sheet(path, coder="alice", codebook=book, segments=segments)
    coded = out.loc[out["code_id"] != "", ["segment_id", "code_id"]]
    assert [tuple(r) for r in coded.to_numpy()] == [("g1:2", "RI2")]
    assert list(out["segment_id"]) == [f"g1:{i}" for i in range(2, 11)]
    assert sheet_counts(out) == {
        "rows": 10, "reviewed": 9, "with_codes": 1, "untouched": 1, "untouched_context": 1
    }  # fmt: skip


def test_layout_survives_around_the_rows(tmp_path):
    book = load_codebook(DATA / "codebook.yaml")
    path = tmp_path / "coding.xlsx"
    write_coding_sheet(_segments(TEXTS), book, "alice", path)
    ws = load_workbook(path)["Coding"]
    last = 2 + len(TEXTS)
    assert ws.dimensions == f"A1:L{last}"
    assert ws.freeze_panes == "H3"
    assert ws.auto_filter.ref == f"A2:L{last}"
    assert {str(r) for r in ws.merged_cells.ranges} == {"C1:G1", "H1:I1"}
    tick, excerpt = ws.data_validations.dataValidation
    assert (str(tick.sqref), str(excerpt.sqref)) == (f"L3:L{last}", f"H3:J{last}")
    assert ws["G3"].font.i and ws["G3"].fill.fgColor.rgb.endswith("F2F2F2")  # context row
    assert ws["H3"].fill.fgColor.rgb.endswith("F2F2F2")  # its empty mark cells are written grey
    assert ws["G4"].alignment.wrap_text and not ws["G4"].font.i


def test_reading_an_xlsx_sheet_reports_its_rows(tmp_path):
    book = load_codebook(DATA / "codebook.yaml")
    path = tmp_path / "coding.xlsx"
    write_coding_sheet(_segments(TEXTS), book, "alice", path)
    calls: list[int] = []
    read_coding_sheet(path, coder="alice", codebook=book, progress=calls.append)
    assert sum(calls) == 2 + len(TEXTS)  # the two header rows and every coding row
