"""Re-ingesting an edited transcript must not move codings onto other turns (issue 13.1).

Every codings file qualcode writes records per row the hash of the text it was coded on; every
command that joins codings to segments checks it and stops naming the segments and transcript;
ingest warns; `recode-map` carries the codings to the new turns and lists what it cannot place."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from qualcode.io import read_codings, read_segments
from qualcode.provenance import text_hash

CODEBOOK = """\
title: Tiny study
themes:
  - id: T1
    label: Medication
    repeating_ideas:
      - {id: RI1, label: The pill takes care of the body, keywords: [withdrawal]}
      - {id: RI2, label: Not what's up here, keywords: [crave]}
  - id: T2
    label: Groups
    repeating_ideas:
      - {id: RI3, label: Not alone, keywords: [others]}
"""
CUES = [
    ("Mod", "How is the medication?"),
    ("Ana", "The withdrawal is gone."),
    ("Ben", "I still crave it every single morning."),
    ("Ana", "Being with others helps."),
    ("Ben", "Yeah."),
    ("Cara", "Being with others helps me too."),
]


def vtt(cues) -> str:
    out = ["WEBVTT", ""]
    for i, (who, text) in enumerate(cues):
        out += [f"00:00:{2 * i:02d}.000 --> 00:00:{2 * i + 1:02d}.000", f"{who}: {text}", ""]
    return "\n".join(out)


@pytest.fixture
def study(tmp_path: Path, cli, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "fg.vtt").write_text(vtt(CUES))
    (tmp_path / "codebook.yaml").write_text(CODEBOOK)
    assert cli("ingest", "transcripts", "-o", "segments.csv").exit_code == 0
    result = cli(
        "code", "segments.csv", "-c", "codebook.yaml", "--coder", "auto", "--auto",
        "-o", "codings/auto.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return tmp_path


def reingest_with_two_cues_added(cli) -> Path:
    Path("transcripts/fg.vtt").write_text(
        vtt([("Mod", "Welcome, everyone."), ("Ana", "Hi."), *CUES])
    )
    result = cli("ingest", "transcripts", "-o", "segments.csv")
    assert result.exit_code == 0, result.output
    backups = sorted(Path(".").glob("segments.csv*.bak"))
    assert len(backups) == 1
    return backups[0]


def test_codings_record_the_text_and_the_codebook(study):
    df = read_codings(study / "codings" / "auto.csv")
    seg = read_segments(study / "segments.csv").set_index("segment_id")["text"]
    assert list(df["text_hash"]) == [text_hash(seg[s]) for s in df["segment_id"]]
    assert set(df["codebook"]) == {"Tiny study #" + df["codebook"].iat[0].split("#")[1]}


def test_reingest_warns_and_every_join_stops_with_the_segments_named(cli, study):
    Path("codings/hand.csv").write_text("segment_id,code_id,coder\nfg:2,RI1,hand\n")  # no hashes
    Path("transcripts/fg.vtt").write_text(
        vtt([("Mod", "Welcome, everyone."), ("Ana", "Hi."), *CUES])
    )
    result = cli("ingest", "transcripts", "-o", "segments.csv")
    assert result.exit_code == 0
    assert "warning: 6 turns of fg changed or moved in segments.csv" in result.stderr
    assert "codings/auto.csv (5 rows)" in result.stderr
    assert "codings/hand.csv (1 rows)" in result.stderr
    assert "qualcode recode-map OLD_SEGMENTS segments.csv CODINGS -o NEW_CODINGS" in result.stderr

    message = (
        "the text of 5 coded segments is not the text they were coded on: fg:2, fg:3, fg:4, fg:5, fg:6 "
        "(transcript fg in segments.csv); the transcript was edited or re-ingested and its turns "
        "moved"
    )
    for args in (
        ["compare", "codings/auto.csv", "codings/hand.csv", "--segments", "segments.csv"],
        ["reconcile", "codings/auto.csv", "codings/hand.csv", "--strategy", "union",
         "--segments", "segments.csv", "-o", "consensus.csv"],
        ["report", "hierarchy", "--segments", "segments.csv", "--codings", "codings/auto.csv",
         "-c", "codebook.yaml"],
        ["export", "qdpx", "--segments", "segments.csv", "--codings", "codings/auto.csv",
         "-c", "codebook.yaml", "-o", "study.qdpx"],
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 1, (args, result.output)
        assert f"error: codings/auto.csv: {message}" in result.stderr, (args, result.stderr)
        assert "hint: use the segments.csv the codings were made on" in result.stderr
    assert not Path("consensus.csv").exists() and not Path("study.qdpx").exists()
    # A hand-made file without hashes is read as before (nothing to check).
    result = cli("report", "hierarchy", "--segments", "segments.csv", "--codings",
                 "codings/hand.csv", "-c", "codebook.yaml")  # fmt: skip
    assert result.exit_code == 0, result.output


def test_the_sheet_read_back_checks_the_segments_and_names_the_transcript(cli, study):
    result = cli("code", "segments.csv", "-c", "codebook.yaml", "--coder", "bob",
                 "--sheet", "bob.xlsx")  # fmt: skip
    assert (
        "qualcode code segments.csv --codebook codebook.yaml --from-sheet bob.xlsx --coder bob"
        in " ".join(result.stdout.split())
    )
    wb = load_workbook("bob.xlsx")
    wb["Coding"]["H4"] = "x"  # fg:2
    wb.save("bob.xlsx")
    reingest_with_two_cues_added(cli)
    result = cli("code", "segments.csv", "--from-sheet", "bob.xlsx", "--coder", "bob",
                 "-o", "codings/bob.csv")  # fmt: skip
    assert result.exit_code == 1
    assert (
        "bob.xlsx:Coding!G4: the text of segment 'fg:2' changed in the transcripts since the "
        "sheet was written (transcript fg)"
    ) in result.stderr


def test_recode_map_carries_the_codings_to_the_new_turns(cli, study):
    old = reingest_with_two_cues_added(cli)
    result = cli("recode-map", old, "segments.csv", "codings/auto.csv", "-o", "codings/new.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "placed 5 of 5 codings: 5 of 5 coded turns by exact text, 0 by similarity >= 0.80",
        "wrote codings/new.csv",
    ]
    new = read_codings("codings/new.csv")
    seg = read_segments("segments.csv").set_index("segment_id")["text"]
    assert [(s, c, seg[s]) for s, c in new[["segment_id", "code_id"]].to_numpy()] == [
        ("fg:4", "RI1", "The withdrawal is gone."),
        ("fg:5", "RI2", "I still crave it every single morning."),
        ("fg:6", "RI3", "Being with others helps."),
        ("fg:7", "", "Yeah."),
        ("fg:8", "RI3", "Being with others helps me too."),
    ]
    assert [tuple(r) for r in new[["segment_id", "code_id"]].to_numpy()] == [
        ("fg:4", "RI1"), ("fg:5", "RI2"), ("fg:6", "RI3"), ("fg:7", ""), ("fg:8", "RI3"),
    ]  # fmt: skip
    assert list(new["text_hash"]) == [text_hash(seg[s]) for s in new["segment_id"]]
    result = cli("report", "hierarchy", "--segments", "segments.csv", "--codings",
                 "codings/new.csv", "-c", "codebook.yaml")  # fmt: skip
    assert result.exit_code == 0, result.output


def test_recode_map_places_edited_text_by_similarity_and_lists_the_rest(cli, study):
    edited = [
        ("Mod", "How is the medication?"),
        ("Ana", "The withdrawal is gone now."),  # corrected: similar
        ("Ben", "I still crave it every single morning."),
        ("Ana", "Being with others helps."),
        # "Ben: Yeah." deleted
        ("Cara", "Being with others helps me too."),
    ]
    Path("transcripts/fg.vtt").write_text(vtt(edited))
    assert cli("ingest", "transcripts", "-o", "segments.csv").exit_code == 0
    old = sorted(Path(".").glob("segments.csv*.bak"))[0]
    result = cli("recode-map", old, "segments.csv", "codings/auto.csv", "-o", "codings/new.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "placed 4 of 5 codings: 3 of 5 coded turns by exact text, 1 by similarity >= 0.80, "
        "lowest 0.92"
    )
    assert result.stderr.splitlines()[-2:] == [
        "warning: 1 codings on 1 turns could not be placed; they are listed in "
        "codings/new.unplaced.csv:",
        "  codings/auto.csv:5: fg:5 (reviewed, no code): no turn of fg in the new segments has "
        "this text or one at least 80% similar",
    ]
    new = read_codings("codings/new.csv")
    assert [tuple(r) for r in new[["segment_id", "code_id"]].to_numpy()] == [
        ("fg:2", "RI1"), ("fg:3", "RI2"), ("fg:4", "RI3"), ("fg:5", "RI3"),
    ]  # fmt: skip
    unplaced = read_codings("codings/new.unplaced.csv")
    assert list(unplaced["segment_id"]) == ["fg:5"]


def test_recode_map_refuses_old_segments_the_codings_were_not_made_on(cli, study):
    reingest_with_two_cues_added(cli)
    result = cli("recode-map", "segments.csv", "segments.csv", "codings/auto.csv",
                 "-o", "codings/new.csv")  # fmt: skip
    assert result.exit_code == 1
    assert "is not the text they were coded on" in result.stderr
    assert "hint: OLD_SEGMENTS must be the segments.csv the codings were made on" in result.stderr


def test_interactive_resume_on_moved_turns_stops(cli, study):
    args = ["code", "segments.csv", "-c", "codebook.yaml", "--coder", "ana", "--interactive",
            "-o", "codings/ana.csv"]  # fmt: skip
    result = cli(*args, input="1\nn\nq\n")
    assert result.exit_code == 0, result.output
    assert list(read_codings("codings/ana.csv")["text_hash"]) == [
        text_hash("The withdrawal is gone.")
    ]
    reingest_with_two_cues_added(cli)
    result = cli(*args, input="q\n")
    assert result.exit_code == 1
    assert "error: codings/ana.csv: the text of 1 coded segment is not the text they were " in (
        result.stderr
    )
    assert "hint: use the segments.csv the codings were made on" in result.stderr


def test_batch_hashes_equal_single_hashes():
    from qualcode.coding.sheet import text_hash as sheet_hash
    from qualcode.provenance import text_hashes

    texts = ["plain", "  padded  ", "a\r\nb", "c\rd", "ctl\x01char", "=SUM(A1)", "東京 🙂", ""]
    assert text_hashes(texts) == [text_hash(t) for t in texts] == [sheet_hash(t) for t in texts]
    assert text_hashes(texts[:2]) == [text_hash(t) for t in texts[:2]]  # the fast path
