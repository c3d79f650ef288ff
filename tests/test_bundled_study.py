"""The bundled study (sample_transcripts/, codebooks/bup_group_visits.yaml) reads as documented.

Every feature, the README and the tour use this study, so its figures are pinned here: five groups of
11, 8, 6, 5 and 3 participants (33), one facilitator each, one intended "Unknown Speaker" line in the
Otter export, two coders who reviewed every non-facilitator turn, Table 1 of the published study, and
no new code in group 5 (saturation 4+1 with base 4, run 1, threshold 0%).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qualcode.cli.main import app
from qualcode.codebook import load_codebook
from qualcode.io import read_codings, read_segments

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
ROSTER = STUDY / "roster.csv"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"
CODERS = ("coder_a", "coder_b")
GROUPS = ("group1", "group2", "group3", "group4", "group5")


@pytest.fixture(scope="module")
def segments(tmp_path_factory) -> pd.DataFrame:
    """The study ingested once through the real CLI, with the roster."""
    out = tmp_path_factory.mktemp("bundled") / "segments.csv"
    result = CliRunner().invoke(
        app, ["ingest", str(STUDY), "--roster", str(ROSTER), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return read_segments(out)


@pytest.fixture(scope="module")
def roster() -> pd.DataFrame:
    return pd.read_csv(ROSTER, dtype=str, keep_default_na=False)


def test_five_groups_in_five_formats(segments):
    assert sorted(segments["transcript_id"].unique()) == list(GROUPS)
    sources = segments.drop_duplicates("transcript_id").set_index("transcript_id")["source"]
    assert {t: Path(s).suffix for t, s in sources.items()} == {
        "group1": ".txt",
        "group2": ".vtt",
        "group3": ".docx",
        "group4": ".txt",
        "group5": ".vtt",
    }
    turns = segments.groupby("transcript_id").size()
    assert (turns >= 60).all(), turns.to_dict()


def test_participants_facilitators_and_group_sizes(segments):
    participants = segments[segments["role"] == "participant"]
    assert participants["participant_id"].nunique() == 33
    assert (participants["participant_id"] != "").all()
    sizes = participants.groupby("transcript_id")["participant_id"].nunique()
    assert sizes.to_dict() == dict(zip(GROUPS, (11, 8, 6, 5, 3), strict=True))
    facilitators = segments[segments["role"] == "facilitator"]
    assert facilitators.groupby("transcript_id")["participant_id"].unique().map(list).to_dict() == {
        f"group{i}": [f"F{i}"] for i in range(1, 6)
    }


def test_only_the_intended_unknown_speaker(segments):
    unknown = segments[segments["role"] == "unknown"]
    assert list(zip(unknown["segment_id"], unknown["speaker"], strict=True)) == [
        ("group4:15", "Unknown Speaker")
    ]


def test_the_readme_says_what_ingest_prints(cli, tmp_path):
    result = cli("ingest", STUDY, "--roster", ROSTER, "-o", tmp_path / "segments.csv")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert [w.split(":")[1].strip() for w in warnings] == [
        str(STUDY / "group1.txt"),
        str(STUDY / "group2.vtt"),
        str(STUDY / "group3.docx"),
    ]
    assert "ignored heading/title lines (7)" in warnings[0]
    assert "64 cues without a speaker name continue the previous speaker" in warnings[1]
    assert "ignored heading/title lines (4)" in warnings[2]
    assert "Unknown Speaker" not in result.stderr  # an unplaced voice is no roster gap
    readme = " ".join((STUDY / "README.md").read_text(encoding="utf-8").split())
    assert "warns about it" not in readme
    assert "gives it role `unknown` without a warning" in readme
    assert "It prints three warnings, none about speakers" in readme
    assert "7 and 4 heading/title lines" in readme and "64 cues without a speaker name" in readme


def test_roster_gives_published_table_1(roster):
    people = roster[roster["role"] == "participant"]
    assert people["participant_id"].is_unique and len(people) == 33
    assert Counter(people["gender"]) == {"Male": 28, "Female": 5}
    assert Counter(people["ethnicity"]) == {"Hispanic/Latinx": 20, "Black": 8, "Other": 3, "": 2}
    assert Counter(people["prior_group_treatment"]) == {
        "Both staff- and participant-led": 18,
        "Participant-led only": 3,
        "Staff-led only": 3,
        "None": 3,
        "": 6,
    }
    bands = sorted(people["age_band"])
    assert bands[len(bands) // 2] == "50-54"  # the median (17th of 33) participant's band
    orders = roster.groupby("transcript_id")[["event_order", "event_date"]].nunique()
    assert (orders == 1).all().all()
    order = roster.drop_duplicates("transcript_id").sort_values("event_date")
    assert list(order["transcript_id"]) == list(GROUPS)
    assert list(order["event_order"]) == ["1", "2", "3", "4", "5"]


def test_codebook_loads_with_four_themes_and_sixteen_ideas(cli):
    codebook = load_codebook(CODEBOOK)
    assert [c.id for c in codebook.constructs] == ["C1", "C2"]
    assert [t.id for t in codebook.all_themes()] == ["T1", "T2", "T3", "T4"]
    assert codebook.code_ids() == [f"RI{i}" for i in range(1, 17)]
    assert all(len(t.codes) >= 3 for t in codebook.all_themes())
    assert all(c.keywords and c.examples and c.include and c.exclude for c in codebook.codes())
    result = cli("codebook", "check", CODEBOOK)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("coder", CODERS)
def test_codings_cover_every_participant_turn(segments, coder):
    codings = read_codings(STUDY / "codings" / f"{coder}.csv")
    assert set(codings["coder"]) == {coder}
    assert set(codings["origin"]) == {"manual"}
    by_id = segments.set_index("segment_id")
    missing = set(codings["segment_id"]) - set(by_id.index)
    assert not missing, sorted(missing)[:5]
    reviewed = set(codings["segment_id"])
    assert reviewed == set(segments.loc[segments["role"] != "facilitator", "segment_id"])
    codes = set(codings["code_id"]) - {""}
    assert codes == set(load_codebook(CODEBOOK).code_ids())
    assert not codings.duplicated(["segment_id", "code_id"]).any()


@pytest.mark.parametrize("coder", CODERS)
def test_group_five_adds_no_new_code(segments, coder):
    codings = read_codings(STUDY / "codings" / f"{coder}.csv")
    coded = codings[codings["code_id"] != ""].merge(
        segments[["segment_id", "transcript_id"]], on="segment_id"
    )
    first = coded.sort_values("transcript_id").drop_duplicates("code_id")
    new_per_group = first["transcript_id"].value_counts().reindex(list(GROUPS), fill_value=0)
    assert new_per_group["group5"] == 0
    assert new_per_group.sum() == 16


def test_leftovers_and_rare_code(segments):
    """RI8 and RI16 are voiced by one participant each; RI12 is rare (3 segments at most)."""
    for coder in CODERS:
        codings = read_codings(STUDY / "codings" / f"{coder}.csv").merge(
            segments[["segment_id", "participant_id"]], on="segment_id"
        )
        voiced = codings.groupby("code_id")["participant_id"].nunique()
        assert voiced["RI8"] == 1 and voiced["RI16"] == 1
        assert (voiced.drop(["", "RI8", "RI16"], errors="ignore") >= 2).all()
        assert 2 <= (codings["code_id"] == "RI12").sum() <= 3


def test_saturation_is_four_plus_one(cli):
    result = cli(
        "report",
        "saturation",
        STUDY,
        "--roster",
        ROSTER,
        "--codings",
        STUDY / "codings" / "coder_a.csv",
        "--codebook",
        CODEBOOK,
        "--base",
        "4",
        "--run",
        "1",
        "--threshold",
        "0",
        "--permutations",
        "20",
    )
    assert result.exit_code == 0, result.output
    assert "4+1" in result.stdout
