"""Issue 12, items 1 and 5: a mechanical union is not reconciliation, and the methods paragraph
reports agreement per code.

Measured on the bundled study: 111 differences between coder_a and coder_b; `--strategy union` keeps
all 111 with decided_by rule:union; before reconciliation pooled kappa 0.757 with 94.0% of the
code x turn decisions absent-absent; per code kappa 0.451-1.000 (median 0.792), alpha 0.450-1.000
(median 0.793), 4 of 16 codes with alpha below 0.667.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"
A = STUDY / "codings" / "coder_a.csv"
B = STUDY / "codings" / "coder_b.csv"


@pytest.fixture(scope="module")
def segments(tmp_path_factory):
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    out = tmp_path_factory.mktemp("rec") / "segments.csv"
    result = CliRunner().invoke(
        app, ["ingest", str(STUDY), "--roster", str(STUDY / "roster.csv"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _methods(cli, segments, codings, *extra):
    result = cli(
        "report", "methods", "--segments", segments, "--codings", codings, "--codebook", CODEBOOK,
        "--roster", STUDY / "roster.csv", "--coder-a", A, "--coder-b", B, *extra, "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_union_consensus_is_labelled_mechanical(cli, tmp_path, segments):
    out = tmp_path / "union.csv"
    result = cli("reconcile", A, B, "--strategy", "union", "--codebook", CODEBOOK, "-o", out)
    assert result.exit_code == 0, result.stderr
    log = _rows(tmp_path / "union.decisions.csv")
    assert len(log) == 111
    assert {r["decided_by"] for r in log} == {"rule:union"}
    assert (
        "Consensus formed mechanically by union of both coders' codes; not negotiated"
        in result.stdout
    )
    # No coder-vs-consensus figure: it is inflated by construction.
    assert "vs consensus" not in result.stdout
    assert "before  coder_a vs coder_b" in result.stdout

    d = _methods(cli, segments, out, "--decisions", tmp_path / "union.decisions.csv")
    text = d["summary"]["paragraph"]
    assert (
        "The consensus was formed mechanically by union of both coders' codes (111 differences "
        "decided by rule); it was not negotiated." in text
    )
    assert "Agreement of each coder" not in text
    assert "would not be post-discussion agreement" in text
    assert [r["stage"] for r in d["tables"]["agreement"]] == ["before reconciliation"]
    assert d["summary"]["decisions"]["mechanical"] == 111
    assert d["summary"]["decisions"]["rules"] == ["union"]

    # Without the log, the paragraph says the consensus equals the union and asks for the log.
    d = _methods(cli, segments, out)
    assert (
        "[To complete: how disagreements were resolved: the consensus equals the union of both "
        "coders' codes on the double-coded turns, as the mechanical shortcut union would make it"
    ) in d["summary"]["paragraph"]
    assert "Agreement of each coder" not in d["summary"]["paragraph"]


def test_the_disagreements_sheet_is_filled_and_replayed(cli, tmp_path, segments):
    sheet = tmp_path / "disagreements.csv"
    result = cli(
        "reconcile", A, B, "--sheet", sheet, "--segments", segments, "--codebook", CODEBOOK
    )
    assert result.exit_code == 0, result.stderr
    assert "111 disagreements between coder_a and coder_b" in result.stdout
    rows = _rows(sheet)
    assert len(rows) == 111
    first = rows[0]
    assert list(first) == [
        "segment_id", "code_id", "code_label", "coder_a", "coder_b", "decision", "reason",
        "decided_by", "speaker", "text", "codes_coder_a", "codes_coder_b",
    ]  # fmt: skip
    assert (first["segment_id"], first["code_id"], first["coder_a"], first["coder_b"]) == (
        "group1:3",
        "RI1",
        "1",
        "0",
    )
    assert first["speaker"] == "Luis" and first["text"].startswith("Same here.")
    assert first["code_label"] == "The pill takes care of the body"
    assert (first["decision"], first["reason"]) == ("", "")

    # The coders decide every row in discussion (here: keep what coder_a applied).
    for r in rows:
        r["decision"] = "keep" if r["coder_a"] == "1" else "drop"
        r["reason"] = "agreed in meeting 1"
        r["decided_by"] = "coder_a & coder_b"
    rows.append(
        {**dict.fromkeys(rows[0], ""), "segment_id": "group1:4", "code_id": "RI4",
         "decision": "add", "reason": "education came up", "decided_by": "coder_a & coder_b"}
    )  # fmt: skip
    filled = tmp_path / "filled.csv"
    pd.DataFrame(rows).to_csv(filled, index=False)
    out = tmp_path / "consensus.csv"
    result = cli("reconcile", A, B, "--decisions", filled, "--codebook", CODEBOOK, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "mechanically" not in result.stdout
    assert "after   coder_a vs consensus" in result.stdout
    log = _rows(tmp_path / "consensus.decisions.csv")
    assert len(log) == 112
    assert {r["decided_by"] for r in log} == {"coder_a & coder_b"}
    assert {r["reason"] for r in log} == {"agreed in meeting 1", "education came up"}
    d = _methods(cli, segments, out, "--decisions", tmp_path / "consensus.decisions.csv")
    text = d["summary"]["paragraph"]
    assert (
        "Disagreements were resolved by discussion (negotiated agreement, Campbell et al. 2013)"
        in text
    )
    assert "112 coding decisions on differences were taken in discussion" in text
    assert "Agreement of each coder with the negotiated consensus" in text


def test_a_partly_filled_sheet_leaves_the_rest_open(cli, tmp_path):
    sheet = tmp_path / "d.xlsx"
    assert cli("reconcile", A, B, "--sheet", sheet, "--codebook", CODEBOOK).exit_code == 0
    df = pd.read_excel(sheet, sheet_name="disagreements", dtype=str).fillna("")
    assert pd.read_excel(sheet, sheet_name="how to fill").shape[0] >= 3
    df.loc[:9, "decision"] = "drop"
    filled = tmp_path / "filled.xlsx"
    df.to_excel(filled, index=False, sheet_name="disagreements")
    result = cli("reconcile", A, B, "--decisions", filled, "-o", tmp_path / "c.csv")
    assert result.exit_code == 1
    assert "101 of 111 differences have no decision" in result.stderr
    # A bad word is reported at its own row of the sheet, blank rows notwithstanding.
    df.loc[5, "decision"] = "maybe"
    df.to_excel(filled, index=False, sheet_name="disagreements")
    result = cli("reconcile", A, B, "--decisions", filled, "-o", tmp_path / "c.csv")
    assert result.exit_code == 1
    assert "decision must be one of kept, dropped, added; got 'maybe'" in result.stderr
    assert ":7:" in result.stderr or "!A7" in result.stderr or "row 7" in result.stderr


def test_reconcile_needs_an_output_unless_writing_a_sheet(cli, tmp_path):
    result = cli("reconcile", A, B, "--strategy", "union")
    assert result.exit_code == 2
    assert "-o" in result.stderr and "--sheet" in result.stderr


def test_methods_paragraph_has_the_per_code_range(cli, segments, tmp_path):
    out = tmp_path / "union.csv"
    assert cli("reconcile", A, B, "--strategy", "union", "-o", out).exit_code == 0
    d = _methods(cli, segments, out)
    text = d["summary"]["paragraph"]
    assert "Cohen's kappa 0.757, Krippendorff's alpha 0.757 (94.0% of these decisions" in text
    assert (
        "Per code, over the 16 codes with a defined value, Cohen's kappa 0.451 to 1.000 (median "
        "0.792) and Krippendorff's alpha 0.450 to 1.000 (median 0.793); 4 of 16 codes had alpha "
        "below 0.667 (O'Connor & Joffe 2020; on the kappa paradox, Feinstein & Cicchetti 1990)."
    ) in text
    assert "[To complete: whether coding was done in rounds" in text
    per = d["summary"]["per_code_agreement"]
    assert per["below_0667"] == 4 and per["codes"] == 16


def test_per_code_range_against_compare(cli, segments):
    """The range and median are those of compare's own per-code table."""
    result = cli("compare", A, B, "--codebook", CODEBOOK, "-f", "json")
    per = pd.DataFrame(json.loads(result.stdout)["per_code"])
    assert round(per["cohen_kappa"].min(), 3) == 0.451
    assert round(per["cohen_kappa"].median(), 3) == 0.792
    assert round(per["krippendorff_alpha"].median(), 3) == 0.793
    assert int((per["krippendorff_alpha"] < 0.667).sum()) == 4


def test_every_report_on_a_union_consensus_says_it_is_mechanical(cli, tmp_path, segments):
    out = tmp_path / "union.csv"
    assert cli("reconcile", A, B, "--strategy", "union", "-o", out).exit_code == 0
    for kind in ("hierarchy", "narrative", "saturation", "methods"):
        result = cli(
            "report", kind, "--segments", segments, "--codings", out, "--codebook", CODEBOOK,
            "--roster", STUDY / "roster.csv", "-f", "json",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        notes = json.loads(result.stdout)["notes"]
        assert (
            "These codings are a consensus formed mechanically by union of both coders' codes "
            "(111 of 111 differences decided by rule, union.decisions.csv); not negotiated."
        ) in notes, kind
