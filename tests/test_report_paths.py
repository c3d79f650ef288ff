"""Reports never carry the researcher's absolute paths (issue 15.14): files are named relative to
the study folder (the folder of qualcode.yaml, else the current folder), or by file name alone."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "code_modes"


@pytest.fixture
def study(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "maria_private_folder"
    (root / "codings").mkdir(parents=True)
    shutil.copy(DATA / "segments.csv", root / "segments.csv")
    (root / "codings" / "ana.csv").write_text(
        "segment_id,code_id,coder\ng1:2,RI1,ana\ng1:3,,ana\ng1:4,RI2,ana\n"
    )
    (root / "codings" / "ben.csv").write_text(
        "segment_id,code_id,coder\ng1:2,RI1,ben\ng1:3,RI3,ben\ng1:4,,ben\n"
    )
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize("fmt", ["json", "md", "html", "xlsx", "csv", "table"])
def test_compare_reports_name_files_relative_to_the_study(cli, study, fmt):
    out = study / f"agreement.{'txt' if fmt == 'table' else fmt}"
    result = cli(
        "compare", study / "codings" / "ana.csv", study / "codings" / "ben.csv",
        "--segments", study / "segments.csv", "-f", fmt, "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    if fmt == "xlsx":
        with zipfile.ZipFile(out) as z:
            text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    else:
        text = out.read_text(encoding="utf-8")
    assert str(study.parent) not in text
    if fmt == "json":
        assert json.loads(text)["files"] == {"a": "codings/ana.csv", "b": "codings/ben.csv"}
    elif fmt != "csv":  # the csv holds the per-code table only
        assert "codings/ana.csv" in text


def test_a_file_outside_the_study_is_named_by_its_file_name(cli, study, tmp_path):
    elsewhere = tmp_path / "downloads" / "ben_v2.csv"
    elsewhere.parent.mkdir()
    shutil.copy(study / "codings" / "ben.csv", elsewhere)
    result = cli("compare", study / "codings" / "ana.csv", elsewhere, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == {"a": "codings/ana.csv", "b": "ben_v2.csv"}
