"""Agreement statistics against independent implementations on random data (hypothesis), to 1e-9.

Oracles (test-only dependencies): `krippendorff` (alpha, all levels, missing values), `irrCAC`
(Fleiss' kappa, AC1, Brennan-Prediger and alpha with missing ratings and declared categories;
its values are frozen in tests/data/oracles, see below),
`statsmodels` (Fleiss' kappa, Cohen's kappa incl. weights), `scikit-learn` (Cohen's kappa with linear
and quadratic weights) and `nltk` (MASI and Jaccard set alpha).

Conventions where an oracle differs from ours (documented, not bent):
* undefined values: we return NaN with a reason; `krippendorff` raises or returns nan, `irrCAC`
  divides by zero or substitutes p_e = 1 - 1e-15, nltk's alpha returns 1 when one label value occurs.
  Those cases are checked for our reason, then skipped for the oracle.
* irrCAC's pi_k is Gwet's mean of per-unit shares, not the pooled share of all ratings: with
  missing ratings the two differ (e.g. 0.75649 against 0.76275 on a 5-unit example), so this
  comparison pins the convention of method.md.
* irrCAC rounds to `digits` (5 by default): we ask for 15 digits. It drops all-missing units before
  computing pi_k, which is Gwet's "units with at least 1 rating", our convention too.
* statsmodels' `fleiss_kappa` takes a complete subjects x categories count table (no missing
  ratings), so it is compared on complete data; `cohens_kappa` takes weights over category positions
  np.arange(q), like scikit-learn's `labels` order and our declared order.
* nltk's `masi_distance` and `jaccard_distance` divide by zero on two empty sets; method.md defines
  that distance as 0, so the oracle task gets nltk's function wrapped with that one case.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import jaccard_distance as nltk_jaccard
from nltk.metrics.distance import masi_distance as nltk_masi
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from qualcode.agreement import (
    binary_agreement,
    binary_counts,
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    masi_distance,
    percent_agreement,
    scott_pi,
    set_alpha,
)

TOL = 1e-9
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def ratings_tables(draw, min_coders=2, max_coders=5, missing=True, min_units=2, max_units=25):
    """(units x coders float array with NaN = missing, declared categories 0..q-1)."""
    n_units = draw(st.integers(min_units, max_units))
    n_coders = draw(st.integers(min_coders, max_coders))
    q = draw(st.integers(2, 5))
    low = -1 if missing else 0
    cells = draw(
        st.lists(st.integers(low, q - 1), min_size=n_units * n_coders, max_size=n_units * n_coders)
    )
    arr = np.array(cells, dtype=np.float64).reshape(n_units, n_coders)
    arr[arr < 0] = np.nan
    extra = draw(st.integers(0, 2))  # declared categories nobody used
    return arr, list(range(q + extra))


def close(ours: float, theirs: float) -> bool:
    return abs(ours - float(theirs)) <= TOL


# --- krippendorff ---------------------------------------------------------------------------------


@PROPERTY
@given(ratings_tables(), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_matches_krippendorff_package(table, level):
    ratings, _ = table
    ours = krippendorff_alpha(ratings, level)
    if not ours.defined:
        assert math.isnan(ours.value) and ours.reason
        return
    theirs = krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level)
    assert close(ours.value, theirs)


@PROPERTY
@given(ratings_tables())
def test_alpha_declared_domain_matches_krippendorff_package(table):
    # Unused declared values change nothing for the nominal and the rank-based ordinal metric.
    ratings, cats = table
    for level in ("nominal", "ordinal"):
        ours = krippendorff_alpha(ratings, level, categories=cats)
        if ours.defined:
            theirs = krippendorff.alpha(
                reliability_data=ratings.T, value_domain=cats, level_of_measurement=level
            )
            assert close(ours.value, theirs)
            assert close(ours.value, krippendorff_alpha(ratings, level).value)


# --- irrCAC (frozen) -------------------------------------------------------------------------------
# irrCAC pins pandas<3 and an old scipy, so it is not installed with the tests: its values on 160 seeded
# tables are frozen in tests/data/oracles/irrcac_reference.json by tests/oracles/make_irrcac_reference.py
# (run on demand in a venv of its own; the file records the irrCAC, pandas and numpy versions used).

IRRCAC_REFERENCE = Path(__file__).parent / "data" / "oracles" / "irrcac_reference.json"


def _irrcac_cases() -> list[dict]:
    return json.loads(IRRCAC_REFERENCE.read_text(encoding="utf-8"))["cases"]


def test_irrcac_reference_is_what_the_generator_wrote():
    payload = json.loads(IRRCAC_REFERENCE.read_text(encoding="utf-8"))
    assert payload["generator"] == "tests/oracles/make_irrcac_reference.py"
    assert len(payload["cases"]) == 160
    # Tables with missing ratings and with declared-but-unused categories are both represented.
    assert any(None in row for case in payload["cases"] for row in case["ratings"])
    assert any(
        max(v for row in case["ratings"] for v in row if v is not None) < max(case["categories"])
        for case in payload["cases"]
    )


@pytest.mark.parametrize("index", range(160))
def test_fleiss_ac1_bp_alpha_match_frozen_irrcac(index):
    case = _irrcac_cases()[index]
    ratings = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in case["ratings"]], dtype=float
    )
    cats = case["categories"]
    theirs = case["irrcac"]
    for ours_f, method in ((fleiss_kappa, "fleiss"), (gwet_ac1, "gwet"), (brennan_prediger, "bp")):
        ours = ours_f(ratings, categories=cats)
        if not ours.defined:  # p_e = 1 (one category used): irrCAC divides by zero
            assert ours.reason
            continue
        assert close(ours.value, theirs[method]), method
    alpha = krippendorff_alpha(ratings, categories=cats)
    if alpha.defined and alpha.n_units >= 2 and theirs["krippendorff"] is not None:
        assert close(alpha.value, theirs["krippendorff"])


# --- statsmodels ----------------------------------------------------------------------------------


@PROPERTY
@given(ratings_tables(missing=False))
def test_fleiss_matches_statsmodels_on_complete_data(table):
    ratings, cats = table
    ours = fleiss_kappa(ratings, categories=cats)
    counts, _ = aggregate_raters(ratings.astype(int), n_cat=len(cats))
    if not ours.defined:
        assert ours.reason
        return
    assert close(ours.value, sm_fleiss_kappa(counts, method="fleiss"))
    if ratings.shape[1] == 2:  # Scott's pi is Fleiss' kappa for 2 coders
        assert close(scott_pi(ratings, categories=cats).value, ours.value)


def _complete_pairs(ratings: np.ndarray) -> np.ndarray:
    pairs = ratings[:, :2]
    return pairs[~np.isnan(pairs).any(axis=1)].astype(int)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # statsmodels' z-test on degenerate tables
@PROPERTY
@given(ratings_tables(max_coders=2), st.sampled_from([None, "linear", "quadratic"]))
def test_cohen_kappa_matches_statsmodels_and_sklearn(table, weights):
    ratings, cats = table
    ours = cohen_kappa(ratings, categories=cats, weights=weights)
    pairs = _complete_pairs(ratings)
    if not ours.defined:
        assert ours.reason
        return
    q = len(cats)
    contingency = np.zeros((q, q))
    np.add.at(contingency, (pairs[:, 0], pairs[:, 1]), 1)
    sm = cohens_kappa(contingency, wt=weights, weights=None if weights is None else np.arange(q))
    assert close(ours.value, sm.kappa)
    sk = cohen_kappa_score(pairs[:, 0], pairs[:, 1], labels=cats, weights=weights)
    assert close(ours.value, sk)


# --- the vectorised binary path -------------------------------------------------------------------


@PROPERTY
@given(
    st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.lists(st.booleans(), min_size=n, max_size=n),
            st.lists(st.booleans(), min_size=n, max_size=n),
        )
    )
)
def test_binary_path_matches_oracles_on_expanded_data(pair):
    a, b = (np.array(x, dtype=bool) for x in pair)
    out = binary_agreement(*binary_counts(a, b))
    ratings = np.c_[a, b].astype(float)
    alpha = out["krippendorff_alpha"][0]
    if math.isnan(alpha):
        assert out["reasons"]["krippendorff_alpha"][0]
        assert not krippendorff_alpha(ratings).defined
    else:
        assert close(alpha, krippendorff.alpha(ratings.T, level_of_measurement="nominal"))
        assert close(out["scott_pi"][0], scott_pi(ratings).value)
    kappa = out["cohen_kappa"][0]
    if not math.isnan(kappa):
        assert close(kappa, cohen_kappa_score(a, b, labels=[False, True]))
    assert close(out["percent_agreement"][0], percent_agreement(ratings).value)
    assert close(out["gwet_ac1"][0], gwet_ac1(ratings, categories=[0, 1]).value)
    assert close(out["brennan_prediger"][0], brennan_prediger(ratings, categories=[0, 1]).value)


# --- nltk: set-valued alpha ------------------------------------------------------------------------


def _with_empty(distance):
    def wrapped(x, y):
        return 0.0 if not x and not y else distance(x, y)

    return wrapped


sets_of_codes = st.frozensets(st.sampled_from(["c1", "c2", "c3", "c4"]), max_size=3)


@PROPERTY
@given(
    st.integers(2, 15).flatmap(
        lambda n: st.lists(
            st.lists(st.one_of(st.none(), sets_of_codes), min_size=3, max_size=3),
            min_size=n,
            max_size=n,
        )
    ),
    st.sampled_from(["masi", "jaccard"]),
)
def test_set_alpha_matches_nltk(table, distance):
    ours = set_alpha(table, distance=distance)
    triples = [
        (coder, unit, value)
        for unit, row in enumerate(table)
        for coder, value in enumerate(row)
        if value is not None
    ]
    pairable = {v for row in table if sum(v is not None for v in row) >= 2 for v in row} - {None}
    if not ours.defined or len(pairable) < 2:
        # nltk returns 1 when a single label value occurs; ours says why it is undefined
        assert ours.reason or len(pairable) >= 2 or ours.value == 1.0
        return
    oracle = _with_empty(nltk_masi if distance == "masi" else nltk_jaccard)
    theirs = AnnotationTask(data=triples, distance=oracle).alpha()
    assert close(ours.value, theirs)


@PROPERTY
@given(sets_of_codes, sets_of_codes)
def test_masi_matches_nltk(x, y):
    if x or y:
        assert close(masi_distance(x, y), nltk_masi(set(x), set(y)))
    else:
        assert masi_distance(x, y) == 0.0


@pytest.mark.parametrize(("n_segments", "n_codes"), [(500, 1), (500, 40), (20_000, 3)])
def test_binary_counts_equal_per_code_loop(n_segments, n_codes):
    # 20,000 rows span several of binary_counts' row blocks
    rng = np.random.default_rng(n_codes)
    a = rng.random((n_segments, n_codes)) < 0.2
    b = rng.random((n_segments, n_codes)) < 0.3
    both, only_a, only_b, neither = binary_counts(a, b)
    for k in range(n_codes):
        assert (both[k], only_a[k], only_b[k], neither[k]) == (
            np.sum(a[:, k] & b[:, k]),
            np.sum(a[:, k] & ~b[:, k]),
            np.sum(~a[:, k] & b[:, k]),
            np.sum(~a[:, k] & ~b[:, k]),
        )
