"""The word for a study's transcripts follows the study (docs/method.md, "Reporting standards"):
"groups" in a focus-group study, "interviews" when every source is an interview, "sources" in a
mixed study; the hierarchy's and narrative's columns, summaries and sentences, and `code --auto`'s
summary use it. A focus-group study (source types unstated or focus_group) keeps "groups"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qualcode.model import source_nouns

MIXED = Path(__file__).parent / "data" / "mixed_sources"


@pytest.mark.parametrize(
    ("types", "nouns"),
    [
        ([], ("group", "groups")),
        (["focus_group"], ("group", "groups")),
        (["", "focus_group", "not stated"], ("group", "groups")),
        (["interview", "interview"], ("interview", "interviews")),
        (["interview", "focus_group"], ("source", "sources")),
        (["fieldnote", "document", "interview", "focus_group"], ("source", "sources")),
    ],
)
def test_source_nouns(types, nouns):
    assert source_nouns(types) == nouns


def _study(cli, tmp_path: Path, only: tuple[str, ...] | None = None) -> Path:
    d = tmp_path / "study"
    shutil.copytree(MIXED, d)
    if only is not None:  # keep only these transcripts (and their rows of the sources sheet)
        for path in (d / "transcripts").iterdir():
            if path.stem not in only:
                path.unlink()
        lines = (d / "sources.csv").read_text(encoding="utf-8").splitlines()
        kept = [lines[0]] + [x for x in lines[1:] if x.split(",")[0] in only]
        (d / "sources.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
        codings = pd.read_csv(d / "codings" / "ana.csv", dtype=str, keep_default_na=False)
        keep = codings["segment_id"].str.split(":").str[0].isin(only)
        codings[keep].to_csv(d / "codings" / "ana.csv", index=False)
    result = cli(
        "ingest", d / "transcripts", "--sources", d / "sources.csv", "--roster",
        d / "roster.csv", "-o", d / "segments.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return d


def _hierarchy(cli, d: Path, kind: str = "hierarchy") -> dict:
    result = cli(
        "report", kind, "--segments", d / "segments.csv", "--codings", d / "codings" / "ana.csv",
        "--codebook", d / "codebook.yaml", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_mixed_study_says_sources(cli, tmp_path):
    d = _study(cli, tmp_path)
    got = _hierarchy(cli, d)
    assert got["summary"]["sources"] == 6 and "groups" not in got["summary"]
    rows = got["tables"]["hierarchy"]
    assert "sources" in rows[0] and "groups" not in rows[0]
    t1 = next(r for r in rows if r["id"] == "T1")
    assert (
        t1["summary"]
        == f"voiced in {t1['sources']} of 6 sources by {t1['participants']} of 5 participants"
    )
    for row in got["tables"]["leftovers"]:
        assert "sources" in row and "groups" not in row
    assert {"attribute", "sources"} <= set(got["tables"]["attributes"][0])
    assert got["notes"][0].startswith(
        "Counts: mentions = coded segments, participants = distinct participant ids, sources = "
    )
    assert not [n for n in got["notes"] if "groups column" in n or "and groups" in n]
    narrative = _hierarchy(cli, d, "narrative")
    assert narrative["summary"]["sources"] == 6
    assert "sources" in narrative["tables"]["outline"][0]


def test_interview_study_says_interviews(cli, tmp_path):
    d = _study(cli, tmp_path, only=("int_01", "int_02"))
    got = _hierarchy(cli, d)
    assert got["summary"]["interviews"] == 2
    rows = {r["id"]: r for r in got["tables"]["hierarchy"]}
    assert " of 2 interviews by " in rows["C1"]["summary"]


def test_code_auto_summary_names_the_sources(cli, tmp_path):
    d = _study(cli, tmp_path)
    result = cli(
        "code", d / "segments.csv", "--codebook", d / "codebook.yaml", "--coder", "auto", "--auto",
        "-o", d / "codings" / "auto.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    head = result.stdout.splitlines()[0].split()
    assert head == ["code", "label", "segments", "participants", "sources"]


def test_focus_group_study_keeps_groups(cli, tmp_path):
    d = _study(cli, tmp_path, only=("fg_01",))
    got = _hierarchy(cli, d)
    assert got["summary"]["groups"] == 1
    assert "groups" in got["tables"]["hierarchy"][0]
    result = cli(
        "code", d / "segments.csv", "--codebook", d / "codebook.yaml", "--coder", "auto", "--auto",
        "-o", d / "codings" / "auto.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[-1] == "groups"
