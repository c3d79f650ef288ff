"""The CLI's allocator setting: asked of glibc where there is one, skipped on request or elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from qualcode.cli.allocator import keep_freed_memory


def _glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (AttributeError, ValueError, OSError):
        return False


def test_glibc_is_asked_where_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUALCODE_MALLOC", raising=False)
    assert keep_freed_memory() is _glibc()


def test_qualcode_malloc_default_leaves_glibc_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_MALLOC", "Default")
    assert keep_freed_memory() is False


@pytest.mark.parametrize("setting", ["", "default"])
def test_a_command_runs_either_way(tmp_path, setting: str) -> None:
    # A real command in a fresh process, allocating arrays of several MB after the setting.
    segments = tmp_path / "segments.csv"
    rows = ["segment_id,transcript_id,turn,speaker,participant_id,role,text"]
    rows += [f"G1:{i},G1,{i},P{i % 5},P{i % 5},participant,turn {i} text" for i in range(1, 3001)]
    segments.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {**os.environ, "QUALCODE_MALLOC": setting}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "qualcode",
            "ingest",
            str(segments),
            "-o",
            str(tmp_path / "out.csv"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").count("\n") == 3001
