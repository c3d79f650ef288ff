"""Writing a whole study report (`qualcode.analysis.study.StudyReport`) as one html, docx, md,
json or xlsx file. XLSX sheets are "<kind> <table>", every cell neutralised against formulas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import OutputError
from qualcode.io import DERIVED_KEEP, atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.analysis.study import StudyReport

STUDY_FORMATS = ("html", "docx", "md", "json", "xlsx")


def render_study(report: StudyReport, fmt: str) -> str:
    """html, md or json as text, for stdout."""
    if fmt == "html":
        from qualcode.report.html_report import render_html

        return render_html(report.results, title=report.title)
    if fmt == "md":
        from qualcode.report.scaffold_markdown import study_markdown

        return study_markdown(report)
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    raise OutputError(f"cannot render a study report as {fmt!r} text")


def write_study(report: StudyReport, fmt: str, path: str | Path) -> list[Path]:
    """Write the study report to `path` in `fmt`; returns every file written."""
    path = Path(path)
    if fmt == "docx":
        from qualcode.report.docx_report import write_docx

        return [write_docx(report.results, path, title=report.title)]
    if fmt == "xlsx":
        from qualcode.report.analysis_export import WRAP_COLUMNS
        from qualcode.report.tables import write_xlsx

        return [write_xlsx(path, report.tables(), wrap_columns=WRAP_COLUMNS)]
    if fmt == "md":
        from qualcode.report.scaffold_markdown import study_markdown

        written: list[Path] = []
        figure = None
        saturation = [r for r in report.results if r.kind == "saturation"]
        if saturation and len(saturation[0].curve):  # type: ignore[attr-defined]
            from qualcode.report.figures import discovery_curve_png

            png = path.with_name(f"{path.stem}.discovery.png")
            written.append(
                atomic_write_bytes(png, discovery_curve_png(saturation[0]), keep=DERIVED_KEEP)
            )  # type: ignore[arg-type]
            figure = png.name
        written.insert(
            0, atomic_write_text(path, study_markdown(report, figure=figure), keep=DERIVED_KEEP)
        )
        return written
    if fmt in ("html", "json"):
        return [atomic_write_text(path, render_study(report, fmt), keep=DERIVED_KEEP)]
    raise OutputError(f"cannot write a study report as {fmt!r}", file=path)
