"""A replayed decisions log is checked in bulk; the first bad row still gets its own message and line,
however far down the log it is, and every good row its decision."""

from __future__ import annotations

import pandas as pd
import pytest

from qualcode.errors import ContractError
from qualcode.reconcile import check_decisions, prepare_pair

N = 600  # segments; coder A applies RI1 on the even ones, coder B RI2 on the multiples of 3


def _codings(coder: str, cells: list[tuple[str, str]], segments: list[str]) -> pd.DataFrame:
    coded = {s for s, _ in cells}
    rows = cells + [(s, "") for s in segments if s not in coded]
    return pd.DataFrame(rows, columns=["segment_id", "code_id"]).assign(coder=coder)


@pytest.fixture
def pair():
    segments = [f"G1:{i}" for i in range(1, N + 1)]
    a = _codings("ana", [(s, "RI1") for i, s in enumerate(segments, 1) if i % 2 == 0], segments)
    b = _codings("ben", [(s, "RI2") for i, s in enumerate(segments, 1) if i % 3 == 0], segments)
    return prepare_pair(a, b)


def _log(pair) -> pd.DataFrame:
    d = pair.differences
    return pd.DataFrame(
        {
            "segment_id": d["segment_id"],
            "code_id": d["code_id"],
            "decision": ["Keep" if i % 2 else " dropped " for i in range(len(d))],
            "coder_a": ["yes" if x else "" for x in d["in_a"]],
            "coder_b": ["1" if x else "no" for x in d["in_b"]],
        }
    )


def test_a_long_valid_log_gets_every_decision(pair):
    log = _log(pair)
    out = check_decisions(pair, log)
    assert len(out) == len(pair.differences) == 500
    assert out["decision"].tolist() == ["kept" if i % 2 else "dropped" for i in range(len(log))]
    assert out["coder_a"].tolist() == [v.strip() for v in log["coder_a"]]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("segment_id", "G9:1", "unknown segment 'G9:1': neither coder reviewed it"),
        ("code_id", "RI7", "unknown code 'RI7': not used by either coder"),
        ("decision", "maybe", "decision must be one of kept, dropped, added; got 'maybe'"),
        ("coder_a", "perhaps", "coder_a must be 1 or 0, got 'perhaps'"),
        ("decision", "added", "cannot be 'added'"),
    ],
)
def test_the_first_bad_row_deep_in_the_log_is_named(pair, column, value, message):
    log = _log(pair)
    log.loc[450, column] = value
    log.loc[470, "decision"] = "maybe"  # a later error is not the one reported
    with pytest.raises(ContractError) as err:
        check_decisions(pair, log, file="d.csv")
    assert err.value.line == 452
    assert message in str(err.value)


def test_a_flag_that_contradicts_the_codings_deep_in_the_log(pair):
    log = _log(pair)
    log.loc[333, "coder_b"] = "0" if log.loc[333, "coder_b"] == "1" else "1"
    with pytest.raises(ContractError) as err:
        check_decisions(pair, log, file="d.csv")
    assert err.value.line == 335
    assert "but the codings say otherwise" in str(err.value)


def test_reconcile_pair_reports_each_step(pair):
    from qualcode.reconcile import RECONCILE_STEPS, reconcile_pair

    calls: list[int] = []
    result = reconcile_pair(pair, strategy="union", progress=calls.append)
    assert calls == [1] * RECONCILE_STEPS
    assert result.summary.kept == len(pair.differences)
