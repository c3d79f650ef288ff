"""The sentence splitter (qualcode.sentences): each documented rule, then properties on any text."""

from __future__ import annotations

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.sentences import (
    MAX_SENTENCE,
    SelectionError,
    describe_selection,
    is_whole_turn,
    parse_selection,
    sentence_spans,
)


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # titles and e.g. never end a sentence; etc. does before a capital
        (
            "I saw Dr. Smith yesterday. He said e.g. rest is good, etc. Then I left.",
            ["I saw Dr. Smith yesterday.", "He said e.g. rest is good, etc.", "Then I left."],
        ),
        ("Mr. and Mrs. Jones came. Prof. Lee too.", ["Mr. and Mrs. Jones came.", "Prof. Lee too."]),
        # decimals, an ellipsis before a lower-case word, ?! as one stop
        (
            "It cost 3.50 dollars... you know? Really?! Yes.",
            ["It cost 3.50 dollars... you know?", "Really?!", "Yes."],
        ),
        # an ellipsis before a capital ends a sentence
        (
            "I was like… I don't know... Maybe.",
            ["I was like…", "I don't know...", "Maybe."],
        ),
        # closing quotes go with their stop; quoted speech before a lower-case word stays inside
        (
            'She said "go home." Then I went. "Why?" he asked.',
            ['She said "go home."', "Then I went.", '"Why?" he asked.'],
        ),
        ("(It was hard.) But we did it.", ["(It was hard.)", "But we did it."]),
        # transcription marks: after a stop they close the sentence, before lower case they open one
        (
            "I agree. [laughs] It was fun. [inaudible] the group was good.",
            ["I agree. [laughs]", "It was fun.", "[inaudible] the group was good."],
        ),
        ("That's so true. (laughs)", ["That's so true. (laughs)"]),
        ("[crosstalk] Okay. [pause] [laughs]", ["[crosstalk] Okay. [pause] [laughs]"]),
        (
            "We met at [inaudible 00:12:03. ok] the centre.",
            ["We met at [inaudible 00:12:03. ok] the centre."],
        ),
        # dashes are false starts, not stops; no final stop
        ("I think -- I mean -- the group helped", ["I think -- I mean -- the group helped"]),
        ("So I was — Yes. Go on", ["So I was — Yes.", "Go on"]),
        # "No." is an answer, "No. 5" a number
        ("No. I didn't. See No. 5 please.", ["No.", "I didn't.", "See No. 5 please."]),
        (
            "We met at 3 p.m. Then we left at 5 p.m. and went home.",
            ["We met at 3 p.m.", "Then we left at 5 p.m. and went home."],
        ),
        ("J. K. Rowling wrote it. Really.", ["J. K. Rowling wrote it.", "Really."]),
        # a line break (a new paragraph of the same turn) always ends a sentence
        ("That's it\nNext paragraph here.", ["That's it", "Next paragraph here."]),
        # other scripts
        ("我很好。你呢？好的！", ["我很好。", "你呢？", "好的！"]),
        ("「行こう。」と言った。はい。", ["「行こう。」と言った。", "はい。"]),
        ("यह अच्छा है। ठीक है।", ["यह अच्छा है।", "ठीक है।"]),
        ("هل أنت بخير؟ نعم.", ["هل أنت بخير؟", "نعم."]),
        ("Это хорошо. Да!", ["Это хорошо.", "Да!"]),
        # whitespace is never part of a sentence; an empty turn has none
        ("  Yes.  No.  \n", ["Yes.", "No."]),
        ("", []),
        (" \n\t ", []),
        ("Great!👍 ok. Fine.", ["Great!👍 ok.", "Fine."]),
    ],
)
def test_rules(text, expected):
    assert sentences(text) == expected


def test_long_sentence_is_cut_at_clause_points():
    text = "we went there, and then we came back; " * 30
    spans = sentence_spans(text)
    assert all(b - a <= MAX_SENTENCE for a, b in spans)
    assert all(text[b - 1] == ";" for a, b in spans[:-1])  # cut after the semicolons
    assert len(spans) == 3


def test_long_sentence_without_punctuation_is_cut_at_spaces():
    text = " ".join(["word"] * 300)  # 1,499 code points, no stop: automatic transcription
    spans = sentence_spans(text)
    assert spans == [(0, 399), (400, 799), (800, 1199), (1200, 1499)]


def test_long_text_without_spaces_is_cut_between_graphemes():
    text = "e\u0301" * 500  # e + combining acute: 500 graphemes, 1,000 code points
    spans = sentence_spans(text)
    assert [b - a for a, b in spans] == [400, 400, 200]


def test_comma_fallback_and_dash_preferred():
    text = ("a" * 150 + ", ") * 2 + "b" * 50 + " -- " + "c" * 200  # dash at 355, commas at 150, 302
    spans = sentence_spans(text)
    assert text[spans[0][1] - 2 : spans[0][1]] == "--"


def _clusters(text: str) -> set[int]:
    return {0} | {m.end() for m in regex.finditer(r"\X", text)}


_texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("abc XYZ.!?…;:,-—\"'()[]\n\t。！？।؟e\u0301\u200d👍🏽35")),
        st.characters(),
    ),
    max_size=300,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_texts)
def test_spans_cover_every_non_space_character_once_in_order(text):
    spans = sentence_spans(text)
    assert spans == sentence_spans(text)  # deterministic
    covered = [0] * len(text)
    previous = 0
    bounds = _clusters(text)
    for a, b in spans:
        assert previous <= a < b <= len(text)
        assert a in bounds and b in bounds  # never inside a grapheme cluster
        assert not text[a:b].isspace()
        assert text[previous:a].strip() == ""  # only whitespace between sentences
        for i in range(a, b):
            covered[i] += 1
        previous = b
    assert text[previous:].strip() == ""
    for i, ch in enumerate(text):
        assert covered[i] <= 1
        if not ch.isspace():
            assert covered[i] == 1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["Yes.", "No!", "Maybe?", "I think so", "Dr. Who", "3.5"]), max_size=8)
)
def test_spans_of_ascii_text_have_no_edge_whitespace(words):
    text = "  ".join(words)
    for a, b in sentence_spans(text):
        assert text[a:b] == text[a:b].strip()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .\n")), max_size=2000))
def test_no_piece_is_longer_than_the_maximum(text):
    assert all(b - a <= MAX_SENTENCE for a, b in sentence_spans(text))


# --- selections -----------------------------------------------------------------------------------
TURN = "I saw Dr. Smith yesterday. He said e.g. rest is good, etc. Then I left."
SPANS = sentence_spans(TURN)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", [SPANS[1]]),
        ("2-3", [(SPANS[1][0], SPANS[2][1])]),
        ("2 - 3", [(SPANS[1][0], SPANS[2][1])]),
        ("2..3", [(SPANS[1][0], SPANS[2][1])]),
        ("2–3", [(SPANS[1][0], SPANS[2][1])]),
        ("2 to 3", [(SPANS[1][0], SPANS[2][1])]),
        ("1,3", [SPANS[0], SPANS[2]]),
        ("1; 3", [SPANS[0], SPANS[2]]),
        ("3 1", [SPANS[0], SPANS[2]]),
        ("1,2", [(SPANS[0][0], SPANS[1][1])]),  # adjacent sentences are one excerpt
        ("1-2, 2-3", [(SPANS[0][0], SPANS[2][1])]),
        ("c6-15", [(6, 15)]),
        ("C6-15, 3", [(6, 15), SPANS[2]]),
    ],
)
def test_parse_selection(value, expected):
    assert parse_selection(value, SPANS, len(TURN)) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4", "no sentence 4: the turn has 3 sentences (1-3)"),
        ("0", "no sentence 0: the turn has 3 sentences (1-3)"),
        ("2-5", "no sentence 5: the turn has 3 sentences (1-3)"),
        ("3-2", "sentences '3-2': write the smaller number first"),
        ("two", "cannot read 'two' as sentence numbers (write e.g. 2 or 2-3 or 1,4)"),
        ("", "the selection is empty"),
        ("c9-3", "characters 'c9-3': the start must come before the end"),
        ("c1-999", "characters 'c1-999' run past the end of the turn"),
    ],
)
def test_parse_selection_errors(value, message):
    with pytest.raises(SelectionError) as info:
        parse_selection(value, SPANS, len(TURN))
    assert str(info.value) == message


def test_describe_selection_is_the_inverse():
    assert describe_selection(SPANS[1][0], SPANS[2][1], SPANS) == "2-3"
    assert describe_selection(*SPANS[0], SPANS) == "1"
    assert describe_selection(6, 15, SPANS) == "c6-15"
    for value in ("1", "2-3", "c6-15"):
        (span,) = parse_selection(value, SPANS, len(TURN))
        assert describe_selection(*span, SPANS) == value


def test_whole_turn():
    assert is_whole_turn(parse_selection("1-3", SPANS, len(TURN)), SPANS)
    assert is_whole_turn(parse_selection("1,2,3", SPANS, len(TURN)), SPANS)
    assert not is_whole_turn(parse_selection("1,3", SPANS, len(TURN)), SPANS)
