"""Writing analysis results (`qualcode.analysis`) as md, csv, xlsx, json, html or docx, generic
over tables.

CSV and XLSX are report exports: every cell is neutralised against formula injection. A CSV file holds
one table: the primary table goes to the named file and each other table beside it as
`<stem>.<table>.csv`. JSON is exactly `result.to_dict()`. HTML and docx: `report.html_report`,
`report.docx_report` (figures embedded).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import OutputError
from qualcode.io import (
    DERIVED_KEEP,
    atomic_write_bytes,
    atomic_write_text,
    neutralise_formula,
    write_frame_csv,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.analysis.result import ReportResult

WRAP_COLUMNS = ("text", "summary", "detail", "reason", "label", "new_code_ids")


def pick_table(result: ReportResult, table: str | None) -> tuple[str, pd.DataFrame]:
    tables = result.tables()
    if table is None:
        return next(iter(tables.items()))
    if table not in tables:
        raise OutputError(
            f"the {result.kind} report has no table {table!r}",
            hint=f"tables: {', '.join(tables)}",
        )
    return table, tables[table]


def csv_text(df: pd.DataFrame) -> str:
    """A table as CSV text, formula-neutralised."""
    safe = df.map(neutralise_formula)
    buffer = io.StringIO()
    write_frame_csv(safe, buffer)  # a cell holding \r quoted
    return buffer.getvalue()


def json_text(result: ReportResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_analysis(result: ReportResult, fmt: str, *, table: str | None = None) -> str:
    """md, csv (one table) or json as text, for stdout."""
    if fmt == "md":
        from qualcode.report.scaffold_markdown import result_markdown

        return result_markdown(result)
    if fmt == "html":
        from qualcode.report.html_report import render_html

        return render_html([result])
    if fmt == "csv":
        return csv_text(pick_table(result, table)[1])
    if fmt == "json":
        return json_text(result)
    raise OutputError(f"cannot render {fmt!r} as text")


def write_analysis(
    result: ReportResult, fmt: str, path: str | Path, *, table: str | None = None
) -> list[Path]:
    """Write the result to `path` in `fmt`; returns every file written (figures, extra tables)."""
    path = Path(path)
    written: list[Path] = []
    if fmt == "md":
        from qualcode.report.scaffold_markdown import result_markdown

        figure = None
        if result.kind == "saturation" and len(result.curve):  # type: ignore[attr-defined]
            from qualcode.report.figures import discovery_curve_png

            png = path.with_name(f"{path.stem}.discovery.png")
            written.append(atomic_write_bytes(png, discovery_curve_png(result), keep=DERIVED_KEEP))  # type: ignore[arg-type]
            figure = png.name
        written.insert(
            0, atomic_write_text(path, result_markdown(result, figure=figure), keep=DERIVED_KEEP)
        )
    elif fmt == "json":
        written.append(atomic_write_text(path, json_text(result), keep=DERIVED_KEEP))
    elif fmt == "csv":
        if table is not None:
            written.append(
                atomic_write_text(path, csv_text(pick_table(result, table)[1]), keep=DERIVED_KEEP)
            )
        else:
            for i, (name, df) in enumerate(result.tables().items()):
                target = path if i == 0 else path.with_name(f"{path.stem}.{name}.csv")
                written.append(atomic_write_text(target, csv_text(df), keep=DERIVED_KEEP))
    elif fmt == "xlsx":
        from qualcode.report.tables import write_xlsx

        written.append(write_xlsx(path, result.tables(), wrap_columns=WRAP_COLUMNS))
    elif fmt == "html":
        from qualcode.report.html_report import write_html

        written.append(write_html([result], path))
    elif fmt == "docx":
        from qualcode.report.docx_report import write_docx

        written.append(write_docx([result], path))
    else:
        raise OutputError(f"cannot write {fmt!r} files", file=path)
    return written
