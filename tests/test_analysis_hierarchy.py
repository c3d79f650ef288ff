"""Counting rules of the A&S hierarchy on a hand-made study (tests/data/analysis):

- G1:1 and G2:1 are facilitator turns coded RI1/RI2 (a paraphrase): never counted by default;
- G1:4 and G3:3 are by "Unknown Speaker": mentions and groups, not participants;
- P02 speaks as "P2" in G1 and as "Bob" in G2 (the roster maps both to P02): one participant;
- RI3: P02 supplies 2 of 3 segments; RI5 is voiced in G1 only; RI4 is never applied.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qualcode.analysis.data import MultipleCodersError, load_study
from qualcode.analysis.hierarchy import hierarchy_report, voiced_sentence
from qualcode.codebook import load_codebook
from qualcode.errors import ContractError
from qualcode.io import read_codings, read_segments
from qualcode.model import SEGMENT_COLUMNS
from qualcode.roster import read_roster

DATA = Path(__file__).parent / "data" / "analysis"


def study(**kwargs):
    return load_study(
        read_segments(DATA / "segments.csv"),
        kwargs.pop("codings", None) if "codings" in kwargs else read_codings(DATA / "codings.csv"),
        codebook=load_codebook(DATA / "codebook.yaml"),
        roster=read_roster(DATA / "roster.csv"),
        codings_path="codings.csv",
        **kwargs,
    )


def rows(df: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(r) for r in df[columns].itertuples(index=False, name=None)]


def test_applied_table_maps_speakers_through_the_roster_and_drops_facilitators():
    data = study()
    assert rows(data.applied, ["segment_id", "code_id", "participant_id", "role"]) == [
        ("G1:2", "RI1", "P01", "participant"),
        ("G1:3", "RI1", "P02", "participant"),
        ("G1:3", "RI2", "P02", "participant"),
        ("G1:4", "RI2", "", "unknown"),
        ("G2:2", "RI1", "P03", "participant"),
        ("G2:3", "RI2", "P02", "participant"),
        ("G2:3", "RI3", "P02", "participant"),
        ("G2:4", "RI3", "P02", "participant"),
        ("G3:2", "RI3", "P04", "participant"),
        ("G3:3", "RI1", "", "unknown"),
        ("G1:2", "RI5", "P01", "participant"),
        ("G1:3", "RI5", "P02", "participant"),
    ]
    assert data.facilitator_mentions_excluded == 2
    assert data.transcripts == ["G1", "G2", "G3"]
    assert data.participants() == ["P01", "P02", "P03", "P04"]


def test_counts_union_of_children_flags_and_sentences():
    report = hierarchy_report(study())
    assert rows(
        report.hierarchy,
        ["level", "id", "parent_id", "mentions", "participants", "groups", "flags"],
    ) == [
        # RI2 is a leftover (one participant): themes and constructs roll up repeating ideas only.
        ("construct", "C1", "", 4, 3, 3, ""),
        ("theme", "T1", "C1", 4, 3, 3, ""),
        ("idea", "RI1", "T1", 4, 3, 3, ""),
        ("idea", "RI2", "T1", 3, 1, 2, "below-two-participants"),
        ("theme", "T2", "", 5, 3, 3, ""),
        ("idea", "RI3", "T2", 3, 2, 2, "dominant-participant"),
        ("idea", "RI5", "T2", 2, 2, 1, "one-group-only"),
        ("idea", "RI4", "", 0, 0, 0, "never-applied"),
    ]
    assert report.hierarchy["summary"].iat[2] == "voiced in 3 of 3 groups by 3 of 4 participants"
    assert rows(report.flags, ["id", "flag", "detail"]) == [
        ("RI2", "below-two-participants", "1 participant (the rule asks for 2 or more)"),
        ("RI3", "dominant-participant", "P02 supplied 2 of 3 segments (67%)"),
        ("RI5", "one-group-only", "voiced in G1 only"),
        ("RI4", "never-applied", "idea never applied"),
    ]
    assert report.summary() == {
        "groups": 3,
        "participants": 4,
        "facilitator_mentions_excluded": 2,
        "constructs": 1,
        "themes": 2,
        "ideas": 5,
        "repeating_ideas": 3,
        "ideas_applied": 4,
        "assent_only_pairs": 0,
    }


def test_matrix_counts_participants_per_group():
    report = hierarchy_report(study())
    assert rows(report.matrix, ["id", "G1", "G2", "G3", "participants"]) == [
        ("RI1", 2, 1, 0, 3),
        ("RI2", 1, 1, 0, 1),
        ("RI3", 0, 1, 1, 2),
        ("RI5", 2, 0, 0, 2),
        ("RI4", 0, 0, 0, 0),
    ]


def test_quotes_spread_over_participants_and_groups_with_identifiers():
    report = hierarchy_report(study(), quotes=2)
    # The exemplar rule (qualcode.analysis.quotes): specific turns first (G2:2 holds RI1 only,
    # G1:2 also RI5), one idea per quote, a new group before a second quote from one; RI5 has only
    # turns already quoted for RI1/RI2, so its second quote is reused and marked.
    cols = ["idea_id", "rank", "reference", "segment_id", "also_quoted_for"]
    assert rows(report.quotes, cols) == [
        ("RI1", 1, "G2, P03, turn 2", "G2:2", ""),
        ("RI1", 2, "G1, P01, turn 2", "G1:2", ""),
        ("RI2", 1, "G2, P02, turn 3", "G2:3", ""),
        ("RI2", 2, "G1, Unknown Speaker, turn 4", "G1:4", ""),
        ("RI3", 1, "G2, P02, turn 4", "G2:4", ""),
        ("RI3", 2, "G3, P04, turn 2", "G3:2", ""),
        ("RI5", 1, "G1, P02, turn 3", "G1:3", ""),
        ("RI5", 2, "G1, P01, turn 2", "G1:2", "RI1"),
    ]
    assert hierarchy_report(study(), quotes=0).quotes.empty


def test_leftovers_list_one_participant_ideas_and_ideas_outside_the_tree():
    report = hierarchy_report(study())
    assert rows(report.leftovers, ["kind", "id", "reason", "participants"]) == [
        ("idea", "RI2", "voiced by one participant: a leftover, not a repeating idea", 1),
        ("idea", "RI4", "fits no theme", 0),
        ("theme", "T2", "fits no construct", 3),
    ]


def test_facilitator_turns_can_be_included():
    report = hierarchy_report(study(include_facilitator=True))
    ri1 = report.hierarchy[report.hierarchy["id"] == "RI1"].iloc[0]
    ri2 = report.hierarchy[report.hierarchy["id"] == "RI2"].iloc[0]
    # the facilitator is not a participant: mentions grow, participants do not
    assert (ri1.mentions, ri1.participants, ri2.mentions, ri2.participants) == (5, 3, 4, 1)
    assert "included" in " ".join(report.notes)


def test_without_roster_a_labelled_speaker_is_a_participant_of_their_transcript():
    segments = read_segments(DATA / "segments.csv")
    segments.loc[segments["speaker"].isin(["P1", "P2", "Ann", "Bob", "Cy"]), "role"] = "participant"
    data = load_study(
        segments,
        read_codings(DATA / "codings.csv"),
        codebook=load_codebook(DATA / "codebook.yaml"),
        order=["G1", "G2", "G3"],
    )
    ideas = hierarchy_report(data).hierarchy.set_index("id")
    # without the roster, P2 (G1) and Bob (G2) are two people
    assert ideas.loc["RI2", "participants"] == 2
    assert "G1/P2" in data.participants()
    assert any("without a participant_id" in n for n in data.notes)


def test_voiced_sentence():
    assert voiced_sentence(4, 5, 12, 33) == "voiced in 4 of 5 groups by 12 of 33 participants"
    assert voiced_sentence(1, 1, 1, 1) == "voiced in 1 of 1 group by 1 of 1 participant"


def test_code_not_in_codebook_is_an_error_with_its_line():
    codings = read_codings(DATA / "codings.csv")
    codings.loc[4, "code_id"] = "RI9"
    with pytest.raises(ContractError) as err:
        study(codings=codings)
    assert str(err.value) == "codings.csv:6: code 'RI9' is not in the codebook"


def test_segment_not_in_segments_is_an_error_with_its_line():
    codings = read_codings(DATA / "codings.csv")
    codings.loc[2, "segment_id"] = "G9:1"
    with pytest.raises(ContractError) as err:
        study(codings=codings)
    assert str(err.value) == "codings.csv:4: segment_id 'G9:1' is not in the segments"


def test_several_coders_need_a_choice():
    codings = read_codings(DATA / "codings.csv")
    codings.loc[0, "coder"] = "ana"
    with pytest.raises(MultipleCodersError, match=r"holds 2 coders \(ana, consensus\)"):
        study(codings=codings)
    assert study(codings=codings, coder="consensus").coder == "consensus"
    with pytest.raises(ContractError, match="no codings by coder 'ben'"):
        study(codings=codings, coder="ben")


def test_reviewed_without_code_and_duplicate_spans_count_once():
    codings = read_codings(DATA / "codings.csv")
    extra = codings.iloc[[1]].assign(start_char="0", end_char="5")
    data = study(codings=pd.concat([codings, extra], ignore_index=True))
    ri1 = hierarchy_report(data).hierarchy.set_index("id").loc["RI1"]
    assert ri1.mentions == 4


def test_whole_turn_excerpts_are_the_same_with_or_without_a_span_in_the_file():
    # Without any span the excerpts are made from the applied codings; one span (here the whole
    # turn, on a repeated cell) sends every coding through qualcode.spans: the same excerpts.
    codings = read_codings(DATA / "codings.csv")
    text = read_segments(DATA / "segments.csv").set_index("segment_id").loc["G1:3", "text"]
    spanned = pd.concat(
        [codings, codings.iloc[[2]].assign(start_char="0", end_char=str(len(text)))],
        ignore_index=True,
    )
    plain, through_spans = study(codings=codings), study(codings=spanned)
    pd.testing.assert_frame_equal(plain.applied, through_spans.applied)
    pd.testing.assert_frame_equal(plain.excerpts, through_spans.excerpts)
    assert rows(plain.excerpts, ["segment_id", "code_id", "start_char", "end_char", "whole"])[
        :2
    ] == [
        ("G1:2", "RI1", 0, len(plain.applied["text"].iat[0]), True),
        ("G1:3", "RI1", 0, len(text), True),
    ]


def test_a_tag_on_a_repeated_row_of_a_coding_holds_for_the_coding():
    codings = read_codings(DATA / "codings.csv")
    repeated = codings.iloc[[2, 8]].assign(memo=["#quote", "#negative"])
    data = study(codings=pd.concat([codings, repeated], ignore_index=True))
    assert rows(data.applied[data.applied["flagged"]], ["segment_id", "code_id"]) == [
        ("G1:3", "RI1")
    ]
    assert rows(data.negative_cases, ["segment_id", "code_id", "memo"]) == [("G2:3", "RI3", "")]
    assert ("G2:3", "RI3") not in rows(data.applied, ["segment_id", "code_id"])
    assert len(data.applied) == len(study().applied) - 1


def test_a_repeated_segment_id_in_the_segments_is_an_error_with_its_line():
    segments = read_segments(DATA / "segments.csv")
    segments.loc[3, "segment_id"] = "G1:2"
    with pytest.raises(ContractError) as err:
        load_study(segments, read_codings(DATA / "codings.csv"), segments_path="segments.csv")
    assert str(err.value) == "segments.csv:5: duplicate segment_id 'G1:2'"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_and_matrix_equal_a_plain_python_count_of_random_codings(seed):
    # Pins the integer counting (hierarchy._Counts) to sets of ids counted one row at a time.
    import random

    rng = random.Random(seed)
    speakers = [("P1", "X1", "participant"), ("P2", "", "participant"), ("P3", "X3", "participant")]
    speakers += [("Mod", "", "facilitator"), ("Unknown Speaker", "", "unknown")]
    seg_rows = []
    for g in range(1, 7):
        for turn in range(1, 31):
            speaker, pid, role = rng.choice(speakers)
            words = " ".join("w" for _ in range(rng.randint(1, 12)))
            seg_rows.append((f"G{g}:{turn}", f"G{g}", turn, speaker, pid, role, words))
    segments = pd.DataFrame(seg_rows, columns=list(SEGMENT_COLUMNS[:7]))  # segment_id .. text
    codes = ["RI1", "RI2", "RI3", "RI5"]
    cod_rows = []
    for seg_id, *_ in seg_rows:
        for code in rng.sample(codes, rng.choice([0, 0, 1, 1, 2, 3])) or [""]:
            cod_rows += [(seg_id, code, "c", "manual", "", "", "")] * rng.choice([1, 1, 2])
    rng.shuffle(cod_rows)
    codings = pd.DataFrame(
        cod_rows,
        columns=["segment_id", "code_id", "coder", "origin", "memo", "start_char", "end_char"],
    )
    data = load_study(
        segments,
        codings,
        codebook=load_codebook(DATA / "codebook.yaml"),
        order=list(dict.fromkeys(segments["transcript_id"])),
    )
    report = hierarchy_report(data)

    applied = list(
        data.applied[
            ["segment_id", "code_id", "participant_id", "transcript_id", "assent"]
        ].itertuples(index=False, name=None)
    )

    def count(ids):
        rows = [r for r in applied if r[1] in ids]
        voiced = [r for r in rows if not r[4]]
        people = {r[2] for r in voiced if r[2]}
        return (
            len({r[0] for r in rows}),
            len(people),
            len({r[3] for r in voiced}),
            len({r[2] for r in rows if r[2]}) - len(people),
        )

    repeating = [c for c in codes if count([c])[1] >= 2]
    expected = {
        "C1": count([c for c in ("RI1", "RI2") if c in repeating]),
        "T1": count([c for c in ("RI1", "RI2") if c in repeating]),
        "T2": count([c for c in ("RI3", "RI5") if c in repeating]),
        **{c: count([c]) for c in [*codes, "RI4"]},
    }
    got = {
        r[0]: tuple(r[1:])
        for r in report.hierarchy[
            ["id", "mentions", "participants", "groups", "assent_only"]
        ].itertuples(index=False, name=None)
    }
    assert got == expected
    matrix = report.matrix.set_index("id")
    for code in matrix.index:
        for g in data.transcripts:
            people = {r[2] for r in applied if r[1] == code and r[3] == g and r[2] and not r[4]}
            assert matrix.loc[code, g] == len(people)
    t2 = report.leftovers.set_index("id").loc["T2"]
    rows = [r for r in applied if r[1] in ("RI3", "RI5")]
    assert (t2.mentions, t2.participants, t2.groups) == (
        len({r[0] for r in rows}),
        len({r[2] for r in rows if r[2]}),
        len({r[3] for r in rows}),
    )
