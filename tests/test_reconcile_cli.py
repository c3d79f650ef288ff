"""`qualcode reconcile` from the command line: strategies, backups, errors, interactive sessions."""

from __future__ import annotations

import csv
import shutil
import signal
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "reconcile"


@pytest.fixture
def study(tmp_path: Path) -> Path:
    for name in ("alice.csv", "bob.csv", "segments.csv", "codebook.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def decided(path: Path) -> list[tuple[str, str, str, str]]:
    return [(r["segment_id"], r["code_id"], r["decision"], r["strategy"]) for r in read_rows(path)]


def run(cli, study: Path, *args: str, input: str | None = None):
    return cli("reconcile", study / "alice.csv", study / "bob.csv", *args, input=input)


@pytest.mark.parametrize(
    ("strategy", "decisions", "codes"),
    [
        ("union", ["kept"] * 4, ["RI1", "RI2", "RI1", "RI2", "RI3", "RI3", "RI2", ""]),
        ("intersection", ["dropped"] * 4, ["RI1", "", "", "RI3", "RI2", ""]),
        ("prefer-a", ["kept", "kept", "dropped", "dropped"], ["RI1", "RI2", "RI1", "", "RI3", "RI2", ""]),
        ("prefer-b", ["dropped", "dropped", "kept", "kept"], ["RI1", "RI2", "RI3", "RI3", "RI2", ""]),
    ],
)  # fmt: skip
def test_each_strategy(cli, study, strategy, decisions, codes):
    out = study / "consensus.csv"
    result = run(cli, study, "--strategy", strategy, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert [r["code_id"] for r in read_rows(out)] == codes
    assert {(r["coder"], r["origin"]) for r in read_rows(out)} == {("consensus", "consensus")}
    log = study / "consensus.decisions.csv"
    assert decided(log) == [
        (s, c, d, strategy)
        for (s, c), d in zip(
            [("fg1:1", "RI2"), ("fg1:2", "RI1"), ("fg1:2", "RI2"), ("fg1:3", "RI3")],
            decisions,
            strict=True,
        )
    ]
    kept, dropped = decisions.count("kept"), decisions.count("dropped")
    assert (
        f"4 differences: {kept} kept, {dropped} dropped; 0 codes added in discussion."
        in result.stdout
    )
    assert "before  alice vs bob            66.7%   0.250" in result.stdout
    assert (
        "Carried over as coded: 1 segment only alice reviewed, 1 only bob reviewed."
        in result.stdout
    )


def test_existing_outputs_are_backed_up(cli, study):
    out = study / "consensus.csv"
    out.write_text("old consensus\n")
    (study / "consensus.decisions.csv").write_text("old log\n")
    result = run(cli, study, "--strategy", "union", "-o", out)
    assert result.exit_code == 0, result.stderr
    backups = sorted(p.name for p in study.glob("*.bak"))
    assert len(backups) == 2
    assert (study / backups[0]).read_text() == "old consensus\n"
    assert (study / backups[1]).read_text() == "old log\n"
    assert out.read_text().startswith("segment_id,code_id,coder,origin")


def test_log_option_and_replay_with_codebook(cli, study):
    decisions = study / "meeting.csv"
    decisions.write_text(
        "segment_id,code_id,decision,reason\n"
        "fg1:2,RI2,dropped,fits RI4 better\n"
        "fg1:2,RI4,added,one-stop care\n"
    )
    log = study / "audit" / "log.csv"
    result = run(cli, study, "--strategy", "union", "--decisions", decisions, "--log", log,
                 "--codebook", study / "codebook.yaml", "--decided-by", "team", "-o", study / "c.csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert decided(log) == [
        ("fg1:1", "RI2", "kept", "union"),
        ("fg1:2", "RI1", "kept", "union"),
        ("fg1:2", "RI2", "dropped", "replay"),
        ("fg1:2", "RI4", "added", "replay"),
        ("fg1:3", "RI3", "kept", "union"),
    ]
    # replayed rows: the team; the rest: the union rule (mechanical, issue 12 item 1)
    assert [(r["strategy"], r["decided_by"]) for r in read_rows(log)] == [
        ("union", "rule:union"),
        ("union", "rule:union"),
        ("replay", "team"),
        ("replay", "team"),
        ("union", "rule:union"),
    ]
    assert "  replay: 0 kept, 1 dropped, 1 added" in result.stdout
    # the written log replays to the same consensus on its own
    book = study / "codebook.yaml"
    again = run(cli, study, "--decisions", log, "--codebook", book, "-o", study / "c2.csv")
    assert again.exit_code == 0, again.stderr
    assert (study / "c2.csv").read_text() == (study / "c.csv").read_text()
    # an added code needs the codebook to be checked against
    again = run(cli, study, "--decisions", log, "-o", study / "c3.csv")
    assert again.stderr.splitlines()[0].endswith(":5: unknown code 'RI4': not used by either coder")


def test_usage_errors(cli, study):
    result = run(cli, study, "-o", study / "c.csv")
    assert result.exit_code == 2
    assert "give a strategy" in result.stderr
    result = run(cli, study, "--strategy", "plurality", "-o", study / "c.csv")
    assert result.exit_code == 2
    assert "'plurality' is not one of union, intersection" in result.stderr
    # majority needs 3 or more coders (issue 16.5; tests/test_reconcile_majority.py)
    result = run(cli, study, "--strategy", "majority", "-o", study / "c.csv")
    assert result.exit_code == 2
    assert "three or more coders are reconciled with --strategy majority" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "union", "--decisions", "{d}"], "error: {d}:3: rows 2 and 3 both decide RI2 on fg1:1"),
        (["--decisions", "{u}"],
         "error: {u}: 3 of 4 differences have no decision: RI1 on fg1:2, RI2 on fg1:2, RI3 on fg1:3"),
        (["--strategy", "union", "--decisions", "{u}", "--log", "{u}"], "error: {u}: the decisions log would overwrite the input file {u}"),
        (["--strategy", "union", "--log", "{o}"], "error: {o}: the decisions log and the consensus are the same file"),
        (["--strategy", "union", "--decisions", "{x}"], "error: {x}:2: unknown code 'RI9': not in the codebook"),
        (["--strategy", "union", "--decisions", "{y}"], "error: {y}:2: unknown segment 'fg2:1': neither coder reviewed it"),
    ],
)  # fmt: skip
def test_decisions_errors(cli, study, args, message):
    files = {
        "d": study / "dup.csv",
        "u": study / "partial.csv",
        "x": study / "code.csv",
        "y": study / "seg.csv",
        "o": study / "c.csv",
    }
    files["d"].write_text("segment_id,code_id,decision\nfg1:1,RI2,kept\nfg1:1,RI2,dropped\n")
    files["u"].write_text("segment_id,code_id,decision\nfg1:1,RI2,kept\n")
    files["x"].write_text("segment_id,code_id,decision\nfg1:1,RI9,added\n")
    files["y"].write_text("segment_id,code_id,decision\nfg2:1,RI1,added\n")
    args = [a.format(**files) for a in args]
    result = run(cli, study, *args, "--codebook", study / "codebook.yaml", "-o", files["o"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == message.format(**files)
    assert not (study / "c.csv").exists()


def test_missing_decisions_hint_names_the_flags(cli, study):
    partial = study / "partial.csv"
    partial.write_text("segment_id,code_id,decision\nfg1:1,RI2,kept\n")
    result = run(cli, study, "--decisions", partial, "-o", study / "c.csv")
    assert result.stderr.splitlines()[1].startswith("hint: run with --strategy interactive")


def test_mismatched_files(cli, study):
    result = cli(
        "reconcile",
        study / "alice.csv",
        study / "alice.csv",
        "--strategy",
        "union",
        "-o",
        study / "c.csv",
    )
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0] == f"error: {study / 'alice.csv'}: A and B are the same file"
    )

    other = study / "zoe.csv"
    other.write_text("segment_id,code_id,coder\nfg9:1,RI1,zoe\n")
    result = cli(
        "reconcile", study / "alice.csv", other, "--strategy", "union", "-o", study / "c.csv"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {other}: the two codings share no segment: they look like codings of different studies"
    )

    segments = study / "segments.csv"
    segments.write_text("\n".join(segments.read_text().splitlines()[:-1]) + "\n")  # drop fg1:6
    result = run(cli, study, "--strategy", "union", "--segments", segments, "-o", study / "c.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {study / 'bob.csv'}:6: segment 'fg1:6' is not in {segments}"
    )

    result = run(
        cli, study, "--strategy", "union", "-o", study / "c.csv", "--decisions", study / "nope.csv"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"error: {study / 'nope.csv'}: decisions file not found"


def interactive_args(study: Path) -> list[str]:
    return ["--strategy", "interactive", "--segments", str(study / "segments.csv"),
            "--codebook", str(study / "codebook.yaml"), "-o", str(study / "c.csv")]  # fmt: skip


def test_interactive_with_reason_add_back_and_resume(cli, study):
    args = interactive_args(study)
    # keep; reason + drop; add RI4; back; keep (changes the drop); quit
    first = run(cli, study, *args, input="k\nr\nwe agreed\nd\na\nRI4\nb\nk\nq\n")
    assert first.exit_code == 0, first.stderr
    assert "Difference 1 of 4  (0 decided)" in first.stdout
    assert "> The medicine takes the sickness away but not the cravings." in first.stdout
    assert "before, P1: The medicine takes" in first.stdout
    assert "definition: Wanting peers in recovery around." in first.stdout
    assert "added RI4 on fg1:2" in first.stdout
    assert "current decision: dropped" in first.stdout
    assert "saved 2 of 4 decisions" in first.stdout
    assert not (study / "c.csv").exists()
    log = study / "c.decisions.csv"
    assert len(read_rows(log)) == 4  # the superseded drop stays until the end

    second = run(cli, study, *args, input="x\nd\nk\n")
    assert second.exit_code == 0, second.stderr
    assert "Resuming: 3 decisions" in second.stdout
    assert "Difference 3 of 4  (2 decided)" in second.stdout
    assert "please answer k, d, a, r, b or q" in second.stdout
    assert [(s, c, d) for s, c, d, _ in decided(log)] == [
        ("fg1:1", "RI2", "kept"),
        ("fg1:2", "RI1", "kept"),
        ("fg1:2", "RI2", "dropped"),
        ("fg1:2", "RI4", "added"),
        ("fg1:3", "RI3", "kept"),
    ]
    assert [r["reason"] for r in read_rows(log)][:2] == ["", ""]
    assert "4 differences: 3 kept, 1 dropped; 1 code added in discussion." in second.stdout
    assert [r["code_id"] for r in read_rows(study / "c.csv")] == [
        "RI1", "RI2", "RI1", "RI4", "RI3", "RI3", "RI2", ""
    ]  # fmt: skip


def test_interactive_records_reason_and_rejects_bad_added_code(cli, study):
    args = interactive_args(study)
    result = run(cli, study, *args, input="a\nRI1\na\nRI9\nr\nnot about peers\nd\nq\n")
    assert "cannot add RI1: RI1 on fg1:1 cannot be 'added': alice applied it" in result.stdout
    assert "cannot add RI9: unknown code 'RI9': not in the codebook" in result.stdout
    rows = read_rows(study / "c.decisions.csv")
    assert [(r["code_id"], r["decision"], r["reason"]) for r in rows] == [
        ("RI2", "dropped", "not about peers")
    ]


def test_interactive_without_segments_warns(cli, study):
    result = run(
        cli, study, "--strategy", "interactive", "-o", study / "c.csv", input="k\nk\nk\nk\n"
    )
    assert result.exit_code == 0, result.stderr
    assert "warning: no --segments given: showing segment ids only" in result.stderr
    assert "wrote" in result.stdout


def test_interactive_in_a_real_terminal_survives_kill_9(study):
    pexpect = pytest.importorskip("pexpect")
    cmd = [sys.executable, "-m", "qualcode", "reconcile", str(study / "alice.csv"),
           str(study / "bob.csv"), *interactive_args(study)]  # fmt: skip
    env = {"COLUMNS": "120", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[1])}
    child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=10)
    child.expect("Difference 1 of 4")
    child.expect(r"\[q\]uit: ")
    child.sendline("k")
    child.expect("Difference 2 of 4")
    child.expect(r"\[q\]uit: ")
    child.sendline("d")
    child.expect("Difference 3 of 4")
    child.kill(signal.SIGKILL)
    child.close(force=True)
    log = study / "c.decisions.csv"
    assert [(s, c, d) for s, c, d, _ in decided(log)] == [
        ("fg1:1", "RI2", "kept"),
        ("fg1:2", "RI1", "dropped"),
    ]

    child = pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=10)
    child.expect("Resuming: 2 decisions")
    child.expect(r"Difference (\d) of 4")
    assert child.match.group(1) == "3"
    child.expect(r"\[q\]uit: ")
    child.sendline("k")
    child.expect("Difference 4 of 4")
    child.expect(r"\[q\]uit: ")
    child.sendline("d")
    child.expect("wrote")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [(s, c, d) for s, c, d, _ in decided(log)] == [
        ("fg1:1", "RI2", "kept"),
        ("fg1:2", "RI1", "dropped"),
        ("fg1:2", "RI2", "kept"),
        ("fg1:3", "RI3", "dropped"),
    ]
    assert (study / "c.csv").exists()


def test_interactive_replays_a_meeting_log_first(cli, study):
    meeting = study / "meeting.csv"
    meeting.write_text("segment_id,code_id,decision\nfg1:1,RI2,dropped\nfg1:3,RI3,kept\n")
    result = run(cli, study, *interactive_args(study), "--decisions", meeting, input="k\nd\n")
    assert result.exit_code == 0, result.stderr
    assert "Replayed 2 decisions from the decisions file" in result.stdout
    assert "Difference 1 of 4" not in result.stdout
    assert decided(study / "c.decisions.csv") == [
        ("fg1:1", "RI2", "dropped", "replay"),
        ("fg1:3", "RI3", "kept", "replay"),
        ("fg1:2", "RI1", "kept", "interactive"),
        ("fg1:2", "RI2", "dropped", "interactive"),
    ]
    assert "  replay: 1 kept, 1 dropped, 0 added" in result.stdout


@pytest.mark.parametrize("existing", [False, True])
def test_consensus_and_log_land_together_or_not_at_all(cli, study, existing):
    # The log's folder is a regular file: unwritable even for root (chmod would not stop root).
    blocker = study / "afile.txt"
    blocker.write_text("not a folder")
    out = study / "consensus.csv"
    if existing:
        out.write_text("the old consensus\n")
    before = {p.name: p.read_bytes() for p in study.iterdir()}
    result = run(cli, study, "--strategy", "union", "-o", out, "--log", blocker / "log.csv")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {blocker / 'log.csv'}: cannot create folder")
    # no consensus without its audit trail, no backup, no temp file left behind
    assert {p.name: p.read_bytes() for p in study.iterdir()} == before
