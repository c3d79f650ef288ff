"""`qualcode ingest` lists at most TABLE_ROWS transcripts in its summary table (issue 19): at
100,000 transcripts the table was 100,000 lines. Beyond, one row counts the rest and one row
gives the totals over every transcript; the segments written are the same."""

from __future__ import annotations

from qualcode.cli.ingest import TABLE_ROWS


def segments_table(path, transcripts: int) -> None:
    rows = ["segment_id,transcript_id,turn,speaker,participant_id,role,text"]
    for g in range(1, transcripts + 1):
        for t in range(1, 4):
            rows.append(f"g{g:03d}:{t},g{g:03d},{t},P{t},,participant,Turn {t} of group {g}.")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def table_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("│")]


def test_small_study_lists_every_transcript(cli, tmp_path):
    segments_table(tmp_path / "table.csv", TABLE_ROWS + 1)
    result = cli("ingest", tmp_path / "table.csv", "-o", tmp_path / "segments.csv")
    assert result.exit_code == 0, result.output
    lines = table_lines(result.stdout)
    assert len(lines) == TABLE_ROWS + 1  # every transcript
    assert lines[-1].split("│")[1].strip() == f"g{TABLE_ROWS + 1:03d}"
    assert "more transcripts" not in result.stdout


def test_large_study_lists_the_first_rows_and_totals_over_all(cli, tmp_path):
    segments_table(tmp_path / "table.csv", 125)
    result = cli("ingest", tmp_path / "table.csv", "-o", tmp_path / "segments.csv")
    assert result.exit_code == 0, result.output
    lines = table_lines(result.stdout)
    assert len(lines) == TABLE_ROWS
    assert lines[-1].split("│")[1].strip() == f"g{TABLE_ROWS:03d}"
    assert result.stdout.splitlines()[-2:] == [
        f"... and {125 - TABLE_ROWS} more transcripts; all 125: 375 turns, 375 speakers, "
        "0 participants mapped, 0 warnings",
        f"wrote 375 segments from 125 transcripts to {tmp_path / 'segments.csv'}",
    ]
    assert len((tmp_path / "segments.csv").read_text(encoding="utf-8").splitlines()) == 376
