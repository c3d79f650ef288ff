"""The consensus: every difference decided (a replayed log, then a strategy for the rest), the
consensus codings built from the decisions, and the run's log and summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError
from qualcode.model import CODING_COLUMNS, DECISION_COLUMNS
from qualcode.reconcile.decisions import (
    ADDED,
    AUTOMATIC_STRATEGIES,
    DROPPED,
    KEPT,
    REPLAY,
    RULE_PREFIX,
    STRATEGIES,
    checked_decisions,
    timestamp,
)
from qualcode.reconcile.pair import (
    CodingPair,
    _cell_keys,
    _choose,
    _distinct,
    _in_sorted,
    _order,
    _repeat,
    prepare_pair,
)
from qualcode.reconcile.summary import ReconcileSummary, summarise
from qualcode.spans import overlaps

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from qualcode.model import Codebook

RECONCILE_STEPS = 3  # progress() calls made by reconcile_pair
CONSENSUS = "consensus"


def _auto_decisions(diffs: pd.DataFrame, strategy: str) -> np.ndarray:
    import numpy as np

    in_a = diffs["in_a"].to_numpy(dtype=bool)
    in_b = diffs["in_b"].to_numpy(dtype=bool)
    keep = {
        "union": np.ones(len(diffs), dtype=bool),
        "intersection": np.zeros(len(diffs), dtype=bool),
        "prefer-a": in_a,
        "prefer-b": in_b,
    }[strategy]
    return _choose(keep, KEPT, DROPPED)


# Whose excerpts a consensus code keeps where both coders applied it (the strategy decides only
# the codes on each turn, which is what turn-level agreement measures): prefer-a and prefer-b keep
# that coder's excerpts; every other way (union, intersection, a negotiated log) the union of the
# text either coder marked. A code only one coder applied keeps that coder's excerpts; a code
# added in discussion (the decisions log holds no span) covers the whole turn.
EXCERPTS_OF = {"prefer-a": "a", "prefer-b": "b"}
EXCERPT_RULES = {
    "a": "where both coders applied a code, the consensus keeps coder A's excerpts",
    "b": "where both coders applied a code, the consensus keeps coder B's excerpts",
    "union": "where both coders applied a code, the consensus keeps the text either of them "
    "marked (the union of their excerpts; a whole-turn coding covers the turn)",
}


def _excerpt_spans(df: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the rows of `df` where `rows` is true: whether each marks an excerpt (a start and an
    end, and not an auto-coding: `union_excerpt_rows`), and its start and end as stripped text."""
    import numpy as np

    from qualcode.spans import ORIGIN_AUTO

    start = df["start_char"].to_numpy(object)[rows]
    end = df["end_char"].to_numpy(object)[rows]
    spanned = (start != "") & (end != "")
    if spanned.any():  # strip only the cells that have something to strip
        at = spanned.nonzero()[0]
        start, end = start.copy(), end.copy()
        start[at] = [str(v).strip() for v in start[at].tolist()]
        end[at] = [str(v).strip() for v in end[at].tolist()]
        origin = df["origin"].to_numpy(object)[rows][at]
        auto = np.array([str(o).strip() == ORIGIN_AUTO for o in origin.tolist()], dtype=bool)
        spanned[at] = (start[at] != "") & (end[at] != "") & ~auto
    return spanned, start, end


def build_consensus(
    pair: CodingPair, decisions: pd.DataFrame, *, excerpts: str = "union"
) -> pd.DataFrame:
    """The consensus codings (contract columns) from a complete, checked decisions table.

    `excerpts` ("union", "a", "b": EXCERPT_RULES) says whose start_char/end_char a code both
    coders applied keeps; excerpts of one code in a turn that share a character merge into one, and
    an auto-coding's span (a keyword position, not an excerpt: `qualcode.spans`) becomes its whole
    turn, since the consensus's origin no longer says it was auto."""
    return _build_consensus(pair, decisions, excerpts=excerpts)[0]


def _build_consensus(
    pair: CodingPair,
    decisions: pd.DataFrame,
    *,
    excerpts: str = "union",
    decided: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """`build_consensus`, with the consensus rows' cell keys; `decided`: the decisions' cell keys
    when the caller has them."""
    import numpy as np
    import pandas as pd

    from qualcode.spans import merge_ranges

    keys = pair.keys
    both = keys.both
    decision = decisions["decision"].to_numpy(object)
    if decided is None:
        decided = keys.lookup(decisions["segment_id"], decisions["code_id"])
    kept = np.sort(decided[decision == KEPT])
    added = _distinct(decided[decision == ADDED])
    none = _repeat("", len(added))
    # Each coder's rows the consensus keeps: on segments both reviewed, the codes kept by a
    # decision and (but for the other coder's excerpts under prefer-a/b) the codes both applied;
    # on segments only this coder reviewed, every code, as coded. Then the codes added.
    parts = [(added, np.zeros(len(added), dtype=bool), none, none)]
    for row_keys, df, other, theirs in (
        (keys.a, pair.a, _cell_keys(keys, keys.b, both), "b"),
        (keys.b, pair.b, _cell_keys(keys, keys.a, both), "a"),
    ):
        chosen = _in_sorted(row_keys, kept)
        if excerpts != theirs:
            chosen |= _in_sorted(row_keys, other)
        on_both = both[row_keys // keys.width]
        rows = (row_keys % keys.width != 0) & np.where(on_both, chosen, True)
        parts.insert(-1, (row_keys[rows], *_excerpt_spans(df, rows)))
    row_keys, spanned, starts, ends = (np.concatenate(p) for p in zip(*parts, strict=True))
    # union_excerpt_rows on keys: a cell with a whole-turn row is the whole turn; the excerpts of
    # a cell with none merge where they share a character. Only those cells run in Python.
    order = np.argsort(row_keys, kind="stable")
    ordered = row_keys[order]
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]]) if len(ordered) else ordered > 0
    cells = ordered[first]
    inverse = np.empty(len(row_keys), dtype="int64")
    inverse[order] = np.cumsum(first) - 1
    whole = np.bincount(inverse, weights=~spanned, minlength=len(cells)) > 0
    n_whole = int(whole.sum())
    out_keys = [cells[whole]]
    out_start = [_repeat("", n_whole)]
    out_end = [out_start[0]]
    if n_whole < len(cells):
        cut = ~whole[inverse]
        ranges: dict[int, list[tuple[int, int]]] = {}
        for key, s, e in zip(
            row_keys[cut].tolist(), starts[cut].tolist(), ends[cut].tolist(), strict=True
        ):
            ranges.setdefault(key, []).append((int(s), int(e)))
        merged = [(k, s, e) for k, spans in ranges.items() for s, e in merge_ranges(spans)]
        out_keys.append(np.array([m[0] for m in merged], dtype="int64"))
        out_start.append(np.array([str(m[1]) for m in merged], dtype=object))
        out_end.append(np.array([str(m[2]) for m in merged], dtype=object))
    # A reviewed segment with no code in the consensus keeps a "reviewed, no code" row (code
    # key 0: first in its segment).
    has_code = np.zeros(len(keys.segments), dtype=bool)
    has_code[cells // keys.width] = True
    empty = ((keys.reviewed_a | keys.reviewed_b) & ~has_code).nonzero()[0]
    out_keys.append(empty * keys.width)
    out_start.append(_repeat("", len(empty)))
    out_end.append(out_start[-1])
    all_keys = np.concatenate(out_keys)
    order = np.argsort(all_keys, kind="stable")  # a cell's excerpts stay in text order
    all_keys = all_keys[order]
    n = len(all_keys)
    out = pd.DataFrame(
        {
            "segment_id": pd.array(keys.segment_of(all_keys), dtype="str"),
            "code_id": pd.array(keys.code_of(all_keys), dtype="str"),
            "coder": pd.array(_repeat(CONSENSUS, n), dtype="str"),
            "origin": pd.array(_repeat(CONSENSUS, n), dtype="str"),
            "memo": pd.array(_repeat("", n), dtype="str"),
            "start_char": pd.array(np.concatenate(out_start)[order], dtype="str"),
            "end_char": pd.array(np.concatenate(out_end)[order], dtype="str"),
        }
    )[list(CODING_COLUMNS)]
    out["memo"] = _consensus_memos(out, ((pair.coder_a, pair.a), (pair.coder_b, pair.b)))
    return out, all_keys


def excerpt_differences(pair: CodingPair) -> int:
    """Cells (segment, code) both coders applied on which their excerpts differ (after merging
    each coder's overlapping excerpts; a whole-turn coding is the whole turn)."""
    import numpy as np

    from qualcode.spans import union_excerpt_rows

    keys = pair.keys
    both = keys.both
    cells_b = _cell_keys(keys, keys.b, both)
    cells_a = _cell_keys(keys, keys.a, both)
    shared = cells_a[_in_sorted(cells_a, cells_b)]
    if not len(shared):
        return 0
    # Only a cell where either coder marked an excerpt can differ (whole turn on both sides
    # is the same): the rest never goes through union_excerpt_rows.
    spanned = []
    for row_keys, df in ((keys.a, pair.a), (keys.b, pair.b)):
        rows = _in_sorted(row_keys, shared)
        spanned.append(row_keys[rows][_excerpt_spans(df, rows)[0]])
    candidates = _distinct(np.concatenate(spanned))
    if not len(candidates):
        return 0
    a = pair.a[_in_sorted(keys.a, candidates)]
    b = pair.b[_in_sorted(keys.b, candidates)]

    def spans(df: pd.DataFrame) -> dict[tuple[str, str], set[tuple[str, str]]]:
        out: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for seg, code, s, e in union_excerpt_rows(df.fillna("")).itertuples(index=False):
            out.setdefault((seg, code), set()).add((s, e))
        return out

    sa, sb = spans(a), spans(b)
    return sum(sa[k] != sb.get(k) for k in sa)


def _has_memo(memo: pd.Series) -> np.ndarray:
    """Per row: the memo has text (`.str.strip() != ""`), stripping only the non-empty ones (most
    rows have no memo)."""
    import numpy as np

    values = memo.astype(str).to_numpy(object)
    has = values != ""
    at = has.nonzero()[0]
    has[at] = np.array([v.strip() != "" for v in values[at].tolist()], dtype=bool)
    return has


def _consensus_memos(out: pd.DataFrame, coders) -> list[str]:
    """Every memo of both coders, labelled with its author, on the consensus rows.

    A memo is where A&S coders note new or leftover ideas, so none is dropped: it stays on its
    (segment, code) row when the consensus keeps that code; a memo on a code the consensus dropped
    (`alice, on RI9: ...`) or on a "reviewed, no code" row goes to the segment's first consensus
    row. Where a code has several excerpts in the turn, a memo goes to the excerpt that shares
    text with the one it was written on (else the code's first). The same text from both coders is
    written once (`alice & bob: ...`); memos on one row are joined with "; ", A's first, each in
    file order."""
    memos = [""] * len(out)
    records = []
    for name, df in coders:
        has = _has_memo(df["memo"])
        cols = ["segment_id", "code_id", "memo", "start_char", "end_char"]
        for seg, code, memo, s, e in df.loc[has, cols].itertuples(index=False, name=None):
            span = _span_of(s, e)
            records.append((seg, code, name, str(memo).strip(), span))
    if not records:
        return memos
    wanted = {r[0] for r in records}
    first_of_segment: dict[str, int] = {}
    first_of_cell: dict[tuple[str, str], int] = {}
    excerpts_of_cell: dict[tuple[str, str], list[tuple[int, tuple[int, int] | None]]] = {}
    segs = out["segment_id"].tolist()
    codes = out["code_id"].tolist()
    spans = [_span_of(s, e) for s, e in zip(out["start_char"], out["end_char"], strict=True)]
    for i, (seg, code) in enumerate(zip(segs, codes, strict=True)):
        if seg in wanted:
            first_of_segment.setdefault(seg, i)
            first_of_cell.setdefault((seg, code), i)
            excerpts_of_cell.setdefault((seg, code), []).append((i, spans[i]))
    notes: dict[int, dict[tuple[str, str], list[str]]] = {}  # row -> (where, text) -> authors
    for seg, code, name, memo, span in records:
        row = first_of_cell.get((seg, code)) if code else None
        if row is not None and span is not None:
            row = next(
                (
                    i
                    for i, cut in excerpts_of_cell[(seg, code)]
                    if cut is None or overlaps(cut, span)
                ),
                row,
            )
        where = ""
        if row is None:
            row = first_of_segment.get(seg)
            if row is None:  # pragma: no cover - every reviewed segment has a consensus row
                continue
            where = code if code and code != codes[row] else ""
        authors = notes.setdefault(row, {}).setdefault((where, memo), [])
        if name not in authors:
            authors.append(name)
    for row, by_text in notes.items():
        memos[row] = "; ".join(
            f"{' & '.join(authors)}{f', on {where}' if where else ''}: {memo}"
            for (where, memo), authors in by_text.items()
        )
    return memos


@dataclass
class ReconcileResult:
    consensus: pd.DataFrame
    decisions: pd.DataFrame
    summary: ReconcileSummary
    pair: CodingPair = field(repr=False)


def _with_flags(
    pair: CodingPair, decisions: pd.DataFrame, decided: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Fill coder_a/coder_b (1/0) from the codings and order rows like the differences; and the
    rows' cell keys in that order (`decided`: the decisions' keys, row for row, when known)."""
    import numpy as np

    keys = pair.keys
    if decided is None:
        decided = keys.lookup(decisions["segment_id"], decisions["code_id"])
    out = decisions.copy(deep=False)
    for column, row_keys in (("coder_a", keys.a), ("coder_b", keys.b)):
        applied = _distinct(row_keys[row_keys % keys.width != 0])
        out[column] = _choose(_in_sorted(decided, applied), "1", "0")
    out = out[list(DECISION_COLUMNS)]
    if (decided < 0).any():  # pragma: no cover - checked decisions name ranked cells
        out = _order(out, pair.segment_rank, pair.code_rank)
        return out, keys.lookup(out["segment_id"], out["code_id"])
    if len(decided) > 1 and not (decided[1:] > decided[:-1]).all():
        # rows in key order already (a strategy's, a log written by reconcile) are left as
        # they are: a take of every string column in another order is a cache miss per cell
        order = np.argsort(decided, kind="stable")
        out, decided = out.iloc[order], decided[order]
    return out.reset_index(drop=True), decided


def _decided_rows(decisions: pd.DataFrame) -> pd.DataFrame:
    """A filled-in disagreements sheet: rows with an empty decision are still undecided (kept out,
    so a strategy or a later meeting decides them). Row numbers in messages stay the file's."""
    if "decision" not in decisions.columns:
        return decisions
    blank = decisions["decision"].fillna("").astype(str).str.strip() == ""
    if not blank.any():
        return decisions
    return decisions[~blank]


def _missing_error(pair: CodingPair, missing: pd.DataFrame, file: str | None) -> QualcodeError:
    shown = ", ".join(
        f"{c} on {s}" for s, c in missing[["segment_id", "code_id"]].head(5).to_numpy()
    )
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return QualcodeError(
        f"{len(missing)} of {len(pair.differences)} differences have no decision: {shown}{more}",
        file=file,
        hint="decide them interactively, choose a strategy for the rest, or add a row for each",
    )


def reconcile(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    strategy: str | None,
    decisions: pd.DataFrame | None = None,
    decided_by: str = "",
    codebook: Codebook | None = None,
    segments: pd.DataFrame | None = None,
    now: datetime | None = None,
    files: dict[str, str | Path] | None = None,
    keep_strategy: bool = False,
) -> ReconcileResult:
    """Reconcile codings A and B into a consensus plus a decisions log.

    `strategy` resolves differences the replayed `decisions` do not cover (None: they must cover all;
    "interactive": likewise, the interactive session supplies the decisions). Replayed rows are
    recorded with strategy "replay" (or their own strategy with `keep_strategy`, as when an
    interactive session's log is applied). `files` names the inputs for messages: keys a, b,
    segments, decisions.
    """

    files = files or {}
    pair = prepare_pair(
        a,
        b,
        codebook=codebook,
        segments=segments,
        file_a=files.get("a"),
        file_b=files.get("b"),
        segments_file=files.get("segments"),
    )
    return reconcile_pair(
        pair,
        strategy=strategy,
        decisions=decisions,
        decided_by=decided_by,
        now=now,
        decisions_file=files.get("decisions"),
        keep_strategy=keep_strategy,
    )


def reconcile_pair(
    pair: CodingPair,
    *,
    strategy: str | None,
    decisions: pd.DataFrame | None = None,
    decided_by: str = "",
    now: datetime | None = None,
    decisions_file: str | Path | None = None,
    keep_strategy: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ReconcileResult:
    """`reconcile` on an already prepared pair (see there); `progress(1)` after each of its
    RECONCILE_STEPS steps (decisions, consensus, summary)."""
    import numpy as np
    import pandas as pd

    step = progress or (lambda n=1: None)

    if strategy is not None and strategy not in STRATEGIES:
        raise QualcodeError(
            f"unknown strategy {strategy!r}", hint=f"choose one of: {', '.join(STRATEGIES)}"
        )
    stamp = timestamp(now)
    dfile = str(decisions_file) if decisions_file is not None else None
    if decisions is not None:
        replayed, replayed_keys = checked_decisions(pair, _decided_rows(decisions), file=dfile)
        if not keep_strategy:
            replayed["strategy"] = REPLAY
        replayed.loc[replayed["strategy"] == "", "strategy"] = REPLAY
        replayed.loc[replayed["decided_by"] == "", "decided_by"] = decided_by
        replayed.loc[replayed["timestamp"] == "", "timestamp"] = stamp
    else:
        replayed = pd.DataFrame(columns=list(DECISION_COLUMNS))
        replayed_keys = np.empty(0, dtype="int64")
    diffs, rest_keys = pair.differences, pair.difference_keys
    if len(replayed):
        open_ = ~_in_sorted(rest_keys, np.sort(replayed_keys))
        rest, rest_keys = diffs[open_], rest_keys[open_]
    else:
        rest = diffs
    if len(rest):
        if strategy not in AUTOMATIC_STRATEGIES:
            raise _missing_error(pair, rest, dfile)
        auto = pd.DataFrame(
            {
                "segment_id": rest["segment_id"],
                "code_id": rest["code_id"],
                "decision": _auto_decisions(rest, strategy),
                "strategy": strategy,
                # A rule, not a person: mechanical shortcuts are not negotiated agreement.
                "decided_by": f"{RULE_PREFIX}{strategy}",
                "reason": "",
                "timestamp": stamp,
            }
        )
        log = pd.concat([replayed, auto], ignore_index=True)
        log_keys = np.concatenate([replayed_keys, rest_keys])
    else:
        log, log_keys = replayed, replayed_keys
    for column in log.columns:  # (DataFrame.fillna copies every column, NA or not)
        if log[column].hasnans:  # coder_a/coder_b of the strategy's rows: filled in next
            log[column] = log[column].fillna("")
    log, log_keys = _with_flags(pair, log, log_keys)
    step(1)
    excerpts = EXCERPTS_OF.get(strategy or "", "union")
    consensus, consensus_keys = _build_consensus(pair, log, excerpts=excerpts, decided=log_keys)
    step(1)
    summary = summarise(pair, consensus, log, strategy, consensus_keys=consensus_keys)
    summary.excerpt_cells = excerpt_differences(pair)
    summary.excerpts = EXCERPT_RULES[excerpts]
    step(1)
    return ReconcileResult(consensus=consensus, decisions=log, summary=summary, pair=pair)


def _span_of(start: object, end: object) -> tuple[int, int] | None:
    """A row's (start, end), or None for the whole turn (or a half-given span)."""
    s, e = str(start).strip(), str(end).strip()
    return (int(s), int(e)) if s.isdecimal() and e.isdecimal() else None
