"""`qualcode report narrative|methods|all`: the scaffold follows the codebook and the hierarchy's
counts with verbatim quotes, the methods items are marked from data / by hand correctly, the
agreement figures are hand-checked, json equals the core, and every new error message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qualcode.analysis.data import load_study
from qualcode.analysis.hierarchy import hierarchy_report
from qualcode.analysis.methods import BY_HAND, FROM_DATA, methods_report
from qualcode.analysis.narrative import narrative_report
from qualcode.codebook import load_codebook
from qualcode.io import read_codings, read_segments
from qualcode.reconcile import read_decisions
from qualcode.roster import read_roster

DATA = Path(__file__).parent / "data" / "report_scaffold"
FILES = (
    "segments.csv",
    "consensus.csv",
    "coder_a.csv",
    "coder_b.csv",
    "decisions.csv",
    "roster.csv",
    "codebook.yaml",
)


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def args(d: Path) -> list[str]:
    return [
        "--segments", str(d / "segments.csv"), "--codings", str(d / "consensus.csv"),
        "--roster", str(d / "roster.csv"), "--codebook", str(d / "codebook.yaml"),
    ]  # fmt: skip


def coder_args(d: Path) -> list[str]:
    return [
        "--coder-a", str(d / "coder_a.csv"), "--coder-b", str(d / "coder_b.csv"),
        "--decisions", str(d / "decisions.csv"),
    ]  # fmt: skip


def study(d: Path, *, roster: Path | None = None):
    return load_study(
        read_segments(d / "segments.csv"),
        read_codings(d / "consensus.csv"),
        codebook=load_codebook(d / "codebook.yaml"),
        roster=read_roster(roster or d / "roster.csv"),
    )


def coder_inputs(d: Path) -> dict:
    return {
        "coder_a": read_codings(d / "coder_a.csv"),
        "coder_b": read_codings(d / "coder_b.csv"),
        "consensus": read_codings(d / "consensus.csv"),
        "decisions": read_decisions(d / "decisions.csv"),
    }


# --- narrative ------------------------------------------------------------------------------------
def test_narrative_follows_codebook_and_hierarchy_counts(study_dir):
    data = study(study_dir)
    narrative = narrative_report(data, quotes=3)
    h = hierarchy_report(data).hierarchy
    cols = ["level", "id", "label", "parent_id", "mentions", "participants", "groups", "summary"]
    assert list(narrative.outline[cols].itertuples(index=False, name=None)) == list(
        h[cols].itertuples(index=False, name=None)
    )
    assert narrative.outline["id"].tolist() == ["C1", "T1", "RI1", "RI2", "T2", "RI3", "RI4"]
    sections = narrative.sections()
    assert [s["id"] for s in sections] == ["C1", "T2", "RI4"]
    assert [t["id"] for t in sections[0]["children"]] == ["T1"]
    assert [i["id"] for i in sections[0]["children"][0]["children"]] == ["RI1", "RI2"]
    assert sections[0]["placeholder"].startswith("[Write here:")
    assert (
        "voiced in 3 of 3 groups by 2 of 5 participants"
        in sections[0]["children"][0]["children"][0]["summary"]
    )


def test_narrative_quotes_are_verbatim_strongest_first(study_dir):
    data = study(study_dir)
    quotes = narrative_report(data, quotes=3).quotes
    # The exemplar rule (qualcode.analysis.quotes). RI1: the turn inside the 15-80 word band, then
    # a new group with an identified participant, then the last new group (an unknown speaker)
    # before a second quote from G1; RI3: the longer turn first.
    rows = list(quotes[["idea_id", "rank", "segment_id", "participant_id"]].itertuples(False, None))
    assert rows == [
        ("RI1", 1, "G1:4", "P01"),
        ("RI1", 2, "G2:2", "P03"),
        ("RI1", 3, "G3:1", ""),
        ("RI2", 1, "G1:3", "P02"),
        ("RI2", 2, "G2:4", "P03"),
        ("RI3", 1, "G3:2", "P05"),
        ("RI3", 2, "G2:3", "P04"),
    ]
    segments = read_segments(study_dir / "segments.csv").set_index("segment_id")["text"]
    for q in quotes.itertuples(index=False):
        assert q.text == segments[q.segment_id]
        who = q.participant_id or q.speaker
        assert q.reference == f"{q.transcript_id}, {who}, turn {q.turn}"


def test_narrative_json_equals_core(cli, study_dir):
    result = cli("report", "narrative", *args(study_dir), "--quotes", "2", "-f", "json")
    assert result.exit_code == 0, result.stderr
    expected = narrative_report(study(study_dir), quotes=2).to_dict()
    assert json.loads(result.stdout) == expected
    assert [s["id"] for s in expected["sections"]] == ["C1", "T2", "RI4"]


def test_narrative_markdown_escapes_and_marks(cli, study_dir):
    out = study_dir / "narrative.md"
    # 4 quotes: every RI1 turn, the <script> one too.
    result = cli("report", "narrative", *args(study_dir), "--quotes", "4", "-o", out)
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    heads = [line for line in text.splitlines() if line.startswith("#")]
    assert heads[:4] == [
        "# Theoretical narrative (scaffold)",
        "## C1 Body and mind",
        "### T1 Medicine handles the body",
        "#### RI1 the pill takes care of the body",
    ]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>" not in text
    assert "> — P01, G1; segment G1:4" in text
    assert text.count("**[Write here:") == 4  # one construct, two themes, the leftovers


def test_narrative_needs_codebook(cli, study_dir):
    a = args(study_dir)
    result = cli("report", "narrative", *a[:-2])
    assert result.exit_code == 2
    assert "the narrative needs --codebook" in result.stderr


# --- methods --------------------------------------------------------------------------------------
def statuses(report) -> dict[int, str]:
    return dict(zip(report.coreq["number"], report.coreq["status"], strict=True))


def test_methods_without_coder_files(study_dir):
    report = methods_report(study(study_dir), saturation_options={"base": 1, "run": 1})
    assert statuses(report) == {
        1: BY_HAND, 12: FROM_DATA, 15: BY_HAND, 21: FROM_DATA, 22: FROM_DATA, 24: BY_HAND,
        25: FROM_DATA, 26: BY_HAND, 27: FROM_DATA, 29: FROM_DATA, 32: FROM_DATA,
    }  # fmt: skip
    values = dict(zip(report.coreq["number"], report.coreq["value"], strict=True))
    assert values[12] == "5 participants in 3 groups (group size median 2, range 1-2)"
    assert values[21] == "1-3 minutes (first to last timestamp) in 3 of 3 groups"
    assert values[25] == (
        "1 construct, 2 themes and 4 ideas (the codes applied); 3 voiced by 2 or more "
        "participants (repeating ideas)"
    )
    assert values[27].startswith("qualcode ")
    assert "1 turn(s) by unidentified speakers (G3)" in values[15]
    assert report.agreement.empty
    assert "[To complete: the number of coders" in report.paragraph
    assert "The data are 3 transcribed groups with 5 participants" in report.paragraph


def test_methods_with_coder_files_hand_checked(study_dir):
    report = methods_report(
        study(study_dir), saturation_options={"base": 1, "run": 1, "threshold": 0.0, "new": "first-mention"},
        **coder_inputs(study_dir),
    )  # fmt: skip
    assert statuses(report)[24] == FROM_DATA
    values = dict(zip(report.coreq["number"], report.coreq["value"], strict=True))
    # The share is over the 8 participant turns: the 2 facilitator turns are context, not data.
    assert values[24] == "2 (coder_a, coder_b); 8 of 8 participant turns (100%) coded by both"
    assert values[22].startswith(
        "reached at 2+1 (Guest, Namey & Chen 2020; for focus groups Guest, Namey & McKenna 2017; "
        "base 1, run 1"
    )
    # 10 segments x 4 codes = 40 decisions. Before: both 6, only A 2, only B 1, neither 31;
    # p_o = 37/40, p_e = .2 x .175 + .8 x .825 = .695, kappa = (.925 - .695) / .305.
    rows = list(
        report.agreement[["stage", "pair", "both", "only_a", "only_b", "neither"]].itertuples(
            index=False, name=None
        )
    )
    assert rows == [
        ("before reconciliation", "coder_a vs coder_b", 6, 2, 1, 31),
        ("after reconciliation", "coder_a vs consensus", 8, 0, 0, 32),
        ("after reconciliation", "coder_b vs consensus", 6, 1, 2, 31),
    ]
    before = report.agreement.iloc[0]
    assert before["percent_agreement"] == pytest.approx(0.925)
    assert before["cohen_kappa"] == pytest.approx((0.925 - 0.695) / 0.305)
    assert report.agreement.iloc[1]["cohen_kappa"] == pytest.approx(1.0)
    assert "Cohen's kappa 0.754" in report.paragraph
    assert (
        "3 coding decisions on differences were taken in discussion and logged (2 kept, 1 dropped, 0 added"
        in (report.paragraph)
    )
    assert "[To complete: the number of coders" not in report.paragraph


def test_methods_by_hand_without_timestamps_or_event_order(study_dir):
    seg = (study_dir / "segments.csv").read_text().splitlines()
    stripped = [seg[0]] + [",".join(r.rsplit(",", 4)[:1] + ["", "", "x.txt", "1"]) for r in seg[1:]]
    (study_dir / "segments.csv").write_text("\n".join(stripped) + "\n")
    roster = study_dir / "roster.csv"
    lines = roster.read_text().splitlines()
    (study_dir / "plain_roster.csv").write_text(
        "\n".join(",".join(c for i, c in enumerate(r.split(",")) if i != 4) for r in lines) + "\n"
    )
    data = load_study(
        read_segments(study_dir / "segments.csv"),
        read_codings(study_dir / "consensus.csv"),
        codebook=load_codebook(study_dir / "codebook.yaml"),
        roster=read_roster(study_dir / "plain_roster.csv"),
    )
    report = methods_report(data)
    s = statuses(report)
    assert (s[21], s[22]) == (BY_HAND, BY_HAND)
    assert "[To complete: how long the groups lasted (no timestamps).]" in report.paragraph
    assert "[To complete: data saturation" in report.paragraph


def test_methods_json_equals_core(cli, study_dir):
    result = cli(
        "report", "methods", *args(study_dir), *coder_args(study_dir),
        "--base", "1", "--run", "1", "--threshold", "0", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    expected = methods_report(
        study(study_dir),
        saturation_options={"base": 1, "run": 1, "threshold": 0.0},
        files={
            "a": study_dir / "coder_a.csv",
            "b": study_dir / "coder_b.csv",
            "consensus": study_dir / "consensus.csv",
        },
        **coder_inputs(study_dir),
    ).to_dict()
    assert json.loads(result.stdout) == expected
    assert expected["summary"]["coders"] == ["coder_a", "coder_b"]


def test_methods_terminal_prints_paragraph_and_items(cli, study_dir):
    result = cli("report", "methods", *args(study_dir))
    assert result.exit_code == 0, result.stderr
    assert "The data are 3 transcribed groups" in result.stdout
    assert "to complete by hand" in result.stdout


def test_methods_coder_a_needs_coder_b(cli, study_dir):
    result = cli("report", "methods", *args(study_dir), "--coder-a", study_dir / "coder_a.csv")
    assert result.exit_code == 2
    assert "--coder-a needs --coder-b too" in result.stderr


def test_methods_core_needs_both_coders(study_dir):
    from qualcode.errors import QualcodeError

    with pytest.raises(QualcodeError, match="needs both coders"):
        methods_report(study(study_dir), coder_a=read_codings(study_dir / "coder_a.csv"))


# --- all ------------------------------------------------------------------------------------------
def test_all_json_holds_every_section(cli, study_dir):
    result = cli(
        "report", "all", *args(study_dir), "--by", "gender", "--permutations", "0", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [s["kind"] for s in doc["sections"]] == [
        "hierarchy", "narrative", "saturation", "demographics", "crosstab", "cooccurrence",
        "methods",
    ]  # fmt: skip
    narrative = narrative_report(study(study_dir)).to_dict()
    assert doc["sections"][1] == narrative


def test_all_rejects_csv(cli, study_dir):
    result = cli("report", "all", *args(study_dir), "-f", "csv")
    assert result.exit_code == 2
    assert "report all writes html, docx, md, json, xlsx, not csv" in result.stderr


def test_all_needs_codebook(cli, study_dir):
    result = cli("report", "all", *args(study_dir)[:-2], "-f", "json")
    assert result.exit_code == 2
    assert "report all needs --codebook" in result.stderr


def test_all_leaves_out_saturation_without_order(cli, study_dir):
    lines = (study_dir / "roster.csv").read_text().splitlines()
    (study_dir / "roster.csv").write_text(
        "\n".join(",".join(c for i, c in enumerate(r.split(",")) if i != 4) for r in lines) + "\n"
    )
    result = cli("report", "all", *args(study_dir), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert "note: saturation left out: the order of the events" in result.stderr
    kinds = [s["kind"] for s in json.loads(result.stdout)["sections"]]
    assert "saturation" not in kinds


def test_methods_bad_denominator(cli, study_dir):
    result = cli("report", "methods", *args(study_dir), "--denominator", "total")
    assert result.exit_code == 2
    assert "choose base or cumulative" in result.stderr


def test_methods_coder_file_with_unknown_code(cli, study_dir):
    bad = study_dir / "coder_b.csv"
    bad.write_text(bad.read_text().replace("G3:2,RI3", "G3:2,RI9"))
    result = cli("report", "methods", *args(study_dir), *coder_args(study_dir))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "coder_b.csv" in result.stderr and "RI9" in result.stderr
    assert "Traceback" not in result.stderr


def test_all_markdown_contents_and_demoted_headings(cli, study_dir):
    result = cli("report", "all", *args(study_dir), "--permutations", "0", "-f", "md")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# Study report: Scaffold fixture"
    assert "1. Constructs, themes and repeating ideas" in lines
    assert "## Theoretical narrative (scaffold)" in lines
    assert "### C1 Body and mind" in lines
    assert "## Methods paragraph and COREQ items" in lines
    assert "### Methods paragraph" in lines


def test_study_export_refuses_unknown_formats(study_dir):
    from qualcode.analysis.study import study_report
    from qualcode.errors import OutputError
    from qualcode.report.study_export import render_study, write_study

    report = study_report(study(study_dir), saturation_options={"permutations": 0})
    with pytest.raises(OutputError, match="cannot render a study report as 'csv' text"):
        render_study(report, "csv")
    with pytest.raises(OutputError, match="cannot write a study report as 'csv'"):
        write_study(report, "csv", study_dir / "x.csv")
