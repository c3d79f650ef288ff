"""Large-study progress (issue 19 goal 5): report hierarchy, report saturation and ingest of a
segments table show a progress bar on a terminal and nothing on a pipe.

"Large" is a file size (qualcode.cli.report.LARGE_STUDY_BYTES, qualcode.cli.ingest.
PROGRESS_TABLE_BYTES: about 80,000 turns, seconds of work); the tests lower it to 0 so that the
bundled study counts as large, in process (CliRunner: stderr is a pipe) and in a pseudo-terminal
(pexpect: stderr is a terminal).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qualcode.cli.ingest as ingest_cli
import qualcode.cli.report as report_cli
from qualcode.cli.main import app

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"
ROSTER = STUDY / "roster.csv"
CODINGS = STUDY / "codings" / "coder_a.csv"
BAR_WORDS = ("report hierarchy", "report saturation", "Reading the segments table", "━")


@pytest.fixture(scope="module")
def segments(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("progress") / "segments.csv"
    done = CliRunner().invoke(app, ["ingest", str(STUDY), "--roster", str(ROSTER), "-o", str(out)])
    assert done.exit_code == 0, done.output
    return out


def _report(kind: str, segments: Path, out: Path) -> list[str]:
    return [
        "report", kind, "--segments", str(segments), "--codings", str(CODINGS),
        "--codebook", str(CODEBOOK), "--roster", str(ROSTER), "-f", "json", "-o", str(out),
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["hierarchy", "saturation"])
def test_report_on_a_pipe_prints_no_bar_and_the_same_output(kind, segments, tmp_path, monkeypatch):
    small = tmp_path / "small.json"
    first = CliRunner().invoke(app, _report(kind, segments, small))
    assert first.exit_code == 0, first.output
    monkeypatch.setattr(report_cli, "LARGE_STUDY_BYTES", 0)  # the bundled study counts as large
    large = tmp_path / "large.json"
    second = CliRunner().invoke(app, _report(kind, segments, large))
    assert second.exit_code == 0, second.output
    assert large.read_bytes() == small.read_bytes()
    assert second.stderr == first.stderr.replace(str(small), str(large))
    assert not any(word in second.stderr for word in BAR_WORDS)


def test_ingest_of_a_large_segments_table_on_a_pipe_prints_no_bar(segments, tmp_path, monkeypatch):
    monkeypatch.setattr(ingest_cli, "PROGRESS_TABLE_BYTES", 0)
    out = tmp_path / "again.csv"
    done = CliRunner().invoke(
        app, ["ingest", str(segments), "--roster", str(ROSTER), "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert out.read_bytes() == segments.read_bytes()
    assert not any(word in done.stderr for word in BAR_WORDS)


# In a pseudo-terminal the bar is drawn on stderr; the child lowers the size limit before the CLI
# runs (a test hook, not an option users have).
_CHILD = """
import sys
import qualcode.cli.ingest, qualcode.cli.report
qualcode.cli.report.LARGE_STUDY_BYTES = 0
qualcode.cli.ingest.PROGRESS_TABLE_BYTES = 0
from qualcode.cli.main import run
sys.argv = ["qualcode", *sys.argv[1:]]
run()
"""


def _in_terminal(args: list[str]) -> str:
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        sys.executable, ["-c", _CHILD, *args], env=env, encoding="utf-8", timeout=120
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


@pytest.mark.parametrize(
    ("kind", "description"),
    [("hierarchy", "report hierarchy"), ("saturation", "report saturation")],
)
def test_report_in_a_terminal_shows_the_bar(kind, description, segments, tmp_path):
    out = tmp_path / "out.json"
    shown = _in_terminal(_report(kind, segments, out))
    assert description in shown
    assert out.is_file()


def test_ingest_of_a_large_segments_table_in_a_terminal_shows_the_bar(segments, tmp_path):
    out = tmp_path / "again.csv"
    shown = _in_terminal(["ingest", str(segments), "--roster", str(ROSTER), "-o", str(out)])
    assert "Reading the segments table" in shown
    assert out.read_bytes() == segments.read_bytes()
