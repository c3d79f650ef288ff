"""Issue 16.3 and 16.4: field notes and documents as speakerless sources, source types, and
attributes on codes, driven through the real CLI on the mixed-source example
(tests/data/mixed_sources: 2 field notes, 1 document, 2 interviews, 1 focus group)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qualcode.io import read_segments

MIXED = Path(__file__).parent / "data" / "mixed_sources"


@pytest.fixture
def study(tmp_path: Path) -> Path:
    shutil.copytree(MIXED, tmp_path / "study")
    return tmp_path / "study"


def ingest(cli, d: Path):
    result = cli(
        "ingest",
        d / "transcripts",
        "--sources",
        d / "sources.csv",
        "--roster",
        d / "roster.csv",
        "-o",
        d / "segments.csv",
    )
    assert result.exit_code == 0, result.stderr
    return result


def test_fieldnote_is_read_by_paragraph_with_no_speaker(cli, tmp_path):
    note = tmp_path / "visit.txt"
    note.write_text("First line\nwrapped here.\n\n\nSecond paragraph.\n", encoding="utf-8")
    out = tmp_path / "segments.csv"
    result = cli("ingest", note, "--source-type", "fieldnote", "-o", out)
    assert result.exit_code == 0, result.stderr
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    rows = df[["segment_id", "speaker", "participant_id", "role", "text", "line", "source_type"]]
    assert [tuple(r) for r in rows.itertuples(index=False)] == [
        ("visit:1", "", "", "source", "First line\nwrapped here.", "1", "fieldnote"),
        ("visit:2", "", "", "source", "Second paragraph.", "5", "fieldnote"),
    ]


def test_document_docx_by_paragraph(cli, tmp_path):
    import docx

    doc = docx.Document()
    doc.add_paragraph("Section 1. Purpose.")
    doc.add_paragraph("")
    doc.add_paragraph("Interviewer: this is not a speaker label in a document.")
    doc.save(tmp_path / "policy.docx")
    out = tmp_path / "segments.csv"
    result = cli("ingest", tmp_path / "policy.docx", "--source-type", "document", "-o", out)
    assert result.exit_code == 0, result.stderr
    df = read_segments(out)
    assert df["text"].tolist() == [
        "Section 1. Purpose.",
        "Interviewer: this is not a speaker label in a document.",
    ]
    assert set(df["role"]) == {"source"} and set(df["speaker"]) == {""}
    assert df["line"].tolist() == ["1", "3"]


def test_interview_source_type_keeps_speakers(cli, tmp_path):
    (tmp_path / "int.txt").write_text("I: Why?\nR: Because.\n", encoding="utf-8")
    out = tmp_path / "segments.csv"
    result = cli("ingest", tmp_path / "int.txt", "--source-type", "interview", "-o", out)
    assert result.exit_code == 0, result.stderr
    df = read_segments(out)
    assert df[["speaker", "role", "source_type"]].values.tolist() == [
        ["I", "facilitator", "interview"],
        ["R", "participant", "interview"],
    ]


def test_sources_sheet_sets_type_and_attributes_per_transcript(cli, study):
    ingest(cli, study)
    df = read_segments(study / "segments.csv")
    assert list(df.columns)[-2:] == ["source_type", "organisation"]
    per = df.groupby("transcript_id")[["source_type", "organisation"]].first()
    assert per.to_dict("index") == {
        "doc_program_manual": {"source_type": "document", "organisation": "Program office"},
        "fg_01": {"source_type": "focus_group", "organisation": "South Clinic"},
        "fn_north_visit1": {"source_type": "fieldnote", "organisation": "North Clinic"},
        "fn_south_visit1": {"source_type": "fieldnote", "organisation": "South Clinic"},
        "int_01": {"source_type": "interview", "organisation": "North Clinic"},
        "int_02": {"source_type": "interview", "organisation": "South Clinic"},
    }
    notes = df[df["source_type"].isin(["fieldnote", "document"])]
    assert len(notes) == 7
    assert set(notes["role"]) == {"source"} and set(notes["participant_id"]) == {""}


def test_segments_without_source_type_still_read(tmp_path):
    path = tmp_path / "segments.csv"
    path.write_text(
        "segment_id,transcript_id,turn,speaker,text\ng1:1,g1,1,P1,hello\n", encoding="utf-8"
    )
    df = read_segments(path)
    assert df["source_type"].tolist() == [""]


def test_unknown_source_type_is_an_error(cli, tmp_path):
    (tmp_path / "a.txt").write_text("Some prose.\n", encoding="utf-8")
    result = cli("ingest", tmp_path / "a.txt", "--source-type", "diary", "-o", tmp_path / "s.csv")
    assert result.exit_code == 1
    assert "unknown source type 'diary'" in result.stderr
    assert "fieldnote" in result.stderr
    assert not (tmp_path / "s.csv").exists()


def test_sources_sheet_bad_row_names_its_line(cli, study):
    (study / "sources.csv").write_text(
        "transcript_id,source_type\nint_01,interview\nfg_01,groups\n", encoding="utf-8"
    )
    result = cli(
        "ingest", study / "transcripts", "--sources", study / "sources.csv", "-o", study / "s.csv"
    )
    assert result.exit_code == 1
    assert "sources.csv:3: unknown source type 'groups'" in result.stderr


def test_fieldnote_from_a_caption_file_is_refused(cli, tmp_path):
    (tmp_path / "a.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n", encoding="utf-8")
    result = cli(
        "ingest", tmp_path / "a.vtt", "--source-type", "fieldnote", "-o", tmp_path / "s.csv"
    )
    assert result.exit_code == 1
    assert "a fieldnote is read by paragraphs from a .txt or .docx file" in result.stderr


def code_auto(cli, d: Path) -> Path:
    out = d / "codings" / "auto.csv"
    result = cli(
        "code",
        d / "segments.csv",
        "--codebook",
        d / "codebook.yaml",
        "--coder",
        "auto",
        "--auto",
        "-o",
        out,
    )
    assert result.exit_code == 0, result.stderr
    return out


def crosstab(cli, d: Path, *args: str, codings: Path | None = None) -> dict:
    result = cli(
        "report",
        "crosstab",
        *args,
        "--segments",
        d / "segments.csv",
        "--codings",
        codings or d / "codings" / "auto.csv",
        "--codebook",
        d / "codebook.yaml",
        "--roster",
        d / "roster.csv",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def cells(report: dict, table: str = "counts") -> list[tuple]:
    return [tuple(row.values()) for row in report["tables"][table]]


def test_crosstab_by_source_type_counts_sources_and_participants(cli, study):
    ingest(cli, study)
    code_auto(cli, study)
    by_transcripts = crosstab(cli, study, "--by", "source_type", "--count", "transcripts")
    assert by_transcripts["tables"]["columns"] == [
        {"category": "focus_group", "denominator": 1},
        {"category": "interview", "denominator": 2},
        {"category": "fieldnote", "denominator": 2},
        {"category": "document", "denominator": 1},
    ]
    # RI5 (leadership makes the time): both field notes, one interview.
    assert ("RI5", "Leadership makes the time", 0, 1, 2, 0, 3) in cells(by_transcripts)
    by_people = crosstab(cli, study, "--by", "source_type")
    # Field notes and documents have no participants: their columns count nobody.
    assert by_people["tables"]["columns"] == [
        {"category": "focus_group", "denominator": 3},
        {"category": "interview", "denominator": 2},
    ]
    by_org = crosstab(cli, study, "--by", "organisation", "--count", "transcripts")
    assert [c["category"] for c in by_org["tables"]["columns"]] == [
        "Program office",
        "South Clinic",
        "North Clinic",
    ]


def test_unknown_crosstab_attribute_lists_source_attributes(cli, study):
    ingest(cli, study)
    code_auto(cli, study)
    result = cli(
        "report",
        "crosstab",
        "--by",
        "nope",
        "--segments",
        study / "segments.csv",
        "--codings",
        study / "codings" / "auto.csv",
    )
    assert result.exit_code == 1
    assert "no attribute 'nope'" in result.stderr
    assert "source_type, organisation" in result.stderr


# --- 16.4 attributes on codes ----------------------------------------------------------------------
def test_codebook_check_lists_attributes(cli):
    result = cli("codebook", "check", MIXED / "codebook.yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "attribute domain: 3 themes (mechanism 1, delivery 1, context 1)",
        "attribute component: 6 codes (core 2, malleable 4)",
        "origin: 6 deductive (written in advance), 0 inductive (found during coding)",
        "2 constructs, 3 themes, 6 repeating ideas; 0 errors, 0 warnings",
    ]


def test_typo_of_a_known_key_is_still_an_error_not_an_attribute(cli, tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text(
        "codes:\n"
        "  - id: A\n    label: a\n    defintion: typo\n    level: high\n"
        "  - id: B\n    lable: b\n    component: [core, malleable]\n",
        encoding="utf-8",
    )
    result = cli("codebook", "check", path)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert errors[0].endswith(
        "cb.yaml:4: unknown key 'defintion' in a code; did you mean 'definition'? (allowed: id, "
        "label, definition, include, exclude, examples, keywords, patterns, origin, added_by, added_on, memo, notes, color)"
    )
    assert any("cb.yaml:7: unknown key 'lable'" in e for e in errors)
    assert any(
        "cb.yaml:8: attribute 'component' in a code must be a single value" in e for e in errors
    )
    assert "attribute level: 1 code (high 1)" in result.stdout


def test_codebook_show_json_carries_attributes(cli):
    result = cli("codebook", "show", MIXED / "codebook.yaml", "-f", "json")
    assert result.exit_code == 0, result.stderr
    tree = json.loads(result.stdout)
    theme = tree["constructs"][0]["themes"][0]
    assert theme["attributes"] == {"domain": "mechanism"}
    assert [c["attributes"] for c in theme["repeating_ideas"]] == [
        {"component": "core"},
        {"component": "core"},
    ]


COMPONENT = {"RI1": "core", "RI2": "core", "RI3": "malleable", "RI4": "malleable"}
COMPONENT |= {"RI5": "malleable", "RI6": "malleable"}
THEME = {"RI1": "T1", "RI2": "T1", "RI3": "T2", "RI4": "T2", "RI5": "T3", "RI6": "T3"}


def expected_cells(d: Path, row_of: dict[str, str], by: str, unit: str) -> dict:
    """(row, category) -> distinct units, computed from the files with pandas alone."""
    seg = pd.read_csv(d / "segments.csv", dtype=str, keep_default_na=False)
    cod = pd.read_csv(d / "codings" / "ana.csv", dtype=str, keep_default_na=False)
    df = cod[cod["code_id"] != ""].merge(seg, on="segment_id")
    df = df[df["role"] != "facilitator"].assign(row=lambda x: x["code_id"].map(row_of))
    if unit == "participant_id":
        df = df[df["participant_id"] != ""]
    return df.groupby(["row", by])[unit].nunique().to_dict()


@pytest.mark.parametrize("count", ["participants", "segments", "transcripts"])
def test_crosstab_by_code_attribute_rolls_up(cli, study, count):
    ingest(cli, study)
    ana = study / "codings" / "ana.csv"
    report = crosstab(
        cli, study, "--by", "source_type", "--by-code-attribute", "component", "--count", count,
        codings=ana,
    )  # fmt: skip
    assert report["summary"]["rows"] == "code attribute component"
    unit = {"participants": "participant_id", "segments": "segment_id"}.get(count, "transcript_id")
    want = expected_cells(study, COMPONENT, "source_type", unit)
    got = {
        (row["id"], cat): n
        for row in report["tables"]["counts"]
        for cat, n in row.items()
        if cat not in ("id", "label", "total") and n
    }
    assert got == want
    assert [r["id"] for r in report["tables"]["counts"]] == ["core", "malleable"]


def test_crosstab_theme_rows_by_group_and_construct_rows(cli, study):
    ingest(cli, study)
    ana = study / "codings" / "ana.csv"
    report = crosstab(cli, study, "--by", "transcript_id", "--rows", "themes", codings=ana)
    assert report["title"] == "Theme by transcript_id (participants)"
    want = expected_cells(study, THEME, "transcript_id", "participant_id")
    got = {
        (row["id"], cat): n
        for row in report["tables"]["counts"]
        for cat, n in row.items()
        if cat not in ("id", "label", "total") and n
    }
    assert got == want
    constructs = crosstab(
        cli, study, "--by", "organisation", "--rows", "constructs", "--count", "segments",
        codings=ana,
    )  # fmt: skip
    construct = {k: ("C1" if v in ("T1", "T2") else "C2") for k, v in THEME.items()}
    want = expected_cells(study, construct, "organisation", "segment_id")
    got = {
        (row["id"], cat): n
        for row in constructs["tables"]["counts"]
        for cat, n in row.items()
        if cat not in ("id", "label", "total") and n
    }
    assert got == want


def test_crosstab_row_errors(cli, study):
    ingest(cli, study)
    base = ["report", "crosstab", "--by", "source_type", "--segments", study / "segments.csv",
            "--codings", study / "codings" / "ana.csv"]  # fmt: skip
    result = cli(*base, "--by-code-attribute", "component")
    assert result.exit_code == 1
    assert "rows by theme, construct or code attribute need the codebook" in result.stderr
    result = cli(*base, "--codebook", study / "codebook.yaml", "--by-code-attribute", "colour")
    assert result.exit_code == 1
    assert "no code attribute 'colour' in the codebook" in result.stderr
    assert "attributes found: domain, component" in result.stderr
    result = cli(*base, "--rows", "ideas")
    assert result.exit_code == 2
    assert "choose codes, themes, constructs" in result.stderr


def test_hierarchy_rolls_up_by_attribute(cli, study):
    ingest(cli, study)
    result = cli(
        "report", "hierarchy", "--segments", study / "segments.csv", "--codings",
        study / "codings" / "ana.csv", "--codebook", study / "codebook.yaml", "--roster",
        study / "roster.csv", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["sources_by_type"] == {
        "focus_group": 1,
        "interview": 2,
        "fieldnote": 2,
        "document": 1,
    }
    assert report["summary"]["participants"] == 5  # field notes and the document add nobody
    assert (
        "Sources: 1 focus group, 2 interviews, 2 field notes, 1 document; the sources column "
        "counts every source." in " ".join(report["notes"])
    )
    table = report["tables"]["attributes"]
    seg = pd.read_csv(study / "segments.csv", dtype=str, keep_default_na=False)
    cod = pd.read_csv(study / "codings" / "ana.csv", dtype=str, keep_default_na=False)
    df = cod[cod["code_id"] != ""].merge(seg, on="segment_id")
    df["component"] = df["code_id"].map(COMPONENT)
    rows = [(r["attribute"], r["value"], r["ideas"], r["mentions"], r["participants"], r["sources"])
            for r in table if r["attribute"] == "component"]  # fmt: skip
    expected = []
    for value, ideas in (("core", 2), ("malleable", 4)):
        part = df[df["component"] == value]
        people = part.loc[part["participant_id"] != "", "participant_id"].nunique()
        expected.append(
            ("component", value, ideas, part["segment_id"].nunique(), people,
             part["transcript_id"].nunique())
        )  # fmt: skip
    assert rows == expected
    assert [(r["value"], r["ideas"]) for r in table if r["attribute"] == "domain"] == [
        ("mechanism", 2),
        ("delivery", 2),
        ("context", 2),
    ]


def test_preview_refuses_source_types(cli, study):
    result = cli("ingest", study / "transcripts", "--sources", study / "sources.csv", "--preview")
    assert result.exit_code == 2
    assert "--preview reads speaker turns only" in result.stderr
