"""`qualcode compare --unit turn|span|sentence` on real files: the published unitizing example run
through the CLI, sentence-level counts, the unit stated in every format, and every error."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

# One turn of 300 characters carrying Krippendorff's (2004, p. 254) example (continuum 150..450,
# shifted to 0..300): codes c and k; see tests/test_agreement_unitized.py for the source.
TEXT_300 = ("word " * 60).strip() + "."
assert len(TEXT_300) == 300

SEGMENTS = f"""\
segment_id,transcript_id,turn,speaker,role,text
G1:1,G1,1,P1,participant,{TEXT_300}
"""
CODEBOOK = """\
title: Unitizing example
codes:
  - id: c
    label: category c
  - id: k
    label: category k
  - id: z
    label: never used
"""


def _codings(coder: str, rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["segment_id,code_id,coder,origin,memo,start_char,end_char"]
    lines += [f"{s},{c},{coder},manual,,{b},{e}" for s, c, b, e in rows]
    return "\n".join(lines) + "\n"


A_2004 = [("G1:1", "c", "75", "145"), ("G1:1", "c", "220", "250")]
A_2004 += [("G1:1", "k", "30", "90"), ("G1:1", "k", "150", "200")]
B_2004 = [("G1:1", "c", "70", "150"), ("G1:1", "c", "205", "225"), ("G1:1", "c", "250", "270")]
B_2004 += [("G1:1", "k", "30", "90"), ("G1:1", "k", "150", "200")]


@pytest.fixture
def example(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "segments.csv").write_text(SEGMENTS, encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (tmp_path / "a.csv").write_text(_codings("ann", A_2004), encoding="utf-8")
    (tmp_path / "b.csv").write_text(_codings("bob", B_2004), encoding="utf-8")
    return {k: tmp_path / f for k, f in (("seg", "segments.csv"), ("cb", "codebook.yaml"))} | {
        "a": tmp_path / "a.csv",
        "b": tmp_path / "b.csv",
        "dir": tmp_path,
    }


def _json(cli, *args) -> dict:
    result = cli("compare", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_span_reproduces_krippendorff_2004(cli, example):
    data = _json(
        cli, example["a"], example["b"], "--segments", example["seg"], "--codebook", example["cb"],
        "--unit", "span",
    )  # fmt: skip
    unit = data["unit"]
    assert unit["unit"] == "span"
    rows = {r["code_id"]: r for r in unit["span"]["per_code"]}
    assert round(rows["c"]["u_alpha"], 4) == 0.7286
    assert round(rows["c"]["observed"], 4) == 0.0144
    assert round(rows["c"]["expected"], 4) == 0.0532
    assert round(rows["k"]["u_alpha"], 4) == 1.0
    assert rows["z"]["u_alpha"] is None
    assert rows["z"]["reason"].startswith("not observed")
    assert round(unit["span"]["pooled"]["u_alpha"], 4) == 0.8587
    assert unit["span"]["characters"] == 300
    # character 2x2 of c: A marks 100, B 120, both 75 (75..145 in 70..150: 70; 220..250 with 205..225: 5)
    assert [rows["c"][k] for k in ("both", "only_a", "only_b", "neither")] == [75, 25, 45, 155]


def test_turn_is_the_default_and_unchanged(cli, example):
    args = (example["a"], example["b"], "--segments", example["seg"], "--codebook", example["cb"])
    for fmt in ("json", "md", "html", "csv", "table"):
        plain = cli("compare", *args, "--format", fmt)
        turn = cli("compare", *args, "--format", fmt, "--unit", "turn")
        assert plain.exit_code == turn.exit_code == 0, plain.stderr
        assert plain.stdout == turn.stdout
    assert "unit" not in json.loads(cli("compare", *args, "--format", "json").stdout)


def test_unit_is_stated_in_every_format(cli, example):
    args = (example["a"], example["b"], "--segments", example["seg"], "--codebook", example["cb"])
    for unit in ("span", "sentence"):
        table = cli("compare", *args, "--unit", unit)
        assert table.exit_code == 0, table.stderr
        assert f"Unit: {unit}:" in table.stdout
        for fmt in ("md", "html"):
            out = cli("compare", *args, "--unit", unit, "--format", fmt).stdout
            assert f"Unit: {unit}:" in out
        rows = list(
            csv.DictReader(cli("compare", *args, "--unit", unit, "-f", "csv").stdout.splitlines())
        )
        assert {r["unit"] for r in rows} == {unit}
        target = example["dir"] / f"{unit}.xlsx"
        result = cli("compare", *args, "--unit", unit, "-o", target)
        assert result.exit_code == 0, result.stderr
        from openpyxl import load_workbook

        wb = load_workbook(target, read_only=True)
        summary = [tuple(r) for r in wb["summary"].iter_rows(values_only=True)]
        assert any(r[0] == "Unit" and str(r[1]).startswith(f"{unit}:") for r in summary)
        if unit == "span":
            assert "per code (span)" in wb.sheetnames
        wb.close()
    md = cli("compare", *args, "--unit", "span", "-f", "md").stdout
    assert "Krippendorff's unitized alpha (uα) per code" in md
    assert "Krippendorff (1995)" in md


SENT_SEGMENTS = """\
segment_id,transcript_id,turn,speaker,role,text
G1:1,G1,1,P1,participant,"One thing. Two things!  Three?"
G1:2,G1,2,P2,participant,Only one here.
G1:3,G1,3,Mod,facilitator,Why?
"""


def test_sentence_counts(cli, tmp_path):
    # sentences: G1:1#1 0-10, #2 11-22, #3 24-30; G1:2#1 0-14
    (tmp_path / "s.csv").write_text(SENT_SEGMENTS, encoding="utf-8")
    a = [("G1:1", "X", "0", "12"), ("G1:2", "X", "", ""), ("G1:1", "Y", "22", "24")]
    b = [("G1:1", "X", "11", "30"), ("G1:2", "", "", "")]
    (tmp_path / "a.csv").write_text(_codings("ann", a), encoding="utf-8")
    (tmp_path / "b.csv").write_text(_codings("bob", b), encoding="utf-8")
    data = _json(cli, tmp_path / "a.csv", tmp_path / "b.csv", "--segments", tmp_path / "s.csv",
                 "--unit", "sentence")  # fmt: skip
    rows = {r["code_id"]: r for r in data["per_code"]}
    # X: ann covers #1 and one non-space char of #2 ("T" at 11), and G1:2#1; bob #2, #3.
    assert [rows["X"][k] for k in ("both", "only_a", "only_b", "neither")] == [1, 2, 1, 0]
    # Y: ann's span 22..24 holds only whitespace: it covers no sentence.
    assert [rows["Y"][k] for k in ("both", "only_a", "only_b", "neither")] == [0, 0, 0, 4]
    assert data["unit"]["sentence"]["sentences"] == 4
    assert data["overall"]["units"] == 4
    assert {d["segment_id"] for d in data["disagreements"]} == {"G1:1#1", "G1:1#3", "G1:2#1"}


def test_whole_turn_note_and_merge_note(cli, tmp_path):
    (tmp_path / "s.csv").write_text(SENT_SEGMENTS, encoding="utf-8")
    a = [("G1:1", "X", "", ""), ("G1:2", "X", "", "")]
    b = [("G1:1", "X", "0", "10"), ("G1:1", "X", "5", "20"), ("G1:2", "", "", "")]
    (tmp_path / "a.csv").write_text(_codings("ann", a), encoding="utf-8")
    (tmp_path / "b.csv").write_text(_codings("bob", b), encoding="utf-8")
    args = (tmp_path / "a.csv", tmp_path / "b.csv", "--segments", tmp_path / "s.csv")
    out = cli("compare", *args, "--unit", "span", "-f", "md").stdout
    assert "All codings of ann are whole turns" in out
    assert "bob: 1 overlapping span(s) of the same code merged into one unit." in out
    (tmp_path / "b.csv").write_text(_codings("bob", [("G1:1", "X", "", "")]), encoding="utf-8")
    out = cli("compare", *args, "--unit", "span", "-f", "md").stdout
    assert "All codings in every file are whole turns" in out
    assert "All codings of ann" not in out


def _error(result) -> str:
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    return result.stderr.strip().splitlines()[0]


def test_span_out_of_range_names_file_and_row(cli, example):
    bad = example["dir"] / "bad.csv"
    bad.write_text(_codings("bob", [("G1:1", "c", "10", "20"), ("G1:1", "c", "290", "301")]))
    line = _error(cli("compare", example["a"], bad, "--segments", example["seg"], "--unit", "span"))
    assert line == (
        f"error: {bad}:3: span 290..301 does not fit in segment 'G1:1' (300 characters; end is "
        "exclusive, start before end)"
    )
    bad.write_text(_codings("bob", [("G1:1", "c", "20", "10")]))
    assert "span 20..10 does not fit" in _error(
        cli("compare", example["a"], bad, "--segments", example["seg"], "--unit", "sentence")
    )


def test_half_a_span_is_an_error(cli, example):
    bad = example["dir"] / "half.csv"
    bad.write_text(_codings("bob", [("G1:1", "c", "10", "")]))
    line = _error(cli("compare", example["a"], bad, "--segments", example["seg"], "--unit", "span"))
    assert line == f"error: {bad}:2: start_char and end_char must both be given or both be empty"


def test_span_needs_segments(cli, example):
    result = cli("compare", example["a"], example["b"], "--unit", "span")
    assert result.exit_code == 2
    assert "--unit span reads the turn texts from --segments" in result.stderr


def test_three_coders_span_and_sentence(cli, example):
    from qualcode.agreement.unitized import unitized_alpha

    c = example["dir"] / "c.csv"
    c.write_text(_codings("cid", A_2004))
    files = (
        example["a"],
        example["b"],
        c,
        "--segments",
        example["seg"],
        "--codebook",
        example["cb"],
    )
    data = _json(cli, *files, "--unit", "span")
    span = {r["code_id"]: r for r in data["unit"]["span"]["per_code"]}

    def units(rows, code):
        return [(int(b), int(e)) for _, cid, b, e in rows if cid == code]

    want = unitized_alpha([units(A_2004, "c"), units(B_2004, "c"), units(A_2004, "c")], 300)
    assert span["c"]["u_alpha"] == pytest.approx(want.value)
    assert span["c"]["units_3"] == 2
    assert data["unit"]["span"]["coders"] == ["ann", "bob", "cid"]
    table = cli("compare", *files, "--unit", "span")
    assert "Unit: span:" in table.stdout
    assert "Span level: Krippendorff's unitized alpha (uα) per code" in table.stdout
    rows = list(
        csv.DictReader(
            cli("compare", *files, "--unit", "sentence", "-f", "csv").stdout.splitlines()
        )
    )
    assert {r["unit"] for r in rows} == {"sentence"}
    md = cli("compare", *files, "--unit", "sentence", "-f", "md").stdout
    assert "Unit: sentence:" in md
    assert "unit" not in _json(cli, *files)
    page = example["dir"] / "three.html"
    result = cli("compare", *files, "--unit", "span", "-o", page)
    assert result.exit_code == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    assert "Unit: span:" in text
    assert text.index("Krippendorff's unitized alpha (uα) per code</h2>") < text.index("</body>")
    from openpyxl import load_workbook

    for unit in ("span", "sentence"):
        book = example["dir"] / f"three-{unit}.xlsx"
        result = cli("compare", *files, "--unit", unit, "-o", book)
        assert result.exit_code == 0, result.stderr
        wb = load_workbook(book, read_only=True)
        lines = [r[0] for r in wb["summary"].iter_rows(values_only=True)]
        assert any(str(x).startswith(f"Unit: {unit}:") for x in lines)
        assert ("per code (span)" in wb.sheetnames) == (unit == "span")
        wb.close()


def test_methods_paragraph_states_the_unit(cli, example):
    cons = example["dir"] / "consensus.csv"
    cons.write_text(_codings("consensus", A_2004))
    args = (
        "report", "methods", "--segments", example["seg"], "--codings", cons, "--codebook",
        example["cb"], "--coder-a", example["a"], "--coder-b", example["b"], "-f", "md",
    )  # fmt: skip
    span = cli(*args, "--unit", "span")
    assert span.exit_code == 0, span.stderr
    assert (
        "Span-level agreement was measured with Krippendorff's unitized alpha (uα; Krippendorff "
        "1995, 2004) for each code over the characters of the double-coded turns (300 characters; "
        "a coding without a span covers its turn): over the 2 codes with a defined value, uα "
        "0.729 to 1.000 (median 0.864), 0 below 0.667; pooled across codes (1 - sum uDo / sum "
        "uDe, Krippendorff 2004) 0.859." in span.stdout
    )
    sentence = cli(*args, "--unit", "sentence")
    assert sentence.exit_code == 0, sentence.stderr
    assert (
        "Sentence-level agreement, a simplification of span-level agreement, took each sentence of the double-coded turns as a unit (1 in all)"
        in sentence.stdout
    )
    turn = cli(*args)
    assert "Span-level" not in turn.stdout and "Sentence-level" not in turn.stdout
    bad = cli(*args, "--unit", "word")
    assert bad.exit_code == 2


def test_span_with_reviewed_all_covers_every_participant_turn(cli, tmp_path):
    (tmp_path / "s.csv").write_text(SENT_SEGMENTS, encoding="utf-8")
    (tmp_path / "a.csv").write_text(_codings("ann", [("G1:1", "X", "0", "10")]), encoding="utf-8")
    (tmp_path / "b.csv").write_text(_codings("bob", [("G1:2", "X", "", "")]), encoding="utf-8")
    data = _json(cli, tmp_path / "a.csv", tmp_path / "b.csv", "--segments", tmp_path / "s.csv",
                 "--unit", "span", "--reviewed", "all")  # fmt: skip
    span = data["unit"]["span"]
    assert (span["turns"], span["characters"]) == (2, 30 + 14)  # the facilitator turn is left out
    row = span["per_code"][0]
    assert [row[k] for k in ("both", "only_a", "only_b", "neither")] == [0, 10, 14, 20]
