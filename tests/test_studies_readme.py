"""Issue 16, Done when: the README carries the mixed-source study and the GBOT-shaped core vs
malleable study out end to end (ingest, agreement, consensus, memos, reports, REFI export). This runs
each section's commands as written, in a copy of its data, and checks what they produced against
counts made here from the files with pandas."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.test_examples_run import _decide_in_the_meeting, _run, readme_commands

SECTIONS = {
    "mixed": ("## A mixed-source study", "tests/data/mixed_sources"),
    "gbot": ("## A core-vs-malleable design study", "tests/data/gbot_components"),
}
NS = "{urn:QDA-XML:project:1.0}"


def run_section(repo: Path, tmp_path: Path, runner, monkeypatch, name: str) -> Path:
    """Run the section's commands; returns the scratch folder (the README's /tmp/...)."""
    heading, folder = SECTIONS[name]
    text = (repo / "README.md").read_text(encoding="utf-8")
    start = text.index(heading)
    section = text[start : text.index("\n## ", start + 3)]
    shutil.copytree(repo / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    commands = [c for c, _ in readme_commands(section)]
    assert len([c for c in commands if c.startswith("qualcode ")]) >= 8
    for line in commands:
        if line == "cd" or line.startswith("cd "):
            monkeypatch.chdir(tmp_path / line[3:] if line != "cd" else tmp_path)
            continue
        line = line.replace(" /tmp/", f" {tmp_path}/scratch/")
        result = _run(runner, line)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        sheet = re.search(r"^qualcode reconcile .* --sheet (\S+)", line)
        if sheet:
            _decide_in_the_meeting(Path(sheet.group(1)))
    return tmp_path / "scratch" / name  # the README writes to /tmp/mixed, /tmp/gbot


def _component_counts(d: Path, study: Path) -> dict[str, tuple[int, int, int]]:
    """(segments, participants, sources) per component value, from the files directly."""
    import yaml

    book = yaml.safe_load((study / "codebook.yaml").read_text(encoding="utf-8"))
    component = {
        idea["id"]: idea["component"]
        for construct in book["constructs"]
        for theme in construct["themes"]
        for idea in theme["repeating_ideas"]
    }
    seg = pd.read_csv(d / "segments.csv", dtype=str, keep_default_na=False)
    cod = pd.read_csv(d / "consensus.csv", dtype=str, keep_default_na=False)
    df = cod[cod["code_id"] != ""].merge(seg, on="segment_id")
    df = df[df["role"] != "facilitator"]
    df["component"] = df["code_id"].map(component)
    out = {}
    for value, part in df.groupby("component"):
        people = part.loc[part["participant_id"] != "", "participant_id"].nunique()
        out[value] = (part["segment_id"].nunique(), people, part["transcript_id"].nunique())
    return out


def _hierarchy_json(runner, d: Path, study: Path) -> dict:
    result = _run(
        runner,
        f"qualcode report hierarchy --segments {d}/segments.csv --codings {d}/consensus.csv "
        f"--codebook {study}/codebook.yaml --roster {study}/roster.csv --memos {d}/memos -f json",
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _memo_notes(qdpx: Path) -> dict[str, str]:
    """Code name (or "project") -> names of the analytic-memo Notes it refers to."""
    from xml.etree import ElementTree as ET

    root = ET.fromstring(zipfile.ZipFile(qdpx).read("project.qde"))
    names = {n.get("guid"): n.get("name") for n in root.iter(f"{NS}Note")}
    out: dict[str, list[str]] = {}
    for owner in [root, *root.iter(f"{NS}Code")]:
        key = owner.get("name") if owner is not root else "project"
        for ref in owner.findall(f"{NS}NoteRef"):
            if names[ref.get("targetGUID")].startswith("Memo on"):
                out.setdefault(key, []).append(names[ref.get("targetGUID")])
    return out


def test_mixed_source_study_from_the_readme(repo, tmp_path, runner, monkeypatch):
    d = run_section(repo, tmp_path, runner, monkeypatch, "mixed")
    study = tmp_path / SECTIONS["mixed"][1]
    got = _hierarchy_json(runner, d, study)
    memos = got["tables"]["memos"]
    assert [(m["about"], m["id"], m["author"]) for m in memos] == [
        ("study", "", "cy"),
        ("theme", "T2", "ana"),  # codebook order: C1 > T1 > T2, then C2
        ("construct", "C2", "ben"),
    ]
    rows = {r["value"]: r for r in got["tables"]["attributes"] if r["attribute"] == "component"}
    for value, (segments, people, sources) in _component_counts(d, study).items():
        assert (rows[value]["mentions"], rows[value]["participants"], rows[value]["sources"]) == (
            segments,
            people,
            sources,
        )
    html = (d / "report.html").read_text(encoding="utf-8")
    assert html.count("The manual names the sharing round as core") == 1
    assert "formed mechanically by majority vote" in html
    assert _memo_notes(d / "study.qdpx") == {
        "project": ["Memo on the study (cy)"],
        "Structure that can flex": ["Memo on theme T2: What sites change (ana)"],
        "Making it work in the organisation": ["Memo on construct C2 (ben)"],
    }


def test_gbot_study_from_the_readme(repo, tmp_path, runner, monkeypatch):
    d = run_section(repo, tmp_path, runner, monkeypatch, "gbot")
    study = tmp_path / SECTIONS["gbot"][1]
    counts = _component_counts(d, study)
    assert counts == {"core": (12, 9, 8), "malleable": (11, 9, 8)}  # as the README says
    got = _hierarchy_json(runner, d, study)
    rows = {r["value"]: r for r in got["tables"]["attributes"] if r["attribute"] == "component"}
    assert {
        v: (r["ideas"], r["mentions"], r["participants"], r["sources"]) for v, r in rows.items()
    } == {
        "core": (2, 12, 9, 8),
        "malleable": (3, 11, 9, 8),
    }
    assert [(m["about"], m["id"]) for m in got["tables"]["memos"]] == [
        ("study", ""),
        ("code", "RI1"),
        ("theme", "T3"),
    ]
    decisions = pd.read_csv(d / "consensus.decisions.csv", dtype=str, keep_default_na=False)
    assert len(decisions) == 6 and set(decisions["decided_by"]) == {"A & B"}  # negotiated
    html = (d / "report.html").read_text(encoding="utf-8")
    assert "mechanically" not in html
    assert html.count("The manual, the interviews and both focus groups agree") == 1
    stakeholder = pd.read_excel(d / "components_by_stakeholder.xlsx", sheet_name=None)
    assert stakeholder  # the workbook was written
    assert _memo_notes(d / "study.qdpx") == {
        "project": ["Memo on the study (lead)"],
        "Getting the script in the group": ["Memo on code RI1 (second)"],
        "Logistics a clinic can set": ["Memo on theme T3: What clinics adapt (lead)"],
    }
    agreement = (d / "agreement.html").read_text(encoding="utf-8")
    assert "lead" in agreement and "second" in agreement


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_each_study_section_is_in_the_readme(repo, name):
    text = (repo / "README.md").read_text(encoding="utf-8")
    heading, folder = SECTIONS[name]
    assert heading in text and folder in text
