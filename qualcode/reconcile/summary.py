"""Agreement before and after reconciling, pooled over code x segment cells on the double-coded
segments, and the run's summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualcode.model import DECISIONS
from qualcode.reconcile.decisions import ADDED, DROPPED, KEPT, is_mechanical, mechanical_rules
from qualcode.reconcile.pair import (
    CodingPair,
    _cell_keys,
    _cells,
    _distinct,
    _first_seen,
    _in_sorted,
    _pairs_in,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd


def pooled_counts(
    x: pd.DataFrame, y: pd.DataFrame, segments: Sequence[str], codes: Sequence[str]
) -> dict[str, int]:
    """2x2 counts over all code x segment cells (codes as given, segments as given)."""
    segs = set(segments)
    code_set = set(codes)
    return _counts_2x2(
        _cells_within(x, segs, code_set),
        _cells_within(y, segs, code_set),
        len(segs) * len(code_set),
    )


def _cells_within(df: pd.DataFrame, segs: set[str], code_set: set[str]) -> pd.DataFrame:
    """The coder's cells (`_cells`) on these segments and codes."""
    c = _cells(df)
    return c[c["segment_id"].isin(segs) & c["code_id"].isin(code_set)]


def _counts_2x2(cx: pd.DataFrame, cy: pd.DataFrame, cells_total: int) -> dict[str, int]:
    both = int(_pairs_in(cx, cy).sum())
    only_x = len(cx) - both
    only_y = len(cy) - both
    neither = cells_total - both - only_x - only_y
    return {"both": both, "only_a": only_x, "only_b": only_y, "neither": neither}


def _key_counts_2x2(cx: np.ndarray, cy: np.ndarray, cells_total: int) -> dict[str, int]:
    """`_counts_2x2` on sorted distinct cell keys."""
    both = int(_in_sorted(cx, cy).sum())
    only_x = len(cx) - both
    only_y = len(cy) - both
    neither = cells_total - both - only_x - only_y
    return {"both": both, "only_a": only_x, "only_b": only_y, "neither": neither}


def agreement_from_counts(counts: dict[str, int]) -> dict[str, float]:
    """Percent agreement and Cohen's (1960) kappa from pooled 2x2 counts.

    Uses `qualcode.agreement.stats.binary_agreement` when it is installed; otherwise the textbook
    formulas: p_o = (a+d)/n, p_e = p_A1 p_B1 + p_A0 p_B0, kappa = (p_o - p_e) / (1 - p_e).
    """
    import numpy as np

    a, b, c, d = (counts["both"], counts["only_a"], counts["only_b"], counts["neither"])
    try:
        from qualcode.agreement.stats import binary_agreement
    except ImportError:
        binary_agreement = None
    if binary_agreement is not None:
        stats = binary_agreement(*(np.array([v], dtype=float) for v in (a, b, c, d)))
        return {
            "percent_agreement": float(stats["percent_agreement"][0]),
            "cohen_kappa": float(stats["cohen_kappa"][0]),
        }
    return textbook_agreement(counts)


def textbook_agreement(counts: dict[str, int]) -> dict[str, float]:
    """Percent agreement and Cohen's (1960) kappa by the textbook formulas (the fallback)."""
    a, b, c, d = (counts["both"], counts["only_a"], counts["only_b"], counts["neither"])
    n = a + b + c + d
    if n == 0:
        return {"percent_agreement": float("nan"), "cohen_kappa": float("nan")}
    p_o = (a + d) / n
    p_e = ((a + b) / n) * ((a + c) / n) + ((c + d) / n) * ((b + d) / n)
    kappa = float("nan") if p_e == 1 else (p_o - p_e) / (1 - p_e)
    return {"percent_agreement": p_o, "cohen_kappa": kappa}


@dataclass
class ReconcileSummary:
    coder_a: str
    coder_b: str
    strategy: str | None
    segments_both: int
    segments_only_a: int
    segments_only_b: int
    differences: int
    kept: int
    dropped: int
    added: int
    by_strategy: dict[str, dict[str, int]]
    codes: int
    agreement: dict[str, dict[str, float]]  # before, a_vs_consensus, b_vs_consensus
    # Decisions taken by a rule (decided_by "rule:<strategy>") and the rules: with any, the
    # consensus is (partly) mechanical and coder-vs-consensus agreement is not post-discussion.
    mechanical: int = 0
    rules: list[str] = field(default_factory=list)
    # Cells both coders applied whose excerpts (start_char/end_char) differ, and what the
    # consensus keeps there (qualcode.reconcile.consensus.EXCERPT_RULES).
    excerpt_cells: int = 0
    excerpts: str = ""

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def summarise(
    pair: CodingPair,
    consensus: pd.DataFrame,
    decisions: pd.DataFrame,
    strategy: str | None,
    *,
    consensus_keys: np.ndarray | None = None,
) -> ReconcileSummary:
    """The run's summary; `consensus_keys` (the consensus rows' cell keys, `PairKeys`) when the
    caller has them, else they are looked up."""
    import numpy as np

    keys = pair.keys
    if consensus_keys is None:
        consensus_keys = keys.lookup(consensus["segment_id"], consensus["code_id"])
    codes = list(pair.code_rank) if pair.codebook is None else pair.codebook.code_ids()
    if pair.codebook is not None:
        in_book = set(codes)
        codes += [c for c in pair.code_rank if c not in in_book]
    seen = set(codes)
    if (consensus_keys < 0).any():  # pragma: no cover - a consensus of other codings
        codes += [c for c in _first_seen(consensus["code_id"]) if c not in seen]
        segs, code_set = set(pair.both), set(codes)
        cells = [_cells_within(df, segs, code_set) for df in (pair.a, pair.b, consensus)]
        counts_of = _counts_2x2
    else:
        # pooled_counts for the three pairs, on cell keys: the double-coded segments, these codes
        used = keys.codes[_distinct(consensus_keys % keys.width)].tolist()
        codes += [c for c in used if c and c not in seen]
        code_set = set(codes)
        allowed = np.array([c in code_set for c in keys.codes.tolist()], dtype=bool)
        cells = []
        for row_keys in (keys.a, keys.b, consensus_keys):
            cell = _cell_keys(keys, row_keys, keys.both)
            cells.append(cell[allowed[cell % keys.width]])
        counts_of = _key_counts_2x2
    cells_a, cells_b, cells_c = cells
    cells_total = len(pair.both) * len(code_set)
    agreement = {}
    for name, x, y in (
        ("before", cells_a, cells_b),
        ("a_vs_consensus", cells_a, cells_c),
        ("b_vs_consensus", cells_b, cells_c),
    ):
        counts = counts_of(x, y, cells_total)
        agreement[name] = {**counts, **agreement_from_counts(counts)}
    by_strategy: dict[str, dict[str, int]] = {}
    for (strat, decision), n in decisions.groupby(["strategy", "decision"]).size().items():
        by_strategy.setdefault(strat, dict.fromkeys(DECISIONS, 0))[decision] = int(n)
    counts = decisions["decision"].value_counts()
    return ReconcileSummary(
        coder_a=pair.coder_a,
        coder_b=pair.coder_b,
        strategy=strategy,
        segments_both=len(pair.both),
        segments_only_a=len(pair.only_a),
        segments_only_b=len(pair.only_b),
        differences=len(pair.differences),
        kept=int(counts.get(KEPT, 0)),
        dropped=int(counts.get(DROPPED, 0)),
        added=int(counts.get(ADDED, 0)),
        by_strategy=by_strategy,
        codes=len(codes),
        agreement=agreement,
        mechanical=int(is_mechanical(decisions).sum()),
        rules=mechanical_rules(decisions),
    )
