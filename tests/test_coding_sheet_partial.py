"""A partly filled coding sheet (issue 13.2): blank rows are not reviewed; `none` says "reviewed,
no code applies"; --from-sheet counts reviewed and untouched rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import load_workbook

from qualcode.io import read_codings

DATA = Path(__file__).parent / "data" / "code_modes"
# Sheet rows 3-9: g1:1 (facilitator), g1:2, g1:3, g1:4, g2:1 (facilitator), g2:2, g2:3.
# Columns H RI1, I RI2, J RI3, K memo, L none.


def test_a_second_coder_who_fills_one_group_reviewed_only_that_group(cli, tmp_path):
    for name in ("codebook.yaml", "segments.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    seg, book, sheet = tmp_path / "segments.csv", tmp_path / "codebook.yaml", tmp_path / "b.xlsx"
    result = cli("code", seg, "-c", book, "--coder", "bob", "--sheet", sheet)
    assert result.exit_code == 0, result.stderr
    assert f"qualcode code {seg} --codebook {book} --from-sheet {sheet} --coder bob" in (
        " ".join(result.stdout.split())
    )
    assert "'none' where no code applies; blank rows are not reviewed" in result.stdout
    wb = load_workbook(sheet)
    ws = wb["Coding"]
    ws["H4"] = "x"  # g1:2 RI1
    ws["L5"] = "x"  # g1:3 none: reviewed, no code
    ws["I6"] = "x"  # g1:4 RI2 -- group g2 is left for someone else: untouched
    wb.save(sheet)
    out = tmp_path / "bob.csv"
    result = cli("code", seg, "--from-sheet", sheet, "--coder", "bob", "-c", book, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"read {sheet}: 3 segments reviewed, 2 with codes (2 codes applied); 4 rows left "
        "untouched (2 of them facilitator context), not counted as reviewed"
    )
    df = read_codings(out)
    assert [tuple(r) for r in df[["segment_id", "code_id"]].to_numpy()] == [
        ("g1:2", "RI1"),
        ("g1:3", ""),
        ("g1:4", "RI2"),
    ]


def test_none_beside_a_code_mark_is_an_error(cli, tmp_path):
    for name in ("codebook.yaml", "segments.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    sheet = tmp_path / "b.xlsx"
    cli("code", tmp_path / "segments.csv", "-c", tmp_path / "codebook.yaml", "--coder", "bob",
        "--sheet", sheet)  # fmt: skip
    wb = load_workbook(sheet)
    wb["Coding"]["H4"], wb["Coding"]["L4"] = "x", "x"
    wb.save(sheet)
    result = cli("code", "--from-sheet", sheet, "--coder", "bob", "-o", tmp_path / "b.csv")
    assert result.exit_code == 1
    assert f"{sheet}:Coding!L4: segment 'g1:2' is marked none but has codes" in result.stderr
