"""Freeze irrCAC's Fleiss' kappa, Gwet's AC1, Brennan-Prediger and Krippendorff's alpha on seeded tables.

irrCAC pins pandas<3 and an old scipy, so it must not shape the test environment (it would downgrade
the stack users get). Its values are frozen into tests/data/oracles/irrcac_reference.json, which
tests/test_agreement_properties.py checks our implementation against to 1e-9. Re-run on demand, in a
venv of its own (this script does not import qualcode):

    python3 -m venv /tmp/irrcac && /tmp/irrcac/bin/pip install "irrCAC==0.4.4"
    /tmp/irrcac/bin/python tests/oracles/make_irrcac_reference.py

The tables follow the hypothesis strategy `ratings_tables` of the property tests: 3-25 units, 2-5
coders, 2-5 used categories plus 0-2 declared but unused, missing ratings allowed (NaN).
"""

from __future__ import annotations

import json
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from irrCAC.raw import CAC

SEED = 20261204
N_TABLES = 160
OUT = Path(__file__).resolve().parents[1] / "data" / "oracles" / "irrcac_reference.json"
METHODS = ("fleiss", "gwet", "bp", "krippendorff")


def random_table(rng: np.random.Generator) -> tuple[np.ndarray, list[int]]:
    n_units = int(rng.integers(3, 26))
    n_coders = int(rng.integers(2, 6))
    q = int(rng.integers(2, 6))
    missing_share = float(rng.choice([0.0, 0.1, 0.25, 0.4]))
    arr = rng.integers(0, q, size=(n_units, n_coders)).astype(np.float64)
    arr[rng.random(arr.shape) < missing_share] = np.nan
    extra = int(rng.integers(0, 3))
    return arr, list(range(q + extra))


def comparable(ratings: np.ndarray) -> bool:
    # irrCAC's variance divides by (n - 1) over non-empty units and by the units with 2+ ratings.
    rated = (~np.isnan(ratings)).sum(axis=1)
    return bool((rated >= 1).sum() >= 2 and (rated >= 2).any())


def coefficient(ratings: np.ndarray, cats: list[int], method: str) -> float | None:
    # irrCAC's own inplace replace on a copy of the ratings makes pandas warn; values are unaffected.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cac = CAC(pd.DataFrame(ratings), categories=[float(c) for c in cats], digits=15)
        try:
            value = float(getattr(cac, method)()["est"]["coefficient_value"])
        except ZeroDivisionError:
            return None
    return value if np.isfinite(value) else None


def main() -> int:
    rng = np.random.default_rng(SEED)
    cases = []
    while len(cases) < N_TABLES:
        ratings, cats = random_table(rng)
        if not comparable(ratings):
            continue
        values = {m: coefficient(ratings, cats, m) for m in METHODS}
        cases.append(
            {
                "ratings": [[None if np.isnan(v) else int(v) for v in row] for row in ratings],
                "categories": cats,
                "irrcac": values,
            }
        )
    payload = {
        "generator": "tests/oracles/make_irrcac_reference.py",
        "irrCAC": version("irrCAC"),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "seed": SEED,
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
