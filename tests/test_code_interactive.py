"""`qualcode code --interactive`: a terminal coding session that saves every segment at once and
resumes where the coder stopped, also after kill -9 (driven in a real pseudo-terminal)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from qualcode.io import read_codings

DATA = Path(__file__).parent / "data" / "code_modes"
# Segments to code (facilitator turns g1:1 and g2:1 are context): g1:2, g1:3, g1:4, g2:2, g2:3.
# Codes: 1 RI1, 2 RI2 (theme T1), 3 RI3 (theme T2).


@pytest.fixture
def study(tmp_path: Path) -> Path:
    for name in ("codebook.yaml", "segments.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def args(study: Path, *extra: str) -> list[str]:
    return [
        "code", str(study / "segments.csv"), "-c", str(study / "codebook.yaml"),
        "--coder", "alice", "--interactive", "-o", str(study / "alice.csv"), *extra,
    ]  # fmt: skip


def session(cli, study: Path, keys: str, *extra: str):
    return cli(*args(study, *extra), input=keys)


def rows(path: Path) -> list[tuple[str, str, str]]:
    df = read_codings(path)
    assert set(df["coder"]) == {"alice"} and set(df["origin"]) == {"manual"}
    return [tuple(r) for r in df[["segment_id", "code_id", "memo"]].to_numpy()]


def test_a_whole_session(cli, study):
    keys = "1 3\nm great quote\nn\nn\nRI2\nn\nn\n3\nn\n"
    result = session(cli, study, keys)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "segment 1 of 5 (g1: 1 of 3) · 0 coded" in out
    assert "before, Facilitator (facilitator): How is the medication?" in out
    assert "  1 [ ] RI1 The pill takes care of the body" in out
    assert "codes: RI1, RI3 · memo: great quote" in out
    assert "segment 4 of 5 (g2: 1 of 2) · 3 coded" in out
    assert out.rstrip().endswith(
        f"done: wrote {study / 'alice.csv'}: 5 segments coded by alice, 3 with codes "
        "(4 codes applied)"
    )
    assert rows(study / "alice.csv") == [
        ("g1:2", "RI1", "great quote"),
        ("g1:2", "RI3", ""),
        ("g1:3", "", ""),
        ("g1:4", "RI2", ""),
        ("g2:2", "", ""),
        ("g2:3", "RI3", ""),
    ]


def test_quit_and_resume(cli, study):
    result = session(cli, study, "1\nn\n2\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "saved g1:3 before quitting" in result.stdout  # q saves the marks on screen
    assert result.stdout.rstrip().endswith(
        f"saved 2 of 5 segments in {study / 'alice.csv'}; 3 left. "
        "Run the same command again to resume."
    )
    assert rows(study / "alice.csv") == [("g1:2", "RI1", ""), ("g1:3", "RI2", "")]
    result = session(cli, study, "n\n")  # end of input quits, like Ctrl-D
    assert result.exit_code == 0, result.stderr
    assert f"Resuming: 2 of 5 segments already coded in {study / 'alice.csv'}" in result.stdout
    assert "segment 3 of 5 (g1: 3 of 3)" in result.stdout
    assert "segment 1 of 5" not in result.stdout
    assert rows(study / "alice.csv") == [
        ("g1:2", "RI1", ""),
        ("g1:3", "RI2", ""),
        ("g1:4", "", ""),
    ]


def test_quit_on_an_untouched_segment_leaves_it_uncoded(cli, study):
    """Only marks or a memo are saved on quit: a segment nobody touched is not 'reviewed'."""
    result = session(cli, study, "1\nn\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "before quitting" not in result.stdout
    assert rows(study / "alice.csv") == [("g1:2", "RI1", "")]


def test_back_redecides_in_place_and_each_segment_stays_once(cli, study):
    keys = "1\nm first\nn\n2\nn\nb\n2 3\nn\nb\nb\n1 2\nm - \nn\nq\n"
    result = session(cli, study, keys)
    assert result.exit_code == 0, result.stderr
    assert "g1:3 · P2 (participant) · saved" in result.stdout
    assert rows(study / "alice.csv") == [
        ("g1:2", "RI2", ""),
        ("g1:3", "RI3", ""),
    ]
    assert not list(study.glob("alice.csv.*.bak"))  # re-deciding is not a new version to back up


def test_jump_skip_and_wrap_around(cli, study):
    keys = "j 4\n3\nn\ns\nn\nj g2:3\nn\nq\n"
    result = session(cli, study, keys)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    # j 4 -> g2:2 coded; next is g2:3, skipped; wraps to g1:2, saved empty; j back to g2:3.
    assert out.index("segment 4 of 5 (g2: 1 of 2)") < out.index("segment 5 of 5 (g2: 2 of 2)")
    assert out.index("segment 5 of 5") < out.index("segment 1 of 5 (g1: 1 of 3) · 1 coded")
    assert rows(study / "alice.csv") == [  # written in segment order at the end
        ("g1:2", "", ""),
        ("g2:2", "RI3", ""),
        ("g2:3", "", ""),
    ]
    assert "saved 3 of 5 segments" in out


def test_help_definitions_and_input_errors(cli, study):
    keys = "?\n? 1\n9\n1 x\nj 99\nj g1:1\nj nowhere\nq\n"
    result = session(cli, study, keys)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    for expected in [
        "  j N         jump to segment number N, or to a segment id (j group2:14)",
        "choice> RI1 The pill takes care of the body",
        "  definition: Medication removes withdrawal.",
        "  include: Withdrawal gone.",
        "  exclude: Cravings (RI2).",
        "  e.g. That's gone.",
        "choice> no code '9': use a number from 1 to 3 or a code id (? for help)",
        "choice> no code 'x': use a number from 1 to 3 or a code id (? for help)",
        "choice> no segment number 99: choose 1 to 5 (? for help)",
        "choice> segment 'g1:1' is a facilitator turn, shown as context only (? for help)",
        "choice> no segment 'nowhere': give a number or a segment id (? for help)",
    ]:
        assert expected in lines
    assert not (study / "alice.csv").exists()  # "1 x" toggled nothing: all keys are checked first


def test_facilitator_turns_can_be_coded(cli, study):
    result = session(cli, study, "2\nn\nq\n", "--include-facilitator")
    assert result.exit_code == 0, result.stderr
    assert "segment 1 of 7 (g1: 1 of 4)" in result.stdout
    assert rows(study / "alice.csv") == [("g1:1", "RI2", "")]


def test_everything_coded_already(cli, study):
    (study / "alice.csv").write_text(
        "segment_id,code_id,coder,origin\n"
        + "".join(f"{s},,alice,manual\n" for s in ("g2:3", "g1:2", "g1:3", "g1:4", "g2:2"))
    )
    result = session(cli, study, "")
    assert result.exit_code == 0, result.stderr
    assert "all 5 segments are coded in" in result.stdout
    assert [r[0] for r in rows(study / "alice.csv")] == ["g1:2", "g1:3", "g1:4", "g2:2", "g2:3"]


def test_a_torn_last_row_is_dropped_and_a_missing_newline_added(cli, study):
    out = study / "alice.csv"
    out.write_text("segment_id,code_id,coder,origin,memo,start_char,end_char\ng1:2,RI1,ali")
    result = session(cli, study, "q\n")
    assert result.exit_code == 0, result.stderr
    assert "the last row of" in result.stderr and "was dropped" in result.stderr
    assert "segment 1 of 5" in result.stdout
    assert len(list(study.glob("alice.csv.*.bak"))) == 1
    out.write_text(
        "segment_id,code_id,coder,origin,memo,start_char,end_char\ng1:2,RI1,alice,manual,,,"
    )
    result = session(cli, study, "n\nq\n")
    assert result.exit_code == 0, result.stderr
    assert rows(out) == [("g1:2", "RI1", ""), ("g1:3", "", "")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("segment_id,code_id,coder\ng1:2,RI1,alice\ng1:3,RI2,bob\n",
         ":3: the output holds codings by coder 'bob', not 'alice'"),
        ("segment_id,code_id,coder\ng1:2,RI7,alice\n", ":2: code 'RI7' is not in the codebook"),
        ("segment_id,coder\ng1:2,alice\n", "codings is missing column(s): code_id"),
    ],
)  # fmt: skip
def test_output_that_cannot_be_resumed(cli, study, content, message):
    (study / "alice.csv").write_text(content)
    result = session(cli, study, "q\n")
    assert result.exit_code == 1
    assert message in result.stderr.splitlines()[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sheet", "x.xlsx"], "choose one coding mode, not --sheet and --interactive"),
        (["--auto"], "choose one coding mode, not --auto and --interactive"),
    ],
)
def test_usage_errors(cli, study, extra, message):
    result = cli(*args(study), *extra)
    assert result.exit_code == 2
    assert message in result.stderr


def test_usage_errors_without_sources_codebook_or_mode(cli, study):
    result = cli("code", "--coder", "alice", "--interactive")
    assert result.exit_code == 2
    assert "give the transcripts, folders or segments.csv to code (SOURCES)" in result.stderr
    result = cli("code", study / "segments.csv", "--coder", "alice", "--interactive")
    assert result.exit_code == 2
    assert "give the codebook: --codebook CB" in result.stderr
    result = cli("code", study / "segments.csv", "-c", study / "codebook.yaml", "--coder", "a")
    assert result.exit_code == 2
    assert "choose a coding mode: --auto, --sheet FILE, --from-sheet FILE or --interactive" in (
        result.stderr
    )


def test_in_a_real_terminal_kill_9_and_resume(study):
    pexpect = pytest.importorskip("pexpect")
    cmd = [sys.executable, "-m", "qualcode", *args(study)]
    env = {
        "COLUMNS": "100",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(Path(__file__).parents[1]),
    }
    child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=15)
    child.expect_exact("segment 1 of 5 (g1: 1 of 3)")
    child.expect_exact("choice> ")
    child.sendline("1 3")
    child.expect_exact("codes: RI1, RI3")
    child.expect_exact("choice> ")
    child.sendline("n")
    child.expect_exact("segment 2 of 5 (g1: 2 of 3)")
    child.expect_exact("choice> ")
    child.sendline("2")
    child.expect_exact("choice> ")
    child.sendline("n")
    child.expect_exact("segment 3 of 5 (g1: 3 of 3)")
    child.expect_exact("choice> ")
    child.sendline("1")  # marked on screen, not saved: this is what a kill loses
    child.expect_exact("codes: RI1")
    child.kill(signal.SIGKILL)
    child.close(force=True)
    assert rows(study / "alice.csv") == [
        ("g1:2", "RI1", ""),
        ("g1:2", "RI3", ""),
        ("g1:3", "RI2", ""),
    ]

    child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=15)
    child.expect_exact("Resuming: 2 of 5 segments already coded")
    child.expect_exact("segment 3 of 5 (g1: 3 of 3) · 2 coded")
    child.expect_exact("choice> ")
    child.sendline("2")
    child.expect_exact("choice> ")
    child.sendline("n")
    child.expect_exact("segment 4 of 5 (g2: 1 of 2)")
    child.expect_exact("choice> ")
    child.sendline("n")
    child.expect_exact("segment 5 of 5 (g2: 2 of 2)")
    child.expect_exact("choice> ")
    child.sendline("3")
    child.expect_exact("choice> ")
    child.sendline("n")
    child.expect_exact("done: wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(study / "alice.csv") == [
        ("g1:2", "RI1", ""),
        ("g1:2", "RI3", ""),
        ("g1:3", "RI2", ""),
        ("g1:4", "RI2", ""),
        ("g2:2", "", ""),
        ("g2:3", "RI3", ""),
    ]


def test_in_a_real_terminal_q_saves_the_segment_on_screen(study):
    """Issue 13.6: `q` keeps the marks and memo on screen (autosave), then quits."""
    pexpect = pytest.importorskip("pexpect")
    cmd = [sys.executable, "-m", "qualcode", *args(study)]
    env = {
        "COLUMNS": "100",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(Path(__file__).parents[1]),
    }
    child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=15)
    child.expect_exact("segment 1 of 5 (g1: 1 of 3)")
    child.expect_exact("choice> ")
    child.sendline("2 3")
    child.expect_exact("codes: RI2, RI3")
    child.expect_exact("choice> ")
    child.sendline("m quote for T2")
    child.expect_exact("memo: quote for T2")
    child.expect_exact("choice> ")
    child.sendline("q")
    child.expect_exact("saved g1:2 before quitting")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert rows(study / "alice.csv") == [("g1:2", "RI2", "quote for T2"), ("g1:2", "RI3", "")]


def test_long_turns_wrap_in_the_panel(cli, study):
    long_turn = " ".join(["word"] * 60) + " LASTWORD"
    (study / "segments.csv").write_text(
        "segment_id,transcript_id,turn,speaker,role,text\n"
        f"g1:1,g1,1,Facilitator,facilitator,{long_turn}\ng1:2,g1,2,P1,participant,{long_turn}\n"
    )
    result = session(cli, study, "q\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("LASTWORD") == 2  # the context turn and the panel, not cut off
