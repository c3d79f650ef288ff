"""export qdpx written straight into the zip (issue 19): long transcripts cross the writer's chunks,
repeated codings keep their own selections, the first bad codings row is the one reported, and a
study that cannot fit in memory or on the disk fails before anything is written."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import zipfile
from xml.etree import ElementTree as ET

import pytest
from refi_helpers import export_args, schema, write_study

from qualcode.capacity import check_disk, parse_size
from qualcode.errors import OutputError, QualcodeError
from qualcode.interop.refi_export import source_text
from qualcode.io import read_segments

P = "{urn:QDA-XML:project:1.0}"


def _project(path):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return ET.fromstring(members["project.qde"]), members


def _long_study(folder, turns: int):
    """One transcript of `turns` turns (more than the writer's 1000-turn pieces), coded by two
    coders; a few turns hold '&', '<' and an emoji so escaping and code points are exercised."""
    paths = write_study(folder)
    with open(paths["segments"], "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["segment_id", "transcript_id", "turn", "speaker", "text", "source", "line"])
        for t in range(1, turns + 1):
            text = f"turn {t} says a & b < c \U0001f60a" if t % 997 == 0 else f"turn {t} text"
            w.writerow([f"long:{t}", "long", t, f"P{t % 3}", text, "long.txt", t])
    for key, coder in (("coder_a", "coder_a"), ("coder_b", "coder_b")):
        with open(paths[key], "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["segment_id", "code_id", "coder", "memo", "start_char", "end_char"])
            for t in range(1, turns + 1, 7):
                w.writerow([f"long:{t}", "RI1" if key == "coder_a" else "RI2", coder, "", "", ""])
            w.writerow([f"long:{turns}", "RI3", coder, "a memo & more", "0", "4"])
    paths["roster"].write_text("transcript_id,speaker,participant_id,role\n", encoding="utf-8")
    return paths


def test_a_long_transcript_crosses_the_writers_pieces(cli, tmp_path):
    study = _long_study(tmp_path / "study", 2501)
    out = tmp_path / "long.qdpx"
    result = cli(*export_args(study, out))
    assert result.exit_code == 0, result.stderr
    root, members = _project(out)
    schema("Project-mrt2019.xsd").validate(members["project.qde"].decode("utf-8"))
    segments = read_segments(study["segments"])
    turns = segments.to_dict("records")
    expected, spans = source_text(turns)  # the one-piece construction the writer streams
    (source,) = root.iter(f"{P}TextSource")
    raw = members[f"sources/{source.get('guid')}.txt"]
    assert raw.decode("utf-8") == expected
    notes = {n.get("guid"): n for n in root.iter(f"{P}Note")}
    data = json.loads(notes[root.find(f"{P}NoteRef").get("targetGUID")][0].text)
    (entry,) = data["sources"].values()
    assert entry["sha256"] == hashlib.sha256(raw).hexdigest()
    assert [tuple(t[-2:]) for t in entry["turns"]] == spans
    assert [t[0] for t in entry["turns"]] == list(segments["segment_id"])
    selections = list(source.iter(f"{P}PlainTextSelection"))
    assert len(selections) == 2 * len(range(1, 2502, 7)) + 2
    starts = [int(s.get("startPosition")) for s in selections]
    assert starts == sorted(starts)
    last = selections[-1]
    assert last.find(f"{P}Description").text == "a memo & more"
    assert expected[int(last.get("startPosition")) : int(last.get("endPosition"))] == "turn"
    assert len(data["coders"]["coder_a"]) == len(range(1, 2502, 7)) + 1
    assert "outside the Basic Multilingual Plane" in result.stderr


def test_a_repeated_coding_keeps_its_own_selection(cli, tmp_path):
    study = write_study(tmp_path / "study")
    study["coder_a"].write_text(
        "segment_id,code_id,coder\nfg1:3,RI1,coder_a\nfg1:3,RI1,coder_a\n", encoding="utf-8"
    )
    out = tmp_path / "r.qdpx"
    assert cli(*export_args(study, out)).exit_code == 0
    root, _ = _project(out)
    users = {u.get("name"): u.get("guid") for u in root.iter(f"{P}User")}
    mine = [
        s.get("guid")
        for s in root.iter(f"{P}PlainTextSelection")
        if s.get("creatingUser") == users["coder_a"]
    ]
    assert len(mine) == 2 and len(set(mine)) == 2


def test_the_first_bad_codings_row_is_the_one_reported(cli, tmp_path):
    study = write_study(tmp_path / "study")
    study["coder_a"].write_text(
        "segment_id,code_id,coder,start_char,end_char\n"
        "fg1:3,RI1,coder_a,,\n"
        "fg1:3,RI1,coder_a,5,99\n"  # line 3: the span does not fit
        "fg9:1,RI1,coder_a,,\n"  # line 4: unknown segment
        "fg1:3,RI9,coder_a,,\n",  # line 5: unknown code
        encoding="utf-8",
    )
    result = cli(*export_args(study, tmp_path / "x.qdpx"))
    assert result.exit_code == 1
    assert f"error: {study['coder_a']}:3: span 5..99 does not fit" in result.stderr


def test_a_study_that_needs_more_memory_than_there_is_fails_before_writing(
    cli, tmp_path, monkeypatch
):
    study = write_study(tmp_path / "study")
    out = tmp_path / "out" / "x.qdpx"
    monkeypatch.setenv("QUALCODE_MEMORY_LIMIT", "10M")
    result = cli(*export_args(study, out))
    assert result.exit_code == 1
    assert "error: export qdpx of " in result.stderr
    assert "of codings would need about 100." in result.stderr
    assert "of memory, more than the 10.0 MB that QUALCODE_MEMORY_LIMIT allows" in result.stderr
    assert "hint: run it on a machine with more memory" in result.stderr
    assert not out.parent.exists() or not list(out.parent.iterdir())
    monkeypatch.setenv("QUALCODE_MEMORY_LIMIT", "8G")
    assert cli(*export_args(study, out)).exit_code == 0


def test_a_memory_limit_that_is_not_a_size_is_an_error(cli, tmp_path, monkeypatch):
    study = write_study(tmp_path / "study")
    monkeypatch.setenv("QUALCODE_MEMORY_LIMIT", "lots")
    result = cli(*export_args(study, tmp_path / "x.qdpx"))
    assert result.exit_code == 1
    assert "QUALCODE_MEMORY_LIMIT must be a size such as 4G or 500M, got 'lots'" in result.stderr


@pytest.mark.parametrize(
    ("text", "size"), [("1500000000", 1500000000), ("4G", 4 * 1024**3), ("500 MB", 500 * 1024**2)]
)
def test_sizes(text, size):
    assert parse_size(text) == size


def test_an_output_that_would_not_fit_on_the_disk_is_refused(tmp_path):
    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(OutputError, match="not enough disk space: this needs about"):
        check_disk(free + 1024**3, tmp_path / "new" / "x.qdpx")
    check_disk(1024, tmp_path / "new" / "x.qdpx")
    with pytest.raises(QualcodeError):
        parse_size("-1")
