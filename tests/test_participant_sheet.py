"""A participant sheet (participant_id + attributes, no speaker column) is enough for participant
reports; only mapping speakers (ingest) needs the speaker columns, and says so."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

CODEBOOK = "codebooks/bup_group_visits.yaml"
ATTRIBUTES = ["gender", "ethnicity", "age_band", "prior_group_treatment"]


@pytest.fixture
def study(repo, tmp_path, cli):
    """The bundled study ingested with its roster, a union consensus, and a participant sheet made
    from the roster's participant rows (how a demographic survey is kept)."""
    shutil.copytree(repo / "sample_transcripts", tmp_path / "sample_transcripts")
    shutil.copytree(repo / "codebooks", tmp_path / "codebooks")
    roster = tmp_path / "sample_transcripts" / "roster.csv"
    with roster.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["role"] == "participant"]
    sheet = tmp_path / "participants.csv"
    with sheet.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["participant_id", *ATTRIBUTES])
        writer.writerows([r["participant_id"], *(r[a] for a in ATTRIBUTES)] for r in rows)
    segments = tmp_path / "segments.csv"
    consensus = tmp_path / "consensus.csv"
    codings = tmp_path / "sample_transcripts" / "codings"
    assert (
        cli("ingest", tmp_path / "sample_transcripts", "--roster", roster, "-o", segments).exit_code
        == 0
    )
    done = cli(
        "reconcile",
        codings / "coder_a.csv",
        codings / "coder_b.csv",
        "--strategy",
        "union",
        "-o",
        consensus,
    )
    assert done.exit_code == 0, done.output
    return {
        "roster": roster,
        "sheet": sheet,
        "segments": segments,
        "consensus": consensus,
        "codebook": tmp_path / CODEBOOK,
        "tmp": tmp_path,
    }


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demographics_from_a_participant_sheet_equals_the_rosters(cli, study):
    by_sheet = _json(cli("report", "demographics", "--roster", study["sheet"], "-f", "json"))
    by_roster = _json(cli("report", "demographics", "--roster", study["roster"], "-f", "json"))
    rows = lambda report: [  # noqa: E731
        r for r in report["tables"]["table1"] if r["characteristic"] != "Group size"
    ]
    assert by_sheet["summary"]["n"] == by_roster["summary"]["n"] == 33
    assert rows(by_sheet) == rows(by_roster)
    # A sheet says nothing about who was in which group: no group sizes are made up.
    assert by_sheet["summary"]["group_sizes"] == []
    assert by_roster["summary"]["group_sizes"] == [11, 8, 6, 5, 3]


@pytest.mark.parametrize("by", ["gender", "age_band"])
def test_crosstab_by_attribute_from_a_participant_sheet_equals_the_rosters(cli, study, by):
    def crosstab(roster) -> dict:
        return _json(
            cli(
                "report",
                "crosstab",
                "--by",
                by,
                "--segments",
                study["segments"],
                "--codings",
                study["consensus"],
                "--codebook",
                study["codebook"],
                "--roster",
                roster,
                "-f",
                "json",
            )
        )

    by_sheet, by_roster = crosstab(study["sheet"]), crosstab(study["roster"])
    assert by_sheet["tables"] == by_roster["tables"]
    assert any(int(r["total"]) for r in by_sheet["tables"]["counts"])


def test_a_speaker_labelled_with_a_participant_id_is_that_participant(cli, tmp_path):
    (tmp_path / "g1.txt").write_text(
        "P01: the group helped me a lot\nP02: not for me\nP01: it did help\n", encoding="utf-8"
    )
    sheet = tmp_path / "people.csv"
    sheet.write_text("participant_id,gender\nP01,Female\nP02,Male\n", encoding="utf-8")
    codings = tmp_path / "coder.csv"
    codings.write_text(
        "segment_id,code_id,coder\ng1:1,RI1,ana\ng1:2,,ana\ng1:3,RI1,ana\n", encoding="utf-8"
    )
    result = cli(
        "report",
        "crosstab",
        tmp_path / "g1.txt",
        "--by",
        "gender",
        "--codings",
        codings,
        "--roster",
        sheet,
        "-f",
        "json",
    )
    report = _json(result)
    assert report["tables"]["counts"] == [
        {"id": "RI1", "label": "RI1", "Female": 1, "Male": 0, "total": 1}
    ]
    assert report["tables"]["columns"] == [
        {"category": "Female", "denominator": 1},
        {"category": "Male", "denominator": 1},
    ]


def test_ingest_with_a_participant_sheet_says_the_speaker_mapping_is_needed_there(cli, study):
    result = cli(
        "ingest",
        study["tmp"] / "sample_transcripts",
        "--roster",
        study["sheet"],
        "-o",
        study["tmp"] / "s2.csv",
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {study['sheet']}:1: this roster lists participants but has no speaker column, "
        "so it cannot map the speakers of a transcript to participants",
        "hint: add transcript_id and speaker columns (one row per speaker label in each "
        "transcript); participant reports (demographics, crosstabs) need only participant_id",
    ]
    assert not (study["tmp"] / "s2.csv").exists()


def test_stratifying_a_participant_sheet_by_transcript_is_refused_plainly(cli, study):
    result = cli(
        "report", "demographics", "--roster", study["sheet"], "--stratify", "transcript_id"
    )
    assert result.exit_code == 1
    assert (
        f"error: {study['sheet']}:1: cannot stratify by transcript_id: this participant sheet "
        "does not say who was in which transcript"
    ) in result.stderr


def test_a_participant_sheet_row_without_an_id_names_its_row(cli, tmp_path):
    sheet = tmp_path / "people.csv"
    sheet.write_text("participant_id,gender\nP01,Female\n,Male\n", encoding="utf-8")
    result = cli("report", "demographics", "--roster", sheet)
    assert result.exit_code == 1
    assert "a participant row has no participant_id" in result.stderr
    assert f"{sheet}:3" in result.stderr
