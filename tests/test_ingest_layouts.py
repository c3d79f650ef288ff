"""Layouts of real transcription services and QDA tools, each on a file that copies its layout.

Every test compares whole turns: (speaker, role, text, start_time, end_time, line).
"""

from __future__ import annotations

import csv

import docx
import pytest

from qualcode.errors import InputFormatError
from qualcode.ingest import ingest_file
from qualcode.ingest.text import NoSpeakerLabelsError
from qualcode.ingest.turns import role_from_name


def turns(result):
    return [(s.speaker, s.role, s.text, s.start_time, s.end_time, s.line) for s in result.segments]


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# --- plain-text exports ---------------------------------------------------------------------------
REV = """\
Speaker 1 (00:00:05):
Thanks for joining us today. Can you start by telling me about your role?

Dana Okafor (00:00:14):
Sure. I've been a peer recovery coach for about six years.
Mostly in the outpatient clinic.

Speaker 1 (01:02:07):
[crosstalk 01:02:07] That's great.
"""


def test_rev_and_temi_name_and_time_header_then_text(tmp_path):
    result = ingest_file(write(tmp_path, "rev.txt", REV))
    assert result.format == "text"
    assert turns(result) == [
        (
            "Speaker 1",
            "participant",
            "Thanks for joining us today. Can you start by telling me about your role?",
            5.0,
            None,
            1,
        ),
        (
            "Dana Okafor",
            "participant",
            "Sure. I've been a peer recovery coach for about six years.\n"
            "Mostly in the outpatient clinic.",
            14.0,
            None,
            4,
        ),
        ("Speaker 1", "participant", "[crosstalk 01:02:07] That's great.", 3727.0, None, 8),
    ]
    assert result.warnings == []


def test_sonix_time_after_the_label(tmp_path):
    text = (
        "Interviewer: [00:00:03] Okay, we're recording.\n"
        "Participant 2: [00:00:06] Good. So where do I start?\n"
        "Interviewer: [00:00:09] Wherever you like.\n"
    )
    assert turns(ingest_file(write(tmp_path, "sonix.txt", text))) == [
        ("Interviewer", "facilitator", "Okay, we're recording.", 3.0, None, 1),
        ("Participant 2", "participant", "Good. So where do I start?", 6.0, None, 2),
        ("Interviewer", "facilitator", "Wherever you like.", 9.0, None, 3),
    ]


def test_descript_time_before_the_label(tmp_path):
    text = "[00:00:12] Speaker 1: Hello.\n[00:00:15] Speaker 2: Hi, hello.\n"
    assert turns(ingest_file(write(tmp_path, "descript.txt", text))) == [
        ("Speaker 1", "participant", "Hello.", 12.0, None, 1),
        ("Speaker 2", "participant", "Hi, hello.", 15.0, None, 2),
    ]


WORD_TRANSCRIBE = """\
00:00:00 Speaker 1
Hello and welcome. Thanks for taking the time.

00:00:06 Speaker 2
No problem at all.
I had an hour free anyway.

00:00:13 Speaker 1
Great, so let's begin.
"""


def test_word_transcribe_and_trint_time_then_name_header(tmp_path):
    result = ingest_file(write(tmp_path, "transcribe.txt", WORD_TRANSCRIBE))
    assert turns(result) == [
        (
            "Speaker 1",
            "participant",
            "Hello and welcome. Thanks for taking the time.",
            0.0,
            None,
            1,
        ),
        (
            "Speaker 2",
            "participant",
            "No problem at all.\nI had an hour free anyway.",
            6.0,
            None,
            4,
        ),
        ("Speaker 1", "participant", "Great, so let's begin.", 13.0, None, 8),
    ]


def test_happy_scribe_bracketed_time_dash_name(tmp_path):
    text = (
        "[00:00:00.00] - Moderator\nWelcome, everyone.\n\n"
        "[00:00:04.12] - Speaker 2\nThanks for having us.\n"
    )
    assert turns(ingest_file(write(tmp_path, "happyscribe.txt", text))) == [
        ("Moderator", "facilitator", "Welcome, everyone.", 0.0, None, 1),
        ("Speaker 2", "participant", "Thanks for having us.", 4.12, None, 4),
    ]


def test_zoom_cloud_transcript_txt(tmp_path):
    text = (
        "[Dana Whitfield] 10:01:23\nOkay, I think we're recording.\n\n"
        "[Marcus Lee] 10:01:31\nHi, I'm Marcus.\nI've been coming for a year.\n\n"
        "[Dana Whitfield] 10:02:02\nThank you, Marcus.\n"
    )
    assert turns(ingest_file(write(tmp_path, "zoom.txt", text))) == [
        ("Dana Whitfield", "participant", "Okay, I think we're recording.", 36083.0, None, 1),
        (
            "Marcus Lee",
            "participant",
            "Hi, I'm Marcus.\nI've been coming for a year.",
            36091.0,
            None,
            4,
        ),
        ("Dana Whitfield", "participant", "Thank you, Marcus.", 36122.0, None, 8),
    ]


def test_zoom_saved_captions_and_chat(tmp_path):
    text = (
        "10:01:23 From Dana Whitfield : Okay, I think we're recording.\n"
        "10:01:31 From Marcus Lee to Everyone : Hi, I'm Marcus.\n"
        "10:01:40 From Marcus Lee : Been here a year.\n"
    )
    assert turns(ingest_file(write(tmp_path, "captions.txt", text))) == [
        ("Dana Whitfield", "participant", "Okay, I think we're recording.", 36083.0, None, 1),
        ("Marcus Lee", "participant", "Hi, I'm Marcus.\nBeen here a year.", 36091.0, None, 2),
    ]


def test_teams_text_name_and_time_header(tmp_path):
    text = "Lee, Jordan   0:03\nWelcome, everyone.\n\nPriya N.   0:09\nThanks.\n"
    result = ingest_file(write(tmp_path, "teams.txt", text))
    assert result.format == "otter"  # the same layout as Otter.ai's export
    assert turns(result) == [
        ("Lee, Jordan", "participant", "Welcome, everyone.", 3.0, None, 1),
        ("Priya N.", "participant", "Thanks.", 9.0, None, 4),
    ]


def test_old_teams_transcript_timing_name_text(tmp_path):
    text = (
        "0:0:0.0 --> 0:0:4.500\nLee, Jordan (Moderator)\nWelcome, everyone.\n\n"
        "0:0:5.0 --> 0:0:9.250\nPriya N.\nThe meds help with cravings.\n\n"
        "0:0:9.250 --> 0:0:11.0\nPriya N.\nNot with the anxiety.\n"
    )
    assert turns(ingest_file(write(tmp_path, "teams_old.txt", text))) == [
        ("Lee, Jordan (Moderator)", "facilitator", "Welcome, everyone.", 0.0, 4.5, 2),
        (
            "Priya N.",
            "participant",
            "The meds help with cravings.\nNot with the anxiety.",
            5.0,
            11.0,
            6,
        ),
    ]


GOOGLE_MEET = """\
Peer support focus group (2023-05-12 14:02 GMT+1) - Transcript
Attendees
Dana Whitfield, Marcus Lee, Priya Nair
Transcript
00:00:00

Dana Whitfield: Okay, I think we're recording.
Marcus Lee: Hi everyone.
00:05:00

Priya Nair: I'd like to add something.
"""


def test_google_meet_transcript(tmp_path):
    result = ingest_file(write(tmp_path, "meet.txt", GOOGLE_MEET))
    assert turns(result) == [
        ("Dana Whitfield", "participant", "Okay, I think we're recording.", 0.0, None, 7),
        ("Marcus Lee", "participant", "Hi everyone.", None, None, 8),
        ("Priya Nair", "participant", "I'd like to add something.", 300.0, None, 11),
    ]
    assert result.warnings == [
        "ignored heading/title lines (4): line 1 'Peer support focus group (2023-05-12 14:02 GMT+1)"
        " - Transcript'; line 2 'Attendees'; line 3 'Dana Whitfield, Marcus Lee, Priya Nair'; "
        "line 4 'Transcript'"
    ]


F4 = """\
I: Wie sind Sie zu der Gruppe gekommen? #00:00:04-2#

B1: Über meine Ärztin. Sie hat mir davon erzählt. #00:00:12-5#

I: Und wie war das erste Treffen? #00:00:15-0#

B1: Schwierig. #00:00:17-8#
Ich kannte niemanden. #00:00:21-3#
"""


def test_f4_and_maxqda_time_marks_end_each_paragraph(tmp_path):
    result = ingest_file(write(tmp_path, "interview3.txt", F4))
    assert turns(result) == [
        ("I", "facilitator", "Wie sind Sie zu der Gruppe gekommen?", None, 4.2, 1),
        ("B1", "participant", "Über meine Ärztin. Sie hat mir davon erzählt.", 4.2, 12.5, 3),
        ("I", "facilitator", "Und wie war das erste Treffen?", 12.5, 15.0, 5),
        ("B1", "participant", "Schwierig.\nIch kannte niemanden.", 15.0, 21.3, 7),
    ]


def test_qda_interview_labels_and_roles(tmp_path):
    text = (
        "Int: How long have you been in the program?\n"
        "Resp: About two years.\n"
        "IV: And before that?\n"
        "IE: Nothing, really.\n"
        "Interviewer/in: Danke.\n"
        "Befragte/r: Gern.\n"
    )
    assert turns(ingest_file(write(tmp_path, "int.txt", text))) == [
        ("Int", "facilitator", "How long have you been in the program?", None, None, 1),
        ("Resp", "participant", "About two years.", None, None, 2),
        ("IV", "facilitator", "And before that?", None, None, 3),
        ("IE", "participant", "Nothing, really.", None, None, 4),
        ("Interviewer/in", "facilitator", "Danke.", None, None, 5),
        ("Befragte/r", "participant", "Gern.", None, None, 6),
    ]


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("I", "facilitator"),
        ("Int", "facilitator"),
        ("IV", "facilitator"),
        ("Q", "facilitator"),
        ("Interviewer", "facilitator"),
        ("MODERATOR", "facilitator"),
        ("Facilitator 2", "facilitator"),
        ("Interviewerin", "facilitator"),
        ("Moderatorin", "facilitator"),
        ("Moderadora", "facilitator"),
        ("Entrevistador", "facilitator"),
        ("Ana (entrevistadora)", "facilitator"),
        ("Animatrice", "facilitator"),
        ("R", "participant"),
        ("IE", "participant"),
        ("B1", "participant"),
        ("Resp", "participant"),
        ("A", "participant"),
        ("Interviewee", "participant"),
        ("Ivan", "participant"),
    ],
)
def test_roles_from_interview_labels(label, role):
    assert role_from_name(label) == role


def test_screenplay_names_in_capitals_above_the_words(tmp_path):
    text = (
        "MODERATOR\nSo, what brought you here?\n\n"
        "JANE\nMy sister, honestly.\nShe did the program too.\n\n"
        "MODERATOR\nAnd how was it?\n\n"
        "PARTICIPANT 3\nHard at first.\n"
    )
    assert turns(ingest_file(write(tmp_path, "play.txt", text))) == [
        ("MODERATOR", "facilitator", "So, what brought you here?", None, None, 1),
        ("JANE", "participant", "My sister, honestly.\nShe did the program too.", None, None, 4),
        ("MODERATOR", "facilitator", "And how was it?", None, None, 8),
        ("PARTICIPANT 3", "participant", "Hard at first.", None, None, 11),
    ]


def test_tab_separated_lines_in_a_text_file(tmp_path):
    text = (
        "00:01:02\tInterviewer\tHow was the first week?\n"
        "00:01:05\tMaria\tLong.\tVery long.\n"
        "00:01:09\tMaria\tBut fine.\n"
    )
    assert turns(ingest_file(write(tmp_path, "tabs.txt", text))) == [
        ("Interviewer", "facilitator", "How was the first week?", 62.0, None, 1),
        ("Maria", "participant", "Long. Very long.\nBut fine.", 65.0, None, 2),
    ]


def test_headerless_tsv(tmp_path):
    path = write(tmp_path, "fg.tsv", "Moderator\tWelcome.\nAnna\tHi.\nBen\tHello.\n")
    result = ingest_file(path)
    assert turns(result) == [
        ("Moderator", "facilitator", "Welcome.", None, None, 1),
        ("Anna", "participant", "Hi.", None, None, 2),
        ("Ben", "participant", "Hello.", None, None, 3),
    ]
    assert result.warnings == [
        "no header row naming a speaker and a text column: read as tab-separated lines"
    ]


def test_tsv_with_an_unknown_header_keeps_the_column_error(tmp_path):
    path = write(tmp_path, "fg.tsv", "Voice\tSaid\nAnna\tHi.\nBen\tHello.\n")
    with pytest.raises(InputFormatError, match="no speaker column"):
        ingest_file(path)


# --- encodings -----------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark(tmp_path, encoding):
    path = write(tmp_path, "fg.txt", "Anna: Caf\u00e9?\r\nBen: Oui.\r\n", encoding=encoding)
    assert turns(ingest_file(path)) == [
        ("Anna", "participant", "Caf\u00e9?", None, None, 1),
        ("Ben", "participant", "Oui.", None, None, 2),
    ]


def test_windows_notepad_unicode_and_old_mac_line_ends(tmp_path):
    notepad = tmp_path / "notepad.txt"
    notepad.write_bytes("Anna: \u201cHi.\u201d\r\nBen: Yes.\r\n".encode("utf-16"))
    assert turns(ingest_file(notepad)) == [
        ("Anna", "participant", "\u201cHi.\u201d", None, None, 1),
        ("Ben", "participant", "Yes.", None, None, 2),
    ]
    mac = tmp_path / "mac.txt"
    mac.write_bytes(b"Anna: Hi.\rmore\rBen: Yes.\r")
    assert turns(ingest_file(mac)) == [
        ("Anna", "participant", "Hi.\nmore", None, None, 1),
        ("Ben", "participant", "Yes.", None, None, 3),
    ]


# --- what must not be read as a layout --------------------------------------------------------------
def test_one_time_name_line_in_a_colon_file_stays_text(tmp_path):
    text = "Anna: We met at the clinic.\n00:12:31 Right\nBen: Yes.\n"
    assert turns(ingest_file(write(tmp_path, "x.txt", text))) == [
        ("Anna", "participant", "We met at the clinic.\nRight", None, None, 1),
        ("Ben", "participant", "Yes.", None, None, 3),
    ]


def test_capitals_lines_in_a_colon_file_are_not_names(tmp_path):
    text = "INTRODUCTION\nAnna: Hi.\nBACKGROUND\nBen: Yes.\nBACKGROUND\nAnna: Again.\n"
    result = ingest_file(write(tmp_path, "x.txt", text))
    assert [(s.speaker, s.text) for s in result.segments] == [
        ("Anna", "Hi.\nBACKGROUND"),
        ("Ben", "Yes.\nBACKGROUND"),
        ("Anna", "Again."),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "INTRODUCTION\nWe met at noon.\nMETHODS\nWe asked questions.\n",  # headings, no speakers
        "Total\t42 people came.\nWe met at noon.\n",  # one tab line is not a layout
        "10:01:23 From the start it was hard.\nWe met at noon.\n",
        "00:00:05 Speaker 1\n",  # one bare header and nothing said
    ],
)
def test_prose_is_refused_not_misread(tmp_path, text):
    with pytest.raises(NoSpeakerLabelsError, match="no speaker labels found"):
        ingest_file(write(tmp_path, "prose.txt", text))


def test_a_colon_answer_with_a_clock_time_keeps_its_words(tmp_path):
    text = "Anna: When did you arrive?\nBen: 10:30\nAnna: [laughs] Early.\n"
    assert turns(ingest_file(write(tmp_path, "x.txt", text))) == [
        ("Anna", "participant", "When did you arrive?", None, None, 1),
        ("Ben", "participant", "10:30", None, None, 2),
        ("Anna", "participant", "[laughs] Early.", None, None, 3),
    ]


# --- Word .docx exports ----------------------------------------------------------------------------
def bold(document, text, after=""):
    paragraph = document.add_paragraph()
    paragraph.add_run(text).bold = True
    if after:
        paragraph.add_run(after)
    return paragraph


def test_rev_docx_bold_name_and_time(tmp_path):
    document = docx.Document()
    document.add_paragraph("Interview 4 - Transcript")
    bold(document, "Speaker 1 (00:00:05):")
    document.add_paragraph("Welcome.")
    bold(document, "Dana Okafor (00:01:02):")
    document.add_paragraph("Thanks for having me.")
    path = tmp_path / "rev.docx"
    document.save(path)
    result = ingest_file(path)
    assert turns(result) == [
        ("Speaker 1", "participant", "Welcome.", 5.0, None, 2),
        ("Dana Okafor", "participant", "Thanks for having me.", 62.0, None, 4),
    ]
    assert result.warnings == ["ignored heading/title line (1): line 1 'Interview 4 - Transcript'"]


def test_teams_docx_bold_name_then_time(tmp_path):
    document = docx.Document()
    for line in ("Weekly sync-20230301_100000-Meeting Recording", "March 1, 2023, 10:00AM"):
        document.add_paragraph(line)
    bold(document, "Lee, Jordan", "   0:03")
    document.add_paragraph("Welcome, everyone.")
    bold(document, "Priya N.", "   0:09")
    document.add_paragraph("Thanks.")
    bold(document, "Lee, Jordan", "   1:02:03")
    document.add_paragraph("Bye.")
    path = tmp_path / "teams.docx"
    document.save(path)
    result = ingest_file(path)
    assert turns(result) == [
        ("Lee, Jordan", "participant", "Welcome, everyone.", 3.0, None, 3),
        ("Priya N.", "participant", "Thanks.", 9.0, None, 5),
        ("Lee, Jordan", "participant", "Bye.", 3723.0, None, 7),
    ]
    assert result.warnings == ["ignored preamble: 2 line(s) before the first turn"]


def test_word_transcribe_docx(tmp_path):
    document = docx.Document()
    document.add_paragraph("Transcript")
    for time, name, said in (
        ("00:00:00", "Speaker 1", "Hello there."),
        ("00:00:05", "Speaker 2", "Hi."),
        ("00:00:09", "Speaker 1", "So, shall we?"),
    ):
        bold(document, f"{time} {name}")
        document.add_paragraph(said)
    path = tmp_path / "transcribe.docx"
    document.save(path)
    assert turns(ingest_file(path)) == [
        ("Speaker 1", "participant", "Hello there.", 0.0, None, 2),
        ("Speaker 2", "participant", "Hi.", 5.0, None, 4),
        ("Speaker 1", "participant", "So, shall we?", 9.0, None, 6),
    ]


def add_table(document, rows):
    table = document.add_table(rows=0, cols=len(rows[0]))
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    return table


def test_docx_transcript_in_a_table_without_header(tmp_path):
    document = docx.Document()
    document.add_paragraph("Interview 7, 3 May 2022")
    add_table(
        document,
        [
            ("00:00:01", "Interviewer", "How are you?"),
            ("00:00:04", "Maria", "Fine, thanks, and you?"),
            ("00:00:09", "Interviewer", "Good."),
            ("", "Maria", "It was a long day."),
        ],
    )
    path = tmp_path / "int7.docx"
    document.save(path)
    result = ingest_file(path)
    assert turns(result) == [
        ("Interviewer", "facilitator", "How are you?", 1.0, None, 1),
        ("Maria", "participant", "Fine, thanks, and you?", 4.0, None, 2),
        ("Interviewer", "facilitator", "Good.", 9.0, None, 3),
        ("Maria", "participant", "It was a long day.", None, None, 4),
    ]
    assert result.warnings == [
        "the document has no speaker paragraphs: read the transcript from its table "
        "(4 rows; line numbers are table rows)"
    ]


def test_docx_transcript_in_tables_with_a_header_row(tmp_path):
    document = docx.Document()
    add_table(document, [("Sprecher", "Zeit", "Text"), ("I:", "00:00:02", "Wie geht es?")])
    document.add_paragraph("")
    add_table(document, [("B1:", "00:00:05", "Gut.")])  # the next page, a new table
    path = tmp_path / "int8.docx"
    document.save(path)
    assert turns(ingest_file(path)) == [
        ("I", "facilitator", "Wie geht es?", 2.0, None, 2),
        ("B1", "participant", "Gut.", 5.0, None, 3),
    ]


def test_docx_table_that_is_no_transcript_is_refused(tmp_path):
    document = docx.Document()
    document.add_paragraph("We talked about the clinic for a while, and then we left.")
    add_table(document, [("Name", "Age"), ("Anna", "34"), ("Ben", "40")])
    path = tmp_path / "notes.docx"
    document.save(path)
    with pytest.raises(NoSpeakerLabelsError, match="no speaker labels found"):
        ingest_file(path)


# --- the recipes in `qualcode ingest --help` work as written -----------------------------------------
RECIPES = [
    (
        "dash.txt",
        "ANNA - I agree.\nBEN - Yes.\n",
        ["--speaker-pattern", r"^(?P<speaker>[A-Z][\w .]+?) - (?P<text>.*)$"],
        [("ANNA", "I agree."), ("BEN", "Yes.")],
    ),
    (
        "numbered.txt",
        "1: I agree.\n2: Yes.\n",
        ["--speaker-pattern", r"^(?P<speaker>\d+):\s*(?P<text>.*)$"],
        [("1", "I agree."), ("2", "Yes.")],
    ),
    (
        "lower.txt",
        "anna: I agree.\nben: Yes.\n",
        ["--speaker-pattern", r"^(?P<speaker>[a-z]+):\s*(?P<text>.*)$"],
        [("anna", "I agree."), ("ben", "Yes.")],
    ),
    (
        "first.tsv",
        "Anna\tI agree\nBen\tYes\n",
        ["--format", "text"],
        [("Anna", "I agree"), ("Ben", "Yes")],
    ),
]


@pytest.mark.parametrize(("name", "text", "flags", "expected"), RECIPES)
def test_help_recipes(cli, tmp_path, name, text, flags, expected):
    recipe = f"{flags[0]} '{flags[1]}'" if flags[0] == "--speaker-pattern" else " ".join(flags)
    assert recipe in cli("ingest", "--help").stdout
    src = write(tmp_path, name, text)
    out = tmp_path / "segments.csv"
    result = cli("ingest", src, "-o", out, *flags)
    assert result.exit_code == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as fh:
        assert [(r["speaker"], r["text"]) for r in csv.DictReader(fh)] == expected
