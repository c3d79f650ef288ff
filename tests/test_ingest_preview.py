"""`qualcode ingest --preview` (issue 17 item 2): reads everything, writes nothing, exit 1 if any
file would fail."""

from __future__ import annotations

import shutil


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_preview_of_the_bundled_study_writes_nothing(cli, repo, tmp_path):
    study = tmp_path / "study"
    shutil.copytree(repo / "sample_transcripts", study)
    before = listing(tmp_path)
    result = cli("ingest", study, "--roster", study / "roster.csv", "--preview")
    assert result.exit_code == 0, result.output
    assert listing(tmp_path) == before
    lines = result.stdout.splitlines()
    heads = [line for line in lines if not line.startswith(" ")]
    assert heads == [
        f"{study / 'group1.txt'}: text, detected 'Name: text'; 98 turns, 12 speakers",
        f"{study / 'group2.vtt'}: vtt; 84 turns, 9 speakers",
        f"{study / 'group3.docx'}: docx, detected bold names; 72 turns, 7 speakers",
        f"{study / 'group4.txt'}: otter; 66 turns, 7 speakers",
        f"{study / 'group5.vtt'}: vtt; 74 turns, 4 speakers",
        "5 files read, nothing written",
    ]
    assert (
        '  Facilitator    19 turns (facilitator) = F1  "Okay, the recorder is on. Thank you all'
        in (result.stdout)
    )
    assert "  warning: 64 cues without a speaker name continue the previous speaker" in lines


def test_preview_shows_inference_and_fails_for_a_file_that_would_fail(cli, tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "interviewer: How was it?\nrespondent: Fine, mostly.\ninterviewer: Mostly?\n"
        "respondent: The bus was late.\n",
        encoding="utf-8",
    )
    (folder / "b.txt").write_text("Note: a memo.\nYes - it is.\nNote: more.\n", encoding="utf-8")
    result = cli("ingest", folder, "--preview")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{folder / 'a.txt'}: text, inferred '<label>: text' (2 labels, 4 of 4 lines); 4 turns, "
        "2 speakers",
        '  interviewer     2 turns (facilitator)  "How was it?"',
        '  respondent      2 turns  "Fine, mostly."',
        f"{folder / 'b.txt'}: no speaker labels found",
        "  hint: label turns like 'Name: text' or '[Name] text', or give the format or a speaker "
        "pattern",
        "2 files read, nothing written; 1 would fail",
    ]
    assert listing(tmp_path) == ["t", "t/a.txt", "t/b.txt"]


def test_output_is_required_without_preview(cli, tmp_path):
    (tmp_path / "a.txt").write_text("Anna: Hi.\nBen: Yo.\n", encoding="utf-8")
    result = cli("ingest", tmp_path / "a.txt")
    assert result.exit_code == 2
    assert "--preview" in result.output


def test_preview_of_a_segments_csv_says_there_is_nothing_to_preview(cli, tmp_path):
    (tmp_path / "a.txt").write_text("Anna: Hi.\nBen: Yo.\n", encoding="utf-8")
    assert cli("ingest", tmp_path / "a.txt", "-o", tmp_path / "s.csv").exit_code == 0
    result = cli("ingest", tmp_path / "s.csv", "--preview")
    assert result.exit_code == 1
    assert "already ingested" in result.stderr
