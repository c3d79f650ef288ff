"""Auto-coding core: whole-word keywords, overlaps, punctuation, case folding with true offsets,
patterns with a time limit, the codings contract and the per-code summary."""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.coding.autocode import (
    autocode,
    coding_summary,
    coding_totals,
    normalise_keyword,
    normalise_text,
)
from qualcode.errors import CodebookError
from qualcode.model import CODING_COLUMNS, Code, Codebook, Theme


def book(*codes: Code, source: str = "cb.yaml") -> Codebook:
    return Codebook(themes=(Theme("T1", "theme", codes=codes),), source=source)


def kw(code_id: str, *keywords: str, patterns: tuple[str, ...] = (), line: int = 1) -> Code:
    return Code(code_id, code_id.lower(), keywords=keywords, patterns=patterns, line=line)


def segs(*texts: str, role: str = "participant") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment_id": [f"g1:{i}" for i in range(1, len(texts) + 1)],
            "transcript_id": "g1",
            "participant_id": [f"P{i}" for i in range(1, len(texts) + 1)],
            "role": role,
            "text": list(texts),
        }
    )


def hits(codings: pd.DataFrame) -> list[tuple]:
    return [
        (r.segment_id, r.code_id, r.start_char, r.end_char) for r in codings.itertuples(index=False)
    ]


def spans(codings: pd.DataFrame, segments: pd.DataFrame) -> list[tuple[str, str]]:
    text = dict(zip(segments["segment_id"], segments["text"], strict=True))
    return [
        (r.code_id, text[r.segment_id][r.start_char : r.end_char])
        for r in codings.itertuples(index=False)
        if r.code_id
    ]


def test_codings_contract_and_empty_rows():
    s = segs("I had a craving.", "Nothing here.", "Craving again")
    out = autocode(s, book(kw("RI1", "craving")), coder="auto")
    assert list(out.columns) == list(CODING_COLUMNS)
    assert [tuple(r) for r in out.itertuples(index=False)] == [
        ("g1:1", "RI1", "auto", "auto", "", 8, 15),
        ("g1:2", "", "auto", "auto", "", "", ""),
        ("g1:3", "RI1", "auto", "auto", "", 0, 7),
    ]


def test_overlapping_keywords_of_different_codes_both_hit():
    s = segs("A red apple, red.")
    out = autocode(s, book(kw("RED", "red"), kw("APPLE", "red apple")), coder="c")
    assert hits(out) == [("g1:1", "RED", 2, 5), ("g1:1", "APPLE", 2, 11)]


def test_longest_keyword_wins_a_tie_within_one_code():
    s = segs("red apple")
    out = autocode(s, book(kw("A", "red", "red apple")), coder="c")
    assert hits(out) == [("g1:1", "A", 0, 9)]


def test_first_match_is_the_earliest_one():
    s = segs("later craving, earlier? no: cravings then craving")
    out = autocode(s, book(kw("A", "cravings", "craving")), coder="c")
    assert spans(out, s) == [("A", "craving")]
    assert hits(out) == [("g1:1", "A", 6, 13)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("craving", [(0, 7)]),
        ("(craving)", [(1, 8)]),
        ("the craving, and", [(4, 11)]),
        ("“craving”", [(1, 8)]),
        ("craving.", [(0, 7)]),
        ("craving—really", [(0, 7)]),
        ("cravings", []),
        ("xcraving", []),
        ("craving_x", []),
        ("craving2", []),
        ("cravinǵ", []),  # a combining mark continues the word
        ("cravingé", []),
    ],
)
def test_whole_words_next_to_punctuation(text, expected):
    out = autocode(segs(text), book(kw("A", "craving")), coder="c")
    assert [(r.start_char, r.end_char) for r in out.itertuples() if r.code_id] == expected


def test_keywords_with_punctuation_and_phrases_match_exactly():
    s = segs("the side-effects", "the side effects", "the side\u00a0 \n effects", "I don’t know")
    codebook = book(kw("HYPHEN", "side-effects"), kw("SPACE", "side effects"), kw("DONT", "don't"))
    out = autocode(s, codebook, coder="c")
    assert hits(out) == [
        ("g1:1", "HYPHEN", 4, 16),
        ("g1:2", "SPACE", 4, 16),
        ("g1:3", "SPACE", 4, 19),  # whitespace runs (NBSP, new line) match one space
        ("g1:4", "DONT", 2, 7),  # curly apostrophe in the text
    ]


def test_curly_apostrophe_in_the_keyword_matches_straight_text():
    out = autocode(segs("I don't know"), book(kw("A", "DON’T")), coder="c")
    assert hits(out) == [("g1:1", "A", 2, 7)]


def test_case_folding_keeps_original_offsets():
    # ß folds to "ss" and İ to "i̇" (two code points each): later offsets must not drift.
    s = segs("Straße und İstanbul: CRAVING ﬁne", "STRASSE")
    codebook = book(kw("STREET", "strasse"), kw("CRAVE", "craving"), kw("FINE", "fine"))
    out = autocode(s, codebook, coder="c")
    assert hits(out) == [
        ("g1:1", "STREET", 0, 6),
        ("g1:1", "CRAVE", 21, 28),
        ("g1:1", "FINE", 29, 32),  # the ligature ﬁ is one code point
        ("g1:2", "STREET", 0, 7),
    ]
    assert spans(out, s) == [
        ("STREET", "Straße"),
        ("CRAVE", "CRAVING"),
        ("FINE", "ﬁne"),
        ("STREET", "STRASSE"),
    ]


def test_non_ascii_keywords_and_text():
    s = segs("Ça va? ÉLÈVES, élèves… Ωμέγα")
    codebook = book(kw("A", "ça va"), kw("B", "Élèves"), kw("C", "ωμέγα"))
    out = autocode(s, codebook, coder="c")
    assert spans(out, s) == [("A", "Ça va"), ("B", "ÉLÈVES"), ("C", "Ωμέγα")]


def test_normalisation_helpers():
    assert normalise_keyword("  Side\u00a0 EFFECTS ") == "side effects"
    assert normalise_keyword("Don’t") == "don't"
    norm, to_original = normalise_text("Aß  b")
    assert norm == "ass b"
    assert [to_original(i) for i in range(len(norm))] == [0, 1, 1, 2, 4]


def test_facilitator_turns_are_excluded_unless_asked():
    s = pd.DataFrame(
        {
            "segment_id": ["g1:1", "g1:2", "g1:3"],
            "transcript_id": "g1",
            "participant_id": ["", "P1", ""],
            "role": ["facilitator", "participant", "unknown"],
            "text": ["Any craving?", "No.", "craving"],
        }
    )
    codebook = book(kw("A", "craving"))
    assert hits(autocode(s, codebook, coder="c")) == [
        ("g1:2", "", "", ""),
        ("g1:3", "A", 0, 7),
    ]
    assert hits(autocode(s, codebook, coder="c", include_facilitator=True)) == [
        ("g1:1", "A", 4, 11),
        ("g1:2", "", "", ""),
        ("g1:3", "A", 0, 7),
    ]


def test_patterns_give_first_span_in_the_original_text():
    s = segs("Ich fühle mich besser. Cravings weg", "No crav here")
    codebook = book(kw("A", patterns=(r"\bcrav\w+",)), kw("B", patterns=(r"fühle\s+mich",)))
    out = autocode(s, codebook, coder="c")
    assert spans(out, s) == [("A", "Cravings"), ("B", "fühle mich")]
    assert hits(out)[-1] == ("g1:2", "", "", "")


def test_patterns_see_straight_quotes():
    out = autocode(segs("I can’t stop"), book(kw("A", patterns=(r"can't",))), coder="c")
    assert hits(out) == [("g1:1", "A", 2, 7)]


def test_keywords_and_patterns_of_one_code_give_one_row():
    s = segs("craving and more cravings")
    out = autocode(s, book(kw("A", "cravings", patterns=(r"crav\w+",))), coder="c")
    assert hits(out) == [("g1:1", "A", 0, 7)]


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)+$"])
def test_catastrophic_pattern_stops_quickly_with_a_clear_error(pattern):
    s = segs("fine", "a" * 5000 + "!")
    codebook = book(kw("SLOW", patterns=(pattern,), line=12), source="study.yaml")
    start = time.process_time()
    with pytest.raises(CodebookError) as info:
        autocode(s, codebook, coder="c", pattern_timeout=0.2)
    assert time.process_time() - start < 3
    err = info.value
    assert (err.file, err.line) == ("study.yaml", 12)
    assert (
        err.message
        == f"pattern {pattern!r} of code 'SLOW' took longer than 0.2 s on segment 'g1:2'"
    )
    assert err.hint.startswith("simplify the pattern")


def test_nested_quantifier_on_short_text_is_fine():
    out = autocode(segs("a" * 30 + "!", "aaa"), book(kw("A", patterns=(r"(a+)+$",))), coder="c")
    assert hits(out) == [("g1:1", "", "", ""), ("g1:2", "A", 0, 3)]


def test_a_codebook_without_keywords_or_patterns_is_refused():
    with pytest.raises(CodebookError, match="no keywords or patterns"):
        autocode(segs("x"), book(Code("A", "a")), coder="c")


def test_progress_reports_every_reviewed_segment():
    seen: list[int] = []
    s = segs(*["craving"] * 7)
    autocode(s, book(kw("A", "craving")), coder="c", progress=seen.append)
    assert sum(seen) == 7


def test_separator_characters_in_text_do_not_join_turns():
    s = segs("red\x00", "apple")
    out = autocode(s, book(kw("A", "red apple"), kw("B", "red")), coder="c")
    assert hits(out) == [("g1:1", "B", 0, 3), ("g1:2", "", "", "")]


def test_summary_counts_segments_participants_groups():
    s = pd.DataFrame(
        {
            "segment_id": ["g1:1", "g1:2", "g1:3", "g2:1", "g2:2"],
            "transcript_id": ["g1", "g1", "g1", "g2", "g2"],
            "participant_id": ["P1", "P1", "", "P2", ""],
            "role": ["participant", "participant", "unknown", "participant", "facilitator"],
            "text": ["craving", "craving again", "craving", "side effects", "craving"],
        }
    )
    codebook = book(kw("A", "craving"), kw("B", "side effects"), kw("C", "nothing"))
    out = autocode(s, codebook, coder="c", include_facilitator=True)
    summary = coding_summary(out, s, codebook)
    assert [tuple(r) for r in summary.itertuples(index=False)] == [
        ("A", "a", 4, 1, 2),  # unknown speaker and facilitator: mentions and groups, not people
        ("B", "b", 1, 1, 1),
        ("C", "c", 0, 0, 0),
    ]
    assert coding_totals(out, s) == {"reviewed": 5, "segments": 5, "participants": 2, "groups": 2}


def test_summary_keeps_codes_missing_from_the_codebook():
    s = segs("x", "y")
    codings = pd.DataFrame({"segment_id": ["g1:1", "g1:2"], "code_id": ["ZZ", ""], "coder": "c"})
    summary = coding_summary(codings, s, book(kw("A", "a")))
    assert [tuple(r) for r in summary.itertuples(index=False)] == [
        ("A", "a", 0, 0, 0),
        ("ZZ", "", 1, 1, 1),
    ]


# --- an independent reference: one regular expression per keyword on ASCII text -------------
WORDS = ["red", "apple", "red apple", "pie", "apple pie", "x_y", "don't"]


def reference(texts: list[str], codes: list[list[str]]) -> list[tuple]:
    rows = []
    for i, text in enumerate(texts, start=1):
        found = False
        for ci, keywords in enumerate(codes):
            best = None
            for k in keywords:
                body = r"\s+".join(re.escape(w) for w in k.split())
                m = re.search(rf"(?<!\w){body}(?!\w)", text, re.IGNORECASE)
                if m and (best is None or (m.start(), -m.end()) < (best[0], -best[1])):
                    best = (m.start(), m.end())
            if best:
                found = True
                rows.append((f"g1:{i}", f"K{ci}", best[0], best[1]))
        if not found:
            rows.append((f"g1:{i}", "", "", ""))
    return rows


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(
        st.lists(
            st.sampled_from(["red", "RED", "apple", "pie", "x", "y", "_", "don't", "redd"]),
            max_size=8,
        ).flatmap(
            lambda words: st.lists(
                st.sampled_from([" ", "  ", "\n", ", ", "-", ".", "\t"]),
                min_size=len(words),
                max_size=len(words),
            ).map(lambda seps: "".join(w + s for w, s in zip(words, seps, strict=True)))
        ),
        min_size=1,
        max_size=6,
    ),
    codes=st.lists(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), min_size=1, max_size=4
    ),
)
def test_matches_an_independent_regex_reference(texts, codes):
    codebook = book(*(kw(f"K{i}", *dict.fromkeys(k)) for i, k in enumerate(codes)))
    out = autocode(segs(*texts), codebook, coder="c")
    assert hits(out) == reference(texts, [list(dict.fromkeys(k)) for k in codes])
