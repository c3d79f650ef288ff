"""Render a `Comparison` (qualcode.agreement.compare) as markdown, CSV, HTML, XLSX or JSON.

Every format shows the same things: who coded what, the double-coded share, per code (grouped by
construct and theme) the 2x2 counts and the statistics with alpha's band, the roll-ups, the pooled and
set-valued figures, and every disagreement with its full text. Undefined statistics are shown as "—"
with the reason in a numbered note.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.agreement.compare import (
    ALPHA_GOOD,
    ALPHA_TENTATIVE,
    STAT_KEYS,
    USUAL_DOUBLE_CODED_SHARE,
    comparison_json,
)
from qualcode.io import (
    DERIVED_KEEP,
    atomic_open,
    atomic_write_text,
    neutralise_formula,
    write_frame_csv,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.agreement.compare import Comparison

FORMATS: tuple[str, ...] = ("table", "json", "csv", "md", "html", "xlsx")
EXTENSIONS: dict[str, str] = {
    ".json": "json",
    ".csv": "csv",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xlsx": "xlsx",
    ".txt": "table",
}
STAT_HEADERS: dict[str, str] = {
    "percent_agreement": "% agr.",
    "cohen_kappa": "κ",
    "scott_pi": "π",
    "krippendorff_alpha": "α",
    "gwet_ac1": "AC1",
    "brennan_prediger": "BP",
    "positive_agreement": "PA",
}
STAT_NAMES: dict[str, str] = {
    "percent_agreement": "percent agreement",
    "cohen_kappa": "Cohen's kappa",
    "scott_pi": "Scott's pi",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1",
    "brennan_prediger": "Brennan-Prediger",
    "positive_agreement": "positive agreement",
}
DASH = "—"


# --- small formatters ---------------------------------------------------------------------------
def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: Any, digits: int = 3) -> str:
    if is_missing(value):
        return DASH
    return f"{float(value):.{digits}f}"


def fmt_share(value: Any, digits: int = 0) -> str:
    """A share as a percentage rounded half up (journals' rounding)."""
    from qualcode.analysis.demographics import percent_text

    if is_missing(value):
        return DASH
    return percent_text(float(value), digits)


def band_of(alpha: Any) -> str:
    if is_missing(alpha):
        return "n/a"
    if alpha >= ALPHA_GOOD:
        return "good"
    return "tentative" if alpha >= ALPHA_TENTATIVE else "low"


def codes_text(codes: Any) -> str:
    return ", ".join(codes) if len(codes) else "(none)"


def shorten(text: str, width: int) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


@dataclass
class Notes:
    """Numbered footnotes for undefined statistics (one number per distinct reason)."""

    numbers: dict[str, int] = field(default_factory=dict)

    def number(self, reason: str) -> int:
        if reason not in self.numbers:
            self.numbers[reason] = len(self.numbers) + 1
        return self.numbers[reason]

    def items(self) -> list[tuple[int, str]]:
        return [(n, r) for r, n in self.numbers.items()]


@dataclass(frozen=True)
class Cell:
    text: str
    note: int | None = None
    band: str | None = None


def stat_cell(row: dict[str, Any], key: str, notes: Notes) -> Cell:
    value = row.get(key)
    band = band_of(value) if key == "krippendorff_alpha" else None
    if is_missing(value):
        reason = (row.get("reasons") or {}).get(key) or "undefined for these counts"
        return Cell(DASH, notes.number(f"{STAT_NAMES[key]}: {reason}"), band)
    # One decimal: 99.7% agreement is not 100% (one disagreement in 310 segments).
    text = fmt_share(value, 1) if key == "percent_agreement" else fmt_number(value)
    return Cell(text, None, band)


def flags(row: dict[str, Any], sep: str = ", ") -> str:
    """ "rare" and the alpha band below good, e.g. "rare, α<.667"."""
    out = []
    if row.get("rare"):
        out.append("rare")
    if row.get("prevalence_paradox"):
        out.append("prevalence")
    band = row.get("alpha_band")
    if band == "low":
        out.append(f"α<{ALPHA_TENTATIVE:.3f}".replace("0.", "."))
    elif band == "tentative":
        out.append(f"α<{ALPHA_GOOD:.3f}".replace("0.", "."))
    return sep.join(out)


# --- the view shared by markdown, HTML and the terminal -----------------------------------------
def summary_lines(c: Comparison) -> list[str]:
    """Plain-text header lines: coders, reviewed counts, double-coded share, thresholds."""
    lo, hi = USUAL_DOUBLE_CODED_SHARE
    file_a = f" ({c.file_a})" if c.file_a else ""
    file_b = f" ({c.file_b})" if c.file_b else ""
    from qualcode.agreement.compare import REVIEWED_RULES
    from qualcode.agreement.unitized import unit_lines

    lines = unit_lines(c) + [
        f"Coder A: {c.coder_a}{file_a}, reviewed {c.reviewed_a} segments",
        f"Coder B: {c.coder_b}{file_b}, reviewed {c.reviewed_b} segments",
        f"Reviewed: {REVIEWED_RULES[c.reviewed_rule]} (rule: {c.reviewed_rule})",
        f"Double-coded: {c.share_double_coded} of {c.share_denominator} {c.share_of} = "
        f"{fmt_share(c.double_coded_share)} (usual: {lo:.0%}-{hi:.0%})",
    ]
    if c.double_coded != c.share_double_coded:
        lines.append(
            f"Double-coded facilitator turns: {c.double_coded - c.share_double_coded} (in the "
            "agreement figures, not in the share)"
        )
    lines.append(
        f"Single-coded: {len(c.single_coded_a)} by {c.coder_a} only, "
        f"{len(c.single_coded_b)} by {c.coder_b} only (not in the agreement figures)"
    )
    if c.segments_total:
        not_reviewed = c.share_denominator - c.share_reviewed
        if not_reviewed > 0:
            lines.append(f"Not reviewed by either coder: {not_reviewed} {c.share_unit}")
        if c.facilitator_segments:
            lines.append(
                f"Facilitator turns: {c.facilitator_segments} (context, not data: not in the share)"
            )
    from qualcode.agreement.compare import PREVALENCE_NOTE

    paradox = [
        str(r["id"])
        for df in (c.per_theme, c.per_construct)
        if len(df) and "prevalence_paradox" in df.columns
        for r in df[df["prevalence_paradox"]].to_dict(orient="records")
    ]
    if paradox:
        lines.append(f"Prevalence note ({', '.join(paradox)}): {PREVALENCE_NOTE}")
    lines.append(
        f"Alpha: ≥ {ALPHA_GOOD:.3f} good, {ALPHA_TENTATIVE:.3f}-{ALPHA_GOOD:.3f} tentative, "
        f"below {ALPHA_TENTATIVE:.3f} low (Krippendorff 2004); {c.rare_rule}"
    )
    return lines


def single_coded_lines(c: Comparison, limit: int | None = 20) -> list[str]:
    out = []
    for who, ids in ((c.coder_a, c.single_coded_a), (c.coder_b, c.single_coded_b)):
        if ids:
            shown = list(ids if limit is None else ids[:limit])
            more = "" if limit is None or len(ids) <= limit else f", ... ({len(ids)} in all)"
            out.append(f"Only {who}: {', '.join(shown)}{more}")
    return out


def group_title(c: Comparison, construct_id: str, theme_id: str) -> str:
    parts = []
    if construct_id:
        label = _label_of(c.per_construct, construct_id)
        parts.append(f"{construct_id} {label}".strip())
    if theme_id:
        label = _label_of(c.per_theme, theme_id)
        parts.append(f"{theme_id} {label}".strip())
    return " › ".join(parts)


def _label_of(df: pd.DataFrame, id_: str) -> str:
    hit = df.loc[df["id"] == id_, "label"] if len(df) else []
    return str(hit.iloc[0]) if len(hit) else ""


def grouped_code_rows(c: Comparison) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """Per-code rows in codebook order, in runs by (construct, theme); the title is None when the
    codes have no hierarchy."""
    groups: list[tuple[str | None, list[dict[str, Any]]]] = []
    last: tuple[str, str] | None = None
    for row in c.per_code.to_dict(orient="records"):
        key = (row.get("construct_id") or "", row.get("theme_id") or "")
        if key != last:
            title = group_title(c, *key) if any(key) else None
            groups.append((title, []))
            last = key
        groups[-1][1].append(row)
    return groups


def hierarchy_rows(c: Comparison) -> list[tuple[str, str, dict[str, Any]]]:
    """(level, id, row) in codebook order: each construct's roll-up row, then each theme's, then
    its codes; level is "construct", "theme" or "code"."""
    constructs = {r["id"]: r for r in c.per_construct.to_dict(orient="records")}
    themes = {r["id"]: r for r in c.per_theme.to_dict(orient="records")}
    out: list[tuple[str, str, dict[str, Any]]] = []
    last_construct = last_theme = None
    for row in c.per_code.to_dict(orient="records"):
        construct, theme = row.get("construct_id") or "", row.get("theme_id") or ""
        if construct != last_construct:
            last_construct, last_theme = construct, None
            if construct in constructs:
                out.append(("construct", construct, constructs[construct]))
        if theme != last_theme:
            last_theme = theme
            if theme in themes:
                out.append(("theme", theme, themes[theme]))
        out.append(("code", str(row["code_id"]), row))
    return out


def overall_rows(c: Comparison, notes: Notes) -> list[tuple[str, Cell]]:
    """Label/value rows of the overall figures."""
    o = c.overall
    pooled = o["pooled"]
    rows: list[tuple[str, Cell]] = [
        (
            "Double-coded sentences" if c.unit == "sentence" else "Double-coded segments",
            Cell(str(o["units"])),
        ),
        ("Codes", Cell(str(o["codes"]))),
        (
            "Segments with identical code sets",
            Cell(f"{o['identical_segments']} ({fmt_share(o['identical_share'])})"),
        ),
        (
            "Pooled code x segment decisions: both / only A / only B / neither",
            Cell(
                f"{pooled['both']} / {pooled['only_a']} / {pooled['only_b']} / {pooled['neither']}"
            ),
        ),
    ]
    for key in STAT_KEYS:
        rows.append((f"Pooled {STAT_NAMES[key]}", stat_cell(pooled, key, notes)))
    for distance, name in (("masi", "MASI"), ("jaccard", "Jaccard")):
        value = o[f"set_alpha_{distance}"]
        if is_missing(value):
            reason = o.get(f"set_alpha_{distance}_reason") or "undefined"
            cell = Cell(DASH, notes.number(f"set alpha ({name}): {reason}"), "n/a")
        else:
            cell = Cell(fmt_number(value), None, band_of(value))
        rows.append((f"Krippendorff's alpha on code sets per segment ({name} distance)", cell))
    bands = o["codes_by_alpha_band"]
    rows.append(
        (
            "Codes by alpha: good / tentative / low / undefined",
            Cell(f"{bands['good']} / {bands['tentative']} / {bands['low']} / {bands['n/a']}"),
        )
    )
    rows.append(("Rare codes", Cell(str(o["codes_rare"]))))
    return rows


# --- CSV ----------------------------------------------------------------------------------------
def per_code_frame(c: Comparison) -> pd.DataFrame:
    """The per-code table as exported (CSV, XLSX): one row per code, reasons as text."""
    df = c.per_code.copy()
    df["notes"] = ["; ".join(f"{k}: {v}" for k, v in (r or {}).items()) for r in df.pop("reasons")]
    return df


def _group_frame(df: pd.DataFrame, level: str) -> pd.DataFrame:
    out = df.copy()
    if "reasons" in out.columns:
        out["notes"] = [
            "; ".join(f"{k}: {v}" for k, v in (r or {}).items()) for r in out.pop("reasons")
        ]
    out.insert(0, "level", level)
    return out


def disagreements_frame(c: Comparison) -> pd.DataFrame:
    df = c.disagreements.copy()
    for col in ("codes_a", "codes_b", "only_a", "only_b"):
        df[col] = [", ".join(v) for v in df[col]]
    return df.rename(
        columns={"codes_a": f"applied_by_{c.coder_a}", "codes_b": f"applied_by_{c.coder_b}"}
    )


def csv_frame(c: Comparison) -> pd.DataFrame:
    """The CSV table: per code; a span or sentence comparison names its unit in a first column."""
    if c.unit == "turn":
        return per_code_frame(c)
    df = c.span.per_code.copy() if c.unit == "span" else per_code_frame(c)
    df.insert(0, "unit", c.unit)
    return df


def to_csv_text(c: Comparison) -> str:
    df = csv_frame(c)
    df = df.map(neutralise_formula) if hasattr(df, "map") else df.applymap(neutralise_formula)
    return write_frame_csv(df)


# --- markdown -----------------------------------------------------------------------------------
def _md(text: Any) -> str:
    """A markdown table cell: no raw HTML, no pipes, no line breaks."""
    s = str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")
    return s


def _md_cell(cell: Cell) -> str:
    text = _md(cell.text)
    if cell.note:
        text += f" [{cell.note}]"
    if cell.band in ("low", "tentative"):
        text = f"**{text}**"
    return text


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _stat_row(row: dict[str, Any], notes: Notes, keys=STAT_KEYS) -> list[str]:
    return [
        fmt_share(row["prevalence_a"]),
        fmt_share(row["prevalence_b"]),
        str(row["both"]),
        str(row["only_a"]),
        str(row["only_b"]),
        str(row["neither"]),
        *(_md_cell(stat_cell(row, k, notes)) for k in keys),
        _md(flags(row)),
    ]


def _count_headers(c: Comparison) -> list[str]:
    return [
        f"{c.coder_a} %",
        f"{c.coder_b} %",
        "Both",
        "Only A",
        "Only B",
        "Neither",
        *(STAT_HEADERS[k] for k in STAT_KEYS),
        "Flags",
    ]


def _span_markdown(c: Comparison) -> list[str]:
    """The span-level section of a span comparison (nothing for other units)."""
    if c.unit != "span":
        return []
    from qualcode.agreement.unitized import span_table

    headers, rows, pooled = span_table(c)
    lines = ["", "## Span level: Krippendorff's unitized alpha (uα) per code", ""]
    lines += _md_table(headers, [[_md(x) for x in r] for r in rows])
    lines += ["", *(_md(p) for p in pooled)]
    d = c.span.disagreements
    lines += ["", f"## Span disagreements ({len(d)} turn x code)", ""]
    if len(d):
        lines += _md_table(
            ["Segment", "Code", f"{_md(c.coder_a)} spans", f"{_md(c.coder_b)} spans", "Text"],
            [
                [
                    _md(r["segment_id"]),
                    _md(r["code_id"]),
                    r["spans_a"],
                    r["spans_b"],
                    _md(r["text"]),
                ]
                for r in d.to_dict(orient="records")
            ],
        )
    else:
        lines.append("The coders marked the same characters with every code.")
    return lines


def to_markdown(c: Comparison) -> str:
    notes = Notes()
    lines = [f"# Inter-coder agreement: {_md(c.coder_a)} and {_md(c.coder_b)}", ""]
    if c.codebook_title:
        lines += [f"Codebook: {_md(c.codebook_title)}", ""]
    lines += [f"- {_md(s)}" for s in summary_lines(c)]
    lines += [f"- {_md(s)}" for s in single_coded_lines(c, limit=None)]
    lines += ["", "## Overall", ""]
    lines += _md_table(
        ["Figure", "Value"], [[_md(k), _md_cell(v)] for k, v in overall_rows(c, notes)]
    )
    lines += _span_markdown(c)
    lines += ["", "## Per code" + (" (turn level)" if c.unit == "span" else ""), ""]
    rows: list[list[str]] = []
    headers = ["Code", "Label", *_count_headers(c)]
    for title, group in grouped_code_rows(c):
        if title:
            rows.append([f"**{_md(title)}**"] + [""] * (len(headers) - 1))
        for row in group:
            rows.append([_md(row["code_id"]), _md(row["label"]), *_stat_row(row, notes)])
    lines += _md_table(headers, rows)
    for name, df in (("Per theme", c.per_theme), ("Per construct", c.per_construct)):
        if len(df):
            lines += ["", f"## {name} (a segment has it if it has any of its codes)", ""]
            lines += _md_table(
                ["Id", "Label", *_count_headers(c)],
                [
                    [_md(r["id"]), _md(r["label"]), *_stat_row(r, notes)]
                    for r in df.to_dict(orient="records")
                ],
            )
    lines += ["", f"## Disagreements ({len(c.disagreements)} segments)", ""]
    if len(c.disagreements):
        lines += _md_table(
            [
                "Segment",
                "Speaker",
                "Text",
                f"{_md(c.coder_a)} applied",
                f"{_md(c.coder_b)} applied",
            ],
            [
                [
                    _md(r["segment_id"]),
                    _md(r["speaker"]),
                    _md(r["text"]),
                    _md(codes_text(r["codes_a"])),
                    _md(codes_text(r["codes_b"])),
                ]
                for r in c.disagreements.to_dict(orient="records")
            ],
        )
    else:
        lines.append("The coders agree on every double-coded segment.")
    if notes.numbers:
        lines += ["", "## Notes", ""]
        lines += [f"{n}. {_md(r)}" for n, r in notes.items()]
    return "\n".join(lines) + "\n"


# --- HTML ---------------------------------------------------------------------------------------
def _html_rows(rows: list[dict[str, Any]], notes: Notes, id_key: str) -> list[dict[str, Any]]:
    return [
        {
            "id": r[id_key],
            "label": r["label"],
            "prev_a": fmt_share(r["prevalence_a"]),
            "prev_b": fmt_share(r["prevalence_b"]),
            "counts": [r["both"], r["only_a"], r["only_b"], r["neither"]],
            "stats": [stat_cell(r, k, notes) for k in STAT_KEYS],
            "flags": flags(r),
            "band": r["alpha_band"],
        }
        for r in rows
    ]


def to_html(c: Comparison) -> str:
    from qualcode.report.html import render_template

    notes = Notes()
    overall = overall_rows(c, notes)
    groups = [
        {"title": title, "rows": _html_rows(rows, notes, "code_id")}
        for title, rows in grouped_code_rows(c)
    ]
    rollups = [
        (name, _html_rows(df.to_dict(orient="records"), notes, "id"))
        for name, df in (("Per theme", c.per_theme), ("Per construct", c.per_construct))
        if len(df)
    ]
    disagreements = [
        {
            "segment_id": r["segment_id"],
            "speaker": r["speaker"],
            "text": r["text"],
            "codes_a": codes_text(r["codes_a"]),
            "codes_b": codes_text(r["codes_b"]),
            "only_a": ", ".join(r["only_a"]),
            "only_b": ", ".join(r["only_b"]),
        }
        for r in c.disagreements.to_dict(orient="records")
    ]
    return render_template(
        "compare.html.j2",
        c=c,
        summary=summary_lines(c),
        single_coded=single_coded_lines(c, limit=None),
        overall=overall,
        headers=_count_headers(c),
        groups=groups,
        rollups=rollups,
        disagreements=disagreements,
        notes=notes.items(),
        span=_span_view(c),
    )


def _span_view(c: Comparison) -> dict[str, Any] | None:
    if c.unit != "span":
        return None
    from qualcode.agreement.unitized import span_table

    headers, rows, pooled = span_table(c)
    return {
        "headers": headers,
        "rows": rows,
        "pooled": pooled,
        "disagreements": c.span.disagreements.to_dict(orient="records"),
    }


# --- XLSX ---------------------------------------------------------------------------------------
def xlsx_sheets(c: Comparison) -> dict[str, pd.DataFrame]:
    import pandas as pd

    notes = Notes()
    summary = [(k, v) for line in summary_lines(c) for k, v in [line.split(": ", 1)]]
    summary += [(k, v.text + (f" [{v.note}]" if v.note else "")) for k, v in overall_rows(c, notes)]
    summary += [(f"Note {n}", r) for n, r in notes.items()]
    sheets = {
        "summary": pd.DataFrame(summary, columns=["figure", "value"]),
        "per code": per_code_frame(c),
    }
    if len(c.per_theme):
        sheets["per theme"] = _group_frame(c.per_theme, "theme")
    if len(c.per_construct):
        sheets["per construct"] = _group_frame(c.per_construct, "construct")
    sheets["disagreements"] = disagreements_frame(c)
    if c.unit == "span":
        sheets["per code (span)"] = c.span.per_code
        sheets["span disagreements"] = c.span.disagreements
    return sheets


# --- dispatch -----------------------------------------------------------------------------------
def to_json_text(c: Comparison) -> str:
    return "".join(comparison_json(c)) + "\n"


def render_text(c: Comparison, fmt: str) -> str:
    """The comparison as text in `fmt` (json, csv, md, html)."""
    if fmt == "json":
        return to_json_text(c)
    if fmt == "csv":
        return to_csv_text(c)
    if fmt == "md":
        return to_markdown(c)
    if fmt == "html":
        return to_html(c)
    raise ValueError(f"no text rendering for {fmt!r}")


def write_comparison(c: Comparison, fmt: str, path: str | Path) -> Path:
    """Write the comparison to `path` in `fmt` (atomic, with a backup of a replaced file)."""
    if fmt == "xlsx":
        from qualcode.report.tables import write_xlsx

        return write_xlsx(path, xlsx_sheets(c), wrap_columns=("text",))
    if fmt == "csv":
        from qualcode.report.tables import write_table_csv

        return write_table_csv(csv_frame(c), path)
    if fmt == "json":
        # Streamed: the same text as to_json_text, without holding it whole (and the pure-Python
        # encoder's millions of pieces) beside the comparison: 13 MB at 250k segments.
        with atomic_open(path, "w", keep=DERIVED_KEEP) as fh:
            _write_pieces(comparison_json(c), fh)
        return Path(path)
    return atomic_write_text(path, render_text(c, fmt), keep=DERIVED_KEEP)


_JSON_WRITE_CHARS = 1 << 20  # characters of encoder pieces joined per write


def _write_pieces(text: Iterable[str], fh) -> None:
    """`"".join(text) + "\n"` written about a megabyte at a time (`comparison_json`: the same
    text as json.dumps(comparison_to_dict(c), indent=2, ...), not held whole). By size, not by
    number of pieces: the disagreements come in pieces of 2,000 rows, and at 4M segments 65,536
    pieces were the whole 200 MB document, joined and encoded at once in fresh memory."""
    pieces: list[str] = []
    held = 0
    for piece in text:
        pieces.append(piece)
        held += len(piece)
        if held >= _JSON_WRITE_CHARS:
            fh.write("".join(pieces))
            pieces.clear()
            held = 0
    pieces.append("\n")
    fh.write("".join(pieces))


# --- 3 or more coders: the unit ------------------------------------------------------------------
def multi_unit_text(text: str, fmt: str, unit: str, extra: Any) -> str:
    """`multi_text` output of a span or sentence comparison of 3 or more coders with the unit
    added: json gets a `unit` key, csv a first `unit` column (span: the uα table), table, md and
    html the span table after the rest (their notes already state the unit)."""
    import io

    import pandas as pd

    from qualcode.agreement.unitized import (
        UNIT_DEFINITIONS,
        pooled_line,
        span_table_many,
        span_to_dict,
    )

    if fmt == "json":
        data = json.loads(text)
        data["unit"] = {"unit": unit, "definition": UNIT_DEFINITIONS[unit]}
        if unit == "span":
            data["unit"]["span"] = span_to_dict(extra)
        else:
            data["unit"]["sentence"] = extra
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        if unit == "span":
            df = extra.per_code.copy()
            df = df.map(neutralise_formula)
        else:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        df.insert(0, "unit", unit)
        return write_frame_csv(df)
    if unit != "span":
        return text
    if fmt == "html":
        at = text.rfind("</body>")
        return text[:at] + _span_html(extra) + text[at:] if at >= 0 else text + _span_html(extra)
    head, rows = span_table_many(extra)
    title = "Span level: Krippendorff's unitized alpha (uα) per code"
    if fmt == "md":
        out = ["", f"## {title}", "", *_md_table(head, [[_md(x) for x in r] for r in rows])]
        out += ["", _md(pooled_line(extra))]
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
        out = ["", title]
        out += [
            "  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip()
            for r in [head, *rows]
        ]
        out.append(pooled_line(extra))
    return text + "\n".join(out) + "\n"


def write_multi_unit_xlsx(m: Any, unit: str, extra: Any, path: str | Path) -> Path:
    """The xlsx of a span or sentence comparison of 3 or more coders: the multi-coder workbook
    (its summary sheet states the unit) plus, for span, the uα table."""
    from qualcode.report.multi_report import multi_sheets
    from qualcode.report.tables import write_xlsx

    sheets = multi_sheets(m)
    if unit == "span":
        sheets["per code (span)"] = extra.per_code
    return write_xlsx(path, sheets, wrap_columns=("label", "line"))


def _span_html(extra: Any) -> str:
    """The uα table of a multi-coder span comparison as an HTML section (every cell escaped)."""
    import html as html_lib

    from qualcode.agreement.unitized import pooled_line, span_table_many

    head, rows = span_table_many(extra)
    esc = html_lib.escape
    section = [
        "<h2>Span level: Krippendorff's unitized alpha (uα) per code</h2>",
        "<table>",
        "  <thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead>",
        "  <tbody>",
        *("  <tr>" + "".join(f"<td>{esc(x)}</td>" for x in r) + "</tr>" for r in rows),
        "  </tbody>",
        "</table>",
        f"<p>{esc(pooled_line(extra))}</p>",
        "",
    ]
    return "\n".join(section)
