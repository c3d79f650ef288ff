"""Round trip through QualCoder's own REFI-QDA code (issue 14): the bundled study's .qdpx imports
into QualCoder with no error, with its cases, attributes, colours and coding memos; QualCoder's
export of it imports back into qualcode with the codings, memos and participant ids.

QualCoder is not vendored. To run this test, point QUALCODER_SRC at the `src` folder of a checkout
of the ccbogel/QualCoder repository and install PyQt6 (`pip install PyQt6`); it runs headless
(QT_QPA_PLATFORM=offscreen) through tests/qualcoder_harness.py. Without them it is skipped, saying
why. The structure QualCoder needs is also pinned without it, in test_refi_programs.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.io import read_codings, read_segments
from qualcode.roster import read_roster

HARNESS = Path(__file__).with_name("qualcoder_harness.py")


def _qualcoder_src() -> Path:
    src = os.environ.get("QUALCODER_SRC", "")
    if not src:
        pytest.skip("QUALCODER_SRC is not set (the src folder of a QualCoder checkout)")
    path = Path(src)
    if not (path / "qualcoder" / "refi.py").is_file():
        pytest.skip(f"QUALCODER_SRC={src} has no qualcoder/refi.py")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    probe = subprocess.run(
        [sys.executable, "-c", "from PyQt6 import QtWidgets; QtWidgets.QApplication([])"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"PyQt6 does not load offscreen here: {last}")
    return path


def test_bundled_study_round_trips_through_qualcoder(cli, repo, tmp_path):
    src = _qualcoder_src()
    transcripts = repo / "sample_transcripts"
    codings = sorted((transcripts / "codings").glob("*.csv"))
    segments = tmp_path / "segments.csv"
    roster = transcripts / "roster.csv"
    assert cli("ingest", transcripts, "--roster", roster, "-o", segments).exit_code == 0
    study = tmp_path / "study.qdpx"
    args = ["export", "qdpx", "--segments", segments, "--roster", roster, "-o", study]
    args += ["--codebook", repo / "codebooks" / "bup_group_visits.yaml"]
    for path in codings:
        args += ["--codings", path]
    assert cli(*args).exit_code == 0

    back = tmp_path / "from_qualcoder.qdpx"
    run = subprocess.run(
        [sys.executable, str(HARNESS), str(src), str(study), str(back)],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    qc = json.loads(run.stdout.strip().splitlines()[-1])
    # What QualCoder stored: every coding with its memo, every case with its attributes.
    originals = [read_codings(p) for p in codings]
    n_codings = sum(int((c["code_id"] != "").sum()) for c in originals)
    n_memos = sum(int(((c["code_id"] != "") & (c["memo"] != "")).sum()) for c in originals)
    assert len(qc["code_text"]) == n_codings == 481
    assert sum(1 for row in qc["code_text"] if row["memo"]) == n_memos == 8
    people = read_roster(roster)
    assert len(qc["cases"]) == people["participant_id"].nunique() == 38
    assert len(qc["attribute"]) == 200
    assert all(row["color"] for row in qc["code_name"])
    assert qc["log"][-1].endswith("loaded.")

    # QualCoder's export, back into qualcode.
    out = tmp_path / "back"
    result = cli("import", "qdpx", back, "-o", out)
    assert result.exit_code == 0, result.stderr
    got = {p.stem: read_codings(p) for p in (out / "codings").glob("*.csv")}
    assert sorted(got) == ["coder_a", "coder_b"]
    assert sum(int((c["code_id"] != "").sum()) for c in got.values()) == n_codings
    assert sum(int((c["memo"] != "").sum()) for c in got.values()) == n_memos
    segs = read_segments(out / "segments.csv")
    original = read_segments(segments)
    # QualCoder drops qualcode's data note, so the turns come from re-reading the plain text and
    # the participant ids from the cases (speaker labels in their descriptions).
    assert len(segs) == len(original) == 394
    assert list(segs["speaker"]) == list(original["speaker"])
    assert list(segs["text"]) == list(original["text"])
    assert list(segs["participant_id"]) == list(original["participant_id"])
    assert "not carried over" not in result.stdout
