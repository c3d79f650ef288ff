"""One document view of report results, shared by the HTML and the docx renderers.

Generic over `ReportResult` (title, summary, notes, warnings, named tables): every result becomes a
section with its tables as rows of display strings. Three kinds get one special block each: the
hierarchy and the narrative a tree (construct > theme > idea with counts and quotes), the methods
its paragraph; saturation its discovery curve (PNG bytes). Text stays plain text here; escaping is
the renderer's job (jinja2 autoescape, python-docx runs).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.analysis.result import ReportResult

TABLE_TITLES: dict[str, str] = {
    "hierarchy": "Counts",
    "flags": "Flags",
    "quotes": "Exemplar quotes",
    "matrix": "Repeating ideas x groups (participants per cell)",
    "leftovers": "Leftovers (ideas voiced by one participant; ideas outside the tree)",
    "negative_cases": "Negative cases (codings flagged #negative)",
    "attributes": "Counts by code attribute (union of the codes with each value)",
    "memos": "Memos",
    "runs": "Runs",
    "events": "New codes per event",
    "sensitivity": "Sensitivity (base 4-6, run 2-3, threshold 0%/5%)",
    "curve": "Discovery curve",
    "table1": "Table 1",
    "cells": "Cells (long form)",
    "group_sizes": "Group sizes",
    "crosstab": "Crosstab, n (column %)",
    "counts": "Counts",
    "row_percent": "Row %",
    "column_percent": "Column %",
    "columns": "Column denominators",
    "jaccard": "Jaccard similarity",
    "pairs": "Pairs",
    "outline": "Outline",
    "coreq": "COREQ items",
    "agreement": "Agreement before and after reconciliation (pooled)",
    "paragraph": "Methods paragraph, sentence by sentence",
}
# Tables a document shows in another form (the tree, the paragraph); csv/xlsx/json keep them.
SHOWN_OTHERWISE: dict[str, tuple[str, ...]] = {
    # the outline shows each idea's quotes under it; memos get a section per theme (memo_groups)
    "hierarchy": ("quotes", "memos"),
    "narrative": ("outline", "quotes"),
    "methods": ("paragraph",),
}
TODO_TEXTS = ("to complete by hand",)
TODO_PREFIXES = ("[To complete", "[Write here")


def cell_text(value: Any) -> str:
    """A cell as display text: numbers tidy (3 decimals at most), missing as empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    if value.__class__.__name__ in ("NAType", "NaTType"):
        return ""
    if hasattr(value, "item") and not isinstance(value, str):
        return cell_text(value.item())
    if isinstance(value, (list, tuple)):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {cell_text(v)}" for k, v in value.items())
    return str(value)


def is_todo(text: str) -> bool:
    return text in TODO_TEXTS or text.startswith(TODO_PREFIXES)


@dataclass
class Cell:
    text: str
    numeric: bool = False
    todo: bool = False


@dataclass
class Table:
    id: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]


@dataclass
class Quote:
    text: str
    reference: str


@dataclass
class MemoView:
    heading: str  # "2026-11-03, Ana: title"
    text: str


@dataclass
class MemoGroup:
    id: str
    title: str  # "Study memos", "Theme T2: Peer support"
    memos: list[MemoView]


@dataclass
class Node:
    level: str
    id: str
    label: str
    counts: str
    flags: str = ""
    definition: str = ""
    placeholder: str = ""
    quotes: list[Quote] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)


@dataclass
class Section:
    id: str
    kind: str
    title: str
    warnings: list[str]
    summary: list[tuple[str, str]]
    notes: list[str]
    tables: list[Table]
    tree: list[Node] = field(default_factory=list)
    tree_title: str = ""
    paragraph: list[Cell] = field(default_factory=list)
    figure: bytes | None = None
    figure_alt: str = ""
    memos: list[MemoGroup] = field(default_factory=list)

    @property
    def figure_b64(self) -> str:
        """The figure as base64 text, for a self-contained data: URI."""
        import base64

        return base64.b64encode(self.figure).decode("ascii") if self.figure else ""


@dataclass
class Document:
    title: str
    sections: list[Section]
    subtitle: str = ""

    def section(self, section_id: str) -> Section:
        """The section with this anchor (the contents list its tree's constructs, themes, ideas)."""
        return next(s for s in self.sections if s.id == section_id)

    def toc(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(id, title, [(sub id, sub title)]) per section."""
        out = []
        for s in self.sections:
            subs = []
            if s.paragraph:
                subs.append((f"{s.id}-paragraph", "Methods paragraph"))
            if s.tree:
                subs.append((f"{s.id}-tree", s.tree_title))
            if s.memos:
                subs.append((f"{s.id}-memos", "Memos"))
            if s.figure:
                subs.append((f"{s.id}-figure", "Discovery curve (figure)"))
            subs.extend((t.id, t.title) for t in s.tables)
            out.append((s.id, s.title, subs))
        return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def table_view(df: pd.DataFrame, table_id: str, title: str) -> Table:
    import pandas as pd

    numeric = [
        pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        for c in df.columns
    ]
    rows = []
    for row in df.itertuples(index=False, name=None):
        cells = []
        for value, num in zip(row, numeric, strict=True):
            text = cell_text(value)
            cells.append(Cell(text, num, is_todo(text)))
        rows.append(cells)
    return Table(table_id, title, [str(c) for c in df.columns], rows)


def _summary(result: ReportResult) -> list[tuple[str, str]]:
    out = []
    for key, value in result.summary().items():
        if key == "paragraph":
            continue
        text = cell_text(value)
        if text:
            out.append((key.replace("_", " "), text))
    return out


def quote_reference(q: dict[str, Any]) -> str:
    """How a quote is attributed in documents: its label (--quote-label), the turn it comes from,
    and the mark of a turn that also stands for another idea (issue 12: never unmarked)."""
    label = str(q.get("label") or "") or str(q.get("reference") or "")
    text = f"{label}; segment {q.get('segment_id')}"
    if q.get("also_quoted_for"):
        text += f"; also quoted for {q['also_quoted_for']} (no other turn left)"
    if q.get("flagged"):
        text += "; chosen by the researcher"
    return text


def _hierarchy_tree(result: Any) -> list[Node]:
    h = result.hierarchy
    quotes: dict[str, list[Quote]] = {}
    for q in result.quotes.itertuples(index=False):
        quotes.setdefault(q.idea_id, []).append(Quote(str(q.text), quote_reference(q._asdict())))
    nodes: dict[str, Node] = {}
    top: list[Node] = []
    for row in h.itertuples(index=False):
        node = Node(
            level=row.level,
            id=str(row.id),
            label=str(row.label),
            counts=f"{row.mentions} mentions; {row.summary}",
            flags=str(row.flags),
            quotes=quotes.get(row.id, []) if row.level == "idea" else [],
        )
        nodes[node.id] = node
        parent = nodes.get(row.parent_id) if row.parent_id else None
        (parent.children if parent is not None else top).append(node)
    return top


MEMO_KIND_TITLES = {"construct": "Construct", "theme": "Theme", "code": "Code"}


def memo_groups(memos: pd.DataFrame, section_id: str = "") -> list[MemoGroup]:
    """The memos table (qualcode.memos.memos_table, already in codebook order) as one group per
    study / construct / theme / code, each memo headed by its date, author and title."""
    groups: list[MemoGroup] = []
    for row in memos.itertuples(index=False):
        if row.about == "study":
            key, title = "study", "Study memos"
        else:
            key = f"{row.about}-{row.id}"
            title = f"{MEMO_KIND_TITLES.get(row.about, row.about)} {row.id}"
            title += f": {row.label}" if row.label else ""
        if not groups or groups[-1].id != f"{section_id}-memos-{_slug(key)}":
            groups.append(MemoGroup(f"{section_id}-memos-{_slug(key)}", title, []))
        heading = f"{row.date}, {row.author}" + (f": {row.title}" if row.title else "")
        groups[-1].memos.append(MemoView(heading + f" ({row.file})", str(row.text)))
    return groups


def _narrative_tree(result: Any) -> list[Node]:
    def build(d: dict[str, Any]) -> Node:
        return Node(
            level=d["level"],
            id=str(d["id"]),
            label=str(d["label"]),
            counts=f"{d['mentions']} mentions; {d['summary']}",
            flags=str(d["flags"] or ""),
            definition=str(d["definition"] or ""),
            placeholder=str(d["placeholder"] or ""),
            quotes=[Quote(str(q["text"]), quote_reference(q)) for q in d["quotes"]],
            children=[build(c) for c in d["children"]],
        )

    return [build(d) for d in result.sections()]


def section_view(
    result: ReportResult, *, section_id: str | None = None, figures: bool = True
) -> Section:
    """The document view of one result."""
    sid = section_id or _slug(result.kind)
    skip = SHOWN_OTHERWISE.get(result.kind, ())
    tables = [
        table_view(df, f"{sid}-{_slug(name)}", TABLE_TITLES.get(name, name))
        for name, df in result.tables().items()
        if name not in skip
    ]
    section = Section(
        id=sid,
        kind=result.kind,
        title=result.title,
        warnings=list(result.warnings),
        summary=_summary(result),
        notes=list(result.notes),
        tables=tables,
    )
    if result.kind == "hierarchy":
        section.tree = _hierarchy_tree(result)
        section.tree_title = "Outline"
        memos = getattr(result, "memos", None)
        if memos is not None and len(memos):
            section.memos = memo_groups(memos, sid)
    elif result.kind == "narrative":
        section.tree = _narrative_tree(result)
        section.tree_title = "Narrative by construct"
    elif result.kind == "methods":
        section.paragraph = [
            Cell(str(s), todo=status != "from data")
            for s, status in result.sentences.itertuples(index=False, name=None)  # type: ignore[attr-defined]
        ]
    if figures and result.kind == "saturation" and len(result.curve):  # type: ignore[attr-defined]
        from qualcode.report.figures import discovery_curve_png

        section.figure = discovery_curve_png(result)  # type: ignore[arg-type]
        section.figure_alt = (
            "Discovery curve: share of all final codes seen after each event, in data-collection "
            "order"
        )
    return section


def document_view(
    results: list[ReportResult], *, title: str | None = None, figures: bool = True
) -> Document:
    """A document of one or more results, each a section with a unique anchor."""
    used: set[str] = set()
    sections = []
    for result in results:
        base = _slug(result.kind)
        sid, n = base, 2
        while sid in used:
            sid, n = f"{base}-{n}", n + 1
        used.add(sid)
        sections.append(section_view(result, section_id=sid, figures=figures))
    if title is None:
        title = results[0].title if len(results) == 1 else "Study report"
    return Document(title=title, sections=sections)
