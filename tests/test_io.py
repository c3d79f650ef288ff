"""Atomic writes and backups: the promises that protect a coder's work."""

from __future__ import annotations

import os

import pytest

from qualcode.errors import OutputError
from qualcode.io import atomic_open, atomic_write_text, read_codings


def test_atomic_write_replaces_and_backs_up(tmp_path):
    target = tmp_path / "coder.csv"
    target.write_text("old work\n")
    atomic_write_text(target, "new work\n")
    assert target.read_text() == "new work\n"
    backups = list(tmp_path.glob("coder.csv.*.bak"))
    assert [b.read_text() for b in backups] == ["old work\n"]


def test_interrupted_write_leaves_the_old_file_untouched(tmp_path):
    target = tmp_path / "coder.csv"
    target.write_text("old work\n")
    with pytest.raises(KeyboardInterrupt), atomic_open(target) as fh:
        fh.write("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "old work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coder.csv"]


def test_new_file_gets_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "out.csv", "x\n")
    finally:
        os.umask(umask)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o644


def test_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("x\n")
    target.chmod(0o640)
    atomic_write_text(target, "y\n")
    assert target.stat().st_mode & 0o777 == 0o640


def test_output_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(OutputError, match="folder"):
        atomic_write_text(tmp_path, "x")


def test_codings_keep_na_like_values_as_text(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("segment_id,code_id,coder\ng1:1,NA,null\n")
    df = read_codings(path)
    assert df[["segment_id", "code_id", "coder"]].values.tolist() == [["g1:1", "NA", "null"]]
