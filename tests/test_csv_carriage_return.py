"""A carriage return inside a cell: every CSV qualcode writes reads back as the cells it wrote.

With LF line ends, pandas' to_csv and Python 3.11's csv writer quote a cell only for `,` `"` or
`\\n`, while pandas', the csv module's and spreadsheets' readers end a row at an unquoted `\\r`:
`import qdpx` of a source text "0\\r0" (found by test_fuzz_refi) wrote a segments.csv that reading
refused ("turn must be a whole number, got ''"). Files with no `\\r` in a cell keep their bytes.

What the ingesters do with a lone CR (pinned at the end): .txt, .vtt, .srt and transcript tables
read it as a line break, as does a docx line break (<w:cr/>); a CR character inside a docx text
run (&#13;) and any cell of a segments.csv are kept as text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.io import csv_line, read_codings, read_segments, write_csv_rows, write_frame_csv

CELLS = ["\r", "\r\n", "\n", "a\rb\rc", "0\r0", 'say "\r" twice', "end\r", "\rstart"]
SEGMENT_HEADER = (
    "segment_id,transcript_id,turn,speaker,participant_id,role,text,start_time,end_time,source,line"
)
CODEBOOK = """\
title: CR study
codes:
  - id: RI1
    label: "One"
  - id: RI2
    label: "Two"
"""


def csv_cells(path: Path) -> list[list[str]]:
    """The cells of a CSV file as the csv module (not qualcode, not pandas) reads them."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def write_segments_table(path: Path, texts: list[str], speakers: list[str] | None = None) -> None:
    speakers = speakers or [f"P{i}" for i in range(1, len(texts) + 1)]
    lines = [SEGMENT_HEADER]
    for i, (text, speaker) in enumerate(zip(texts, speakers, strict=True), start=1):
        lines.append(
            f"S:{i},S,{i},{quoted(speaker)},,participant,{quoted(text)},,,s.txt,{i}"
        )  # every cell quoted, as another tool may write it
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")


# --- the writers --------------------------------------------------------------------------------
TEXT = st.text(alphabet=st.sampled_from(list('ab\r\n,"\u00e9\x00\ue000 ')), max_size=8)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(TEXT, TEXT, st.integers(-5, 5)), max_size=6))
def test_a_frame_reads_back_as_written_and_keeps_to_csv_bytes_without_cr(rows):
    df = pd.DataFrame(rows, columns=["a", "b", "n"])
    text = write_frame_csv(df)
    if not any("\r" in a or "\r" in b for a, b, _ in rows):
        assert text == df.to_csv(index=False, lineterminator="\n")
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back == [["a", "b", "n"], *[[a, b, str(n)] for a, b, n in rows]]
    # pandas 2.1's C reader ends a cell at a NUL character (3.1 keeps it): the NUL round trip is
    # checked with the csv module above, pandas' on the rest.
    if rows and not any("\x00" in a or "\x00" in b for a, b, _ in rows):
        read = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        assert [tuple(r) for r in read.to_numpy()] == [(a, b, str(n)) for a, b, n in rows]
    lines = "".join(csv_line(r) for r in [("a", "b", "n"), *rows])
    assert list(csv.reader(io.StringIO(lines, newline=""))) == back


def test_only_the_cells_holding_cr_are_quoted_and_chunks_keep_to_csv_bytes():
    """A frame longer than a chunk, with a float, a missing value, a datetime column whose format
    pandas chooses per chunk, and a category: the same bytes as one to_csv call, except the
    quotes around the one cell holding \\r."""
    n = 40_000
    df = pd.DataFrame(
        {
            "text": [f"turn {i}" for i in range(n)],
            "score": [i / 7 if i % 5 else None for i in range(n)],
            "when": pd.to_datetime(
                ["2024-01-01"] * 20_000 + ["2024-01-01 10:30"] * 20_000, format="ISO8601"
            ),
            "role": pd.Categorical(["participant", "facilitator"] * 20_000),
        }
    )
    plain = df.to_csv(index=False, lineterminator="\n")
    assert write_frame_csv(df) == plain
    df.loc[30_000, "text"] = "a\rb"
    expected = df.to_csv(index=False, lineterminator="\n").replace("\na\rb,", '\n"a\rb",')
    assert write_frame_csv(df) == expected
    assert expected.count('"') == 2


def test_write_csv_rows_quotes_a_cell_holding_cr(tmp_path):
    rows = [
        ("S:1", "RI1", "kept", "a\rb"),
        ("S:2", "RI2", "dropped", "plain"),
        ("S:3", "", None, 1),
    ]
    write_csv_rows(tmp_path / "log.csv", ["segment_id", "code_id", "decision", "reason"], rows)
    data = (tmp_path / "log.csv").read_bytes()
    assert data == (
        b'segment_id,code_id,decision,reason\nS:1,RI1,kept,"a\rb"\nS:2,RI2,dropped,plain\nS:3,,,1\n'
    )


# --- through the command line -------------------------------------------------------------------
def test_ingest_of_a_segments_table_keeps_cr_in_text_and_speaker(cli, tmp_path):
    texts = [*CELLS, "plain"]
    speakers = [f"P{i}" for i in range(1, len(texts))] + ["Dr\rLee"]
    write_segments_table(tmp_path / "in.csv", texts, speakers)
    out = tmp_path / "segments.csv"
    result = cli("ingest", tmp_path / "in.csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    rows = csv_cells(out)
    header = rows[0]
    assert [r[header.index("text")] for r in rows[1:]] == texts
    assert [r[header.index("speaker")] for r in rows[1:]] == speakers
    segments = read_segments(out)  # qualcode's own reader: the turns are whole numbers again
    assert segments["text"].tolist() == texts and segments["turn"].tolist() == list(
        range(1, len(texts) + 1)
    )
    # and read again by the CLI: ingest of its own output gives the same file
    again = tmp_path / "again.csv"
    assert cli("ingest", out, "-o", again).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def qdpx_with_cr(path: Path, text: bytes = b"0\r0", memo: str = "first&#13;second") -> Path:
    """The REFI-QDA project of the fuzz test's example: one TextSource whose plain text (a file in
    the archive, so no XML line-end normalisation) holds a lone CR, coded once with a memo that
    holds one (&#13; survives XML parsing)."""
    source = "000000c8-0000-4000-8000-0000000000c8"
    code = "00000001-0000-4000-8000-000000000001"
    user = "00000064-0000-4000-8000-000000000064"
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="cr" origin="test">'
        f'<Users><User guid="{user}" name="ana"/></Users>'
        f'<CodeBook><Codes><Code guid="{code}" name="Zero" isCodable="true"/></Codes></CodeBook>'
        f'<Sources><TextSource guid="{source}" name="s" plainTextPath="internal://{source}.txt">'
        f'<PlainTextSelection guid="00000300-0000-4000-8000-000000000300" startPosition="0" '
        f'endPosition="{len(text.decode())}" creatingUser="{user}">'
        f"<Description>{memo}</Description>"
        f'<Coding guid="00000400-0000-4000-8000-000000000400" creatingUser="{user}">'
        f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
        "</TextSource></Sources></Project>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr(f"sources/{source}.txt", text)
    return path


def test_import_qdpx_of_a_source_with_a_lone_cr_reads_back(cli, tmp_path):
    qdpx = qdpx_with_cr(tmp_path / "p.qdpx")
    out = tmp_path / "out"
    result = cli("import", "qdpx", qdpx, "-o", out)
    assert result.exit_code == 0, result.stderr
    segments = read_segments(out / "segments.csv")
    assert segments[["segment_id", "turn", "text"]].values.tolist() == [["s:1", 1, "0\r0"]]
    (coder_file,) = (out / "codings").glob("*.csv")
    codings = read_codings(coder_file)
    assert codings[["segment_id", "memo"]].values.tolist() == [["s:1", "first\rsecond"]]
    rows = csv_cells(coder_file)
    assert rows[1][rows[0].index("memo")] == "first\rsecond"
    # the imported study is usable: a report reads both files
    result = cli(
        "report", "hierarchy", "--segments", out / "segments.csv", "--codings", coder_file,
        "--codebook", out / "codebook.yaml", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def coded(tmp_path: Path) -> Path:
    """Segments and two coders whose memos hold every kind of line break."""
    write_segments_table(tmp_path / "segments.csv", ["a\rb", "x\r\ny", "plain", "p\nq"])
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    memos_a = ["a\rb\rc", "\r", "two\r\nlines", ""]
    memos_b = ["b\rsays", "", "p\nq", "0\r0"]
    for coder, memos, codes in (
        ("alice", memos_a, ["RI1", "RI1", "RI2", ""]),
        ("bob", memos_b, ["RI1", "RI2", "RI2", "RI1"]),
    ):
        write_csv_rows(
            tmp_path / f"{coder}.csv",
            ["segment_id", "code_id", "coder", "origin", "memo"],
            [
                (f"S:{i}", code, coder, "manual", memo)
                for i, (code, memo) in enumerate(zip(codes, memos, strict=True), start=1)
            ],
        )
    return tmp_path


def test_codings_with_cr_in_memos_through_compare_and_reconcile(cli, coded):
    assert read_codings(coded / "alice.csv")["memo"].tolist() == [
        "a\rb\rc",
        "\r",
        "two\r\nlines",
        "",
    ]
    result = cli(
        "compare", coded / "alice.csv", coded / "bob.csv", "--codebook", coded / "codebook.yaml",
        "--format", "csv", "-o", coded / "agreement.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert [r[0] for r in csv_cells(coded / "agreement.csv")[1:]] == ["RI1", "RI2"]
    out = coded / "consensus.csv"
    result = cli(
        "reconcile", coded / "alice.csv", coded / "bob.csv", "--strategy", "union", "-o", out
    )
    assert result.exit_code == 0, result.stderr
    rows = csv_cells(out)
    memo = rows[0].index("memo")
    got = {(r[0], r[1]): r[memo] for r in rows[1:]}
    # each memo kept with its author, stripped at the ends (consensus._consensus_memos)
    assert got[("S:1", "RI1")] == "alice: a\rb\rc; bob: b\rsays"
    assert got[("S:3", "RI2")] == "alice: two\r\nlines; bob: p\nq"
    assert got[("S:4", "RI1")] == "bob: 0\r0"
    assert read_codings(out)["memo"].tolist() == [r[memo] for r in rows[1:]]
    # the decisions log, edited by a coder with a reason holding \r, replays and is rewritten
    log = coded / "consensus.decisions.csv"
    table = csv_cells(log)
    reason = table[0].index("reason")
    table[1][reason] = "we\rtalked"
    with open(log, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(table)  # CRLF, as a spreadsheet saves it: the \r is quoted
    replay = coded / "replayed.csv"
    result = cli(
        "reconcile", coded / "alice.csv", coded / "bob.csv", "--decisions", log, "-o", replay
    )
    assert result.exit_code == 0, result.stderr
    replayed = csv_cells(coded / "replayed.decisions.csv")
    assert replayed[1][replayed[0].index("reason")] == "we\rtalked"
    assert csv_cells(replay) == rows


def test_coding_sheet_csv_round_trip_with_cr(cli, coded):
    sheet = coded / "coding.csv"
    result = cli(
        "code", coded / "segments.csv", "-c", coded / "codebook.yaml", "--coder", "carol",
        "--sheet", sheet, "-o", coded / "carol.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    table = csv_cells(sheet)  # the sheet is CRLF (what Excel writes): CR and LF are quoted
    header = table[0]
    assert [r[header.index("segment_id")] for r in table[1:]] == ["S:1", "S:2", "S:3", "S:4"]
    # the sheet shows a CR as a line break (sheet._clean); its check hash is of the same text
    assert [r[header.index("text")] for r in table[1:3]] == ["a\nb", "x\ny"]
    table[1][header.index("RI1: One")] = "x"
    table[1][header.index("memo")] = "sheet\rmemo"
    table[2][header.index("RI2: Two")] = "x"
    table[2][header.index("memo")] = "\r\n"
    with open(sheet, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)
    result = cli("code", "--from-sheet", sheet, "--coder", "carol", "-o", coded / "carol.csv")
    assert result.exit_code == 0, result.stderr
    got = read_codings(coded / "carol.csv")[["segment_id", "code_id", "memo"]].values.tolist()
    assert got[0] == ["S:1", "RI1", "sheet\rmemo"]
    assert got[1][:2] == ["S:2", "RI2"]
    cells = csv_cells(coded / "carol.csv")
    assert [r[cells[0].index("memo")] for r in cells[1:]] == [m for _, _, m in got]


def test_readers_take_a_quoted_cr_written_by_another_tool(cli, tmp_path):
    """Quoted by another tool (all cells quoted, CRLF line ends): the cells are read as written."""
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    with open(tmp_path / "segments.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(SEGMENT_HEADER.split(","))
        writer.writerow(["S:1", "S", "1", "P1", "", "participant", "a\rb", "", "", "s.txt", "1"])
        writer.writerow(["S:2", "S", "2", "P2", "", "participant", "c", "", "", "s.txt", "2"])
    with open(tmp_path / "dana.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(["segment_id", "code_id", "coder", "origin", "memo"])
        writer.writerow(["S:1", "RI1", "dana", "manual", "m\r1"])
        writer.writerow(["S:2", "", "dana", "manual", "\r"])
    assert read_segments(tmp_path / "segments.csv")["text"].tolist() == ["a\rb", "c"]
    assert read_codings(tmp_path / "dana.csv")["memo"].tolist() == ["m\r1", "\r"]
    out = tmp_path / "copy.csv"
    result = cli("ingest", tmp_path / "segments.csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert [r[6] for r in csv_cells(out)[1:]] == ["a\rb", "c"]


# --- the ingesters: what a lone CR means in each format (as they behave; pinned) ------------------
def _docx(path: Path, paragraphs: list[str], *, raw_cr: bool = False) -> Path:
    """A .docx; with raw_cr, each "|" becomes a CR character inside the text run (&#13;), as some
    exporters write it, instead of python-docx's <w:cr/> line break."""
    import docx

    doc = docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text.replace("|", "\r") if not raw_cr else text)
    doc.save(path)
    if raw_cr:
        data = {}
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                data[name] = zf.read(name)
        data["word/document.xml"] = data["word/document.xml"].replace(b"|", b"&#13;")
        with zipfile.ZipFile(path, "w") as zf:
            for name, content in data.items():
                zf.writestr(name, content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("mac.txt", b"P1: one\rtwo\rP2: three\r", [("P1", "one\ntwo"), ("P2", "three")]),
        ("mixed.txt", b"P1: a\rb\nP2: c\r\nd\n", [("P1", "a\nb"), ("P2", "c\nd")]),
        (
            "cues.vtt",
            b"WEBVTT\r\r00:00:01.000 --> 00:00:02.000\r<v P1>hello\rthere\r\r"
            b"00:00:03.000 --> 00:00:04.000\r<v P2>bye\r",
            [("P1", "hello there"), ("P2", "bye")],
        ),
        (
            "cues.srt",
            b"1\r00:00:01,000 --> 00:00:02,000\rP1: hello\rthere\r\r"
            b"2\r00:00:03,000 --> 00:00:04,000\rP2: bye\r",
            [("P1", "hello there"), ("P2", "bye")],
        ),
        ("table.csv", b'speaker,text\nP1,"a\rb"\nP2,"c\r\nd"\n', [("P1", "a\nb"), ("P2", "c\nd")]),
        ("lines.docx", ["P1: one|two", "P2: three"], [("P1", "one\ntwo"), ("P2", "three")]),
        ("raw.docx", ["P1: one|two", "P2: three"], [("P1", "one\rtwo"), ("P2", "three")]),
    ],
)
def test_ingesters_read_a_lone_cr(cli, tmp_path, name, content, expected):
    path = tmp_path / name
    if name.endswith(".docx"):
        _docx(path, content, raw_cr=name == "raw.docx")
    else:
        path.write_bytes(content)
    out = tmp_path / "segments.csv"
    result = cli("ingest", path, "-o", out)
    assert result.exit_code == 0, result.stderr
    rows = csv_cells(out)
    speaker, text = rows[0].index("speaker"), rows[0].index("text")
    assert [(r[speaker], r[text]) for r in rows[1:]] == expected
    segments = read_segments(out)
    assert list(zip(segments["speaker"], segments["text"], strict=True)) == expected
