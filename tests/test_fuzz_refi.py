"""Property-based fuzzing of REFI-QDA import (issue 15): generated and mutated `.qdc` and `.qdpx`
files either import into a study that qualcode's own readers accept, or fail with a QualcodeError
(one clear message). Nothing else: no other exception, no file outside the output folder.

The example budget is small here; `python bench/fuzz.py --only refi --examples 2000` runs the same
properties with a long one (through QUALCODE_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from refi_helpers import DATA

from qualcode.errors import QualcodeError

EXAMPLES = int(os.environ.get("QUALCODE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
NS_P = "urn:QDA-XML:project:1.0"
NS_C = "urn:QDA-XML:codebook:1.0"

# Text that has broken importers: formula starts, separators, control characters, non-BMP,
# XML-special characters (escaped by the generator), right-to-left, very long words.
NASTY = st.sampled_from(
    ["=HYPERLINK(1)", "+cmd", "-1", "@SUM", "a,b", "x\ny", "tab\there", "😊", "李", "<&>", '"', "'",
     "\u202e", "", " ", "Ramon's iPhone", "Vega, Marisol", "P1", "Facilitator", "#1 reason"]
)  # fmt: skip
TEXT = st.one_of(NASTY, st.text(max_size=30))


def _xml_text(value: str) -> str:
    """Escape for XML and drop characters XML 1.0 cannot hold (a real exporter would too)."""
    value = "".join(
        ch for ch in value if ch in "\t\n\r" or (ord(ch) >= 32 and not 0xD800 <= ord(ch) <= 0xDFFF)
    )
    value = value.replace("\ufffe", "").replace("\uffff", "")
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _guid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:012x}"


@st.composite
def code_trees(draw, depth: int = 0, counter=None) -> str:
    """`<Code>` elements: random names, codability, colours, descriptions (some with a qualcode
    metadata line carrying a random id), up to 5 levels deep."""
    counter = counter if counter is not None else [0]
    out = []
    for _ in range(draw(st.integers(0, 3 if depth < 4 else 0))):
        counter[0] += 1
        guid = _guid(counter[0]) if draw(st.booleans()) or counter[0] > 1 else "not-a-guid"
        attrs = f'guid="{guid}" name="{_xml_text(draw(TEXT))}"'
        attrs += f' isCodable="{draw(st.sampled_from(["true", "false", "TRUE", "1", "maybe"]))}"'
        if draw(st.booleans()):
            attrs += f' color="{draw(st.sampled_from(["#A1B2C3", "#abc", "red", "#12345", ""]))}"'
        body = ""
        if draw(st.booleans()):
            meta = {"id": draw(TEXT), "level": draw(st.sampled_from(["theme", "code", "x", 3]))}
            if draw(st.booleans()):
                meta["keywords"] = draw(st.lists(TEXT, max_size=3))
            line = "[qualcode] " + json.dumps(meta) if draw(st.booleans()) else draw(TEXT)
            body += f"<Description>{_xml_text(draw(TEXT) + chr(10) + line)}</Description>"
        body += draw(code_trees(depth + 1, counter))
        out.append(f"<Code {attrs}>{body}</Code>")
    return "".join(out)


@st.composite
def codebooks(draw) -> str:
    sets = ""
    if draw(st.booleans()):
        sets = f'<Sets><Set guid="{_guid(999)}" name="{_xml_text(draw(TEXT))}"/></Sets>'
    ns = draw(st.sampled_from([NS_C, "urn:QDA-XML:codebook:0:4", ""]))
    xmlns = f' xmlns="{ns}"' if ns else ""
    return f'<CodeBook{xmlns} origin="fuzz"><Codes>{draw(code_trees())}</Codes>{sets}</CodeBook>'


def _check_codebook_data(data: dict | None, out: Path) -> None:
    """An imported codebook is written as YAML that qualcode's own loader accepts."""
    from qualcode.codebook import load_codebook
    from qualcode.interop.refi_import import codebook_yaml

    if data is None:
        return
    path = out / "codebook.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(codebook_yaml(data, "fuzz.qdc"), encoding="utf-8")
    codebook = load_codebook(path)
    assert codebook.codes(), "an imported codebook has codes"


@FUZZ
@given(xml=codebooks())
def test_generated_codebooks_import_or_fail_cleanly(tmp_path_factory, xml):
    from qualcode.interop.refi_import import read_qdc

    out = tmp_path_factory.mktemp("qdc")
    path = out / "fuzz.qdc"
    path.write_text(xml, encoding="utf-8")
    try:
        data, _ = read_qdc(path)
    except QualcodeError:
        return
    _check_codebook_data(data, out)


@st.composite
def projects(draw) -> dict[str, bytes]:
    """A project: users, codes, 1-2 text sources (labelled or not) with selections at random
    positions (some outside the text or reversed), cases with variables and references, notes,
    sets; as zip members."""
    users = [(_guid(100 + i), draw(TEXT)) for i in range(draw(st.integers(0, 2)))]
    codes = draw(code_trees())
    code_guids = [_guid(i) for i in range(1, 12)]
    members: dict[str, bytes] = {}
    sources = []
    selection_guids = []
    for s in range(draw(st.integers(0, 2))):
        lines = []
        for _ in range(draw(st.integers(0, 6))):
            label = draw(st.one_of(st.just(""), NASTY, st.sampled_from(["Ana", "Ben", "[Zoë]"])))
            words = draw(TEXT)
            lines.append(f"{label}: {words}" if label else words)
            if draw(st.booleans()):
                lines.append("")
        text = "\n".join(lines)
        guid = _guid(200 + s)
        sels = []
        for k in range(draw(st.integers(0, 4))):
            start = draw(st.integers(-2, len(text) + 2))
            end = draw(st.integers(-2, len(text) + 3))
            sel_guid = _guid(300 + 10 * s + k)
            selection_guids.append(sel_guid)
            user = f' creatingUser="{users[0][0]}"' if users and draw(st.booleans()) else ""
            memo = (
                f"<Description>{_xml_text(draw(TEXT))}</Description>" if draw(st.booleans()) else ""
            )
            coding = (
                f'<Coding guid="{_guid(400 + 10 * s + k)}"{user}>'
                f'<CodeRef targetGUID="{draw(st.sampled_from(code_guids))}"/></Coding>'
            )
            sels.append(
                f'<PlainTextSelection guid="{sel_guid}" startPosition="{start}" '
                f'endPosition="{end}"{user}>{memo}{coding}</PlainTextSelection>'
            )
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1"]))
        inline = draw(st.booleans())
        if inline:
            body = f"<PlainTextContent>{_xml_text(text)}</PlainTextContent>"
            path_attr = ""
        else:
            folder = draw(st.sampled_from(["sources", "Sources"]))
            members[f"{folder}/{guid}.txt"] = text.encode(encoding, errors="replace")
            path_attr = f' plainTextPath="internal://{guid}.txt"'
        sources.append(
            f'<TextSource guid="{guid}" name="{_xml_text(draw(TEXT))}"{path_attr}>'
            f"{body if inline else ''}{''.join(sels)}</TextSource>"
        )
    variables = ""
    cases = ""
    if draw(st.booleans()):
        variables = (
            f'<Variables><Variable guid="{_guid(500)}" name="{_xml_text(draw(TEXT)) or "v"}" '
            'typeOfVariable="Text"/></Variables>'
        )
        parts = []
        for c in range(draw(st.integers(1, 3))):
            name = f' name="{_xml_text(draw(TEXT))}"' if draw(st.booleans()) else ""
            refs = ""
            if selection_guids and draw(st.booleans()):
                refs += f'<SelectionRef targetGUID="{draw(st.sampled_from(selection_guids))}"/>'
            if sources and draw(st.booleans()):
                refs += f'<SourceRef targetGUID="{_guid(200)}"/>'
            value = (
                f'<VariableValue><VariableRef targetGUID="{_guid(500)}"/>'
                f"<TextValue>{_xml_text(draw(TEXT))}</TextValue></VariableValue>"
            )
            description = ""
            if draw(st.booleans()):
                description = (
                    f"<Description>speaker label(s): {_xml_text(draw(TEXT))}</Description>"
                )
            parts.append(f'<Case guid="{_guid(600 + c)}"{name}>{description}{value}{refs}</Case>')
        cases = f"<Cases>{''.join(parts)}</Cases>"
    notes = ""
    if draw(st.booleans()):
        notes = (
            f'<Notes><Note guid="{_guid(700)}" name="{_xml_text(draw(TEXT))}">'
            f"<PlainTextContent>{_xml_text(draw(TEXT))}</PlainTextContent></Note></Notes>"
        )
    sets = f'<Sets><Set guid="{_guid(800)}" name="s"/></Sets>' if draw(st.booleans()) else ""
    user_xml = "".join(f'<User guid="{g}" name="{_xml_text(n)}"/>' for g, n in users)
    qde = (
        f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS_P}" name="fuzz" origin="fuzz">'
        + (f"<Users>{user_xml}</Users>" if users else "")
        + f"<CodeBook><Codes>{codes}</Codes></CodeBook>{variables}{cases}"
        + (f"<Sources>{''.join(sources)}</Sources>" if sources else "")
        + f"{notes}{sets}</Project>"
    )
    members["project.qde"] = qde.encode("utf-8")
    return members


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _import_and_check(data: bytes, root: Path) -> None:
    """Import `data` as a .qdpx into root/out: a QualcodeError, or a study qualcode reads back
    whose codings all point at real segments and spans inside them; nothing outside root/out."""
    from qualcode.interop.refi_import import import_qdpx
    from qualcode.io import read_codings, read_segments
    from qualcode.roster import read_roster

    qdpx = root / "fuzz.qdpx"
    qdpx.write_bytes(data)
    out = root / "out"
    before = {p for p in root.rglob("*")}
    try:
        result, files = import_qdpx(qdpx, out)
    except QualcodeError:
        assert {p for p in root.rglob("*")} - before <= {out, *out.rglob("*")}
        return
    assert all(Path(f).resolve().is_relative_to(out.resolve()) for f in files)
    segments = read_segments(out / "segments.csv")
    texts = dict(zip(segments["segment_id"], segments["text"], strict=True))
    for path in (out / "codings").glob("*.csv") if (out / "codings").exists() else []:
        codings = read_codings(path)
        for row in codings.itertuples(index=False):
            assert row.segment_id in texts
            if row.start_char != "":
                assert 0 <= int(row.start_char) < int(row.end_char) <= len(texts[row.segment_id])
    if (out / "roster.csv").exists():
        read_roster(out / "roster.csv")
    if (out / "codebook.yaml").exists():
        from qualcode.codebook import load_codebook

        load_codebook(out / "codebook.yaml")


# Found by this test: a source text with a lone CR was written to segments.csv unquoted, and the
# row came back split ("turn must be a whole number, got ''"); tests/test_csv_carriage_return.py.
CR_SOURCE = _guid(200)
CR_PROJECT = {
    f"sources/{CR_SOURCE}.txt": b"0\r0",
    "project.qde": (
        f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="{NS_P}" name="fuzz" origin="fuzz">'
        f'<CodeBook><Codes></Codes></CodeBook><Sources><TextSource guid="{CR_SOURCE}" name="0" '
        f'plainTextPath="internal://{CR_SOURCE}.txt"></TextSource></Sources></Project>'
    ).encode(),
}


@FUZZ
@given(members=projects())
@example(members=CR_PROJECT)
def test_generated_projects_import_or_fail_cleanly(tmp_path_factory, members):
    _import_and_check(_zip(members), tmp_path_factory.mktemp("qdpx"))


SAMPLES = [
    DATA / "qualcode-mini.qdpx",
    DATA / "atlasti-23-target-project.qdpx",
    DATA / "atlasti-23-blank-project.qdpx",
]


@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=6),
)
def test_mutated_project_xml_imports_or_fails_cleanly(tmp_path_factory, sample, flips):
    with zipfile.ZipFile(sample) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    qde = bytearray(members["project.qde"])
    for where, value in flips:
        qde[int(where * len(qde))] = value
    members["project.qde"] = bytes(qde)
    _import_and_check(_zip(members), tmp_path_factory.mktemp("mut"))


@FUZZ
@given(
    sample=st.sampled_from(SAMPLES),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=4),
)
def test_damaged_zip_bytes_fail_cleanly(tmp_path_factory, sample, cut, flips):
    data = bytearray(sample.read_bytes())
    for where, value in flips:
        data[int(where * len(data))] = value
    data = bytes(data[: max(1, int(cut * len(data)))]) if cut < 1 else bytes(data)
    _import_and_check(data, tmp_path_factory.mktemp("zip"))


@pytest.mark.parametrize("name", ["qualcode-mini.qdc", "taguette-1.5.2-export.qdc"])
@FUZZ
@given(
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=6)
)
def test_mutated_codebook_bytes_fail_cleanly(tmp_path_factory, name, flips):
    from qualcode.interop.refi_import import read_qdc

    data = bytearray((DATA / name).read_bytes())
    for where, value in flips:
        data[int(where * len(data))] = value
    out = tmp_path_factory.mktemp("qdcmut")
    path = out / "m.qdc"
    path.write_bytes(bytes(data))
    try:
        result, _ = read_qdc(path)
    except QualcodeError:
        return
    _check_codebook_data(result, out)


# --- what the fuzzing found, pinned ---------------------------------------------------------------
def test_unusable_fields_in_a_qualcode_description_are_left_out(cli, tmp_path):
    meta = {"id": " ", "level": "code", "keywords": ["", "fare"], "patterns": ["(", "co-?pay"]}
    meta2 = {"id": "K9", "level": "code", "examples": [3, "ok"], "definition": {"x": 1}}
    qdc = tmp_path / "f.qdc"
    qdc.write_text(
        f'<CodeBook xmlns="{NS_C}" origin="t"><Codes>'
        f'<Code guid="{_guid(1)}" name="A" isCodable="true"><Description>'
        f"{_xml_text('[qualcode] ' + json.dumps(meta))}</Description></Code>"
        f'<Code guid="{_guid(2)}" name="B" isCodable="true"><Description>'
        f"{_xml_text('[qualcode] ' + json.dumps(meta2))}</Description></Code>"
        "</Codes></CodeBook>",
        encoding="utf-8",
    )
    result = cli("import", "qdc", qdc, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    check = cli("codebook", "check", tmp_path / "o" / "codebook.yaml")
    assert check.exit_code == 0, check.stdout + check.stderr
    from qualcode.codebook import load_codebook

    codes = load_codebook(tmp_path / "o" / "codebook.yaml").codes()
    assert [(c.id, c.keywords, c.patterns, c.examples) for c in codes] == [
        ("K1", ("fare",), ("co-?pay",), ()),
        ("K9", (), (), ()),  # the readable part (empty) wins over the edited line
    ]


def test_a_damaged_data_note_is_ignored_with_a_warning(cli, tmp_path):
    from refi_helpers import export_args, write_study

    study = write_study(tmp_path / "study")
    out = tmp_path / "s.qdpx"
    assert cli(*export_args(study, out)).exit_code == 0
    with zipfile.ZipFile(out) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    qde = members["project.qde"].decode("utf-8")
    members["project.qde"] = qde.replace('"segment_columns":[', '"segment_columns":[7,').encode()
    damaged = tmp_path / "d.qdpx"
    damaged.write_bytes(_zip(members))
    result = cli("import", "qdpx", damaged, "-o", tmp_path / "back")
    assert result.exit_code == 0, result.stderr
    assert "the qualcode data note is damaged or was edited" in result.stderr
    assert "qualcode layout" not in result.stdout
