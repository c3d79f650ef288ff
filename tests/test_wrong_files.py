"""Files that are not codings, or the wrong codebook, are recognised (issue 13.3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qualcode.codebook import load_codebook
from qualcode.io import read_codings
from qualcode.provenance import codebook_identity

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"
CODERS = [STUDY / "codings" / "coder_a.csv", STUDY / "codings" / "coder_b.csv"]
DATA = Path(__file__).parent / "data" / "code_modes"


@pytest.fixture
def decisions_log(cli, tmp_path) -> Path:
    out = tmp_path / "consensus.csv"
    result = cli("reconcile", *CODERS, "--strategy", "union", "-o", out)
    assert result.exit_code == 0, result.output
    return tmp_path / "consensus.decisions.csv"


def test_a_decisions_log_passed_as_codings_is_named_as_such(cli, decisions_log, tmp_path):
    result = cli("report", "hierarchy", "--codings", decisions_log, "--segments",
                 DATA / "segments.csv", "-c", CODEBOOK)  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {decisions_log}:1: this is a decisions log (reconcile's audit trail), not a "
        "codings file",
        "hint: it is read by `qualcode reconcile --decisions`; the consensus codings are the "
        "file reconcile wrote with -o",
    ]
    result = cli("compare", CODERS[0], decisions_log)
    assert result.exit_code == 1
    assert "this is a decisions log (reconcile's audit trail), not a codings file" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("kind", "make", "reader"),
    [
        ("a segments file (from `qualcode ingest`)", "segments", "pass it as --segments"),
        ("a coding sheet", "sheet", "--from-sheet SHEET"),
        ("a roster", "roster", "pass it as --roster"),
    ],
)
def test_segments_sheet_and_roster_passed_as_codings(cli, tmp_path, kind, make, reader):
    if make == "segments":
        path = tmp_path / "segments.csv"
        shutil.copy(DATA / "segments.csv", path)
    elif make == "sheet":
        path = tmp_path / "sheet.csv"
        result = cli("code", DATA / "segments.csv", "-c", DATA / "codebook.yaml", "--coder", "x",
                     "--sheet", path)  # fmt: skip
        assert result.exit_code == 0, result.output
    else:
        path = STUDY / "roster.csv"
    result = cli("compare", CODERS[0], path)
    assert result.exit_code == 1
    assert f"error: {path}:1: this is {kind}, not a codings file" in result.stderr
    assert reader in result.stderr


def test_a_codings_file_with_extra_reading_columns_is_still_codings(tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text("segment_id,transcript_id,turn,text,code_id\ng1:2,g1,2,hello,RI1\n")
    assert list(read_codings(path)["code_id"]) == ["RI1"]


def test_codings_record_the_codebook_and_another_codebook_is_a_warning(cli, tmp_path):
    shutil.copy(DATA / "segments.csv", tmp_path / "segments.csv")
    (tmp_path / "codebook.yaml").write_text(
        "title: Tiny study\ncodes:\n"
        "  - {id: RI1, label: The pill takes care of the body, keywords: [withdrawal]}\n"
        "  - {id: RI2, label: Not what's up here, keywords: [crave]}\n"
        "  - {id: RI3, label: Not alone, keywords: [alone]}\n"
    )
    for coder in ("ana", "ben"):
        result = cli("code", tmp_path / "segments.csv", "-c", tmp_path / "codebook.yaml",
                     "--coder", coder, "--auto", "-o", tmp_path / f"{coder}.csv")  # fmt: skip
        assert result.exit_code == 0, result.output
    identity = codebook_identity(load_codebook(tmp_path / "codebook.yaml"))
    assert set(read_codings(tmp_path / "ana.csv")["codebook"]) == {identity}
    assert identity.startswith("Tiny study #")
    # The same codebook: no warning.
    result = cli("compare", tmp_path / "ana.csv", tmp_path / "ben.csv", "-c",
                 tmp_path / "codebook.yaml")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    # Another study's codebook whose ids overlap (RI1-RI3 exist in it with other labels).
    result = cli("compare", tmp_path / "ana.csv", tmp_path / "ben.csv", "-c", CODEBOOK)
    assert result.exit_code == 0, result.output
    other = codebook_identity(load_codebook(CODEBOOK))
    n = len(load_codebook(CODEBOOK).codes())
    assert result.stderr.splitlines()[:3] == [
        f"warning: {tmp_path / 'ana.csv'} was coded with codebook {identity!r}, not with the "
        f"codebook given ({other!r}): its code ids or labels differ",
        f"warning: {tmp_path / 'ben.csv'} was coded with codebook {identity!r}, not with the "
        f"codebook given ({other!r}): its code ids or labels differ",
        f"warning: {n - 3} of the {n} codes of the codebook ({other!r}) appear in neither file: "
        "is it this study's codebook?",
    ]
    result = cli("report", "hierarchy", "--segments", tmp_path / "segments.csv", "--codings",
                 tmp_path / "ana.csv", "-c", CODEBOOK)  # fmt: skip
    assert f"warning: {tmp_path / 'ana.csv'} was coded with codebook {identity!r}" in (
        result.stderr
    )


def test_hand_made_files_against_a_mostly_unused_codebook_are_warned(cli, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("segment_id,code_id,coder\ng:1,RI1,a\ng:2,,a\n")
    b.write_text("segment_id,code_id,coder\ng:1,RI1,b\ng:2,RI2,b\n")
    result = cli("compare", a, b, "-c", CODEBOOK)
    n = len(load_codebook(CODEBOOK).codes())
    assert f"warning: {n - 2} of the {n} codes of the codebook" in result.stderr
    assert "was coded with codebook" not in result.stderr  # no identity recorded: no claim


def test_the_bundled_study_against_its_own_codebook_gives_no_warning(cli):
    result = cli("compare", *CODERS, "-c", CODEBOOK)
    assert result.exit_code == 0
    assert "warning: " not in result.stderr.replace("warning: no", "")
