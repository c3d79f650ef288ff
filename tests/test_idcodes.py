"""qualcode.idcodes against pandas: the same codes, uniques and uniqueness, on every path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualcode import idcodes


def _ids(rng: np.random.Generator, n: int, distinct: int) -> np.ndarray:
    pool = np.array([f"G{i // 40}:{i % 40 + 1}" for i in range(distinct)], dtype=object)
    return pool[rng.integers(0, distinct, n)]


@pytest.mark.parametrize("n,distinct", [(1, 1), (2, 1), (2, 2), (7, 3), (1000, 1000), (5000, 300)])
@pytest.mark.parametrize("min_size", [0, idcodes.MIN_SIZE])
def test_factorize_matches_pandas(n: int, distinct: int, min_size: int) -> None:
    values = _ids(np.random.default_rng(n * 7 + distinct), n, distinct)
    codes, uniques = idcodes.factorize(values, min_size=min_size)
    want_codes, want_uniques = pd.factorize(values)
    assert codes.dtype == np.int64 and uniques.dtype == object
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(uniques, want_uniques)


def test_factorize_file_order_with_repeats_far_apart() -> None:
    # Two coders' files one after the other: each id first seen in A, seen again in B.
    a = np.array([f"T{i}:{j}" for i in range(50) for j in range(1, 30)], dtype=object)
    values = np.concatenate([a, a[::-1], a[::3]])
    codes, uniques = idcodes.factorize(pd.Series(values), min_size=0)
    want_codes, want_uniques = pd.factorize(values)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(uniques, want_uniques)


def test_empty_strings_and_unicode_are_values() -> None:
    values = np.array(["", "é:1", "", "e:1", "é:1", "日本:2"], dtype=object)
    codes, uniques = idcodes.factorize(values, min_size=0)
    assert codes.tolist() == [0, 1, 0, 2, 1, 3]
    assert uniques.tolist() == ["", "é:1", "e:1", "日本:2"]


@pytest.mark.parametrize("sentinel", [True, False])
def test_missing_values_are_left_to_pandas(sentinel: bool) -> None:
    values = np.array(["a", None, "b", np.nan, "a"], dtype=object)
    codes, uniques = idcodes.factorize(values, use_na_sentinel=sentinel, min_size=0)
    want_codes, want_uniques = pd.factorize(values, use_na_sentinel=sentinel)
    np.testing.assert_array_equal(codes, want_codes)
    assert [u if isinstance(u, str) else None for u in uniques] == [
        u if isinstance(u, str) else None for u in want_uniques
    ]


def test_non_string_values_are_left_to_pandas() -> None:
    values = np.array([1, "1", 2, 1], dtype=object)
    codes, _ = idcodes.factorize(values, min_size=0)
    np.testing.assert_array_equal(codes, pd.factorize(values)[0])


def _first_seen_positions(values: list[str]) -> list[int]:
    first: dict[str, int] = {}
    return [first.setdefault(v, i) for i, v in enumerate(values)]


def test_hashes_that_agree_above_the_position_bits_still_split_by_value() -> None:
    # Small hashes share all their high bits, so every value falls in one run of the sort: the
    # run must be split by full hash, in position order.
    values = ["b", "a", "c", "a", "b", "d", "c", "a"]
    hashes = np.array([2, 1, 3, 1, 2, 4, 3, 1], dtype=np.uint64)
    first = idcodes._first_positions(np.array(values, dtype=object), hashes)
    assert first.tolist() == _first_seen_positions(values)


def test_different_strings_with_one_hash_are_never_given_one_code() -> None:
    values = ["a", "b", "a", "c", "b", "a"]
    same = np.full(len(values), 2**63 + 7, dtype=np.uint64)
    first = idcodes._first_positions(np.array(values, dtype=object), same)
    assert first.tolist() == _first_seen_positions(values)


@pytest.mark.parametrize(
    "values",
    [[], ["a"], ["a", "b"], ["a", "a"], ["a", "b", "c", "b"], ["x", None], [None, None], ["", ""]],
)
@pytest.mark.parametrize("min_size", [0, idcodes.MIN_SIZE])
def test_is_unique_matches_pandas(values: list, min_size: int) -> None:
    array = np.array(values, dtype=object)
    assert idcodes.is_unique(array, min_size=min_size) == pd.Index(array).is_unique


def test_is_unique_on_a_large_column() -> None:
    values = np.array([f"G{i}" for i in range(20000)], dtype=object)
    assert idcodes.is_unique(values, min_size=0)
    values[12345] = "G17"
    assert not idcodes.is_unique(values, min_size=0)


def test_a_large_segments_table_with_one_repeated_id_is_refused_at_its_row(cli, tmp_path) -> None:
    # Past UNIQUE_MIN_SIZE the segments check asks idcodes first, then pandas for the row.
    n = idcodes.UNIQUE_MIN_SIZE + 5000
    rows = ["segment_id,transcript_id,turn,speaker,participant_id,role,text"]
    rows += [
        f"G{i // 100}:{i % 100 + 1},G{i // 100},{i % 100 + 1},P1,P1,participant,t" for i in range(n)
    ]
    rows[n - 10] = rows[3].replace(",t", ",again")  # data row n-10 repeats data row 3's id
    table = tmp_path / "segments_in.csv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = cli("ingest", table, "-o", tmp_path / "segments.csv")
    assert result.exit_code == 1
    assert f"segments_in.csv:{n - 10 + 1}" in result.output
    assert "duplicate segment_id 'G0:3'" in result.output
    assert not (tmp_path / "segments.csv").exists()
    # The whole-file read (report, compare --segments, export) checks the table in one piece.
    from qualcode.errors import QualcodeError
    from qualcode.io import read_segments

    with pytest.raises(QualcodeError) as refused:
        read_segments(table)
    assert f"segments_in.csv:{n - 10 + 1}" in str(refused.value)
    assert "duplicate segment_id 'G0:3'" in str(refused.value)
