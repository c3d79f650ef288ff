"""Issue 12, items 2, 2b, 3, 5b (COREQ 15, durations) and 6, on the bundled study.

Measured with the union consensus of coder_a and coder_b: RI2 "It don't take care of what's up
here" has 15 participants counting every coded turn and 11 counting turns of 6 words or more (4 rest
on brief assent alone, "For real.", "Word." ...); 12 participant-idea pairs rest on assent in all;
theme T2 has 49 mentions (52 before leftover RI8 stopped adding to it); 48 exemplar quotes for 16
ideas, no turn quoted for two ideas, every group quoted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"
ROSTER = STUDY / "roster.csv"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    folder = tmp_path_factory.mktemp("quotes")
    run = CliRunner().invoke
    seg = folder / "segments.csv"
    assert run(app, ["ingest", str(STUDY), "--roster", str(ROSTER), "-o", str(seg)]).exit_code == 0
    cons = folder / "union.csv"
    a, b = STUDY / "codings" / "coder_a.csv", STUDY / "codings" / "coder_b.csv"
    result = run(app, ["reconcile", str(a), str(b), "--strategy", "union", "-o", str(cons)])
    assert result.exit_code == 0, result.output
    return {"segments": seg, "consensus": cons, "folder": folder}


def _report(cli, kind, bundled, *extra, codings=None):
    result = cli(
        "report", kind, "--segments", bundled["segments"],
        "--codings", codings or bundled["consensus"], "--codebook", CODEBOOK, "--roster", ROSTER,
        *extra, "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _row(d, node_id):
    return next(r for r in d["tables"]["hierarchy"] if r["id"] == node_id)


def test_no_exemplar_stands_for_two_ideas_without_a_mark(cli, bundled):
    for kind, table in (("hierarchy", "quotes"), ("narrative", "quotes")):
        quotes = pd.DataFrame(_report(cli, kind, bundled)["tables"][table])
        assert len(quotes) == 48 and quotes["idea_id"].nunique() == 16
        unmarked = quotes[quotes["also_quoted_for"] == ""]
        assert not unmarked["segment_id"].duplicated().any()
        # every reuse names the idea it was first quoted for
        for q in quotes[quotes["also_quoted_for"] != ""].itertuples():
            first = quotes[(quotes["segment_id"] == q.segment_id) & (quotes.index < q.Index)]
            assert q.also_quoted_for in set(first["idea_id"])
        # spread across groups: later groups are quoted too
        assert set(quotes["transcript_id"]) == {f"group{i}" for i in range(1, 6)}
    h = pd.DataFrame(_report(cli, "hierarchy", bundled)["tables"]["quotes"])
    n = pd.DataFrame(_report(cli, "narrative", bundled)["tables"]["quotes"])
    assert h["segment_id"].tolist() == n["segment_id"].tolist()  # one rule for both
    # group1:26 (court-ordered groups) no longer stands for RI13, RI14 and RI15 at once
    assert (h["segment_id"] == "group1:26").sum() <= 1


def test_quotes_exemplify_not_the_longest_turn(cli, bundled):
    quotes = pd.DataFrame(_report(cli, "hierarchy", bundled)["tables"]["quotes"])
    first = quotes[quotes["rank"] == 1]
    # moderate length: every first quote voices the idea (6+ words) and none is a speech of 80+
    assert (first["words"] >= 6).all() and (first["words"] <= 80).all()


def test_a_flagged_quote_always_wins(cli, bundled):
    cons = pd.read_csv(bundled["consensus"], dtype=str, keep_default_na=False)
    # a group5 turn coded RI1, flagged by the researcher
    pick = cons[(cons["code_id"] == "RI1") & cons["segment_id"].str.startswith("group5:")]
    segment = pick["segment_id"].iat[-1]
    cons.loc[(cons["segment_id"] == segment) & (cons["code_id"] == "RI1"), "memo"] = "#quote"
    path = bundled["folder"] / "flagged.csv"
    cons.to_csv(path, index=False)
    quotes = pd.DataFrame(_report(cli, "hierarchy", bundled, codings=path)["tables"]["quotes"])
    top = quotes[(quotes["idea_id"] == "RI1") & (quotes["rank"] == 1)].iloc[0]
    assert (top["segment_id"], bool(top["flagged"])) == (segment, True)
    md = cli(
        "report", "narrative", "--segments", bundled["segments"], "--codings", path,
        "--codebook", CODEBOOK, "--roster", ROSTER, "-f", "md",
    )  # fmt: skip
    assert f"segment {segment}; chosen by the researcher" in md.stdout


def test_quote_label_from_roster_attributes(cli, bundled):
    d = _report(
        cli, "hierarchy", bundled, "--quote-label", "{participant_id}, {gender}, {age_band}"
    )
    q = d["tables"]["quotes"][0]
    roster = pd.read_csv(ROSTER, dtype=str, keep_default_na=False).set_index("participant_id")
    person = roster.loc[q["participant_id"]]
    assert q["label"] == f"{q['participant_id']}, {person['gender']}, {person['age_band']}"
    default = _report(cli, "hierarchy", bundled)["tables"]["quotes"][0]
    assert default["label"] == f"{default['participant_id']}, {default['transcript_id']}"
    bad = cli(
        "report", "hierarchy", "--segments", bundled["segments"], "--codings",
        bundled["consensus"], "--codebook", CODEBOOK, "--roster", ROSTER,
        "--quote-label", "{participant_id}, {clinic}",
    )  # fmt: skip
    assert bad.exit_code == 1
    assert "quote label names unknown field(s): clinic" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_brief_assent_is_shown_but_not_counted(cli, bundled):
    d = _report(cli, "hierarchy", bundled)
    ri2 = _row(d, "RI2")
    assert (ri2["participants"], ri2["assent_only"]) == (11, 4)
    assert d["summary"]["assent_only_pairs"] == 12
    assert any("Brief assent (a coded turn under 6 words" in n for n in d["notes"])
    every = _report(cli, "hierarchy", bundled, "--min-words", "1")
    assert (_row(every, "RI2")["participants"], _row(every, "RI2")["assent_only"]) == (15, 0)
    assert _row(every, "RI2")["mentions"] == ri2["mentions"] == 30  # assent is still shown


def test_themes_roll_up_repeating_ideas_only(cli, bundled):
    d = _report(cli, "hierarchy", bundled)
    assert _row(d, "RI8")["participants"] == 1
    ideas = ["RI5", "RI6", "RI7"]  # T2 without the leftover RI8
    cons = pd.read_csv(bundled["consensus"], dtype=str, keep_default_na=False)
    assert _row(d, "T2")["mentions"] == cons[cons["code_id"].isin(ideas)]["segment_id"].nunique()
    assert _row(d, "T2")["mentions"] == 49
    leftovers = d["tables"]["leftovers"]
    assert [(r["id"], r["reason"]) for r in leftovers] == [
        ("RI8", "voiced by one participant: a leftover, not a repeating idea"),
        ("RI16", "voiced by one participant: a leftover, not a repeating idea"),
    ]


def test_leftovers_are_not_called_diverse_cases(cli, bundled):
    for kind in ("hierarchy", "narrative", "methods"):
        d = _report(cli, kind, bundled)
        assert "diverse" not in json.dumps(d).lower(), kind
    m = _report(cli, "methods", bundled)
    assert "2 by fewer (reported apart as leftovers)" in m["summary"]["paragraph"]
    value = next(r["value"] for r in m["tables"]["coreq"] if r["number"] == 32)
    assert value.startswith("2 leftover idea(s) voiced by fewer than 2 participants: RI8, RI16")


def test_negative_cases_are_listed_under_the_idea(cli, bundled):
    cons = pd.read_csv(bundled["consensus"], dtype=str, keep_default_na=False)
    at = (cons["segment_id"] == "group1:51") & (cons["code_id"] == "RI9")
    assert at.any()
    cons.loc[at, "memo"] = "#negative: says the opposite"
    path = bundled["folder"] / "negative.csv"
    cons.to_csv(path, index=False)
    base = _row(_report(cli, "hierarchy", bundled), "RI9")
    d = _report(cli, "hierarchy", bundled, codings=path)
    neg = d["tables"]["negative_cases"]
    assert [(r["idea_id"], r["segment_id"], r["memo"]) for r in neg] == [
        ("RI9", "group1:51", "#negative: says the opposite")
    ]
    assert _row(d, "RI9")["mentions"] == base["mentions"] - 1  # not counted as voicing it
    m = _report(cli, "methods", bundled, codings=path)
    value = next(r["value"] for r in m["tables"]["coreq"] if r["number"] == 32)
    assert value.endswith("1 negative case(s) flagged on codings (RI9)")


def test_counts_caveat_once_per_report(cli, bundled):
    for kind in ("hierarchy", "narrative"):
        notes = _report(cli, kind, bundled)["notes"]
        caveats = [n for n in notes if "Sandelowski 2001; Onwuegbuzie et al. 2009" in n]
        assert len(caveats) == 1, kind
        assert "silence is not disagreement" in caveats[0]


def test_coreq_15_is_for_the_researcher_and_facilitators_are_research_team(cli, bundled):
    m = _report(cli, "methods", bundled)
    coreq = {r["number"]: r for r in m["tables"]["coreq"]}
    assert coreq[15]["status"] == "to complete by hand"
    assert coreq[15]["value"].startswith("Transcripts cannot show whether anyone other than")
    assert coreq[1]["item"] == "Interviewer/facilitator"
    assert "facilitator turns in 5 of 5 groups" in coreq[1]["value"]


@pytest.mark.parametrize(
    ("lo", "hi", "text"),
    [
        (44 / 60, 44 / 60, "44 seconds"),
        (1.0, 1.0, "1 minute"),
        (15.2, 24.4, "15-24 minutes"),
        (0.5, 3.0, "under a minute to 3 minutes"),
        (1 / 60, 1 / 60, "1 second"),
    ],
)
def test_durations_are_worded_right(lo, hi, text):
    from qualcode.analysis.methods import duration_text

    assert duration_text(lo, hi) == text


def test_methods_duration_sentence(cli, bundled):
    text = _report(cli, "methods", bundled)["summary"]["paragraph"]
    assert "Timed groups lasted 15-24 minutes from the first to the last timestamp" in text
    assert "1 minutes" not in text
