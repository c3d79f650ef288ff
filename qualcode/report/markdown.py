"""Markdown rendering of the analysis results (`qualcode.analysis`), generic over their tables.

A result gives a title, summary scalars, notes, warnings and named DataFrames; this module turns any
of them into GitHub-flavoured markdown. The hierarchy also gets an outline (construct > theme > idea
with counts and exemplar quotes), because a table alone hides the tree.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.analysis.result import ReportResult

# One set of table titles for every renderer (markdown, html, docx).
from qualcode.report.sections import TABLE_TITLES  # noqa: E402


def md_text(value: Any) -> str:
    """A cell as markdown-safe text: pipes escaped, line breaks as <br>, missing as empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value.__class__.__name__ == "NAType":
        return ""
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    else:
        text = str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def markdown_table(df: pd.DataFrame) -> str:
    """One DataFrame as a markdown table (numbers right-aligned)."""
    import pandas as pd

    headers = [md_text(c) for c in df.columns]
    align = [
        "---:"
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        else "---"
        for c in df.columns
    ]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in df.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(md_text(v) for v in row) + " |")
    if df.empty:
        lines.append("| " + " | ".join("" for _ in headers) + " |")
    return "\n".join(lines)


def _summary_lines(summary: dict[str, Any]) -> list[str]:
    out = []
    for key, value in summary.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if value is None or value == "":
            continue
        out.append(f"- **{key.replace('_', ' ')}**: {md_text(value)}")
    return out


def hierarchy_outline(result: ReportResult) -> list[str]:
    """Construct > theme > idea as nested bullets with counts, flags and quotes."""
    from qualcode.report.sections import quote_reference

    h = result.hierarchy  # type: ignore[attr-defined]
    quotes = result.quotes  # type: ignore[attr-defined]
    depth = {"construct": 0, "theme": 1, "idea": 2}
    has_constructs = (h["level"] == "construct").any()
    lines: list[str] = []
    for row in h.itertuples(index=False):
        indent = depth[row.level] - (0 if has_constructs else 1)
        if row.level == "idea" and row.parent_id == "":
            indent = 0
        pad = "  " * max(indent, 0)
        flags = f" — *{row.flags}*" if row.flags else ""
        lines.append(
            f"{pad}- **{md_text(row.id)}** {md_text(row.label)} ({row.mentions} mentions; "
            f"{md_text(row.summary)}){flags}"
        )
        if row.level == "idea":
            for q in quotes[quotes["idea_id"] == row.id].itertuples(index=False):
                ref = quote_reference(q._asdict())
                lines.append(f'{pad}  > "{md_text(q.text)}" ({md_text(ref)})')
    return lines


def memos_markdown(result: ReportResult) -> list[str]:
    """The hierarchy's memos, a heading per study / construct / theme / code; each memo's text as
    a block quote with angle brackets escaped (a memo is the researcher's Markdown, never HTML)."""
    from qualcode.report.scaffold_markdown import md_escape
    from qualcode.report.sections import memo_groups

    memos = getattr(result, "memos", None)
    if memos is None or not len(memos):
        return []
    lines = ["## Memos", ""]
    for group in memo_groups(memos):
        lines.extend([f"### {md_escape(group.title)}", ""])
        for memo in group.memos:
            lines.extend([f"**{md_escape(memo.heading)}**", ""])
            lines.extend(f"> {md_escape(line)}".rstrip() for line in memo.text.splitlines())
            lines.append("")
    return lines


def table1_markdown(result: ReportResult) -> str:
    """Table 1 as one pasteable markdown table: a bold row per characteristic, its categories
    below, then the notes and warnings as footnotes."""
    table = result.table  # type: ignore[attr-defined]
    columns = [c for c in table.columns if c not in ("characteristic", "category")]
    lines = [f"# {md_text(result.title)}", ""]
    lines.append("| Characteristic | " + " | ".join(md_text(c) for c in columns) + " |")
    lines.append("| --- |" + " ---: |" * len(columns))
    last = None
    for row in table.to_dict(orient="records"):
        name = row["characteristic"]
        if name != last and row["category"] not in ("N", "Median (range)"):
            lines.append(f"| **{md_text(name)}** |" + " |" * len(columns))
        last = name
        label = (
            row["category"]
            if row["category"] not in ("N", "Median (range)")
            else (f"{name}, {row['category'].lower()}" if row["category"] != "N" else "N")
        )
        cells = [md_text("" if row.get(c) is None else row.get(c)) for c in columns]
        lines.append(f"| {md_text(label)} | " + " | ".join(cells) + " |")
    lines.append("")
    for warning in result.warnings:
        lines.append(f"> **Warning:** {md_text(warning)}")
    for note in result.notes:
        lines.append(f"*{md_text(note)}*  ")
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(result: ReportResult, *, figure: str | None = None) -> str:
    """The whole result as markdown; `figure` is an image path to embed (the discovery curve).
    Table 1 is one table to paste (its long form goes to csv, xlsx and json)."""
    if result.kind == "demographics":
        return table1_markdown(result)
    lines = [f"# {md_text(result.title)}", ""]
    for warning in result.warnings:
        lines.append(f"> **Warning:** {md_text(warning)}")
    if result.warnings:
        lines.append("")
    summary = _summary_lines(result.summary())
    if summary:
        lines.extend([*summary, ""])
    for note in result.notes:
        lines.append(f"- {md_text(note)}")
    if result.notes:
        lines.append("")
    if result.kind == "hierarchy":
        lines.extend(["## Outline", "", *hierarchy_outline(result), ""])
        lines.extend(memos_markdown(result))
    if figure:
        lines.extend([f"![Discovery curve]({figure})", ""])
    for name, df in result.tables().items():
        if result.kind == "hierarchy" and name == "memos":
            continue  # shown above, a section per theme
        lines.extend([f"## {TABLE_TITLES.get(name, name)}", "", markdown_table(df), ""])
    return "\n".join(lines)
