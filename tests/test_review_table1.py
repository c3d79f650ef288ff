"""Issue 12, item 5b: Table 1 says what the data can say (parent rows, median with its n, numeric
attributes as mean (SD) and median (IQR, range), one pasteable markdown table, percents from counts),
and the bundled README shows the real output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
ROSTER = REPO / "sample_transcripts" / "roster.csv"
PARENT = (
    "prior_group_treatment:Any prior group treatment="
    "Both staff- and participant-led|Participant-led only|Staff-led only"
)


def test_readme_table_1_is_the_output_of_one_run():
    done = subprocess.run(
        [sys.executable, "-m", "qualcode", "report", "demographics", "--roster", str(ROSTER),
         "-f", "md", "--parent", PARENT],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith("|")]
    readme = (REPO / "sample_transcripts" / "README.md").read_text(encoding="utf-8")
    assert "\n".join(table) in readme
    assert "| Any prior group treatment | 24 (73%) |" in table
    assert "| - both staff- and participant-led | 18 (55%) |" in table
    assert "| Median | 50-54, n = 33 |" in table
    # one table: the long form goes to csv, xlsx and json, not to the markdown
    assert done.stdout.count("| --- |") == 1
    assert "Cells (long form)" not in done.stdout


def test_percents_come_from_the_counts(cli):
    result = cli("report", "demographics", "--roster", ROSTER, "-f", "json")
    cells = json.loads(result.stdout)["tables"]["cells"]
    male = next(c for c in cells if c["category"] == "Male")
    assert (male["n"], male["denominator"]) == (28, 33)
    assert male["percent"] == 100 * 28 / 33  # 84.8484..., never rounded twice (84.849)
    assert f"{male['percent']:.3f}" == "84.848"


def test_a_numeric_attribute_is_summarised_not_listed(cli, tmp_path):
    ages = [23, 31, 35, 38, 41, 44, 47, 52, 55, 61, 66, ""]
    lines = ["transcript_id,speaker,participant_id,role,age,site"]
    for i, age in enumerate(ages, start=1):
        lines.append(f"g1,S{i},P{i:02d},participant,{age},{'north' if i % 2 else 'south'}")
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join(lines) + "\n")
    result = cli("report", "demographics", "--roster", roster, "-f", "json")
    assert result.exit_code == 0, result.stderr
    rows = {
        (r["characteristic"], r["category"]): r
        for r in json.loads(result.stdout)["tables"]["table1"]
    }
    x = np.array([a for a in ages if a != ""], dtype=float)
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    assert rows[("Age", "Mean (SD)")]["Total (N=12)"] == f"{x.mean():.1f} ({x.std(ddof=1):.1f})"
    assert rows[("Age", "Median (IQR, range)")]["Total (N=12)"] == (
        f"{med:.1f} ({q1:.1f}-{q3:.1f}, range 23-66)"
    )
    assert rows[("Age", "Missing/declined")]["Total (N=12)"] == "1 (8%)"
    assert not any(k[0] == "Age" and k[1] == "23" for k in rows)
    # --categorical overrides the detection; --numeric forces it
    as_cats = cli(
        "report", "demographics", "--roster", roster, "--categorical", "age", "-f", "json"
    )
    cats = {r["category"] for r in json.loads(as_cats.stdout)["tables"]["table1"]}
    assert "23" in cats


def test_a_parent_row_names_unknown_categories(cli):
    result = cli(
        "report", "demographics", "--roster", ROSTER, "--parent",
        "prior_group_treatment:Any=Staff-led only|Peer-led",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "parent row 'Any': prior_group_treatment has no category 'Peer-led'" in result.stderr
    bad = cli("report", "demographics", "--roster", ROSTER, "--parent", "nonsense")
    assert bad.exit_code == 2
