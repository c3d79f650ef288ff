"""The pair of codings: two coders' codings checked against each other, with segment and code
orders fixed, and the cells where they differ."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
class CodingPair:
    """Two coders' codings, checked against each other, with segment and code orders fixed."""

    a: pd.DataFrame
    b: pd.DataFrame
    coder_a: str
    coder_b: str
    segment_rank: dict[str, int]
    code_rank: dict[str, int]
    both: list[str]  # segments both coders reviewed, in order
    only_a: list[str]
    only_b: list[str]
    differences: pd.DataFrame  # segment_id, code_id, in_a, in_b (ordered)
    known_codes: set[str]  # codebook codes, or every code observed when there is no codebook
    codebook: Codebook | None = None
    file_a: str | None = None
    file_b: str | None = None

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
    import pandas as pd

    file_a = str(file_a) if file_a is not None else None
    file_b = str(file_b) if file_b is not None else None
    segments_file = str(segments_file) if segments_file is not None else None
    a = a.copy()
    b = b.copy()
    for df in (a, b):
        for col in CODING_COLUMNS:
            if col not in df.columns:
                df[col] = ""
            df[col] = df[col].fillna("").astype(str)
    if codebook is not None:
        from qualcode.ids import check_code_ids

        check_code_ids(a, codebook, file_a)
        check_code_ids(b, codebook, file_b)
    if segments is not None:
        known = list(dict.fromkeys(segments["segment_id"]))
        _check_against_segments(a, known, file_a, segments_file)
        _check_against_segments(b, known, file_b, segments_file)
        seg_order = list(segments["segment_id"])
    else:
        seg_order = _first_seen(a["segment_id"], b["segment_id"])
    segment_rank = {s: i for i, s in enumerate(seg_order)}

    reviewed_a = pd.unique(a["segment_id"])
    reviewed_b = pd.unique(b["segment_id"])
    set_b = set(reviewed_b.tolist())
    set_a = set(reviewed_a.tolist())
    both = sorted(set_a & set_b, key=segment_rank.__getitem__)
    if not both and len(a) and len(b):
        raise QualcodeError(
            "the two codings share no segment: they look like codings of different studies",
            file=file_b,
            hint=f"{file_a or 'A'} and {file_b or 'B'} must code the same segments.csv "
            "(same transcripts, same ingest)",
        )
    only_a = sorted(set_a - set_b, key=segment_rank.__getitem__)
    only_b = sorted(set_b - set_a, key=segment_rank.__getitem__)

    observed = _first_seen(a["code_id"], b["code_id"])
    if codebook is not None:
        book_ids = codebook.code_ids()
        in_book = set(book_ids)
        code_order = book_ids + sorted((c for c in observed if c not in in_book), key=_natural_key)
        known_codes = set(book_ids)
    else:
        code_order = sorted(observed, key=_natural_key)
        known_codes = set(observed)
    code_rank = {c: i for i, c in enumerate(code_order)}

    coder_a = _coder_name(a, Path(file_a).stem if file_a else "A")
    coder_b = _coder_name(b, Path(file_b).stem if file_b else "B")
    if coder_a == coder_b:
        coder_a, coder_b = f"{coder_a} (A)", f"{coder_b} (B)"
    diffs = find_differences(a, b, segment_rank=segment_rank, code_rank=code_rank)
    return CodingPair(
        a=a,
        b=b,
        coder_a=coder_a,
        coder_b=coder_b,
        segment_rank=segment_rank,
        code_rank=code_rank,
        both=both,
        only_a=only_a,
        only_b=only_b,
        differences=diffs,
        known_codes=known_codes,
        codebook=codebook,
        file_a=file_a,
        file_b=file_b,
    )


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
    import pandas as pd

    both = pd.Index(pd.unique(a["segment_id"])).intersection(pd.unique(b["segment_id"]))
    ca = _cells(a)
    cb = _cells(b)
    ca = ca[ca["segment_id"].isin(both)]
    cb = cb[cb["segment_id"].isin(both)]
    merged = ca.merge(cb, on=["segment_id", "code_id"], how="outer", indicator=True)
    merged["in_a"] = merged["_merge"] != "right_only"
    merged["in_b"] = merged["_merge"] != "left_only"
    diff = merged.loc[merged["in_a"] != merged["in_b"], ["segment_id", "code_id", "in_a", "in_b"]]
    if segment_rank is None:
        segment_rank = {s: i for i, s in enumerate(_first_seen(a["segment_id"], b["segment_id"]))}
    if code_rank is None:
        code_rank = {c: i for i, c in enumerate(_first_seen(a["code_id"], b["code_id"]))}
    return _order(diff, segment_rank, code_rank)
