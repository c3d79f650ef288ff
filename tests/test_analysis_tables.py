"""Crosstab (codes x attribute) and co-occurrence (code x code) on the hand-made study."""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.analysis.cooccurrence import cooccurrence_report
from qualcode.analysis.crosstab import crosstab_report
from qualcode.analysis.data import load_study
from qualcode.codebook import load_codebook
from qualcode.errors import ContractError
from qualcode.io import read_codings, read_segments
from qualcode.roster import read_roster

DATA = Path(__file__).parent / "data" / "analysis"


def study(roster=True):
    return load_study(
        read_segments(DATA / "segments.csv"),
        read_codings(DATA / "codings.csv"),
        codebook=load_codebook(DATA / "codebook.yaml"),
        roster=read_roster(DATA / "roster.csv") if roster else None,
        order=None if roster else ["G1", "G2", "G3"],
    )


def rows(df):
    return [tuple(r) for r in df.itertuples(index=False, name=None)]


def test_crosstab_participants_by_site_with_percentages():
    report = crosstab_report(study(), "site")
    # P02 speaks at North (G1) and South (G2): counted in each column where they voiced the code
    assert rows(report.counts[["id", "North", "South", "total"]]) == [
        ("RI1", 2, 1, 3),
        ("RI2", 1, 1, 1),
        ("RI3", 1, 1, 2),
        ("RI5", 2, 0, 2),
        ("RI4", 0, 0, 0),
    ]
    assert rows(report.columns) == [("North", 3), ("South", 2)]
    assert report.column_percent.set_index("id").loc["RI1", "North"] == pytest.approx(66.7)
    assert report.row_percent.set_index("id").loc["RI1", "South"] == pytest.approx(33.3)
    assert report.display.set_index("id").loc["RI1", "North"] == "2 (67%)"


def test_crosstab_segments_by_gender_puts_unknown_speakers_in_missing():
    report = crosstab_report(study(), "gender", count="segments")
    assert list(report.counts.columns) == [
        "id",
        "label",
        "female",
        "male",
        "Missing/declined",
        "total",
    ]
    ri1 = report.counts.set_index("id").loc["RI1"]
    # G1:2 P01 female; G1:3 P02 and G2:2 P03 male; G3:3 unknown speaker
    assert (ri1["female"], ri1["male"], ri1["Missing/declined"], ri1["total"]) == (1, 2, 1, 4)


def test_crosstab_transcripts_by_transcript_id_and_site_labels_unknown_speakers():
    by_group = crosstab_report(study(), "transcript_id", count="transcripts")
    assert rows(by_group.counts[["id", "G1", "G2", "G3"]])[0] == ("RI1", 1, 1, 1)
    segs = crosstab_report(study(), "site", count="segments")
    # site is constant over G3's roster rows, so G3's unknown speaker is at North
    assert segs.counts.set_index("id").loc["RI1", "North"] == 3


def test_crosstab_errors():
    with pytest.raises(ContractError, match="no attribute 'clinic_role'"):
        crosstab_report(study(), "clinic_role")
    with pytest.raises(ContractError, match="no attribute 'site'") as err:
        crosstab_report(study(roster=False), "site")
    assert err.value.hint == "attributes available: transcript_id (a roster adds attribute columns)"
    with pytest.raises(ContractError, match="count must be one of"):
        crosstab_report(study(), "site", count="people")


def test_cooccurrence_counts_and_jaccard_in_codebook_order():
    report = cooccurrence_report(study())
    assert list(report.counts.columns) == ["id", "label", "RI1", "RI2", "RI3", "RI5", "RI4"]
    assert rows(report.counts.drop(columns="label")) == [
        ("RI1", 4, 1, 0, 2, 0),
        ("RI2", 1, 3, 1, 1, 0),
        ("RI3", 0, 1, 3, 0, 0),
        ("RI5", 2, 1, 0, 2, 0),
        ("RI4", 0, 0, 0, 0, 0),
    ]
    jac = report.jaccard.set_index("id")
    assert jac.loc["RI1", "RI5"] == 0.5  # 2 / (4 + 2 - 2)
    assert jac.loc["RI2", "RI3"] == 0.2  # 1 / 5
    assert jac.loc["RI4", "RI4"] == 0.0
    assert rows(report.pairs) == [
        ("RI1", "RI5", 2, 0.5),
        ("RI2", "RI5", 1, 0.25),
        ("RI2", "RI3", 1, 0.2),
        ("RI1", "RI2", 1, 0.167),
    ]
    assert report.n_segments == 8
