"""Issue 16.5: `reconcile A B C --strategy majority`: a mechanical consensus of 3 or more coders,
logged as `decided_by: rule:majority`, on the mixed-source example (tests/data/mixed_sources)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

MIXED = Path(__file__).parent / "data" / "mixed_sources"


@pytest.fixture
def study(tmp_path: Path) -> Path:
    shutil.copytree(MIXED, tmp_path / "study")
    return tmp_path / "study"


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_majority_of_three_coders(cli, study):
    c = study / "codings"
    out = study / "consensus.csv"
    result = cli(
        "reconcile", c / "ana.csv", c / "ben.csv", c / "cy.csv", "--strategy", "majority",
        "--codebook", study / "codebook.yaml", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "6 split decisions decided by rule (majority): 4 kept, 2 dropped (0 ties)" in (
        result.stdout
    )
    log = read(study / "consensus.decisions.csv")
    assert set(log["decided_by"]) == {"rule:majority"} and set(log["strategy"]) == {"majority"}
    assert [tuple(r) for r in log[["segment_id", "code_id", "decision", "reason", "applied_by"]]
            .itertuples(index=False)] == [
        ("fg_01:3", "RI2", "dropped", "1 of 3 coders applied it", "ben"),
        ("fg_01:6", "RI4", "kept", "2 of 3 coders applied it", "ana;ben"),
        ("fn_north_visit1:2", "RI3", "kept", "2 of 3 coders applied it", "ana;ben"),
        ("fn_north_visit1:3", "RI1", "kept", "2 of 3 coders applied it", "ana;cy"),
        ("fn_south_visit1:1", "RI5", "kept", "2 of 3 coders applied it", "ana;cy"),
        ("int_02:2", "RI3", "dropped", "1 of 3 coders applied it", "ben"),
    ]  # fmt: skip
    consensus = read(out)
    assert set(consensus["coder"]) == {"consensus"}
    # Independent check: a code is kept where more than half of the reviewers applied it.
    frames = [read(c / f"{n}.csv") for n in ("ana", "ben", "cy")]
    expected = set()
    for seg in set().union(*(set(f["segment_id"]) for f in frames)):
        reviewers = [f for f in frames if seg in set(f["segment_id"])]
        codes = {x for f in reviewers for x in f.loc[f["segment_id"] == seg, "code_id"] if x}
        for code in codes:
            votes = sum(
                ((f["segment_id"] == seg) & (f["code_id"] == code)).any() for f in reviewers
            )
            if 2 * votes > len(reviewers):
                expected.add((seg, code))
    got = {(s, x) for s, x in zip(consensus["segment_id"], consensus["code_id"], strict=True) if x}
    assert got == expected


def test_majority_tie_is_dropped_and_single_reviewer_carried(cli, tmp_path):
    rows = {
        "a": "s:1,X\ns:2,X\ns:3,Y\n",
        "b": "s:1,X\ns:2,\n",
        "c": "s:1,\ns:2,\n",
        "d": "s:1,\ns:2,X\n",
    }
    paths = []
    for name, body in rows.items():
        p = tmp_path / f"{name}.csv"
        p.write_text("segment_id,code_id\n" + body, encoding="utf-8")
        paths.append(p)
    out = tmp_path / "cons.csv"
    result = cli("reconcile", *paths, "--strategy", "majority", "-o", out)
    assert result.exit_code == 0, result.stderr
    log = read(tmp_path / "cons.decisions.csv")
    assert log[["segment_id", "decision", "reason"]].values.tolist() == [
        ["s:1", "dropped", "2 of 4 coders applied it (a tie is not a majority)"],
        ["s:2", "dropped", "2 of 4 coders applied it (a tie is not a majority)"],
    ]
    assert read(out)[["segment_id", "code_id"]].values.tolist() == [
        ["s:1", ""],
        ["s:2", ""],
        ["s:3", "Y"],
    ]
    assert "1 carried over from one coder" in result.stdout


def test_majority_needs_three_coders_and_three_need_majority(cli, study):
    c = study / "codings"
    result = cli("reconcile", c / "ana.csv", c / "ben.csv", "--strategy", "majority", "-o",
                 study / "x.csv")  # fmt: skip
    assert result.exit_code == 2
    assert "three or more coders are reconciled with --strategy majority" in result.stderr
    result = cli("reconcile", c / "ana.csv", c / "ben.csv", c / "cy.csv", "--strategy", "union",
                 "-o", study / "x.csv")  # fmt: skip
    assert result.exit_code == 2
    assert not (study / "x.csv").exists()


def test_methods_paragraph_names_majority_as_mechanical(cli, study):
    c = study / "codings"
    assert cli("ingest", study / "transcripts", "--sources", study / "sources.csv", "--roster",
               study / "roster.csv", "-o", study / "segments.csv").exit_code == 0  # fmt: skip
    out = study / "consensus.csv"
    assert cli("reconcile", c / "ana.csv", c / "ben.csv", c / "cy.csv", "--strategy", "majority",
               "-o", out).exit_code == 0  # fmt: skip
    result = cli(
        "report", "methods", "--segments", study / "segments.csv", "--codings", out,
        "--codebook", study / "codebook.yaml", "--roster", study / "roster.csv",
        "--decisions", study / "consensus.decisions.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "formed mechanically by majority vote of the coders" in text
    # A mixed-source study is worded as what its sources are, not as groups (method.md).
    assert (
        "The data are 1 focus group, 2 interviews, 2 field notes and 1 document, with 5 "
        "participants." in text
    )
