"""Krippendorff's unitized alpha (qualcode.agreement.unitized) against published worked examples and
an independent brute-force implementation written from the formula, section by section."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.agreement.unitized import (
    REASON_NOT_OBSERVED,
    UnitizingInputError,
    merge_units,
    pooled_unitized_alpha,
    unitized_alpha,
)

# Krippendorff (2004), Content Analysis, 2nd ed., p. 254: two observers, continuum 150..450
# (L = 300), categories c and k. Data and expected values as in DKPro Agreement's
# Krippendorff2004Test (github.com/dkpro/dkpro-statistics, dkpro-statistics-agreement/src/test/
# java/org/dkpro/statistics/agreement/unitizing/Krippendorff2004Test.java; Meyer et al. 2014):
# c: uDo = 0.0144, uDe = 0.0532, uα = 0.7286; k: uDo = 0, uDe = 0.0490, uα = 1; both 0.8591.
B2004 = 150
C_I = [(225, 295), (370, 400)]
C_J = [(220, 300), (355, 375), (400, 420)]
K_I = [(180, 240), (300, 350)]
K_J = [(180, 240), (300, 350)]


def shifted(units, by=B2004):
    return [(b - by, e - by) for b, e in units]


def test_krippendorff_2004_category_c():
    r = unitized_alpha([shifted(C_I), shifted(C_J)], 300)
    assert round(r.observed, 4) == 0.0144
    assert round(r.expected, 4) == 0.0532
    assert round(r.value, 4) == 0.7286


def test_krippendorff_2004_category_k():
    r = unitized_alpha([shifted(K_I), shifted(K_J)], 300)
    assert r.observed == 0.0
    assert round(r.expected, 4) == 0.0490
    assert round(r.value, 4) == 1.0


def test_krippendorff_2004_pooled():
    c = unitized_alpha([shifted(C_I), shifted(C_J)], 300)
    k = unitized_alpha([shifted(K_I), shifted(K_J)], 300)
    pooled = pooled_unitized_alpha([c, k])
    # The book divides its rounded figures: 1 - .0144 / (.0532 + .0490) = .8591 (DKPro asserts it
    # within .0005); unrounded the same formula gives .8587.
    assert round(1 - round(c.observed, 4) / (round(c.expected, 4) + round(k.expected, 4)), 4) == (
        0.8591
    )
    assert abs(pooled.value - 0.8591) < 0.0005
    assert round(pooled.value, 4) == 0.8587


# Krippendorff (1995), Sociological Methodology 25:47-76, p. 57: four pairs of observers on a
# continuum of 24; observed disagreements as in DKPro's Krippendorff1995Test (A .03125, B 2.26736,
# C .02777, D .38715). DKPro notes that the 1995 expected disagreement has an error corrected in
# 2004, so only uDo is compared with the 1995 text.
EX1995 = {
    "A": ([(2, 10), (14, 20)], [(4, 8), (15, 17)], 0.03125),
    "B": ([(0, 18)], [(0, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 9), (9, 10)], 2.26736),
    "C": (
        [(2, 8), (10, 12), (14, 18), (20, 22)],
        [(0, 2), (4, 8), (10, 14), (16, 18), (20, 22)],
        0.02777,
    ),
    "D": (
        [(0, 2), (2, 10), (10, 14), (14, 20), (20, 24)],
        [(0, 4), (4, 8), (8, 15), (15, 17), (17, 24)],
        0.38715,
    ),
}


@pytest.mark.parametrize("name", sorted(EX1995))
def test_krippendorff_1995_observed(name):
    a, b, observed = EX1995[name]
    assert unitized_alpha([a, b], 24).observed == pytest.approx(observed, abs=1e-5)


def test_dkpro_example_three_spans_inside_one():
    # DKPro UnitizingAgreementTest.createExample: r0 -11111111-, r1 --1-1-1---.
    r = unitized_alpha([[(1, 9)], [(2, 3), (4, 5), (6, 7)]], 10)
    assert round(r.observed, 4) == 0.9100
    assert r.expected == pytest.approx(0.5351, abs=1e-4)  # 0.53518..., DKPro's tolerance
    assert round(r.value, 4) == -0.7003


def test_three_coders_one_unit_is_chance():
    # DKPro UnitizingAgreementTest.testSingleAnnotationUnit: 3 raters, one unit -> 0.
    r = unitized_alpha([[(0, 1)], [], []], 20)
    assert r.observed == pytest.approx(r.expected)
    assert r.value == pytest.approx(0.0)


def test_no_units_is_not_observed():
    r = unitized_alpha([[], []], 50)
    assert math.isnan(r.value)
    assert r.reason == REASON_NOT_OBSERVED


def test_one_coder_marks_nothing():
    r = unitized_alpha([[(10, 20)], []], 50)
    assert r.observed > 0
    assert r.value < 0.5


def test_identical_spans_agree_perfectly():
    r = unitized_alpha([[(3, 9), (20, 30)], [(3, 9), (20, 30)]], 40)
    assert r.observed == 0.0
    assert r.value == 1.0


def test_overlapping_units_are_refused():
    with pytest.raises(UnitizingInputError):
        unitized_alpha([[(0, 5), (3, 8)], []], 10)
    with pytest.raises(UnitizingInputError):
        unitized_alpha([[(0, 11)], []], 10)


def test_merge_units_merges_shared_characters_and_keeps_touching_apart():
    assert merge_units([(5, 9), (0, 3), (2, 4), (9, 12), (10, 11)]) == (
        [(0, 4), (5, 9), (9, 12)],
        2,
    )


# --- an independent implementation, from the formula ----------------------------------------------
def brute_sections(units, length):
    out, pos = [], 0
    for b, e in units:
        if b > pos:
            out.append((pos, b, False))
        out.append((b, e, True))
        pos = e
    if pos < length:
        out.append((pos, length, False))
    return out


def brute_alpha(coders, length):
    """Krippendorff (2004) uα literally: every ordered pair of coders, every pair of sections."""
    m = len(coders)
    secs = [brute_sections(u, length) for u in coders]
    total = 0
    for i in range(m):
        for j in range(m):
            if i == j:
                continue
            for bg, eg, ug in secs[i]:
                for bh, eh, uh in secs[j]:
                    if min(eg, eh) <= max(bg, bh):
                        continue  # no common character
                    if ug and uh:
                        total += (bg - bh) ** 2 + (eg - eh) ** 2
                    elif ug and not uh and bh <= bg and eg <= eh:
                        total += (eg - bg) ** 2
                    elif uh and not ug and bg <= bh and eh <= eg:
                        total += (eh - bh) ** 2
    observed = total / (m * (m - 1) * length**2)
    units = [e - b for u in coders for b, e in u]
    gaps = [e - b for s in secs for b, e, u in s if not u]
    n = len(units)
    numerator = 0
    for lu in units:
        within = (n - 1) * 2 * sum(k * k for k in range(lu))  # (2l^3 - 3l^2 + l) / 3
        fits = sum(1 for g in gaps for _ in range(g - lu + 1)) if gaps else 0
        numerator += within + lu * lu * fits
    numerator *= 2 / length
    denominator = m * length * (m * length - 1) - sum(lu * (lu - 1) for lu in units)
    expected = numerator / denominator if n else 0.0
    return observed, expected


@st.composite
def continua(draw):
    length = draw(st.integers(1, 40))
    m = draw(st.integers(2, 3))
    coders = []
    for _ in range(m):
        marks = draw(st.lists(st.booleans(), min_size=length, max_size=length))
        cuts = draw(st.sets(st.integers(1, max(1, length - 1)), max_size=4))
        units, start = [], None
        for p in range(length + 1):
            on = p < length and marks[p]
            if start is not None and (not on or p in cuts):
                units.append((start, p))
                start = None
            if on and start is None:
                start = p
        coders.append(units)
    return coders, length


@settings(max_examples=300, deadline=None)
@given(continua())
def test_matches_brute_force(data):
    coders, length = data
    r = unitized_alpha(coders, length)
    observed, expected = brute_alpha(coders, length)
    assert r.observed == pytest.approx(observed, rel=1e-9, abs=1e-12)
    assert r.expected == pytest.approx(expected, rel=1e-9, abs=1e-12)
    if any(coders) and expected > 0:
        assert r.value == pytest.approx(1 - observed / expected, rel=1e-9, abs=1e-9)
    else:
        assert math.isnan(r.value)


# --- sentence level against a character-by-character count -----------------------------------------
@st.composite
def coded_turns(draw):
    texts = draw(
        st.lists(st.text(alphabet="ab .!?\n", min_size=1, max_size=30), min_size=1, max_size=4)
    )
    coders = []
    for _ in range(2):
        rows = []
        for t, text in enumerate(texts):
            for code in ("X", "Y"):
                if draw(st.booleans()):
                    if draw(st.booleans()):
                        rows.append((f"T:{t + 1}", code, "", ""))
                    else:
                        b = draw(st.integers(0, len(text) - 1))
                        e = draw(st.integers(b + 1, len(text)))
                        rows.append((f"T:{t + 1}", code, str(b), str(e)))
            rows.append((f"T:{t + 1}", "", "", ""))
        coders.append(rows)
    return texts, coders


@settings(max_examples=150, deadline=None)
@given(coded_turns())
def test_sentence_counts_match_a_character_count(data):
    import pandas as pd

    from qualcode.agreement.unitized import compare_by_unit
    from qualcode.sentences import sentence_spans

    texts, coders = data
    segments = pd.DataFrame(
        {
            "segment_id": [f"T:{t + 1}" for t in range(len(texts))],
            "transcript_id": "T",
            "turn": range(1, len(texts) + 1),
            "speaker": "P",
            "role": "participant",
            "text": texts,
        }
    )
    frames = [
        pd.DataFrame(rows, columns=["segment_id", "code_id", "start_char", "end_char"]).assign(
            coder=name, origin="manual", memo=""
        )
        for rows, name in zip(coders, ("ann", "bob"), strict=True)
    ]
    if not any(t.strip() for t in texts):
        return  # no sentence at all: compare_by_unit says so (tested through the CLI)
    c = compare_by_unit(*frames, unit="sentence", segments=segments, code_ids=["X", "Y"])

    def applies(rows, sid, code, sb, se, text):
        for s, cid, b, e in rows:
            if s != sid or cid != code:
                continue
            lo, hi = (0, len(text)) if b == "" else (int(b), int(e))
            if any(not text[p].isspace() for p in range(max(lo, sb), min(hi, se))):
                return True
        return False

    for code in ("X", "Y"):
        counts = [0, 0, 0, 0]
        for t, text in enumerate(texts):
            for sb, se in sentence_spans(text):
                a = applies(coders[0], f"T:{t + 1}", code, sb, se, text)
                b = applies(coders[1], f"T:{t + 1}", code, sb, se, text)
                counts[0 if a and b else 1 if a else 2 if b else 3] += 1
        row = c.per_code.set_index("code_id").loc[code]
        assert [int(row[k]) for k in ("both", "only_a", "only_b", "neither")] == counts
