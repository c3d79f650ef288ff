"""Render a comparison of 3 or more coders (`agreement.multi`) as text, markdown, csv or json."""

from __future__ import annotations

import json
import math
from typing import Any

from qualcode.agreement.multi import MultiComparison, multi_to_dict


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _rows(m: MultiComparison) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    code_head = ["code", "label", *(f"{c} applied" for c in m.coders)]
    code_head += ["Fleiss kappa", "Kripp. alpha", "Gwet AC1", "note"]
    code_rows = []
    for r in m.per_code.to_dict(orient="records"):
        code_rows.append(
            [
                r["code_id"],
                r["label"],
                *(str(r[f"applied_{c}"]) for c in m.coders),
                _num(r["fleiss_kappa"]),
                _num(r["krippendorff_alpha"]),
                _num(r["gwet_ac1"]),
                r["reason"],
            ]
        )
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


def _lines(m: MultiComparison) -> list[str]:
    coders = ", ".join(f"{c} ({n} reviewed)" for c, n in zip(m.coders, m.reviewed, strict=True))
    out = [f"Inter-coder agreement of {len(m.coders)} coders: {coders}"]
    s = m.summary
    for key, name in (
        ("fleiss_kappa", "Fleiss' kappa"),
        ("krippendorff_alpha", "Krippendorff's alpha"),
        ("gwet_ac1", "Gwet's AC1"),
    ):
        v = s[key]
        out.append(
            f"{name} per code: median {_num(v['median'])}, range {_num(v['min'])} to "
            f"{_num(v['max'])} ({v['codes_defined']} codes defined)"
        )
    out.append(f"Codes with alpha below 0.667: {s['codes_below_0_667_alpha']}")
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


def multi_text(m: MultiComparison, fmt: str) -> str:
    """`fmt` table (aligned text), md, csv (the per-code table) or json."""
    if fmt == "json":
        return json.dumps(multi_to_dict(m), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        from qualcode.io import neutralise_formula

        kappas = m.pair_kappa.drop(columns=["label"])
        kappas = kappas.rename(columns={c: f"kappa {c}" for c in kappas.columns if c != "code_id"})
        frame = m.per_code.merge(kappas, on="code_id", how="left")
        return frame.map(neutralise_formula).to_csv(index=False, lineterminator="\n")
    code_head, code_rows, pair_head, pair_rows = _rows(m)
    if fmt == "md":
        out = ["# Inter-coder agreement", ""]
        out += [f"- {line}" for line in _lines(m)]
        out += ["", "## Per code", "", *_md_table(code_head, code_rows)]
        out += ["", "## Pairs (Cohen's kappa)", "", *_md_table(pair_head, pair_rows)]
        kappa_cols = [c for c in m.pair_kappa.columns if c != "label"]
        kappa_rows = [[_num(r[c]) for c in kappa_cols] for r in m.pair_kappa.to_dict("records")]
        out += ["", "## Each pair's kappa per code", "", *_md_table(kappa_cols, kappa_rows)]
        return "\n".join(out) + "\n"
    out = _lines(m) + ["", "Per code"] + _aligned(code_head, code_rows)
    out += ["", "Pairs (Cohen's kappa)"] + _aligned(pair_head, pair_rows)
    kappa_cols = [c for c in m.pair_kappa.columns if c != "label"]
    kappa_rows = [[_num(r[c]) for c in kappa_cols] for r in m.pair_kappa.to_dict("records")]
    out += ["", "Each pair's kappa per code"] + _aligned(kappa_cols, kappa_rows)
    return "\n".join(out) + "\n"
