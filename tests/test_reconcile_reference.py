"""`qualcode reconcile` against an independent, plain-Python reconcile of random codings.

reconcile works on integer cell keys with numpy (issue 19); this re-derives the consensus the slow
and obvious way, from the rules in qualcode.reconcile's docstring and EXCERPT_RULES, and checks the
CLI's consensus and decisions log row for row (excerpts, auto-codings, empty codes, segments one
coder reviewed, codes outside the codebook order)."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest

HEADER = ["segment_id", "code_id", "coder", "origin", "memo", "start_char", "end_char"]


def natural(text: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def random_codings(seed: int) -> tuple[list[list[str]], list[list[str]]]:
    rng = random.Random(seed)
    segments = [f"G{g}:{t}" for g in (1, 2, 10) for t in range(1, 25)]
    codes = [f"RI{i}" for i in range(1, 13)]

    def coder(name: str) -> list[list[str]]:
        rows = []
        for seg in rng.sample(segments, k=int(len(segments) * 0.85)):
            picked = rng.sample(codes, k=rng.choice([0, 0, 1, 2, 3]))
            if not picked:
                rows.append([seg, "", name, "manual", "", "", ""])
            for code in picked:
                for _ in range(rng.choice([1, 1, 2])):
                    start = rng.randrange(60)
                    span = ("", "") if rng.random() < 0.4 else (str(start), str(start + 25))
                    origin = "auto" if rng.random() < 0.1 else "manual"
                    rows.append([seg, code, name, origin, "", *span])
        return rows

    return coder("ana"), coder("ben")


def write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])


def merged(rows: list[list[str]]) -> list[tuple[str, str]]:
    """A cell's excerpts: the whole turn if any row has no span (or is an auto-coding), else its
    spans with those sharing a character merged."""
    if any(r[5] == "" or r[3] == "auto" for r in rows):
        return [("", "")]
    out: list[list[int]] = []
    for s, e in sorted((int(r[5]), int(r[6])) for r in rows):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(str(s), str(e)) for s, e in out]


def reference(a, b, strategy):
    first_seen = list(dict.fromkeys(r[0] for r in a + b))
    cells = [{}, {}]
    for which, rows in enumerate((a, b)):
        for r in rows:
            if r[1]:
                cells[which].setdefault((r[0], r[1]), []).append(r)
    seen_a, seen_b = {r[0] for r in a}, {r[0] for r in b}
    consensus, log = [], []
    for seg in first_seen:
        codes_a = {c for s, c in cells[0] if s == seg}
        codes_b = {c for s, c in cells[1] if s == seg}
        if seg in seen_a and seg in seen_b:
            keep = {
                "union": codes_a | codes_b,
                "intersection": codes_a & codes_b,
                "prefer-a": codes_a,
                "prefer-b": codes_b,
            }[strategy]
            for code in sorted(codes_a ^ codes_b, key=natural):
                log.append((seg, code, str(int(code in codes_a)), str(int(code in codes_b))))
                log[-1] += ("kept" if code in keep else "dropped",)
        else:
            keep = codes_a | codes_b
        rows_of = {}
        for code in keep:
            for which, mine in ((0, strategy != "prefer-b"), (1, strategy != "prefer-a")):
                if (seg, code) in cells[which] and (
                    mine or code not in (codes_a, codes_b)[1 - which]
                ):
                    rows_of.setdefault(code, []).extend(cells[which][(seg, code)])
        if not keep:
            consensus.append((seg, "", "", ""))
        for code in sorted(keep, key=natural):
            consensus += [(seg, code, s, e) for s, e in merged(rows_of[code])]
    return consensus, log


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("strategy", ["union", "intersection", "prefer-a", "prefer-b"])
def test_reconcile_equals_a_plain_python_reconcile(cli, tmp_path, seed, strategy):
    a, b = random_codings(seed)
    write(tmp_path / "ana.csv", a)
    write(tmp_path / "ben.csv", b)
    out = tmp_path / "consensus.csv"
    result = cli("reconcile", tmp_path / "ana.csv", tmp_path / "ben.csv", "--strategy", strategy,
                 "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8", newline="") as fh:
        got = [(r["segment_id"], r["code_id"], r["start_char"], r["end_char"])
               for r in csv.DictReader(fh)]  # fmt: skip
    with open(tmp_path / "consensus.decisions.csv", encoding="utf-8", newline="") as fh:
        got_log = [(r["segment_id"], r["code_id"], r["coder_a"], r["coder_b"], r["decision"])
                   for r in csv.DictReader(fh)]  # fmt: skip
    expected, expected_log = reference(a, b, strategy)
    assert got == expected
    assert got_log == expected_log


@pytest.mark.parametrize("seed", [1, 2])
def test_a_replayed_log_in_any_row_order_gives_the_same_consensus(cli, tmp_path, seed):
    # reconcile carries each log row's cell key from where it was checked; a log out of key order
    # (a meeting's spreadsheet, sorted by code) is put in order, and half a log is completed by the
    # strategy, its rows merged into that order
    a, b = random_codings(seed)
    write(tmp_path / "ana.csv", a)
    write(tmp_path / "ben.csv", b)
    args = ("reconcile", tmp_path / "ana.csv", tmp_path / "ben.csv")
    assert cli(*args, "--strategy", "union", "-o", tmp_path / "union.csv").exit_code == 0
    with open(tmp_path / "union.decisions.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    shuffled = body[:]
    random.Random(seed).shuffle(shuffled)
    for name, log in (("shuffled.csv", shuffled), ("half.csv", shuffled[::2])):
        with open(tmp_path / name, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([header, *log])
    result = cli(*args, "--decisions", tmp_path / "shuffled.csv", "-o", tmp_path / "replayed.csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "replayed.csv").read_bytes() == (tmp_path / "union.csv").read_bytes()
    result = cli(*args, "--decisions", tmp_path / "half.csv", "--strategy", "intersection",
                 "-o", tmp_path / "half_out.csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    with open(tmp_path / "half_out.decisions.csv", encoding="utf-8", newline="") as fh:
        got = [(r["segment_id"], r["code_id"], r["decision"], r["strategy"])
               for r in csv.DictReader(fh)]  # fmt: skip
    replayed = {(r[0], r[1]) for r in shuffled[::2]}
    expected = [(r[0], r[1], "kept", "replay") if (r[0], r[1]) in replayed
                else (r[0], r[1], "dropped", "intersection") for r in body]  # fmt: skip
    assert got == expected
