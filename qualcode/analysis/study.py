"""Every report on one study at once (`qualcode report all`): hierarchy, narrative scaffold,
saturation, demographics, crosstab (when an attribute is named), co-occurrence and methods, computed
from one `StudyData` so all sections agree with each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualcode.analysis.data import EventOrderError, StudyData

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.analysis.result import ReportResult

STUDY_STEPS = 7  # progress() calls made by study_report


@dataclass
class StudyReport:
    """The sections in display order, plus what was left out and why."""

    results: list[ReportResult]
    title: str = "Study report"
    warnings: list[str] = field(default_factory=list)
    kind: str = "all"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "warnings": list(self.warnings),
            "sections": [r.to_dict() for r in self.results],
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every section's tables, named "<kind> <table>" (for one workbook)."""
        return {f"{r.kind} {name}": df for r in self.results for name, df in r.tables().items()}


def study_report(
    data: StudyData,
    *,
    quotes: int = 3,
    quote_label: str | None = None,
    saturation_options: dict[str, Any] | None = None,
    by: str | None = None,
    coder_a: pd.DataFrame | None = None,
    coder_b: pd.DataFrame | None = None,
    consensus: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    files: dict[str, Any] | None = None,
    reviewed: str = "codings",
    progress: Callable[[int], None] | None = None,
    unit: str = "turn",
    memos: list | None = None,
) -> StudyReport:
    """All sections for the study in `data`. Saturation is left out (with a warning) when the order
    of the events is unknown; demographics when there is no roster. `progress(1)` is called
    STUDY_STEPS times. `memos` (qualcode.memos.Memo records) are listed once, in the hierarchy."""
    from qualcode.analysis.cooccurrence import cooccurrence_report
    from qualcode.analysis.crosstab import crosstab_report
    from qualcode.analysis.demographics import demographics_report
    from qualcode.analysis.hierarchy import hierarchy_report
    from qualcode.analysis.methods import methods_report
    from qualcode.analysis.narrative import narrative_report
    from qualcode.analysis.saturation import saturation_report

    step = progress or (lambda n=1: None)
    warnings: list[str] = []
    hierarchy = hierarchy_report(data, quotes=quotes, quote_label=quote_label, memos=memos)
    step(1)
    narrative = narrative_report(data, quotes=quotes, hierarchy=hierarchy, quote_label=quote_label)
    step(1)
    results: list[ReportResult] = [hierarchy, narrative]
    saturation = None
    try:
        saturation = saturation_report(data, **(saturation_options or {}))
        results.append(saturation)
    except EventOrderError as exc:
        warnings.append(f"saturation left out: {exc.message}")
    step(1)
    if data.roster is not None:
        results.append(demographics_report(data.roster, roster_path=data.roster_path))
    else:
        warnings.append("demographics left out: no roster")
    step(1)
    if by:
        results.append(crosstab_report(data, by))
    step(1)
    results.append(cooccurrence_report(data))
    step(1)
    results.append(
        methods_report(
            data,
            coder_a=coder_a,
            coder_b=coder_b,
            consensus=consensus,
            decisions=decisions,
            hierarchy=hierarchy,
            narrative=narrative,
            saturation=saturation,
            saturation_options=saturation_options,
            quotes=quotes,
            files=files,
            reviewed=reviewed,
            unit=unit,
        )
    )
    step(1)
    title = "Study report"
    if data.codebook is not None and data.codebook.title:
        title = f"Study report: {data.codebook.title}"
    return StudyReport(results=results, title=title, warnings=warnings)
