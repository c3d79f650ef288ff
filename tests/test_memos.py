"""Issue 16.7: analytic memos as records in memos/ (Markdown + a YAML header), written with `memo
add`, listed with `memo list`, shown per theme in `report hierarchy` / `report all`, and exported to
REFI-QDA as Notes linked from their codes. Driven through the real CLI on the mixed-source example."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from qualcode.io import atomic_create_text
from qualcode.memos import load_memos

MIXED = Path(__file__).parent / "data" / "mixed_sources"
NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture
def study(tmp_path: Path, cli) -> Path:
    d = tmp_path / "study"
    shutil.copytree(MIXED, d)
    for args in (
        ("ingest", d / "transcripts", "--sources", d / "sources.csv", "--roster", d / "roster.csv"),
    ):
        result = cli(*args, "-o", d / "segments.csv")
        assert result.exit_code == 0, result.stderr
    return d


def add(cli, d: Path, *args, input=None):
    return cli(
        "memo", "add", "--memos", d / "memos", "--codebook", d / "codebook.yaml", *args, input=input
    )


def write(d: Path, name: str, text: str) -> Path:
    (d / "memos").mkdir(exist_ok=True)
    path = d / "memos" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_memo_add_writes_a_header_and_the_text(cli, study):
    result = add(
        cli, study, "--about", "theme:T2", "--author", "Ana", "--title", "Flex and its limits",
        "--date", "2026-11-03", "--text", "Sites bend the schedule,\nnot the sessions.",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    path = study / "memos" / "2026-11-03-theme-T2-flex-and-its-limits.md"
    assert result.stderr.strip() == f"wrote {path}"
    assert path.read_text(encoding="utf-8") == (
        "---\nabout: theme:T2\nauthor: Ana\ndate: '2026-11-03'\ntitle: Flex and its limits\n---\n"
        "Sites bend the schedule,\nnot the sessions.\n"
    )
    (memo,) = load_memos(study / "memos")
    assert (memo.kind, memo.target, memo.author, memo.date, memo.title) == (
        "theme", "T2", "Ana", "2026-11-03", "Flex and its limits",
    )  # fmt: skip
    assert memo.text == "Sites bend the schedule,\nnot the sessions."


def test_memo_add_reads_stdin_and_never_overwrites(cli, study):
    for _ in range(2):
        result = add(
            cli, study, "--about", "study", "--author", "Ben", "--date", "2026-11-04",
            input="Two organisations, one program.\n",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in (study / "memos").iterdir())
    assert names == ["2026-11-04-study-ben-2.md", "2026-11-04-study-ben.md"]
    assert all(m.text == "Two organisations, one program." for m in load_memos(study / "memos"))


def test_atomic_create_refuses_an_existing_file(tmp_path):
    target = tmp_path / "a.md"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        atomic_create_text(target, "theirs")
    assert target.read_text(encoding="utf-8") == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]  # no temp file left behind


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--about", "theme:RI1"), "error: RI1 is a code (repeating idea) in the codebook, not a theme"),
        (("--about", "theme:T9"), "error: theme 'T9' is not in the codebook (codebook.yaml)"),
        (("--about", "T2"), "error: about must be study, construct:ID, theme:ID or code:ID, got 'T2'"),
        (("--about", "study", "--date", "2026-02-30"), "error: date must be an ISO date"),
        (("--about", "study", "--text", "  "), "error: the memo is empty: nothing was written"),
    ],
)  # fmt: skip
def test_memo_add_errors(cli, study, args, message):
    result = add(
        cli, study, "--author", "Ana", *args, *(() if "--text" in args else ("--text", "x"))
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(message), result.stderr
    assert not (study / "memos").exists() or not list((study / "memos").iterdir())


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("about: study\n", 1, "a memo starts with a YAML header between --- lines"),
        ("---\nabout: study\nauthor: A\n", 1, "the YAML header is not closed by a --- line"),
        ("---\nabout: study\nauthr: A\ndate: 2026-01-01\n---\nx\n", 3, "unknown header key 'authr'"),
        ("---\nabout: study\nauthor: A\ndate: 2026-13-01\n---\nx\n", 4, "date must be an ISO date"),
        ("---\nabout: study\ndate: 2026-01-01\n---\nx\n", 2, "the header has no author"),
        ("---\nabout: [study]\nauthor: A\ndate: 2026-01-01\n---\n", 2, "about must be text"),
        ("---\nauthor: A\ndate: 2026-01-01\nabout: code:T1\n---\n", 4, "T1 is a theme in the codebook"),
        ("---\nabout: study\nauthor: 'A\n---\n", 3, "the header is not valid YAML"),
    ],
)  # fmt: skip
def test_bad_memo_files_name_file_and_line(cli, study, text, line, message):
    path = write(study, "bad.md", text)
    result = cli("memo", "list", "--memos", study / "memos", "--codebook", study / "codebook.yaml")
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {path}:{line}: {message}"), result.stderr


def test_memo_list_in_codebook_order(cli, study):
    write(study, "b.md", "---\nabout: code:RI3\nauthor: Cy\ndate: 2026-11-02\n---\nidea memo\n")
    write(study, "a.md", "---\nabout: theme:T1\nauthor: Ana\ndate: 2026-11-05\n---\ntheme memo\n")
    write(study, "c.md", "---\nabout: study\nauthor: Ben\ndate: 2026-11-09\ntitle: no\n---\nall\n")
    result = cli(
        "memo", "list", "--memos", study / "memos", "--codebook", study / "codebook.yaml",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = [
        (r["about"], r["id"], r["author"], r["title"], r["file"]) for r in json.loads(result.stdout)
    ]
    assert rows == [
        ("study", "", "Ben", "no", "c.md"),  # `title: no` is the text "no", not false
        ("theme", "T1", "Ana", "", "a.md"),
        ("code", "RI3", "Cy", "", "b.md"),
    ]
    result = cli("memo", "list", "--memos", study / "memos", "--about", "theme:T1")
    assert result.exit_code == 0, result.stderr
    assert "a.md" in result.stdout and "b.md" not in result.stdout
    assert result.stdout.rstrip().endswith(f"1 memo(s) in {study / 'memos'}")


def _consensus(cli, d: Path) -> Path:
    result = cli(
        "reconcile", d / "codings" / "ana.csv", d / "codings" / "ben.csv", d / "codings" / "cy.csv",
        "--strategy", "majority", "--codebook", d / "codebook.yaml", "-o", d / "consensus.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return d / "consensus.csv"


HOSTILE = "<script>alert(1)</script> & <b>bold</b>"


def _report(cli, d: Path, kind: str, *args):
    return cli(
        "report", kind, "--segments", d / "segments.csv", "--codings", _consensus(cli, d),
        "--codebook", d / "codebook.yaml", "--roster", d / "roster.csv", *args,
    )  # fmt: skip


def _three_memos(d: Path) -> None:
    write(
        d,
        "s.md",
        "---\nabout: study\nauthor: Ben\ndate: 2026-11-09\ntitle: Scope\n---\nAll sites.\n",
    )
    write(
        d,
        "t.md",
        f"---\nabout: theme:T2\nauthor: Ana\ndate: 2026-11-05\ntitle: {HOSTILE!r}\n---\n{HOSTILE}\nsecond line\n",
    )  # noqa: E501
    write(d, "k.md", "---\nabout: construct:C2\nauthor: Cy\ndate: 2026-11-06\n---\nOn context.\n")


def test_hierarchy_json_has_the_memos_in_codebook_order(cli, study):
    _three_memos(study)
    result = _report(cli, study, "hierarchy", "--memos", study / "memos", "-f", "json")
    assert result.exit_code == 0, result.stderr
    memos = json.loads(result.stdout)["tables"]["memos"]
    assert [
        (m["about"], m["id"], m["label"], m["date"], m["author"], m["file"]) for m in memos
    ] == [
        ("study", "", "", "2026-11-09", "Ben", "s.md"),
        ("theme", "T2", "Structure that can flex", "2026-11-05", "Ana", "t.md"),
        ("construct", "C2", "Making it work in the organisation", "2026-11-06", "Cy", "k.md"),
    ]
    assert memos[1]["text"] == f"{HOSTILE}\nsecond line"


def test_hierarchy_html_escapes_memo_text(cli, study, tmp_path):
    _three_memos(study)
    out = tmp_path / "h.html"
    result = _report(cli, study, "hierarchy", "--memos", study / "memos", "-o", out)
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert '<h4 id="hierarchy-memos-theme-t2">Theme T2: Structure that can flex</h4>' in html
    assert html.index("Study memos") < html.index("Theme T2:") < html.index("Construct C2:")


def test_hierarchy_markdown_quotes_memos_escaped(cli, study):
    _three_memos(study)
    result = _report(cli, study, "hierarchy", "--memos", study / "memos", "-f", "md")
    assert result.exit_code == 0, result.stderr
    md = result.stdout
    section = md[md.index("## Memos") : md.index("## Counts")]
    assert "### Study memos" in section and "### Theme T2: Structure that can flex" in section
    assert (
        "> &lt;script&gt;alert(1)&lt;/script&gt; & &lt;b&gt;bold&lt;/b&gt;\n> second line"
        in section
    )
    assert "<script>" not in md


def test_report_all_lists_study_memos_once(cli, study, tmp_path):
    _three_memos(study)
    out = tmp_path / "all.html"
    result = _report(cli, study, "all", "--memos", study / "memos", "-o", out)
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count("All sites.") == 1
    assert "<script>alert" not in html
    docx_out = tmp_path / "all.docx"
    result = _report(cli, study, "all", "--memos", study / "memos", "-o", docx_out)
    assert result.exit_code == 0, result.stderr
    import docx

    texts = [p.text for p in docx.Document(str(docx_out)).paragraphs]
    assert "Theme T2: Structure that can flex" in texts
    assert texts.count("All sites.") == 1
    assert HOSTILE in texts  # Word runs hold text, never markup


def test_memos_folder_beside_qualcode_yaml_is_the_default(cli, study, monkeypatch):
    (study / "qualcode.yaml").write_text(
        "codebook: codebook.yaml\nroster: roster.csv\nsegments: segments.csv\n", encoding="utf-8"
    )
    monkeypatch.chdir(study)
    result = cli("memo", "add", "--about", "theme:T1", "--author", "Ana", "--text", "Beside it.")
    assert result.exit_code == 0, result.stderr
    (path,) = (study / "memos").iterdir()
    assert result.stderr.strip() == f"wrote {path}"  # checked against the study's codebook
    result = cli("report", "hierarchy", "--codings", _consensus(cli, study), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert [m["text"] for m in json.loads(result.stdout)["tables"]["memos"]] == ["Beside it."]
    (study / "qualcode.yaml").write_text("memos: notes\n", encoding="utf-8")
    result = cli("memo", "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {study / 'notes'}: the memos folder does not exist")


def test_report_without_memos_has_no_memo_table(cli, study):
    result = _report(cli, study, "hierarchy", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert "memos" not in json.loads(result.stdout)["tables"]


def test_export_qdpx_memos_are_notes_on_their_codes(cli, study, tmp_path):
    from tests.refi_helpers import schema

    _three_memos(study)
    out = tmp_path / "study.qdpx"
    result = cli(
        "export", "qdpx", "--segments", study / "segments.csv",
        "--codings", study / "codings" / "ana.csv", "--codebook", study / "codebook.yaml",
        "--memos", study / "memos", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.rstrip().endswith(f"3 analytic memos ({study / 'memos'})")
    xml = zipfile.ZipFile(out).read("project.qde").decode("utf-8")
    schema("Project-mrt2019.xsd").validate(xml)
    root = ET.fromstring(xml)
    users = {u.get("guid"): u.get("name") for u in root.iterfind("q:Users/q:User", NS)}
    assert sorted(users.values()) == ["Ana", "Ben", "Cy", "ana"]
    # Memo authors are Users, but only "ana" coded: the project's description must not call
    # the three authors coders.
    description = root.findtext("q:Description", namespaces=NS)
    assert "1 coder." in description and "Analytic memos by 3 other authors." in description
    notes = {n.get("guid"): n for n in root.iterfind("q:Notes/q:Note", NS)}

    def note_of(ref_parent) -> ET.Element:
        (ref,) = ref_parent.findall("q:NoteRef", NS)
        return notes[ref.get("targetGUID")]

    codes = {c.get("name"): c for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
    theme = note_of(codes["Structure that can flex"])
    assert theme.get("name") == f"Memo on theme T2: {HOSTILE} (Ana)"
    assert users[theme.get("creatingUser")] == "Ana"
    assert theme.get("creationDateTime") == "2026-11-05T00:00:00Z"
    assert theme.findtext("q:PlainTextContent", namespaces=NS) == f"{HOSTILE}\nsecond line"
    assert (
        note_of(codes["Making it work in the organisation"]).findtext(
            "q:PlainTextContent", namespaces=NS
        )
        == "On context."
    )
    project_refs = [r.get("targetGUID") for r in root.findall("q:NoteRef", NS)]
    study_notes = [notes[g] for g in project_refs if notes[g].get("name").startswith("Memo on")]
    assert [n.get("name") for n in study_notes] == ["Memo on the study: Scope (Ben)"]


def test_memo_add_in_the_editor(cli, study, tmp_path, monkeypatch):
    editor = tmp_path / "fake-editor"
    editor.write_text(
        "#!/bin/sh\n"
        'printf \'Written in the editor.\\n\' | cat - "$1" > "$1.new" && mv "$1.new" "$1"\n',
        encoding="utf-8",
    )
    editor.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))
    result = add(cli, study, "--about", "code:RI5", "--author", "Ana", "--editor")
    assert result.exit_code == 0, result.stderr
    (memo,) = load_memos(study / "memos")
    assert memo.text == "Written in the editor."  # the template's comment lines are left out
    monkeypatch.setenv("EDITOR", "false")
    result = add(cli, study, "--about", "code:RI5", "--author", "Ana", "--editor")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the editor 'false' stopped with exit code 1")
    monkeypatch.setenv("EDITOR", str(tmp_path / "missing-editor"))
    result = add(cli, study, "--about", "code:RI5", "--author", "Ana", "--editor")
    assert result.exit_code == 1 and "cannot run the editor" in result.stderr
    assert len(load_memos(study / "memos")) == 1
