"""Plain-text and Otter.ai transcripts: labels, timestamps, notes, headings, encodings, bad input."""

from __future__ import annotations

import re
import time

import pytest

from qualcode.errors import InputFormatError
from qualcode.ingest import ingest_file
from qualcode.ingest.detect import decode_bytes, detect_format
from qualcode.ingest.text import NoSpeakerLabelsError, parse_text


def rows(result):
    """(turn, speaker, role, text, start_time, line) per segment."""
    return [(s.turn, s.speaker, s.role, s.text, s.start_time, s.line) for s in result.segments]


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode(encoding))
    return path


LABEL_STYLES = """\
Facilitator: Welcome, everyone.
INTERVIEWER 1: Shall we start?
[Anna] I'll go first.
Dr. Lee (Facilitator): Thank you, Anna.
Mary Jane O'Neil: Me next.
José Álvarez (P3, nurse): Claro.
Ana de la Cruz: Hello.
Speaker 2: Hi.
"""


def test_label_styles(tmp_path):
    result = ingest_file(write(tmp_path, "fg1.txt", LABEL_STYLES))
    assert result.format == "text"
    assert rows(result) == [
        (1, "Facilitator", "facilitator", "Welcome, everyone.", None, 1),
        (2, "INTERVIEWER 1", "facilitator", "Shall we start?", None, 2),
        (3, "Anna", "participant", "I'll go first.", None, 3),
        (4, "Dr. Lee (Facilitator)", "facilitator", "Thank you, Anna.", None, 4),
        (5, "Mary Jane O'Neil", "participant", "Me next.", None, 5),
        (6, "José Álvarez (P3, nurse)", "participant", "Claro.", None, 6),
        (7, "Ana de la Cruz", "participant", "Hello.", None, 7),
        (8, "Speaker 2", "participant", "Hi.", None, 8),
    ]
    assert result.warnings == []


def test_timestamps_continuations_notes_and_headings(tmp_path):
    text = """\
Focus Group 2 - Clinic B
Date: 12 May 2023

Question 1: How did you find support?

[00:12:31] Moderator: Let's begin.
00:12:40 P1: Well, I think [crosstalk] it was hard.

And it stayed hard. [inaudible]
The thing is: nobody called back.
(00:13:02) P2: Same.
00:13:10
P1: Really?
Section 2 \u2014 Peer support
P2: Peers helped.
"""
    result = ingest_file(write(tmp_path, "fg2.txt", text))
    assert rows(result) == [
        (1, "Moderator", "facilitator", "Let's begin.", 751.0, 6),
        (
            2,
            "P1",
            "participant",
            "Well, I think [crosstalk] it was hard.\nAnd it stayed hard. [inaudible]\n"
            "The thing is: nobody called back.",
            760.0,
            7,
        ),
        (3, "P2", "participant", "Same.", 782.0, 11),
        (4, "P1", "participant", "Really?", 790.0, 13),
        (5, "P2", "participant", "Peers helped.", None, 15),
    ]
    assert result.warnings == [
        "ignored heading/title lines (4): line 1 'Focus Group 2 - Clinic B'; line 2 'Date: 12 May "
        "2023'; line 4 'Question 1: How did you find support?'; line 14 'Section 2 \u2014 Peer "
        "support'"
    ]


def test_sentences_with_colons_are_not_labels():
    text = (
        "P1: I said it.\n"
        "The thing is: nobody called.\n"
        "What I mean is: it hurt.\n"
        "http://example.org: a link\n"
        "10:30: we arrived\n"
        "P2: Right.\n"
    )
    parsed = parse_text(text, "x.txt")
    assert [(b.speaker, b.text) for b in parsed.blocks] == [
        (
            "P1",
            "I said it.\nThe thing is: nobody called.\nWhat I mean is: it hurt.\n"
            "http://example.org: a link\n10:30: we arrived",
        ),
        ("P2", "Right."),
    ]


def test_file_vote_rejects_one_off_word_in_all_caps_file():
    text = "ANNA: I agree.\nBEN: Me too.\nANNA: Good.\nHonestly: it was awful.\nBEN: Yes.\n"
    parsed = parse_text(text, "x.txt")
    assert [(b.speaker, b.text) for b in parsed.blocks] == [
        ("ANNA", "I agree."),
        ("BEN", "Me too."),
        ("ANNA", "Good.\nHonestly: it was awful."),
        ("BEN", "Yes."),
    ]


def test_one_off_speaker_is_kept():
    parsed = parse_text("Anna: Hi.\nBen: Hello.\nAnna: So.\nTom: Yeah, same.\n", "x.txt")
    assert [b.speaker for b in parsed.blocks] == ["Anna", "Ben", "Anna", "Tom"]


def test_bracket_notes_alone_are_text_not_speakers():
    parsed = parse_text("[Anna] Hi.\n[laughter]\n[Inaudible 00:01:02]\n[Ben]: Yes.\n", "x.txt")
    assert [(b.speaker, b.text) for b in parsed.blocks] == [
        ("Anna", "Hi.\n[laughter]\n[Inaudible 00:01:02]"),
        ("Ben", "Yes."),
    ]


def test_label_on_its_own_line_takes_following_text():
    parsed = parse_text("Anna:\nFirst line.\nSecond line.\nBen:\nYes.\n", "x.txt")
    assert [(b.speaker, b.text, b.line) for b in parsed.blocks] == [
        ("Anna", "First line.\nSecond line.", 1),
        ("Ben", "Yes.", 4),
    ]


def test_empty_turn_is_dropped_with_warning():
    parsed = parse_text("Anna:\nBen: Yes.\n", "x.txt")
    assert [(b.speaker, b.text) for b in parsed.blocks] == [("Ben", "Yes.")]
    assert parsed.warnings == ["dropped empty turn (1): line 1 (Anna)"]


def test_label_with_timestamp_after_name():
    parsed = parse_text("Anna 00:01:02: Hi.\nBen [01:05]: Yes.\n", "x.txt")
    assert [(b.speaker, b.text, b.start_time) for b in parsed.blocks] == [
        ("Anna", "Hi.", 62.0),
        ("Ben", "Yes.", 65.0),
    ]


def test_text_before_first_label_is_unknown_speaker(tmp_path):
    text = "We were already talking when the recorder started, sorry.\nP1: Yes.\n"
    result = ingest_file(write(tmp_path, "fg.txt", text))
    assert rows(result) == [
        (
            1,
            "Unknown Speaker",
            "unknown",
            "We were already talking when the recorder started, sorry.",
            None,
            1,
        ),
        (2, "P1", "participant", "Yes.", None, 2),
    ]


# --- speaker pattern --------------------------------------------------------------------------
def test_speaker_pattern(tmp_path):
    text = "ANNA - I agree.\nmore of it\nBEN - Yes.\n"
    result = ingest_file(
        write(tmp_path, "fg.txt", text),
        speaker_pattern=r"^(?P<speaker>[A-Z]+) - (?P<text>.*)$",
    )
    assert rows(result) == [
        (1, "ANNA", "participant", "I agree.\nmore of it", None, 1),
        (2, "BEN", "participant", "Yes.", None, 3),
    ]


def test_speaker_pattern_without_text_group_takes_rest_of_line():
    parsed = parse_text("#anna# hi\n#ben# yes\n", "x.txt", speaker_pattern=r"#(?P<speaker>\w+)#")
    assert [(b.speaker, b.text) for b in parsed.blocks] == [("anna", "hi"), ("ben", "yes")]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"^(?P<speaker>[A-Z", "invalid speaker pattern"),
        (r"^(?P<name>\w+):", "has no (?P<speaker>...) group"),
    ],
)
def test_bad_speaker_pattern(pattern, message):
    with pytest.raises(InputFormatError, match=re.escape(message)):
        parse_text("A: b\n", "x.txt", speaker_pattern=pattern)


def test_speaker_pattern_that_matches_nothing():
    with pytest.raises(NoSpeakerLabelsError, match="no line matches the speaker pattern"):
        parse_text("Anna: hi\n", "x.txt", speaker_pattern=r"^(?P<speaker>\d+)\)")


def test_catastrophic_speaker_pattern_times_out():
    start = time.process_time()
    with pytest.raises(InputFormatError, match="speaker pattern took longer than 0.2 s"):
        parse_text(
            "a" * 40 + "!\n",
            "x.txt",
            speaker_pattern=r"^(?P<speaker>(a|aa)+)+$",
            pattern_timeout=0.2,
        )
    assert time.process_time() - start < 3


# --- encodings --------------------------------------------------------------------------------
def test_bom_and_crlf(tmp_path):
    data = "\ufeffAnna: Hi.\r\nmore\r\nBen: Yes.\r\n".encode()
    result = ingest_file(write(tmp_path, "fg.txt", data))
    assert rows(result) == [
        (1, "Anna", "participant", "Hi.\nmore", None, 1),
        (2, "Ben", "participant", "Yes.", None, 3),
    ]
    assert result.warnings == []


def test_cp1252_fallback_warns_naming_the_file(tmp_path):
    path = write(tmp_path, "fg.txt", b"Ren\xe9: caf\xe9 \x93quoted\x94\n")
    result = ingest_file(path)
    assert rows(result) == [(1, "René", "participant", "café \u201cquoted\u201d", None, 1)]
    assert result.warnings == [
        f"{path}: not valid UTF-8; read as Windows-1252 (cp1252) - check accented characters, "
        "or re-save the file as UTF-8"
    ]


def test_nbsp_and_curly_quotes_normalised_in_names_kept_in_text(tmp_path):
    text = "Mary\u00a0O\u2019Neil: It\u2019s \u201cfine\u201d\u00a0really.\nMary O'Neil: Yes.\n"
    result = ingest_file(write(tmp_path, "fg.txt", text))
    assert rows(result) == [
        (1, "Mary O'Neil", "participant", "It\u2019s \u201cfine\u201d\u00a0really.\nYes.", None, 1)
    ]


def test_utf16_with_bom(tmp_path):
    result = ingest_file(write(tmp_path, "fg.txt", "Anna: Hi.\n".encode("utf-16")))
    assert rows(result) == [(1, "Anna", "participant", "Hi.", None, 1)]


def test_decode_bytes_binary():
    with pytest.raises(InputFormatError, match="binary file"):
        decode_bytes(b"abc\x00\x01\x02def", "x.txt")
    with pytest.raises(InputFormatError, match="this is a PDF document"):
        decode_bytes(b"%PDF-1.7 ...", "x.txt")


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "file is empty"),
        ("blank.txt", b"  \n\n \r\n", r"file is empty \(only whitespace\)"),
        ("bin.txt", bytes(range(256)) * 4, "binary file: not a text transcript"),
        ("x.pdf", b"%PDF-1.4", r"\.pdf files are not supported"),
        ("x.doc", b"\xd0\xcf\x11\xe0", r"\.doc files are not supported"),
        ("x.rtfd", b"hello", "unsupported file type '.rtfd'"),
        ("noext", b"hello", "file has no extension"),
        ("prose.txt", b"We met at noon.\nIt was good.\n", "no speaker labels found"),
    ],
)
def test_bad_files(tmp_path, name, content, message):
    with pytest.raises(InputFormatError, match=message):
        ingest_file(write(tmp_path, name, content))


def test_unknown_extension_lists_supported(tmp_path):
    with pytest.raises(InputFormatError) as info:
        ingest_file(write(tmp_path, "x.rtfd", b"hello"))
    assert (
        info.value.hint
        == "supported: .txt .text .docx .vtt .srt .csv .tsv .xlsx (or force a format)"
    )


def test_format_override_reads_unknown_extension(tmp_path):
    result = ingest_file(write(tmp_path, "notes.log", "Anna: Hi.\n"), fmt="text")
    assert rows(result) == [(1, "Anna", "participant", "Hi.", None, 1)]


def test_five_megabyte_single_line_is_fast(tmp_path):
    big = "word " * 1_000_000
    path = write(tmp_path, "big.txt", big)
    start = time.process_time()
    with pytest.raises(NoSpeakerLabelsError):
        ingest_file(path)
    labelled = write(tmp_path, "big2.txt", "P1: " + big + "\nP2: short\n")
    result = ingest_file(labelled)
    assert [(s.speaker, len(s.text)) for s in result.segments] == [("P1", 4_999_999), ("P2", 5)]
    colons = write(tmp_path, "big3.txt", "a:" * 2_500_000)
    with pytest.raises(NoSpeakerLabelsError):
        ingest_file(colons)
    assert time.process_time() - start < 4


# --- Otter.ai ---------------------------------------------------------------------------------
OTTER = """\
Jane Smith  0:03
Welcome everyone, thanks for coming.

Speaker 2  0:15
Thanks. I think the clinic [inaudible] was fine.

Unknown Speaker  1:02:04
Yeah.

Jane Smith  1:02:10
Okay.
More from Jane.



Transcribed by https://otter.ai
"""


def test_otter_text(tmp_path):
    path = write(tmp_path, "otter1.txt", OTTER)
    assert detect_format(path, OTTER) == "otter"
    result = ingest_file(path)
    assert result.format == "otter"
    assert rows(result) == [
        (1, "Jane Smith", "participant", "Welcome everyone, thanks for coming.", 3.0, 1),
        (
            2,
            "Speaker 2",
            "participant",
            "Thanks. I think the clinic [inaudible] was fine.",
            15.0,
            4,
        ),
        (3, "Unknown Speaker", "unknown", "Yeah.", 3724.0, 7),
        (4, "Jane Smith", "participant", "Okay.\nMore from Jane.", 3730.0, 10),
    ]
    assert result.warnings == []


def test_otter_consecutive_same_speaker_merges(tmp_path):
    text = "Anna  0:01\nOne.\n\nAnna  0:09\nTwo.\n\nBen  0:20\nThree.\n"
    result = ingest_file(write(tmp_path, "o.txt", text))
    assert rows(result) == [
        (1, "Anna", "participant", "One.\nTwo.", 1.0, 1),
        (2, "Ben", "participant", "Three.", 20.0, 7),
    ]


def test_plain_text_with_a_clock_at_line_end_is_not_otter(tmp_path):
    text = "P1: We met\nat 5:30\nP2: Yes.\n"
    assert detect_format(tmp_path / "x.txt", text) == "text"


def test_sniffs_vtt_and_srt_saved_as_txt(tmp_path):
    assert detect_format(tmp_path / "x.txt", "WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n") == "vtt"
    srt = "1\n00:00:01,000 --> 00:00:02,000\nAnna: hi\n"
    assert detect_format(tmp_path / "x.txt", srt) == "srt"


def test_forced_otter_on_plain_text_says_what_is_missing(tmp_path):
    with pytest.raises(InputFormatError, match=r"no Otter.ai speaker headers \('Name  0:00'\)"):
        ingest_file(write(tmp_path, "x.txt", "Anna: hi\n"), fmt="otter")


def test_unknown_format_name(tmp_path):
    with pytest.raises(InputFormatError, match="unknown format 'pdf'"):
        ingest_file(write(tmp_path, "x.txt", "Anna: hi\n"), fmt="pdf")


def test_more_label_layouts():
    text = (
        "Q3.\n"
        "Q: How was it?\n"
        "A: Fine.\n"
        "Participant #3: Yes.\n"
        "P1 (00:01:02): With time.\n"
        "**Anna:** Markdown bold.\n"
        "Mum said: go home.\n"
        "12:30\n"
        "李明: A name without letter case.\n"
        "Kate-Lynn: Hyphen.\n"
    )
    parsed = parse_text(text, "x.txt")
    assert [(b.speaker, b.text, b.start_time, b.line) for b in parsed.blocks] == [
        ("Q", "How was it?", None, 2),
        ("A", "Fine.", None, 3),
        ("Participant #3", "Yes.", None, 4),
        ("P1", "With time.", 62.0, 5),
        ("Anna", "Markdown bold.\nMum said: go home.", None, 6),
        ("李明", "A name without letter case.", 750.0, 9),
        ("Kate-Lynn", "Hyphen.", None, 10),
    ]
    assert parsed.warnings == ["ignored heading/title line (1): line 1 'Q3.'"]
