"""`qualcode code --auto` end to end: transcripts or segments.csv in, a valid codings file out."""

from __future__ import annotations

import textwrap

from qualcode.io import read_codings
from qualcode.model import CODING_COLUMNS

CODEBOOK = textwrap.dedent(
    """\
    title: Group visits
    themes:
      - id: T1
        label: Psychological side
        repeating_ideas:
          - id: RI1
            label: "It takes the cravings away"
            keywords: [craving, cravings]
          - id: RI2
            label: "What does it do to me"
            keywords: [side effects]
            patterns: ['interact\\w*']
      - id: T2
        label: Peer support
        repeating_ideas:
          - id: RI3
            label: "People who are not using"
            keywords: [not using]
    """
)

SEGMENTS = textwrap.dedent(
    """\
    segment_id,transcript_id,turn,speaker,participant_id,role,text
    g1:1,g1,1,Facilitator,,facilitator,Tell me about cravings and side effects.
    g1:2,g1,2,Ray,P1,participant,"The cravings still come, you know?"
    g1:3,g1,3,Luis,P2,participant,I worry about side effects and interactions.
    g1:4,g1,4,Ray,P1,participant,Okay.
    g2:1,g2,1,Facilitator,,facilitator,Anything else?
    g2:2,g2,2,Ana,P3,participant,"I need people who are not using, no cravings."
    """
)


def study(tmp_path, codebook: str = CODEBOOK):
    (tmp_path / "codebook.yaml").write_text(codebook, encoding="utf-8")
    (tmp_path / "segments.csv").write_text(SEGMENTS, encoding="utf-8")
    return tmp_path / "segments.csv", tmp_path / "codebook.yaml"


def rows(path):
    """The contract columns (text_hash and codebook are checked in test_text_hashes.py)."""
    df = read_codings(path)
    return [tuple(r) for r in df[list(CODING_COLUMNS)].itertuples(index=False)]


def test_auto_writes_codings_without_facilitator_turns(cli, tmp_path):
    segments, codebook = study(tmp_path)
    out = tmp_path / "codings" / "auto.csv"
    result = cli("code", segments, "--codebook", codebook, "--coder", "auto", "--auto", "-o", out)
    assert result.exit_code == 0, result.output
    assert rows(out) == [
        ("g1:2", "RI1", "auto", "auto", "", "4", "12"),
        ("g1:3", "RI2", "auto", "auto", "", "14", "26"),
        ("g1:4", "", "auto", "auto", "", "", ""),
        ("g2:2", "RI1", "auto", "auto", "", "36", "44"),
        ("g2:2", "RI3", "auto", "auto", "", "22", "31"),
    ]
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["code", "label", "segments", "participants", "groups"]
    assert lines[1][0] == "RI1" and lines[1][-3:] == ["2", "2", "2"]
    assert lines[2][0] == "RI2" and lines[2][-3:] == ["1", "1", "1"]
    assert lines[3][0] == "RI3" and lines[3][-3:] == ["1", "1", "1"]
    assert lines[4] == ["any", "code", "3", "3", "2"]
    assert result.stdout.splitlines()[-1] == (
        f"wrote {out}: 3 of 4 reviewed segments coded (facilitator turns excluded)"
    )


def test_include_facilitator(cli, tmp_path):
    segments, codebook = study(tmp_path)
    out = tmp_path / "auto.csv"
    result = cli(
        "code", segments, "-c", codebook, "--coder", "auto", "--auto", "-o", out,
        "--include-facilitator",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    coded = rows(out)
    assert coded[:3] == [
        ("g1:1", "RI1", "auto", "auto", "", "14", "22"),
        ("g1:1", "RI2", "auto", "auto", "", "27", "39"),
        ("g1:2", "RI1", "auto", "auto", "", "4", "12"),
    ]
    assert ("g2:1", "", "auto", "auto", "", "", "") in coded
    assert result.stdout.splitlines()[-1].endswith("4 of 6 reviewed segments coded (all turns)")


def test_default_output_is_codings_coder_csv_with_backup(cli, tmp_path, monkeypatch):
    segments, codebook = study(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ("code", segments, "--codebook", codebook, "--coder", "kim", "--auto")
    assert cli(*args).exit_code == 0
    target = tmp_path / "codings" / "kim.csv"
    assert cli(*args).exit_code == 0  # the same codings again: no new version, no backup
    assert not list((tmp_path / "codings").glob("kim.csv.*.bak"))
    target.write_bytes(target.read_bytes() + b"g1:1,,kim,auto,,,\n")  # an older version
    first = target.read_bytes()
    assert cli(*args).exit_code == 0
    backups = list((tmp_path / "codings").glob("kim.csv.*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == first


def test_transcript_files_are_ingested(cli, tmp_path):
    _, codebook = study(tmp_path)
    transcript = tmp_path / "group1.txt"
    transcript.write_text(
        "Facilitator: Any cravings this week?\n\n"
        "Ray: The cravings still come.\n\n"
        "Luis: Not for me.\n",
        encoding="utf-8",
    )
    out = tmp_path / "auto.csv"
    result = cli("code", transcript, "-c", codebook, "--coder", "auto", "--auto", "-o", out)
    assert result.exit_code == 0, result.output
    assert rows(out) == [
        ("group1:2", "RI1", "auto", "auto", "", "4", "12"),
        ("group1:3", "", "auto", "auto", "", "", ""),
    ]


def test_no_mode_is_a_usage_error(cli, tmp_path):
    segments, codebook = study(tmp_path)
    result = cli("code", segments, "--codebook", codebook, "--coder", "kim")
    assert result.exit_code == 2
    assert "choose a coding mode: --auto" in result.output
    assert not (tmp_path / "codings").exists()


def test_coder_name_must_be_a_file_name(cli, tmp_path):
    segments, codebook = study(tmp_path)
    result = cli("code", segments, "--codebook", codebook, "--coder", "../x", "--auto")
    assert result.exit_code == 2
    assert "give a coder name without slashes" in result.output


def test_codebook_errors_stop_before_writing(cli, tmp_path):
    segments, codebook = study(tmp_path, CODEBOOK.replace("id: RI3", "id: RI1"))
    out = tmp_path / "auto.csv"
    result = cli("code", segments, "-c", codebook, "--coder", "a", "--auto", "-o", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {codebook}:16: duplicate id 'RI1' (first used at line 6); ids must be unique "
        "across the codebook",
        f"error: {codebook}: the codebook has 1 error",
    ]
    assert not out.exists()


def test_codebook_warnings_are_shown_but_do_not_stop(cli, tmp_path):
    segments, codebook = study(tmp_path, CODEBOOK + "  - id: T3\n    label: empty\n")
    result = cli(
        "code", segments, "-c", codebook, "--coder", "a", "--auto", "-o", tmp_path / "o.csv"
    )
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"warning: {codebook}:19: theme 'T3' has no repeating ideas (add repeating_ideas: with "
        "at least one)"
    ]


def test_slow_pattern_is_a_clear_error(cli, tmp_path):
    slow = CODEBOOK.replace("patterns: ['interact\\w*']", "patterns: ['(a|aa)+$']")
    segments, codebook = study(tmp_path, slow)
    with segments.open("a", encoding="utf-8") as fh:
        fh.write("g2:3,g2,3,Ana,P3,participant," + "a" * 60 + "!\n")
    out = tmp_path / "auto.csv"
    result = cli(
        "code", segments, "-c", codebook, "--coder", "a", "--auto", "-o", out,
        "--pattern-timeout", "0.2",
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"error: {codebook}:9: pattern '(a|aa)+$' of code 'RI2' took longer than 0.2 s on "
        "segment 'g2:3'"
    )
    assert lines[1].startswith("hint: simplify the pattern")
    assert not out.exists()


def test_codebook_without_keywords(cli, tmp_path):
    segments, codebook = study(tmp_path, "codes:\n  - {id: A, label: a}\n")
    result = cli(
        "code", segments, "-c", codebook, "--coder", "a", "--auto", "-o", tmp_path / "o.csv"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {codebook}: the codebook has no keywords or patterns, so there is nothing to "
        "auto-code",
        "hint: add keywords: [...] or patterns: [...] to the repeating ideas",
    ]
