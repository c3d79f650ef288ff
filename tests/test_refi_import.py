"""REFI-QDA import: samples from other programs, turn mapping, tolerance, and refusal of unsafe files."""

from __future__ import annotations

import shutil
import zipfile

import pytest
from refi_helpers import DATA, make_zip, project_xml

from qualcode.errors import InputFormatError
from qualcode.interop.refi_common import ZipLimits, read_zip_members
from qualcode.interop.refi_import import read_qdc, read_qdpx
from qualcode.io import read_codings, read_segments

G = "0000000{}-0000-4000-8000-000000000000".format


def _rows(frame):
    return [tuple(r) for r in frame.itertuples(index=False)]


# --- samples from other programs -----------------------------------------------------------------
def test_atlasti_blank_project_imports(cli, tmp_path):
    result = cli("import", "qdpx", DATA / "atlasti-23-blank-project.qdpx", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert "the project has no codes: no codebook written" in result.stdout
    assert len(read_segments(tmp_path / "o" / "segments.csv")) == 0
    assert not (tmp_path / "o" / "codebook.yaml").exists()


def test_atlasti_nested_codes_import(cli, tmp_path):
    result = cli("import", "qdpx", DATA / "atlasti-23-target-project.qdpx", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "o" / "codebook.yaml").read_text(encoding="utf-8")
    from qualcode.codebook import codebook_tree, load_codebook

    tree = codebook_tree(load_codebook(tmp_path / "o" / "codebook.yaml"))
    assert tree["title"] == "target-atlas-project"
    assert [(t["id"], t["label"]) for t in tree["themes"]] == [("T1", "Commits")]
    # "Commits" is codable (ATLAS.ti codes are), so it stays a code beside its two sub-codes
    assert [c["label"] for c in tree["themes"][0]["repeating_ideas"]] == [
        "Commits",
        "2022-05-10T02:05:59Z 19e4dce",
        "2022-02-11T10:39:25Z cdbfd92",
    ]
    assert text.startswith("# Codebook imported by qualcode from atlasti-23-target-project.qdpx")


def test_atlasti9_prerelease_namespace_warns(cli, tmp_path):
    result = cli("import", "qdc", DATA / "atlasti-9-portableqda.qdc", "-o", tmp_path / "o")
    assert result.exit_code == 0
    assert "urn:QDA-XML:codebook:0:4 (a pre-release of REFI-QDA" in result.stderr
    assert "4 codes in 2 themes from ATLAS.ti Win 9.0.19" in result.stdout
    assert "not carried over (2):\n  - set 'codeGroup1::codeGroup1.2' (2 member(s))" in (
        result.stdout
    )
    data, _ = read_qdc(DATA / "atlasti-9-portableqda.qdc")
    assert data["themes"][0]["repeating_ideas"] == [
        {"id": "RI1", "label": "code1"},
        {"id": "RI2", "label": "code1.1"},
    ]
    assert data["codes"] == [{"id": "K1", "label": "code2"}]


def test_taguette_empty_sets_tolerated(cli, tmp_path):
    result = cli("import", "qdc", DATA / "taguette-1.5.2-export.qdc", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    data, _ = read_qdc(DATA / "taguette-1.5.2-export.qdc")
    assert [c["label"] for c in data["codes"]] == [
        "barriers",
        "barriers.cost",
        "barriers.transport",
        "trust in clinician",
        "café talk – émotions",
    ]


def test_handmade_codebook_braced_guid_and_mixed_depth():
    data, summary = read_qdc(DATA / "qualcode-mini.qdc")
    assert summary.warnings == [
        "code 'RI: Cost stops me going' has sub-codes and is codable; it groups them, and a "
        "repeating idea of the same name holds its own codings",
        "not carried over: set 'Repeating ideas (coder A)' (2 member(s)): qualcode has no sets",
    ]
    construct = data["constructs"][0]
    assert (construct["label"], construct["color"]) == ("Theme: Access to care", "#3366CC")
    assert [t["label"] for t in construct["themes"]] == [
        "RI: Cost stops me going",
        "Other codes in Theme: Access to care",
    ]
    assert [i["label"] for i in construct["themes"][0]["repeating_ideas"]] == [
        "RI: Cost stops me going",
        "co-pay amount",
    ]
    assert construct["themes"][1]["repeating_ideas"][0]["label"] == "RI: Café-style drop-in 😊"
    assert data["codes"] == [{"id": "K1", "label": "Trust"}]


def test_handmade_project_two_coders_with_spans(cli, tmp_path):
    result = cli("import", "qdpx", DATA / "qualcode-mini.qdpx", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert "2 selection(s) do not match one whole turn" in result.stdout
    segs = read_segments(tmp_path / "o" / "segments.csv")
    assert [(r.segment_id, r.speaker, r.role, r.text) for r in segs.itertuples()] == [
        ("Focus_group_1:1", "P1", "participant", "I love the café 😊 near the clinic."),
        ("Focus_group_1:2", "P2", "participant", "The co-pay is too high, so I skip visits."),
        ("Focus_group_1:3", "P3", "participant", "Same here – cost stops me going."),
    ]
    a = _without_provenance(read_codings(tmp_path / "o" / "codings" / "Coder A.csv"))
    b = _without_provenance(read_codings(tmp_path / "o" / "codings" / "Coder B.csv"))
    assert _rows(a) == [
        ("Focus_group_1:1", "", "Coder A", "import", "", "", ""),
        ("Focus_group_1:2", "RI1", "Coder A", "import", "", "", ""),
        ("Focus_group_1:3", "RI1", "Coder A", "import", "", "12", "31"),
    ]
    assert _rows(b) == [
        ("Focus_group_1:1", "RI2", "Coder B", "import", "", "11", "17"),
        ("Focus_group_1:2", "RI1", "Coder B", "import", "", "", ""),
        ("Focus_group_1:3", "", "Coder B", "import", "", "", ""),
    ]
    assert segs.text[0][11:17] == "café 😊" and segs.text[2][12:31] == "cost stops me going"


# --- another program's layouts ----------------------------------------------------------------
CODES = (
    f'<CodeBook><Codes><Code guid="{G(1)}" name="Cost" isCodable="true"/>'
    f'<Code guid="{G(2)}" name="Trust" isCodable="true"/></Codes></CodeBook>'
)


def _selection(guid, start, end, code, user=None):
    u = f' creatingUser="{user}"' if user else ""
    return (
        f'<PlainTextSelection guid="{guid}" startPosition="{start}" endPosition="{end}">'
        f'<Coding guid="{guid[:-1]}f"{u}><CodeRef targetGUID="{code}"/></Coding>'
        "</PlainTextSelection>"
    )


def _without_provenance(codings):
    """The coding columns of the contract; text_hash and codebook are pinned by test_text_hashes."""
    assert (codings["text_hash"] != "").all()  # an import records the text each coding was made on
    return codings.drop(columns=["text_hash", "codebook"])


def _project(tmp_path, text, selections, *, folder="sources", ns=None, users=True):
    users_xml = f'<Users><User guid="{G(9)}" name="Ann"/></Users>' if users else ""
    source = (
        f'<Sources><TextSource guid="{{{G(5).upper()}}}" name="Interview 1.txt" '
        f'plainTextPath="internal://{G(5)}.txt">{selections}</TextSource></Sources>'
    )
    xml = project_xml(users_xml + CODES + source, *([ns] if ns is not None else []))
    return make_zip(tmp_path / "p.qdpx", {"project.qde": xml, f"{folder}/{G(5)}.txt": text})


def test_selection_across_turns_maps_to_each_with_exact_offsets(tmp_path):
    text = "Ann: I cannot pay.\nIt is a lot.\n\nBob: Same for me, honestly.\n"
    s, e = text.index("a lot"), text.index("Same for me") + len("Same for me")
    whole = (text.index("Same"), text.index("honestly.") + len("honestly."))
    sels = _selection(G(6), s, e, G(1), G(9)) + _selection(G(7), *whole, G(2), G(9))
    result = read_qdpx(_project(tmp_path, text, sels, folder="Sources"))
    assert _rows(result.segments[["segment_id", "speaker", "text", "line"]]) == [
        ("Interview_1:1", "Ann", "I cannot pay.\nIt is a lot.", 1),
        ("Interview_1:2", "Bob", "Same for me, honestly.", 4),
    ]
    ann = result.segments.text[0]
    assert _rows(result.codings["Ann"]) == [
        ("Interview_1:1", "K1", "Ann", "import", "", 20, 26),
        ("Interview_1:2", "K1", "Ann", "import", "", 0, 11),
        ("Interview_1:2", "K2", "Ann", "import", "", "", ""),
    ]
    assert ann[20:26] == "a lot."
    s_ = result.summary
    assert (s_.selections, s_.exact, s_.within_turn, s_.spanning, s_.unmapped) == (2, 1, 0, 1, 0)


def test_text_without_speaker_labels_is_split_into_paragraphs(cli, tmp_path):
    text = "We went to the clinic.\nIt was closed.\n\nThe next day it was open.\n"
    _project(tmp_path, text, _selection(G(6), 0, 5, G(1)), users=False)
    result = cli("import", "qdpx", tmp_path / "p.qdpx", "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert "no speaker labels in: Interview_1" in result.stdout
    assert "1 coding(s) name no user; they were given to coder 'unknown-user'" in result.stderr
    segs = read_segments(tmp_path / "o" / "segments.csv")
    assert _rows(segs[["speaker", "role", "text"]]) == [
        ("Unknown Speaker", "unknown", "We went to the clinic.\nIt was closed."),
        ("Unknown Speaker", "unknown", "The next day it was open."),
    ]
    codings = _without_provenance(read_codings(tmp_path / "o" / "codings" / "unknown-user.csv"))
    assert _rows(codings)[0] == ("Interview_1:1", "K1", "unknown-user", "import", "", "0", "5")


def test_project_without_namespace_warns(tmp_path):
    path = _project(tmp_path, "Ann: Hello there.\n", "", ns="")
    result = read_qdpx(path)
    assert result.summary.warnings == [
        "the project has no XML namespace (expected urn:QDA-XML:project:1.0); reading it anyway"
    ]
    assert result.summary.turns == 1


def test_source_outside_the_zip_is_left_out(tmp_path):
    xml = project_xml(
        f'<Sources><TextSource guid="{G(5)}" name="x" plainTextPath="relative:///etc/passwd"/>'
        "</Sources>"
    )
    result = read_qdpx(make_zip(tmp_path / "p.qdpx", {"project.qde": xml}))
    assert result.summary.sources == 0
    assert "points outside the project" in result.summary.warnings[0]


def test_coded_parent_code_gets_its_own_idea_and_deep_trees_fold(tmp_path):
    codes = (
        f'<CodeBook><Codes><Code guid="{G(1)}" name="A" isCodable="true">'
        f'<Code guid="{G(2)}" name="B" isCodable="true"><Code guid="{G(3)}" name="C" '
        f'isCodable="true"><Code guid="{G(4)}" name="D" isCodable="true"/></Code></Code>'
        "</Code></Codes></CodeBook>"
    )
    sel = _selection(G(6), 5, 9, G(2), G(9))
    xml = project_xml(
        f'<Users><User guid="{G(9)}" name="Ann"/></Users>{codes}<Sources><TextSource '
        f'guid="{G(5)}" name="s"><PlainTextContent>Ann: Yes.</PlainTextContent>{sel}'
        "</TextSource></Sources>"
    )
    result = read_qdpx(make_zip(tmp_path / "p.qdpx", {"project.qde": xml}))
    construct = result.codebook["constructs"][0]
    theme = construct["themes"][0]
    assert (construct["label"], theme["label"]) == ("A", "B")
    assert [i["label"] for i in theme["repeating_ideas"]] == ["B", "C", "D"]
    assert _rows(result.codings["Ann"]) == [
        ("s:1", theme["repeating_ideas"][0]["id"], "Ann", "import", "", "", "")
    ]
    warnings = " ".join(result.summary.warnings)
    assert "'B' has sub-codes and was also applied directly" in warnings
    assert "deeper than 3 levels: 1 code(s) were folded" in warnings


def test_edited_description_is_read_from_the_edited_text(cli, tmp_path):
    from refi_helpers import write_study

    study = write_study(tmp_path / "s")
    cli("export", "qdc", study["codebook"], "-o", tmp_path / "c.qdc")
    raw = (tmp_path / "c.qdc").read_text(encoding="utf-8")
    (tmp_path / "c.qdc").write_text(raw.replace("Costs stop visits.", "Money stops visits.", 1))
    data, summary = read_qdc(tmp_path / "c.qdc")
    idea = data["constructs"][0]["themes"][0]["repeating_ideas"][0]
    assert (idea["id"], idea["definition"], idea["keywords"]) == (
        "RI1",
        "Money stops visits.",
        ["fare", "cost"],
    )
    assert idea["include"] == "Fares, co-pays.\nAlso fees."
    assert "1 code description(s) were edited outside qualcode" in summary.warnings[0]


# --- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "sources/../../evil.txt"])
def test_path_traversal_is_refused(cli, tmp_path, name):
    path = make_zip(tmp_path / "bad.qdpx", {"project.qde": project_xml(""), name: "x"})
    result = cli("import", "qdpx", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert f"unsafe path in the zip: {name!r}" in result.stderr
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "o").exists()


def test_symlink_member_is_refused(tmp_path):
    path = tmp_path / "link.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", project_xml(""))
        info = zipfile.ZipInfo("sources/link.txt")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InputFormatError, match="symbolic link"):
        read_qdpx(path)


def test_zip_bomb_is_refused_without_extracting(cli, tmp_path):
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("project.qde", project_xml(""))
        zf.writestr("sources/big.txt", b"\0" * (40 * 1024 * 1024))
    assert path.stat().st_size < 200_000
    result = cli("import", "qdpx", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "looks like a zip bomb; refusing it" in result.stderr


def test_total_size_and_member_limits(tmp_path):
    path = make_zip(tmp_path / "p.qdpx", {"project.qde": project_xml(""), "a.txt": "x" * 5000})
    with pytest.raises(InputFormatError, match="would unpack to 0 MB"):
        read_zip_members(path, ZipLimits(max_total_bytes=4000))
    with pytest.raises(InputFormatError, match="the zip has 2 members \\(limit 1\\)"):
        read_zip_members(path, ZipLimits(max_members=1))


XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;" origin="x"/>'
)


def test_xxe_project_is_refused(cli, tmp_path):
    path = make_zip(tmp_path / "xxe.qdpx", {"project.qde": XXE})
    result = cli("import", "qdpx", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "refusing XML with a DTD or entity declarations" in result.stderr
    assert "hint: REFI-QDA files never need a <!DOCTYPE>" in result.stderr
    assert "root:" not in result.stdout + result.stderr


def test_xxe_codebook_is_refused(cli, tmp_path):
    path = tmp_path / "xxe.qdc"
    path.write_text(XXE.replace("Project", "CodeBook"), encoding="utf-8")
    result = cli("import", "qdc", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "refusing XML with a DTD or entity declarations" in result.stderr


def test_plain_zip_is_refused(cli, tmp_path):
    path = make_zip(tmp_path / "notes.qdpx", {"notes.txt": "hello"})
    result = cli("import", "qdpx", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "not a REFI-QDA project: the zip has no .qde file" in result.stderr
    assert "hint: a REFI-QDA project (.qdpx) is a zip" in result.stderr


def test_not_a_zip_is_refused(cli, tmp_path):
    path = tmp_path / "x.qdpx"
    path.write_text("hello", encoding="utf-8")
    result = cli("import", "qdpx", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "not a REFI-QDA project: the file is not a zip archive" in result.stderr


def test_qde_with_another_root_is_refused(tmp_path):
    path = make_zip(tmp_path / "x.qdpx", {"project.qde": "<Other/>"})
    with pytest.raises(InputFormatError, match="root element of project.qde is <Other>"):
        read_qdpx(path)


def test_random_xml_is_refused_as_codebook(cli, tmp_path):
    path = tmp_path / "x.qdc"
    path.write_text("<html><body>hi</body></html>", encoding="utf-8")
    result = cli("import", "qdc", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert (
        "not a REFI-QDA codebook: the root element is <html>, expected <CodeBook>" in result.stderr
    )


def test_project_xml_given_as_codebook_gets_a_hint(cli, tmp_path):
    path = tmp_path / "x.qdc"
    path.write_text(project_xml(""), encoding="utf-8")
    result = cli("import", "qdc", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert (
        "hint: this is a project file; import the .qdpx with 'qualcode import qdpx'"
        in result.stderr
    )


def test_qdpx_given_as_codebook_is_refused(cli, tmp_path):
    shutil.copy(DATA / "qualcode-mini.qdpx", tmp_path / "x.qdc")
    result = cli("import", "qdc", tmp_path / "x.qdc", "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "this is a zip archive, not a codebook XML file" in result.stderr


def test_malformed_xml_is_refused(cli, tmp_path):
    path = tmp_path / "x.qdc"
    path.write_text("<CodeBook><Codes>", encoding="utf-8")
    result = cli("import", "qdc", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "not well-formed XML" in result.stderr


def test_codebook_without_codes_is_refused(cli, tmp_path):
    path = tmp_path / "x.qdc"
    path.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>')
    result = cli("import", "qdc", path, "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "the codebook has no codes" in result.stderr


def test_corrupt_member_is_refused(tmp_path):
    path = make_zip(tmp_path / "c.qdpx", {"project.qde": project_xml("") + " " * 4000})
    raw = bytearray(path.read_bytes())
    at = raw.index(b"project.qde") + len("project.qde") + 10  # inside the compressed data
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(InputFormatError, match="cannot read zip member 'project.qde'"):
        read_zip_members(path)


@pytest.mark.parametrize("command", ["qdpx", "qdc"])
def test_missing_file_and_folder(cli, tmp_path, command):
    result = cli("import", command, tmp_path / "nope", "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'nope'}: file not found" in result.stderr
    with pytest.raises(InputFormatError, match=f"expected a .{command} file, got a folder"):
        (read_qdpx if command == "qdpx" else read_qdc)(tmp_path)


def test_a_source_with_nul_bytes_is_left_out_with_a_warning(tmp_path):
    # Found by the fuzz suite: the NUL reached segments.csv, which every later command then refused.
    result = read_qdpx(_project(tmp_path, "Ann: I cannot\x00 pay.\nBob: Same.\n", ""))
    assert result.segments.empty
    assert any(
        "'Interview 1.txt' holds NUL bytes, so it is not plain text; left out" in warning
        for warning in result.summary.warnings
    )
