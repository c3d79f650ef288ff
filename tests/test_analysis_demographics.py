"""Table 1 from a roster: the bundled study's published numbers, rounding, order, missing values,
one count per participant, stratification."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qualcode.analysis.demographics import (
    category_key,
    default_attributes,
    demographics_report,
    journal_percent,
    median_category,
)
from qualcode.errors import ContractError
from qualcode.roster import read_roster

DATA = Path(__file__).parent / "data" / "analysis"


def values(report, characteristic: str) -> dict[str, str]:
    t = report.table
    sub = t[t["characteristic"] == characteristic]
    return dict(zip(sub["category"], sub.iloc[:, 2], strict=True))


def test_bundled_roster_reproduces_the_published_table_1(repo):
    report = demographics_report(read_roster(repo / "sample_transcripts" / "roster.csv"))
    assert report.n == 33
    assert values(report, "Participants") == {"N": "33"}
    assert values(report, "Gender")["Male"] == "28 (85%)"
    assert values(report, "Ethnicity") == {
        "Hispanic/Latinx": "20 (61%)",
        "Black": "8 (24%)",
        "Other": "3 (9%)",
        "Missing/declined": "2 (6%)",
    }
    prior = values(report, "Prior group treatment")
    assert prior["Both staff- and participant-led"] == "18 (55%)"
    assert prior["Participant-led only"] == "3 (9%)"
    assert prior["Staff-led only"] == "3 (9%)"
    assert prior["None"] == "3 (9%)"
    assert prior["Missing/declined"] == "6 (18%)"
    assert values(report, "Age band")["Median"] == "50-54, n = 33"  # the median states its n
    assert report.medians == {"age_band": "50-54"}
    assert report.group_sizes["participants"].tolist() == [11, 8, 6, 5, 3]
    assert values(report, "Group size") == {"Median (range)": "6 (3-11)"}
    assert report.attributes == ["gender", "ethnicity", "age_band", "prior_group_treatment"]
    assert report.summary()["group_size_median"] == "6"
    assert any("denominator 33" in n for n in report.notes)


def test_journal_rounding_half_up_and_small_shares():
    assert journal_percent(18, 33) == "55"  # 54.5 -> 55
    assert journal_percent(1, 8) == "13"  # 12.5 -> 13 (not banker's 12)
    assert journal_percent(1, 400) == "<1"
    assert journal_percent(0, 5) == "0"
    assert journal_percent(0, 0) == "-"


def test_bands_sort_naturally_and_give_a_median():
    bands = ["65+", "40-44", "<30", "100-104", "30-34"]
    assert sorted(bands, key=category_key) == ["<30", "30-34", "40-44", "65+", "100-104"]
    assert median_category(["50-54", "40-44", "", "60-64"]) == "50-54"
    assert median_category(["40-44", "50-54"]) == "40-44/50-54"
    assert median_category(["", ""]) == ""


def roster_frame(rows, extra=("gender", "age_band")) -> pd.DataFrame:
    cols = ["transcript_id", "speaker", "participant_id", "role", *extra]
    return pd.DataFrame(rows, columns=cols)


def test_one_row_per_participant_and_conflicts_warn():
    roster = roster_frame(
        [
            ("G1", "Facilitator", "F1", "facilitator", "", ""),
            ("G1", "Ann", "P1", "participant", "female", "40-44"),
            ("G2", "Ann B", "P1", "participant", "male", "40-44"),
            ("G2", "Bo", "P2", "participant", "", "9-10"),
        ]
    )
    report = demographics_report(roster, roster_path="r.csv")
    assert report.n == 2
    assert values(report, "Gender") == {
        "female": "1 (50%)",
        "Missing/declined": "1 (50%)",
    }
    assert values(report, "Age band")["9-10"] == "1 (50%)"
    assert list(values(report, "Age band")) == ["9-10", "40-44", "Median"]
    assert report.warnings == [
        "participant P1 has conflicting gender values in the roster (r.csv): female, male; "
        "using 'female'"
    ]
    assert report.group_sizes["participants"].tolist() == [1, 2]


def test_default_attributes_skip_order_and_id_columns():
    roster = roster_frame([], extra=("event_order", "event_date", "site_id", "site", "gender"))
    assert default_attributes(roster) == ["site", "gender"]


def test_stratify_by_group_and_by_attribute():
    roster = read_roster(DATA / "roster.csv")
    per_group = demographics_report(roster, attributes=["gender"], stratify="transcript_id")
    assert list(per_group.table.columns) == [
        "characteristic",
        "category",
        "Total (N=4)",
        "G1 (N=2)",
        "G2 (N=2)",
        "G3 (N=1)",
    ]
    assert per_group.table.iloc[1].tolist() == [
        "Gender",
        "male",
        "2 (50%)",
        "1 (50%)",
        "2 (100%)",
        "0 (0%)",
    ]
    by_gender = demographics_report(roster, attributes=["age_band"], stratify="gender")
    assert list(by_gender.table.columns)[2:] == [
        "Total (N=4)",
        "male (N=2)",
        "female (N=1)",
        "Missing/declined (N=1)",
    ]
    cells = by_gender.long
    row = cells[(cells["category"] == "50-54") & (cells["stratum"] == "male")].iloc[0]
    assert (row["n"], row["denominator"], row["percent"]) == (2, 2, 100.0)


def test_unknown_attribute_and_stratum_are_errors():
    roster = read_roster(DATA / "roster.csv")
    with pytest.raises(ContractError) as err:
        demographics_report(roster, attributes=["gender", "religion"], roster_path="r.csv")
    assert str(err.value) == "r.csv:1: roster has no column(s) religion"
    with pytest.raises(ContractError, match="cannot stratify by 'clinic'"):
        demographics_report(roster, stratify="clinic")


def test_roster_without_participants_is_an_error():
    roster = roster_frame([("G1", "Facilitator", "F1", "facilitator", "", "")])
    with pytest.raises(ContractError, match="lists no participants"):
        demographics_report(roster)
