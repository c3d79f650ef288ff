"""Robustness of reading and writing study files: outputs that are inputs, devices, odd names."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.errors import ContractError, OutputError
from qualcode.io import atomic_write_text, read_segments, refuse_overwriting_inputs

SEGMENTS = "segment_id,transcript_id,turn,speaker,participant_id,role,text,start_time,end_time,source,line\n"


def test_turn_too_large_for_an_integer_names_the_row(tmp_path: Path):
    path = tmp_path / "segments.csv"
    path.write_text(
        SEGMENTS + "g:1,g,1,Ann,,participant,hi,,,g.txt,1\n"
        "g:2,g,99999999999999999999999,Bob,,participant,yo,,,g.txt,2\n",
        encoding="utf-8",
    )
    with pytest.raises(ContractError) as info:
        read_segments(path)
    assert str(info.value) == (
        f"{path}:3: turn '99999999999999999999999' is too large to be a turn number"
    )


def test_cli_turn_too_large_is_an_error_not_a_traceback(cli, tmp_path: Path):
    path = tmp_path / "segments.csv"
    path.write_text(SEGMENTS + "g:1,g,1e400,Ann,,,hi,,,,\ng:2,g,10000000000,Ann,,,hi,,,,\n")
    result = cli("ingest", path, "-o", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}:2: turn must be a whole number, got '1e400'")
    path.write_text(SEGMENTS + "g:2,g,10000000000,Ann,,,hi,,,,\n")
    result = cli("ingest", path, "-o", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}:2: turn '10000000000' is too large to be a turn number\n"
    )


# --- outputs that are devices, links or the inputs ------------------------------------------------
def _device(tmp_path: Path, name: str, minor: int) -> Path:
    """A private copy of /dev/null (minor 3) or /dev/full (minor 7): a regression must not be able
    to replace or fill the real ones."""
    path = tmp_path / name
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs root (CAP_MKNOD)")
    try:
        with open(path, "rb"):
            pass
    except OSError:
        pytest.skip("device nodes are not usable on this file system (nodev)")
    return path


def test_write_to_a_null_device_neither_backs_up_nor_replaces_it(tmp_path: Path):
    null = _device(tmp_path, "null", 3)
    atomic_write_text(null, "x" * 10)
    assert stat.S_ISCHR(null.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_disk_full_is_an_output_error(tmp_path: Path):
    full = _device(tmp_path, "full", 7)
    with pytest.raises(OutputError) as info:
        atomic_write_text(full, "x" * 100_000, backup=False)
    assert str(info.value) == f"{full}: cannot write: No space left on device"
    assert stat.S_ISCHR(full.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]


def test_fifo_output_is_written_straight_through(tmp_path: Path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    atomic_write_text(fifo, "hello\n")
    assert reader.communicate(timeout=10)[0] == "hello\n"
    assert fifo.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_symlinked_output_is_written_through_and_the_link_stays(tmp_path: Path):
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    atomic_write_text(link, "new\n")
    assert link.is_symlink()
    assert target.read_text() == "new\n"
    assert [p.read_text() for p in tmp_path.glob("real.csv.*.bak")] == ["old\n"]


def test_refuse_overwriting_inputs_sees_through_links_and_spellings(tmp_path: Path):
    source = tmp_path / "fg.txt"
    source.write_text("A: hi\n")
    link = tmp_path / "alias.txt"
    link.symlink_to(source)
    (tmp_path / "sub").mkdir()
    refuse_overwriting_inputs(tmp_path / "new.csv", [source])  # not there yet: fine
    for output in (source, link, tmp_path / "sub" / ".." / "fg.txt"):
        with pytest.raises(OutputError) as info:
            refuse_overwriting_inputs(output, [None, tmp_path / "other.txt", source])
        assert str(info.value) == f"{output}: the output would overwrite the input file {source}"


@pytest.mark.parametrize("which", ["transcript", "roster", "segments"])
def test_ingest_refuses_to_overwrite_its_inputs(cli, tmp_path: Path, which: str):
    transcript = tmp_path / "fg.txt"
    transcript.write_text("Ann: hi\nBob: yo\n", encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("transcript_id,speaker,participant_id,role\nfg,Ann,P1,\n", encoding="utf-8")
    segments = tmp_path / "segments.csv"
    assert cli("ingest", transcript, "-o", segments).exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    source = segments if which == "segments" else transcript
    output = {"transcript": transcript, "roster": roster, "segments": segments}[which]
    result = cli("ingest", source, "--roster", roster, "-o", output)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {output}: the segments would overwrite the input file {output}\n"
    )
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no backup, no change


def test_ingest_into_a_folder_of_inputs_refuses_a_transcript_as_output(cli, tmp_path: Path):
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "a.txt").write_text("Ann: hi\n", encoding="utf-8")
    (folder / "b.txt").write_text("Bob: yo\n", encoding="utf-8")
    result = cli("ingest", folder, "-o", folder / "b.txt")
    assert result.exit_code == 1
    assert "would overwrite the input file" in result.stderr
    assert (folder / "b.txt").read_text(encoding="utf-8") == "Bob: yo\n"


# --- file names that are not UTF-8 ---------------------------------------------------------------
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX byte file names")
def test_non_utf8_file_name_becomes_a_cp1252_transcript_id(cli, tmp_path: Path):
    folder = os.fsencode(tmp_path)
    try:
        with open(os.path.join(folder, b"caf\xe9.txt"), "wb") as fh:
            fh.write(b"Ann: hi\nBob: yo\n")
    except OSError:  # pragma: no cover - a file system that insists on UTF-8 names
        pytest.skip("file system refuses non-UTF-8 names")
    out = tmp_path / "segments.csv"
    result = cli("ingest", tmp_path, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").splitlines()[1:] == [
        "caf\u00e9:1,caf\u00e9,1,Ann,,participant,hi,,,caf\u00e9.txt,1,",
        "caf\u00e9:2,caf\u00e9,2,Bob,,participant,yo,,,caf\u00e9.txt,2,",
    ]
    assert "the file name is not valid UTF-8; read as 'caf\u00e9.txt'" in result.stderr


def test_unencodable_console_gets_escapes_not_a_traceback(tmp_path: Path):
    src = tmp_path / "caf\u00e9.txt"  # the summary table and the warning both name it
    src.write_text("Caf\u00e9 study\nAnn: hi\nBob: yo\n", encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [sys.executable, "-m", "qualcode", "ingest", str(src), "-o", str(tmp_path / "o.csv")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "ignored heading/title line (1): line 1 'Caf\\xe9 study'" in proc.stderr
    assert "caf\\xe9" in proc.stdout


# --- Ctrl-C ---------------------------------------------------------------------------------------
def test_ctrl_c_during_ingest_leaves_the_old_output_untouched(tmp_path: Path):
    folder = tmp_path / "big"
    folder.mkdir()
    line = "P1: " + "we talked about the group and the medication " * 6 + "\n"
    for i in range(25):
        (folder / f"t{i:02}.txt").write_text(("Facilitator: Go on.\n" + line) * 2500)
    out = tmp_path / "segments.csv"
    out.write_text("old content\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qualcode", "ingest", str(folder), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        proc.wait(timeout=2.0)  # interrupt while the files are being read (or written)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr
    content = out.read_text()
    if proc.returncode == 130:
        assert content == "old content\n"
        assert stderr.splitlines()[-1:] in (
            [],  # still starting up
            ["interrupted: nothing half-written was left behind"],
        )
    else:  # finished before the signal: then the output is complete
        assert proc.returncode == 0
        assert content.count("\n") == 25 * 5000 + 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
