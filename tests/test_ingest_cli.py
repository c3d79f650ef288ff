"""`qualcode ingest` end to end: summary, warnings, errors, --skip-bad, no partial output."""

from __future__ import annotations

import csv

import docx


def read_rows(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return [tuple(r) for r in csv.reader(fh)]


HEADER = (
    "segment_id",
    "transcript_id",
    "turn",
    "speaker",
    "participant_id",
    "role",
    "text",
    "start_time",
    "end_time",
    "source",
    "line",
    "source_type",
)


def test_ingest_folder_with_roster(cli, tmp_path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "fg1.txt").write_text(
        "[00:00:05] Moderator: Welcome.\nAnna: Hi.\nmore\nBen: Yo.\n", encoding="utf-8"
    )
    document = docx.Document()
    p = document.add_paragraph()
    p.add_run("Interviewer:").bold = True
    p.add_run(" How was it?")
    document.add_paragraph("Anna: Fine.")
    document.save(folder / "int1.docx")
    (folder / "otter2.txt").write_text(
        "Anna  0:03\nHello.\n\nUnknown Speaker  0:09\nYes.\n\nTranscribed by https://otter.ai\n",
        encoding="utf-8",
    )
    (folder / "roster.csv").write_text(
        "transcript_id,speaker,participant_id\nfg1,Anna,P01\nint1,Anna,P01\n", encoding="utf-8"
    )
    out = tmp_path / "segments.csv"

    result = cli("ingest", folder, "-o", out, "--roster", folder / "roster.csv")
    assert result.exit_code == 0, result.stderr
    assert read_rows(out) == [
        HEADER,
        (
            "fg1:1",
            "fg1",
            "1",
            "Moderator",
            "",
            "facilitator",
            "Welcome.",
            "5.0",
            "",
            "fg1.txt",
            "1",
            "",
        ),
        (
            "fg1:2",
            "fg1",
            "2",
            "Anna",
            "P01",
            "participant",
            "Hi.\nmore",
            "",
            "",
            "fg1.txt",
            "2",
            "",
        ),
        ("fg1:3", "fg1", "3", "Ben", "", "participant", "Yo.", "", "", "fg1.txt", "4", ""),
        (
            "int1:1",
            "int1",
            "1",
            "Interviewer",
            "",
            "facilitator",
            "How was it?",
            "",
            "",
            "int1.docx",
            "1",
            "",
        ),
        (
            "int1:2",
            "int1",
            "2",
            "Anna",
            "P01",
            "participant",
            "Fine.",
            "",
            "",
            "int1.docx",
            "2",
            "",
        ),
        (
            "otter2:1",
            "otter2",
            "1",
            "Anna",
            "",
            "participant",
            "Hello.",
            "3.0",
            "",
            "otter2.txt",
            "1",
            "",
        ),
        (
            "otter2:2",
            "otter2",
            "2",
            "Unknown Speaker",
            "",
            "unknown",
            "Yes.",
            "9.0",
            "",
            "otter2.txt",
            "4",
            "",
        ),
    ]
    lines = [line.split() for line in result.stdout.splitlines()]
    body = [[c for c in row if c != "│"] for row in lines if row and row[0] == "│"]
    assert body == [
        ["fg1", "text", "3", "3", "1", "1"],
        ["int1", "docx", "2", "2", "1", "1"],
        ["otter2", "otter", "2", "2", "0", "1"],
    ]
    assert "wrote 7 segments from 3 transcripts to" in result.stdout
    assert result.stderr.splitlines() == [
        f"warning: {folder / 'fg1.txt'}: speaker(s) not in the roster: Moderator, Ben",
        f"warning: {folder / 'int1.docx'}: speaker(s) not in the roster: Interviewer",
        f"warning: {folder / 'otter2.txt'}: transcript 'otter2' is not in the roster: no "
        "participant ids mapped",
    ]


def test_bad_file_in_folder_fails_without_output(cli, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Anna: Hi.\n", encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_bytes(b"\x00\x01binary\x00")
    out = tmp_path / "segments.csv"
    result = cli("ingest", tmp_path / "in", "-o", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'in' / 'b.txt'}: binary file: not a text transcript",
        "hint: transcripts must be text (.txt, .vtt, .srt, .csv) or Word/Excel (.docx, .xlsx); "
        "nothing was written; --skip-bad ingests the readable files",
    ]
    assert not out.exists()


def test_skip_bad_ingests_the_others(cli, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Anna: Hi.\n", encoding="utf-8")
    (tmp_path / "in" / "b.docx").write_bytes(b"not a zip")
    out = tmp_path / "segments.csv"
    result = cli("ingest", tmp_path / "in", "-o", out, "--skip-bad")
    assert result.exit_code == 0, result.stderr
    assert read_rows(out) == [
        HEADER,
        ("a:1", "a", "1", "Anna", "", "participant", "Hi.", "", "", "a.txt", "1", ""),
    ]
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(
        f"skipped: {tmp_path / 'in' / 'b.docx'}: cannot read as a Word .docx file"
    )


def test_no_labels_suggests_format_and_pattern(cli, tmp_path):
    path = tmp_path / "prose.txt"
    path.write_text("We talked for an hour about the clinic.\n", encoding="utf-8")
    result = cli("ingest", path, "-o", tmp_path / "s.csv")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {path}: no speaker labels found"
    assert lines[1].startswith(
        "hint: label turns like 'Name: text', or tell qualcode how: --format"
    )
    assert "--speaker-pattern" in lines[1]
    assert len(lines) == 2


def test_speaker_pattern_option(cli, tmp_path):
    path = tmp_path / "fg.txt"
    path.write_text("ANNA - Hi.\nBEN - Yo.\n", encoding="utf-8")
    out = tmp_path / "s.csv"
    result = cli(
        "ingest", path, "-o", out, "--speaker-pattern", r"^(?P<speaker>[A-Z]+) - (?P<text>.*)$"
    )
    assert result.exit_code == 0, result.stderr
    assert [r[3:7] for r in read_rows(out)[1:]] == [
        ("ANNA", "", "participant", "Hi."),
        ("BEN", "", "participant", "Yo."),
    ]
    bad = cli("ingest", path, "-o", out, "--speaker-pattern", r"^(?P<who>\w+)")
    assert bad.exit_code == 1
    assert bad.stderr.splitlines()[0] == (
        r"error: speaker pattern '^(?P<who>\\w+)' has no (?P<speaker>...) group"
    )


def test_format_option_and_unknown_extension(cli, tmp_path):
    path = tmp_path / "notes.log"
    path.write_text("Anna: Hi.\n", encoding="utf-8")
    out = tmp_path / "s.csv"
    result = cli("ingest", path, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {path}: unsupported file type '.log'",
        "hint: supported: .txt .text .docx .vtt .srt .csv .tsv .xlsx (or force a format)",
    ]
    result = cli("ingest", path, "-o", out, "--format", "text")
    assert result.exit_code == 0, result.stderr
    assert read_rows(out)[1][3:7] == ("Anna", "", "participant", "Hi.")
    result = cli("ingest", path, "-o", out, "--format", "word")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: unknown format 'word'",
        "hint: choose one of: text, otter, docx, vtt, srt, table",
    ]


def test_existing_output_is_backed_up(cli, tmp_path):
    path = tmp_path / "fg.txt"
    path.write_text("Anna: Hi.\n", encoding="utf-8")
    out = tmp_path / "s.csv"
    out.write_text("old\n", encoding="utf-8")
    result = cli("ingest", path, "-o", out)
    assert result.exit_code == 0, result.stderr
    backups = list(tmp_path.glob("s.csv.*.bak"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == "old\n"


def test_cp1252_warning_printed(cli, tmp_path):
    path = tmp_path / "fg.txt"
    path.write_bytes(b"Ren\xe9: caf\xe9\n")
    result = cli("ingest", path, "-o", tmp_path / "s.csv")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"warning: {path}: not valid UTF-8; read as Windows-1252 (cp1252) - check accented "
        "characters, or re-save the file as UTF-8"
    ]


def test_vtt_srt_and_csv_dispatch(cli, tmp_path):
    (tmp_path / "zoom.vtt").write_text(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nAnna Lee: Hello there.\n\n"
        "2\n00:00:06.000 --> 00:00:08.000\nBen: Hi.\n",
        encoding="utf-8",
    )
    (tmp_path / "sub.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nAnna: hi\n", encoding="utf-8"
    )
    (tmp_path / "table1.csv").write_text("speaker,text\nAnna,Hello\n", encoding="utf-8")
    out = tmp_path / "out" / "s.csv"
    result = cli("ingest", tmp_path, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert [(r[1], r[3], r[6]) for r in read_rows(out)[1:]] == [
        ("sub", "Anna", "hi"),
        ("table1", "Anna", "Hello"),
        ("zoom", "Anna Lee", "Hello there."),
        ("zoom", "Ben", "Hi."),
    ]


def test_many_files_with_progress(cli, tmp_path):
    for i in range(25):
        (tmp_path / f"fg{i:02d}.txt").write_text(f"P{i}: Hi.\n", encoding="utf-8")
    out = tmp_path / "o" / "s.csv"
    result = cli("ingest", tmp_path, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert len(read_rows(out)) == 26


def test_table_column_options_are_passed_on(cli, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Who,Said,Other\nAnna,Hello,x\nBen,Yes,y\n", encoding="utf-8")
    out = tmp_path / "s.csv"
    result = cli("ingest", path, "-o", out, "--speaker-column", "Who", "--text-column", "Said")
    assert result.exit_code == 0, result.stderr
    assert [(r[3], r[6]) for r in read_rows(out)[1:]] == [("Anna", "Hello"), ("Ben", "Yes")]


def test_no_labels_in_a_folder_hints_both(cli, tmp_path):
    (tmp_path / "a.txt").write_text("Anna: Hi.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("We talked for an hour.\n", encoding="utf-8")
    result = cli("ingest", tmp_path, "-o", tmp_path / "o" / "s.csv")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {tmp_path / 'b.txt'}: no speaker labels found"
    assert lines[1].endswith("; nothing was written; --skip-bad ingests the readable files")
    assert "--speaker-pattern" in lines[1]
    assert not (tmp_path / "o").exists()


def test_duplicate_ids_do_not_suggest_skip_bad(cli, tmp_path):
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "fg1.txt").write_text("Anna: Hi.\n", encoding="utf-8")
    result = cli("ingest", tmp_path, "-o", tmp_path / "s.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'y' / 'fg1.txt'}: transcript id 'fg1' is used twice: "
        f"{tmp_path / 'x' / 'fg1.txt'} and {tmp_path / 'y' / 'fg1.txt'}",
        "hint: transcript ids are file names without extension; rename one of the files",
    ]
