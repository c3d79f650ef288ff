"""What real QDA programs need from a qualcode `.qdpx` (issue 14): dated notes, coding memos in the
selection's Description, a colour on every code, and byte-identical re-exports.

QualCoder's importer (`refi.py`, `parse_notes`) calls `.replace` on a Note's date, so a Note without
`creationDateTime`/`modifiedDateTime` stops the import before cases, attributes and sets; it reads a
coding memo from the PlainTextSelection's `<Description>`; without a `color` it picks a random one.
"""

from __future__ import annotations

import os
import re
import zipfile
from xml.etree import ElementTree as ET

import pytest
from refi_helpers import export_args, schema, write_study

P = "{urn:QDA-XML:project:1.0}"
C = "{urn:QDA-XML:codebook:1.0}"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def study(tmp_path):
    return write_study(tmp_path / "study")


def _export(cli, study, out):
    result = cli(*export_args(study, out))
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        qde = zf.read("project.qde")
    schema("Project-mrt2019.xsd").validate(qde.decode("utf-8"))
    return ET.fromstring(qde)


def test_every_note_selection_and_coding_has_a_date(cli, study, tmp_path):
    root = _export(cli, study, tmp_path / "s.qdpx")
    notes = list(root.iter(f"{P}Note"))
    assert len(notes) == 3  # two memos (one on a turn with no code) and the qualcode data note
    for el in [root, *notes]:
        assert DATE.match(el.get("creationDateTime")), el.attrib
        assert DATE.match(el.get("modifiedDateTime")), el.attrib
    for el in [*root.iter(f"{P}PlainTextSelection"), *root.iter(f"{P}Coding")]:
        assert DATE.match(el.get("creationDateTime")), el.attrib


def test_the_date_is_the_newest_input_file_or_source_date_epoch(cli, study, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for i, path in enumerate(study.values()):
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))  # roster is the newest
    root = _export(cli, study, tmp_path / "a.qdpx")
    assert root.get("creationDateTime") == "2023-11-14T22:13:24Z"  # 1_700_000_004
    assert {n.get("modifiedDateTime") for n in root.iter(f"{P}Note")} == {"2023-11-14T22:13:24Z"}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714564800")
    root = _export(cli, study, tmp_path / "b.qdpx")
    assert {n.get("creationDateTime") for n in root.iter(f"{P}Note")} == {"2024-05-01T12:00:00Z"}


def test_reexport_is_byte_identical_with_dates(cli, study, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    _export(cli, study, tmp_path / "a.qdpx")
    _export(cli, study, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()


def test_bad_source_date_epoch_is_an_error(cli, study, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = cli(*export_args(study, tmp_path / "s.qdpx"))
    assert result.exit_code == 1
    assert "SOURCE_DATE_EPOCH must be whole seconds since 1970, got 'yesterday'" in result.stderr


def test_coding_memo_is_the_selections_description_and_a_note(cli, study, tmp_path):
    root = _export(cli, study, tmp_path / "s.qdpx")
    notes = {n.get("guid"): n.find(f"{P}PlainTextContent").text for n in root.iter(f"{P}Note")}
    memos = []
    for sel in root.iter(f"{P}PlainTextSelection"):
        description = sel.find(f"{P}Description")
        refs = [notes[r.get("targetGUID")] for r in sel.findall(f"{P}NoteRef")]
        if description is None:
            assert refs == []
            continue
        assert [c.tag for c in sel][0] == f"{P}Description"  # schema order: before Coding
        assert refs == [description.text]
        memos.append(description.text)
    assert memos == ["the fare itself"]


def test_every_code_has_a_colour_stable_by_theme(cli, study, tmp_path):
    from qualcode.codebook import load_codebook
    from qualcode.interop.refi_export import PALETTE, code_colors

    root = _export(cli, study, tmp_path / "s.qdpx")
    colours = {c.get("name"): c.get("color") for c in root.iter(f"{P}Code")}
    assert all(re.fullmatch(r"#[0-9A-F]{6}", v) for v in colours.values()), colours
    # theme 1 (Cost) and its ideas share a hue; theme 2 (Trust) takes the next palette colour
    assert colours["Cost"] == colours["Barriers"] == PALETTE[0]
    assert colours["Trust"] == PALETTE[1]
    assert colours["Other"] == PALETTE[2]  # flat codes follow the themes
    assert colours["Too expensive"] != colours["Waiting"]
    assert len(set(colours.values())) == len(colours) - 1  # only the construct repeats its theme's
    qdc = tmp_path / "c.qdc"
    assert cli("export", "qdc", study["codebook"], "-o", qdc).exit_code == 0
    from_qdc = {c.get("name"): c.get("color") for c in ET.parse(qdc).getroot().iter(f"{C}Code")}
    assert from_qdc == colours
    assert code_colors(load_codebook(study["codebook"]))["RI1"] == colours["Too expensive"]


def test_a_codebook_colour_wins_and_survives_a_round_trip(cli, study, tmp_path):
    text = study["codebook"].read_text(encoding="utf-8")
    text = text.replace("label: Waiting\n", 'label: Waiting\n            color: "#0a0"\n')
    text = text.replace("label: Other\n", "label: Other\n    color: red\n")
    study["codebook"].write_text(text, encoding="utf-8")
    check = cli("codebook", "check", study["codebook"])
    assert "color 'red' of code 'X1' is not #RRGGBB" in check.stdout + check.stderr
    root = _export(cli, study, tmp_path / "s.qdpx")
    colours = {c.get("name"): c.get("color") for c in root.iter(f"{P}Code")}
    assert colours["Waiting"] == "#00AA00"
    assert re.fullmatch(r"#[0-9A-F]{6}", colours["Other"])
    assert cli("import", "qdpx", tmp_path / "s.qdpx", "-o", tmp_path / "back").exit_code == 0
    back = (tmp_path / "back" / "codebook.yaml").read_text(encoding="utf-8")
    assert "color: '#00AA00'" in back
