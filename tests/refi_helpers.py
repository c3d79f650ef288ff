"""A small study written to disk for the REFI-QDA tests (export, import, round trip)."""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

DATA = Path(__file__).parent / "data" / "refi_qda"

CODEBOOK = """\
title: Mini access study
research_concerns:
  - id: RC1
    text: What keeps people from care?
constructs:
  - id: C1
    label: Barriers
    definition: What stands between people and care.
    themes:
      - id: T1
        label: Cost
        definition: Money as a barrier.
        repeating_ideas:
          - id: RI1
            label: "Too expensive"
            definition: Costs stop visits.
            include: "Fares, co-pays.\\nAlso fees."
            exclude: Waiting times (RI2).
            examples: ["The bus fare is too much.", "Cost, mostly."]
            keywords: [fare, cost]
            patterns: ['\\bco-?pay\\b']
          - id: RI2
            label: Waiting
            definition: Waiting as a burden.
themes:
  - id: T2
    label: Trust
    repeating_ideas:
      - id: RI3
        label: Trust in the clinician
codes:
  - id: X1
    label: Other
"""

SEGMENTS = """\
segment_id,transcript_id,turn,speaker,participant_id,role,text,start_time,end_time,source,line
fg1:1,fg1,1,Facilitator,F1,facilitator,What stops you coming?,,,fg1.txt,1
fg1:2,fg1,2,Ana,P1,participant,"The bus fare \U0001f60a is too much.
And the wait.",,,fg1.txt,2
fg1:3,fg1,3,Ben,P2,participant,"Cost, mostly.",,,fg1.txt,5
fg2:1,fg2,1,Ana,P1,participant,I trust Dr Lee.,1.5,4.25,fg2.vtt,3
fg2:2,fg2,2,Unknown Speaker,,unknown,[inaudible],4.25,5,fg2.vtt,7
"""

CODER_A = """\
segment_id,code_id,coder,origin,memo,start_char,end_char
fg1:1,,coder_a,manual,,,
fg1:2,RI1,coder_a,manual,the fare itself,4,12
fg1:2,RI2,coder_a,manual,,,
fg1:3,RI1,coder_a,auto,,,
fg2:1,RI3,coder_a,manual,,,
"""

CODER_B = """\
segment_id,code_id,coder,origin,memo,start_char,end_char
fg1:2,RI1,coder_b,manual,,0,14
fg1:3,,coder_b,manual,unsure,,
fg2:1,RI3,coder_b,manual,,,
fg2:2,X1,coder_b,consensus,,0,11
"""

ROSTER = """\
transcript_id,speaker,participant_id,role,gender,age_band
fg1,Facilitator,F1,facilitator,,
fg1,Ana,P1,participant,F,30-39
fg1,Ben,P2,participant,M,
fg2,Ana,P1,participant,F,30-39
"""


def write_study(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "codebook": folder / "codebook.yaml",
        "segments": folder / "segments.csv",
        "coder_a": folder / "coder_a.csv",
        "coder_b": folder / "coder_b.csv",
        "roster": folder / "roster.csv",
    }
    texts = [CODEBOOK, SEGMENTS, CODER_A, CODER_B, ROSTER]
    for path, text in zip(paths.values(), texts, strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


def export_args(paths: dict[str, Path], output: Path) -> list[str]:
    return [
        "export",
        "qdpx",
        "--segments",
        str(paths["segments"]),
        "--codings",
        str(paths["coder_a"]),
        "--codings",
        str(paths["coder_b"]),
        "--codebook",
        str(paths["codebook"]),
        "--roster",
        str(paths["roster"]),
        "-o",
        str(output),
    ]


def make_zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def project_xml(body: str, ns: str = 'xmlns="urn:QDA-XML:project:1.0"') -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<Project {ns} name="t" origin="test">{body}</Project>'


@functools.cache
def schema(name: str):
    import xmlschema

    return xmlschema.XMLSchema(str(DATA / name))
