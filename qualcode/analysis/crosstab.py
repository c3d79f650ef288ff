"""Codes x an attribute (clinic role, site, source type, group...): who voiced what, where.

The unit counted is participants (default: distinct participant ids), segments or transcripts. An
attribute is read from the roster row of the segment's speaker; a person-level value missing on one row
is taken from the same participant's other rows, and a value constant over a transcript (site, source
type) also labels its unknown speakers. Row % = share of the code's units in each column; column % =
share of the column's units (all counted data, coded or not) that carry the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from qualcode.analysis.data import StudyData
from qualcode.analysis.demographics import MISSING, category_key, is_ordered, n_percent
from qualcode.analysis.result import ReportResult
from qualcode.errors import ContractError
from qualcode.model import ROLE_PARTICIPANT
from qualcode.roster import attribute_columns, maps_speakers, speaker_key

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

COUNT_UNITS = {
    "participants": "participant_id",
    "segments": "segment_id",
    "transcripts": "transcript_id",
}


@dataclass
class CrosstabReport(ReportResult):
    """Counts, row and column percentages, and the column denominators."""

    counts: pd.DataFrame
    row_percent: pd.DataFrame
    column_percent: pd.DataFrame
    columns: pd.DataFrame
    display: pd.DataFrame
    by: str
    count: str
    terminal_skip: ClassVar[tuple[str, ...]] = ("counts", "column_percent")

    def __post_init__(self) -> None:
        self.kind = "crosstab"
        self.title = f"Codes by {self.by} ({self.count})"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "crosstab": self.display,
            "counts": self.counts,
            "row_percent": self.row_percent,
            "column_percent": self.column_percent,
            "columns": self.columns,
        }

    def summary(self) -> dict[str, Any]:
        return {"by": self.by, "count": self.count}


def _attribute_lookup(data: StudyData, by: str):
    """value(transcript_id, speaker) -> category, and the roster participants' categories."""
    roster = data.roster
    if by == "transcript_id":
        return (lambda tid, speaker, pid: tid), None
    if roster is None or by not in roster.columns:
        available = ["transcript_id", *(attribute_columns(roster) if roster is not None else [])]
        raise ContractError(
            f"no attribute {by!r} to cross codes with",
            hint=f"attributes available: {', '.join(available)}"
            + ("" if roster is not None else " (a roster adds attribute columns)"),
        )
    values = roster[by].str.strip()
    person: dict[str, str] = {}
    for pid, v in zip(roster["participant_id"], values, strict=True):
        if pid and v and pid not in person:
            person[pid] = v
    per_transcript: dict[str, str] = {}
    for tid, group in values.groupby(roster["transcript_id"]):
        distinct = {v for v in group if v}
        if len(distinct) == 1:
            per_transcript[tid] = distinct.pop()
    row_value: dict[tuple[str, str], str] = {}
    for tid, speaker, pid, v in zip(
        roster["transcript_id"], roster["speaker"], roster["participant_id"], values, strict=True
    ):
        row_value[(tid, speaker_key(speaker))] = (
            v or person.get(pid, "") or per_transcript.get(tid, "")
        )

    sheet = not maps_speakers(roster)

    def lookup(tid: str, speaker: str, pid: str) -> str:
        if sheet:  # a participant sheet: the attribute is the person's
            return person.get(pid, "") or per_transcript.get(tid, "")
        return row_value.get((tid, speaker_key(speaker)), "") or per_transcript.get(tid, "")

    rows = roster[
        (roster["role"] == ROLE_PARTICIPANT) & roster["transcript_id"].isin(data.transcripts)
    ]
    roster_people = [
        (pid, person.get(pid, "") if sheet else row_value[(tid, speaker_key(s))])
        for tid, s, pid in zip(
            rows["transcript_id"], rows["speaker"], rows["participant_id"], strict=True
        )
    ]
    return lookup, roster_people


def _pct1(n: int, total: int) -> float:
    """100 n / total to one decimal, rounded half up (1/16 -> 6.3, where round() gives 6.2)."""
    import math

    return math.floor(1000 * int(n) / int(total) + 0.5 + 1e-9) / 10


def crosstab_report(data: StudyData, by: str, *, count: str = "participants") -> CrosstabReport:
    """Codes (codebook order) x the categories of `by`, counting `count` units."""
    import pandas as pd

    if count not in COUNT_UNITS:
        raise ContractError(f"count must be one of {', '.join(COUNT_UNITS)}, got {count!r}")
    unit = COUNT_UNITS[count]
    lookup, roster_people = _attribute_lookup(data, by)

    seg = data.counted_segments()
    seg = seg.assign(
        _cat=[
            lookup(t, s, p) or MISSING
            for t, s, p in zip(
                seg["transcript_id"], seg["speaker"], seg["participant_id"], strict=True
            )
        ]
    )
    applied = data.applied.merge(seg[["segment_id", "_cat"]], on="segment_id", how="left")
    if count == "participants":
        applied = applied[applied["participant_id"] != ""]
        base = seg[seg["participant_id"] != ""][["participant_id", "_cat"]]
        if roster_people:
            extra = pd.DataFrame(roster_people, columns=["participant_id", "_cat"])
            extra["_cat"] = extra["_cat"].replace("", MISSING)
            base = pd.concat([base, extra], ignore_index=True)
    else:
        base = seg[[unit, "_cat"]]
    denominators = base.groupby("_cat")[unit].nunique()

    cats = list(dict.fromkeys(base["_cat"].tolist()))
    real = [c for c in cats if c != MISSING]
    if by == "transcript_id":
        ordered = [t for t in data.transcripts if t in set(real)]
    elif is_ordered(real):
        ordered = sorted(real, key=category_key)
    else:
        roster_order = (
            list(dict.fromkeys(v.strip() for v in data.roster[by] if v.strip()))
            if data.roster is not None and by in data.roster.columns
            else []
        )
        ordered = [c for c in roster_order if c in set(real)] + [
            c for c in real if c not in set(roster_order)
        ]
    if MISSING in cats:
        ordered.append(MISSING)

    cells = applied.groupby(["code_id", "_cat"])[unit].nunique()
    table = cells.unstack(fill_value=0) if len(cells) else pd.DataFrame()
    table = table.reindex(index=data.code_ids, columns=ordered, fill_value=0).fillna(0).astype(int)
    totals = applied.groupby("code_id")[unit].nunique().reindex(data.code_ids, fill_value=0)

    ids = {"id": data.code_ids, "label": [data.labels.get(c, c) for c in data.code_ids]}
    counts = pd.DataFrame(ids)
    row_pct = pd.DataFrame(ids)
    col_pct = pd.DataFrame(ids)
    display = pd.DataFrame(ids)
    for cat in ordered:
        n = table[cat].to_numpy()
        denom = int(denominators.get(cat, 0))
        counts[cat] = n
        row_pct[cat] = [_pct1(a, t) if t else None for a, t in zip(n, totals, strict=True)]
        col_pct[cat] = [_pct1(a, denom) if denom else None for a in n]
        display[cat] = [n_percent(int(a), denom) if denom else str(a) for a in n]
    counts["total"] = totals.to_numpy().astype(int)
    display["total"] = counts["total"]
    columns = pd.DataFrame(
        {"category": ordered, "denominator": [int(denominators.get(c, 0)) for c in ordered]}
    )
    report = CrosstabReport(
        counts=counts,
        row_percent=row_pct,
        column_percent=col_pct,
        columns=columns,
        display=display,
        by=by,
        count=count,
    )
    report.notes.append(
        f"Cells count {count} per code and {by}; shown as n (column %), where the column % is of "
        f"all {count} in that column: "
        + ", ".join(
            f"{c} {d}" for c, d in zip(columns["category"], columns["denominator"], strict=True)
        )
        + "."
    )
    if count == "participants":
        report.notes.append(
            "A participant whose segments fall in two columns (e.g. two sites) counts in both; "
            "unknown speakers are not participants."
        )
    if not data.include_facilitator:
        report.notes.append("Facilitator turns are excluded.")
    report.notes.extend(data.notes)
    return report
