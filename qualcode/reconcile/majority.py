"""A consensus of 3 or more coders by majority vote: a mechanical rule, logged as one.

On each segment reviewed by 2 or more coders, a code is kept when more than half of the coders who
reviewed the segment applied it (a tie is not a majority: dropped). Every (segment, code) on which
the reviewing coders were not unanimous gets one row in the decisions log, `strategy: majority`,
`decided_by: rule:majority` (method.md, "Reconciliation": a mechanical shortcut, not negotiated
agreement), with who applied it and who reviewed it. Segments one coder reviewed are carried over as
that coder coded them, as in the pairwise reconcile. The log's pairwise `coder_a`/`coder_b` columns
stay empty; `applied_by` and `reviewed_by` name the coders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError
from qualcode.model import CODING_COLUMNS, DECISION_COLUMNS, Codebook

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MAJORITY = "majority"
MAJORITY_LOG_COLUMNS: tuple[str, ...] = (*DECISION_COLUMNS, "applied_by", "reviewed_by")


@dataclass
class MajorityResult:
    consensus: pd.DataFrame  # CODING_COLUMNS, coder and origin `consensus`
    decisions: pd.DataFrame  # MAJORITY_LOG_COLUMNS
    coders: tuple[str, ...]
    segments_voted: int  # reviewed by 2 or more coders
    segments_carried: int  # reviewed by one coder only
    kept: int
    dropped: int
    ties: int


def majority_consensus(
    frames: list[pd.DataFrame],
    *,
    paths: list[str | Path | None] | None = None,
    codebook: Codebook | None = None,
    segments: pd.DataFrame | None = None,
    segments_path: str | Path | None = None,
    now: str | None = None,
) -> MajorityResult:
    """The majority consensus of 3 or more coders' codings (codings.csv contract) and its log."""
    import pandas as pd

    from qualcode.agreement.compare import (
        CoderError,
        _check_codes,
        _check_columns,
        _check_not_empty,
        _check_segments,
        _coder_name,
        _name,
        _natural_order,
        _stripped,
    )
    from qualcode.reconcile import CONSENSUS, RULE_PREFIX, timestamp

    paths = list(paths) if paths is not None else [None] * len(frames)
    if len(frames) < 3:
        raise ContractError(
            "a majority needs 3 or more coders",
            hint="with two coders a majority is their intersection: --strategy intersection",
        )
    names: list[str] = []
    clean: list[pd.DataFrame] = []
    for i, (df, path) in enumerate(zip(frames, paths, strict=True)):
        label = f"coder {i + 1}"
        _check_columns(df, path, label)
        _check_not_empty(df, path, label)
        df = df.assign(segment_id=_stripped(df["segment_id"]), code_id=_stripped(df["code_id"]))
        name = _coder_name(df, path, label)
        if name in names:
            raise CoderError(f"two files are from coder {name!r}", file=_name(path, label))
        names.append(name)
        if codebook is not None:
            _check_codes(df, codebook, path, label)
        if segments is not None:
            known = pd.Index(segments["segment_id"].astype(str))
            seg_file = str(segments_path) if segments_path is not None else None
            _check_segments(df, known, path, label, seg_file)
        clean.append(df)

    reviewed = [set(df["segment_id"]) for df in clean]
    applied = [
        {(s, c) for s, c in zip(df["segment_id"], df["code_id"], strict=True) if c} for df in clean
    ]
    every = set().union(*reviewed)
    if segments is not None:
        order = [s for s in segments["segment_id"].astype(str).unique() if s in every]
    else:
        order = _natural_order(sorted(every))
    if codebook is not None:
        rank = {c: i for i, c in enumerate(codebook.code_ids())}
    else:
        seen = sorted({c for a in applied for _, c in a})
        rank = {c: i for i, c in enumerate(seen)}
    by_segment: dict[str, set[str]] = {}
    for a in applied:
        for s, c in a:
            by_segment.setdefault(s, set()).add(c)

    stamp = now or timestamp()
    rows: list[dict[str, str]] = []
    log: list[dict[str, str]] = []
    voted = carried = kept = dropped = ties = 0
    for seg in order:
        who = [j for j in range(len(names)) if seg in reviewed[j]]
        codes = sorted(by_segment.get(seg, set()), key=lambda c: (rank.get(c, len(rank)), c))
        if len(who) == 1:
            carried += 1
            keep = codes
        else:
            voted += 1
            keep = []
            for code in codes:
                yes = [names[j] for j in who if (seg, code) in applied[j]]
                n, k = len(who), len(yes)
                win = 2 * k > n
                if win:
                    keep.append(code)
                if k == n:
                    continue  # unanimous: nothing was decided
                tie = 2 * k == n
                ties += tie
                kept += win
                dropped += not win
                log.append(
                    {
                        "segment_id": seg,
                        "code_id": code,
                        "coder_a": "",
                        "coder_b": "",
                        "decision": "kept" if win else "dropped",
                        "strategy": MAJORITY,
                        "decided_by": f"{RULE_PREFIX}{MAJORITY}",
                        "reason": f"{k} of {n} coders applied it"
                        + (" (a tie is not a majority)" if tie else ""),
                        "timestamp": stamp,
                        "applied_by": ";".join(yes),
                        "reviewed_by": ";".join(names[j] for j in who),
                    }
                )
        for code in keep or [""]:
            rows.append(
                {"segment_id": seg, "code_id": code, "coder": CONSENSUS, "origin": CONSENSUS}
            )
    consensus = pd.DataFrame(rows, columns=["segment_id", "code_id", "coder", "origin"])
    for col in CODING_COLUMNS:
        if col not in consensus.columns:
            consensus[col] = ""
    consensus = _with_excerpts(consensus, clean)
    return MajorityResult(
        consensus=consensus[list(CODING_COLUMNS)],
        decisions=pd.DataFrame(log, columns=list(MAJORITY_LOG_COLUMNS)),
        coders=tuple(names),
        segments_voted=voted,
        segments_carried=carried,
        kept=kept,
        dropped=dropped,
        ties=ties,
    )


def _with_excerpts(consensus: pd.DataFrame, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The consensus with each kept code's excerpts: the union of the excerpts of the coders who
    applied it (qualcode.spans.union_excerpt_rows; a whole-turn coding, or an auto-coding, whose
    span is a keyword position, covers the turn). A code kept by the majority is the text any of
    its coders marked, as the two-coder union keeps the text either coder marked."""
    import pandas as pd

    from qualcode.spans import union_excerpt_rows

    cols = ["segment_id", "code_id", "origin", "start_char", "end_char"]
    coded = pd.concat(
        [df.loc[df["code_id"] != "", [c for c in cols if c in df.columns]] for df in frames],
        ignore_index=True,
    )
    if not len(coded) or not (coded["start_char"].fillna("").astype(str).str.strip() != "").any():
        return consensus  # no spans anywhere: every code is its whole turn
    kept = consensus.loc[consensus["code_id"] != "", ["segment_id", "code_id"]]
    coded = coded.merge(kept, on=["segment_id", "code_id"], how="inner")
    spans = union_excerpt_rows(coded.fillna(""))
    # Keep the consensus's row order; a cell with several excerpts gets one row each.
    out = consensus.drop(columns=["start_char", "end_char"]).merge(
        spans, on=["segment_id", "code_id"], how="left", sort=False
    )
    out[["start_char", "end_char"]] = out[["start_char", "end_char"]].fillna("")
    return out[list(CODING_COLUMNS)].reset_index(drop=True)
