"""Saturation after Guest, Namey & Chen (2020): the published worked example, edge cases, the two
definitions of "new", event order, the sensitivity grid and the discovery curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qualcode.analysis.data import EventOrderError, load_study, resolve_event_order
from qualcode.analysis.saturation import (
    first_new_positions,
    guest_saturation,
    parameter_warnings,
    saturation_report,
)
from qualcode.codebook import load_codebook
from qualcode.errors import ContractError, QualcodeError
from qualcode.io import read_codings, read_segments
from qualcode.roster import read_roster

DATA = Path(__file__).parent / "data" / "analysis"
# Guest, Namey & Chen (2020), PLoS ONE 15(5):e0232076, worked example (docs/method.md)
PUBLISHED_U = [20, 8, 5, 4, 4, 3, 2, 1, 1, 0, 0, 0]


def test_published_example_threshold_5_percent():
    out = guest_saturation(PUBLISHED_U, base=4, run=2, threshold=0.05)
    assert (out.status, out.result, out.s, out.base_total) == ("reached", "8+2", 8, 37)
    assert [tuple(r) for r in out.runs.itertuples(index=False, name=None)][:5] == [
        (4, "5-6", 7, 37, 7 / 37, False),
        (5, "6-7", 5, 37, 5 / 37, False),
        (6, "7-8", 3, 37, 3 / 37, False),
        (7, "8-9", 2, 37, 2 / 37, False),
        (8, "9-10", 1, 37, 1 / 37, True),
    ]
    assert len(out.runs) == 7  # s = 4..10 (the last run ends at event 12)


def test_published_example_threshold_0_and_cumulative():
    assert guest_saturation(PUBLISHED_U, threshold=0).result == "9+2"
    cumulative = guest_saturation(PUBLISHED_U, threshold=0.05, denominator="cumulative")
    assert cumulative.result == "7+2"
    assert cumulative.runs.loc[cumulative.runs["s"] == 7, "denominator"].item() == 46


def test_bundled_study_shape_is_4_plus_1():
    # five groups, the fifth adds nothing new
    out = guest_saturation([9, 4, 2, 1, 0], base=4, run=1, threshold=0)
    assert (out.result, out.reason) == ("4+1", "event 5 added 0 new code(s), 0.0% of the base")


def test_too_few_events_is_not_assessable_and_says_why():
    out = guest_saturation([9, 4, 2, 1, 0], base=4, run=2)
    assert (out.status, out.result) == ("not assessable", "not assessable")
    assert out.reason == (
        "5 events are too few for base 4 + run 2; with 5 events, base 3 and run 2 can be assessed"
    )
    assert out.runs.empty
    fitted = guest_saturation([9, 4, 2, 1, 0], base=3, run=2)
    assert fitted.status != "not assessable"


@pytest.mark.parametrize(
    "u,base,run,reason",
    [
        (
            [9, 4, 2],
            4,
            2,
            "3 events are too few for base 4 + run 2; with 3 events, base 2 and "
            "run 1 can be assessed",
        ),
        (
            [9, 4, 2, 1],
            6,
            3,
            "4 events are too few for base 6 + run 3; with 4 events, base 2 and "
            "run 2 can be assessed",
        ),
        (
            [9],
            4,
            2,
            "1 event are too few for base 4 + run 2 (at least 2 events are needed: a "
            "base of 1 and a run of 1)",
        ),
    ],
)
def test_too_few_events_names_the_parameters_that_would_work(u, base, run, reason):
    assert guest_saturation(u, base=base, run=run).reason == reason


def test_empty_base_is_not_assessable():
    out = guest_saturation([0, 0, 0, 0, 1, 0], base=4, run=2)
    assert out.status == "not assessable"
    assert "base is empty" in out.reason


def test_not_reached():
    out = guest_saturation([5, 5, 5, 5, 5, 5], base=4, run=2)
    assert (out.status, out.result, out.s) == ("not reached", "not reached", None)
    assert out.reason.startswith("no run of 2 events added 5% or less")


def test_threshold_compares_with_float_slack():
    # 1/20 = 5% exactly meets a 5% threshold
    assert guest_saturation([10, 5, 3, 2, 1, 0], base=4, run=2, threshold=0.05).result == "4+2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base": 0}, "base and run must be at least 1"),
        ({"threshold": 1.5}, "threshold must be between"),
        ({"denominator": "total"}, "denominator must be one of base, cumulative"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(QualcodeError, match=message):
        guest_saturation(PUBLISHED_U, **kwargs)


def test_parameter_warnings_outside_validated_range():
    assert parameter_warnings(4, 2) == [] and parameter_warnings(6, 3) == []
    assert parameter_warnings(4, 1) == [
        "base 4 and run 1 are outside the range Guest et al. (2020) validated (base 4-6, run 2-3)"
    ]


def study(**kwargs):
    return load_study(
        read_segments(DATA / "segments.csv"),
        read_codings(DATA / "codings.csv"),
        codebook=load_codebook(DATA / "codebook.yaml"),
        roster=read_roster(DATA / "roster.csv"),
        **kwargs,
    )


def test_report_first_mention_counts_facilitator_free_first_events():
    report = saturation_report(
        study(), base=1, run=1, threshold=0, new="first-mention", permutations=0
    )
    # RI2 is a leftover (one participant): never new, even on first mention (issue 12, item 4).
    assert [tuple(r) for r in report.events.itertuples(index=False, name=None)] == [
        (1, "G1", 2, 2, "RI1, RI5"),
        (2, "G2", 1, 3, "RI3"),
        (3, "G3", 0, 3, ""),
    ]
    assert report.outcome.result == "2+1"
    assert report.n_codes_final == 3  # RI4 never applied and leftover RI2 are not final codes
    assert report.warnings == [
        "base 1 and run 1 are outside the range Guest et al. (2020) validated (base 4-6, run 2-3)"
    ]
    assert "first applied (first mention)" in report.new_definition
    assert "Event order: G1, G2, G3." in report.notes


def test_report_two_participant_rule_uses_the_roster_identity():
    report = saturation_report(
        study(), base=1, run=1, threshold=0, new="two-participant", permutations=0
    )
    # RI1: P01+P02 in G1; RI2: only P02 (in G1 and G2) and an unknown speaker -> never;
    # RI3: P02 in G2, P04 in G3 -> new in G3; RI5: P01+P02 in G1
    assert [tuple(r) for r in report.events.itertuples(index=False, name=None)] == [
        (1, "G1", 2, 2, "RI1, RI5"),
        (2, "G2", 0, 2, ""),
        (3, "G3", 1, 3, "RI3"),
    ]
    assert report.outcome.result == "1+1"
    assert "two distinct participants" in report.new_definition


def test_order_option_overrides_the_roster():
    report = saturation_report(
        study(), base=1, run=1, threshold=0, order=["G3", "G2", "G1"], permutations=0,
        new="first-mention",
    )  # fmt: skip
    assert report.events["transcript_id"].tolist() == ["G3", "G2", "G1"]
    assert report.events["new_codes"].tolist() == [2, 0, 1]  # RI2, a leftover, is never new


def test_two_participant_is_the_default_for_an_a_and_s_codebook():
    report = saturation_report(study(), base=1, run=1, threshold=0, permutations=0)
    assert report.parameters["new"] == "two-participant"
    assert "two distinct participants" in report.new_definition


def test_sensitivity_grid_too_small_for_the_study_is_said_once_not_as_rows():
    report = saturation_report(study(), permutations=0)  # three events only
    assert report.sensitivity.empty
    assert report.outcome.reason == (
        "3 events are too few for base 4 + run 2; with 3 events, base 2 and run 1 can be assessed"
    )
    assert "Sensitivity grid: no base/run pair of it fits 3 events (base 4 + run 2 needs 6)." in (
        report.notes
    )


def test_discovery_curve_and_seeded_band():
    kw = {"base": 1, "run": 1, "permutations": 200, "seed": 7, "new": "first-mention"}
    a = saturation_report(study(), **kw)
    b = saturation_report(study(), **kw)
    assert a.curve.equals(b.curve)
    assert a.curve["share"].tolist() == [2 / 3, 1.0, 1.0]
    assert (a.k_80, a.k_90) == (2, 2)
    assert (a.curve["band_low"] <= a.curve["band_high"]).all()
    assert a.curve["band_high"].iloc[-1] == 1.0 and a.curve["band_low"].iloc[-1] == 1.0


def test_first_new_positions_under_permutations_matches_brute_force():
    rng = np.random.default_rng(1)
    n_events = 6
    events = []
    for _ in range(8):  # codes: per participant the events where they voiced it
        people = rng.integers(0, 4)
        events.append(
            [np.unique(rng.choice(n_events, size=rng.integers(1, 3))) for _ in range(people)]
        )
    perms = np.array([rng.permutation(n_events) for _ in range(20)])
    pos = np.argsort(perms, axis=1)
    got = first_new_positions(events, pos, "two-participant")
    for p, perm in enumerate(perms):
        for c, arrays in enumerate(events):
            expected = n_events
            for k in range(n_events):
                seen = set(perm[: k + 1].tolist())
                if sum(1 for a in arrays if seen & set(a.tolist())) >= 2:
                    expected = k
                    break
            assert got[p, c] == expected


def test_event_order_from_date_then_errors():
    import pandas as pd

    roster = pd.DataFrame(
        {
            "transcript_id": ["A", "B", "C"],
            "speaker": ["x", "y", "z"],
            "participant_id": ["P1", "P2", "P3"],
            "role": ["participant"] * 3,
            "event_date": ["2021-03-01", "2021-01-05", "2021-02-10"],
        }
    )
    assert resolve_event_order(["A", "B", "C"], roster) == ["B", "C", "A"]
    with pytest.raises(EventOrderError, match="order of the events .* is unknown"):
        resolve_event_order(["A", "B"], roster.drop(columns="event_date"))
    roster["event_date"] = ["2021-03-01", "2021-03-01", "2021-02-10"]
    with pytest.raises(EventOrderError, match="transcripts 'A' and 'B' share the same event_date"):
        resolve_event_order(["A", "B", "C"], roster)
    roster["event_date"] = ["March", "2021-03-01", "2021-02-10"]
    with pytest.raises(ContractError, match="event_date must be an ISO date"):
        resolve_event_order(["A", "B", "C"], roster)


def test_event_order_errors_name_the_roster_line():
    roster = read_roster(DATA / "roster.csv")
    roster.loc[1, "event_order"] = "7"  # G1 now has 1 and 7
    with pytest.raises(ContractError) as err:
        resolve_event_order(["G1", "G2", "G3"], roster, roster_path="roster.csv")
    assert (
        str(err.value) == "roster.csv:2: transcript 'G1' has conflicting event_order values: 1, 7"
    )
    roster.loc[:, "event_order"] = roster["event_order"].replace({"7": "x", "1": "x"})
    with pytest.raises(ContractError, match="event_order must be a whole number, got 'x'"):
        resolve_event_order(["G1", "G2", "G3"], roster)


def test_order_option_must_name_every_transcript_once():
    with pytest.raises(ContractError, match="not in the data: G9"):
        resolve_event_order(["G1", "G2"], None, ["G1", "G9"])
    with pytest.raises(ContractError, match="leaves out transcript"):
        resolve_event_order(["G1", "G2"], None, ["G1"])
    with pytest.raises(ContractError, match="twice: G1"):
        resolve_event_order(["G1", "G2"], None, ["G1", "G1", "G2"])


def test_no_order_is_an_error_for_saturation_not_alphabetical():
    data = load_study(
        read_segments(DATA / "segments.csv"),
        read_codings(DATA / "codings.csv"),
        roster=read_roster(DATA / "roster.csv").drop(columns="event_order"),
    )
    assert data.event_order is None
    with pytest.raises(EventOrderError):
        saturation_report(data)


@pytest.mark.parametrize("new", ["first-mention", "two-participant"])
def test_bundled_study_saturates_at_4_plus_1(repo, new):
    from qualcode.ingest import load_sources

    sample = repo / "sample_transcripts"
    roster = sample / "roster.csv"
    data = load_study(
        load_sources([sample], roster=roster).segments,
        read_codings(sample / "codings" / "coder_a.csv"),
        roster=read_roster(roster),
    )
    assert data.event_order == ["group1", "group2", "group3", "group4", "group5"]
    report = saturation_report(data, base=4, run=1, threshold=0, new=new, permutations=0)
    assert report.outcome.result == "4+1"
    assert report.events["new_codes"].iloc[-1] == 0


def test_sensitivity_grid_keeps_only_the_pairs_the_events_fit(tmp_path):
    """Seven events: base + run <= 7 fits (4,2), (4,3), (5,2); (5,3), (6,2), (6,3) need more."""
    seg = ["segment_id,transcript_id,turn,speaker,participant_id,role,text"]
    cod = ["segment_id,code_id,coder"]
    for i in range(1, 8):
        seg.append(f"E{i}:1,E{i},1,P{i},P{i},participant,words")
        cod.append(f"E{i}:1,C{min(i, 3)},ana")
    (tmp_path / "s.csv").write_text("\n".join(seg) + "\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("\n".join(cod) + "\n", encoding="utf-8")
    data = load_study(
        read_segments(tmp_path / "s.csv"),
        read_codings(tmp_path / "c.csv"),
        order=[f"E{i}" for i in range(1, 8)],
    )
    report = saturation_report(data, permutations=0)
    pairs = sorted(set(zip(report.sensitivity["base"], report.sensitivity["run"], strict=True)))
    assert pairs == [(4, 2), (4, 3), (5, 2)]
    assert len(report.sensitivity) == 6  # two thresholds each
    assert "Sensitivity grid: only the base/run pairs that fit 7 events are shown." in report.notes
