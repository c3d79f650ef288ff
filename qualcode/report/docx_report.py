"""Report results as a Word document (python-docx): headings, a table of contents field, real
Word tables with a repeated, shaded header row, quotes as block quotes and the figures as pictures.

Word fills the contents field when the file is opened (the document asks it to update fields);
the headings themselves use the built-in Heading styles, so Word's navigation pane lists them too.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.io import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.analysis.result import ReportResult
    from qualcode.report.sections import Document, Node, Section, Table

HEADER_FILL = "DCE6F0"
TODO_FILL = "FFF3C4"
MAX_HEADING = 6


def clean(text: str) -> str:
    """Text Word can store: XML-illegal control characters dropped (tabs and newlines kept)."""
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or ord(ch) >= 32)


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _toc_field(doc) -> None:
    """A TOC field (headings 1-3) and the setting that makes Word fill it on opening."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = doc.add_paragraph()

    def fld(kind: str) -> None:
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)

    fld("begin")
    instr = paragraph.add_run()._r
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = 'TOC \\o "1-3" \\h \\z \\u'
    instr.append(text)
    fld("separate")
    paragraph.add_run("Contents: open in Word and update fields (F9) if this is not filled in.")
    fld("end")
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


def _table(doc, t: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc.add_heading(clean(t.title), level=2)
    n = max(len(t.columns), 1)
    table = doc.add_table(rows=1, cols=n)
    table.style = doc.styles["Table Grid"]
    header = table.rows[0]
    _repeat_header(header)
    for cell, name in zip(header.cells, t.columns, strict=False):
        cell.text = ""
        run = cell.paragraphs[0].add_run(clean(name))
        run.bold = True
        _shade(cell, HEADER_FILL)
    if not t.rows:
        cells = table.add_row().cells
        cells[0].text = "(none)"
    for row in t.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = clean(value.text)
            if value.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if value.todo:
                _shade(cell, TODO_FILL)


def _node(doc, node: Node, depth: int) -> None:
    from docx.enum.text import WD_COLOR_INDEX

    doc.add_heading(clean(f"{node.id} {node.label}"), level=min(depth, MAX_HEADING))
    counts = doc.add_paragraph()
    counts.add_run(clean(node.counts)).italic = True
    if node.flags:
        counts.add_run(clean(f" — {node.flags}")).bold = True
    if node.definition:
        p = doc.add_paragraph()
        p.add_run("Definition (codebook): ").bold = True
        p.add_run(clean(node.definition))
    if node.placeholder:
        run = doc.add_paragraph().add_run(clean(node.placeholder))
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    for q in node.quotes:
        p = doc.add_paragraph(style="Quote")
        p.add_run(clean(q.text))
        p.add_run("\n")
        p.add_run(clean(f"({q.reference})")).italic = False
    for child in node.children:
        _node(doc, child, depth + 1)


def _section(doc, s: Section) -> None:
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Inches

    doc.add_heading(clean(s.title), level=1)
    for w in s.warnings:
        p = doc.add_paragraph()
        p.add_run("Warning: ").bold = True
        p.add_run(clean(w))
    for key, value in s.summary:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(clean(f"{key}: ")).bold = True
        p.add_run(clean(value))
    for note in s.notes:
        doc.add_paragraph(clean(note), style="List Bullet")
    if s.paragraph:
        doc.add_heading("Methods paragraph", level=2)
        p = doc.add_paragraph()
        for i, cell in enumerate(s.paragraph):
            run = p.add_run(clean(cell.text) + (" " if i < len(s.paragraph) - 1 else ""))
            if cell.todo:
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    if s.tree:
        doc.add_heading(clean(s.tree_title), level=2)
        for node in s.tree:
            _node(doc, node, 3)
    if s.figure:
        doc.add_heading("Discovery curve", level=2)
        doc.add_picture(io.BytesIO(s.figure), width=Inches(6))
        doc.add_paragraph(clean(s.figure_alt), style="Caption")
    for t in s.tables:
        _table(doc, t)


def document_docx_bytes(view: Document) -> bytes:
    from docx import Document as new_document

    from qualcode import __version__

    doc = new_document()
    doc.core_properties.title = clean(view.title)
    doc.core_properties.author = f"qualcode {__version__}"
    doc.add_heading(clean(view.title), level=0)
    if view.subtitle:
        doc.add_paragraph(clean(view.subtitle))
    doc.add_paragraph("Contents", style="TOC Heading")
    _toc_field(doc)
    for section in view.sections:
        _section(doc, section)
    doc.add_paragraph(f"Made with qualcode {__version__}.")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def docx_bytes(
    results: list[ReportResult], *, title: str | None = None, figures: bool = True
) -> bytes:
    """One .docx holding every result as a section, in order."""
    from qualcode.report.sections import document_view

    return document_docx_bytes(document_view(results, title=title, figures=figures))


def write_docx(results: list[ReportResult], path: str | Path, *, title: str | None = None) -> Path:
    """Write `docx_bytes(results)` atomically (backup of a replaced file)."""
    return atomic_write_bytes(path, docx_bytes(results, title=title))
