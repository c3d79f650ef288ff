"""Writing report tables to CSV and XLSX safely.

Report exports are opened in spreadsheets, so every cell that a spreadsheet would run as a formula
(= + - @ ...) is neutralised; files are written atomically with a backup of what they replace.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.io import (
    DERIVED_KEEP,
    atomic_write_bytes,
    neutralise_formula,
    write_dataframe_csv,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_XLSX_SHEET_NAME_MAX = 31
_XLSX_BAD_SHEET_CHARS = set("[]:*?/\\")


def _sheet_name(name: str, used: set[str]) -> str:
    clean = (
        "".join("_" if ch in _XLSX_BAD_SHEET_CHARS else ch for ch in name)[:_XLSX_SHEET_NAME_MAX]
        or "Sheet"
    )
    candidate, n = clean, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = clean[: _XLSX_SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def write_table_csv(df: pd.DataFrame, path: str | Path, *, keep: int | None = DERIVED_KEEP) -> Path:
    """A report table as CSV, formula-neutralised, atomic, with a backup of the version it
    replaces (`keep`: how many; None = as many as a study file)."""
    return write_dataframe_csv(df, path, neutralise=True, keep=keep)


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame], *, wrap_columns: tuple[str, ...] = ()) -> bytes:
    """An .xlsx workbook with one sheet per table: bold frozen header, sensible widths, cells
    neutralised against formula injection and written as values (never formulas)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, df in sheets.items():
        ws = wb.create_sheet(_sheet_name(str(name), used))
        ws.append([_xlsx_value(str(c)) for c in df.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in df.itertuples(index=False, name=None):
            ws.append([_xlsx_value(v) for v in row])
        ws.freeze_panes = "A2"
        for idx, col in enumerate(df.columns, start=1):
            letter = get_column_letter(idx)
            values = [str(col)] + [str(v) for v in df[col].head(200).tolist()]
            width = min(max(len(v) for v in values) + 2, 60)
            ws.column_dimensions[letter].width = max(width, 8)
            if col in wrap_columns:
                for cell in ws[letter][1:]:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: object) -> object:
    import math

    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, str):
        # openpyxl would store a leading "=" as a formula; neutralise first, and strip control chars
        # that are illegal in XML.
        value = neutralise_formula(value)
        value = "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 32)
    return value


def write_xlsx(
    path: str | Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    keep: int | None = DERIVED_KEEP,
    **kwargs,
) -> Path:
    """Write `xlsx_bytes(sheets)` atomically, with a backup of the version it replaces (`keep`:
    how many; None = as many as a study file)."""
    return atomic_write_bytes(path, xlsx_bytes(sheets, **kwargs), keep=keep)
