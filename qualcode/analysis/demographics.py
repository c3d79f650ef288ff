"""Table 1: who took part, from the roster, as n (%) per category of every attribute.

Counted: roster rows with role participant, one per distinct participant_id (someone in two groups
counts once; conflicting attribute values between their rows give a warning and the first non-empty
value is used). Empty cells are "Missing/declined", a category of its own; percentages are of all N
participants (of the stratum, when stratified), rounded half up to whole numbers as journals print them.
Ordered categories (age bands) sort by their numbers and get a median category, stated with the
number of people it rests on ("50-54, n = 27"). A numeric attribute (age in years: plain numbers,
more than NUMERIC_MIN_DISTINCT distinct values, or named in `numeric`) is summarised as mean (SD)
and median (IQR, range), not one row per value. A parent row ("Any prior group treatment") adds up
declared sub-categories (`parents`). Long-form percentages are computed from the counts, unrounded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from qualcode.analysis.data import ORDER_COLUMNS, resolve_event_order
from qualcode.analysis.result import ReportResult
from qualcode.errors import ContractError
from qualcode.model import ROLE_PARTICIPANT
from qualcode.roster import attribute_columns

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MISSING = "Missing/declined"
GROUP_STRATUM = "transcript_id"  # stratify per group (a participant in two groups is in both)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)?")
NUMERIC_MIN_DISTINCT = 6  # fewer distinct numbers read as categories (e.g. 1-5 ratings)


def is_numeric(values: Sequence[str]) -> bool:
    """Plain numbers only (no bands), with at least NUMERIC_MIN_DISTINCT distinct values."""
    present = [v.strip() for v in values if v and v.strip()]
    return (
        bool(present)
        and all(_PLAIN_NUMBER.fullmatch(v) for v in present)
        and len(set(present)) >= NUMERIC_MIN_DISTINCT
    )


def numeric_summary(values: Sequence[str]) -> tuple[str, str, int]:
    """("mean (SD)", "median (IQR q1-q3, range lo-hi)", n) of the non-empty values; SD is the
    sample SD (n - 1), quartiles by linear interpolation (numpy's default, Hyndman & Fan type 7)."""
    import numpy as np

    x = np.array([float(v.replace(",", ".")) for v in values if v and v.strip()], dtype=float)
    if not len(x):
        return "", "", 0
    sd = float(x.std(ddof=1)) if len(x) > 1 else float("nan")
    q1, med, q3 = (float(v) for v in np.percentile(x, [25, 50, 75]))

    def f(v: float) -> str:
        return f"{v:.1f}"

    mean_sd = f"{f(float(x.mean()))} ({f(sd) if sd == sd else '-'})"
    median_iqr = f"{f(med)} ({f(q1)}-{f(q3)}, range {x.min():g}-{x.max():g})"
    return mean_sd, median_iqr, len(x)


def journal_percent(n: int, total: int) -> str:
    """A whole-number percentage rounded half up (54.5 -> 55), "<1" for a small non-zero share."""
    if total == 0:
        return "-"
    value = Decimal(n) * 100 / Decimal(total)
    if 0 < value < Decimal("0.5"):
        return "<1"
    return str(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_text(value: float, digits: int = 0) -> str:
    """A share (0.625) as a percentage rounded half up as journals print it ("63%"; one decimal:
    "62.5%"); "-" when undefined. Float noise (29/200 = 0.14499...) is absorbed before rounding."""
    import math

    if value is None or value != value:
        return "-"
    scale = 10**digits
    rounded = math.floor(abs(value) * 100 * scale + 0.5 + 1e-9) / scale
    text = f"{math.copysign(rounded, value) if rounded else 0.0:.{digits}f}"
    return f"{text}%"


def n_percent(n: int, total: int) -> str:
    """ "28 (85%)"."""
    return f"{n} ({journal_percent(n, total)}%)"


def category_key(value: str) -> tuple:
    """Natural order for bands: "<30" < "30-34" < "40-44" < "65+" (numbers compared as numbers)."""
    text = value.strip().lower()
    first = _NUMBER.search(text)
    lower_open = text.startswith(("<", "under", "less", "below"))
    parts = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]
    return (float(first.group()) if first else float("inf"), -1 if lower_open else 0, str(parts))


def is_ordered(values: Sequence[str]) -> bool:
    """Categories that all carry a number (age bands, years of treatment) are ordered."""
    values = [v for v in values if v]
    return bool(values) and all(_NUMBER.search(v) for v in values)


def median_category(values: Sequence[str]) -> str:
    """The median of ordered categories: the middle one (or "a/b" if the middle two differ)."""
    ordered = sorted((v for v in values if v), key=category_key)
    if not ordered:
        return ""
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    a, b = ordered[mid - 1], ordered[mid]
    return a if a == b else f"{a}/{b}"


def _pretty(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def _median_number(values: Sequence[int]) -> str:
    import statistics

    m = statistics.median(values)
    return f"{m:g}"


@dataclass
class DemographicsReport(ReportResult):
    """Table 1 (display strings), the same numbers long (one row per cell) and the group sizes."""

    table: pd.DataFrame
    long: pd.DataFrame
    group_sizes: pd.DataFrame
    n: int
    attributes: list[str]
    stratify: str | None = None
    medians: dict[str, str] = field(default_factory=dict)
    terminal_skip: ClassVar[tuple[str, ...]] = ("cells",)

    def __post_init__(self) -> None:
        self.kind = "demographics"
        self.title = "Table 1. Participant characteristics"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"table1": self.table, "cells": self.long, "group_sizes": self.group_sizes}

    def summary(self) -> dict[str, Any]:
        sizes = self.group_sizes["participants"].tolist()
        return {
            "n": self.n,
            "attributes": self.attributes,
            "stratify": self.stratify,
            "medians": self.medians,
            "group_sizes": sizes,
            "group_size_median": _median_number(sizes) if sizes else None,
            "group_size_range": [min(sizes), max(sizes)] if sizes else None,
        }


def participant_table(
    roster: pd.DataFrame, attributes: Sequence[str], *, roster_path: str | Path | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """One row per distinct participant with their attribute values, and conflict warnings."""
    import pandas as pd

    rows = roster[roster["role"] == ROLE_PARTICIPANT]
    warnings: list[str] = []
    records = []
    for pid, group in rows.groupby("participant_id", sort=False):
        record: dict[str, str] = {"participant_id": pid}
        for attr in attributes:
            values = [v.strip() for v in group[attr].tolist() if v.strip()]
            distinct = list(dict.fromkeys(values))
            if len(distinct) > 1:
                where = f" ({roster_path})" if roster_path else ""
                warnings.append(
                    f"participant {pid} has conflicting {attr} values in the roster{where}: "
                    f"{', '.join(distinct)}; using {distinct[0]!r}"
                )
            record[attr] = distinct[0] if distinct else ""
        records.append(record)
    return pd.DataFrame(records, columns=["participant_id", *attributes]), warnings


def default_attributes(roster: pd.DataFrame) -> list[str]:
    """Attribute columns that describe people: not event order/date, not any *_id column."""
    return [
        c
        for c in attribute_columns(roster)
        if c not in ORDER_COLUMNS and not c.lower().endswith("_id")
    ]


def demographics_report(
    roster: pd.DataFrame,
    *,
    attributes: Sequence[str] | None = None,
    stratify: str | None = None,
    roster_path: str | Path | None = None,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    parents: dict[str, list[tuple[str, list[str]]]] | None = None,
) -> DemographicsReport:
    """Table 1 from a roster (read_roster); `stratify` by an attribute or by transcript_id.

    `numeric` / `categorical` override the detection of numeric attributes; `parents` maps an
    attribute to (parent label, its sub-categories) pairs, each shown as a row of its own above
    the sub-categories."""
    import pandas as pd

    parents = parents or {}
    for attr, groups in parents.items():
        if attr not in roster.columns:
            raise ContractError(
                f"parent row for {attr!r}: the roster has no such column", file=roster_path, line=1
            )
        present = set(roster[attr].tolist())
        for label, cats in groups:
            missing = [c for c in cats if c not in present]
            if missing:
                raise ContractError(
                    f"parent row {label!r}: {attr} has no category {', '.join(map(repr, missing))}",
                    file=roster_path,
                    hint=f"categories here: {', '.join(sorted(v for v in present if v))}",
                )

    if attributes is None:
        attributes = default_attributes(roster)
    else:
        attributes = [a.strip() for a in attributes if a.strip()]
        unknown = [a for a in attributes if a not in roster.columns]
        if unknown:
            raise ContractError(
                f"roster has no column(s) {', '.join(unknown)}",
                file=roster_path,
                line=1,
                hint=f"attribute columns here: {', '.join(attribute_columns(roster)) or 'none'}",
            )
    if stratify is not None and stratify not in roster.columns:
        raise ContractError(
            f"cannot stratify by {stratify!r}: the roster has no such column",
            file=roster_path,
            line=1,
            hint=f"columns here: {', '.join(roster.columns)}",
        )
    if stratify == GROUP_STRATUM and not (roster["transcript_id"] != "").any():
        raise ContractError(
            "cannot stratify by transcript_id: this participant sheet does not say who was in "
            "which transcript",
            file=roster_path,
            line=1,
            hint="add a transcript_id column, or stratify by an attribute",
        )
    attributes = [a for a in attributes if a != stratify]
    people, warnings = participant_table(
        roster,
        [*attributes, *([stratify] if stratify and stratify != GROUP_STRATUM else [])],
        roster_path=roster_path,
    )
    n_total = len(people)
    if n_total == 0:
        raise ContractError("the roster lists no participants (role participant)", file=roster_path)

    # Strata: (label, participant records). Per group, a participant sits in every group they joined.
    strata: list[tuple[str, pd.DataFrame]] = [("Total", people)]
    if stratify == GROUP_STRATUM:
        part = roster[roster["role"] == ROLE_PARTICIPANT]
        for tid in _group_order(roster, roster_path):
            ids = set(part.loc[part["transcript_id"] == tid, "participant_id"])
            strata.append((tid, people[people["participant_id"].isin(ids)]))
    elif stratify is not None:
        values = people[stratify].tolist()
        levels = sorted(set(v for v in values if v), key=_sort_key_for(values))
        if "" in values:
            levels.append("")
        for level in levels:
            strata.append((level or MISSING, people[people[stratify] == level]))

    long_rows: list[dict[str, Any]] = []
    medians: dict[str, str] = {}

    def cell(characteristic, category, stratum, n: int | None, total: int | None, text: str):
        long_rows.append(
            {
                "characteristic": characteristic,
                "category": category,
                "stratum": stratum,
                "n": n,
                "denominator": total,
                # From the counts, unrounded (28/33 = 84.848..., never rounded twice).
                "percent": None if n is None or not total else 100 * n / total,
                "value": text,
            }
        )

    for label, sub in strata:
        cell("Participants", "N", label, len(sub), len(sub), str(len(sub)))
    for attr in attributes:
        values_all = people[attr].tolist()
        if attr in numeric or (attr not in categorical and is_numeric(values_all)):
            for label, sub in strata:
                mean_sd, median_iqr, n = numeric_summary(sub[attr].tolist())
                cell(_pretty(attr), "Mean (SD)", label, None, None, mean_sd)
                cell(_pretty(attr), "Median (IQR, range)", label, None, None, median_iqr)
            if "" in values_all:
                for label, sub in strata:
                    n = int((sub[attr] == "").sum())
                    cell(_pretty(attr), MISSING, label, n, len(sub), n_percent(n, len(sub)))
            continue
        ordered = is_ordered(values_all)
        cats = sorted({v for v in values_all if v}, key=_sort_key_for(values_all))
        if "" in values_all:
            cats.append("")
        # Parent rows: each declared parent right before its first sub-category, children indented.
        child_of = {c: label for label, kids in parents.get(attr, []) for c in kids}
        kids_of = dict(parents.get(attr, []))
        shown_parents: set[str] = set()
        ordered_cats: list[str] = []
        for cat in cats:
            parent = child_of.get(cat)
            if parent is not None:
                if parent in shown_parents:
                    continue
                shown_parents.add(parent)
                ordered_cats.append(("parent", parent))
                ordered_cats.extend(("child", c) for c in cats if child_of.get(c) == parent)
            else:
                ordered_cats.append(("cat", cat))
        for kind, cat in ordered_cats:
            for label, sub in strata:
                if kind == "parent":
                    n = int(sub[attr].isin(kids_of[cat]).sum())
                    cell(_pretty(attr), cat, label, n, len(sub), n_percent(n, len(sub)))
                    continue
                n = int((sub[attr] == cat).sum())
                name = cat or MISSING
                if kind == "child":
                    name = f"- {cat[:1].lower()}{cat[1:]}"
                cell(_pretty(attr), name, label, n, len(sub), n_percent(n, len(sub)))
        if ordered:
            for label, sub in strata:
                med = median_category(sub[attr].tolist())
                n_known = int((sub[attr] != "").sum())
                if label == "Total":
                    medians[attr] = med
                cell(
                    _pretty(attr),
                    "Median",
                    label,
                    n_known,
                    None,
                    f"{med}, n = {n_known}" if med else "",
                )

    group_sizes = _group_sizes(roster, roster_path)
    sizes = group_sizes["participants"].tolist()
    if len(sizes) > 1:
        text = f"{_median_number(sizes)} ({min(sizes)}-{max(sizes)})"
        for label, _ in strata:
            cell(
                "Group size", "Median (range)", label, None, None, text if label == "Total" else ""
            )

    long = pd.DataFrame(
        long_rows,
        columns=["characteristic", "category", "stratum", "n", "denominator", "percent", "value"],
    )
    long["n"] = long["n"].astype("Int64")
    long["denominator"] = long["denominator"].astype("Int64")
    table = _wide(long, strata)
    report = DemographicsReport(
        table=table,
        long=long,
        group_sizes=group_sizes,
        n=n_total,
        attributes=list(attributes),
        stratify=stratify,
        medians=medians,
    )
    report.warnings.extend(warnings)
    report.notes.append(
        f"N = {n_total} distinct participants (a participant in several groups counts once). "
        "Values are n (%); percentages are of all participants"
        + (" in each column" if stratify else f" (denominator {n_total})")
        + ", missing/declined included, rounded half up to whole numbers, so they may not sum "
        "to 100."
    )
    if len(sizes) > 1:
        report.notes.append(
            f"Group sizes: {', '.join(str(s) for s in sizes)} "
            f"(median {_median_number(sizes)}, range {min(sizes)}-{max(sizes)})."
        )
    for attr, med in medians.items():
        report.notes.append(f"Median {_pretty(attr).lower()}: {med}.")
    return report


def _sort_key_for(values: Sequence[str]):
    """Ordered categories by number; others by frequency (most common first), then first seen."""
    if is_ordered(values):
        return category_key
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for i, v in enumerate(values):
        counts[v] = counts.get(v, 0) + 1
        first.setdefault(v, i)
    return lambda v: (-counts[v], first[v])


def _group_order(roster: pd.DataFrame, roster_path: str | Path | None) -> list[str]:
    transcripts = list(dict.fromkeys(roster["transcript_id"].tolist()))
    if any(c in roster.columns for c in ORDER_COLUMNS):
        return resolve_event_order(transcripts, roster, None, roster_path=roster_path)
    return transcripts


def _group_sizes(roster: pd.DataFrame, roster_path: str | Path | None) -> pd.DataFrame:
    """Distinct participants per transcript, in event order when the roster gives it."""
    import pandas as pd

    part = roster[roster["role"] == ROLE_PARTICIPANT]
    # A participant sheet without transcript_id says nothing about groups.
    order = _group_order(roster, roster_path) if (roster["transcript_id"] != "").any() else []
    sizes = [int(part.loc[part["transcript_id"] == t, "participant_id"].nunique()) for t in order]
    return pd.DataFrame({"transcript_id": order, "participants": sizes})


def _wide(long: pd.DataFrame, strata: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Display Table 1: characteristic, category, then one "n (%)" column per stratum."""
    import pandas as pd

    headers = {label: f"{label} (N={len(sub)})" for label, sub in strata}
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for r in long.itertuples(index=False):
        row = rows.setdefault(
            (r.characteristic, r.category),
            {"characteristic": r.characteristic, "category": r.category},
        )
        row[headers[r.stratum]] = r.value
    return pd.DataFrame(
        list(rows.values()), columns=["characteristic", "category", *headers.values()]
    )
