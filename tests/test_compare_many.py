"""Issue 16.5: `compare A B C`: Fleiss' kappa, Krippendorff's alpha and Gwet's AC1 over all coders,
and every pair's Cohen's kappa, checked against independent implementations (krippendorff,
statsmodels, scikit-learn) and Gwet's (2014) formulas written out here, to 4 decimals."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

MIXED = Path(__file__).parent / "data" / "mixed_sources"
CODERS = ("ana", "ben", "cy")
CODES = ("RI1", "RI2", "RI3", "RI4", "RI5", "RI6")


@pytest.fixture
def study(tmp_path: Path, cli) -> Path:
    d = tmp_path / "study"
    shutil.copytree(MIXED, d)
    result = cli(
        "ingest",
        d / "transcripts",
        "--sources",
        d / "sources.csv",
        "--roster",
        d / "roster.csv",
        "-o",
        d / "segments.csv",
    )
    assert result.exit_code == 0, result.stderr
    return d


def run_json(cli, d: Path, *files: Path) -> dict:
    result = cli(
        "compare",
        *files,
        "--codebook",
        d / "codebook.yaml",
        "--segments",
        d / "segments.csv",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def ratings(d: Path, coders=CODERS) -> tuple[list[str], dict[str, np.ndarray]]:
    """Per code, a units x coders array (1 applied, 0 reviewed without it, NaN not reviewed),
    built from the files directly (not through qualcode)."""
    frames = {
        c: pd.read_csv(d / "codings" / f"{c}.csv", dtype=str, keep_default_na=False) for c in coders
    }
    order = pd.read_csv(d / "segments.csv", dtype=str)["segment_id"].tolist()
    reviewed = {c: set(f["segment_id"]) for c, f in frames.items()}
    units = [u for u in order if sum(u in reviewed[c] for c in coders) >= 2]
    out = {}
    for code in CODES:
        arr = np.full((len(units), len(coders)), np.nan)
        for j, c in enumerate(coders):
            applied = set(frames[c].loc[frames[c]["code_id"] == code, "segment_id"])
            for i, u in enumerate(units):
                if u in reviewed[c]:
                    arr[i, j] = 1.0 if u in applied else 0.0
        out[code] = arr
    return units, out


def gwet_terms(arr: np.ndarray) -> tuple[float, np.ndarray]:
    """Gwet (2014, eq. 2.9 and 2.10) for 2 categories with missing ratings: p_a over units with
    at least 2 ratings, pi_k the mean over units with at least 1 rating of n_uk / n_u."""
    counts = np.stack([(arr == 0).sum(axis=1), (arr == 1).sum(axis=1)], axis=1).astype(float)
    n = counts.sum(axis=1)
    two = n >= 2
    pa = float(np.mean((counts[two] * (counts[two] - 1)).sum(axis=1) / (n[two] * (n[two] - 1))))
    one = n >= 1
    pi = (counts[one] / n[one][:, None]).mean(axis=0)
    return pa, pi


def test_three_coders_against_independent_implementations(cli, study):
    import krippendorff

    c = study / "codings"
    report = run_json(cli, study, c / "ana.csv", c / "ben.csv", c / "cy.csv")
    assert report["coders"] == list(CODERS)
    assert report["reviewed"] == {"ana": 17, "ben": 17, "cy": 15}
    assert (report["units"], report["units_reviewed_by_all"]) == (17, 15)
    units, per_code = ratings(study)
    assert len(units) == 17
    rows = {r["code_id"]: r for r in report["per_code"]}
    for code, arr in per_code.items():
        alpha = krippendorff.alpha(reliability_data=arr.T, level_of_measurement="nominal")
        pa, pi = gwet_terms(arr)
        fleiss = (pa - np.sum(pi**2)) / (1 - np.sum(pi**2))
        ac1_pe = np.sum(pi * (1 - pi)) / (2 - 1)
        ac1 = (pa - ac1_pe) / (1 - ac1_pe)
        assert rows[code]["krippendorff_alpha"] == pytest.approx(alpha, abs=5e-5), code
        assert rows[code]["fleiss_kappa"] == pytest.approx(fleiss, abs=5e-5), code
        assert rows[code]["gwet_ac1"] == pytest.approx(ac1, abs=5e-5), code
    # Measured on this data set (see the closing note).
    assert round(rows["RI3"]["krippendorff_alpha"], 4) == 0.7703
    assert round(rows["RI3"]["fleiss_kappa"], 4) == 0.7821


def test_complete_data_matches_statsmodels_fleiss(cli, study):
    """With every coder reviewing every unit, Fleiss' kappa is statsmodels' fleiss_kappa."""
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    c = study / "codings"
    cy = pd.read_csv(c / "cy.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame(
        {
            "segment_id": ["doc_program_manual:1", "doc_program_manual:2"],
            "code_id": ["RI1", "RI4"],
            "coder": ["cy", "cy"],
        }
    )
    pd.concat([cy, extra]).to_csv(c / "cy.csv", index=False)
    report = run_json(cli, study, c / "ana.csv", c / "ben.csv", c / "cy.csv")
    assert report["units_reviewed_by_all"] == report["units"] == 17
    _, per_code = ratings(study)
    rows = {r["code_id"]: r for r in report["per_code"]}
    for code, arr in per_code.items():
        assert not np.isnan(arr).any()
        table, _ = aggregate_raters(arr.astype(int), n_cat=2)
        expected = fleiss_kappa(table, method="fleiss")
        assert rows[code]["fleiss_kappa"] == pytest.approx(expected, abs=5e-5), code


def test_every_pair_kappa_matches_scikit_learn(cli, study):
    from sklearn.metrics import cohen_kappa_score

    c = study / "codings"
    report = run_json(cli, study, c / "ana.csv", c / "ben.csv", c / "cy.csv")
    assert [(p["coder_a"], p["coder_b"]) for p in report["pairs"]] == [
        ("ana", "ben"),
        ("ana", "cy"),
        ("ben", "cy"),
    ]
    _, per_code = ratings(study)
    kappas = {r["code_id"]: r for r in report["pair_kappa"]}
    for (i, a), (j, b) in itertools.combinations(enumerate(CODERS), 2):
        for code, arr in per_code.items():
            both = ~np.isnan(arr[:, i]) & ~np.isnan(arr[:, j])
            expected = cohen_kappa_score(arr[both, i], arr[both, j])
            assert kappas[code][f"{a} & {b}"] == pytest.approx(expected, abs=5e-5), (a, b, code)
    assert [p["double_coded"] for p in report["pairs"]] == [17, 15, 15]


def test_three_coders_table_and_md(cli, study):
    c = study / "codings"
    files = (c / "ana.csv", c / "ben.csv", c / "cy.csv")
    result = cli("compare", *files, "--codebook", study / "codebook.yaml")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == "Inter-coder agreement of 3 coders: ana (17 reviewed), ben (17 reviewed), cy (15 reviewed)"
    )
    assert "Pairs (Cohen's kappa)" in lines
    out = study / "agreement.md"
    result = cli("compare", *files, "--codebook", study / "codebook.yaml", "-o", out)
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "## Each pair's kappa per code" in text
    assert "| ana & ben | 17 |" in text
    csv_out = study / "agreement.csv"
    assert cli("compare", *files, "-o", csv_out).exit_code == 0
    df = pd.read_csv(csv_out)
    assert list(df["code_id"]) == list(CODES)
    assert {"fleiss_kappa", "krippendorff_alpha", "gwet_ac1", "kappa ana & ben"} <= set(df.columns)


def test_three_coders_html_to_stdout_xlsx_needs_a_file_and_same_coder_twice(cli, study):
    c = study / "codings"
    result = cli("compare", c / "ana.csv", c / "ben.csv", c / "cy.csv", "-f", "html")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    result = cli("compare", c / "ana.csv", c / "ben.csv", c / "cy.csv", "-f", "xlsx")
    assert result.exit_code == 2
    assert "xlsx needs a file: add -o FILE.xlsx" in result.stderr
    shutil.copy(c / "ana.csv", c / "ana2.csv")
    result = cli("compare", c / "ana.csv", c / "ben.csv", c / "ana2.csv")
    assert result.exit_code == 1
    assert "two files are from coder 'ana'" in result.stderr
