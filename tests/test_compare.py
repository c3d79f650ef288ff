"""compare_codings: 2x2 counts, roll-ups, single-coded segments, disagreements, set alpha, errors.

The fixture: 2 codes (X, Y) under theme T1 of construct C1, segments T1:1..T1:8; both coders reviewed
T1:1..T1:6, coder A alone T1:7, coder B alone T1:8.

    segment  A      B
    T1:1     X      X
    T1:2     X, Y   X
    T1:3     -      Y
    T1:4     Y      Y
    T1:5     X      -
    T1:6     -      -

By hand: X both 2, only A 1 (T1:5), only B 0, neither 3 -> p_o 5/6, kappa (5/6 - 1/2) / (1/2) = 2/3,
alpha 1 - (12 - 1) * 1 / (5 * 7) = 24/35, positive agreement 4/5.
Y both 1, only A 1 (T1:2), only B 1 (T1:3), neither 3 -> p_o 4/6, kappa (2/3 - 5/9) / (4/9) = 1/4,
alpha 1 - 11 * 2 / (4 * 8) = 10/32, positive agreement 2/4.
Theme T1 (any of X, Y): A has it on 1, 2, 4, 5; B on 1, 2, 3, 4 -> both 3, only A 1, only B 1, neither 1.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from qualcode.agreement.compare import (
    CoderError,
    OverlapError,
    UnknownCodeError,
    UnknownSegmentError,
    compare_codings,
    comparison_json,
    comparison_to_dict,
)
from qualcode.agreement.stats import jaccard_distance, masi_distance
from qualcode.errors import ContractError
from qualcode.model import Code, Codebook, Construct, Theme

A_ROWS = [
    ("T1:1", "X"),
    ("T1:2", "X"),
    ("T1:2", "Y"),
    ("T1:3", ""),
    ("T1:4", "Y"),
    ("T1:5", "X"),
    ("T1:6", ""),
    ("T1:7", "X"),
]
B_ROWS = [
    ("T1:1", "X"),
    ("T1:2", "X"),
    ("T1:3", "Y"),
    ("T1:4", "Y"),
    ("T1:5", ""),
    ("T1:6", ""),
    ("T1:8", ""),
]


def codings(rows, coder):
    return pd.DataFrame(
        {
            "segment_id": [r[0] for r in rows],
            "code_id": [r[1] for r in rows],
            "coder": coder,
            "origin": "manual",
            "memo": "",
            "start_char": "",
            "end_char": "",
        }
    )


def codebook() -> Codebook:
    x = Code("X", "the x idea", theme_id="T1", construct_id="C1")
    y = Code("Y", "the y idea", theme_id="T1", construct_id="C1")
    theme = Theme("T1", "the theme", codes=(x, y), construct_id="C1")
    return Codebook(title="tiny", constructs=(Construct("C1", "the construct", themes=(theme,)),))


def segments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment_id": [f"T1:{i}" for i in range(1, 9)],
            "transcript_id": "T1",
            "turn": list(range(1, 9)),
            "speaker": [f"P{i}" for i in range(1, 9)],
            "text": [f"turn {i} text" for i in range(1, 9)],
        }
    )


@pytest.fixture
def comparison():
    return compare_codings(
        codings(A_ROWS, "ana"), codings(B_ROWS, "ben"), codebook=codebook(), segments=segments()
    )


def test_two_by_two_counts_and_statistics(comparison):
    rows = comparison.per_code[["code_id", "both", "only_a", "only_b", "neither", "n"]]
    assert list(rows.itertuples(index=False, name=None)) == [
        ("X", 2, 1, 0, 3, 6),
        ("Y", 1, 1, 1, 3, 6),
    ]
    x, y = comparison.per_code.to_dict(orient="records")
    assert x["percent_agreement"] == pytest.approx(5 / 6)
    assert x["cohen_kappa"] == pytest.approx(2 / 3)
    assert x["krippendorff_alpha"] == pytest.approx(24 / 35)
    assert x["positive_agreement"] == pytest.approx(4 / 5)
    assert (x["prevalence_a"], x["prevalence_b"]) == pytest.approx((3 / 6, 2 / 6))
    assert y["percent_agreement"] == pytest.approx(4 / 6)
    assert y["cohen_kappa"] == pytest.approx(1 / 4)
    assert y["krippendorff_alpha"] == pytest.approx(10 / 32)
    assert y["positive_agreement"] == pytest.approx(2 / 4)
    # 24/35 = 0.686 is tentative; Y was applied to 2 segments (< 3): rare.
    assert (x["alpha_band"], x["rare"]) == ("tentative", False)
    assert (y["alpha_band"], bool(y["rare"])) == ("low", True)
    assert (x["label"], x["theme_id"], x["construct_id"]) == ("the x idea", "T1", "C1")


def test_theme_and_construct_roll_up(comparison):
    cols = ["id", "both", "only_a", "only_b", "neither"]
    assert list(comparison.per_theme[cols].itertuples(index=False, name=None)) == [
        ("T1", 3, 1, 1, 1)
    ]
    assert list(comparison.per_construct[cols].itertuples(index=False, name=None)) == [
        ("C1", 3, 1, 1, 1)
    ]
    theme = comparison.per_theme.iloc[0]
    assert theme["cohen_kappa"] == pytest.approx(1 / 4)  # p_o 4/6, p_e 4/6*4/6 + 2/6*2/6 = 5/9
    assert theme["n_codes"] == 2


def test_reviewed_counts_and_single_coded(comparison):
    c = comparison
    assert (c.coder_a, c.coder_b) == ("ana", "ben")
    assert (c.reviewed_a, c.reviewed_b, c.double_coded, c.reviewed_either) == (7, 7, 6, 8)
    assert c.segments_total == 8
    assert c.double_coded_share == pytest.approx(6 / 8)
    assert (c.single_coded_a, c.single_coded_b) == (("T1:7",), ("T1:8",))


def test_disagreements_rows(comparison):
    rows = list(comparison.disagreements.itertuples(index=False, name=None))
    assert rows == [
        ("T1:2", "T1", 2, "P2", "turn 2 text", ("X", "Y"), ("X",), ("Y",), ()),
        ("T1:3", "T1", 3, "P3", "turn 3 text", (), ("Y",), (), ("Y",)),
        ("T1:5", "T1", 5, "P5", "turn 5 text", ("X",), (), ("X",), ()),
    ]


def test_pooled_counts_are_the_sum_over_codes(comparison):
    pooled = comparison.overall["pooled"]
    assert (pooled["both"], pooled["only_a"], pooled["only_b"], pooled["neither"]) == (3, 2, 1, 6)
    assert pooled["percent_agreement"] == pytest.approx(9 / 12)
    assert comparison.overall["identical_segments"] == 3


def _alpha_two_coders(values_a, values_b, distance) -> float:
    """Krippendorff (2011) alpha for two coders and no missing values, straight from the definition:
    D_o averages distance within units, D_e over all pairs of the 2n pooled values."""
    n = len(values_a)
    d_o = sum(distance(x, y) for x, y in zip(values_a, values_b, strict=True)) / n
    pooled = list(values_a) + list(values_b)
    d_e = sum(distance(x, y) for x, y in itertools.permutations(pooled, 2)) / (2 * n * (2 * n - 1))
    return 1 - d_o / d_e


def test_set_alpha_against_the_definition(comparison):
    sets_a = [{"X"}, {"X", "Y"}, set(), {"Y"}, {"X"}, set()]
    sets_b = [{"X"}, {"X"}, {"Y"}, {"Y"}, set(), set()]
    masi = _alpha_two_coders(sets_a, sets_b, masi_distance)
    jaccard = _alpha_two_coders(sets_a, sets_b, jaccard_distance)
    assert comparison.overall["set_alpha_masi"] == pytest.approx(masi)
    assert comparison.overall["set_alpha_jaccard"] == pytest.approx(jaccard)
    assert comparison.overall["distinct_code_sets"] == 4  # {X}, {X, Y}, {}, {Y}


def test_without_codebook_codes_are_the_sorted_union_and_no_rollups():
    a = codings([("S:1", "b"), ("S:2", "a"), ("S:10", "")], "ana")
    b = codings([("S:1", "b"), ("S:2", ""), ("S:10", "c")], "ben")
    c = compare_codings(a, b)
    assert c.per_code["code_id"].tolist() == ["a", "b", "c"]
    assert len(c.per_theme) == 0 and len(c.per_construct) == 0
    # Natural order: S:2 before S:10; without a segments file the turn comes from the id.
    assert [r[:3] for r in c.disagreements.itertuples(index=False, name=None)] == [
        ("S:2", "S", 2),
        ("S:10", "S", 10),
    ]
    assert c.share_of == "segments reviewed by either coder"


def test_undefined_statistics_are_nan_with_a_reason():
    # Code "a" applied by nobody on the double-coded segments: kappa/alpha undefined.
    cb = Codebook(flat_codes=(Code("a", "A"), Code("b", "B")))
    a = codings([("S:1", "b"), ("S:2", "")], "ana")
    b = codings([("S:1", "b"), ("S:2", "")], "ben")
    c = compare_codings(a, b, codebook=cb)
    row = c.per_code.iloc[0]
    assert row["code_id"] == "a"
    assert math.isnan(row["krippendorff_alpha"])
    assert row["alpha_band"] == "n/a"
    assert "krippendorff_alpha" in row["reasons"]
    data = comparison_to_dict(c)
    assert data["per_code"][0]["krippendorff_alpha"] is None
    assert data["per_code"][0]["reasons"]["krippendorff_alpha"]


def test_json_structure_has_the_stable_keys(comparison):
    data = comparison_to_dict(comparison)
    assert {"per_code", "per_theme", "per_construct", "overall", "disagreements"} <= set(data)
    assert {
        "code_id",
        "label",
        "both",
        "only_a",
        "only_b",
        "neither",
        "percent_agreement",
        "cohen_kappa",
        "scott_pi",
        "krippendorff_alpha",
        "gwet_ac1",
        "brennan_prediger",
        "positive_agreement",
    } <= set(data["per_code"][0])
    assert data["disagreements"][0]["codes_a"] == ["X", "Y"]
    assert data["reviewed"] == {"a": 7, "b": 7, "both": 6, "either": 8, "segments_total": 8}
    assert "rare" in data["rare_rule"]


def dumped(c) -> str:
    import json

    return json.dumps(comparison_to_dict(c), indent=2, ensure_ascii=False, allow_nan=False)


def test_json_text_is_what_json_dumps_writes(comparison):
    # comparison_json lays the disagreements out itself (no dict per row): the same text as the
    # json encoder, also for values it hands back to json.dumps (float, dict, a missing turn).
    from dataclasses import replace

    assert "".join(comparison_json(comparison)) == dumped(comparison)
    odd = comparison.disagreements.copy()
    odd["text"] = ['say "\\n" \n\t\u00e9\u2028 \U0001f600', None, float("nan")][: len(odd)]
    odd["speaker"] = [{"a": [1, 2.5]}, True, 3][: len(odd)]
    odd["turn"] = pd.array([1, None, 3][: len(odd)], dtype="Int64")
    odd["codes_b"] = [(), ("X", 2), ("Y",)][: len(odd)]
    for c in (replace(comparison, disagreements=odd), replace(comparison, disagreements=odd[:0])):
        assert "".join(comparison_json(c)) == dumped(c)


def test_three_thousand_segments_by_two_hundred_codes_is_fast():
    # 3,000 segments x 200 codes runs in well under a second (vectorised; no per-cell Python loop).
    import time

    import numpy as np

    rng = np.random.default_rng(3)
    seg = np.array([f"G:{i}" for i in range(3000)], dtype=object)
    codes = np.array([f"C{j}" for j in range(200)], dtype=object)
    rows = rng.integers(0, 3000, 6000)
    cols = rng.integers(0, 200, 6000)
    a = codings(list(zip(seg[rows], codes[cols], strict=True)) + [(s, "") for s in seg], "ana")
    keep = rng.random(6000) < 0.8
    b = codings(
        list(zip(seg[rows[keep]], codes[cols[keep]], strict=True)) + [(s, "") for s in seg], "ben"
    )
    start = time.process_time()
    c = compare_codings(a, b)
    assert time.process_time() - start < 3
    assert int(c.per_code[["both", "only_a", "only_b", "neither"]].to_numpy().sum()) == 3000 * 200


# --- errors -------------------------------------------------------------------------------------
def test_missing_column():
    a = codings(A_ROWS, "ana").drop(columns=["coder"])
    with pytest.raises(ContractError) as err:
        compare_codings(a, codings(B_ROWS, "ben"), a_path="a.csv")
    assert str(err.value) == "a.csv:1: codings is missing column(s): coder"


def test_unknown_code_ids_are_listed_with_the_first_row():
    b = codings(B_ROWS + [("T1:1", "RI99"), ("T1:2", "RI100"), ("T1:3", "RI99")], "ben")
    with pytest.raises(UnknownCodeError) as err:
        compare_codings(codings(A_ROWS, "ana"), b, codebook=codebook(), b_path="coder_b.csv")
    assert str(err.value) == "coder_b.csv:9: code ids not in the codebook: RI99, RI100"


def test_padded_codes_are_checked_against_the_codebook_stripped():
    """Without --segments the rows are never rebuilt with their stripped ids: the codebook check
    reads the distinct stripped codes, and only an unknown one rebuilds A's rows to name its row."""
    padded = codings([(f" {s}", f" {c} " if c else c) for s, c in A_ROWS], "ana")
    plain = compare_codings(codings(A_ROWS, "ana"), codings(B_ROWS, "ben"), codebook=codebook())
    same = compare_codings(padded, codings(B_ROWS, "ben"), codebook=codebook())
    assert comparison_to_dict(same) == comparison_to_dict(plain)
    padded.loc[6, "code_id"] = " RI99 "
    with pytest.raises(UnknownCodeError) as err:
        compare_codings(padded, codings(B_ROWS, "ben"), codebook=codebook(), a_path="a.csv")
    assert str(err.value) == "a.csv:8: code ids not in the codebook: RI99"


@pytest.mark.parametrize(
    "ids_a, ids_b",
    [
        (["T1:1", "T1:2", "T1:2", "T2:1"], ["T1:2", "T3:1", "T1:1"]),
        ([" T1:1", "T1:1", "T1:2 ", "T1:3"], ["T1:2", "T1:1 ", "T9:9"]),  # one id, three spellings
        (["T1:1", None, "T1:2"], ["T1:2", float("nan"), ""]),  # missing values: pandas numbers them
        (["T1:1", "T1:1", "T1:2", "T2:1"], ["T1:1", "T1:2", "T1:2", "T2:1"]),
        ([" T1:1", "T1:2", "T1:2"], [" T1:1", "T1:2"]),
    ],
)
def test_joint_codes_are_the_same_through_idcodes_and_pandas(ids_a, ids_b):
    """Above idcodes.MIN_SIZE values (8.4M: a study of millions of segments) the segment ids are
    numbered by idcodes.factorize; min_size=1 sends these few through it."""
    from qualcode.agreement.compare import _joint_codes

    a, b = pd.Series(ids_a, dtype=object), pd.Series(ids_b, dtype=object)
    big = _joint_codes(a, b, min_size=1)
    small = _joint_codes(a, b, min_size=1 << 40)
    assert big[0].tolist() == small[0].tolist()
    assert pd.Index(big[1]).equals(pd.Index(small[1]))  # NaN equals NaN here
    codes, uniques = pd.factorize(pd.concat([a, b], ignore_index=True), use_na_sentinel=False)
    stripped = pd.Index(uniques).astype(str).str.strip()
    again, distinct = pd.factorize(stripped)
    assert big[0].tolist() == again[codes].tolist()
    assert pd.Index(big[1]).equals(pd.Index(distinct))


def test_unknown_segment_ids():
    a = codings(A_ROWS + [("T9:1", "X")], "ana")
    with pytest.raises(UnknownSegmentError) as err:
        compare_codings(
            a,
            codings(B_ROWS, "ben"),
            segments=segments(),
            a_path="a.csv",
            segments_path="segments.csv",
        )
    assert str(err.value) == "a.csv:10: segment ids not in the segments file segments.csv: T9:1"


def test_same_coder_twice():
    with pytest.raises(CoderError) as err:
        compare_codings(
            codings(A_ROWS, "ana"), codings(B_ROWS, "ana"), a_path="a.csv", b_path="b.csv"
        )
    assert str(err.value) == "b.csv: both files are from coder 'ana'"


def test_several_coders_in_one_file():
    a = codings(A_ROWS, "ana")
    a.loc[4, "coder"] = "ben"
    with pytest.raises(CoderError) as err:
        compare_codings(a, codings(B_ROWS, "ben"), a_path="a.csv")
    assert str(err.value) == (
        "a.csv:6: the coder column names 2 coders (ana, ben); a codings file holds one coder"
    )
    assert "one file per coder" in err.value.hint


def test_no_overlap():
    a = codings([("T1:1", "X")], "ana")
    b = codings([("T1:2", "X")], "ben")
    with pytest.raises(OverlapError) as err:
        compare_codings(a, b, a_path="a.csv", b_path="b.csv")
    assert (
        str(err.value)
        == "b.csv: no segment was reviewed by both coders: there is nothing to compare"
    )


@pytest.mark.parametrize("empty_side", ["a", "b"])
def test_a_coder_with_no_rows_is_a_clear_error(empty_side):
    a, b = codings(A_ROWS, "ana"), codings(B_ROWS, "ben")
    if empty_side == "a":
        a = a.iloc[0:0]
    else:
        b = b.iloc[0:0]
    with pytest.raises(ContractError) as err:
        compare_codings(a, b, codebook=codebook(), a_path="a.csv", b_path="b.csv")
    assert str(err.value) == f"{empty_side}.csv: no rows: this coder has reviewed no segments"


def test_blank_coder_column_takes_the_file_stem():
    a = codings(A_ROWS, "")
    c = compare_codings(a, codings(B_ROWS, "ben"), a_path="codings/ana.csv")
    assert c.coder_a == "ana"


def test_progress_is_reported_in_steps():
    from qualcode.agreement.compare import COMPARE_STEPS

    calls: list[int] = []
    compare_codings(codings(A_ROWS, "ana"), codings(B_ROWS, "ben"), progress=calls.append)
    assert sum(calls) == COMPARE_STEPS


def test_natural_order_is_the_tuple_sort_of_transcript_and_turn():
    # natural_order_positions sorts integer keys; it must order every id as sorting the
    # (transcript, turn) tuples does, stable for G1:2 and G1:02, with ids that have no turn and
    # turn numbers past int64.
    import random

    from qualcode.agreement.compare import _turn_key, natural_order_positions

    rng = random.Random(7)
    for _ in range(300):
        ids = []
        for _ in range(rng.randint(0, 40)):
            t = rng.choice(["G1", "G2", "g10", "G1:x", "", "a:b"])
            ids.append(
                rng.choice(
                    [
                        f"{t}:{rng.randint(0, 30)}",
                        f"{t}:0{rng.randint(0, 30)}",
                        t,
                        f"{t}:{rng.choice(['x', '', '-1', '1a'])}",
                        f"{t}:{rng.randint(0, 10**17)}",
                    ]
                )
            )
        if rng.random() < 0.1:
            ids.append(f"G1:{10**30}")
        expected = sorted(range(len(ids)), key=lambda i: _turn_key(ids[i]))
        assert natural_order_positions(ids).tolist() == expected
