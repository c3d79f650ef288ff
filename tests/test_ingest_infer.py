"""Speaker-label inference (issue 17 items 1 and 3), labels with an apostrophe or a comma (14.3),
labels in any script and a warning for label-like lines not taken (15.3), once-only labels on
their own line and short speech lines (15.13), words before the first label kept (15.2)."""

from __future__ import annotations

import docx
import pytest

from qualcode.ingest import ingest_file
from qualcode.ingest.text import NoSpeakerLabelsError, find_label, parse_text


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def turns(result):
    return [(s.speaker, s.role, s.text) for s in result.segments]


# --- 1. inference: layouts no known rule reads ---------------------------------------------------
LOWER = (
    "interviewer: How did you hear about the group?\n"
    "interviewee: My doctor told me.\n"
    "interviewer: And the first session?\n"
    "interviewee: I was nervous.\n"
    "I did not say a word.\n"
    "interviewer: Why?\n"
    "interviewee: Everyone knew each other.\n"
)


def test_lower_case_labels_are_inferred_and_reported(tmp_path):
    result = ingest_file(write(tmp_path, "iv.txt", LOWER))
    assert turns(result) == [
        ("interviewer", "facilitator", "How did you hear about the group?"),
        ("interviewee", "participant", "My doctor told me."),
        ("interviewer", "facilitator", "And the first session?"),
        ("interviewee", "participant", "I was nervous.\nI did not say a word."),
        ("interviewer", "facilitator", "Why?"),
        ("interviewee", "participant", "Everyone knew each other."),
    ]
    assert result.layout == "inferred '<label>: text' (2 labels, 6 of 7 lines)"
    assert result.warnings == []


@pytest.mark.parametrize(
    ("text", "layout", "expected"),
    [
        (
            "[id1] I went every week.\n[mod] Why?\n[id2] Same here.\n[mod] And you?\n"
            "[id1] It helped.\n[p3] I only came once.\n",
            "inferred '[<label>] text' (4 labels, 6 of 6 lines)",
            [
                ("id1", "participant", "I went every week."),
                ("mod", "facilitator", "Why?"),
                ("id2", "participant", "Same here."),
                ("mod", "facilitator", "And you?"),
                ("id1", "participant", "It helped."),
                ("p3", "participant", "I only came once."),
            ],
        ),
        (
            "Anna - I think it was fine.\nBen - Not for me.\nAnna - Why not?\n"
            "Ben - Too far away.\n",
            "inferred '<label> - text' (2 labels, 4 of 4 lines)",
            [
                ("Anna", "participant", "I think it was fine."),
                ("Ben", "participant", "Not for me."),
                ("Anna", "participant", "Why not?"),
                ("Ben", "participant", "Too far away."),
            ],
        ),
        (
            "(mod) Welcome back.\n(resp) Thanks.\n(mod) Shall we?\n(resp) Sure.\n",
            "inferred '(<label>) text' (2 labels, 4 of 4 lines)",
            [
                ("mod", "facilitator", "Welcome back."),
                ("resp", "participant", "Thanks."),
                ("mod", "facilitator", "Shall we?"),
                ("resp", "participant", "Sure."),
            ],
        ),
        (
            "**int:** How long?\n**resp:** Two years.\n**int:** And now?\n**resp:** Better.\n",
            "inferred '**<label>:** text' (2 labels, 4 of 4 lines)",
            [
                ("int", "facilitator", "How long?"),
                ("resp", "participant", "Two years."),
                ("int", "facilitator", "And now?"),
                ("resp", "participant", "Better."),
            ],
        ),
        (
            "moderadora\t¿Cómo fue?\nana\tBien.\nmoderadora\t¿Y después?\nana\tMejor.\n",
            "inferred '<label><TAB>text' (2 labels, 4 of 4 lines)",
            [
                ("moderadora", "facilitator", "¿Cómo fue?"),
                ("ana", "participant", "Bien."),
                ("moderadora", "facilitator", "¿Y después?"),
                ("ana", "participant", "Mejor."),
            ],
        ),
        (
            "[00:00:05] facilitator: Hello.\n[00:00:09] p1: Hi.\n[00:00:12] facilitator: Ready?\n"
            "[00:00:15] p1: Yes.\n",
            "inferred '<label>: text' (2 labels, 4 of 4 lines)",
            [
                ("facilitator", "facilitator", "Hello."),
                ("p1", "participant", "Hi."),
                ("facilitator", "facilitator", "Ready?"),
                ("p1", "participant", "Yes."),
            ],
        ),
    ],
    ids=["brackets-lower", "dash", "parentheses", "markdown-bold", "tab-spanish", "timestamps"],
)
def test_layout_corpus_is_inferred(tmp_path, text, layout, expected):
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert turns(result) == expected
    assert result.layout == layout


def test_inferred_labels_keep_their_timestamps(tmp_path):
    text = (
        "[00:00:05] mod: Hello.\n[00:01:00] p1: Hi.\n[00:01:30] mod: Go on.\n[00:02:00] p1: Ok.\n"
    )
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert [s.start_time for s in result.segments] == [5.0, 60.0, 90.0, 120.0]


def test_labels_alone_on_their_line_are_inferred(tmp_path):
    text = "interviewer:\nHow was it?\n\nrespondent:\nHard.\nVery hard.\n\ninterviewer:\nWhy?\n\nrespondent:\nMoney.\n"
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert turns(result) == [
        ("interviewer", "facilitator", "How was it?"),
        ("respondent", "participant", "Hard.\nVery hard."),
        ("interviewer", "facilitator", "Why?"),
        ("respondent", "participant", "Money."),
    ]
    assert result.layout == "inferred '<label>: text' (2 labels, 4 of 9 lines)"


PROSE = [
    # a memo with `Note:` and `Yes -` at line starts
    "Note: the clinic opens at nine.\nYes - we confirmed it with the manager.\n"
    "Note: parking is free.\nThe meeting went well.\nYes - the room is booked.\n"
    "Note: bring the consent forms.\n",
    # lower-case prose with colons and dashes
    "so: this is how it went.\nwell - nobody came.\nthe point is: it rained.\n"
    "and then: we left.\nso: that was it.\n",
    # a glossary: each term once
    "buprenorphine: a partial opioid agonist.\nnaloxone: an opioid antagonist.\n"
    "induction: the first days of treatment.\ntaper: a slow dose reduction.\n",
    # a list with one recurring word and no turn-taking
    "step 1: open the file.\nstep 2: read it.\nstep 3: close it.\nstep 4: done.\n",
    # a log of one recurring prefix
    "update: the server restarted.\nupdate: backups ran.\nupdate: all fine.\n"
    "update: nothing new.\n",
]


@pytest.mark.parametrize("text", PROSE, ids=["note-yes", "lower-prose", "glossary", "steps", "log"])
def test_prose_is_refused_with_the_clear_error(tmp_path, text):
    with pytest.raises(NoSpeakerLabelsError, match="no speaker labels found"):
        ingest_file(write(tmp_path, "memo.txt", text))


def test_known_layouts_are_not_inferred(tmp_path):
    result = ingest_file(write(tmp_path, "t.txt", "Anna: Hi.\nBen: Hello.\nAnna: So.\n"))
    assert result.layout == "detected 'Name: text'"


def test_inference_reaches_word_paragraphs_and_lower_case_bold(tmp_path):
    document = docx.Document()
    document.add_paragraph("Interview 7", style="Title")
    for label, words in [
        ("interviewer:", " How did it start?"),
        ("participant:", " With a phone call."),
        ("interviewer:", " And then?"),
        ("participant:", " A visit."),
    ]:
        paragraph = document.add_paragraph()
        paragraph.add_run(label).bold = True
        paragraph.add_run(words)
    path = tmp_path / "iv.docx"
    document.save(path)
    result = ingest_file(path)
    assert turns(result) == [
        ("interviewer", "facilitator", "How did it start?"),
        ("participant", "participant", "With a phone call."),
        ("interviewer", "facilitator", "And then?"),
        ("participant", "participant", "A visit."),
    ]
    assert result.layout == "inferred '<label> in bold, then text' (2 labels, 4 of 4 paragraphs)"


def test_cli_reports_the_inferred_layout(cli, tmp_path):
    src = write(tmp_path, "iv.txt", LOWER)
    result = cli("ingest", src, "-o", tmp_path / "segments.csv")
    assert result.exit_code == 0, result.output
    assert f"note: {src}: format: inferred '<label>: text' (2 labels, 6 of 7 lines)" in (
        result.stderr
    )


def test_cli_refuses_prose_as_before(cli, tmp_path):
    src = write(tmp_path, "memo.txt", PROSE[0])
    result = cli("ingest", src, "-o", tmp_path / "segments.csv")
    assert result.exit_code == 1
    assert "no speaker labels found" in result.stderr
    assert not (tmp_path / "segments.csv").exists()


# --- 3. roles from label words in any case --------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("interviewer", "facilitator"),
        ("moderator", "facilitator"),
        ("facilitator", "facilitator"),
        ("mod", "facilitator"),
        ("int", "facilitator"),
        ("mod 2", "facilitator"),
        ("interviewerin", "facilitator"),
        ("moderadora", "facilitator"),
        ("entrevistador", "facilitator"),
        ("animatrice", "facilitator"),
        ("modératrice", "facilitator"),
        ("enquêteur", "facilitator"),
        ("interviewee", "participant"),
        ("respondent", "participant"),
    ],
)
def test_role_words_in_lower_case(tmp_path, label, role):
    text = f"{label}: Hello.\nbea: Hi.\n{label}: Shall we?\nbea: Yes.\n"
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert [(s.speaker, s.role) for s in result.segments][:2] == [
        (label, role),
        ("bea", "participant"),
    ]


# --- 14.3: labels with an apostrophe or a comma -----------------------------------------------------
def test_find_label_reads_device_names_and_last_first():
    assert find_label("Ramon's iPhone: Okay.").speaker == "Ramon's iPhone"
    assert find_label("Vega, Marisol: Good afternoon").speaker == "Vega, Marisol"
    assert find_label("Ramon\u2019s iPad: Yes.").speaker == "Ramon\u2019s iPad"


@pytest.mark.parametrize(
    "line",
    [
        "Well, Anna: that is not what I said.",
        "Sure, Tom: go ahead.",
        "Yes, Doctor: every day.",
        "My mother's house: that was where it happened.",
        "John's point: we need more.",
        "Look, everyone: it matters.",
        "Dana Whitfield, Marcus Lee, Priya Nair: present.",
    ],
)
def test_sentences_with_apostrophes_and_commas_are_not_labels(line):
    assert find_label(line) is None


def test_zoom_device_and_roster_names_split_turns(tmp_path):
    text = (
        "Vega, Marisol: Good afternoon, everyone.\nRamon's iPhone: Okay.\n"
        "Vega, Marisol: Shall we start?\nRamon's iPhone: Sure, Marisol: go ahead.\n"
    )
    result = ingest_file(write(tmp_path, "zoom.txt", text))
    assert turns(result) == [
        ("Vega, Marisol", "participant", "Good afternoon, everyone."),
        ("Ramon's iPhone", "participant", "Okay."),
        ("Vega, Marisol", "participant", "Shall we start?"),
        ("Ramon's iPhone", "participant", "Sure, Marisol: go ahead."),
    ]


# --- 15.3: labels in any script; label-like lines not taken are warned about -----------------------
def test_bracketed_non_latin_labels(tmp_path):
    text = "[李] 我觉得很好。\n[王] 我也是。\n[李] 对。\n[Zoë] Oui.\n"
    result = ingest_file(write(tmp_path, "zh.txt", text))
    assert turns(result) == [
        ("李", "participant", "我觉得很好。"),
        ("王", "participant", "我也是。"),
        ("李", "participant", "对。"),
        ("Zoë", "participant", "Oui."),
    ]
    assert result.warnings == []


def test_label_like_line_that_was_not_taken_is_warned_about():
    text = "ANNA: I agree.\nBEN: Me too.\nANNA: Good.\nFrankly: it was awful.\nBEN: Yes.\n"
    parsed = parse_text(text, "x.txt")
    assert [(b.speaker, b.text) for b in parsed.blocks][2] == (
        "ANNA",
        "Good.\nFrankly: it was awful.",
    )
    assert parsed.warnings == [
        "line that looks like a speaker label, read as speech (1): line 4 'Frankly: it was awful.'"
    ]


def test_inferred_one_off_without_the_series_shape_is_warned_about(tmp_path):
    text = "mod: Hello.\nresp: Hi.\nmod: Ready?\nresp: Yes.\nmeanwhile the lights: off.\nmod: Ok.\n"
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert [s.speaker for s in result.segments] == ["mod", "resp", "mod", "resp", "mod"]
    assert result.segments[3].text == "Yes.\nmeanwhile the lights: off."
    assert result.warnings == [
        "line that looks like a speaker label, read as speech (1): line 5 'meanwhile the lights: off.'"
    ]


# --- 15.13: a once-only label on its own line; short speech lines -----------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "ANNA: Hello.\nBEN: Hi.\nMiguel:\nI was there.\nANNA: ok\nBEN: Sure.\n",
        "Anna\tHello.\nBen\tHi.\nMiguel:\nI was there.\nAnna\tok\nBen\tSure.\n",
    ],
    ids=["caps-file", "tab-file"],
)
def test_once_only_label_above_its_words_is_a_label(tmp_path, text):
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert [(s.speaker, s.text) for s in result.segments][2] == ("Miguel", "I was there.")


def test_short_speech_lines_are_speech_not_headings(tmp_path):
    text = "Yeah\nAnna: Hello.\nNever again\nMm-hmm\nBen: Hi.\nYeah\n"
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert turns(result) == [
        ("Unknown Speaker", "unknown", "Yeah"),
        ("Anna", "participant", "Hello.\nNever again\nMm-hmm"),
        ("Ben", "participant", "Hi.\nYeah"),
    ]
    assert result.warnings == []


# --- 15.2: words are not dropped ----------------------------------------------------------------------
def test_hash_line_inside_a_turn_is_speech(tmp_path):
    text = "Anna: There are reasons.\n# 1 reason is the trust we built.\nBen: Agreed.\n"
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert turns(result)[0] == (
        "Anna",
        "participant",
        "There are reasons.\n# 1 reason is the trust we built.",
    )
    assert result.warnings == []


def test_only_a_title_block_is_dropped_and_all_of_it_is_listed(tmp_path):
    text = (
        "Focus group 4\nDate: 3 March 2022\nAttendees\nCafé study\nPeer support\n\n"
        "We were already talking when it started\nAnna: Yes.\nBen: No.\n"
    )
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert turns(result)[0] == (
        "Unknown Speaker",
        "unknown",
        "We were already talking when it started",
    )
    assert result.warnings == [
        "ignored heading/title lines (5): line 1 'Focus group 4'; line 2 'Date: 3 March 2022'; "
        "line 3 'Attendees'; line 4 'Café study'; line 5 'Peer support'"
    ]


@pytest.mark.parametrize("name", ["group1.txt", "group3.docx"])
def test_bundled_transcripts_are_read_by_their_known_layout(repo, name):
    result = ingest_file(repo / "sample_transcripts" / name)
    assert result.layout is not None and result.layout.startswith("detected")


def test_inference_extends_a_known_layout_that_misses_lower_case_labels(tmp_path):
    """`Interviewer:` is a known label, `respondent:` is not: without inference every answer
    would be folded into the interviewer's turns."""
    text = (
        "Interviewer: How was it?\nrespondent: Fine.\nInterviewer: And then?\nrespondent: Better.\n"
    )
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert turns(result) == [
        ("Interviewer", "facilitator", "How was it?"),
        ("respondent", "participant", "Fine."),
        ("Interviewer", "facilitator", "And then?"),
        ("respondent", "participant", "Better."),
    ]
    assert result.layout == "inferred '<label>: text' (2 labels, 4 of 4 lines)"


def test_caption_text_outside_cues_is_listed_in_full(tmp_path):
    cues = "".join(
        f"\n{i}\n00:00:0{i}.000 --> 00:00:0{i}.500\nAnna: word {i}\nstray {i}\n"
        for i in range(1, 8)
    )
    text = "WEBVTT\n" + cues.replace("\nstray", "\n\nstray")
    result = ingest_file(write(tmp_path, "c.vtt", text))
    assert result.warnings[0].endswith("(line 7, 13, 19, 25, 31, 37, 43)")


def test_word_speech_before_the_first_label_is_kept_and_the_title_page_dropped(tmp_path):
    document = docx.Document()
    document.add_paragraph("Focus group 5")
    document.add_paragraph("Present were the facilitator and four participants.")
    document.add_paragraph("We were already talking when the recorder came on, sorry.")
    for line in ("Anna: Yes.", "Ben: No.", "Anna: Ok."):
        document.add_paragraph(line)
    path = tmp_path / "fg5.docx"
    document.save(path)
    result = ingest_file(path)
    assert turns(result)[0] == (
        "Unknown Speaker",
        "unknown",
        "We were already talking when the recorder came on, sorry.",
    )
    assert result.warnings == [
        "ignored heading/title lines (2): line 1 'Focus group 5'; "
        "line 2 'Present were the facilitator and four participants.'"
    ]


def test_a_few_recurring_word_colons_in_a_known_layout_stay_speech(tmp_path):
    turns_ = [f"Anna: Turn {i}.\nBen: Reply {i}." for i in range(6)]
    text = "\n".join(turns_) + "\nmorning: the bus.\nevening: the train.\n"
    text += "Anna: Again.\nmorning: late.\nevening: later.\nBen: Fine.\n"
    result = ingest_file(write(tmp_path, "t.txt", text))
    assert {s.speaker for s in result.segments} == {"Anna", "Ben"}
    assert result.layout == "detected 'Name: text'"
