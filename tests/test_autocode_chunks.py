"""`qualcode code SEGMENTS.csv --auto` reads one segments.csv in chunks (issue 19, goal 3): the
codings and the summary are the same bytes whatever the chunk size, and a bad row in a later chunk
is reported with its own row number before anything is written.

`--chunk-segments N` is the hidden option that sets the chunk size (default
`qualcode.coding.autocode.CHUNK_SEGMENTS`), so the chunked path runs here on a few rows.
"""

from __future__ import annotations

import textwrap

import pytest

CODEBOOK = textwrap.dedent(
    """\
    title: Chunks
    themes:
      - id: T1
        label: Cravings
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
            keywords: [not using, group]
    """
)
HEADER = "segment_id,transcript_id,turn,speaker,participant_id,role,text,source_type\n"
TEXTS = [
    "Tell me about cravings and side effects.",
    '"The cravings still come,\nyou know?"',
    "I worry about side effects and interactions.",
    "Okay.",
    '"I need people who are not using, no cravings."',
    "The group helps.",
    "Nothing to add.",
]


def segment_rows(groups: int = 6) -> list[str]:
    """Rows of `groups` transcripts of 7 turns (a facilitator turn first), one a multi-line text."""
    rows = []
    for g in range(1, groups + 1):
        kind = "interview" if g % 3 == 0 else "focus_group"
        for t, text in enumerate(TEXTS, start=1):
            role, speaker, pid = (
                ("facilitator", "Facilitator", "")
                if t == 1
                else ("participant", f"P{t % 3}", f"g{g}-P{t % 3}")
            )
            rows.append(f"g{g}:{t},g{g},{t},{speaker},{pid},{role},{text},{kind}\n")
    return rows


def write_study(folder, rows: list[str]):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (folder / "segments.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    return folder / "segments.csv", folder / "codebook.yaml"


def run(cli, segments, codebook, out, *extra):
    return cli(
        "code", segments, "--codebook", codebook, "--coder", "auto", "--auto", "-o", out, *extra
    )


@pytest.mark.parametrize("reviewed", [[], ["--include-facilitator"]])
def test_any_chunk_size_writes_the_same_codings_and_summary(cli, tmp_path, reviewed):
    segments, codebook = write_study(tmp_path, segment_rows())
    results = {}
    for size in (1, 7, 10, 100_000):
        out = tmp_path / f"chunks-{size}" / "auto.csv"
        result = run(cli, segments, codebook, out, "--chunk-segments", size, *reviewed)
        assert result.exit_code == 0, result.output
        results[size] = (out.read_bytes(), result.stdout.replace(str(out), "OUT"))
    # The default chunk (CHUNK_SEGMENTS, more than these 42 rows) reads the file in one piece,
    # as the whole-file read did.
    out = tmp_path / "default" / "auto.csv"
    result = run(cli, segments, codebook, out, *reviewed)
    assert result.exit_code == 0, result.output
    whole = (out.read_bytes(), result.stdout.replace(str(out), "OUT"))
    assert all(got == whole for got in results.values())
    assert whole[1].splitlines()[-1] == (
        "wrote OUT: 30 of 42 reviewed segments coded (all turns)"
        if reviewed
        else "wrote OUT: 24 of 36 reviewed segments coded (facilitator turns excluded)"
    )
    # Distinct participants and transcripts are counted across chunks (RI1: turns 2 and 5 of each
    # transcript, one participant each; the facilitator's turn 1 adds segments, no participant);
    # the column is named for a study of focus groups and interviews.
    lines = [line.split() for line in whole[1].splitlines()]
    assert lines[0] == ["code", "label", "segments", "participants", "sources"]
    assert lines[1][0] == "RI1" and lines[1][-3:] == [("18" if reviewed else "12"), "6", "6"]
    assert lines[3][0] == "RI3" and lines[3][-3:] == ["12", "12", "6"]
    first = out.read_text(encoding="utf-8").splitlines()[1]
    assert first.startswith(
        "g1:1,RI1,auto,auto,,14,22," if reviewed else "g1:2,RI1,auto,auto,,4,12,"
    )


def test_header_only_file_writes_the_header(cli, tmp_path):
    segments, codebook = write_study(tmp_path, [])
    out = tmp_path / "auto.csv"
    result = run(cli, segments, codebook, out, "--chunk-segments", 7)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("segment_id,code_id,coder")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    assert result.stdout.splitlines()[-1] == (
        f"wrote {out}: 0 of 0 reviewed segments coded (facilitator turns excluded)"
    )


@pytest.mark.parametrize(
    ("row", "replacement", "message"),
    [
        # Data row 30 of 42 (line 31 of the file, counting rows as the whole-file read does),
        # in the fifth chunk of 7.
        (29, "g5:2,g5,two,P2,g5-P2,participant,Hello,focus_group\n", "turn must be a whole number, got 'two'"),
        (29, "g5:2,g5,2,P2,g5-P2,boss,Hello,focus_group\n", "role must be one of"),
        # g1:3 is row 3, in the first chunk: the repeat in row 30 is refused across chunks.
        (29, "g1:3,g5,2,P2,g5-P2,participant,Hello,focus_group\n", "duplicate segment_id 'g1:3'"),
        (29, "g5:2,g5,2,P2,g5-P2,participant,Hello,focus_group,extra\n", "cannot read segments CSV: this row has 9 cells but the header has 8"),
        # The first row of a chunk (of 7, and of 1): pandas' chunked reader drops its extra cell
        # without a word (pandas 2.1-3.1), so the rows are counted before the pieces are parsed.
        (28, "g5:1,g5,1,Facilitator,,facilitator,Hi,focus_group,extra\n", "cannot read segments CSV: this row has 9 cells but the header has 8"),
        # Two such rows starting a chunk of 7 (and of 1): the second is compared with the first.
        (28, "g5:1,g5,1,Facilitator,,facilitator,Hi,focus_group,extra\ng5:8,g5,8,P2,g5-P2,participant,Hi,focus_group,extra\n", "cannot read segments CSV: this row has 9 cells but the header has 8"),
        # An empty extra cell (a trailing delimiter) starting a chunk is refused too.
        (28, "g5:1,g5,1,Facilitator,,facilitator,Hi,focus_group,\n", "cannot read segments CSV: this row has 9 cells but the header has 8"),
        # The first data row: pandas (3.1 too) takes its first cell for an index column, or its
        # first two for a two-level index, or reads a trailing delimiter as an index.
        (0, "g1:1,g1,1,Facilitator,,facilitator,Hi,focus_group,extra\n", "cannot read segments CSV: this row has 9 cells but the header has 8"),
        (0, "g1:1,g1,1,Facilitator,,facilitator,Hi,focus_group,extra,more\n", "cannot read segments CSV: this row has 10 cells but the header has 8"),
        (0, "g1:1,g1,1,Facilitator,,facilitator,Hi,focus_group,\n", "cannot read segments CSV: this row has 9 cells but the header has 8"),
    ],
)  # fmt: skip
def test_bad_row_in_a_later_chunk_names_its_row_and_writes_nothing(
    cli, tmp_path, row, replacement, message
):
    rows = segment_rows()
    rows[row] = replacement
    segments, codebook = write_study(tmp_path, rows)
    errors = set()
    for size in (1, 7, 100_000):
        out = tmp_path / f"new-{size}" / "auto.csv"
        result = run(cli, segments, codebook, out, "--chunk-segments", size)
        assert result.exit_code == 1, result.output
        assert not out.parent.exists()  # not even the folder -o names
        errors.add(result.stderr.splitlines()[0])
    # The whole-file read (with a roster the segments are read whole) says the same.
    roster = tmp_path / "roster.csv"
    roster.write_text("transcript_id,speaker,participant_id,role\n", encoding="utf-8")
    out = tmp_path / "whole" / "auto.csv"
    result = run(cli, segments, codebook, out, "--roster", roster)
    assert result.exit_code == 1, result.output
    assert not out.exists()
    errors.add(result.stderr.splitlines()[0])
    (error,) = errors  # the same line whatever the chunk size
    assert error.startswith(f"error: {segments}:{row + 2}: {message}")
    assert "Traceback" not in error


def test_bad_row_in_a_later_chunk_leaves_the_old_codings(cli, tmp_path):
    rows = segment_rows()
    segments, codebook = write_study(tmp_path, rows)
    out = tmp_path / "codings" / "auto.csv"
    assert run(cli, segments, codebook, out, "--chunk-segments", 7).exit_code == 0
    before = sorted(p.name for p in out.parent.iterdir()), out.read_bytes()
    rows[40] = "g6:5,g6,6,P1,g6-P1,participant,Hello,focus_group\n"  # g6:5 twice
    write_study(tmp_path, rows)
    result = run(cli, segments, codebook, out, "--chunk-segments", 7, "--force")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: {segments}:42: duplicate segment_id 'g6:5'"
    assert (sorted(p.name for p in out.parent.iterdir()), out.read_bytes()) == before


def test_iter_segments_reads_pieces_equal_to_the_whole_file(tmp_path):
    import pandas as pd

    from qualcode.io import iter_segments, read_segments

    segments, _ = write_study(tmp_path, segment_rows())
    shares = []
    pieces = list(iter_segments(segments, 10, read_share=shares.append))
    assert [len(p) for p in pieces] == [10, 10, 10, 10, 2]
    assert shares[-1] == 1.0 and shares == sorted(shares)
    whole = read_segments(segments)
    joined = pd.concat(pieces, ignore_index=True)
    assert joined.columns.tolist() == whole.columns.tolist()
    assert [tuple(r) for r in joined.itertuples(index=False)] == [
        tuple(r) for r in whole.itertuples(index=False)
    ]


def test_cp1252_file_is_read_in_chunks_too(cli, tmp_path):
    rows = [r.replace("Okay.", "Caf\u00e9 cravings.") for r in segment_rows()]
    segments, codebook = write_study(tmp_path, rows)
    segments.write_bytes((HEADER + "".join(rows)).encode("cp1252"))
    outs = []
    for size in (7, 100_000):
        out = tmp_path / f"out-{size}.csv"
        result = run(cli, segments, codebook, out, "--chunk-segments", size)
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert b"g1:4,RI1,auto,auto,,5,13," in outs[0]


def test_codings_parts_are_the_bytes_of_write_codings(tmp_path):
    """write_codings_parts joins plain cells itself and leaves cells that need quotes (or are
    missing) to pandas' to_csv: either way the bytes of write_codings of the whole."""
    import pandas as pd

    from qualcode.io import write_codings, write_codings_parts

    plain = pd.DataFrame(
        {
            "segment_id": ["g1:1", "g1:2"],
            "code_id": ["RI1", ""],
            "coder": "auto",
            "origin": "auto",
            "memo": "",
            "start_char": [3, ""],
            "end_char": [9, ""],
            "text_hash": ["9d75d137", "4371ac30"],
            "codebook": "Chunks #e70e44b7",
        }
    )
    quoted = plain.assign(segment_id=["g,1:1", 'say "hi":2'], memo=["two\nlines", "a\rb"])
    missing = plain.assign(memo=[None, float("nan")])
    for parts in ([plain], [quoted], [plain, quoted, missing], [missing, plain], [plain.iloc[:0]]):
        whole = pd.concat(parts, ignore_index=True)
        write_codings(whole, tmp_path / "whole.csv", backup=False)
        write_codings_parts(parts, tmp_path / "parts.csv", backup=False)
        assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
        if parts[0] is quoted:
            assert b'"g,1:1"' in (tmp_path / "parts.csv").read_bytes()
