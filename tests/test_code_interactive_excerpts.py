"""Excerpts in the terminal coder (issue 16.1): the turn is shown numbered by sentence, `1:2-3`
applies code 1 to sentences 2 to 3 (`1:` asks, Enter = the whole turn); excerpts are saved as
start_char/end_char rows, shown in the codes list, kept by undo (back) and quit, and resumed."""

from __future__ import annotations

import csv
import os
import shutil
import sys
from pathlib import Path

import pytest

from qualcode.io import read_codings

DATA = Path(__file__).parent / "data" / "code_modes"
ANSWER = (
    "I was scared at first. Then the group helped, e.g. with cravings. "
    "We met on Tuesdays [laughs]. It was fine."
)
SENTENCES = [
    "I was scared at first.",
    "Then the group helped, e.g. with cravings.",
    "We met on Tuesdays [laughs].",
    "It was fine.",
]
TEXTS = {"i1:2": ANSWER, "i1:3": "Yes."}
# Segments to code: i1:2 (four sentences), i1:3 (one). Codes: 1 RI1, 2 RI2, 3 RI3.


@pytest.fixture
def study(tmp_path: Path) -> Path:
    shutil.copy(DATA / "codebook.yaml", tmp_path / "codebook.yaml")
    with open(tmp_path / "segments.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["segment_id", "transcript_id", "turn", "speaker", "role", "text"])
        writer.writerow(["i1:1", "i1", "1", "Interviewer", "facilitator", "How was it?"])
        writer.writerow(["i1:2", "i1", "2", "P1", "participant", ANSWER])
        writer.writerow(["i1:3", "i1", "3", "P1", "participant", "Yes."])
    return tmp_path


def args(study: Path) -> list[str]:
    return [
        "code", str(study / "segments.csv"), "-c", str(study / "codebook.yaml"),
        "--coder", "alice", "--interactive", "-o", str(study / "alice.csv"),
    ]  # fmt: skip


def excerpts(path: Path) -> list[tuple[str, str, str, str]]:
    """(segment, code, memo, excerpt text or "" for the whole turn) of each codings row."""
    df = read_codings(path)
    cols = ["segment_id", "code_id", "memo", "start_char", "end_char"]
    return [
        (sid, code, memo, TEXTS[sid][int(a) : int(b)] if a else "")
        for sid, code, memo, a, b in df[cols].to_numpy()
    ]


def test_narrow_codes_to_sentences(cli, study):
    keys = "1:2-3\n2: 1, 4\n3:\n\n2\nm why\nn\n1\nn\n"
    result = cli(*args(study), input=keys)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    numbered = " ".join(f"[{k}] {s}" for k, s in enumerate(SENTENCES, start=1))
    assert numbered in " ".join(out.replace("│", " ").split())  # the panel wraps lines
    assert "codes: RI1 (sentences 2-3)" in out
    assert "codes: RI1 (sentences 2-3), RI2 (sentences 1, 4)" in out
    assert "sentences for RI3 (1-4, e.g. 2-3 or 1,4; Enter = the whole turn): " in out
    assert "codes: RI1 (sentences 2-3), RI3 · memo: why" in out  # 2 toggled RI2 off
    assert "(3 codes applied)" in out
    assert excerpts(study / "alice.csv") == [
        ("i1:2", "RI1", "why", SENTENCES[1] + " " + SENTENCES[2]),
        ("i1:2", "RI3", "", ""),
        ("i1:3", "RI1", "", ""),
    ]


def test_selection_errors_change_nothing(cli, study):
    keys = "1:5\n1:3-2\n1 2:1\n9:1\n1:two\nq\n"
    result = cli(*args(study), input=keys)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    for expected in [
        "choice> no sentence 5: the turn has 4 sentences (1-4) (e.g. RI1:2-3, or RI1: and Enter "
        "for all) (? for help)",
        "choice> sentences '3-2': write the smaller number first (e.g. RI1:2-3, or RI1: and "
        "Enter for all) (? for help)",
        "choice> one code before ':' (e.g. 1:2-3) (? for help)",
        "choice> no code '9': use a number from 1 to 3 or a code id (? for help)",
    ]:
        assert expected in lines
    assert not (study / "alice.csv").exists()  # nothing marked: q saves nothing


def test_all_sentences_are_the_whole_turn_and_back_keeps_excerpts(cli, study):
    keys = "1:1-4\n2:2\nn\nb\n3:4\nn\nn\n"
    result = cli(*args(study), input=keys)
    assert result.exit_code == 0, result.stderr
    assert "  1 [x] RI1 The pill takes care of the body\n" in result.stdout
    # back to i1:2: its saved excerpt is on screen again, RI3 is added, the file rewritten in place
    assert "  2 [x] RI2 Not what's up here · sentences 2" in result.stdout  # the list, on return
    assert "codes: RI1, RI2 (sentences 2), RI3 (sentences 4)" in result.stdout
    assert excerpts(study / "alice.csv") == [
        ("i1:2", "RI1", "", ""),
        ("i1:2", "RI2", "", SENTENCES[1]),
        ("i1:2", "RI3", "", SENTENCES[3]),
        ("i1:3", "", "", ""),
    ]


def test_excerpts_from_a_sheet_are_resumed_and_kept(cli, study):
    start = ANSWER.index(SENTENCES[2])
    (study / "alice.csv").write_text(
        "segment_id,code_id,coder,origin,memo,start_char,end_char\n"
        f"i1:2,RI1,alice,manual,,2,9\ni1:2,RI2,alice,manual,,{start},{start + len(SENTENCES[2])}\n"
    )
    result = cli(*args(study), input="j 1\n3\nn\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "codes: RI1 (sentences c2-9), RI2 (sentences 3)" in result.stdout
    assert excerpts(study / "alice.csv") == [
        ("i1:2", "RI1", "", "was sca"),  # not on sentence boundaries: kept as it is
        ("i1:2", "RI2", "", SENTENCES[2]),
        ("i1:2", "RI3", "", ""),
    ]


def test_an_excerpt_outside_its_turn_is_refused(cli, study):
    (study / "alice.csv").write_text(
        "segment_id,code_id,coder,origin,memo,start_char,end_char\ni1:3,RI1,alice,manual,,2,40\n"
    )
    result = cli(*args(study), input="q\n")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {study / 'alice.csv'}:2: span 2..40 does not fit in segment 'i1:3' (4 characters; "
        "end is exclusive, start before end)"
    )


def test_in_a_real_terminal_narrow_then_quit_saves_the_excerpt(study):
    pexpect = pytest.importorskip("pexpect")
    cmd = [sys.executable, "-m", "qualcode", *args(study)]
    env = {
        "COLUMNS": "100",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(Path(__file__).parents[1]),
    }
    child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=15)
    child.expect_exact("It was fine.")
    child.expect_exact("choice> ")
    child.sendline("2:")
    child.expect_exact("Enter = the whole turn): ")
    child.sendline("1,4")
    child.expect_exact("codes: RI2 (sentences 1, 4)")
    child.expect_exact("choice> ")
    child.sendline("q")
    child.expect_exact("saved i1:2 before quitting")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert excerpts(study / "alice.csv") == [
        ("i1:2", "RI2", "", SENTENCES[0]),
        ("i1:2", "RI2", "", SENTENCES[3]),
    ]
