"""read_codings: the checks run once per distinct value, with the same errors, rows and output as
the plain per-row checks (kept below as the reference)."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from qualcode.errors import ContractError
from qualcode.io import read_codings, read_csv_table
from qualcode.model import CODING_COLUMNS

HEADER = "segment_id,code_id,coder,origin,start_char,end_char,memo\n"


def _reference(path):
    """The per-row implementation read_codings replaced (strip every cell, regex every offset)."""
    df = read_csv_table(path, what="codings")
    for col in CODING_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    for col in ("segment_id", "code_id", "coder"):
        df[col] = df[col].str.strip()
    empty_seg = df["segment_id"] == ""
    if empty_seg.any():
        i = int(empty_seg.to_numpy().nonzero()[0][0])
        raise ContractError("segment_id is empty", file=path, line=i + 2)
    for col in ("start_char", "end_char"):
        vals = df[col].str.strip()
        bad = (vals != "") & ~vals.str.fullmatch(r"\d+")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise ContractError(
                f"{col} must be empty or a whole number, got {df[col].iat[i]!r}",
                file=path,
                line=i + 2,
            )
    start, end = df["start_char"].str.strip(), df["end_char"].str.strip()
    for i in range(len(df)):  # an excerpt: both offsets, start before end (issue 16.1)
        a, b = start.iat[i], end.iat[i]
        if bool(a) != bool(b):
            raise ContractError(
                "start_char and end_char must both be given or both be empty",
                file=path,
                line=i + 2,
            )
    for i in range(len(df)):
        a, b = start.iat[i], end.iat[i]
        if a and int(a) >= int(b):
            raise ContractError(
                f"span {a}..{b} does not fit in segment {df['segment_id'].iat[i]!r} "
                "(end is exclusive, start before end)",
                file=path,
                line=i + 2,
            )
    extra = [c for c in df.columns if c not in CODING_COLUMNS]
    return df[list(CODING_COLUMNS) + extra]


def _write(tmp_path, rows, name="c.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _error(path):
    with pytest.raises(ContractError) as info:
        read_codings(path)
    return info.value


def test_empty_segment_id_reports_the_first_blank_row(tmp_path):
    rows = [["G1:1", "RI1", "ana", "manual", "", "", ""]] * 3
    rows += [
        ["G1:2", "RI1", "ana", "manual", "", "", ""],
        ["  ", "RI2", "ana", "manual", "", "", ""],
    ]
    rows += [["", "RI2", "ana", "manual", "", "", ""]]
    err = _error(_write(tmp_path, rows))
    assert err.message == "segment_id is empty" and err.line == 6
    # a blank value seen earlier than another blank spelling wins
    rows[1] = ["", "RI1", "ana", "manual", "", "", ""]
    assert _error(_write(tmp_path, rows)).line == 3


@pytest.mark.parametrize("col", ["start_char", "end_char"])
@pytest.mark.parametrize("value", ["1.5", "-3", "12a", "x", "²"])
def test_bad_offsets_name_the_row_and_the_raw_value(tmp_path, col, value):
    good = ["G1:1", "RI1", "ana", "manual", " 12 ", "40", ""]
    bad = list(good)
    bad[HEADER.strip().split(",").index(col)] = value
    path = _write(tmp_path, [good, good, bad, bad])
    err = _error(path)
    assert err.message == f"{col} must be empty or a whole number, got {value!r}"
    assert err.line == 4


def test_offsets_with_spaces_or_any_decimal_digits_are_whole_numbers(tmp_path):
    # like re's \d: every Unicode decimal digit counts; superscripts do not (test above)
    rows = [["G1:1", "RI1", "ana", "manual", " 12 ", "٣٤", ""], ["G1:2", "", "ana", "", "", "", ""]]
    df = read_codings(_write(tmp_path, rows))
    assert df["start_char"].tolist() == [" 12 ", ""]  # offsets are checked, not rewritten
    assert df["end_char"].tolist() == ["٣٤", ""]


def test_ids_and_coder_are_stripped_and_other_columns_kept(tmp_path):
    rows = [
        [" G1:1 ", " RI1", "ana ", " manual ", "", "", " a memo "],
        ["G1:1", "RI1", "ana", "", "", "", ""],
    ]
    df = read_codings(_write(tmp_path, rows))
    assert df["segment_id"].tolist() == ["G1:1", "G1:1"]
    assert df["code_id"].tolist() == ["RI1", "RI1"]
    assert df["coder"].tolist() == ["ana", "ana"]
    assert df["origin"].tolist() == [" manual ", ""]
    assert df["memo"].tolist() == [" a memo ", ""]


def test_bom_and_cp1252_files_read_as_before(tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfsegment_id,code_id,coder\nG1:1,RI1,Zo\xc3\xab\n")
    assert read_codings(bom)["coder"].tolist() == ["Zoë"]
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(b"segment_id,code_id,coder\nG1:1,RI1,Zo\xeb\n")
    assert read_codings(legacy)["coder"].tolist() == ["Zoë"]


def test_header_only_file(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("segment_id,code_id,coder\n")
    df = read_codings(path)
    assert len(df) == 0 and list(df.columns) == list(CODING_COLUMNS)


def test_an_excerpt_has_both_offsets_start_before_end(tmp_path):
    ok = ["G1:1", "RI1", "ana", "manual", "3", "9", ""]
    err = _error(_write(tmp_path, [ok, ["G1:2", "RI1", "ana", "manual", "3", "", ""]]))
    assert (err.message, err.line) == (
        "start_char and end_char must both be given or both be empty",
        3,
    )
    err = _error(_write(tmp_path, [ok, ok, ["G1:2", "RI1", "ana", "manual", "9", "9", ""]]))
    assert (err.message, err.line) == (
        "span 9..9 does not fit in segment 'G1:2' (end is exclusive, start before end)",
        4,
    )


@pytest.mark.parametrize("seed", range(8))
def test_same_frame_or_same_error_as_the_per_row_reference(tmp_path, seed):
    rnd = random.Random(seed)
    pool = {
        "segment_id": ["G1:1", " G1:2", "G2:10 ", "G3:1"] + ([" ", ""] if seed % 2 else []),
        "code_id": ["RI1", " RI2", "", "RI3 ", "  "],
        "coder": ["ana", " ana", "ana  "],
        "start_char": ["", "", "3", " 17", "0"] + (["4.0", "٣"] if seed % 3 == 0 else []),
        "end_char": ["", "", "9", "120 ", "2"] + (["x"] if seed % 4 == 1 else []),
        "memo": ["", "note", " spaced "],
    }
    rows = []
    for _ in range(rnd.randint(1, 300)):
        row = {c: rnd.choice(v) for c, v in pool.items()}
        rows.append([row["segment_id"], row["code_id"], row["coder"], "manual",
                     row["start_char"], row["end_char"], row["memo"]])  # fmt: skip
    path = _write(tmp_path, rows)
    try:
        expected = _reference(path)
    except ContractError as err:
        got = _error(path)
        assert (got.message, got.line) == (err.message, err.line)
        return
    pd.testing.assert_frame_equal(read_codings(path), expected)
