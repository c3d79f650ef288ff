"""Methods review: regressions for what the reports got wrong against docs/method.md.

- the double-coded share is over the codable segments (facilitator turns are context, not data),
  one definition for `compare` and the methods paragraph;
- percentages are rounded half up as journals print them (5 of 8 = 63%, not 62%);
- percent agreement keeps a decimal (one disagreement in 400 is 99.8%, never "100%");
- the methods paragraph names the consensus once and calls flat codes "codes";
- "one group only" looks at where the *participants* voiced an idea;
- documents: the hierarchy's quotes are shown once (in the outline); Word tables get column widths
  from their text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qualcode.agreement.compare import compare_codings, double_coded_share
from qualcode.analysis.crosstab import crosstab_report
from qualcode.analysis.data import load_study
from qualcode.analysis.demographics import percent_text
from qualcode.analysis.hierarchy import hierarchy_report
from qualcode.analysis.methods import methods_report
from qualcode.codebook import load_codebook
from qualcode.io import read_segments
from qualcode.model import DECISION_COLUMNS
from qualcode.report.compare_report import summary_lines, to_markdown

# G1: a facilitator turn, four participant turns and one unknown speaker; G2: a facilitator turn
# and one participant turn. Codable (non-facilitator) turns: 6.
SEGMENTS = """\
segment_id,transcript_id,turn,speaker,participant_id,role,text
G1:1,G1,1,Facilitator,F1,facilitator,What helps?
G1:2,G1,2,Ann,P1,participant,The group helps me.
G1:3,G1,3,Bob,P2,participant,Same for me.
G1:4,G1,4,Cy,P3,participant,I like my doctor.
G1:5,G1,5,Unknown Speaker,,unknown,Mm hmm.
G1:6,G1,6,Ann,P1,participant,Groups are good.
G2:1,G2,1,Moderator,F2,facilitator,And you?
G2:2,G2,2,Dee,P4,participant,The group helps.
"""
CODEBOOK_TREE = """\
title: Review
constructs:
  - id: C1
    label: Care
    themes:
      - id: T1
        label: Groups
        repeating_ideas:
          - id: RI1
            label: groups help
          - id: RI2
            label: my doctor
"""
CODEBOOK_FLAT = """\
title: Flat
codes:
  - id: RI1
    label: groups help
  - id: RI2
    label: my doctor
"""


def codings_frame(rows: list[tuple[str, str]], coder: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment_id": [r[0] for r in rows],
            "code_id": [r[1] for r in rows],
            "coder": coder,
            "origin": "manual",
            "memo": "",
            "start_char": "",
            "end_char": "",
        }
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# Both coders reviewed the facilitator turn G1:1 and 4 of the 6 codable turns.
A_ROWS = [("G1:1", ""), ("G1:2", "RI1"), ("G1:3", "RI1"), ("G1:4", "RI2"), ("G1:5", "")]
B_ROWS = [("G1:1", ""), ("G1:2", "RI1"), ("G1:3", ""), ("G1:4", "RI2"), ("G1:5", "")]


@pytest.fixture
def segments(tmp_path: Path) -> pd.DataFrame:
    return read_segments(write(tmp_path, "segments.csv", SEGMENTS))


# --- the double-coded share ---------------------------------------------------------------------
def test_share_is_over_participant_turns_not_facilitator_turns(segments):
    c = compare_codings(
        codings_frame(A_ROWS, "ana"), codings_frame(B_ROWS, "ben"), segments=segments
    )
    # Agreement still uses all 5 double-coded segments; the share counts the 4 codable ones of 6.
    assert c.double_coded == 5
    assert (c.share_double_coded, c.share_denominator) == (4, 6)
    assert c.double_coded_share == pytest.approx(4 / 6)
    assert c.facilitator_segments == 2
    lines = summary_lines(c)
    assert (
        "Double-coded: 4 of 6 participant turns (non-facilitator segments in the segments file) "
        "= 67% (usual: 10%-25%)"
    ) in lines
    assert "Double-coded facilitator turns: 1 (in the agreement figures, not in the share)" in lines
    assert "Not reviewed by either coder: 2 participant turns" in lines
    assert "Facilitator turns: 2 (context, not data: not in the share)" in lines


def test_share_with_facilitators_included_and_without_a_segments_file(segments):
    share = double_coded_share(["G1:1", "G1:2"], ["G1:1", "G1:2", "G1:3"], segments)
    assert (share.double_coded, share.denominator, share.unit) == (1, 6, "participant turns")
    share = double_coded_share(
        ["G1:1", "G1:2"], ["G1:1", "G1:2", "G1:3"], segments, include_facilitator=True
    )
    assert (share.double_coded, share.denominator, share.of) == (
        2,
        8,
        "segments in the segments file",
    )
    share = double_coded_share(["G1:1", "G1:2"], ["G1:1", "G1:2", "G1:3"])
    assert (share.double_coded, share.denominator, share.of) == (
        2,
        3,
        "segments reviewed by either coder",
    )


def study(tmp_path: Path, codebook_text: str = CODEBOOK_TREE, consensus_coder: str = "consensus"):
    seg = write(tmp_path, "segments.csv", SEGMENTS)
    cons = codings_frame([("G1:2", "RI1"), ("G1:3", "RI1"), ("G1:4", "RI2")], consensus_coder)
    data = load_study(
        read_segments(seg),
        cons,
        codebook=load_codebook(write(tmp_path, "codebook.yaml", codebook_text)),
        order=["G1", "G2"],
        min_words=1,  # these turns are short on purpose; assent is tested in test_review_quotes
    )
    return data, cons


def test_methods_states_the_same_share_as_compare(tmp_path):
    data, cons = study(tmp_path)
    a, b = codings_frame(A_ROWS, "ana"), codings_frame(B_ROWS, "ben")
    report = methods_report(data, coder_a=a, coder_b=b, consensus=cons)
    values = dict(zip(report.coreq["number"], report.coreq["value"], strict=True))
    assert values[24] == "2 (ana, ben); 4 of 6 participant turns (67%) coded by both"
    assert "4 of 6 participant turns (67%) were coded by both." in report.paragraph
    c = compare_codings(a, b, segments=data.segments)
    assert (c.share_double_coded, c.share_denominator) == (4, 6)
    assert report.facts["double_coded"] == 4 and report.facts["double_coded_of"] == 6


# --- methods wording ----------------------------------------------------------------------------
def test_methods_names_the_consensus_once(tmp_path):
    data, cons = study(tmp_path)
    a, b = codings_frame(A_ROWS, "ana"), codings_frame(B_ROWS, "ben")
    # A negotiated log (the one difference decided by the team): post-discussion agreement is shown.
    talked = pd.DataFrame(
        [("G1:3", "RI1", "1", "0", "kept", "replay", "ana & ben", "", "")],
        columns=list(DECISION_COLUMNS),
    )
    text = methods_report(data, coder_a=a, coder_b=b, consensus=cons, decisions=talked).paragraph
    assert (
        "Agreement of each coder with the negotiated consensus on the same turns: ana kappa" in text
    )
    assert "(consensus)" not in text
    data, cons = study(tmp_path, consensus_coder="final")
    text = methods_report(data, coder_a=a, coder_b=b, consensus=cons, decisions=talked).paragraph
    assert "Agreement of each coder with the negotiated consensus (final) on the same turns" in text


def test_methods_coding_tree_wording(tmp_path):
    # RI1 voiced by P1 and P2 (a repeating idea), RI2 by P3 only (a diverse case).
    data, _ = study(tmp_path)
    report = methods_report(data)
    values = dict(zip(report.coreq["number"], report.coreq["value"], strict=True))
    assert values[25] == (
        "1 construct, 1 theme and 2 ideas (the codes applied); 1 voiced by 2 or more "
        "participants (repeating ideas)"
    )
    assert "holds 1 construct, 1 theme and 2 ideas (the codes applied); 1 was voiced" in (
        report.paragraph
    )
    data, _ = study(tmp_path, CODEBOOK_FLAT)
    report = methods_report(data)
    values = dict(zip(report.coreq["number"], report.coreq["value"], strict=True))
    assert values[25] == "2 codes; 1 voiced by 2 or more participants"
    assert "The codebook holds 2 codes (no themes or constructs); 1 was voiced by 2" in (
        report.paragraph
    )
    assert "repeating idea" not in report.paragraph
    assert values[26].startswith("the codebook lists 2 codes without themes")
    assert "[To complete: whether codes were defined in advance" in report.paragraph


def test_methods_says_how_many_turns_are_facilitator_turns(tmp_path):
    data, _ = study(tmp_path)
    assert "divided into 8 speaker turns (2 by facilitators)" in methods_report(data).paragraph


# --- rounding -----------------------------------------------------------------------------------
def test_percent_text_rounds_half_up():
    assert [percent_text(x) for x in (5 / 8, 1 / 8, 29 / 200, 0.0, 1.0)] == [
        "63%",
        "13%",
        "15%",
        "0%",
        "100%",
    ]
    assert percent_text(0.99675, 1) == "99.7%" and percent_text(float("nan")) == "-"


def test_crosstab_cells_round_half_up(tmp_path):
    # 8 participants in one group, 5 of them voice RI1: 5/8 = 62.5% -> "63%" (Python's round: 62).
    people = [f"P{i}" for i in range(1, 9)]
    rows = ["segment_id,transcript_id,turn,speaker,participant_id,role,text"]
    rows += [f"G1:{i},G1,{i},{p},{p},participant,text {i}" for i, p in enumerate(people, 1)]
    seg = write(tmp_path, "segments.csv", "\n".join(rows) + "\n")
    cod = codings_frame([(f"G1:{i}", "RI1") for i in range(1, 6)], "consensus")
    data = load_study(read_segments(seg), cod)
    table = crosstab_report(data, "transcript_id").display
    assert table["G1"].tolist() == ["5 (63%)"]


def test_percent_agreement_keeps_a_decimal():
    # 400 segments, one disagreement: 99.75% agreement is shown as 99.8%, never as 100%.
    ids = [f"S:{i}" for i in range(1, 401)]
    a = codings_frame([(s, "X" if i < 40 else "") for i, s in enumerate(ids)], "ana")
    b = codings_frame([(s, "X" if i < 39 else "") for i, s in enumerate(ids)], "ben")
    text = to_markdown(compare_codings(a, b))
    row = next(line for line in text.splitlines() if line.startswith("| X |"))
    assert "| 99.8% |" in row and "100%" not in row
    assert "| Pooled percent agreement | 99.8% |" in text


# --- hierarchy flag -----------------------------------------------------------------------------
def test_one_group_flag_looks_at_participants(tmp_path):
    # RI1: P1 and P2 in G1, and an unknown speaker in G2: its participants all sit in G1.
    text = SEGMENTS.replace("G2:2,G2,2,Dee,P4,participant", "G2:2,G2,2,Someone,,unknown")
    seg = write(tmp_path, "segments.csv", text)
    cod = codings_frame([("G1:2", "RI1"), ("G1:3", "RI1"), ("G2:2", "RI1")], "consensus")
    data = load_study(read_segments(seg), cod, order=["G1", "G2"], min_words=1)
    report = hierarchy_report(data)
    row = report.hierarchy.iloc[0]
    assert (row["mentions"], row["participants"], row["groups"]) == (3, 2, 2)
    flags = report.flags[report.flags["flag"] == "one-group-only"]["detail"].tolist()
    assert flags == ["its participants all sit in G1 (unknown speakers elsewhere)"]


# --- documents ----------------------------------------------------------------------------------
def test_hierarchy_document_shows_quotes_once(tmp_path):
    from qualcode.report.sections import section_view

    data, _ = study(tmp_path)
    section = section_view(hierarchy_report(data))
    assert "Exemplar quotes" not in [t.title for t in section.tables]
    quotes = [
        q.text for n in section.tree for t in n.children for i in t.children for q in i.quotes
    ]
    assert "The group helps me." in quotes


def test_word_column_widths_follow_the_text():
    from qualcode.report.docx_report import column_widths
    from qualcode.report.sections import Cell, Table

    long = "a long quote " * 20
    t = Table("t", "T", ["id", "text"], [[Cell("RI1"), Cell(long)], [Cell("RI2"), Cell("x")]])
    widths = column_widths(t, 6_400_800)
    assert sum(widths) == pytest.approx(6_400_800, abs=2)
    assert widths[1] > 4 * widths[0]
    # A column never gets less than its longest word while the words fit.
    t2 = Table("t", "T", ["level", "label"], [[Cell("construct"), Cell(long)]])
    narrow = column_widths(t2, 6_400_800)
    assert narrow[0] >= (len("construct") + 1) * 8 * 0.5 * 12700


def test_crosstab_row_and_column_percent_round_half_up(tmp_path):
    # 16 participants, 1 voices RI1: column % 1/16 = 6.25 -> 6.3 (round() gives 6.2).
    people = [f"P{i}" for i in range(1, 17)]
    rows = ["segment_id,transcript_id,turn,speaker,participant_id,role,text"]
    rows += [f"G1:{i},G1,{i},{p},{p},participant,text {i}" for i, p in enumerate(people, 1)]
    seg = write(tmp_path, "segments.csv", "\n".join(rows) + "\n")
    data = load_study(read_segments(seg), codings_frame([("G1:1", "RI1")], "consensus"))
    report = crosstab_report(data, "transcript_id")
    assert report.column_percent["G1"].tolist() == [6.3]
    assert report.display["G1"].tolist() == ["1 (6%)"]
