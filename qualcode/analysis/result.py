"""The shape every report result shares, so renderers stay generic over a report's tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def json_value(value: Any) -> Any:
    """A cell as a JSON-native value: numpy scalars unwrapped, NaN/NA as None, tuples as lists."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value.__class__.__name__ in ("NAType", "NaTType"):
        return None
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as a list of JSON-native row dicts (column order kept).

    Column by column (a wide table, the idea x group matrix, has a column per transcript): each
    column's values as iterating it gives them (what `itertuples` zips), through `json_value`
    unless the column holds numpy ints or booleans, which iterate as Python ints and bools."""
    import numpy as np

    cols = [str(c) for c in df.columns]
    if not cols:
        return [{} for _ in range(len(df))]
    values = []
    for k in range(len(cols)):
        column = df.iloc[:, k]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
            values.append(list(column))
        else:
            values.append([json_value(v) for v in column])
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]


@dataclass
class ReportResult:
    """Base of every report result: a title, notes (statements a reader needs, e.g. denominators),
    warnings, and named tables in display order (the first is the primary table)."""

    # Tables too detailed for a terminal (still in md, csv, xlsx and json).
    terminal_skip: ClassVar[tuple[str, ...]] = ()
    # Columns a terminal table leaves out (kept everywhere else), per table.
    terminal_hide: ClassVar[dict[str, tuple[str, ...]]] = {}

    kind: str = field(default="", init=False)
    title: str = field(default="", init=False)
    notes: list[str] = field(default_factory=list, init=False)
    warnings: list[str] = field(default_factory=list, init=False)

    def tables(self) -> dict[str, pd.DataFrame]:  # pragma: no cover - overridden
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Scalars that belong in the JSON beside the tables (overridden per report)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "summary": json_value(self.summary()),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "tables": {name: records(df) for name, df in self.tables().items()},
        }
