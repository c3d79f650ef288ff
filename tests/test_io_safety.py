"""No silent replacement, a consistent consensus/log pair, stale temp files, locks, backups
(issue 13 item 5; issue 15 items 0, 4, 7, 8, 11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from refi_helpers import export_args, write_study
from typer.testing import CliRunner

from qualcode.cli.main import app
from qualcode.io import (
    atomic_write_text,
    backup_existing,
    backups_of,
    pair_problem,
    take_notices,
)

CODEBOOK = """\
title: t
codes:
  - id: RI1
    label: cost
    keywords: [fare]
  - id: RI2
    label: trust
    keywords: [trust]
"""
SEGMENTS = """\
segment_id,transcript_id,turn,speaker,participant_id,role,text,start_time,end_time,source,line
g1:1,g1,1,Ana,P1,participant,The fare is too much.,,,g1.txt,1
g1:2,g1,2,Ben,P2,participant,I trust her.,,,g1.txt,2
g1:3,g1,3,Cy,P3,participant,Nothing to add.,,,g1.txt,3
"""
HEADER = "segment_id,code_id,coder,origin,memo,start_char,end_char\n"
ALICE = HEADER + "g1:1,RI2,alice,manual,,,\ng1:2,RI2,alice,manual,,,\ng1:3,,alice,manual,,,\n"
BOB = HEADER + "g1:1,RI1,bob,manual,,,\ng1:2,RI2,bob,manual,,,\ng1:3,RI1,bob,manual,,,\n"


@pytest.fixture
def study(tmp_path: Path) -> Path:
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (tmp_path / "segments.csv").write_text(SEGMENTS, encoding="utf-8")
    (tmp_path / "codings").mkdir()
    (tmp_path / "codings" / "alice.csv").write_text(ALICE, encoding="utf-8")
    (tmp_path / "codings" / "bob.csv").write_text(BOB, encoding="utf-8")
    return tmp_path


def _auto(cli, study: Path, out: Path, *extra: str):
    return cli(
        "code", study / "segments.csv", "--codebook", study / "codebook.yaml",
        "--coder", "alice", "--auto", "-o", out, *extra,
    )  # fmt: skip


def _reconcile(study: Path, *extra: str, env: dict | None = None, out: str = "consensus.csv"):
    """reconcile alice and bob into consensus.csv: killed at a crash point in a subprocess (env),
    else in-process. Returns (exit code, stderr)."""
    args = ["reconcile", "codings/alice.csv", "codings/bob.csv", "-o", out, *extra]
    if env:
        done = subprocess.run(
            [sys.executable, "-m", "qualcode", *args],
            cwd=study, capture_output=True, text=True, env={**os.environ, **env}, timeout=60,
        )  # fmt: skip
        return done.returncode, done.stderr
    cwd = os.getcwd()
    os.chdir(study)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stderr


# --- 13.5: a coder's file is never replaced with no word ----------------------------------------
def test_auto_coding_onto_manual_codings_needs_force_and_names_the_backup(cli, study: Path):
    alice = study / "codings" / "alice.csv"
    result = _auto(cli, study, alice)
    assert result.exit_code == 1
    assert "alice.csv: holds alice's manual codings (origin manual)" in result.stderr
    assert "writing codings (origin auto) over it would replace that work" in result.stderr
    assert "--force" in result.stderr
    assert alice.read_text(encoding="utf-8") == ALICE and not backups_of(alice)

    result = _auto(cli, study, alice, "--force")
    assert result.exit_code == 0, result.stderr
    (backup,) = backups_of(alice)
    assert backup.read_text(encoding="utf-8") == ALICE
    assert f"note: kept the replaced {alice} as {backup}" in result.stderr


def test_a_sheet_read_back_over_another_coders_file_needs_force(cli, study: Path):
    sheet = study / "sheet.csv"
    common = ("code", study / "segments.csv", "--codebook", study / "codebook.yaml")
    assert cli(*common, "--coder", "bob", "--sheet", sheet).exit_code == 0
    alice = study / "codings" / "alice.csv"
    back = ("code", "--codebook", study / "codebook.yaml", "--from-sheet", sheet)
    result = cli(*back, "--coder", "bob", "-o", alice)
    assert result.exit_code == 1
    assert "holds alice's manual codings (origin manual)" in result.stderr
    assert "writing bob's manual codings (origin manual) over it" in result.stderr
    assert alice.read_text(encoding="utf-8") == ALICE
    mine = study / "codings" / "bob.csv"  # bob's own file: replaced, and the backup named
    result = cli(*back, "--coder", "bob", "-o", mine)
    assert result.exit_code == 0, result.stderr
    (backup,) = backups_of(mine)
    assert f"note: kept the replaced {mine} as {backup}" in result.stderr


@pytest.mark.parametrize(
    ("last", "holds"),
    [
        ("g9:1,RI1,alice,manual,,,\n", "holds alice's manual codings"),
        ('g9:1,RI1,alice," manual",,,\n', "holds alice's manual codings"),
        ("g9:1,RI1,alice,,,,\n", "holds alice's manual codings"),  # no origin: made by hand
        ('g9:1,RI1,carol,consensus,"a memo\non two lines",,\n', "holds a consensus"),
        ("g9:1,RI1,auto,import,,,\n", None),  # codings of another origin: replaced
    ],
)
def test_a_large_codings_file_is_protected_by_any_one_row(cli, study: Path, last, holds):
    # Past 1 MB the origins are read with pandas' parser, not row by row: one manual or
    # consensus row at the end still protects the file.
    big = study / "codings" / "big.csv"
    rows = "".join(f"g{i}:1,RI1,auto,auto,,0,4\n" for i in range(40_000))
    big.write_text(HEADER + rows + last, encoding="utf-8")
    assert big.stat().st_size > 1 << 20
    before = big.read_bytes()
    result = _auto(cli, study, big)
    if holds is None:
        assert result.exit_code == 0, result.stderr
        assert big.read_bytes() != before
        return
    assert result.exit_code == 1
    assert f"big.csv: {holds}" in result.stderr
    assert big.read_bytes() == before
    assert _auto(cli, study, big, "--force").exit_code == 0


@pytest.mark.parametrize("target", ["codings/alice.csv", "codebook.yaml", "consensus.csv"])
def test_ingest_over_study_work_needs_force(cli, study: Path, target: str):
    (study / "g1.txt").write_text("Ana: hello there\nBen: hi\n", encoding="utf-8")
    if target == "consensus.csv":
        (study / target).write_text(HEADER + "g1:1,RI1,consensus,consensus,,,\n", encoding="utf-8")
    before = (study / target).read_bytes()
    result = cli("ingest", study / "g1.txt", "-o", study / target)
    assert result.exit_code == 1
    kind = {"codings/alice.csv": "alice's manual codings", "codebook.yaml": "a codebook"}
    assert f"holds {kind.get(target, 'a consensus')}" in result.stderr
    assert "writing segments (speaker turns) over it" in result.stderr
    assert (study / target).read_bytes() == before
    assert cli("ingest", study / "g1.txt", "-o", study / target, "--force").exit_code == 0


def test_reconcile_onto_a_coders_file_needs_force_but_replaces_its_own_consensus(cli, study):
    a, b = study / "codings" / "alice.csv", study / "codings" / "bob.csv"
    bob_file = study / "codings" / "bob2.csv"
    bob_file.write_text(BOB, encoding="utf-8")
    result = cli("reconcile", a, b, "--strategy", "union", "-o", bob_file)
    assert result.exit_code == 1
    assert "holds bob's manual codings" in result.stderr
    assert "writing a consensus over it would replace that work" in result.stderr
    out = study / "consensus.csv"
    assert cli("reconcile", a, b, "--strategy", "union", "-o", out).exit_code == 0
    result = cli("reconcile", a, b, "--strategy", "intersection", "-o", out)  # same kind: replaced
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("note: kept the replaced") == 2  # the consensus and its log


def test_a_report_keeps_one_backup_of_itself_not_a_pile(cli, study: Path):
    report = study / "hierarchy.md"
    args = ("report", "hierarchy", "--segments", study / "segments.csv")
    args += ("--codings", study / "codings" / "bob.csv", "--codebook", study / "codebook.yaml")
    for _ in range(2):  # the same report again: nothing new to keep
        assert cli(*args, "-o", report).exit_code == 0
    assert backups_of(report) == []
    for _ in range(3):  # changed by hand in between: only the last replaced version is kept
        report.write_text(report.read_text(encoding="utf-8") + "\nmy notes", encoding="utf-8")
        assert cli(*args, "-o", report).exit_code == 0
    assert len(backups_of(report)) == 1


def test_a_report_never_replaces_a_codebook_without_force(cli, study: Path):
    args = ("report", "hierarchy", "--segments", study / "segments.csv")
    args += ("--codings", study / "codings" / "bob.csv")
    result = cli(*args, "-o", study / "codebook.yaml", "-f", "md")
    assert result.exit_code == 1
    assert "holds a codebook; writing a report over it would replace that work" in result.stderr
    assert "a report or export never replaces a study file" in result.stderr


def test_import_into_a_study_folder_needs_force(cli, tmp_path: Path):
    paths = write_study(tmp_path / "src")
    qdpx = tmp_path / "p.qdpx"
    assert cli(*export_args(paths, qdpx)).exit_code == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (mine / "segments.csv").write_text(SEGMENTS, encoding="utf-8")
    result = cli("import", "qdpx", qdpx, "-o", mine)
    assert result.exit_code == 1
    assert "already holds study files (segments.csv, codebook.yaml)" in result.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["codebook.yaml", "segments.csv"]
    qdc = tmp_path / "c.qdc"
    assert cli("export", "qdc", paths["codebook"], "-o", qdc).exit_code == 0
    result = cli("import", "qdc", qdc, "-o", mine)
    assert result.exit_code == 1 and "already holds study files (codebook.yaml)" in result.stderr
    result = cli("import", "qdpx", qdpx, "-o", mine, "--force")
    assert result.exit_code == 0, result.stderr
    assert (mine / "codebook.yaml").read_text(encoding="utf-8") != CODEBOOK
    assert "note: kept the replaced" in result.stderr and "codebook.yaml." in result.stderr
    assert [p.read_text(encoding="utf-8") for p in backups_of(mine / "codebook.yaml")] == [CODEBOOK]


# --- 15.11: a failed import leaves no partial output ----------------------------------------------
def test_a_failed_import_writes_nothing(cli, tmp_path: Path):
    paths = write_study(tmp_path / "src")
    long_name = "x" * 300  # a file name over 255 bytes: the codings file cannot be written
    for key in ("coder_a",):
        text = paths[key].read_text(encoding="utf-8").replace("coder_a", long_name)
        paths[key].write_text(text, encoding="utf-8")
    qdpx = tmp_path / "p.qdpx"
    assert cli(*export_args(paths, qdpx)).exit_code == 0
    out = tmp_path / "imported"
    result = cli("import", "qdpx", qdpx, "-o", out)
    assert result.exit_code == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.output
    assert not out.exists() or list(out.rglob("*")) == []


# --- 15.8: no backup of an unchanged file; the last N backups per file --------------------------
def test_unchanged_content_makes_no_backup_and_only_five_are_kept(tmp_path: Path):
    target = tmp_path / "c.csv"
    atomic_write_text(target, "v0\n")
    atomic_write_text(target, "v0\n")
    assert backups_of(target) == []
    for n in range(1, 9):
        atomic_write_text(target, f"v{n}\n")
    kept = [p.read_text() for p in backups_of(target)]
    assert kept == ["v3\n", "v4\n", "v5\n", "v6\n", "v7\n"]
    take_notices()


def test_backup_names_never_collide_even_in_the_same_microsecond(tmp_path: Path):
    target = tmp_path / "c.csv"
    target.write_text("old\n")
    made = {backup_existing(target, keep=0) for _ in range(200)}
    assert len(made) == 200 and all(p.read_text() == "old\n" for p in made)
    assert sorted(p.name for p in tmp_path.glob(".*")) == []  # no temp file left


# --- 15.0: a consensus and its decisions log are never silently from different runs ------------
@pytest.mark.parametrize("point", ["after-backups", "after-manifest", "between-renames"])
def test_a_kill_in_the_write_path_never_leaves_an_unnoticed_split_pair(study: Path, point: str):
    assert _reconcile(study, "--strategy", "union")[0] == 0
    union = {n: (study / n).read_bytes() for n in ("consensus.csv", "consensus.decisions.csv")}
    killed = _reconcile(study, "--strategy", "intersection", env={"QUALCODE_CRASH_AT": point})
    assert killed[0] == -9
    consensus = (study / "consensus.csv").read_bytes()
    log = (study / "consensus.decisions.csv").read_bytes()
    # Every backup was taken before any rename: the old pair is whole among the backups.
    backups = {p.read_bytes() for p in study.glob("*.bak")}
    assert consensus == union["consensus.csv"] or union["consensus.csv"] in backups
    problem = pair_problem(study / "consensus.csv")
    if point == "between-renames":
        assert consensus != union["consensus.csv"] and log == union["consensus.decisions.csv"]
        assert problem is not None and "are not from the same run" in problem
        # a reader says so: a report on the consensus, a replay of the log
        replay = _reconcile(study, "--decisions", "consensus.decisions.csv", out="again.csv")
        assert "warning: " in replay[1] and "not from the same run" in replay[1]
    else:
        assert (consensus, log) == tuple(union.values()) and problem is None
    rerun = _reconcile(study, "--strategy", "intersection")
    assert rerun[0] == 0, rerun[1]
    assert pair_problem(study / "consensus.csv") is None
    assert not [p for p in study.iterdir() if p.name.endswith(".tmp")]


def test_a_hand_edited_log_is_not_called_a_split_pair(study: Path):
    assert _reconcile(study, "--strategy", "union")[0] == 0
    log = study / "consensus.decisions.csv"
    log.write_text(log.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert pair_problem(study / "consensus.csv") is None


# --- 15.4: temp files of a killed run are recognised and removed --------------------------------
def test_stale_temp_files_of_a_killed_run_are_removed_and_reported(cli, study: Path):
    args = [
        sys.executable, "-m", "qualcode", "code", "segments.csv", "--codebook", "codebook.yaml",
        "--coder", "auto", "--auto", "-o", "codings/auto.csv",
    ]  # fmt: skip
    env = {**os.environ, "QUALCODE_CRASH_AT": "temp-written"}
    killed = subprocess.run(args, cwd=study, env=env, capture_output=True, timeout=60)
    assert killed.returncode == -9
    (stale,) = (study / "codings").glob(".auto.csv.qc-*.tmp")
    pid = stale.name.split(".qc-")[1].split("-")[1].split(".")[0]
    result = _auto(cli, study, study / "codings" / "auto.csv")
    assert result.exit_code == 0, result.stderr
    assert f"note: removed 1 temp file left in {study / 'codings'}" in result.stderr
    assert f"interrupted qualcode run (pid {pid}): {stale.name}" in result.stderr
    assert not list((study / "codings").glob(".*.tmp"))


def test_a_live_runs_temp_file_is_left_alone(tmp_path: Path):
    live = tmp_path / f".c.csv.qc-{_host()}-{os.getpid()}.abc123.tmp"
    live.write_text("half")
    atomic_write_text(tmp_path / "c.csv", "x\n")
    assert live.exists()


def _host() -> str:
    from qualcode.io import _HOST

    return _HOST


# --- 15.7: one writer per output ---------------------------------------------------------------
def test_a_second_writer_fails_naming_the_first_and_a_stale_lock_is_taken_over(cli, study: Path):
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys; from qualcode.io import lock_output; lock_output(sys.argv[1]); "
            "print('locked', flush=True); sys.stdin.read()",
            str(study / "consensus.csv"),
        ],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "locked\n"
        a, b = study / "codings" / "alice.csv", study / "codings" / "bob.csv"
        result = cli("reconcile", a, b, "--strategy", "union", "-o", study / "consensus.csv")
        assert result.exit_code == 1
        assert f"another qualcode is writing consensus.csv (pid {holder.pid})" in result.stderr
        assert not (study / "consensus.csv").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    # the holder ended (as a crash would end it): its lock file is stale, and taken over
    lock = study / ".consensus.csv.lock"
    lock.write_text(f"{holder.pid}\n")
    result = cli("reconcile", a, b, "--strategy", "union", "-o", study / "consensus.csv")
    assert result.exit_code == 0, result.stderr
    assert f"left by an interrupted qualcode run (pid {holder.pid}): taken over" in result.stderr
    assert not lock.exists()  # released when the command ended
