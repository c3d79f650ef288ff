"""kill -9 at random moments (issue 15, "Make the search permanent"): `code --auto` and `reconcile`
are killed at seeded random times during a run; after each kill the outputs are whole (the old
version or the new one), backups are whole, a split consensus/log pair is detected, and a rerun
removes the temp files and lock files the kill left. Bounded: a few kills per command, and the
loop stops when its time budget is spent (the deterministic kills between renames are in
test_io_safety.py)."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.cli.main import app
from qualcode.io import pair_problem, read_codings

# Per command; QUALCODE_CRASH_KILLS=40 QUALCODE_CRASH_BUDGET=600 pytest -s ... runs a long search
# and prints what the kills left (the tally below).
KILLS = int(os.environ.get("QUALCODE_CRASH_KILLS", "4"))
BUDGET = float(os.environ.get("QUALCODE_CRASH_BUDGET", "12"))  # seconds of kills per command
HEADER = "segment_id,code_id,coder,origin,memo,start_char,end_char\n"
CODEBOOK = """\
title: crash
codes:
  - id: RI1
    label: cost
    keywords: [fare, cost]
  - id: RI2
    label: trust
    keywords: [trust]
"""
WORDS = ["the fare", "I trust her", "cost of parking", "nothing", "the bus", "trust is earned"]


def _study(folder: Path, n: int = 4000) -> None:
    rng = random.Random(15)
    rows = [
        f"g{i // 500}:{i % 500 + 1},g{i // 500},{i % 500 + 1},P{i % 9},P{i % 9},participant,"
        f"{rng.choice(WORDS)} {i},,,g.txt,{i + 1}\n"
        for i in range(n)
    ]
    (folder / "segments.csv").write_text(
        "segment_id,transcript_id,turn,speaker,participant_id,role,text,start_time,end_time,"
        "source,line\n" + "".join(rows),
        encoding="utf-8",
    )
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    ids = [r.split(",", 1)[0] for r in rows]
    for coder, p in (("alice", 0.3), ("bob", 0.6)):
        lines = [f"{s},{'RI1' if rng.random() < p else 'RI2'},{coder},manual,,,\n" for s in ids]
        (folder / f"{coder}.csv").write_text(HEADER + "".join(lines), encoding="utf-8")


def _run(folder: Path, args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qualcode", *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def _timed(folder: Path, args: list[str]) -> float:
    start = time.monotonic()
    code, err = _finish(_run(folder, args))
    assert code == 0, err
    return time.monotonic() - start


def _kill_at(folder: Path, args: list[str], delay: float) -> None:
    """kill -9 `delay` seconds after the start (a run that ended before is not killed)."""
    proc = _run(folder, args)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def _kill_while_writing(folder: Path, args: list[str], delay: float) -> None:
    """kill -9 `delay` seconds after the first temp file of the run appears: a random moment of
    the short write phase (writing, backups, manifests, renames), which a kill timed from the
    start rarely hits."""
    proc = _run(folder, args)
    limit = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < limit:
        if any(name.endswith(".tmp") for name in os.listdir(folder)):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=delay)
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.001)  # poll for the temp file about every millisecond
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _kill(folder: Path, args: list[str], seconds: float, rng: random.Random, k: int) -> str:
    """Every other kill is timed within the write phase."""
    if k % 2:
        _kill_while_writing(folder, args, rng.uniform(0, 0.05))
        return "writing: "
    _kill_at(folder, args, rng.uniform(0.2, 1.1) * seconds)
    return "any time: "


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".lock")))


def _log(data: bytes) -> list[bytes]:
    """A decisions log without its timestamps (each run stamps its own)."""
    return [line.rsplit(b",", 1)[0] for line in data.splitlines()]


def _same(name: str, data: bytes, expected: bytes) -> bool:
    return _log(data) == _log(expected) if name.endswith("decisions.csv") else data == expected


def _check_rerun(folder: Path, args: list[str], expected: dict[str, bytes]) -> None:
    """The same command again, in-process: it removes what the kill left and writes it all."""
    had_temp = any(n.endswith(".tmp") for n in _leftovers(folder))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert ("removed" in result.stderr and "interrupted qualcode run" in result.stderr) == had_temp
    assert _leftovers(folder) == []
    for name, data in expected.items():
        assert _same(name, (folder / name).read_bytes(), data)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    """A study with an older auto.csv and a union consensus; how long each command takes."""
    folder = tmp_path_factory.mktemp("crash-base")
    _study(folder)
    auto = ["code", "segments.csv", "--codebook", "codebook.yaml", "--coder", "auto", "--auto"]
    auto += ["-o", "auto.csv"]
    seconds = _timed(folder, auto)
    new_auto = (folder / "auto.csv").read_bytes()
    old_auto = new_auto[: len(new_auto) // 2].rsplit(b"\n", 1)[0] + b"\n"  # an older, shorter run
    (folder / "auto.csv").write_bytes(old_auto)
    rec = ["reconcile", "alice.csv", "bob.csv", "-o", "consensus.csv", "--strategy"]
    rec_seconds = _timed(folder, [*rec, "intersection"])
    inter = {n: (folder / n).read_bytes() for n in ("consensus.csv", "consensus.decisions.csv")}
    _check_rerun(folder, [*rec, "union"], {})
    union = {n: (folder / n).read_bytes() for n in ("consensus.csv", "consensus.decisions.csv")}
    for p in folder.glob("*.bak"):
        p.unlink()
    return {
        "folder": folder,
        "auto": (auto, seconds, old_auto, new_auto),
        "reconcile": ([*rec, "intersection"], rec_seconds, union, inter),
    }


def test_killing_code_auto_at_random_moments_leaves_whole_files(base, tmp_path: Path):
    args, seconds, old, new = base["auto"]
    rng = random.Random(1504)
    tally: Counter[str] = Counter()
    deadline = time.monotonic() + BUDGET
    for k in range(KILLS):
        if time.monotonic() > deadline:
            break
        folder = tmp_path / f"k{k}"
        shutil.copytree(base["folder"], folder)
        when = _kill(folder, args, seconds, rng, k)
        data = (folder / "auto.csv").read_bytes()
        assert data in (old, new)  # never a torn file
        stray = [n for n in _leftovers(folder) if n.endswith(".tmp")]
        tally[when + ("old" if data == old else "new") + (" + temp file" if stray else "")] += 1
        assert all(p.read_bytes() == old for p in folder.glob("auto.csv.*.bak"))
        stray = [n for n in _leftovers(folder) if n.endswith(".tmp")]
        assert all(n.startswith(".auto.csv.qc-") for n in stray), stray
        _check_rerun(folder, args, {"auto.csv": new})
        read_codings(folder / "auto.csv")
    print(f"code --auto ({seconds:.1f} s a run) killed:", dict(tally))


def test_killing_reconcile_at_random_moments_never_splits_the_pair_unnoticed(base, tmp_path):
    args, seconds, union, inter = base["reconcile"]
    rng = random.Random(1500)
    tally: Counter[str] = Counter()
    deadline = time.monotonic() + BUDGET
    for k in range(KILLS):
        if time.monotonic() > deadline:
            break
        folder = tmp_path / f"k{k}"
        shutil.copytree(base["folder"], folder)
        when = _kill(folder, args, seconds, rng, k)
        # each file is whole: the union (before) or the intersection (this run)
        which = {}
        for name in union:
            data = (folder / name).read_bytes()
            which[name] = [v for v, d in (("u", union), ("i", inter)) if _same(name, data, d[name])]
            assert len(which[name]) == 1, name
        split = which["consensus.csv"] != which["consensus.decisions.csv"]
        assert (pair_problem(folder / "consensus.csv") is not None) == split
        temp = any(n.endswith(".tmp") for n in _leftovers(folder))
        state = (
            "split, detected" if split else {"u": "before", "i": "after"}[which["consensus.csv"][0]]
        )
        tally[when + state + (" + temp files" if temp else "")] += 1
        for backup in folder.glob("*.bak"):  # backups are whole too
            name = backup.name.split(".2")[0]
            data = backup.read_bytes()
            assert any(_same(name, data, d[name]) for d in (union, inter)), backup.name
        _check_rerun(folder, args, inter)
        assert pair_problem(folder / "consensus.csv") is None
        assert os.path.exists(folder / ".consensus.csv.pair.json")
    print(f"reconcile ({seconds:.1f} s a run) killed:", dict(tally))
