"""The decisions log: the strategies and decision words, reading a log, and checking it against the
pair of codings (every row a reviewed segment, a known code, a real difference)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError
from qualcode.model import DECISION_COLUMNS, DECISIONS
from qualcode.reconcile.pair import CodingPair, _cells, _distinct, _in_sorted

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

AUTOMATIC_STRATEGIES: tuple[str, ...] = ("union", "intersection", "prefer-a", "prefer-b")
STRATEGIES: tuple[str, ...] = (*AUTOMATIC_STRATEGIES, "interactive")
REPLAY = "replay"
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


def is_mechanical(decisions: pd.DataFrame) -> pd.Series:
    """Per row of a decisions log: taken by a rule, not in discussion. `decided_by` "rule:<name>"
    (this version), or a mechanical `strategy` (logs written before rules were named)."""
    by = decisions["decided_by"].fillna("").astype(str)
    strategy = decisions["strategy"].fillna("").astype(str)
    return by.str.startswith(RULE_PREFIX) | strategy.isin(AUTOMATIC_STRATEGIES)


def mechanical_rules(decisions: pd.DataFrame) -> list[str]:
    """The rules (union, ...) that decided rows of a decisions log, in first-use order."""
    rules = []
    # a rule depends on the row's (decided_by, strategy) only: one pass over the distinct pairs,
    # in first-use order, gives the same first-use order of the rules
    distinct = decisions[["decided_by", "strategy"]].drop_duplicates()
    for by, strategy in zip(distinct["decided_by"], distinct["strategy"], strict=True):
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


def _stripped(values: pd.Series) -> list[str]:
    """The cells as stripped strings (str.strip, as pandas' .str.strip(), at list speed)."""
    # over a plain list: iterating a pandas string column goes through __getitem__ per value
    return [v.strip() for v in values.fillna("").astype(str).tolist()]


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
    return checked_decisions(pair, decisions, file=file, repeats=repeats)[0]


def checked_decisions(
    pair: CodingPair,
    decisions: pd.DataFrame,
    *,
    file: str | Path | None = None,
    repeats: str = "error",
) -> tuple[pd.DataFrame, np.ndarray]:
    """`check_decisions`, with each returned row's cell key (`PairKeys`): the rows are looked up
    once, here, and reconcile goes on with their keys."""
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
        return df, np.empty(0, dtype="int64")

    keys = pair.keys
    seg_col, code_col = df["segment_id"], df["code_id"]
    seg = keys.segment_ranks(seg_col)
    code = keys.code_ranks(code_col)
    decided = np.where((seg >= 0) & (code >= 0), seg * keys.width + code, -1)
    applied = [_distinct(k[k % keys.width != 0]) for k in (keys.a, keys.b)]
    has_a, has_b = (_in_sorted(decided, cells) & (decided >= 0) for cells in applied)
    known = pair.known_codes
    if pair.codebook is None:  # every code either coder applied
        used = _distinct(np.concatenate(applied) % keys.width)
        known = known | set(keys.codes[used].tolist())
    names = {"a": pair.coder_a, "b": pair.coder_b}

    # Vectorised: which rows pass every check of the row loop below. The loop then runs only from
    # the first row that does not (it raises there, with the message and line it always gave).
    words = df["decision"].str.lower().map(_DECISION_WORDS)
    on = np.where(seg >= 0, seg, 0)
    reviewed_row = (seg >= 0) & (keys.reviewed_a | keys.reviewed_b)[on]
    both_row = (seg >= 0) & keys.both[on]
    ok = (seg_col != "").to_numpy() & (code_col != "").to_numpy() & words.notna().to_numpy()
    ok &= reviewed_row & code_col.isin(known).to_numpy()
    for column, actual in (("coder_a", has_a), ("coder_b", has_b)):
        flag_text = df[column].str.lower()
        true, false = flag_text.isin(_TRUE).to_numpy(), flag_text.isin(_FALSE).to_numpy()
        ok &= (flag_text == "").to_numpy() | (true & actual) | (false & ~actual)
    added = (words == ADDED).to_numpy()
    ok &= np.where(added, ~has_a & ~has_b, both_row & (has_a != has_b))
    out_decision: list[str] = words.where(ok, "").tolist()
    first_bad = int(np.argmin(ok)) if not ok.all() else len(df)
    if first_bad < len(df):
        reviewed = pair.reviewed
        both = set(pair.both)
        cells_a_df, cells_b_df = _cells(pair.a), _cells(pair.b)
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

    # every row now names a ranked cell: its key stands for (segment_id, code_id); rows of one
    # cell sit together once the keys are sorted (a stable sort keeps them in file order)
    order = np.argsort(decided, kind="stable")
    ordered = decided[order]
    same = ordered[1:] == ordered[:-1]
    dup = np.zeros(len(df), dtype=bool)
    dup[order[1:][same]] = True
    dup[order[:-1][same]] = True
    if dup.any():
        if repeats == "last":
            last = np.ones(len(df), dtype=bool)
            last[order[:-1][same]] = False  # a later row decides the same cell
            df = df[last]
            decided = decided[last]
        else:
            first = int(dup.nonzero()[0][0])
            key = (df["segment_id"].iat[first], df["code_id"].iat[first])
            same = (df["segment_id"] == key[0]) & (df["code_id"] == key[1])
            rows = [str(int(positions[i]) + 2) for i in same.to_numpy().nonzero()[0]]
            raise ContractError(
                f"rows {' and '.join(rows)} both decide {key[1]} on {key[0]}",
                file=file,
                line=int(rows[1]),
                hint="keep exactly one decision per (segment_id, code_id)",
            )
    return pd.DataFrame(df).reset_index(drop=True), decided
