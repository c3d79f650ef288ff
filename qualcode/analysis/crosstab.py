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
from qualcode.model import ROLE_PARTICIPANT, SOURCE_TYPES, Codebook
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
    rows: str = "code"  # code, theme, construct, or "code attribute <name>"
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
        return {"by": self.by, "count": self.count, "rows": self.rows}


def _attribute_lookup(data: StudyData, by: str):
    """value(transcript_id, speaker) -> category, and the roster participants' categories."""
    roster = data.roster
    if by == "transcript_id":
        return (lambda tid, speaker, pid: tid), None
    source_columns = transcript_attributes(data.segments)
    if (roster is None or by not in roster.columns) and by in source_columns:
        # A transcript's own attribute (source_type, or a sources-sheet column): every segment of
        # the transcript has it, speakerless sources too.
        seg = data.segments
        values = dict(
            zip(seg["transcript_id"], seg[by].fillna("").astype(str).str.strip(), strict=True)
        )
        return (lambda tid, speaker, pid: values.get(tid, "")), None
    if roster is None or by not in roster.columns:
        available = [
            "transcript_id",
            *source_columns,
            *(attribute_columns(roster) if roster is not None else []),
        ]
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


def transcript_attributes(segments: pd.DataFrame) -> list[str]:
    """Columns of segments.csv that describe whole transcripts: `source_type` when any value is
    stated, and any extra column (a sources sheet's organisation, site) constant per transcript."""
    from qualcode.model import SEGMENT_COLUMNS

    out = []
    if "source_type" in segments.columns and (segments["source_type"].fillna("") != "").any():
        out.append("source_type")
    for column in segments.columns:
        if column in SEGMENT_COLUMNS or column.startswith("_"):
            continue
        if column in ("segment_id", "code_id") or segments[column].dtype.kind not in "OSU":
            continue
        if (segments.groupby("transcript_id")[column].nunique(dropna=False) <= 1).all():
            out.append(column)
    return out


def _pct1(n: int, total: int) -> float:
    """100 n / total to one decimal, rounded half up (1/16 -> 6.3, where round() gives 6.2)."""
    import math

    return math.floor(1000 * int(n) / int(total) + 0.5 + 1e-9) / 10


ROW_LEVELS: tuple[str, ...] = ("codes", "themes", "constructs")
NOT_SET = "(not set)"


def code_attribute_values(codebook: Codebook, name: str) -> dict[str, str]:
    """code id -> the value of attribute `name`: the code's own, else its theme's, else its
    construct's (an attribute set on a theme applies to its ideas); NOT_SET when none has it."""
    out: dict[str, str] = {}
    for code in codebook.codes():
        value = dict(code.attributes).get(name)
        if value is None and code.theme_id is not None:
            value = dict(codebook.theme(code.theme_id).attributes).get(name)
        if value is None and code.construct_id is not None:
            value = dict(codebook.construct(code.construct_id).attributes).get(name)
        out[code.id] = value if value else NOT_SET
    return out


def _row_map(
    data: StudyData, rows: str, code_attribute: str | None
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """The crosstab's rows: (row ids in order, row id -> label, code id -> row id).

    Codes are the default; themes and constructs take the union of their codes (a participant
    counts once per row), and so do the values of a code attribute."""
    if code_attribute is None and rows == "codes":
        return list(data.code_ids), dict(data.labels), {c: c for c in data.code_ids}
    cb = data.codebook
    if cb is None:
        raise ContractError(
            "rows by theme, construct or code attribute need the codebook",
            hint="add --codebook codebook.yaml",
        )
    if code_attribute is not None:
        from qualcode.codebook import codebook_attributes

        found = codebook_attributes(cb)
        if code_attribute not in found:
            raise ContractError(
                f"no code attribute {code_attribute!r} in the codebook",
                file=cb.source,
                hint=f"attributes found: {', '.join(found) or 'none'} (any extra key on a code, "
                "theme or construct, e.g. component: core)",
            )
        values = code_attribute_values(cb, code_attribute)
        order = list(dict.fromkeys(v for v in values.values() if v != NOT_SET))
        if NOT_SET in values.values():
            order.append(NOT_SET)
        return order, {v: v for v in order}, values
    if rows == "themes":
        themes = cb.all_themes()
        link = {c.id: t.id for t in themes for c in t.codes}
        return [t.id for t in themes], {t.id: t.label for t in themes}, link
    if rows == "constructs":
        link = {c.id: k.id for k in cb.constructs for t in k.themes for c in t.codes}
        if not cb.constructs:
            raise ContractError("the codebook has no constructs", file=cb.source)
        return [k.id for k in cb.constructs], {k.id: k.label for k in cb.constructs}, link
    raise ContractError(f"rows must be one of {', '.join(ROW_LEVELS)}, got {rows!r}")


def crosstab_report(
    data: StudyData,
    by: str,
    *,
    count: str = "participants",
    rows: str = "codes",
    code_attribute: str | None = None,
) -> CrosstabReport:
    """Codes (codebook order) x the categories of `by`, counting `count` units. `rows` themes or
    constructs, or a `code_attribute` (its values), roll the codes up: a unit counts once per row."""
    import pandas as pd

    if count not in COUNT_UNITS:
        raise ContractError(f"count must be one of {', '.join(COUNT_UNITS)}, got {count!r}")
    unit = COUNT_UNITS[count]
    lookup, roster_people = _attribute_lookup(data, by)
    row_ids, row_labels, row_of_code = _row_map(data, rows, code_attribute)

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
    # Each coding counts toward its row (the code itself, or its theme / construct / value).
    applied = applied.assign(code_id=applied["code_id"].map(row_of_code))
    applied = applied[applied["code_id"].notna()]
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
    elif by == "source_type":
        known = {t: i for i, t in enumerate(SOURCE_TYPES)}
        ordered = sorted(real, key=lambda c: (known.get(c, len(known)), c))
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
    table = table.reindex(index=row_ids, columns=ordered, fill_value=0).fillna(0).astype(int)
    totals = applied.groupby("code_id")[unit].nunique().reindex(row_ids, fill_value=0)

    ids = {"id": row_ids, "label": [row_labels.get(c, c) for c in row_ids]}
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
    what = f"code attribute {code_attribute}" if code_attribute else rows[:-1]
    report.rows = what
    if what != "code":
        report.title = f"{what[0].upper()}{what[1:]} by {by} ({count})"
        rows_are = f"values of the {what}" if code_attribute else f"{what}s"
        report.notes.append(
            f"Rows are the {rows_are}: each counts the union of its codes, so a unit with two "
            "of them counts once."
        )
    report.notes.append(
        f"Cells count {count} per {what} and {by}; shown as n (column %), where the column % is of "
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
    if data.has_spans:
        from qualcode.spans import turn_unit_note

        report.notes.append(turn_unit_note("the crosstab"))
    report.notes.extend(data.notes)
    return report
