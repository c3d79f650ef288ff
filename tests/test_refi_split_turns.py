"""Another program's plain text re-split into turns: labels only inference reads leave the turn text."""

from __future__ import annotations

import pytest

from qualcode.interop.refi_import import split_turns

CASES = [
    (  # lower-case labels: read by ingest's inference, not by find_label
        "interviewer: How are you?\nrespondent: Fine thanks.\n"
        "interviewer: Good to hear.\nrespondent: Yes it is.\n",
        [
            ("interviewer", "How are you?"),
            ("respondent", "Fine thanks."),
            ("interviewer", "Good to hear."),
            ("respondent", "Yes it is."),
        ],
    ),
    (  # a device name and "Last, First" (issue 14.3)
        "Ramon's iPhone: Okay.\nVega, Marisol: Good afternoon\nRamon's iPhone: Fine.\n",
        [
            ("Ramon's iPhone", "Okay."),
            ("Vega, Marisol", "Good afternoon"),
            ("Ramon's iPhone", "Fine."),
        ],
    ),
    (  # labels alone on their line: the label line adds no text
        "Miguel:\nI came once.\nAna:\nMe too.\nMiguel:\nNever again.\n",
        [("Miguel", "I came once."), ("Ana", "Me too."), ("Miguel", "Never again.")],
    ),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_turn_text_holds_no_label_and_offsets_point_at_the_words(text, expected):
    turns, labelled = split_turns(text, "source.txt")
    assert labelled
    assert [(t.speaker, t.text) for t in turns] == expected
    for turn in turns:
        for start, end, offset in turn.parts:
            assert text[start:end] == turn.text[offset : offset + (end - start)]
