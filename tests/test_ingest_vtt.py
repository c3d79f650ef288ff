"""WebVTT parser: Zoom (`Name: ` prefixes, continuation cues) and Teams (`<v Name>` voice tags)."""

from __future__ import annotations

import contextlib
import time

import pytest

from qualcode.errors import InputFormatError
from qualcode.ingest.blocks import RawBlock
from qualcode.ingest.vtt import parse_vtt


def rows(parsed):
    return [(b.speaker, b.text, b.line, b.start_time, b.end_time) for b in parsed.blocks]


# A Zoom cloud-recording transcript: numeric ids, a name on most cues, none on continuations.
ZOOM = """WEBVTT

1
00:00:02.350 --> 00:00:07.890
Dana Whitfield (Facilitator): Okay, I think we\u2019re recording now. Thank you all for coming.

2
00:00:08.120 --> 00:00:13.460
Dana Whitfield (Facilitator): Let\u2019s start with first names, and how long you\u2019ve been in care.

3
00:00:14.010 --> 00:00:19.220
Marcus: Hi, I\u2019m Marcus. I\u2019ve been on Suboxone for about, uh, two years now.

4
00:00:19.220 --> 00:00:24.800
Before that I was in and out of programs since\u00a02015.

5
00:00:25.400 --> 00:00:31.050
Ren\u00e9e T.: Hi everyone. I go to the clinic on Fifth Street, the \u201cgroup room\u201d one.

6
00:01:02.345 --> 00:01:05.000
iPhone (2): Sorry, my camera is off.

7
00:01:05.500 --> 00:01:09.000
Dana Whitfield (Facilitator): No problem at all.
"""


def test_zoom_vtt_whole_result():
    parsed = parse_vtt(ZOOM, "group1.vtt")
    assert parsed.format == "vtt"
    assert rows(parsed) == [
        (
            "Dana Whitfield (Facilitator)",
            "Okay, I think we\u2019re recording now. Thank you all for coming.",
            3,
            2.35,
            7.89,
        ),
        (
            "Dana Whitfield (Facilitator)",
            "Let\u2019s start with first names, and how long you\u2019ve been in care.",
            7,
            8.12,
            13.46,
        ),
        (
            "Marcus",
            "Hi, I\u2019m Marcus. I\u2019ve been on Suboxone for about, uh, two years now.",
            11,
            14.01,
            19.22,
        ),
        (None, "Before that I was in and out of programs since\u00a02015.", 15, 19.22, 24.8),
        (
            "Ren\u00e9e T.",
            "Hi everyone. I go to the clinic on Fifth Street, the \u201cgroup room\u201d one.",
            19,
            25.4,
            31.05,
        ),
        ("iPhone (2)", "Sorry, my camera is off.", 23, 62.345, 65.0),
        ("Dana Whitfield (Facilitator)", "No problem at all.", 27, 65.5, 69.0),
    ]
    assert [b.flags for b in parsed.blocks] == [(), (), (), ("continuation-cue",), (), (), ()]
    assert parsed.warnings == ["1 cue without a speaker name continues the previous speaker"]


# Microsoft Teams: GUID ids, voice tags, a NOTE block, optional hours.
TEAMS = """WEBVTT

NOTE
This transcript was generated automatically by Microsoft Teams.

9f1c2a7e-53b1-4d5e-a0c4-1d2e3f4a5b6c/11-0
00:00:01.530 --> 00:00:05.120
<v Lee, Jordan (Facilitator)>Good afternoon, and welcome to the second group.</v>

9f1c2a7e-53b1-4d5e-a0c4-1d2e3f4a5b6c/12-0
00:00:05.980 --> 00:00:11.440
<v Priya Natarajan>So for me the meds handle the cravings,
but the anxiety is still there.</v>

NOTE speaker diarisation was corrected by hand below

9f1c2a7e-53b1-4d5e-a0c4-1d2e3f4a5b6c/13-0
00:12.000 --> 00:15.250
<v Priya Natarajan>That&apos;s where a group would help &amp; not just the pills.</v>

9f1c2a7e-53b1-4d5e-a0c4-1d2e3f4a5b6c/14-0
00:00:15.300 --> 00:00:17.000
<v Lee, Jordan (Facilitator)>Thank you.</v><v Sam O&#39;Brien>Can I add something?</v>
"""


def test_teams_vtt_whole_result():
    parsed = parse_vtt(TEAMS, "group2.vtt")
    assert rows(parsed) == [
        (
            "Lee, Jordan (Facilitator)",
            "Good afternoon, and welcome to the second group.",
            6,
            1.53,
            5.12,
        ),
        (
            "Priya Natarajan",
            "So for me the meds handle the cravings, but the anxiety is still there.",
            10,
            5.98,
            11.44,
        ),
        (
            "Priya Natarajan",
            "That's where a group would help & not just the pills.",
            17,
            12.0,
            15.25,
        ),
        ("Lee, Jordan (Facilitator)", "Thank you.", 21, 15.3, 17.0),
        ("Sam O'Brien", "Can I add something?", 21, 15.3, 17.0),
    ]
    assert all(b.flags == () for b in parsed.blocks)
    assert parsed.warnings == []


def test_voice_tag_variants_markup_and_entities():
    text = """WEBVTT - Recorded focus group

STYLE
::cue(v[voice="Ana"]) { color: yellow }

REGION
id:left width:40%

00:00:01.000 --> 00:00:04.000 align:start position:10% line:0
<v.loud.angry Ana Ruiz>I <i>really</i> <b>don\u2019t</b> think&nbsp;so &lt;sigh&gt;

00:00:04.000 --> 00:00:06.500
<v Ana Ruiz><c.yellow>Because</c> <00:00:04.500>it costs <u>too</u> much <crosstalk>

00:00:07.000 --> 00:00:08.000
<v Ben>Yes.</v> and also

00:00:09.000 --> 00:00:10.000
No voice tag on this cue.
"""
    parsed = parse_vtt(text, "g.vtt")
    assert rows(parsed) == [
        ("Ana Ruiz", "I really don\u2019t think\u00a0so <sigh>", 9, 1.0, 4.0),
        ("Ana Ruiz", "Because it costs too much <crosstalk>", 12, 4.0, 6.5),
        ("Ben", "Yes.", 15, 7.0, 8.0),
        (None, "and also", 15, 7.0, 8.0),
        (None, "No voice tag on this cue.", 18, 9.0, 10.0),
    ]
    assert [b.flags for b in parsed.blocks] == [(), (), (), (), ("continuation-cue",)]
    assert parsed.warnings == ["1 cue without a speaker name continues the previous speaker"]


def test_layout_tolerance_crlf_bom_missing_blank_lines_and_header_metadata():
    text = (
        "\ufeffWEBVTT\r\nKind: captions\r\nLanguage: en\r\n\r\n\r\n"
        "1\r\n00:00:01.000 --> 00:00:02.000\r\nP1: one\r\n"
        "2\r\n00:00:02.000 --> 00:00:03.000\r\nP2: two\r\nstill P2\r\n"
        "00:00:03.000 --> 00:00:04.000\r\nP1: three\r\n"
    )
    parsed = parse_vtt(text, "g.vtt")
    assert rows(parsed) == [
        ("P1", "one", 6, 1.0, 2.0),
        ("P2", "two still P2", 9, 2.0, 3.0),
        ("P1", "three", 13, 3.0, 4.0),
    ]
    assert parsed.warnings == []


def test_cue_right_after_header_and_blank_lines_before_it():
    text = "\n\nWEBVTT\n1\n00:00:01.000 --> 00:00:02.000\nP1: hello\n"
    assert rows(parse_vtt(text, "g.vtt")) == [("P1", "hello", 4, 1.0, 2.0)]


def test_stray_text_is_joined_or_dropped_with_a_warning():
    text = """WEBVTT

Recording started

1
00:00:01.000 --> 00:00:02.000
P1: first part

of my answer

2
00:00:03.000 --> 00:00:04.000
P2: ok
"""
    parsed = parse_vtt(text, "g.vtt")
    assert rows(parsed) == [
        ("P1", "first part of my answer", 5, 1.0, 2.0),
        ("P2", "ok", 11, 3.0, 4.0),
    ]
    assert parsed.warnings == [
        "text before the first cue was ignored (line 3); only cue text is part of the transcript",
        "1 text block without a cue timing joined to the cue before (line 9)",
    ]


def test_a_colon_in_speech_is_not_a_speaker_unless_it_repeats():
    text = """WEBVTT

00:00:01.000 --> 00:00:02.000
Moderator: What matters most?

00:00:02.000 --> 00:00:03.000
the honest answer is: money

00:00:03.000 --> 00:00:04.000
dr kim: lower-case names count once they label two cues

00:00:04.000 --> 00:00:05.000
dr kim: like this one

00:00:05.000 --> 00:00:06.000
Moderator: See https://example.org at 10:30 today.
"""
    assert rows(parse_vtt(text, "g.vtt")) == [
        ("Moderator", "What matters most?", 3, 1.0, 2.0),
        (None, "the honest answer is: money", 6, 2.0, 3.0),
        ("dr kim", "lower-case names count once they label two cues", 9, 3.0, 4.0),
        ("dr kim", "like this one", 12, 4.0, 5.0),
        ("Moderator", "See https://example.org at 10:30 today.", 15, 5.0, 6.0),
    ]


def test_empty_cues_are_skipped():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n00:00:02.000 --> 00:00:03.000\n<v A>hi</v>\n"
    parsed = parse_vtt(text, "g.vtt")
    assert parsed.blocks == [RawBlock("A", "hi", 5, 2.0, 3.0)]


def test_hours_over_99_and_short_fractions():
    text = "WEBVTT\n\n100:00:01.5 --> 100:00:02.25\n<v A>late</v>\n"
    assert rows(parse_vtt(text, "g.vtt")) == [("A", "late", 3, 360001.5, 360002.25)]


# --- errors -------------------------------------------------------------------------------------
def test_missing_header_is_an_error():
    text = "1\n00:00:01.000 --> 00:00:02.000\nP1: hi\n"
    with pytest.raises(InputFormatError) as err:
        parse_vtt(text, "talk.vtt")
    exc = err.value
    assert (exc.file, exc.line, exc.message) == (
        "talk.vtt",
        1,
        "not a WebVTT file: the first line is not 'WEBVTT'",
    )
    assert exc.hint.startswith("a .vtt transcript starts with the line WEBVTT")


def test_header_must_be_the_word_webvtt():
    with pytest.raises(InputFormatError) as err:
        parse_vtt("WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nA: b\n", "x.vtt")
    assert (err.value.line, err.value.message) == (
        1,
        "not a WebVTT file: the first line is not 'WEBVTT'",
    )


def test_empty_file_is_an_error():
    with pytest.raises(InputFormatError) as err:
        parse_vtt("", "empty.vtt")
    assert (err.value.file, err.value.line) == ("empty.vtt", 1)


def test_bad_timing_names_the_line():
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:0x.000\nP1: hi\n"
    with pytest.raises(InputFormatError) as err:
        parse_vtt(text, "x.vtt")
    exc = err.value
    assert (exc.file, exc.line, exc.message) == (
        "x.vtt",
        4,
        "cue timing is not valid: '00:00:01.000 --> 00:00:0x.000'",
    )
    assert exc.hint == "a cue timing looks like 00:01:02.345 --> 00:01:05.000 (hours are optional)"


def test_no_cues_is_an_error():
    with pytest.raises(InputFormatError) as err:
        parse_vtt("WEBVTT\n\nNOTE nothing here\n", "x.vtt")
    exc = err.value
    assert (exc.file, exc.line, exc.message) == ("x.vtt", None, "no cues found in this WebVTT file")
    assert "00:00:01.000 --> 00:00:04.000" in exc.hint


def test_no_speaker_anywhere_is_an_error():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there\n\n00:00:02.000 --> 00:00:03.000\nbye\n"
    with pytest.raises(InputFormatError) as err:
        parse_vtt(text, "x.vtt")
    exc = err.value
    assert (exc.file, exc.line, exc.message) == (
        "x.vtt",
        None,
        "no speaker labels: no cue in this WebVTT file names who is speaking",
    )
    assert "table with a speaker and a text column" in exc.hint


@pytest.mark.parametrize(
    "text",
    [
        "WEBVTT " + "x" * 5_000_000,
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA: " + "<v " * 1_700_000,
        "WEBVTT\n\n00:00:01.000 --> " + "1" * 5_000_000,
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + "[Ab:" * 1_250_000,
    ],
    ids=["header-line", "voice-open", "timing", "labels"],
)
def test_huge_single_line_returns_or_fails_fast(text):
    began = time.process_time()
    with contextlib.suppress(InputFormatError):
        parse_vtt(text, "big.vtt")
    assert time.process_time() - began < 5


def test_note_with_an_arrow_and_an_unnamed_voice():
    text = """WEBVTT

NOTE edited: speaker A --> Ana
second note line

00:00:01.000 --> 00:00:02.000
<v Ana>hi</v>

00:00:02.000 --> 00:00:03.000
<v>who said this?</v>
"""
    parsed = parse_vtt(text, "g.vtt")
    assert rows(parsed) == [("Ana", "hi", 6, 1.0, 2.0), (None, "who said this?", 9, 2.0, 3.0)]
    assert parsed.warnings == ["1 cue without a speaker name continues the previous speaker"]
