"""Code x code co-occurrence over segments: how often two codes are applied to the same turn.

Counts: segments carrying both codes (the diagonal = segments carrying the code). Jaccard (1912):
|A and B| / |A or B| over the segments of each code. Codes in codebook order.

Two codes co-occur when they are applied to the same turn, whether or not their excerpts
(start_char/end_char) share text: the unit is the turn, as in every count. Where codings mark
excerpts, the pairs table adds `overlapping`: the turns where an excerpt of one code shares at least
one character with an excerpt of the other (a whole-turn coding overlaps every excerpt of its turn).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualcode.analysis.data import StudyData
from qualcode.analysis.result import ReportResult

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@dataclass
class CooccurrenceReport(ReportResult):
    """Two square matrices (as tables with an id and label column) and the pairs, most frequent first."""

    counts: pd.DataFrame
    jaccard: pd.DataFrame
    pairs: pd.DataFrame
    n_segments: int

    def __post_init__(self) -> None:
        self.kind = "cooccurrence"
        self.title = "Code co-occurrence over segments"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"counts": self.counts, "jaccard": self.jaccard, "pairs": self.pairs}

    def summary(self) -> dict[str, Any]:
        return {"coded_segments": self.n_segments}


def cooccurrence_report(data: StudyData, *, digits: int = 3) -> CooccurrenceReport:
    """Co-occurrence counts and Jaccard similarity of every pair of codes."""
    import numpy as np
    import pandas as pd

    codes = data.code_ids
    applied = data.applied
    seg_index = {s: i for i, s in enumerate(dict.fromkeys(applied["segment_id"]))}
    code_index = {c: i for i, c in enumerate(codes)}
    x = np.zeros((len(seg_index), len(codes)), dtype=np.int64)
    # dtype: with no codings at all the mapped columns are empty *object* arrays, not indices.
    x[
        applied["segment_id"].map(seg_index).to_numpy(dtype=np.intp),
        applied["code_id"].map(code_index).to_numpy(dtype=np.intp),
    ] = 1
    both = x.T @ x
    size = np.diag(both)
    union = size[:, None] + size[None, :] - both
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, both / np.where(union > 0, union, 1), 0.0)
    labels = [data.labels.get(c, c) for c in codes]
    counts = pd.DataFrame({"id": codes, "label": labels})
    jaccard = pd.DataFrame({"id": codes, "label": labels})
    for j, code in enumerate(codes):
        counts[code] = both[:, j]
        jaccard[code] = np.round(jac[:, j], digits)
    pairs = [
        {
            "code_a": codes[i],
            "code_b": codes[j],
            "both": int(both[i, j]),
            "jaccard": round(float(jac[i, j]), digits),
        }
        for i in range(len(codes))
        for j in range(i + 1, len(codes))
        if both[i, j] > 0
    ]
    columns = ["code_a", "code_b", "both", "jaccard"]
    if data.has_spans:
        shared = _overlapping_turns(data)
        for p in pairs:
            p["overlapping"] = shared.get((p["code_a"], p["code_b"]), 0)
        columns.insert(3, "overlapping")
    pairs_df = pd.DataFrame(pairs, columns=columns)
    if len(pairs_df):
        pairs_df = pairs_df.sort_values(["both", "jaccard"], ascending=False, kind="stable")
        pairs_df = pairs_df.reset_index(drop=True)
    report = CooccurrenceReport(
        counts=counts, jaccard=jaccard, pairs=pairs_df, n_segments=len(seg_index)
    )
    report.notes.append(
        f"Over {len(seg_index)} coded segments; the diagonal counts the segments of each code; "
        "Jaccard = segments with both / segments with either."
    )
    if data.has_spans:
        report.notes.append(
            "These codings mark excerpts within turns: two codes co-occur when they are applied "
            "to the same turn, whether or not their excerpts overlap; overlapping = the turns "
            "where an excerpt of one shares text with an excerpt of the other."
        )
    if not data.include_facilitator:
        report.notes.append("Facilitator turns are excluded.")
    return report


def _overlapping_turns(data: StudyData) -> dict[tuple[str, str], int]:
    """(code_a, code_b) in codebook order -> turns where an excerpt of each shares a character."""
    from qualcode.spans import overlaps

    rank = {c: i for i, c in enumerate(data.code_ids)}
    out: dict[tuple[str, str], int] = {}
    ex = data.excerpts
    assert ex is not None
    for _, turn in ex.groupby("segment_id", sort=False):
        if turn["code_id"].nunique() < 2:
            continue
        items = list(zip(turn["code_id"], turn["start_char"], turn["end_char"], strict=True))
        found: set[tuple[str, str]] = set()
        for i, (a, sa, ea) in enumerate(items):
            for b, sb, eb in items[i + 1 :]:
                if a != b and overlaps((sa, ea), (sb, eb)):
                    found.add((a, b) if rank.get(a, 0) <= rank.get(b, 0) else (b, a))
        for pair in found:
            out[pair] = out.get(pair, 0) + 1
    return out
