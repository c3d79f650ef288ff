"""The exact fast set alpha (MASI / Jaccard) against the general engine it replaced.

The general engine (`set_alpha` with a callable distance) builds the dense units x distinct-sets and
distinct-sets x distinct-sets matrices: slow, but the plain definition (Krippendorff 2011, sec. E).
The fast path counts shared code subsets for the expected disagreement and, for sets with many
codes, compares them pairwise; `subset_rows` moves sets between the two, so every split is checked.
nltk remains the outside oracle in test_agreement_properties.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.agreement import stats
from qualcode.agreement.stats import (
    REASON_NO_DISTANCE,
    REASON_NO_PAIRS,
    AgreementInputError,
    jaccard_distance,
    masi_distance,
    set_alpha,
    set_alpha_matrix,
)

TOL = 1e-12
PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFERENCE = {"masi": masi_distance, "jaccard": jaccard_distance}


def _fast(table, distance, subset_rows):
    """`_set_alpha_exact` on a units x coders table of sets (None = not rated)."""
    index: dict[frozenset, int] = {}
    codes = np.array(
        [
            [-1 if v is None else index.setdefault(frozenset(v), len(index)) for v in row]
            for row in table
        ],
        dtype=np.int64,
    ).reshape(len(table), len(table[0]) if table else 2)
    members = stats._set_members(list(index))
    return stats._set_alpha_exact(codes, members, distance, f"set_alpha_{distance}", subset_rows)


def _same(ours, reference):
    assert ours.reason == reference.reason
    assert (ours.n_units, ours.n_coders, ours.n_values, ours.n_categories) == (
        reference.n_units,
        reference.n_coders,
        reference.n_values,
        reference.n_categories,
    )
    for x, y in ((ours.value, reference.value), (ours.observed, reference.observed)):
        assert (math.isnan(x) and math.isnan(y)) or abs(x - y) <= TOL
    if reference.reason != REASON_NO_PAIRS:
        assert abs(ours.expected - reference.expected) <= TOL


set_values = st.one_of(
    st.none(), st.frozensets(st.sampled_from([f"c{i}" for i in range(7)]), max_size=6)
)


@PROPERTY
@given(
    st.integers(2, 4).flatmap(
        lambda coders: st.lists(
            st.lists(set_values, min_size=coders, max_size=coders), min_size=1, max_size=30
        )
    ),
    st.sampled_from(["masi", "jaccard"]),
    st.sampled_from([0, 1, 8, 60, 10**6]),
)
def test_fast_path_equals_general_engine(table, distance, subset_rows):
    # missing values, 2-4 coders, empty sets, sets only in unpaired units; every small/large split
    reference = set_alpha(table, distance=REFERENCE[distance])
    _same(_fast(table, distance, subset_rows), reference)


@pytest.mark.parametrize("distance", ["masi", "jaccard"])
@pytest.mark.parametrize("subset_rows", [0, 200, 10**6])
def test_larger_random_table_and_small_blocks(distance, subset_rows, monkeypatch):
    rng = np.random.default_rng(11)
    labels = [f"RI{i}" for i in range(14)]
    table = []
    for _ in range(250):
        row = []
        for _ in range(3):
            if rng.random() < 0.2:
                row.append(None)
            else:
                size = min(int(rng.poisson(2.0)), 9)
                row.append(frozenset(rng.choice(labels, size=size, replace=False).tolist()))
        table.append(row)
    reference = set_alpha(table, distance=REFERENCE[distance])
    assert reference.defined
    _same(_fast(table, distance, subset_rows), reference)
    # blocks of a few cells: the pairwise path and the pair lookups run in many chunks
    monkeypatch.setattr(stats, "_BLOCK_CELLS", 37)
    _same(_fast(table, distance, subset_rows), reference)


def test_public_set_alpha_uses_the_fast_path_with_the_same_value():
    a = [{"c1"}, {"c1", "c2"}, set(), {"c3"}, {"c2"}, {"c1", "c2", "c3"}]
    b = [{"c1"}, {"c2"}, set(), {"c3", "c4"}, {"c2"}, {"c1", "c3"}]
    for name, fn in REFERENCE.items():
        fast = set_alpha(a, b, distance=name)
        assert fast.statistic == f"set_alpha_{name}"
        assert fast.value == pytest.approx(set_alpha(a, b, distance=fn).value, abs=TOL)


def test_edge_cases():
    assert set_alpha([], []).reason == REASON_NO_PAIRS
    assert set_alpha([{1}], [None]).reason == REASON_NO_PAIRS
    assert set_alpha([set(), set()], [set(), set()]).reason == REASON_NO_DISTANCE
    assert set_alpha([{1, 2}, {1, 2}], [{1, 2}, {1, 2}]).reason == REASON_NO_DISTANCE
    # one empty and one non-empty set: distance 1 for both distances, so alpha = 1 - 1 / D_e
    r = set_alpha([set(), {1}], [{1}, set()], distance="masi")
    assert r.observed == pytest.approx(1.0) and r.value < 0


def _rows_as_sets(matrix):
    return [frozenset(np.flatnonzero(row).tolist()) for row in matrix]


@pytest.mark.parametrize("distance", ["masi", "jaccard"])
@pytest.mark.parametrize(("n_units", "n_codes"), [(300, 12), (40, 70), (5, 0), (0, 4)])
def test_matrix_entry_point_equals_set_alpha(distance, n_units, n_codes):
    rng = np.random.default_rng(n_units + n_codes)
    a = rng.random((n_units, n_codes)) < 0.15
    b = a ^ (rng.random((n_units, n_codes)) < 0.05)
    ours = set_alpha_matrix(a, b, distance)
    reference = set_alpha(_rows_as_sets(a), _rows_as_sets(b), distance=distance)
    assert ours.reason == reference.reason
    assert ours.n_categories == reference.n_categories
    assert ours.n_values == reference.n_values
    if reference.defined:
        assert ours.value == pytest.approx(reference.value, abs=TOL)


def test_matrix_entry_point_bounds_the_pairwise_work():
    rng = np.random.default_rng(3)
    a = rng.random((60, 40)) < 0.5  # ~20 codes per set: too many to enumerate their subsets
    b = a ^ (rng.random((60, 40)) < 0.1)
    full = set_alpha_matrix(a, b, "jaccard")
    assert full.defined
    assert full.value == pytest.approx(
        set_alpha(_rows_as_sets(a), _rows_as_sets(b), distance=jaccard_distance).value, abs=TOL
    )
    skipped = set_alpha_matrix(a, b, "jaccard", max_pairs=100)
    assert math.isnan(skipped.value)
    assert (
        skipped.reason.startswith("not computed: ") and "beyond the 100 allowed" in skipped.reason
    )


def test_matrix_entry_point_errors():
    with pytest.raises(AgreementInputError, match="same shape"):
        set_alpha_matrix(np.zeros((3, 2), bool), np.zeros((3, 3), bool))
    with pytest.raises(AgreementInputError, match="same shape"):
        set_alpha_matrix(np.zeros(3, bool), np.zeros(3, bool))
    with pytest.raises(AgreementInputError, match="unknown set distance 'cosine'"):
        set_alpha_matrix(np.zeros((3, 2), bool), np.zeros((3, 2), bool), "cosine")  # type: ignore[arg-type]


def test_many_distinct_sets_are_fast_enough_to_run():
    # 20,000 units with thousands of distinct sets: the old engine needed minutes and gigabytes
    rng = np.random.default_rng(5)
    weights = 1.0 / np.arange(1, 201) ** 0.8
    a = rng.random((20_000, 200)) < 0.8 * weights / weights.sum() * 3
    b = a ^ (rng.random(a.shape) < 0.002)
    result = set_alpha_matrix(a, b, "masi")
    assert result.defined and result.n_categories > 2_000
    assert 0.0 < result.value < 1.0
