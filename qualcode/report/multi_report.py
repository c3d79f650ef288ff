"""Render a comparison of 3 or more coders (`agreement.multi`) as text, markdown, csv, json, html
(jinja2, autoescaped) or xlsx (one sheet per table, formula-neutralised)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.agreement.multi import MultiComparison, multi_to_dict

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

STAT_NAMES = (
    ("fleiss_kappa", "Fleiss' kappa"),
    ("krippendorff_alpha", "Krippendorff's alpha"),
    ("gwet_ac1", "Gwet's AC1"),
)
ROLLUP_NOTE = "a segment has it if it has any of its codes"


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _stat_head() -> list[str]:
    return ["Fleiss kappa", "Kripp. alpha", "Gwet AC1", "note"]


def _stat_cells(r: dict[str, Any]) -> list[str]:
    return [
        _num(r["fleiss_kappa"]),
        _num(r["krippendorff_alpha"]),
        _num(r["gwet_ac1"]),
        r["reason"],
    ]


def _rows(m: MultiComparison) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    code_head = ["code", "label", *(f"{c} applied" for c in m.coders), *_stat_head()]
    code_rows = [
        [r["code_id"], r["label"], *(str(r[f"applied_{c}"]) for c in m.coders), *_stat_cells(r)]
        for r in m.per_code.to_dict(orient="records")
    ]
    pair_head = ["pair", "double-coded", "pooled kappa", "median code kappa", "range"]
    pair_rows = [
        [
            f"{r['coder_a']} & {r['coder_b']}",
            str(r["double_coded"]),
            _num(r["pooled_cohen_kappa"]),
            _num(r["median_code_kappa"]),
            f"{_num(r['min_code_kappa'])} to {_num(r['max_code_kappa'])}",
        ]
        for r in m.pairs.to_dict(orient="records")
    ]
    return code_head, code_rows, pair_head, pair_rows


def _rollup_rows(m: MultiComparison, level: str) -> tuple[list[str], list[list[str]]]:
    """Theme or construct rows: id, label, (construct), codes, segments with it per coder, stats."""
    df = m.per_theme if level == "theme" else m.per_construct
    head = [level, "label", *(["construct"] if level == "theme" else []), "codes"]
    head += [f"{c} applied" for c in m.coders] + _stat_head()
    rows = [
        [
            r["id"],
            r["label"],
            *([r["construct_id"]] if level == "theme" else []),
            str(r["n_codes"]),
            *(str(r[f"applied_{c}"]) for c in m.coders),
            *_stat_cells(r),
        ]
        for r in df.to_dict(orient="records")
    ]
    return head, rows


def _kappa_rows(m: MultiComparison) -> tuple[list[str], list[list[str]]]:
    cols = [c for c in m.pair_kappa.columns if c != "label"]
    return cols, [[_num(r[c]) for c in cols] for r in m.pair_kappa.to_dict("records")]


def _lines(m: MultiComparison) -> list[str]:
    coders = ", ".join(f"{c} ({n} reviewed)" for c, n in zip(m.coders, m.reviewed, strict=True))
    out = [f"Inter-coder agreement of {len(m.coders)} coders: {coders}"]
    s = m.summary
    for key, name in STAT_NAMES:
        v = s[key]
        out.append(
            f"{name} per code: median {_num(v['median'])}, range {_num(v['min'])} to "
            f"{_num(v['max'])} ({v['codes_defined']} codes defined)"
        )
    out.append(f"Codes with alpha below 0.667: {s['codes_below_0_667_alpha']}")
    pooled = s.get("pooled")
    if pooled:
        out.append(
            f"Pooled over {pooled['cells']} code x segment cells: "
            + ", ".join(f"{name} {_num(pooled[key])}" for key, name in STAT_NAMES)
            + " (dominated by cells no coder coded: read the per-code figures; O'Connor & "
            "Joffe 2020)"
        )
    out.extend(m.notes)
    return out


def _aligned(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    return [
        "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)).rstrip()
        for row in [head, *rows]
    ]


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    def cell(x: str) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(map(cell, head)) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(map(cell, r)) + " |" for r in rows]
    return out


def _sections(m: MultiComparison) -> list[tuple[str, list[str], list[list[str]], list[str]]]:
    """(title, head, rows, alpha band per row or []) of every table, in report order (theme and
    construct tables only when the codebook has them)."""
    code_head, code_rows, pair_head, pair_rows = _rows(m)
    out = [("Per code", code_head, code_rows, m.per_code["alpha_band"].tolist())]
    for level, df in (("theme", m.per_theme), ("construct", m.per_construct)):
        if len(df):
            head, rows = _rollup_rows(m, level)
            out.append((f"Per {level} ({ROLLUP_NOTE})", head, rows, df["alpha_band"].tolist()))
    out.append(("Pairs (Cohen's kappa)", pair_head, pair_rows, []))
    out.append(("Each pair's kappa per code", *_kappa_rows(m), []))
    return out


def multi_text(m: MultiComparison, fmt: str) -> str:
    """`fmt` table (aligned text), md, csv (the per-code table), json or html."""
    if fmt == "json":
        return json.dumps(multi_to_dict(m), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        from qualcode.io import neutralise_formula, write_frame_csv

        kappas = m.pair_kappa.drop(columns=["label"])
        kappas = kappas.rename(columns={c: f"kappa {c}" for c in kappas.columns if c != "code_id"})
        frame = m.per_code.merge(kappas, on="code_id", how="left")
        return write_frame_csv(frame.map(neutralise_formula))
    if fmt == "html":
        return multi_html(m)
    if fmt == "md":
        out = ["# Inter-coder agreement", ""]
        out += [f"- {line}" for line in _lines(m)]
        for title, head, rows, _ in _sections(m):
            out += ["", f"## {title}", "", *_md_table(head, rows)]
        return "\n".join(out) + "\n"
    out = _lines(m)
    for title, head, rows, _ in _sections(m):
        out += ["", title, *_aligned(head, rows)]
    return "\n".join(out) + "\n"


def multi_html(m: MultiComparison) -> str:
    """One self-contained page: the summary, then every table; alpha cells coloured by band."""
    from qualcode.report.html import render_template

    tables = []
    for title, head, rows, bands in _sections(m):
        rolled = title.endswith(f" ({ROLLUP_NOTE})")
        name = title.removesuffix(f" ({ROLLUP_NOTE})")
        caption = (
            f"A segment has the {name.split()[-1]} when it has any of its codes." if rolled else ""
        )
        alpha_col = head.index("Kripp. alpha") if bands else None
        cells = []
        for n, row in enumerate(rows):
            out = []
            for i, text in enumerate(row):
                numeric = text == "n/a" or text.replace(".", "", 1).lstrip("-").isdigit()
                cls = "num" if numeric else ""
                if i == alpha_col:
                    cls += " na" if bands[n] == "n/a" else f" {bands[n]}"
                out.append({"text": text, "cls": cls.strip()})
            cells.append(out)
        tables.append({"title": name, "caption": caption, "head": head, "rows": cells})
    return render_template(
        "compare_multi.html.j2",
        coders=m.coders,
        codebook=m.codebook_title,
        summary=_lines(m),
        tables=tables,
    )


def multi_sheets(m: MultiComparison) -> dict[str, pd.DataFrame]:
    """The workbook: a summary sheet, then per code, theme, construct, pairs and pair kappa."""
    import pandas as pd

    sheets = {
        "summary": pd.DataFrame({"line": _lines(m)}),
        "per code": m.per_code,
    }
    if len(m.per_theme):
        sheets["per theme"] = m.per_theme
    if len(m.per_construct):
        sheets["per construct"] = m.per_construct
    sheets["pairs"] = m.pairs
    sheets["pair kappa"] = m.pair_kappa
    return sheets


def write_multi(m: MultiComparison, fmt: str, path: str | Path) -> Path:
    """Write the comparison in `fmt` (atomic, with a backup of a replaced file)."""
    from qualcode.io import DERIVED_KEEP, atomic_write_text

    if fmt == "xlsx":
        from qualcode.report.tables import write_xlsx

        return write_xlsx(path, multi_sheets(m), wrap_columns=("label", "line"))
    return atomic_write_text(path, multi_text(m, fmt), keep=DERIVED_KEEP)
