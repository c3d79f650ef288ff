"""The pair of codings: two coders' codings checked against each other, with segment and code
orders fixed, and the cells where they differ."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError
from qualcode.model import CODING_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from qualcode.model import Codebook


def _natural_key(text: str) -> list[object]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def _first_seen(*columns: Iterable[str]) -> list[str]:
    # dict.fromkeys over plain lists (C loops; iterating a pandas string column goes through
    # __getitem__ per value); update keeps each value where it was first seen.
    seen: dict[str, None] = {}
    for column in columns:
        seen.update(dict.fromkeys(column.tolist() if hasattr(column, "tolist") else column))
    seen.pop("", None)
    return list(seen)


def _cells(df: pd.DataFrame) -> pd.DataFrame:
    """The (segment_id, code_id) cells a coder applied (empty-code rows and repeats removed)."""
    return df.loc[df["code_id"] != "", ["segment_id", "code_id"]].drop_duplicates(ignore_index=True)


def _coder_name(df: pd.DataFrame, fallback: str) -> str:
    names = [n for n in df["coder"].unique() if n]
    return names[0] if names else fallback


@dataclass
class PairKeys:
    """A pair's rows as integers: each (segment, code) cell is one int64 key, `segment rank *
    width + code rank + 1` (code "" is 0), so sorting keys orders cells as every output is ordered
    (segment order, then code order). Each id column is hashed once, here; the rest of reconcile
    works on these keys with numpy (string hash tables that outgrow the CPU caches and sorts of
    strings made it grow faster than its input)."""

    width: int
    segments: np.ndarray  # object: the segment id of each segment rank ("" where unused)
    codes: np.ndarray  # object: the code id of each code rank + 1 (codes[0] = "")
    a: np.ndarray  # int64 cell key of each row of A
    b: np.ndarray
    reviewed_a: np.ndarray  # bool per segment rank: A reviewed it
    reviewed_b: np.ndarray
    ordered: int = 0  # ranks 0 .. ordered - 1 are the segment order's (the rest: ids it lacks)
    _index: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def both(self) -> np.ndarray:
        return self.reviewed_a & self.reviewed_b

    def segment_of(self, keys: np.ndarray) -> np.ndarray:
        return self.segments[keys // self.width]

    def code_of(self, keys: np.ndarray) -> np.ndarray:
        return self.codes[keys % self.width]

    def segment_ranks(self, segment_ids: pd.Series) -> np.ndarray:
        """The rank of each segment id; -1 for an id without one.

        By the ids' str hashes, sorted once (a pandas Index of millions of ids is a hash table
        that outgrows the CPU caches, and checks itself unique first): a binary search on ints,
        then the id found is compared with the one asked for, so a hash collision costs time,
        never a wrong rank."""
        import numpy as np

        if self._index is None:  # ranks no segment holds (a repeated id in segments.csv) hold ""
            used = (self.segments != "").nonzero()[0]
            hashes = np.fromiter(map(hash, self.segments[used]), dtype=np.int64, count=len(used))
            order = np.argsort(hashes, kind="stable")
            self._index = (hashes[order], used[order])
        hashes, ranks = self._index
        ids = np.asarray(segment_ids, dtype=object)
        if not len(ids) or not len(hashes):
            return np.full(len(ids), -1, dtype="int64")
        wanted = np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))
        at = np.searchsorted(hashes, wanted).clip(max=len(hashes) - 1)
        same_hash = hashes[at] == wanted
        out = np.where(same_hash, ranks[at], -1)
        found = same_hash & (self.segments[out] == ids)
        for i in (same_hash & ~found).nonzero()[0].tolist():  # ids sharing a hash: a few
            j = int(at[i])
            while j < len(hashes) and hashes[j] == wanted[i] and not found[i]:
                found[i] = self.segments[ranks[j]] == ids[i]
                out[i] = ranks[j]
                j += 1
        return np.where(found, out, -1).astype("int64")

    def code_ranks(self, code_ids: pd.Series) -> np.ndarray:
        """The key part (rank + 1) of each code id; -1 for an id without one, 0 for ""."""
        import numpy as np
        import pandas as pd

        return pd.Index(self.codes).get_indexer(np.asarray(code_ids, dtype=object)).astype("int64")

    def lookup(self, segment_ids: pd.Series, code_ids: pd.Series) -> np.ndarray:
        """Cell keys of other rows (a decisions log, a consensus); -1 where the segment or the code
        has no rank."""
        import numpy as np

        seg = self.segment_ranks(segment_ids)
        code = self.code_ranks(code_ids)
        return np.where((seg >= 0) & (code >= 0), seg * self.width + code, -1)


def _rank_of(uniques: np.ndarray, rank: dict[str, int]) -> np.ndarray:
    """The rank of each value; values without one after all others, in natural order (`_ranks`)."""
    import numpy as np

    out = np.fromiter(
        (rank.get(v, -1) for v in uniques.tolist()), dtype="int64", count=len(uniques)
    )
    missing = (out < 0).nonzero()[0]
    if len(missing):
        extra = sorted(uniques[missing].tolist(), key=_natural_key)
        where = {v: len(rank) + i for i, v in enumerate(extra)}
        out[missing] = [where[v] for v in uniques[missing].tolist()]
    return out


def _factorized(a: pd.DataFrame, b: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """One column of A then B as integer codes and its distinct values in first-seen order
    (`pd.factorize` of the two, concatenated)."""
    import numpy as np
    import pandas as pd

    values_a, values_b = a[column].to_numpy(object), b[column].to_numpy(object)
    if column == "segment_id":
        return _segment_factors(values_a, values_b)
    codes, uniques = pd.factorize(np.concatenate([values_a, values_b]))
    return codes, np.asarray(uniques, dtype=object)


RUNS_BY_IDCODES = 1 << 22


def _run_starts(ids: np.ndarray) -> np.ndarray:
    """Per row: its id differs from the row before (a coder's rows of a segment sit together)."""
    import numpy as np

    starts = np.ones(len(ids), dtype=bool)
    if len(ids) > 1:
        np.not_equal(ids[1:], ids[:-1], out=starts[1:])
    return starts


def _segment_factors(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize` of A's then B's segment ids, without a hash table of millions of strings
    where it can: each coder's rows collapse to one id per run of rows (a pass comparing each id
    with the one before), and when both coders' runs name the same segments in the same order,
    each once (the common case: both coded one segments file, in its order), a run's number is
    its place. Otherwise the runs are factorised (`qualcode.idcodes`)."""
    import numpy as np

    from qualcode.idcodes import factorize, is_unique

    starts_a, starts_b = _run_starts(a), _run_starts(b)
    runs_a, runs_b = a[starts_a], b[starts_b]
    if len(runs_a) == len(runs_b) and bool((runs_a == runs_b).all()) and is_unique(runs_a):
        uniques = runs_a
        codes_a = codes_b = np.arange(len(runs_a), dtype="int64")
    else:
        # idcodes from 4M runs on: two coders' runs of a 4M-segment study (8M) took 2.0 s CPU
        # there against pandas' 2.9 s, a 1M one's (2M) 0.39 s against 0.34 s (load 5.5)
        runs = np.concatenate([runs_a, runs_b])
        codes, uniques = factorize(runs, min_size=RUNS_BY_IDCODES)
        codes_a, codes_b = codes[: len(runs_a)], codes[len(runs_a) :]
    rows_a = codes_a[np.cumsum(starts_a) - 1]
    rows_b = codes_b[np.cumsum(starts_b) - 1]
    return np.concatenate([rows_a, rows_b]), uniques


def _first_seen_ranks(uniques: np.ndarray) -> tuple[np.ndarray, int]:
    """`_rank_of(uniques, rank)` for the rank of the non-empty values in first-seen order (the
    segments without a segments file): each value's place among them, "" after them all; and how
    many they are. Numbered by a pass over the values, not a dict of millions of ids."""
    import numpy as np

    empty = uniques == ""
    ranked = int(len(uniques) - empty.sum())
    rank = np.cumsum(~empty, dtype="int64") - 1
    rank[empty] = ranked
    return rank, ranked


def _pair_keys(
    a: pd.DataFrame,
    b: pd.DataFrame,
    segment_rank: dict[str, int] | None,
    code_rank: dict[str, int],
    factorized: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> PairKeys:
    """The pair's keys; `segment_rank` None: the segments ranked in first-seen order (A then B)."""
    import numpy as np

    na = len(a)
    (seg_codes, seg_uniques), (code_codes, code_uniques) = factorized or (
        _factorized(a, b, "segment_id"),
        _factorized(a, b, "code_id"),
    )
    if segment_rank is None:
        seg_rank, ordered = _first_seen_ranks(seg_uniques)
    else:
        seg_rank, ordered = _rank_of(seg_uniques, segment_rank), len(segment_rank)
    # "" (reviewed, no code) ranks before every code: rank + 1, with "" at 0
    code_rank1 = np.where(code_uniques == "", -1, _rank_of(code_uniques, code_rank)) + 1
    code_rank1 = code_rank1.astype("int64")
    width = int(max(len(code_rank), code_rank1.max(initial=0))) + 1
    n_segments = int(max(ordered, seg_rank.max(initial=-1) + 1))
    segments = _repeat("", n_segments)
    if segment_rank is not None:
        segments[list(segment_rank.values())] = list(segment_rank)
    segments[seg_rank] = seg_uniques
    codes = _repeat("", width)
    codes[[r + 1 for r in code_rank.values()]] = list(code_rank)
    codes[code_rank1] = code_uniques
    row_seg = seg_rank[seg_codes]
    keys = row_seg * width + code_rank1[code_codes]
    reviewed_a = np.zeros(n_segments, dtype=bool)
    reviewed_b = np.zeros(n_segments, dtype=bool)
    reviewed_a[row_seg[:na]] = True
    reviewed_b[row_seg[na:]] = True
    return PairKeys(width, segments, codes, keys[:na], keys[na:], reviewed_a, reviewed_b, ordered)


def _cell_keys(keys: PairKeys, row_keys: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """The distinct coded cells (code not "") among `row_keys` on the segment ranks where
    `segments` (bool per rank) is true, sorted."""

    ok = (row_keys % keys.width != 0) & segments[row_keys // keys.width]
    return _distinct(row_keys[ok])


def _distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an int array, by a sort (np.unique hashes ints in numpy 2,
    and its hash table outgrows the CPU caches: 9x the time for 4x the keys)."""
    import numpy as np

    values = np.sort(values)
    if len(values) > 1:
        values = values[np.concatenate([[True], values[1:] != values[:-1]])]
    return values


def _repeat(value: str, n: int) -> np.ndarray:
    """An object array holding `value` n times, one object (np.full with a str makes a new str
    per element: 69 MB for a million "consensus")."""
    import numpy as np

    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _choose(mask: np.ndarray, yes: str, no: str) -> np.ndarray:
    """`np.where(mask, yes, no)` as an object array of two shared strings (np.where makes a
    fixed-width text array, and a new str per row where pandas reads it back)."""
    import numpy as np

    return np.array([no, yes], dtype=object)[np.asarray(mask, dtype=np.intp)]


def _in_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """For each value: is it in `sorted_keys` (a sorted int array)? A binary search on ints."""
    import numpy as np

    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_keys, values).clip(max=len(sorted_keys) - 1)
    return sorted_keys[at] == values


@dataclass
class CodingPair:
    """Two coders' codings, checked against each other, with segment and code orders fixed."""

    a: pd.DataFrame
    b: pd.DataFrame
    coder_a: str
    coder_b: str
    code_rank: dict[str, int]
    both: list[str]  # segments both coders reviewed, in order
    only_a: list[str]
    only_b: list[str]
    differences: pd.DataFrame  # segment_id, code_id, in_a, in_b (ordered)
    known_codes: set[str]  # codebook codes, or every code observed when there is no codebook
    codebook: Codebook | None = None
    file_a: str | None = None
    file_b: str | None = None
    _keys: PairKeys | None = field(default=None, repr=False, compare=False)
    # segment id -> rank; None: the segments in first-seen order (keys.segments), made on use
    _segment_rank: dict[str, int] | None = field(default=None, repr=False, compare=False)
    _difference_keys: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def segment_rank(self) -> dict[str, int]:
        """Segment id -> its rank (the segments file's order, else first seen in A then B)."""
        if self._segment_rank is None:
            keys = self.keys
            self._segment_rank = {
                s: i for i, s in enumerate(keys.segments[: keys.ordered].tolist())
            }
        return self._segment_rank

    @property
    def difference_keys(self) -> np.ndarray:
        """The cell keys of `differences`, row for row (sorted)."""
        if self._difference_keys is None:
            diffs = self.differences
            self._difference_keys = self.keys.lookup(diffs["segment_id"], diffs["code_id"])
        return self._difference_keys

    @property
    def keys(self) -> PairKeys:
        """The pair's rows as integer cell keys (built once, on first use)."""
        if self._keys is None:
            self._keys = _pair_keys(self.a, self.b, self._segment_rank, self.code_rank)
        return self._keys

    @property
    def reviewed(self) -> set[str]:
        return set(self.both) | set(self.only_a) | set(self.only_b)

    def codes_of(self, which: str, segment_id: str) -> list[str]:
        df = self.a if which == "a" else self.b
        codes = df.loc[(df["segment_id"] == segment_id) & (df["code_id"] != ""), "code_id"]
        return sorted(set(codes), key=self._code_key)

    def _code_key(self, code_id: str) -> tuple[int, list[object]]:
        return (self.code_rank.get(code_id, len(self.code_rank)), _natural_key(code_id))


def _check_against_segments(
    df: pd.DataFrame, known: Sequence[str], file: str | None, segments_file: str | None
) -> None:
    from qualcode.ids import first_cells, unknown_segment_hint
    from qualcode.io import row_location

    missing = ~df["segment_id"].isin(known)
    if missing.any():
        i = int(missing.to_numpy().nonzero()[0][0])
        where = f" {segments_file}" if segments_file else " the segments file"
        hint = unknown_segment_hint(first_cells(df, missing, "segment_id"), known)
        raise QualcodeError(
            f"segment {df['segment_id'].iat[i]!r} is not in{where}",
            **row_location(df, file, i, "segment_id"),
            hint=hint
            or "the codings and the segments must come from the same ingest; re-ingest or pass "
            "the segments file the coders used",
        )


def prepare_pair(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    codebook: Codebook | None = None,
    segments: pd.DataFrame | None = None,
    file_a: str | Path | None = None,
    file_b: str | Path | None = None,
    segments_file: str | Path | None = None,
) -> CodingPair:
    """Check that A and B code the same study and find where they differ."""

    file_a = str(file_a) if file_a is not None else None
    file_b = str(file_b) if file_b is not None else None
    segments_file = str(segments_file) if segments_file is not None else None
    # Shallow copies: a column is replaced, never changed in place (copy-on-write), so the
    # caller's frames keep theirs and no column is held twice.
    a = a.copy(deep=False)
    b = b.copy(deep=False)
    for df in (a, b):
        for col in CODING_COLUMNS:
            if col not in df.columns:
                df[col] = ""
            elif _str_column(df[col]):
                continue  # as read_codings gives it: fillna and astype would copy it unchanged
            df[col] = df[col].fillna("").astype(str)
    if codebook is not None:
        from qualcode.ids import check_code_ids

        check_code_ids(a, codebook, file_a)
        check_code_ids(b, codebook, file_b)
    if segments is not None:
        known = list(dict.fromkeys(segments["segment_id"]))
        _check_against_segments(a, known, file_a, segments_file)
        _check_against_segments(b, known, file_b, segments_file)
    seg_factors = _factorized(a, b, "segment_id")
    code_factors = _factorized(a, b, "code_id")
    # without a segments file: first seen in A then B (ranked from the factorised ids)
    segment_rank = None
    if segments is not None:
        segment_rank = {s: i for i, s in enumerate(segments["segment_id"])}
    observed = [c for c in code_factors[1].tolist() if c != ""]
    if codebook is not None:
        book_ids = codebook.code_ids()
        in_book = set(book_ids)
        code_order = book_ids + sorted((c for c in observed if c not in in_book), key=_natural_key)
        known_codes = set(book_ids)
    else:
        code_order = sorted(observed, key=_natural_key)
        known_codes = set(observed)
    code_rank = {c: i for i, c in enumerate(code_order)}

    keys = _pair_keys(a, b, segment_rank, code_rank, (seg_factors, code_factors))
    both = keys.segments[keys.both].tolist()
    if not both and len(a) and len(b):
        raise QualcodeError(
            "the two codings share no segment: they look like codings of different studies",
            file=file_b,
            hint=f"{file_a or 'A'} and {file_b or 'B'} must code the same segments.csv "
            "(same transcripts, same ingest)",
        )
    only_a = keys.segments[keys.reviewed_a & ~keys.reviewed_b].tolist()
    only_b = keys.segments[keys.reviewed_b & ~keys.reviewed_a].tolist()

    coder_a = _coder_name(a, Path(file_a).stem if file_a else "A")
    coder_b = _coder_name(b, Path(file_b).stem if file_b else "B")
    if coder_a == coder_b:
        coder_a, coder_b = f"{coder_a} (A)", f"{coder_b} (B)"
    diffs, diff_keys = _differences(keys)
    return CodingPair(
        a=a,
        b=b,
        coder_a=coder_a,
        coder_b=coder_b,
        code_rank=code_rank,
        both=both,
        only_a=only_a,
        only_b=only_b,
        differences=diffs,
        known_codes=known_codes,
        codebook=codebook,
        file_a=file_a,
        file_b=file_b,
        _keys=keys,
        _segment_rank=segment_rank,
        _difference_keys=diff_keys,
    )


def _str_column(column: pd.Series) -> bool:
    """A column of str with no missing value (pandas' str dtype), as `fillna("").astype(str)`
    leaves it."""
    return str(column.dtype) == "str" and not column.hasnans


def _ranks(values: pd.Series, rank: dict[str, int] | None) -> np.ndarray:
    """Integer sort keys: the given rank, then values without one in natural order."""
    rank = rank or {}
    keys = values.map(rank)
    missing = keys.isna().to_numpy()
    if missing.any():
        extra = sorted(set(values[missing]), key=_natural_key)
        keys[missing] = values[missing].map({v: len(rank) + i for i, v in enumerate(extra)})
    return keys.to_numpy(dtype="int64")


def _order(
    df: pd.DataFrame, segment_rank: dict[str, int] | None, code_rank: dict[str, int] | None
) -> pd.DataFrame:
    """Sort rows by segment order then code order (unknown ones last, naturally sorted)."""
    import numpy as np

    if df.empty:
        return df.reset_index(drop=True)
    order = np.lexsort((_ranks(df["code_id"], code_rank), _ranks(df["segment_id"], segment_rank)))
    return df.iloc[order].reset_index(drop=True)


def _pairs_in(df: pd.DataFrame, cells: pd.DataFrame) -> np.ndarray:
    """For each (segment_id, code_id) row of `df`: is that pair among the rows of `cells`?

    Same answer as a MultiIndex `isin`, without building a tuple per row: both columns are
    factorised together and each pair becomes one integer."""
    import numpy as np
    import pandas as pd

    n = len(df)
    segs, _ = pd.factorize(np.concatenate([df["segment_id"].to_numpy(), cells["segment_id"]]))
    codes, uniques = pd.factorize(np.concatenate([df["code_id"].to_numpy(), cells["code_id"]]))
    keys = segs.astype("int64") * (len(uniques) + 1) + codes
    return np.isin(keys[:n], keys[n:])


def find_differences(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    segment_rank: dict[str, int] | None = None,
    code_rank: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Cells (segment_id, code_id) on segments both coders reviewed where exactly one applied the code.

    Columns: segment_id, code_id, in_a, in_b (bool). Ordered by segment then code (first appearance
    in A then B, unless ranks are given).
    """
    if segment_rank is None:
        segment_rank = {s: i for i, s in enumerate(_first_seen(a["segment_id"], b["segment_id"]))}
    if code_rank is None:
        code_rank = {c: i for i, c in enumerate(_first_seen(a["code_id"], b["code_id"]))}
    return _differences(_pair_keys(a, b, segment_rank, code_rank))[0]


def _differences(keys: PairKeys) -> tuple[pd.DataFrame, np.ndarray]:
    """`find_differences` on a pair's keys: the cells in exactly one coder's distinct coded cells
    on the segments both reviewed, in key order (segment order, then code order); and their keys."""
    import numpy as np
    import pandas as pd

    both = keys.both
    cells_a = _cell_keys(keys, keys.a, both)
    cells_b = _cell_keys(keys, keys.b, both)
    cells = np.concatenate([cells_a, cells_b])
    order = np.argsort(cells, kind="stable")
    cells = cells[order]
    once = np.ones(len(cells), dtype=bool)
    same = cells[1:] == cells[:-1]
    once[1:] &= ~same
    once[:-1] &= ~same
    diff = cells[once]
    in_a = order[once] < len(cells_a)
    frame = pd.DataFrame(
        {
            "segment_id": pd.array(keys.segment_of(diff), dtype="str"),
            "code_id": pd.array(keys.code_of(diff), dtype="str"),
            "in_a": in_a,
            "in_b": ~in_a,
        }
    )
    return frame, diff
