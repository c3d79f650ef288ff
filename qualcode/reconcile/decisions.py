"""Reconcile two coders' codings into a consensus, with an auditable decisions log.

Negotiated agreement (Campbell et al. 2013, Sociological Methods & Research 42(3):294-320): the coders
code independently, agreement is measured, then each disagreement is decided and logged (who, what,
why, when), so the consensus can be audited and re-made. A *difference* is a (segment, code) cell on a
segment both coders reviewed where exactly one of them applied the code. Codes both applied are kept
without a decision; every difference gets exactly one decision (`kept` / `dropped`), and codes added in
discussion that neither coder applied are logged as `added`.

Conventions (decided once):
- Segments reviewed by one coder only are carried into the consensus as that coder coded them (there is
  nothing to reconcile there); the summary counts them.
- A replayed decisions log wins over the strategy; the strategy (if any) resolves the differences the
  log does not cover. Each log row records how it was decided: `replay` or the strategy's name.
- union, intersection, prefer-a and prefer-b are mechanical shortcuts, not negotiated agreement
  (Campbell et al. 2013; O'Connor & Joffe 2020): their rows say `decided_by: rule:<strategy>`, and a
  coder's agreement with a consensus that holds any such decision is inflated by construction (a
  union contains each coder's codes), so it is never reported as post-discussion agreement.
- The negotiated path: `disagreements_sheet` lists every difference with both coders' codes and the
  text, with empty decision/reason columns the coders fill in discussion (keep/drop, add rows for
  codes added); replayed as a decisions log, rows left undecided are still open.
- Agreement before/after is computed on the double-coded segments only, pooled over code x segment
  cells (codes = the codebook's when given, else every code observed).
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import ContractError, QualcodeError
from qualcode.model import CODING_COLUMNS, DECISION_COLUMNS, DECISIONS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from qualcode.model import Codebook

AUTOMATIC_STRATEGIES: tuple[str, ...] = ("union", "intersection", "prefer-a", "prefer-b")
RECONCILE_STEPS = 3  # progress() calls made by reconcile_pair
STRATEGIES: tuple[str, ...] = (*AUTOMATIC_STRATEGIES, "interactive")
REPLAY = "replay"
CONSENSUS = "consensus"
KEPT, DROPPED, ADDED = DECISIONS
DECISION_REQUIRED: tuple[str, ...] = ("segment_id", "code_id", "decision")
RULE_PREFIX = "rule:"
MECHANICAL_WORDING = {
    "union": "union of both coders' codes",
    "intersection": "intersection of both coders' codes",
    "prefer-a": "taking coder A's codes",
    "prefer-b": "taking coder B's codes",
    "majority": "majority vote of the coders",
}
SHEET_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "code_id",
    "code_label",
    "coder_a",
    "coder_b",
    "decision",
    "reason",
    "decided_by",
    "speaker",
    "text",
    "codes_a",
    "codes_b",
)


def is_mechanical(decisions: pd.DataFrame) -> pd.Series:
    """Per row of a decisions log: taken by a rule, not in discussion. `decided_by` "rule:<name>"
    (this version), or a mechanical `strategy` (logs written before rules were named)."""
    by = decisions["decided_by"].fillna("").astype(str)
    strategy = decisions["strategy"].fillna("").astype(str)
    return by.str.startswith(RULE_PREFIX) | strategy.isin(AUTOMATIC_STRATEGIES)


def mechanical_rules(decisions: pd.DataFrame) -> list[str]:
    """The rules (union, ...) that decided rows of a decisions log, in first-use order."""
    rules = []
    for by, strategy in zip(decisions["decided_by"], decisions["strategy"], strict=True):
        by, strategy = str(by or ""), str(strategy or "")
        if by.startswith(RULE_PREFIX):
            rules.append(by[len(RULE_PREFIX) :])
        elif strategy in AUTOMATIC_STRATEGIES:
            rules.append(strategy)
    return list(dict.fromkeys(rules))


_DECISION_WORDS = {
    "kept": KEPT,
    "keep": KEPT,
    "dropped": DROPPED,
    "drop": DROPPED,
    "added": ADDED,
    "add": ADDED,
}
_TRUE = {"1", "true", "yes", "y", "x"}
_FALSE = {"0", "false", "no", "n"}


def timestamp(now: datetime | None = None) -> str:
    """ISO 8601 local time with offset, to the second (the log's `timestamp` column)."""
    return (now or datetime.now()).astimezone().isoformat(timespec="seconds")


def _natural_key(text: str) -> list[object]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def _first_seen(*columns: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for column in columns:
        for value in column:
            if value != "":
                seen.setdefault(value, None)
    return list(seen)


def _cells(df: pd.DataFrame) -> pd.DataFrame:
    """The (segment_id, code_id) cells a coder applied (empty-code rows and repeats removed)."""
    return df.loc[df["code_id"] != "", ["segment_id", "code_id"]].drop_duplicates(ignore_index=True)


def _coder_name(df: pd.DataFrame, fallback: str) -> str:
    names = [n for n in df["coder"].unique() if n]
    return names[0] if names else fallback


# --- the pair of codings ------------------------------------------------------------------------
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
    set_b = set(reviewed_b)
    set_a = set(reviewed_a)
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


def _stripped(values: pd.Series) -> list[str]:
    """The cells as stripped strings (str.strip, as pandas' .str.strip(), at list speed)."""
    return [v.strip() for v in values.fillna("").astype(str)]


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


# --- decisions logs -----------------------------------------------------------------------------
def read_decisions(path: str | Path) -> pd.DataFrame:
    """Read a decisions log (CSV, or XLSX from a meeting's spreadsheet) as all-string columns."""
    from qualcode.io import read_table, warn_if_split

    df = read_table(path, what="decisions", columns=DECISION_COLUMNS, required=DECISION_REQUIRED)
    warn_if_split(path)  # a log whose consensus is from another run
    missing = [c for c in DECISION_REQUIRED if c not in df.columns]
    if missing:
        raise ContractError(
            f"decisions log is missing column(s): {', '.join(missing)}",
            file=path,
            line=1,
            hint=f"the header must include: {', '.join(DECISION_COLUMNS)}",
        )
    for col in DECISION_COLUMNS:
        if col not in df.columns:
            df[col] = ""
        df[col] = _stripped(df[col])
    return df[list(DECISION_COLUMNS)].reset_index(drop=True)


def _flag(value: str) -> bool | None:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    return None


def check_decisions(
    pair: CodingPair,
    decisions: pd.DataFrame,
    *,
    file: str | Path | None = None,
    repeats: str = "error",
) -> pd.DataFrame:
    """Validate a decisions table against the codings; returns it normalised (DECISION_COLUMNS).

    Every row must name a reviewed segment and a known code; `kept`/`dropped` rows must be
    differences, `added` rows codes neither coder applied. `repeats="error"` rejects a (segment, code)
    decided twice (a replayed log); `repeats="last"` keeps the last (a resumed interactive session,
    where [b]ack appends a new decision).
    """
    import numpy as np
    import pandas as pd

    file = str(file) if file is not None else None
    df = decisions.copy()
    for col in DECISION_COLUMNS:
        if col not in df.columns:
            df[col] = ""
        df[col] = _stripped(df[col])
    # File rows (0-based after the header) survive a filter of undecided sheet rows.
    index = decisions.index
    positions = (
        np.asarray(index, dtype=np.int64) if index.dtype.kind in "iu" else np.arange(len(df))
    )
    df = df[list(DECISION_COLUMNS)].reset_index(drop=True)
    if df.empty:
        return df

    reviewed = pair.reviewed
    both = set(pair.both)
    cells_a_df, cells_b_df = _cells(pair.a), _cells(pair.b)
    observed = set(cells_a_df["code_id"]) | set(cells_b_df["code_id"])
    known = pair.known_codes | (observed if pair.codebook is None else set())
    names = {"a": pair.coder_a, "b": pair.coder_b}

    # Vectorised: which rows pass every check of the row loop below. The loop then runs only from
    # the first row that does not (it raises there, with the message and line it always gave).
    seg_col, code_col = df["segment_id"], df["code_id"]
    words = df["decision"].str.lower().map(_DECISION_WORDS)
    has_a = _pairs_in(df, cells_a_df)
    has_b = _pairs_in(df, cells_b_df)
    ok = (seg_col != "").to_numpy() & (code_col != "").to_numpy() & words.notna().to_numpy()
    ok &= seg_col.isin(reviewed).to_numpy() & code_col.isin(known).to_numpy()
    for column, actual in (("coder_a", has_a), ("coder_b", has_b)):
        flag_text = df[column].str.lower()
        true, false = flag_text.isin(_TRUE).to_numpy(), flag_text.isin(_FALSE).to_numpy()
        ok &= (flag_text == "").to_numpy() | (true & actual) | (false & ~actual)
    added = (words == ADDED).to_numpy()
    ok &= np.where(added, ~has_a & ~has_b, seg_col.isin(both).to_numpy() & (has_a != has_b))
    out_decision: list[str] = words.where(ok, "").tolist()
    first_bad = int(np.argmin(ok)) if not ok.all() else len(df)
    if first_bad < len(df):
        cells_a = set(map(tuple, cells_a_df.to_numpy()))
        cells_b = set(map(tuple, cells_b_df.to_numpy()))
    for i, row in enumerate(df.iloc[first_bad:].itertuples(index=False), start=first_bad):
        line = int(positions[i]) + 2
        seg, code = row.segment_id, row.code_id
        if seg == "":
            raise ContractError("segment_id is empty", file=file, line=line)
        if code == "":
            raise ContractError(
                f"code_id is empty for segment {seg!r}",
                file=file,
                line=line,
                hint="each row decides one code on one segment",
            )
        word = _DECISION_WORDS.get(row.decision.lower())
        if word is None:
            raise ContractError(
                f"decision must be one of kept, dropped, added; got {row.decision!r}",
                file=file,
                line=line,
            )
        if seg not in reviewed:
            raise ContractError(
                f"unknown segment {seg!r}: neither coder reviewed it",
                file=file,
                line=line,
                hint="the log must come from the same codings (check for typos in segment_id)",
            )
        if code not in known:
            where = "in the codebook" if pair.codebook is not None else "used by either coder"
            hint = (
                "check the code id against the codebook"
                if pair.codebook is not None
                else "give the codebook to add a code that neither coder used"
            )
            raise ContractError(
                f"unknown code {code!r}: not {where}", file=file, line=line, hint=hint
            )
        in_a = (seg, code) in cells_a
        in_b = (seg, code) in cells_b
        for which, flag_text, actual in (("a", row.coder_a, in_a), ("b", row.coder_b, in_b)):
            flag = _flag(flag_text)
            if flag_text and flag is None:
                raise ContractError(
                    f"coder_{which} must be 1 or 0, got {flag_text!r}", file=file, line=line
                )
            if flag is not None and flag != actual:
                raise ContractError(
                    f"the log says {names[which]} {'applied' if flag else 'did not apply'} "
                    f"{code} on {seg}, but the codings say otherwise",
                    file=file,
                    line=line,
                    hint="this log was made from different codings; re-decide or fix the row",
                )
        if word == ADDED:
            if in_a or in_b:
                who = names["a"] if in_a else names["b"]
                raise ContractError(
                    f"{code} on {seg} cannot be 'added': {who} applied it",
                    file=file,
                    line=line,
                    hint="'added' is for a code neither coder applied; use kept or dropped",
                )
        elif seg not in both:
            raise ContractError(
                f"segment {seg!r} was reviewed by one coder only: there is nothing to "
                f"{'keep' if word == KEPT else 'drop'}",
                file=file,
                line=line,
                hint="single-coded segments are carried over as coded; only 'added' rows apply",
            )
        elif in_a and in_b:
            raise ContractError(
                f"both coders applied {code} on {seg}: there is no disagreement to decide",
                file=file,
                line=line,
            )
        elif not in_a and not in_b:
            raise ContractError(
                f"neither coder applied {code} on {seg}: it cannot be {word}",
                file=file,
                line=line,
                hint="use 'added' for a code agreed in discussion",
            )
        out_decision[i] = word
    df["decision"] = out_decision

    dup = df.duplicated(["segment_id", "code_id"], keep=False)
    if dup.any():
        if repeats == "last":
            df = df.drop_duplicates(["segment_id", "code_id"], keep="last")
        else:
            first = int(dup.to_numpy().nonzero()[0][0])
            key = (df["segment_id"].iat[first], df["code_id"].iat[first])
            same = (df["segment_id"] == key[0]) & (df["code_id"] == key[1])
            rows = [str(int(positions[i]) + 2) for i in same.to_numpy().nonzero()[0]]
            raise ContractError(
                f"rows {' and '.join(rows)} both decide {key[1]} on {key[0]}",
                file=file,
                line=int(rows[1]),
                hint="keep exactly one decision per (segment_id, code_id)",
            )
    return pd.DataFrame(df).reset_index(drop=True)


# --- building the consensus ---------------------------------------------------------------------
def _auto_decisions(diffs: pd.DataFrame, strategy: str) -> list[str]:
    import numpy as np

    in_a = diffs["in_a"].to_numpy(dtype=bool)
    in_b = diffs["in_b"].to_numpy(dtype=bool)
    keep = {
        "union": np.ones(len(diffs), dtype=bool),
        "intersection": np.zeros(len(diffs), dtype=bool),
        "prefer-a": in_a,
        "prefer-b": in_b,
    }[strategy]
    return np.where(keep, KEPT, DROPPED).tolist()


def build_consensus(pair: CodingPair, decisions: pd.DataFrame) -> pd.DataFrame:
    """The consensus codings (contract columns) from a complete, checked decisions table."""
    import pandas as pd

    a, b = pair.a, pair.b
    both = set(pair.both)
    kept = decisions.loc[decisions["decision"] == KEPT, ["segment_id", "code_id"]]
    added = decisions.loc[decisions["decision"] == ADDED, ["segment_id", "code_id"]]

    in_both_a = a[a["segment_id"].isin(both) & (a["code_id"] != "")]
    in_both_b = b[b["segment_id"].isin(both) & (b["code_id"] != "")]
    # A's rows for cells A applied and the consensus keeps; B's rows for cells only B applied.
    rows_a = in_both_a[_pairs_in(in_both_a, in_both_b) | _pairs_in(in_both_a, kept)]
    rows_b = in_both_b[_pairs_in(in_both_b, kept) & ~_pairs_in(in_both_b, in_both_a)]

    added_rows = added.assign(memo="", start_char="", end_char="")
    carried = pd.concat(
        [a[a["segment_id"].isin(set(pair.only_a))], b[b["segment_id"].isin(set(pair.only_b))]]
    )
    coded = pd.concat([rows_a, rows_b, added_rows], ignore_index=True)
    coded_ids = set(coded["segment_id"])
    empty_segs = [s for s in pair.both if s not in coded_ids]
    empty_rows = pd.DataFrame({"segment_id": empty_segs, "code_id": ""})
    out = pd.concat([coded, carried, empty_rows], ignore_index=True)
    for col in CODING_COLUMNS:
        if col not in out.columns:
            out[col] = ""
    out = out[list(CODING_COLUMNS)].fillna("")
    # "Reviewed, no code" only where the segment ends with no code (e.g. a code added in discussion).
    coded_segs = set(out.loc[out["code_id"] != "", "segment_id"])
    out = out[(out["code_id"] != "") | ~out["segment_id"].isin(coded_segs)]
    out["coder"] = CONSENSUS
    out["origin"] = CONSENSUS
    out["memo"] = ""  # set below, every memo with its author
    out = out.drop_duplicates(ignore_index=True)
    # Empty-code rows sort first within a segment: the rank of "" is -1.
    rank = {"": -1, **pair.code_rank}
    out = _order(out, pair.segment_rank, rank)
    out["memo"] = _consensus_memos(out, ((pair.coder_a, a), (pair.coder_b, b)))
    return out


def _consensus_memos(out: pd.DataFrame, coders) -> list[str]:
    """Every memo of both coders, labelled with its author, on the consensus rows.

    A memo is where A&S coders note new or leftover ideas, so none is dropped: it stays on its
    (segment, code) row when the consensus keeps that code; a memo on a code the consensus dropped
    (`alice, on RI9: ...`) or on a "reviewed, no code" row goes to the segment's first consensus
    row. The same text from both coders is written once (`alice & bob: ...`); memos on one row are
    joined with "; ", A's first, each in file order."""
    memos = [""] * len(out)
    records = []
    for name, df in coders:
        has = df["memo"].astype(str).str.strip() != ""
        for seg, code, memo in df.loc[has, ["segment_id", "code_id", "memo"]].itertuples(
            index=False, name=None
        ):
            records.append((seg, code, name, str(memo).strip()))
    if not records:
        return memos
    wanted = {r[0] for r in records}
    first_of_segment: dict[str, int] = {}
    first_of_cell: dict[tuple[str, str], int] = {}
    segs = out["segment_id"].tolist()
    codes = out["code_id"].tolist()
    for i, (seg, code) in enumerate(zip(segs, codes, strict=True)):
        if seg in wanted:
            first_of_segment.setdefault(seg, i)
            first_of_cell.setdefault((seg, code), i)
    notes: dict[int, dict[tuple[str, str], list[str]]] = {}  # row -> (where, text) -> authors
    for seg, code, name, memo in records:
        row = first_of_cell.get((seg, code)) if code else None
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


# --- agreement before and after -----------------------------------------------------------------
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


# --- the result ---------------------------------------------------------------------------------
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

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass
class ReconcileResult:
    consensus: pd.DataFrame
    decisions: pd.DataFrame
    summary: ReconcileSummary
    pair: CodingPair = field(repr=False)


def _with_flags(pair: CodingPair, decisions: pd.DataFrame) -> pd.DataFrame:
    """Fill coder_a/coder_b (1/0) from the codings and order rows like the differences."""
    import numpy as np

    out = decisions.copy()
    out["coder_a"] = np.where(_pairs_in(decisions, _cells(pair.a)), "1", "0")
    out["coder_b"] = np.where(_pairs_in(decisions, _cells(pair.b)), "1", "0")
    return _order(out[list(DECISION_COLUMNS)], pair.segment_rank, pair.code_rank)


def summarise(
    pair: CodingPair, consensus: pd.DataFrame, decisions: pd.DataFrame, strategy: str | None
) -> ReconcileSummary:
    codes = list(pair.code_rank) if pair.codebook is None else pair.codebook.code_ids()
    if pair.codebook is not None:
        in_book = set(codes)
        codes += [c for c in pair.code_rank if c not in in_book]
    seen = set(codes)
    codes += [c for c in _first_seen(consensus["code_id"]) if c not in seen]
    # pooled_counts for the three pairs, each frame's cells and the lookups built once
    segs, code_set = set(pair.both), set(codes)
    cells_a, cells_b, cells_c = (
        _cells_within(df, segs, code_set) for df in (pair.a, pair.b, consensus)
    )
    agreement = {}
    for name, x, y in (
        ("before", cells_a, cells_b),
        ("a_vs_consensus", cells_a, cells_c),
        ("b_vs_consensus", cells_b, cells_c),
    ):
        counts = _counts_2x2(x, y, len(segs) * len(code_set))
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
    import pandas as pd

    step = progress or (lambda n=1: None)

    if strategy is not None and strategy not in STRATEGIES:
        raise QualcodeError(
            f"unknown strategy {strategy!r}", hint=f"choose one of: {', '.join(STRATEGIES)}"
        )
    stamp = timestamp(now)
    dfile = str(decisions_file) if decisions_file is not None else None
    if decisions is not None:
        replayed = check_decisions(pair, _decided_rows(decisions), file=dfile)
        if not keep_strategy:
            replayed["strategy"] = REPLAY
        replayed.loc[replayed["strategy"] == "", "strategy"] = REPLAY
        replayed.loc[replayed["decided_by"] == "", "decided_by"] = decided_by
        replayed.loc[replayed["timestamp"] == "", "timestamp"] = stamp
    else:
        replayed = pd.DataFrame(columns=list(DECISION_COLUMNS))
    diffs = pair.differences
    rest = diffs[~_pairs_in(diffs, replayed)]
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
    else:
        log = replayed
    log = _with_flags(pair, log.fillna(""))
    step(1)
    consensus = build_consensus(pair, log)
    step(1)
    summary = summarise(pair, consensus, log, strategy)
    step(1)
    return ReconcileResult(consensus=consensus, decisions=log, summary=summary, pair=pair)


# --- an interactive session (the terminal loop lives in qualcode/cli/reconcile.py) ---------------
class ReconcileSession:
    """Walk the differences one by one; every decision is appended to the log file at once.

    The log is the session's state: re-opening it resumes at the first undecided difference. A
    decision taken again (after going back) is appended too; the last one per (segment, code) wins,
    and `finish` rewrites the log with exactly one row per decision.
    """

    def __init__(
        self,
        pair: CodingPair,
        log_path: str | Path,
        *,
        decided_by: str = "",
        seed: pd.DataFrame | None = None,
        seed_file: str | Path | None = None,
    ) -> None:
        self.pair = pair
        self.log_path = Path(log_path)
        self.decided_by = decided_by
        self.resumed = 0
        self.seeded = 0
        self.decisions = self._load()
        self.resumed = len(self.decisions)
        if seed is not None:
            checked = check_decisions(pair, seed, file=seed_file)
            for row in checked.to_dict("records"):
                if (row["segment_id"], row["code_id"]) not in self.decisions:
                    row["strategy"] = REPLAY
                    row["decided_by"] = row["decided_by"] or decided_by
                    self.record(row)
                    self.seeded += 1
        self.keys = list(
            zip(pair.differences["segment_id"], pair.differences["code_id"], strict=True)
        )

    def _load(self) -> dict[tuple[str, str], dict[str, str]]:
        if not self.log_path.exists():
            return {}
        raw = self.log_path.read_bytes()
        if raw and not raw.endswith(b"\n"):
            # A kill mid-write leaves a partial last row: drop it (it was never acknowledged).
            from qualcode.io import atomic_write_bytes

            atomic_write_bytes(self.log_path, raw[: raw.rfind(b"\n") + 1], backup=True)
        if not self.log_path.read_bytes().strip():
            return {}
        checked = check_decisions(
            self.pair, read_decisions(self.log_path), file=self.log_path, repeats="last"
        )
        return {(r["segment_id"], r["code_id"]): r for r in checked.to_dict("records")}

    # -- state
    def decision_for(self, key: tuple[str, str]) -> dict[str, str] | None:
        return self.decisions.get(key)

    def pending(self) -> list[tuple[str, str]]:
        """The differences not decided yet, in order."""
        return [k for k in self.keys if k not in self.decisions]

    def first_pending_index(self, start: int = 0) -> int | None:
        for i in list(range(start, len(self.keys))) + list(range(0, start)):
            if self.keys[i] not in self.decisions:
                return i
        return None

    def added_codes(self, segment_id: str) -> list[str]:
        return [
            c for (s, c), r in self.decisions.items() if s == segment_id and r["decision"] == ADDED
        ]

    # -- changes
    def decide(
        self,
        segment_id: str,
        code_id: str,
        decision: str,
        *,
        reason: str = "",
        now: datetime | None = None,
    ) -> dict[str, str]:
        """Validate one decision and append it to the log (flushed and fsynced)."""
        import pandas as pd

        row = {
            "segment_id": segment_id,
            "code_id": code_id,
            "coder_a": "",
            "coder_b": "",
            "decision": decision,
            "strategy": "interactive",
            "decided_by": self.decided_by,
            "reason": reason,
            "timestamp": timestamp(now),
        }
        checked = check_decisions(self.pair, pd.DataFrame([row])).to_dict("records")[0]
        return self.record(checked)

    def record(self, row: dict[str, str]) -> dict[str, str]:
        key = (row["segment_id"], row["code_id"])
        a_codes = set(self.pair.codes_of("a", key[0]))
        b_codes = set(self.pair.codes_of("b", key[0]))
        row = {c: str(row.get(c, "") or "") for c in DECISION_COLUMNS}
        row["coder_a"] = "1" if key[1] in a_codes else "0"
        row["coder_b"] = "1" if key[1] in b_codes else "0"
        append_decision(self.log_path, row)
        self.decisions[key] = row
        return row

    def finish(self, *, now: datetime | None = None) -> ReconcileResult:
        """Apply the complete log: the consensus, and the log rewritten one row per decision."""
        import pandas as pd

        from qualcode.io import write_csv_rows

        table = pd.DataFrame(list(self.decisions.values()), columns=list(DECISION_COLUMNS))
        result = reconcile_pair(
            self.pair,
            strategy="interactive",
            decisions=table,
            decided_by=self.decided_by,
            now=now,
            decisions_file=self.log_path,
            keep_strategy=True,
        )
        # Only rewrite when going back left superseded rows (the backup keeps them).
        if len(read_decisions(self.log_path)) != len(result.decisions):
            write_csv_rows(
                self.log_path, DECISION_COLUMNS, result.decisions.itertuples(index=False)
            )
        return result


def append_decision(path: str | Path, row: dict[str, str]) -> None:
    """Append one row (header first if the file is new), then flush and fsync: a kill -9 loses at
    most the decision being written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        if new:
            writer.writerow(DECISION_COLUMNS)
        writer.writerow([row.get(c, "") for c in DECISION_COLUMNS])
        fh.flush()
        with contextlib.suppress(OSError):
            os.fsync(fh.fileno())


# --- the negotiated path: a disagreements sheet the coders fill in discussion -------------------
SHEET_HELP: tuple[str, ...] = (
    "One row per disagreement: a code on a segment that one coder applied and the other did not "
    "(coder_a / coder_b: 1 applied, 0 not).",
    "Discuss each row and write the decision: keep (the code stays in the consensus) or drop; "
    "write the reason, and who decided in decided_by.",
    "To add a code neither coder applied, add a row: segment_id, code_id, decision add, reason.",
    "Rows left without a decision stay open: replaying the sheet asks for them (or a --strategy "
    "decides them mechanically, and the reports say so).",
    "Replay: qualcode reconcile A.csv B.csv --decisions THIS_FILE -o consensus.csv",
)


def disagreements_sheet(pair: CodingPair, segments: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every difference of `pair` as a sheet to fill in discussion (SHEET_COLUMNS): the code and its
    label, which coder applied it, both coders' codes on the segment and its text, and empty
    decision / reason / decided_by cells. Replayed with `--decisions` it is a decisions log."""
    import numpy as np
    import pandas as pd

    diffs = pair.differences
    out = pd.DataFrame(
        {
            "segment_id": diffs["segment_id"].to_numpy(),
            "code_id": diffs["code_id"].to_numpy(),
        }
    )
    book = pair.codebook
    out["code_label"] = [
        book.code(c).label if book is not None and c in book else "" for c in out["code_id"]
    ]
    out["coder_a"] = np.where(diffs["in_a"].to_numpy(dtype=bool), "1", "0")
    out["coder_b"] = np.where(diffs["in_b"].to_numpy(dtype=bool), "1", "0")
    for col in ("decision", "reason", "decided_by"):
        out[col] = ""
    if segments is not None and len(out):
        info = segments.drop_duplicates("segment_id").set_index("segment_id")
        info = info.reindex(out["segment_id"])
        out["speaker"] = info["speaker"].fillna("").astype(str).to_numpy()
        out["text"] = info["text"].fillna("").astype(str).to_numpy()
    else:
        out["speaker"] = ""
        out["text"] = ""

    def code_sets(df: pd.DataFrame) -> dict[str, str]:
        cells = _cells(df)
        cells = cells[cells["segment_id"].isin(set(out["segment_id"]))]
        ranked = _order(cells, pair.segment_rank, pair.code_rank)
        return ranked.groupby("segment_id", sort=False)["code_id"].agg(", ".join).to_dict()

    sets_a, sets_b = code_sets(pair.a), code_sets(pair.b)
    out["codes_a"] = [sets_a.get(s, "") for s in out["segment_id"]]
    out["codes_b"] = [sets_b.get(s, "") for s in out["segment_id"]]
    return out[list(SHEET_COLUMNS)].reset_index(drop=True)
