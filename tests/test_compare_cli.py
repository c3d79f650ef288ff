"""`qualcode compare`: every format written and read back, and every error with exit code 1."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from qualcode.agreement.compare import compare_codings, comparison_to_dict
from qualcode.codebook import load_codebook
from qualcode.io import read_codings, read_segments

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
            label: people who are not using
          - id: RI2
            label: "=SUM(1,2)"
themes:
  - id: T2
    label: Voluntary
    repeating_ideas:
      - id: RI3
        label: must be voluntary
"""
SEGMENTS = """\
segment_id,transcript_id,turn,speaker,text
G1:1,G1,1,P1,I want people around who are not using.
G1:2,G1,2,P2,<script>alert('x')</script> nobody should be forced
G1:3,G1,3,P3,"=HYPERLINK(""http://example.com"")"
G1:4,G1,4,P1,[laughs] it has to be real
G2:1,G2,1,Facilitator,Why?
G2:2,G2,2,P4,Because.
"""
CODER_A = """\
segment_id,code_id,coder,origin,memo
G1:1,RI1,ana,manual,
G1:2,RI3,ana,manual,
G1:3,RI2,ana,manual,
G1:4,RI1,ana,manual,
G1:4,RI2,ana,manual,
G2:1,,ana,manual,
"""
CODER_B = """\
segment_id,code_id,coder,origin,memo
G1:1,RI1,ben,manual,
G1:2,,ben,manual,
G1:3,RI1,ben,manual,
G1:4,RI1,ben,manual,
G2:2,RI3,ben,manual,
"""


@pytest.fixture
def study(tmp_path: Path) -> dict[str, Path]:
    files = {
        "cb": ("codebook.yaml", CODEBOOK),
        "seg": ("segments.csv", SEGMENTS),
        "a": ("ana.csv", CODER_A),
        "b": ("ben.csv", CODER_B),
    }
    out = {}
    for key, (name, text) in files.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out[key] = path
    return out


def run(cli, study, *extra):
    return cli(
        "compare",
        study["a"],
        study["b"],
        "--codebook",
        study["cb"],
        "--segments",
        study["seg"],
        *extra,
    )


def core(study) -> dict:
    c = compare_codings(
        read_codings(study["a"]),
        read_codings(study["b"]),
        codebook=load_codebook(study["cb"]),
        segments=read_segments(study["seg"]),
        a_path=study["a"],
        b_path=study["b"],
        segments_path=study["seg"],
    )
    return comparison_to_dict(c)


def test_table_is_the_default(cli, study):
    result = run(cli, study)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Coder A: ana" in out and "reviewed 5 segments" in out
    assert "Double-coded: 4 of 6 segments in the segments file = 67% (usual: 10%-25%)" in out
    assert "Only ana: G2:1" in out and "Only ben: G2:2" in out
    assert "RI1" in out and "Peer support" in out
    assert "Disagreements (3 segments)" in out
    # Transcript text is not rich markup: "[laughs]" survives.
    assert "[laughs]" in out


def test_json_on_stdout_equals_the_core(cli, study):
    result = run(cli, study, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == core(study)
    assert [r["code_id"] for r in data["per_code"]] == ["RI1", "RI2", "RI3"]
    assert {
        "code_id",
        "label",
        "both",
        "only_a",
        "only_b",
        "neither",
        "percent_agreement",
        "cohen_kappa",
        "scott_pi",
        "krippendorff_alpha",
        "gwet_ac1",
        "brennan_prediger",
        "positive_agreement",
    } <= set(data["per_code"][0])
    assert [d["segment_id"] for d in data["disagreements"]] == ["G1:2", "G1:3", "G1:4"]
    assert data["disagreements"][2]["codes_a"] == ["RI1", "RI2"]


def test_json_file_from_the_extension(cli, study, tmp_path):
    out = tmp_path / "agreement.json"
    result = run(cli, study, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == core(study)


def test_csv_per_code_with_formulas_neutralised(cli, study, tmp_path):
    out = tmp_path / "agreement.csv"
    result = run(cli, study, "-o", out)
    assert result.exit_code == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["code_id"] for r in rows] == ["RI1", "RI2", "RI3"]
    assert rows[1]["label"] == "'=SUM(1,2)"
    assert (rows[0]["both"], rows[0]["only_a"], rows[0]["only_b"], rows[0]["neither"]) == (
        "2",
        "0",
        "1",
        "1",
    )


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_transcript_text(cli, study, tmp_path):
    out = tmp_path / "agreement.html"
    result = run(cli, study, "-o", out)
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(page)
    assert "script" not in parser.tags
    text = "".join(parser.text)
    assert "<script>alert('x')</script> nobody should be forced" in text
    assert "&lt;script&gt;" in page
    assert "@media print" in page  # readable when printed
    assert "Disagreements (3 segments)" in text


def test_markdown_file(cli, study, tmp_path):
    out = tmp_path / "agreement.md"
    result = run(cli, study, "-o", out)
    assert result.exit_code == 0, result.stderr
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Inter-coder agreement: ana and ben")
    assert "| RI1 | people who are not using |" in md
    assert "&lt;script&gt;" in md and "<script>" not in md


def test_xlsx_has_the_three_sheets_and_neutralised_cells(cli, study, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "agreement.xlsx"
    result = run(cli, study, "-o", out)
    assert result.exit_code == 0, result.stderr
    wb = load_workbook(out)
    assert {"summary", "per code", "disagreements"} <= set(wb.sheetnames)
    per_code = list(wb["per code"].iter_rows(values_only=True))
    assert per_code[0][:2] == ("code_id", "label")
    assert per_code[2][1] == "'=SUM(1,2)"
    texts = [row[4] for row in wb["disagreements"].iter_rows(values_only=True)]
    assert '\'=HYPERLINK("http://example.com")' in texts
    assert all(cell.data_type != "f" for row in wb["per code"].iter_rows() for cell in row)


def test_table_to_a_text_file(cli, study, tmp_path):
    out = tmp_path / "agreement.txt"
    result = run(cli, study, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "Disagreements (3 segments)" in out.read_text(encoding="utf-8")


def test_format_overrides_extension_and_existing_output_is_backed_up(cli, study, tmp_path):
    out = tmp_path / "agreement.out"
    out.write_text("old", encoding="utf-8")
    result = run(cli, study, "--format", "md", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("# Inter-coder agreement")
    assert [p.read_text(encoding="utf-8") for p in tmp_path.glob("agreement.out.*.bak")] == ["old"]


def test_usage_errors_exit_2(cli, study, tmp_path):
    result = run(cli, study, "-o", tmp_path / "agreement.weird")
    assert result.exit_code == 2
    assert "cannot tell the format" in result.stderr
    result = run(cli, study, "--format", "xlsx")
    assert result.exit_code == 2
    assert "xlsx needs a file" in result.stderr


# --- data errors: one line, exit 1 --------------------------------------------------------------
def _error(result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stderr.splitlines()[0]


def test_missing_columns(cli, study):
    # No coder column is fine (the coder is the file name: test_codings_tolerance.py); no code is not.
    study["b"].write_text("segment_id,coder\nG1:1,ben\n", encoding="utf-8")
    line = _error(run(cli, study))
    assert line == f"error: {study['b']}:1: codings is missing column(s): code_id"


def test_unknown_code_ids_listed(cli, study):
    study["b"].write_text(CODER_B + "G1:1,RI99,ben,manual,\nG1:2,RI100,ben,manual,\n", "utf-8")
    line = _error(run(cli, study))
    assert line == f"error: {study['b']}:7: code ids not in the codebook: RI99, RI100"


def test_unknown_segment_ids(cli, study):
    study["a"].write_text(CODER_A + "G9:1,RI1,ana,manual,\n", encoding="utf-8")
    line = _error(run(cli, study))
    assert line == (
        f"error: {study['a']}:8: segment ids not in the segments file {study['seg']}: G9:1"
    )


def test_two_files_from_the_same_coder(cli, study):
    study["b"].write_text(CODER_B.replace(",ben,", ",ana,"), encoding="utf-8")
    result = cli("compare", study["a"], study["b"])
    line = _error(result)
    assert line == f"error: {study['b']}: both files are from coder 'ana'"
    assert "hint: compare the codings of two different coders" in result.stderr


def test_several_coders_in_one_file(cli, study):
    study["a"].write_text(CODER_A.replace("G1:3,RI2,ana", "G1:3,RI2,ben"), encoding="utf-8")
    result = cli("compare", study["a"], study["b"])
    line = _error(result)
    assert line == (
        f"error: {study['a']}:4: the coder column names 2 coders (ana, ben); "
        "a codings file holds one coder"
    )
    assert "hint: keep one file per coder" in result.stderr


def test_no_overlap(cli, study):
    study["b"].write_text("segment_id,code_id,coder\nG2:2,RI3,ben\n", encoding="utf-8")
    study["a"].write_text("segment_id,code_id,coder\nG1:1,RI1,ana\n", encoding="utf-8")
    line = _error(cli("compare", study["a"], study["b"]))
    assert line == (
        f"error: {study['b']}: no segment was reviewed by both coders: there is nothing to compare"
    )


def test_help_has_an_example(cli):
    result = cli("compare", "--help")
    assert result.exit_code == 0
    assert "Example: qualcode compare" in result.stdout


def test_undefined_statistics_show_a_dash_and_the_reason(cli, study):
    # RI4 is declared but nobody applied it: kappa and alpha are undefined (no variation).
    study["cb"].write_text(
        CODEBOOK + "      - id: RI4\n        label: never applied\n", encoding="utf-8"
    )
    result = cli("compare", study["a"], study["b"], "--codebook", study["cb"])
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.lstrip().startswith("RI4"))
    assert "—" in row
    assert "Krippendorff's alpha: no variation" in result.stdout
    data = json.loads(
        cli("compare", study["a"], study["b"], "--codebook", study["cb"], "-f", "json").stdout
    )
    ri4 = data["per_code"][-1]
    assert (ri4["code_id"], ri4["krippendorff_alpha"], ri4["alpha_band"]) == ("RI4", None, "n/a")


@pytest.mark.parametrize("empty_side", ["a", "b"])
def test_a_header_only_codings_file_is_a_clear_error(cli, study, empty_side):
    study[empty_side].write_text("segment_id,code_id,coder,origin,memo\n", encoding="utf-8")
    line = _error(run(cli, study))
    assert line == (f"error: {study[empty_side]}: no rows: this coder has reviewed no segments")
