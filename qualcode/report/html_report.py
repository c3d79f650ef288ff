"""Report results as one self-contained HTML page (jinja2, autoescaped, inline CSS that prints
well, figures as base64 data URIs, no external assets) with a table of contents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.io import DERIVED_KEEP, atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.analysis.result import ReportResult
    from qualcode.report.sections import Document


def render_document_html(doc: Document) -> str:
    from qualcode import __version__
    from qualcode.report.html import render_template

    return render_template("report_base.html.j2", doc=doc, version=__version__)


def render_html(
    results: list[ReportResult], *, title: str | None = None, figures: bool = True
) -> str:
    """One HTML page holding every result as a section, in order."""
    from qualcode.report.sections import document_view

    return render_document_html(document_view(results, title=title, figures=figures))


def write_html(results: list[ReportResult], path: str | Path, *, title: str | None = None) -> Path:
    """Write `render_html(results)` atomically (backup of a replaced file)."""
    return atomic_write_text(path, render_html(results, title=title), keep=DERIVED_KEEP)
