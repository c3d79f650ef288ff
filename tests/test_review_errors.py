"""Issue 12: every new error message is triggered once, through the CLI (exit code and message)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
A = STUDY / "codings" / "coder_a.csv"
B = STUDY / "codings" / "coder_b.csv"
ROSTER = STUDY / "roster.csv"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"


def test_the_sheet_must_be_csv_or_xlsx(cli, tmp_path):
    result = cli("reconcile", A, B, "--sheet", tmp_path / "d.txt")
    assert result.exit_code == 2
    assert "write the sheet as .csv or .xlsx" in result.stderr


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("saturation: [4, 1]\n", "setting 'saturation' must be a mapping, got a list"),
        ("saturation:\n  base: four\n", "saturation base must be a whole number of events"),
        ("saturation:\n  run: 0\n", "saturation run must be a whole number of events"),
        ("saturation:\n  new: [a]\n", "saturation new must be a value like 5% or base"),
    ],
)
def test_saturation_settings_errors(cli, tmp_path, monkeypatch, yaml, message):
    (tmp_path / "qualcode.yaml").write_text(yaml)
    monkeypatch.chdir(tmp_path)
    result = cli("report", "saturation", "--segments", "segments.csv")
    assert result.exit_code == 1
    assert message in result.stderr


def test_quote_label_must_be_a_template(cli, tmp_path):
    seg = tmp_path / "segments.csv"
    assert cli("ingest", STUDY, "--roster", ROSTER, "-o", seg).exit_code == 0
    result = cli(
        "report", "hierarchy", "--segments", seg, "--codings", A, "--codebook", CODEBOOK,
        "--roster", ROSTER, "--quote-label", "{participant_id",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "quote label '{participant_id' is not a valid template" in result.stderr


def test_a_parent_row_needs_a_roster_column(cli):
    result = cli("report", "demographics", "--roster", ROSTER, "--parent", "clinic:Any=a|b")
    assert result.exit_code == 1
    assert "parent row for 'clinic': the roster has no such column" in result.stderr


def test_core_reviewed_rule_needs_segments():
    from qualcode.agreement.compare import compare_codings
    from qualcode.errors import ContractError
    from qualcode.io import read_codings

    with pytest.raises(ContractError, match="read from the segments file, and none was given"):
        compare_codings(read_codings(A), read_codings(B), reviewed="all")
    with pytest.raises(ContractError, match="reviewed must be one of codings, all, transcripts"):
        compare_codings(read_codings(A), read_codings(B), reviewed="some")
