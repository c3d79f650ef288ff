"""Markdown for the narrative scaffold and the methods report, and for a whole study report.

The scaffold is headings to write under (construct > theme > idea), counts in italics, the
researcher's placeholders, and verbatim quotes as block quotes with their references. Quote text is
escaped (no raw HTML, so a markdown viewer never runs transcript text as markup).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qualcode.report.sections import quote_reference

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.analysis.methods import MethodsReport
    from qualcode.analysis.narrative import NarrativeReport
    from qualcode.analysis.study import StudyReport

MAX_DEPTH = 6


def md_escape(text: Any) -> str:
    """Plain text for markdown prose: angle brackets as entities, so no tag is ever raw HTML
    (ampersands stay readable: "Auerbach & Silverstein")."""
    s = "" if text is None else str(text)
    return s.replace("<", "&lt;").replace(">", "&gt;")


def _header(result: Any) -> list[str]:
    lines = [f"# {md_escape(result.title)}", ""]
    for warning in result.warnings:
        lines.append(f"> **Warning:** {md_escape(warning)}")
    if result.warnings:
        lines.append("")
    for note in result.notes:
        lines.append(f"- {md_escape(note)}")
    if result.notes:
        lines.append("")
    return lines


def _node(node: dict[str, Any], depth: int) -> list[str]:
    hashes = "#" * min(depth, MAX_DEPTH)
    lines = [
        f"{hashes} {md_escape(node['id'])} {md_escape(node['label'])}",
        "",
        f"*{node['mentions']} mentions; {md_escape(node['summary'])}*"
        + (f" — **{md_escape(node['flags'])}**" if node["flags"] else ""),
        "",
    ]
    if node["definition"]:
        lines.extend([f"Definition (codebook): {md_escape(node['definition'])}", ""])
    if node["placeholder"]:
        lines.extend([f"**{md_escape(node['placeholder'])}**", ""])
    for q in node["quotes"]:
        for line in str(q["text"]).splitlines() or [""]:
            lines.append(f"> {md_escape(line)}".rstrip())
        lines.append(">")
        lines.append(f"> — {md_escape(quote_reference(q))}")
        lines.append("")
    for child in node["children"]:
        lines.extend(_node(child, depth + 1))
    return lines


def narrative_markdown(result: NarrativeReport) -> str:
    from qualcode.analysis.narrative import placeholder
    from qualcode.report.markdown import markdown_table

    lines = _header(result)
    for node in result.sections():
        lines.extend(_node(node, 2))
    lines.extend(["## Leftovers (minor themes and diverse cases)", ""])
    lines.extend([f"**{placeholder('leftovers')}**", ""])
    lines.extend([markdown_table(result.leftovers), ""])
    return "\n".join(lines)


def methods_markdown(result: MethodsReport) -> str:
    from qualcode.report.markdown import markdown_table

    lines = _header(result)
    lines.extend(["## Methods paragraph", "", md_escape(result.paragraph), ""])
    lines.extend(["## COREQ items", "", markdown_table(result.coreq), ""])
    if len(result.agreement):
        lines.extend(["## Agreement before and after reconciliation", ""])
        lines.extend([markdown_table(result.agreement), ""])
    return "\n".join(lines)


def result_markdown(result: Any, *, figure: str | None = None) -> str:
    """Any result as markdown: the scaffold kinds here, the others by `render_markdown`."""
    if result.kind == "narrative":
        return narrative_markdown(result)
    if result.kind == "methods":
        return methods_markdown(result)
    from qualcode.report.markdown import render_markdown

    return render_markdown(result, figure=figure)


def study_markdown(report: StudyReport, *, figure: str | None = None) -> str:
    """Every section, one heading level down, after a list of contents."""
    lines = [f"# {md_escape(report.title)}", ""]
    for warning in report.warnings:
        lines.append(f"> **Note:** {md_escape(warning)}")
    if report.warnings:
        lines.append("")
    lines.extend(["## Contents", ""])
    for i, r in enumerate(report.results, start=1):
        lines.append(f"{i}. {md_escape(r.title)}")
    lines.append("")
    for r in report.results:
        text = result_markdown(r, figure=figure if r.kind == "saturation" else None)
        in_code = False
        for line in text.splitlines():
            if line.startswith("```"):
                in_code = not in_code
            demote = line.startswith("#") and not line.startswith("#" * MAX_DEPTH) and not in_code
            lines.append("#" + line if demote else line)
        lines.append("")
    return "\n".join(lines)
