"""SubRip parser: speaker labels in the cue text, tolerant of the usual damage to .srt files."""

from __future__ import annotations

import contextlib
import time

import pytest

from qualcode.errors import InputFormatError
from qualcode.ingest.srt import parse_srt


def rows(parsed):
    return [(b.speaker, b.text, b.line, b.start_time, b.end_time) for b in parsed.blocks]


# An interview exported from a captioning service: index, comma decimals, wrapped lines.
INTERVIEW = """1
00:00:00,840 --> 00:00:04,120
Interviewer: Can you tell me how you first
heard about the group program?

2
00:00:04,560 --> 00:00:10,030
Participant 4: My counselor mentioned it.
I wasn\u2019t sure at first, honestly.

3
00:00:10,030 --> 00:00:13,700
<i>It felt like a lot to share with\u00a0strangers.</i>

4
00:00:14,000 --> 00:00:16,250
Interviewer: That makes sense.
"""


def test_srt_interview_whole_result():
    parsed = parse_srt(INTERVIEW, "int04.srt")
    assert parsed.format == "srt"
    assert rows(parsed) == [
        (
            "Interviewer",
            "Can you tell me how you first heard about the group program?",
            1,
            0.84,
            4.12,
        ),
        (
            "Participant 4",
            "My counselor mentioned it. I wasn\u2019t sure at first, honestly.",
            6,
            4.56,
            10.03,
        ),
        (None, "It felt like a lot to share with\u00a0strangers.", 11, 10.03, 13.7),
        ("Interviewer", "That makes sense.", 15, 14.0, 16.25),
    ]
    assert [b.flags for b in parsed.blocks] == [(), (), ("continuation-cue",), ()]
    assert parsed.warnings == ["1 cue without a speaker label (it continues the previous speaker)"]


def test_dash_bracket_and_capital_labels_and_sound_notes():
    text = """1
00:00:01,000 --> 00:00:03,000
- JOHN: <b>Yes.</b>
- MARY: No, not really.

2
00:00:03.500 --> 00:00:05.000
{\\an8}[Dr. Okafor] Let\u2019s move on.

3
00:00:05,000 --> 00:00:06,000
[Laughter] That\u2019s fair.

4
00:00:06,000 --> 00:00:07,000
[inaudible]

5
00:00:07,000 --> 00:00:08,000
>> KEISHA: Me too.
"""
    parsed = parse_srt(text, "x.srt")
    assert rows(parsed) == [
        ("JOHN", "Yes.", 1, 1.0, 3.0),
        ("MARY", "No, not really.", 1, 1.0, 3.0),
        ("Dr. Okafor", "Let\u2019s move on.", 6, 3.5, 5.0),
        (None, "[Laughter] That\u2019s fair.", 10, 5.0, 6.0),
        (None, "[inaudible]", 14, 6.0, 7.0),
        ("KEISHA", "Me too.", 18, 7.0, 8.0),
    ]
    assert parsed.warnings == [
        "2 cues without a speaker label (each continues the previous speaker)"
    ]


def test_missing_indexes_extra_blank_lines_crlf_and_no_blank_before_an_index():
    text = (
        "\r\n\r\n00:00:01,000 --> 00:00:02,000\r\nA: one\r\n\r\n\r\n\r\n"
        "00:00:02,000 --> 00:00:03,000\r\nB: two\r\n"
        "3\r\n00:00:03,000 --> 00:00:04,000\r\nA: three\r\n4\r\n"
    )
    parsed = parse_srt(text, "x.srt")
    assert rows(parsed) == [
        ("A", "one", 3, 1.0, 2.0),
        ("B", "two", 8, 2.0, 3.0),
        ("A", "three 4", 10, 3.0, 4.0),
    ]
    assert parsed.warnings == []


def test_unknown_angle_text_is_kept_and_entities_are_not_decoded():
    text = '1\n00:00:01,000 --> 00:00:02,000\nA: <font color="red">R&amp;D</font> <crosstalk>\n'
    assert rows(parse_srt(text, "x.srt")) == [("A", "R&amp;D <crosstalk>", 1, 1.0, 2.0)]


# --- errors -------------------------------------------------------------------------------------
def test_no_speaker_labels_is_an_error():
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nHello there.\n\n2\n00:00:02,000 --> 00:00:03,000\nHi.\n"
    )
    with pytest.raises(InputFormatError) as err:
        parse_srt(text, "plain.srt")
    exc = err.value
    assert (exc.file, exc.line, exc.message) == (
        "plain.srt",
        None,
        "no speaker labels: no cue in this SubRip file names who is speaking",
    )
    assert exc.hint == (
        "export the transcript with speaker names (e.g. 'Name: text'), "
        "or put it in a table with a speaker and a text column (.csv or .xlsx)"
    )


def test_bad_timing_is_an_error():
    text = "1\n00:00:01,000 --> soon\nA: hi\n"
    with pytest.raises(InputFormatError) as err:
        parse_srt(text, "x.srt")
    assert (err.value.file, err.value.line, err.value.message) == (
        "x.srt",
        2,
        "cue timing is not valid: '00:00:01,000 --> soon'",
    )


def test_no_cues_is_an_error():
    with pytest.raises(InputFormatError) as err:
        parse_srt("Interviewer: hello\nP1: hi\n", "notes.srt")
    assert (err.value.file, err.value.message) == ("notes.srt", "no cues found in this SubRip file")


def test_a_text_line_with_an_arrow_inside_a_cue_is_text():
    text = "1\n00:00:01,000 --> 00:00:02,000\nA: from home --> to clinic\n"
    assert rows(parse_srt(text, "x.srt")) == [("A", "from home --> to clinic", 1, 1.0, 2.0)]


@pytest.mark.parametrize(
    "text",
    [
        "x" * 5_000_000,
        "1\n00:00:01,000 --> 00:00:02,000\nA: " + "<i>" * 1_700_000,
        "1\n00:00:01,000 --> 00:00:02,000\n" + "{\\" * 2_500_000,
    ],
    ids=["one-line", "tags", "ass-codes"],
)
def test_huge_input_returns_or_fails_fast(text):
    began = time.process_time()
    with contextlib.suppress(InputFormatError):
        parse_srt(text, "big.srt")
    assert time.process_time() - began < 5
