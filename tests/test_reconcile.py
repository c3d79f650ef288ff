"""Reconciliation core: differences, strategies, replayed decision logs, the interactive session."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualcode.errors import ContractError, QualcodeError
from qualcode.io import read_codings
from qualcode.model import DECISION_COLUMNS, Code, Codebook
from qualcode.reconcile import (
    ReconcileSession,
    agreement_from_counts,
    find_differences,
    prepare_pair,
    read_decisions,
    reconcile,
    textbook_agreement,
)

DATA = Path(__file__).parent / "data" / "reconcile"
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
STAMP = "2024-05-01T10:00:00+00:00"
BOOK = Codebook(flat_codes=tuple(Code(f"RI{i}", f"idea {i}") for i in range(1, 5)))


@pytest.fixture
def a() -> pd.DataFrame:
    return read_codings(DATA / "alice.csv")


@pytest.fixture
def b() -> pd.DataFrame:
    return read_codings(DATA / "bob.csv")


def rows(df: pd.DataFrame, cols: tuple[str, ...]) -> list[tuple]:
    return [tuple(r) for r in df[list(cols)].itertuples(index=False)]


def consensus_rows(result) -> list[tuple]:
    assert set(result.consensus["coder"]) == {"consensus"}
    assert set(result.consensus["origin"]) == {"consensus"}
    return rows(result.consensus, ("segment_id", "code_id", "memo"))


def decision_rows(result) -> list[tuple]:
    return rows(
        result.decisions, ("segment_id", "code_id", "coder_a", "coder_b", "decision", "strategy")
    )


def log(*records: tuple[str, str, str], **extra: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"segment_id": s, "code_id": c, "decision": d, **extra} for s, c, d in records]
    )


MEMO = "alice: alice says; bob: bob says"
CARRIED = [("fg1:5", "RI2", ""), ("fg1:6", "", "")]


def test_find_differences(a, b):
    diffs = find_differences(a, b)
    assert rows(diffs, ("segment_id", "code_id", "in_a", "in_b")) == [
        ("fg1:1", "RI2", True, False),
        ("fg1:2", "RI1", True, False),
        ("fg1:2", "RI2", False, True),
        ("fg1:3", "RI3", False, True),
    ]


@pytest.mark.parametrize(
    ("strategy", "consensus", "decisions"),
    [
        (
            "union",
            [("fg1:1", "RI1", ""), ("fg1:1", "RI2", ""), ("fg1:2", "RI1", "alice: a memo"),
             ("fg1:2", "RI2", ""), ("fg1:3", "RI3", ""), ("fg1:4", "RI3", MEMO), *CARRIED],
            ["kept", "kept", "kept", "kept"],
        ),
        (
            "intersection",
            [("fg1:1", "RI1", ""), ("fg1:2", "", "alice, on RI1: a memo"), ("fg1:3", "", ""),
             ("fg1:4", "RI3", MEMO), *CARRIED],
            ["dropped", "dropped", "dropped", "dropped"],
        ),
        (
            "prefer-a",
            [("fg1:1", "RI1", ""), ("fg1:1", "RI2", ""), ("fg1:2", "RI1", "alice: a memo"),
             ("fg1:3", "", ""), ("fg1:4", "RI3", MEMO), *CARRIED],
            ["kept", "kept", "dropped", "dropped"],
        ),
        (
            "prefer-b",
            [("fg1:1", "RI1", ""), ("fg1:2", "RI2", "alice, on RI1: a memo"),
             ("fg1:3", "RI3", ""), ("fg1:4", "RI3", MEMO), *CARRIED],
            ["dropped", "dropped", "kept", "kept"],
        ),
    ],
)  # fmt: skip
def test_strategies(a, b, strategy, consensus, decisions):
    result = reconcile(a, b, strategy=strategy, now=NOW, decided_by="team")
    assert consensus_rows(result) == consensus
    cells = [("fg1:1", "RI2", "1", "0"), ("fg1:2", "RI1", "1", "0"), ("fg1:2", "RI2", "0", "1"),
             ("fg1:3", "RI3", "0", "1")]  # fmt: skip
    assert decision_rows(result) == [
        (*c, d, strategy) for c, d in zip(cells, decisions, strict=True)
    ]
    assert list(result.decisions.columns) == list(DECISION_COLUMNS)
    # A rule decided, not the team: mechanical shortcuts are labelled (issue 12, item 1).
    assert set(result.decisions["decided_by"]) == {f"rule:{strategy}"}
    assert set(result.decisions["timestamp"]) == {STAMP}
    s = result.summary
    assert (s.segments_both, s.segments_only_a, s.segments_only_b, s.differences) == (4, 1, 1, 4)
    assert (s.kept, s.dropped, s.added) == (decisions.count("kept"), decisions.count("dropped"), 0)


def test_every_memo_reaches_the_consensus_with_its_author(tmp_path):
    """Issue 13.4: memos on uncoded turns, on dropped codes, identical memos, carried segments."""
    from qualcode.io import read_codings

    (tmp_path / "a.csv").write_text(
        "segment_id,code_id,coder,memo\n"
        "g:1,,ana,cost of parking - new idea?\n"  # a memo on a turn with no code
        "g:2,RI1,ana,same note\n"
        "g:3,RI2,ana,only ana applied this\n"
        "g:4,RI1,ana,\n"  # single-coded by ana
    )
    (tmp_path / "b.csv").write_text(
        "segment_id,code_id,coder,memo\n"
        "g:1,RI3,ben,\n"
        "g:2,RI1,ben,same note\n"
        "g:3,,ben,ben read it\n"
        "g:5,,ben,leftover idea\n"  # single-coded by ben, no code
    )
    a, b = read_codings(tmp_path / "a.csv"), read_codings(tmp_path / "b.csv")
    got = consensus_rows(reconcile(a, b, strategy="intersection", now=NOW))
    assert got == [
        ("g:1", "", "ana: cost of parking - new idea?"),
        ("g:2", "RI1", "ana & ben: same note"),
        ("g:3", "", "ana, on RI2: only ana applied this; ben: ben read it"),
        ("g:4", "RI1", ""),
        ("g:5", "", "ben: leftover idea"),
    ]
    got = consensus_rows(reconcile(a, b, strategy="union", now=NOW))
    assert ("g:1", "RI3", "ana: cost of parking - new idea?") in got
    assert ("g:3", "RI2", "ana: only ana applied this; ben: ben read it") in got


def test_summary_agreement_before_and_after(a, b):
    s = reconcile(a, b, strategy="prefer-a", now=NOW).summary
    # 3 observed codes x 4 double-coded segments = 12 cells: both 2, only A 2, only B 2, neither 6.
    # p_o = 8/12, p_e = (4/12)(4/12) + (8/12)(8/12) = 5/9, kappa = (2/3 - 5/9) / (4/9) = 0.25.
    before = s.agreement["before"]
    assert (before["both"], before["only_a"], before["only_b"], before["neither"]) == (2, 2, 2, 6)
    assert before["percent_agreement"] == pytest.approx(2 / 3)
    assert before["cohen_kappa"] == pytest.approx(0.25)
    assert s.agreement["a_vs_consensus"]["percent_agreement"] == pytest.approx(1.0)
    assert s.agreement["a_vs_consensus"]["cohen_kappa"] == pytest.approx(1.0)
    assert s.agreement["b_vs_consensus"]["cohen_kappa"] == pytest.approx(0.25)
    assert s.by_strategy == {"prefer-a": {"kept": 2, "dropped": 2, "added": 0}}
    # with the codebook the unused RI4 adds 4 "neither" cells
    s = reconcile(a, b, strategy="union", codebook=BOOK, now=NOW).summary
    assert s.codes == 4 and s.agreement["before"]["neither"] == 10


def test_agreement_formula_matches_the_statistics_module():
    stats = pytest.importorskip("qualcode.agreement.stats")
    for counts in ((50, 100, 50, 800), (2, 2, 2, 6), (0, 3, 1, 9)):
        keys = ("both", "only_a", "only_b", "neither")
        got = textbook_agreement(dict(zip(keys, counts, strict=True)))
        ref = stats.binary_agreement(*(np.array([c]) for c in counts))
        assert got["cohen_kappa"] == pytest.approx(float(ref["cohen_kappa"][0]))
        assert got["percent_agreement"] == pytest.approx(float(ref["percent_agreement"][0]))
    # NVivo help example: 85% agreement, kappa 0.3182 (by hand: p_e = .78, (.85-.78)/.22)
    got = agreement_from_counts({"both": 50, "only_a": 100, "only_b": 50, "neither": 800})
    assert got["percent_agreement"] == pytest.approx(0.85)
    assert got["cohen_kappa"] == pytest.approx(0.07 / 0.22)


def test_replay_complete_log_with_an_added_code(a, b):
    decisions = log(
        ("fg1:1", "RI2", "dropped"),
        ("fg1:2", "RI1", "Keep"),
        ("fg1:2", "RI2", "kept"),
        ("fg1:3", "RI3", "dropped"),
        ("fg1:4", "RI4", "added"),
        reason="agreed in meeting",
        decided_by="",
        timestamp="2024-04-30T15:00:00+00:00",
    )
    result = reconcile(
        a, b, strategy=None, decisions=decisions, codebook=BOOK, decided_by="me", now=NOW
    )
    assert decision_rows(result) == [
        ("fg1:1", "RI2", "1", "0", "dropped", "replay"),
        ("fg1:2", "RI1", "1", "0", "kept", "replay"),
        ("fg1:2", "RI2", "0", "1", "kept", "replay"),
        ("fg1:3", "RI3", "0", "1", "dropped", "replay"),
        ("fg1:4", "RI4", "0", "0", "added", "replay"),
    ]
    assert set(result.decisions["decided_by"]) == {"me"}
    assert set(result.decisions["timestamp"]) == {"2024-04-30T15:00:00+00:00"}
    assert consensus_rows(result) == [
        ("fg1:1", "RI1", ""), ("fg1:2", "RI1", "alice: a memo"), ("fg1:2", "RI2", ""), ("fg1:3", "", ""),
        ("fg1:4", "RI3", MEMO), ("fg1:4", "RI4", ""), *CARRIED,
    ]  # fmt: skip
    assert (result.summary.kept, result.summary.dropped, result.summary.added) == (2, 2, 1)


def test_replay_wins_and_strategy_resolves_the_rest(a, b):
    decisions = log(("fg1:2", "RI2", "dropped"))
    result = reconcile(a, b, strategy="union", decisions=decisions, now=NOW)
    assert decision_rows(result) == [
        ("fg1:1", "RI2", "1", "0", "kept", "union"),
        ("fg1:2", "RI1", "1", "0", "kept", "union"),
        ("fg1:2", "RI2", "0", "1", "dropped", "replay"),
        ("fg1:3", "RI3", "0", "1", "kept", "union"),
    ]
    assert result.summary.by_strategy == {
        "replay": {"kept": 0, "dropped": 1, "added": 0},
        "union": {"kept": 3, "dropped": 0, "added": 0},
    }


def test_replay_must_cover_every_difference(a, b):
    with pytest.raises(QualcodeError) as err:
        reconcile(a, b, strategy=None, decisions=log(("fg1:2", "RI2", "dropped")))
    assert err.value.message == (
        "3 of 4 differences have no decision: RI2 on fg1:1, RI1 on fg1:2, RI3 on fg1:3"
    )


@pytest.mark.parametrize(
    ("records", "extra", "codebook", "line", "message"),
    [
        ([("fg1:9", "RI1", "kept")], {}, None, 2, "unknown segment 'fg1:9': neither coder reviewed it"),
        ([("fg1:1", "RI9", "added")], {}, BOOK, 2, "unknown code 'RI9': not in the codebook"),
        ([("fg1:1", "RI4", "added")], {}, None, 2, "unknown code 'RI4': not used by either coder"),
        ([("fg1:1", "RI2", "kept"), ("fg1:2", "RI1", "kept"), ("fg1:1", "RI2", "dropped")], {}, None,
         4, "rows 2 and 4 both decide RI2 on fg1:1"),
        ([("fg1:1", "RI2", "maybe")], {}, None, 2, "decision must be one of kept, dropped, added; got 'maybe'"),
        ([("fg1:1", "RI2", "added")], {}, None, 2, "RI2 on fg1:1 cannot be 'added': alice applied it"),
        ([("fg1:1", "RI3", "kept")], {}, None, 2, "neither coder applied RI3 on fg1:1: it cannot be kept"),
        ([("fg1:1", "RI1", "dropped")], {}, None, 2,
         "both coders applied RI1 on fg1:1: there is no disagreement to decide"),
        ([("fg1:5", "RI2", "kept")], {}, None, 2,
         "segment 'fg1:5' was reviewed by one coder only: there is nothing to keep"),
        ([("fg1:1", "", "kept")], {}, None, 2, "code_id is empty for segment 'fg1:1'"),
        ([("", "RI1", "kept")], {}, None, 2, "segment_id is empty"),
        ([("fg1:1", "RI2", "kept")], {"coder_a": "maybe"}, None, 2, "coder_a must be 1 or 0, got 'maybe'"),
        ([("fg1:1", "RI2", "kept")], {"coder_b": "1"}, None, 2,
         "the log says bob applied RI2 on fg1:1, but the codings say otherwise"),
    ],
)  # fmt: skip
def test_replay_errors(a, b, records, extra, codebook, line, message):
    with pytest.raises(ContractError) as err:
        reconcile(a, b, strategy="union", decisions=log(*records, **extra), codebook=codebook,
                  files={"decisions": "d.csv"})  # fmt: skip
    assert (err.value.message, err.value.file, err.value.line) == (message, "d.csv", line)


def test_added_code_on_a_single_coded_segment(a, b):
    result = reconcile(
        a, b, strategy="union", decisions=log(("fg1:6", "RI4", "added")), codebook=BOOK
    )
    assert consensus_rows(result)[-2:] == [("fg1:5", "RI2", ""), ("fg1:6", "RI4", "")]


def test_segments_file_must_hold_every_coded_segment(a, b):
    segments = pd.read_csv(DATA / "segments.csv", dtype=str).iloc[:5]
    with pytest.raises(QualcodeError) as err:
        prepare_pair(a, b, segments=segments, file_a="a.csv", file_b="b.csv", segments_file="s.csv")
    assert (err.value.message, err.value.file, err.value.line) == (
        "segment 'fg1:6' is not in s.csv",
        "b.csv",
        6,
    )


def test_codings_of_different_studies(a):
    other = pd.DataFrame({"segment_id": ["x:1"], "code_id": ["RI1"], "coder": ["zoe"]})
    with pytest.raises(QualcodeError) as err:
        reconcile(a, other, strategy="union", files={"a": "a.csv", "b": "z.csv"})
    assert err.value.message == (
        "the two codings share no segment: they look like codings of different studies"
    )
    assert err.value.file == "z.csv"


def test_read_decisions_from_xlsx(tmp_path, a, b):
    path = tmp_path / "meeting.xlsx"
    log(("fg1:1", "RI2", "kept"), ("fg1:2", "RI1", "kept"), ("fg1:2", "RI2", "dropped"),
        ("fg1:3", "RI3", "kept")).to_excel(path, index=False)  # fmt: skip
    decisions = read_decisions(path)
    assert list(decisions.columns) == list(DECISION_COLUMNS)
    result = reconcile(a, b, strategy=None, decisions=decisions)
    assert [d for *_, d, _ in decision_rows(result)] == ["kept", "kept", "dropped", "kept"]


def test_read_decisions_missing_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("segment_id,code_id\nfg1:1,RI2\n")
    with pytest.raises(ContractError) as err:
        read_decisions(path)
    assert (err.value.message, err.value.line) == (
        "decisions log is missing column(s): decision",
        1,
    )


def test_session_appends_resumes_and_compacts(tmp_path, a, b):
    path = tmp_path / "c.decisions.csv"
    pair = prepare_pair(a, b, codebook=BOOK)
    session = ReconcileSession(pair, path, decided_by="al & bo")
    assert session.pending() == [
        ("fg1:1", "RI2"),
        ("fg1:2", "RI1"),
        ("fg1:2", "RI2"),
        ("fg1:3", "RI3"),
    ]
    session.decide("fg1:1", "RI2", "kept", reason="clear", now=NOW)
    session.decide("fg1:2", "RI4", "added", now=NOW)
    with pytest.raises(ContractError):
        session.decide("fg1:2", "RI2", "added")  # bob applied it: not an "added" code
    session.decide("fg1:1", "RI2", "dropped", now=NOW)  # went back and changed the mind
    assert len(path.read_text().splitlines()) == 4  # header + 3 appended rows
    # a kill in mid-write leaves a partial row: a new session drops it and resumes
    with open(path, "a") as fh:
        fh.write("fg1:2,RI1,1,0,ke")
    resumed = ReconcileSession(pair, path, decided_by="al & bo")
    assert resumed.resumed == 2
    assert resumed.first_pending_index() == 1
    for key in resumed.pending():
        resumed.decide(*key, "kept", now=NOW)
    result = resumed.finish(now=NOW)
    assert rows(
        read_decisions(path), ("segment_id", "code_id", "decision", "strategy", "reason")
    ) == [
        ("fg1:1", "RI2", "dropped", "interactive", ""),
        ("fg1:2", "RI1", "kept", "interactive", ""),
        ("fg1:2", "RI2", "kept", "interactive", ""),
        ("fg1:2", "RI4", "added", "interactive", ""),
        ("fg1:3", "RI3", "kept", "interactive", ""),
    ]
    assert len(list(tmp_path.glob("*.bak"))) == 2  # the partial row and the superseded one are kept
    assert (result.summary.kept, result.summary.dropped, result.summary.added) == (3, 1, 1)


def test_segments_ranked_in_first_seen_order_without_a_segments_file():
    # the ranks come from the factorised ids, not a dict of every id: the same ranks, keys and
    # segment_rank as ranking through {id: place}; an empty id (library callers) ranks last
    from qualcode.reconcile.pair import _first_seen_ranks, _rank_of

    uniques = np.array(["G2:1", "G1:3", "", "G10:1", "G1:2"], dtype=object)
    rank, ordered = _first_seen_ranks(uniques)
    as_dict = {s: i for i, s in enumerate(s for s in uniques.tolist() if s)}
    assert rank.tolist() == _rank_of(uniques, as_dict).tolist() == [0, 1, 4, 2, 3]
    assert ordered == 4
    a = pd.DataFrame({"segment_id": ["G2:1", "G1:3", "G2:1"], "code_id": ["X", "", "Y"]})
    b = pd.DataFrame({"segment_id": ["G10:1", "G1:3", "G2:1"], "code_id": ["X", "Y", "X"]})
    pair = prepare_pair(a, b)
    assert pair.segment_rank == {"G2:1": 0, "G1:3": 1, "G10:1": 2}
    assert pair.both == ["G2:1", "G1:3"]
    diffs = pair.differences
    assert list(zip(diffs["segment_id"], diffs["code_id"], strict=True)) == [
        ("G2:1", "Y"),
        ("G1:3", "Y"),
    ]
    looked_up = pair.keys.lookup(diffs["segment_id"], diffs["code_id"])
    assert pair.difference_keys.tolist() == looked_up.tolist()


def _codings_ids(rng, ids, repeat_max):
    return np.array([i for i in ids for _ in range(rng.randint(1, repeat_max))], dtype=object)


def test_segment_factors_equal_pandas_factorize():
    # A's then B's segment ids as pd.factorize numbers them: runs collapsed, both coders' runs in
    # one order numbered by place, anything else factorised (an id in two runs of A, B's own order,
    # ids only one coder has, no rows)
    import random

    from qualcode.reconcile.pair import _segment_factors

    rng = random.Random(7)
    cases = [([], []), (["G1:1"], []), ([], ["G1:1"])]
    for _ in range(200):
        ids = [f"G{rng.randint(1, 3)}:{rng.randint(1, 5)}" for _ in range(rng.randint(1, 10))]
        a = _codings_ids(rng, ids, 3)
        same = _codings_ids(rng, ids, 3)
        shuffled = ids[:]
        rng.shuffle(shuffled)
        cases += [(a, same), (a, _codings_ids(rng, shuffled, 2)), (a, same[:-1]), (a, ["X:1"])]
    for a, b in cases:
        a, b = np.array(a, dtype=object), np.array(b, dtype=object)
        codes, uniques = _segment_factors(a, b)
        expected_codes, expected_uniques = pd.factorize(np.concatenate([a, b]))
        assert codes.tolist() == expected_codes.tolist()
        assert uniques.tolist() == list(expected_uniques)


class _Colliding(str):
    """An id whose hash equals every other's: ranks must come from comparing the ids."""

    def __hash__(self) -> int:
        return 7


@pytest.mark.parametrize("kind", [str, _Colliding])
def test_segment_ranks_by_sorted_hashes_equal_an_index_lookup(kind):
    from qualcode.reconcile.pair import PairKeys

    segments = np.array([kind(s) for s in ["G1:1", "", "G1:2", "G2:1", "", "G10:1"]], dtype=object)
    keys = PairKeys(3, segments, np.array(["", "X"], dtype=object), *[np.zeros(0)] * 4)
    asked = ["G2:1", "G1:1", "", "nope", "G10:1", "G1:2", "G2:1"]
    used = (segments != "").nonzero()[0]
    at = pd.Index(segments[used].astype(str)).get_indexer(asked)
    expected = np.where(at >= 0, used[at], -1).tolist()
    assert expected == [3, 0, -1, -1, 5, 2, 3]
    assert (
        keys.segment_ranks(pd.Series([kind(s) for s in asked], dtype=object)).tolist() == expected
    )
    assert keys.segment_ranks(pd.Series([], dtype=object)).tolist() == []
