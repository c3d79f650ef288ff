"""Agreement statistics against published worked examples (cited per test) and the edge cases.

Values are checked to 4 decimals where the source prints 3 or 4, exactly where a hand computation
is given in a comment.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qualcode.agreement import (
    AgreementInputError,
    AgreementResult,
    binary_agreement,
    binary_counts,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    jaccard_distance,
    krippendorff_alpha,
    masi_distance,
    percent_agreement,
    scott_pi,
    set_alpha,
)
from qualcode.agreement.stats import (
    REASON_CODE_UNUSED,
    REASON_NO_BOTH_RATED,
    REASON_NO_DISTANCE,
    REASON_NO_PAIRS,
    REASON_NO_UNITS,
    REASON_NO_VARIATION,
    REASON_ONE_CATEGORY,
)

nan = math.nan

# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", sec. E: 4 observers x 12 units
# (rows = units, columns = observers A-D), values 1-5, missing = nan.
KRIPPENDORFF_2011_E = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_four_observers(level, expected):
    result = krippendorff_alpha(KRIPPENDORFF_2011_E, level)
    assert round(result.value, 3) == expected
    # sec. E: 11 units with 2+ values (unit 12 has one), n = 40 pairable values
    assert (result.n_units, result.n_values, result.reason) == (11, 40, None)


def test_krippendorff_2011_ordinal_over_labels_uses_declared_order():
    # Same data as words; the rank metric needs the order, which only the declared categories give.
    words = ["very low", "low", "mid", "high", "very high"]
    labelled = [[None if v != v else words[int(v) - 1] for v in row] for row in KRIPPENDORFF_2011_E]
    assert round(krippendorff_alpha(labelled, "ordinal", categories=words).value, 3) == 0.815
    with pytest.raises(AgreementInputError, match="needs the categories declared in order"):
        krippendorff_alpha(labelled, "ordinal")


def test_krippendorff_2011_binary_two_observers():
    # Krippendorff (2011) sec. A: 2 observers, 10 units, binary; alpha = 0.095.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert round(krippendorff_alpha(np.c_[a, b]).value, 3) == 0.095
    counts = binary_counts(np.array(a, bool), np.array(b, bool))
    assert [int(x[0]) for x in counts] == [1, 1, 3, 5]
    assert round(float(binary_agreement(*counts)["krippendorff_alpha"][0]), 3) == 0.095


def test_krippendorff_2011_nominal_two_observers():
    # Krippendorff (2011) sec. C: 2 observers (Ben and Gerry in Gwet's book), 12 units; alpha = 0.692.
    ben = list("aabbdcccedda")
    gerry = list("babbbcccedd") + ["d"]
    assert round(krippendorff_alpha(list(zip(ben, gerry, strict=True))).value, 3) == 0.692


def test_krippendorff_three_coders_missing_wikipedia_example():
    # The 3-coder, 15-unit example of Wikipedia "Krippendorff's alpha" (also the `krippendorff`
    # package's docstring): nominal 0.691358, interval 0.810845.
    data = np.array(
        [
            [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
            [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
            [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
        ]
    ).T
    assert round(krippendorff_alpha(data).value, 6) == 0.691358
    assert round(krippendorff_alpha(data, "interval").value, 6) == 0.810845


# Fleiss (1971) Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses (1 depression,
# 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other); kappa = 0.430 (R irr kappam.fleiss:
# 0.4302445; statsmodels' test data).
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4],
        [2, 2, 2, 5, 5, 5],
        [2, 3, 3, 3, 3, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4],
        [1, 1, 3, 3, 3, 3],
        [3, 3, 3, 3, 5, 5],
        [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4],
        [5, 5, 5, 5, 5, 5],
        [1, 4, 4, 4, 4, 4],
        [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3],
        [1, 4, 4, 4, 4, 4],
        [2, 2, 4, 4, 4, 5],
        [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5],
        [1, 1, 1, 1, 1, 2],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5],
        [2, 4, 4, 4, 4, 4],
        [2, 2, 4, 5, 5, 5],
        [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5],
        [2, 2, 2, 2, 2, 4],
        [1, 1, 1, 1, 5, 5],
        [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3],
        [5, 5, 5, 5, 5, 5],
    ]
)


def test_fleiss_1971_diagnoses():
    result = fleiss_kappa(FLEISS_1971)
    assert round(result.value, 7) == 0.4302445
    assert (result.n_units, result.n_coders, result.n_values) == (30, 6, 180)


def test_fleiss_wikipedia_worked_example():
    # Wikipedia "Fleiss' kappa" worked example: 10 subjects x 14 raters x 5 categories, given as
    # counts per category; P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    ratings = [[k for k, count in enumerate(row, 1) for _ in range(count)] for row in table]
    result = fleiss_kappa(ratings)
    assert (round(result.observed, 3), round(result.expected, 3)) == (0.378, 0.213)
    assert round(result.value, 3) == 0.210


def test_gwet_book_four_raters():
    # Gwet (2014) 4 raters x 12 subjects, 5 categories, with missing ratings (irrCAC's bundled
    # raw_4raters; its documentation prints AC1 0.77544, p_a 0.81818, p_e 0.19032 and
    # Fleiss' kappa 0.76117, p_e 0.23872). Note: irrCAC's copy of unit 12 differs from
    # Krippendorff's (one rating either way), which changes nothing: the unit has 1 rating.
    ac1 = gwet_ac1(KRIPPENDORFF_2011_E)
    assert (round(ac1.value, 5), round(ac1.observed, 5), round(ac1.expected, 5)) == (
        0.77544,
        0.81818,
        0.19032,
    )
    fk = fleiss_kappa(KRIPPENDORFF_2011_E)
    assert (round(fk.value, 5), round(fk.expected, 5)) == (0.76117, 0.23872)
    # Brennan-Prediger by hand: p_a = 9/11 (as above), q = 5 so p_e = 1/5;
    # (9/11 - 1/5) / (4/5) = (34/55) * (5/4) = 17/22 = 0.772727...
    assert brennan_prediger(KRIPPENDORFF_2011_E).value == pytest.approx(17 / 22, abs=1e-12)
    assert percent_agreement(KRIPPENDORFF_2011_E).value == pytest.approx(9 / 11, abs=1e-12)


def test_nvivo_help_example():
    # NVivo help, "Run a coding comparison query": 1000 characters, 50 coded by both, 100 by A only,
    # 50 by B only, 800 by neither -> agreement 85%.
    # Kappa by hand: p_o = (50 + 800) / 1000 = 0.85; A codes 150/1000 = 0.15, B codes 100/1000 = 0.10;
    # p_e = 0.15 * 0.10 + 0.85 * 0.90 = 0.015 + 0.765 = 0.78;
    # kappa = (0.85 - 0.78) / (1 - 0.78) = 0.07 / 0.22 = 0.318181...
    # (= 2(ad - bc) / ((a+b)(b+d) + (a+c)(c+d)) = 2(40000 - 5000) / (150*900 + 100*850) = 7/22).
    out = binary_agreement([50], [100], [50], [800])
    assert out["n"].tolist() == [1000]
    assert out["percent_agreement"][0] == pytest.approx(0.85, abs=1e-12)
    assert out["cohen_kappa"][0] == pytest.approx(7 / 22, abs=1e-12)
    # positive agreement 2a / (2a + b + c) = 100 / 250; BP = 2 * 0.85 - 1
    assert out["positive_agreement"][0] == pytest.approx(0.4, abs=1e-12)
    assert out["brennan_prediger"][0] == pytest.approx(0.7, abs=1e-12)
    # Scott's pi: pooled presence pi_1 = 250/2000 = 0.125, p_e = 0.125^2 + 0.875^2 = 0.78125,
    # pi = (0.85 - 0.78125) / 0.21875 = 0.314285...; alpha = 1 - (1999/2000)(1 - pi) = 0.3146286;
    # AC1: p_e = 2 * 0.125 * 0.875 = 0.21875, AC1 = (0.85 - 0.21875) / 0.78125 = 0.808.
    assert out["scott_pi"][0] == pytest.approx(0.06875 / 0.21875, abs=1e-12)
    assert out["krippendorff_alpha"][0] == pytest.approx(1 - 1999 / 2000 * (0.15 / 0.21875))
    assert out["gwet_ac1"][0] == pytest.approx(0.808, abs=1e-12)
    # The general engine agrees on the expanded 1000 units.
    a = np.r_[np.ones(150), np.zeros(850)]
    b = np.r_[np.ones(50), np.zeros(100), np.ones(50), np.zeros(800)]
    ratings = np.c_[a, b]
    assert cohen_kappa(ratings).value == pytest.approx(7 / 22, abs=1e-12)
    assert krippendorff_alpha(ratings).value == pytest.approx(out["krippendorff_alpha"][0])


# SAS/STAT PROC FREQ agreement example (reproduced in statsmodels' tests): 2 raters x 3 categories;
# simple kappa 0.4842, weighted kappa (Cicchetti-Allison = linear) 0.4701.
SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]


def _expand(table):
    return [
        [i + 1, j + 1] for i, row in enumerate(table) for j, n in enumerate(row) for _ in range(n)
    ]


def test_cohen_kappa_sas_example():
    ratings = _expand(SAS_TABLE)
    assert round(cohen_kappa(ratings, categories=[1, 2, 3]).value, 4) == 0.4842
    assert round(cohen_kappa(ratings, categories=[1, 2, 3], weights="linear").value, 4) == 0.4701


# R irr `anxiety` data, raters 2 and 3 (Fleiss's-style example bundled with irr): kappa2() gives
# unweighted -0.006289308, "equal" (linear) 0.1459075, "squared" 0.2520325. irr uses the *observed*
# levels (1, 2, 3, 4, 6: level 5 is unused), which is our default when no categories are declared.
ANXIETY_2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
ANXIETY_3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]


def test_weighted_kappa_r_irr_anxiety():
    ratings = list(zip(ANXIETY_2, ANXIETY_3, strict=True))
    assert round(cohen_kappa(ratings).value, 9) == -0.006289308
    assert round(cohen_kappa(ratings, weights="linear").value, 7) == 0.1459075
    assert round(cohen_kappa(ratings, weights="quadratic").value, 7) == 0.2520325
    # Declaring the full 1-6 scale moves 6 one step further from 4: the weighted values change,
    # the unweighted one does not.
    declared = [1, 2, 3, 4, 5, 6]
    assert cohen_kappa(ratings, declared).value == cohen_kappa(ratings).value
    assert cohen_kappa(ratings, declared, "quadratic").value != pytest.approx(0.2520325, abs=1e-4)


# --- edge cases ---------------------------------------------------------------------------------

ALL_FUNCTIONS = [
    percent_agreement,
    cohen_kappa,
    scott_pi,
    fleiss_kappa,
    krippendorff_alpha,
    gwet_ac1,
    brennan_prediger,
]


def test_all_same_category_is_nan_with_reason():
    ratings = [["x", "x"], ["x", "x"], ["x", "x"]]
    assert percent_agreement(ratings).value == 1.0
    for f in (cohen_kappa, scott_pi, fleiss_kappa):
        r = f(ratings)
        assert math.isnan(r.value) and r.reason == REASON_ONE_CATEGORY
    r = krippendorff_alpha(ratings)
    assert math.isnan(r.value) and r.reason == REASON_NO_DISTANCE
    # With a second declared category, chance-corrected kappas are still undefined (p_e = 1) ...
    r = fleiss_kappa(ratings, categories=["x", "y"])
    assert math.isnan(r.value) and r.reason == REASON_NO_VARIATION
    r = cohen_kappa(ratings, categories=["x", "y"])
    assert math.isnan(r.value) and r.reason == REASON_NO_VARIATION
    # ... while AC1 and BP are defined and perfect (their p_e does not reach 1).
    assert gwet_ac1(ratings, categories=["x", "y"]).value == 1.0
    assert brennan_prediger(ratings, categories=["x", "y"]).value == 1.0


def test_one_unit():
    assert krippendorff_alpha([[1, 2]]).value == 0.0  # D_o = D_e = 1 with n = 2
    assert fleiss_kappa([[1, 2]]).value == -1.0  # p_a = 0, p_e = 1/2
    assert cohen_kappa([[1, 2]]).value == 0.0  # p_o = 0, p_e = 0 (marginals do not meet)
    r = krippendorff_alpha([[1, 1]])
    assert math.isnan(r.value) and r.reason == REASON_NO_DISTANCE


def test_all_missing():
    ratings = np.full((4, 3), nan)
    for f in (percent_agreement, fleiss_kappa, gwet_ac1, brennan_prediger):
        r = f(ratings)
        assert math.isnan(r.value) and r.reason == REASON_NO_UNITS and r.n_units == 0
    r = krippendorff_alpha(ratings)
    assert math.isnan(r.value) and r.reason == REASON_NO_PAIRS
    r = cohen_kappa([[None, 1], [2, None]])
    assert math.isnan(r.value) and r.reason == REASON_NO_BOTH_RATED
    r = scott_pi([[None, 1], [2, None]])
    assert math.isnan(r.value) and r.reason == REASON_NO_BOTH_RATED


def test_two_coders_always_disagree():
    ratings = [[1, 2], [2, 1], [1, 2], [2, 1]]
    assert percent_agreement(ratings).value == 0.0
    assert cohen_kappa(ratings).value == -1.0
    assert scott_pi(ratings).value == -1.0
    assert brennan_prediger(ratings).value == -1.0
    # alpha: n = 8, o_12 = o_21 = 4, D_o = 1, D_e = 2*4*4 / (8*7) = 4/7 -> 1 - 7/4 = -0.75
    assert krippendorff_alpha(ratings).value == pytest.approx(-0.75, abs=1e-12)


def test_declared_but_unused_categories_change_bp_and_ac1():
    ratings = [["a", "a"], ["a", "b"], ["b", "b"], ["a", "a"]]
    # Observed q = 2: BP = (0.75 - 1/2) / (1/2) = 0.5; declared q = 4: (0.75 - 1/4) / (3/4) = 2/3.
    assert brennan_prediger(ratings).value == pytest.approx(0.5)
    assert brennan_prediger(ratings, categories=["a", "b", "c", "d"]).value == pytest.approx(2 / 3)
    # AC1: pi = (5/8, 3/8); q = 2: p_e = 2 * 15/64 = 15/32; q = 4: p_e = (15/32) / 3 = 5/32.
    assert gwet_ac1(ratings).value == pytest.approx((0.75 - 15 / 32) / (17 / 32))
    four = gwet_ac1(ratings, categories=["a", "b", "c", "d"])
    assert four.value == pytest.approx((0.75 - 5 / 32) / (27 / 32))
    assert four.n_categories == 4
    # Kappa, pi and nominal alpha do not depend on unused categories.
    for f in (cohen_kappa, scott_pi, fleiss_kappa, krippendorff_alpha):
        assert f(ratings, categories=["a", "b", "c", "d"]).value == pytest.approx(f(ratings).value)


def test_result_is_a_float_and_frozen():
    r = fleiss_kappa(FLEISS_1971)
    assert isinstance(r, AgreementResult) and float(r) == r.value and r.defined
    with pytest.raises(AttributeError):
        r.value = 1.0  # type: ignore[misc]


def test_missing_values_in_object_arrays():
    ratings = [["a", None], ["b", "b"], [float("nan"), "a"], ["a", "a"]]
    assert cohen_kappa(ratings).n_units == 2
    assert krippendorff_alpha(ratings).n_values == 4


def test_set_distances():
    assert masi_distance(frozenset(), frozenset()) == 0.0
    assert jaccard_distance(frozenset(), frozenset()) == 0.0
    assert masi_distance({1}, set()) == 1.0
    assert masi_distance({1, 2}, {1, 2}) == 0.0
    assert masi_distance({1, 2}, {1, 2, 3, 4}) == pytest.approx(1 - 0.5 * 2 / 3)  # nltk's doctest
    assert masi_distance({1, 2}, {2, 3}) == pytest.approx(1 - (1 / 3) * (1 / 3))
    assert masi_distance({1}, {2}) == 1.0
    assert jaccard_distance({1, 2}, {2, 3}) == pytest.approx(2 / 3)


def test_set_alpha_two_coders_and_table():
    a = [{"c1"}, {"c1", "c2"}, set(), {"c3"}, {"c2"}]
    b = [{"c1"}, {"c2"}, set(), {"c3", "c4"}, {"c2"}]
    two = set_alpha(a, b)
    table = set_alpha([[x, y] for x, y in zip(a, b, strict=True)])
    assert two.value == table.value and two.statistic == "set_alpha_masi"
    assert set_alpha(a, b, distance=masi_distance).value == pytest.approx(two.value, abs=1e-12)
    assert set_alpha(a, b, distance="jaccard").value == pytest.approx(
        set_alpha(a, b, distance=jaccard_distance).value, abs=1e-12
    )
    # identical sets on every unit with variation between units: perfect
    assert set_alpha(a, a).value == 1.0
    # None = a unit a coder did not review; units with < 2 sets drop out
    third = set_alpha([[x, y, None] for x, y in zip(a, b, strict=True)])
    assert third.value == pytest.approx(two.value)
    r = set_alpha([set(), set()], [set(), set()])
    assert math.isnan(r.value) and r.reason == REASON_NO_DISTANCE


def test_binary_counts_and_vectorised_stats_match_general_engine():
    rng = np.random.default_rng(7)
    a = rng.random((300, 6)) < [0.02, 0.1, 0.3, 0.5, 0.0, 1.0]
    b = a ^ (rng.random((300, 6)) < 0.1)
    b[:, 4] = False
    counts = binary_counts(a, b)
    for code in range(6):
        both = int((a[:, code] & b[:, code]).sum())
        assert counts[0][code] == both
        assert sum(int(c[code]) for c in counts) == 300
    out = binary_agreement(*counts)
    general = {
        "percent_agreement": percent_agreement,
        "cohen_kappa": cohen_kappa,
        "scott_pi": scott_pi,
        "krippendorff_alpha": krippendorff_alpha,
    }
    for code in range(6):
        ratings = np.c_[a[:, code], b[:, code]].astype(int)
        for key, f in general.items():
            r = f(ratings, categories=[0, 1])
            got = out[key][code]
            assert (math.isnan(got) and math.isnan(r.value)) or got == pytest.approx(r.value)
        for key, f in (("gwet_ac1", gwet_ac1), ("brennan_prediger", brennan_prediger)):
            assert out[key][code] == pytest.approx(f(ratings, categories=[0, 1]).value)
    # code 4 is never applied: kappa/pi/alpha undefined, AC1 and BP perfect, PA undefined
    assert out["reasons"]["positive_agreement"][4] == REASON_CODE_UNUSED
    assert out["reasons"]["cohen_kappa"][4] == REASON_NO_VARIATION
    assert out["reasons"]["krippendorff_alpha"][4] == REASON_NO_DISTANCE
    assert math.isnan(out["cohen_kappa"][4]) and out["gwet_ac1"][4] == 1.0


def test_binary_agreement_no_units_and_keys():
    out = binary_agreement(np.zeros(2, int), np.zeros(2, int), np.zeros(2, int), [0, 3])
    assert set(out) == {
        "n",
        "percent_agreement",
        "cohen_kappa",
        "scott_pi",
        "krippendorff_alpha",
        "gwet_ac1",
        "brennan_prediger",
        "positive_agreement",
        "reasons",
    }
    for key, reasons in out["reasons"].items():
        assert reasons[0] == REASON_NO_BOTH_RATED and math.isnan(out[key][0])
    assert out["percent_agreement"][1] == 1.0


# --- error messages -------------------------------------------------------------------------------


def test_error_unknown_category():
    with pytest.raises(
        AgreementInputError, match=r"1 value\(s\) not among the declared categories: 'c'"
    ) as e:
        fleiss_kappa([["a", "c"], ["a", "b"]], categories=["a", "b"])
    assert isinstance(e.value, ValueError) and e.value.hint
    with pytest.raises(AgreementInputError, match="not among the declared categories: 7"):
        krippendorff_alpha(np.array([[1.0, 7.0]]), categories=[1, 2])


def test_error_category_declared_twice_or_missing():
    with pytest.raises(AgreementInputError, match="category 'a' is declared twice"):
        gwet_ac1([["a", "a"]], categories=["a", "a"])
    with pytest.raises(AgreementInputError, match="must not contain None or NaN"):
        gwet_ac1([["a", "a"]], categories=["a", None])


def test_error_shapes():
    with pytest.raises(AgreementInputError, match="same number of coders on every row"):
        fleiss_kappa([[1, 2], [1]])
    with pytest.raises(AgreementInputError, match="2-dimensional units x coders table, got 3"):
        fleiss_kappa(np.zeros((2, 2, 2)))
    with pytest.raises(AgreementInputError, match="at least 2 coders"):
        krippendorff_alpha([[1], [2]])
    with pytest.raises(AgreementInputError, match="exactly 2 coders, got 3"):
        cohen_kappa([[1, 2, 3]])
    with pytest.raises(AgreementInputError, match="Scott's pi is defined for exactly 2 coders"):
        scott_pi([[1, 2, 3]])


def test_error_set_rating_in_general_engine():
    with pytest.raises(
        AgreementInputError, match=r"unit 2, coder 2: rating \{'b'\} is not a single"
    ):
        krippendorff_alpha([["a", "a"], ["b", {"b"}]])


def test_error_unknown_options():
    with pytest.raises(AgreementInputError, match="unknown kappa weights 'cubic'"):
        cohen_kappa([[1, 2]], weights="cubic")  # type: ignore[arg-type]
    with pytest.raises(AgreementInputError, match="unknown level of measurement 'nominl'"):
        krippendorff_alpha([[1, 2]], "nominl")  # type: ignore[arg-type]
    with pytest.raises(AgreementInputError, match="interval alpha needs numeric values"):
        krippendorff_alpha([["a", "b"]], "interval")
    with pytest.raises(AgreementInputError, match="unknown set distance 'cosine'"):
        set_alpha([{1}], [{2}], distance="cosine")  # type: ignore[arg-type]


def test_error_set_inputs():
    with pytest.raises(AgreementInputError, match="differ in length: 2 and 1 units"):
        set_alpha([{1}, {2}], [{1}])
    with pytest.raises(AgreementInputError, match="got the string 'c1'"):
        set_alpha(["c1"], [{"c1"}])
    with pytest.raises(AgreementInputError, match="unit 2 has 1 coders' sets, expected 2"):
        set_alpha([[{1}, {1}], [{1}]])
    with pytest.raises(AgreementInputError, match="at least 2 coders"):
        set_alpha([[{1}], [{2}]])


def test_error_binary_inputs():
    with pytest.raises(AgreementInputError, match="presence matrices differ in shape"):
        binary_counts(np.zeros((3, 2), bool), np.zeros((3, 3), bool))
    with pytest.raises(AgreementInputError, match="four count arrays differ in shape"):
        binary_agreement([1, 2], [1], [1], [1])
    with pytest.raises(AgreementInputError, match="must not be negative"):
        binary_agreement([-1], [1], [1], [1])


def test_package_import_is_lazy():
    # `import qualcode.agreement` must not pull numpy in (CLI start-up); first use of a statistic does.
    import subprocess
    import sys

    code = (
        "import sys, qualcode.agreement as ag\n"
        "assert 'numpy' not in sys.modules, 'numpy imported eagerly'\n"
        "assert ag.fleiss_kappa([[1, 1], [1, 2]]).n_units == 2\n"
        "assert 'numpy' in sys.modules\n"
    )
    from pathlib import Path

    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1]
    )
