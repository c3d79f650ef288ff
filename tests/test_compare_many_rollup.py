"""`compare A B C` per theme and construct (a segment has a theme when it has any of its codes, as
the two-coder report rolls up), the pooled code x segment figure, and the html and xlsx outputs the
two-coder compare has. Statistics checked against krippendorff, statsmodels and Gwet's (2014)
formulas written out in tests/test_compare_many.py, on arrays built from the files directly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_compare_many import CODERS, gwet_terms, ratings

MIXED = Path(__file__).parent / "data" / "mixed_sources"
THEMES = {"T1": ("RI1", "RI2"), "T2": ("RI3", "RI4"), "T3": ("RI5", "RI6")}
CONSTRUCTS = {"C1": ("RI1", "RI2", "RI3", "RI4"), "C2": ("RI5", "RI6")}


@pytest.fixture
def study(tmp_path: Path, cli) -> Path:
    d = tmp_path / "study"
    shutil.copytree(MIXED, d)
    result = cli(
        "ingest", d / "transcripts", "--sources", d / "sources.csv", "--roster",
        d / "roster.csv", "-o", d / "segments.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return d


def files(d: Path) -> list[Path]:
    return [d / "codings" / f"{c}.csv" for c in CODERS]


def report(cli, d: Path) -> dict:
    result = cli(
        "compare", *files(d), "--codebook", d / "codebook.yaml", "--segments",
        d / "segments.csv", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def rolled_up(per_code: dict[str, np.ndarray], codes) -> np.ndarray:
    """Units x coders: 1 when the coder applied any of the codes, 0 when none, NaN unreviewed."""
    stack = np.stack([per_code[c] for c in codes])
    out = np.nanmax(np.where(np.isnan(stack), -1, stack), axis=0)
    return np.where(out < 0, np.nan, out)


def expected(arr: np.ndarray) -> dict[str, float]:
    import krippendorff

    pa, pi = gwet_terms(arr)
    pe_ac1 = float(np.sum(pi * (1 - pi)))
    return {
        "krippendorff_alpha": krippendorff.alpha(
            reliability_data=arr.T, level_of_measurement="nominal"
        ),
        "fleiss_kappa": (pa - np.sum(pi**2)) / (1 - np.sum(pi**2)),
        "gwet_ac1": (pa - pe_ac1) / (1 - pe_ac1),
    }


def test_theme_and_construct_rows_against_independent_implementations(cli, study):
    got = report(cli, study)
    _, per_code = ratings(study)
    for table, groups in (("per_theme", THEMES), ("per_construct", CONSTRUCTS)):
        rows = {r["id"]: r for r in got[table]}
        assert list(rows) == list(groups)
        for gid, codes in groups.items():
            arr = rolled_up(per_code, codes)
            for key, value in expected(arr).items():
                assert rows[gid][key] == pytest.approx(value, abs=5e-5), (gid, key)
            for j, coder in enumerate(CODERS):
                assert rows[gid][f"applied_{coder}"] == int(np.nansum(arr[:, j]))
            assert rows[gid]["n_codes"] == len(codes)
    assert [r["construct_id"] for r in got["per_theme"]] == ["C1", "C1", "C2"]


def test_pooled_code_by_segment_figure(cli, study):
    got = report(cli, study)
    _, per_code = ratings(study)
    cells = np.concatenate([per_code[c] for c in sorted(per_code)])
    for key, value in expected(cells).items():
        assert got["summary"]["pooled"][key] == pytest.approx(value, abs=5e-5), key
    assert got["summary"]["pooled"]["cells"] == len(cells)


def test_complete_data_theme_fleiss_matches_statsmodels(cli, study):
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    cy = pd.read_csv(study / "codings" / "cy.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame(
        {
            "segment_id": ["doc_program_manual:1", "doc_program_manual:2"],
            "code_id": ["RI1", "RI4"],
            "coder": ["cy", "cy"],
        }
    )
    pd.concat([cy, extra]).to_csv(study / "codings" / "cy.csv", index=False)
    got = report(cli, study)
    _, per_code = ratings(study)
    rows = {r["id"]: r for r in got["per_theme"]}
    for tid, codes in THEMES.items():
        arr = rolled_up(per_code, codes)
        assert not np.isnan(arr).any()
        table, _ = aggregate_raters(arr.astype(int), n_cat=2)
        assert rows[tid]["fleiss_kappa"] == pytest.approx(
            fleiss_kappa(table, method="fleiss"), abs=5e-5
        )


def test_three_coders_html_is_escaped_and_has_every_table(cli, study):
    cb = study / "codebook.yaml"
    cb.write_text(
        cb.read_text(encoding="utf-8").replace(
            "label: Structure that can flex", 'label: "Structure <b>that</b> can flex"'
        ),
        encoding="utf-8",
    )
    out = study / "agreement.html"
    result = cli("compare", *files(study), "--codebook", cb, "-o", out)
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<b>that</b>" not in html and "Structure &lt;b&gt;that&lt;/b&gt; can flex" in html
    for heading in ("Per code", "Per theme", "Per construct", "Pairs (Cohen&#39;s kappa)"):
        assert f"<h2>{heading}</h2>" in html, heading
    assert "Inter-coder agreement of 3 coders: ana (17 reviewed)" in html


def test_three_coders_xlsx_sheets_equal_the_json(cli, study):
    got = report(cli, study)
    out = study / "agreement.xlsx"
    result = cli(
        "compare", *files(study), "--codebook", study / "codebook.yaml", "--segments",
        study / "segments.csv", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == [
        "summary",
        "per code",
        "per theme",
        "per construct",
        "pairs",
        "pair kappa",
    ]
    theme = sheets["per theme"]
    assert theme["id"].tolist() == ["T1", "T2", "T3"]
    assert theme["krippendorff_alpha"].round(6).tolist() == [
        round(r["krippendorff_alpha"], 6) for r in got["per_theme"]
    ]
    assert sheets["pair kappa"].columns.tolist() == [
        "code_id", "label", "ana & ben", "ana & cy", "ben & cy",
    ]  # fmt: skip
