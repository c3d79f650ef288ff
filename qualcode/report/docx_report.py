"""Report results as a Word document (python-docx): headings, a table of contents field, real
Word tables with a repeated, shaded header row, quotes as block quotes and the figures as pictures.

Word fills the contents field when the file is opened (the document asks it to update fields);
the headings themselves use the built-in Heading styles, so Word's navigation pane lists them too.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.io import DERIVED_KEEP, atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.analysis.result import ReportResult
    from qualcode.report.sections import Document, Node, Section, Table

HEADER_FILL = "DCE6F0"
TABLE_FONT_PT = 8  # tables of counts and quotes fit the page in a smaller size
MARGIN_INCHES = 0.75
TODO_FILL = "FFF3C4"
MAX_HEADING = 6


class _Writer:
    """A document being written. Paragraph styles are set by style id: python-docx resolves a style
    given by name or object by scanning every style (about 10 ms a call), which dominated the time
    of a long report."""

    def __init__(self, doc) -> None:
        self.doc = doc
        self._ids: dict[str, str] = {}
        section = doc.sections[0]
        self.text_width = int(section.page_width - section.left_margin - section.right_margin)

    def style(self, name: str):
        return self.doc.styles[name]

    def style_id(self, name: str) -> str:
        if name not in self._ids:
            self._ids[name] = self.doc.styles[name].style_id
        return self._ids[name]

    def para(self, text: str = "", style: str | None = None):
        paragraph = self.doc.add_paragraph(clean(text))
        if style:
            paragraph._p.style = self.style_id(style)
        return paragraph

    def heading(self, text: str, level: int):
        return self.para(text, "Title" if level == 0 else f"Heading {level}")


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


def _toc_field(w: _Writer) -> None:
    """A TOC field (headings 1-3) and the setting that makes Word fill it on opening."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = w.para()

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
    settings = w.doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


def column_widths(t: Table, total: int, font_pt: float = 8, cap: int = 60) -> list[int]:
    """Column widths (EMU) that add up to `total`, from the text the columns hold: first each
    column gets its longest word (words never break letter by letter; they may break after - _ /),
    then the rest of the width goes to the columns with longer text, in proportion (long text
    wraps). When the words alone need more than `total`, all columns shrink in proportion."""
    import re

    n = max(len(t.columns), 1)
    need = [1] * n  # longest unbreakable piece, in characters
    want = [1] * n  # longest cell (capped), in characters
    texts = [list(t.columns), *([c.text for c in row] for row in t.rows)]
    for row in texts:
        for i, text in enumerate(row[:n]):
            pieces = re.split(r"\s+|(?<=[-_/])", text)
            need[i] = max(need[i], max((len(x) for x in pieces), default=0))
            want[i] = max(want[i], min(len(text), cap))
    char = font_pt * 0.5 * 12700  # average character width, EMU
    pad = 0.16 * 914400  # Word's default cell margins, both sides
    base = [(x + 1) * char + pad for x in need]
    if sum(base) >= total:
        return [int(total * b / sum(base)) for b in base]
    extra = [max(w - x, 0) for w, x in zip(want, need, strict=True)]
    room = total - sum(base)
    if not sum(extra):
        return [int(b + room / n) for b in base]
    share = [room * e / sum(extra) for e in extra]
    return [int(b + x) for b, x in zip(base, share, strict=True)]


def _table(w: _Writer, t: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Emu, Pt

    w.heading(t.title, 2)
    n = max(len(t.columns), 1)
    table = w.doc.add_table(rows=1, cols=n)
    table.style = w.style("Table Grid")
    table.autofit = False
    widths = [Emu(x) for x in column_widths(t, w.text_width, TABLE_FONT_PT)]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    small = Pt(TABLE_FONT_PT)
    header = table.rows[0]
    _repeat_header(header)
    for cell, name, width in zip(header.cells, t.columns, widths, strict=False):
        cell.width = width
        run = cell.paragraphs[0].add_run(clean(name))
        run.bold = True
        run.font.size = small
        _shade(cell, HEADER_FILL)
    if not t.rows:
        cells = table.add_row().cells
        cells[0].text = "(none)"
    for row in t.rows:
        cells = table.add_row().cells
        for cell, value, width in zip(cells, row, widths, strict=False):
            cell.width = width
            run = cell.paragraphs[0].add_run(clean(value.text))
            run.font.size = small
            if value.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if value.todo:
                _shade(cell, TODO_FILL)


def _node(w: _Writer, node: Node, depth: int) -> None:
    from docx.enum.text import WD_COLOR_INDEX

    w.heading(f"{node.id} {node.label}", min(depth, MAX_HEADING))
    counts = w.para()
    counts.add_run(clean(node.counts)).italic = True
    if node.flags:
        counts.add_run(clean(f" — {node.flags}")).bold = True
    if node.definition:
        p = w.para()
        p.add_run("Definition (codebook): ").bold = True
        p.add_run(clean(node.definition))
    if node.placeholder:
        run = w.para().add_run(clean(node.placeholder))
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    for q in node.quotes:
        p = w.para(style="Quote")
        p.add_run(clean(q.text))
        p.add_run("\n")
        p.add_run(clean(f"({q.reference})")).italic = False
    for child in node.children:
        _node(w, child, depth + 1)


def _section(w: _Writer, s: Section) -> None:
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Inches

    w.heading(s.title, 1)
    for warning in s.warnings:
        p = w.para()
        p.add_run("Warning: ").bold = True
        p.add_run(clean(warning))
    for key, value in s.summary:
        p = w.para(style="List Bullet")
        p.add_run(clean(f"{key}: ")).bold = True
        p.add_run(clean(value))
    for note in s.notes:
        w.para(note, "List Bullet")
    if s.paragraph:
        w.heading("Methods paragraph", 2)
        p = w.para()
        for i, cell in enumerate(s.paragraph):
            run = p.add_run(clean(cell.text) + (" " if i < len(s.paragraph) - 1 else ""))
            if cell.todo:
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    if s.tree:
        w.heading(s.tree_title, 2)
        for node in s.tree:
            _node(w, node, 3)
    if s.memos:
        w.heading("Memos", 2)
        for group in s.memos:
            w.heading(group.title, 3)
            for memo in group.memos:
                w.para().add_run(clean(memo.heading)).bold = True
                for line in memo.text.split("\n"):
                    w.para(line)
    if s.figure:
        w.heading("Discovery curve", 2)
        w.doc.add_picture(io.BytesIO(s.figure), width=Inches(6))
        w.para(s.figure_alt, "Caption")
    for t in s.tables:
        _table(w, t)


def document_docx_bytes(view: Document) -> bytes:
    from docx import Document as new_document
    from docx.shared import Inches

    from qualcode import __version__

    doc = new_document()
    for sec in doc.sections:
        sec.left_margin = sec.right_margin = Inches(MARGIN_INCHES)
    w = _Writer(doc)
    doc.core_properties.title = clean(view.title)
    doc.core_properties.author = f"qualcode {__version__}"
    w.heading(view.title, 0)
    if view.subtitle:
        w.para(view.subtitle)
    w.para("Contents", "TOC Heading")
    _toc_field(w)
    for section in view.sections:
        _section(w, section)
    w.para(f"Made with qualcode {__version__}.")
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
    return atomic_write_bytes(path, docx_bytes(results, title=title), keep=DERIVED_KEEP)
