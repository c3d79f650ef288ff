"""REFI-QDA export: .qdc and .qdpx validate against the official schemas; offsets, GUIDs, users."""

from __future__ import annotations

import json
import zipfile
from xml.etree import ElementTree as ET

import pytest
from refi_helpers import export_args, schema, write_study

from qualcode.codebook import load_codebook
from qualcode.errors import ContractError
from qualcode.interop.refi_export import codebook_to_qdc
from qualcode.io import read_codings, read_segments
from qualcode.model import Codebook

P = "{urn:QDA-XML:project:1.0}"


@pytest.fixture
def study(tmp_path):
    return write_study(tmp_path / "study")


def _export(cli, study, out):
    result = cli(*export_args(study, out))
    assert result.exit_code == 0, result.stderr
    return result


def _project(path):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    return ET.fromstring(members["project.qde"]), members


def test_qdc_validates_and_is_stable(cli, study, tmp_path):
    out1, out2 = tmp_path / "a.qdc", tmp_path / "b.qdc"
    r1 = cli("export", "qdc", study["codebook"], "-o", out1)
    cli("export", "qdc", study["codebook"], "-o", out2)
    assert (
        r1.exit_code == 0
        and r1.stdout.strip() == f"wrote {out1}: 4 codes in 2 themes and 1 construct"
    )
    schema("Codebook-mrt2019.xsd").validate(str(out1))
    assert out1.read_bytes() == out2.read_bytes()
    root = ET.fromstring(out1.read_bytes())
    ns = "{urn:QDA-XML:codebook:1.0}"
    tree = [
        (c.get("name"), c.get("isCodable"), [(g.get("name"), g.get("isCodable")) for g in c])
        for c in root.iter(f"{ns}Code")
        if c.get("name") in ("Barriers", "Cost", "Trust", "Other")
    ]
    assert [(n, codable) for n, codable, _ in tree] == [
        ("Barriers", "false"),
        ("Cost", "false"),
        ("Trust", "false"),
        ("Other", "true"),
    ]
    ri1 = next(c for c in root.iter(f"{ns}Code") if c.get("name") == "Too expensive")
    text = ri1.find(f"{ns}Description").text
    assert text.startswith("Costs stops visits.".replace("stops", "stop") + "\n\nInclude: Fares")
    assert "Examples:\n- The bus fare is too much.\n- Cost, mostly." in text
    assert '"keywords":["fare","cost"]' in text.splitlines()[-1]


def test_empty_codebook_cannot_be_exported():
    with pytest.raises(ContractError, match="no codes to export"):
        codebook_to_qdc(Codebook())


def test_qdpx_validates_and_reexports_identically(cli, study, tmp_path):
    out1, out2 = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    result = _export(cli, study, out1)
    _export(cli, study, out2)
    assert out1.read_bytes() == out2.read_bytes()
    assert result.stdout.strip() == (
        f"wrote {out1}: 2 sources, 5 turns, 2 users (coder_a, coder_b), 4 codes in 2 themes and 1 construct, "
        "7 coded selections, 2 memos, 3 cases, 2 variables"
    )
    root, members = _project(out1)
    schema("Project-mrt2019.xsd").validate(members["project.qde"].decode("utf-8"))
    assert root.get("origin").startswith("qualcode ")
    for source in root.iter(f"{P}TextSource"):
        path = source.get("plainTextPath")
        assert path == f"internal://{source.get('guid')}.txt"
        assert f"sources/{source.get('guid')}.txt" in members
    assert not [el for el in root.iter() if len(el) == 0 and el.tag.endswith("s") and not el.text]


def test_selection_offsets_slice_the_coded_text(cli, study, tmp_path):
    out = tmp_path / "s.qdpx"
    result = _export(cli, study, out)
    assert "outside the Basic Multilingual Plane" in result.stderr
    root, members = _project(out)
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{P}User")}
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{P}Code")}
    segments = read_segments(study["segments"]).set_index("segment_id")
    got = []
    for source in root.iter(f"{P}TextSource"):
        raw = members[f"sources/{source.get('guid')}.txt"]
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
        text = raw.decode("utf-8")
        for sel in source.iter(f"{P}PlainTextSelection"):
            coding = sel.find(f"{P}Coding")
            got.append(
                (
                    source.get("name"),
                    text[int(sel.get("startPosition")) : int(sel.get("endPosition"))],
                    users[coding.get("creatingUser")],
                    codes[coding.find(f"{P}CodeRef").get("targetGUID")],
                )
            )
    ana = segments.at["fg1:2", "text"]
    assert got == [  # in the file: by position, then coder
        ("fg1", "The bus fare \U0001f60a", "coder_b", "Too expensive"),
        ("fg1", ana, "coder_a", "Waiting"),
        ("fg1", "bus fare", "coder_a", "Too expensive"),
        ("fg1", "Cost, mostly.", "coder_a", "Too expensive"),
        ("fg2", "I trust Dr Lee.", "coder_a", "Trust in the clinician"),
        ("fg2", "I trust Dr Lee.", "coder_b", "Trust in the clinician"),
        ("fg2", "[inaudible]", "coder_b", "Other"),
    ]


def test_source_layout_cases_variables_and_memos(cli, study, tmp_path):
    out = tmp_path / "s.qdpx"
    _export(cli, study, out)
    root, members = _project(out)
    fg2 = next(s for s in root.iter(f"{P}TextSource") if s.get("name") == "fg2")
    assert members[f"sources/{fg2.get('guid')}.txt"].decode() == (
        "Ana: I trust Dr Lee.\n\nUnknown Speaker: [inaudible]\n"
    )
    variables = {v.get("guid"): v.get("name") for v in root.iter(f"{P}Variable")}
    cases = {
        c.get("name"): {
            variables[v.find(f"{P}VariableRef").get("targetGUID")]: v.find(f"{P}TextValue").text
            for v in c.iter(f"{P}VariableValue")
        }
        for c in root.iter(f"{P}Case")
    }
    assert cases == {"F1": {}, "P1": {"gender": "F", "age_band": "30-39"}, "P2": {"gender": "M"}}
    notes = {n.get("guid"): n for n in root.iter(f"{P}Note")}
    memo_refs = [
        ref.get("targetGUID")
        for sel in root.iter(f"{P}PlainTextSelection")
        for ref in sel.findall(f"{P}NoteRef")
    ]
    assert [notes[g].find(f"{P}PlainTextContent").text for g in memo_refs] == ["the fare itself"]
    data_ref = root.find(f"{P}NoteRef").get("targetGUID")
    data = json.loads(notes[data_ref].find(f"{P}PlainTextContent").text)
    assert data["format"] == "qualcode-refi"
    assert data["coders"]["coder_b"][1] == {"origin": "manual", "seg": "fg1:3", "memo": "unsure"}


def test_unknown_code_is_refused(cli, study, tmp_path):
    study["coder_a"].write_text(
        "segment_id,code_id,coder\nfg1:2,RI1,coder_a\nfg1:3,RI9,coder_a\n", encoding="utf-8"
    )
    result = cli(*export_args(study, tmp_path / "x.qdpx"))
    assert result.exit_code == 1
    assert f"error: {study['coder_a']}:3: code 'RI9' is not in the codebook" in result.stderr
    assert not (tmp_path / "x.qdpx").exists()


def test_unknown_segment_is_refused(cli, study, tmp_path):
    study["coder_a"].write_text("segment_id,code_id,coder\nfg9:1,RI1,coder_a\n", encoding="utf-8")
    result = cli(*export_args(study, tmp_path / "x.qdpx"))
    assert result.exit_code == 1
    assert "2: segment 'fg9:1' is not in the segments file" in result.stderr


@pytest.mark.parametrize(
    ("span", "message"),
    [
        ("3,", "start_char and end_char must both be given or both be empty"),
        ("5,99", "span 5..99 does not fit in segment 'fg1:3' (13 characters; end is exclusive)"),
        ("4,4", "span 4..4 does not fit"),
    ],
)
def test_bad_span_is_refused(cli, study, tmp_path, span, message):
    study["coder_a"].write_text(
        f"segment_id,code_id,coder,start_char,end_char\nfg1:3,RI1,coder_a,{span}\n",
        encoding="utf-8",
    )
    result = cli(*export_args(study, tmp_path / "x.qdpx"))
    assert result.exit_code == 1
    assert message in result.stderr


def test_empty_coder_is_refused(cli, study, tmp_path):
    # (A coder column left empty throughout is the file name: test_codings_tolerance.py.)
    study["coder_a"].write_text(
        "segment_id,code_id,coder\nfg1:3,RI2,coder_a\nfg1:3,RI1,\n", encoding="utf-8"
    )
    result = cli(*export_args(study, tmp_path / "x.qdpx"))
    assert result.exit_code == 1
    assert "3: coder is empty" in result.stderr


def test_conflicting_roster_values_warn(cli, study, tmp_path):
    study["roster"].write_text(
        "transcript_id,speaker,participant_id,role,gender\n"
        "fg1,Ana,P1,participant,F\nfg2,Ana,P1,participant,Female\n",
        encoding="utf-8",
    )
    result = cli(*export_args(study, tmp_path / "x.qdpx"))
    assert result.exit_code == 0
    assert "participant P1 has different 'gender' values in the roster" in result.stderr


def test_codings_frames_round_through_read(study):
    # The fixture itself is a valid study (guards the other tests).
    assert len(read_codings(study["coder_b"])) == 4
    assert len(load_codebook(study["codebook"]).codes()) == 4
