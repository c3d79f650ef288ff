"""Every memo reaches the consensus (with its author) and the exports (issue 13.4)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from qualcode.io import read_codings

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"
DATA = Path(__file__).parent / "data" / "code_modes"
NS = "{urn:QDA-XML:project:1.0}"


def _memo_notes(qdpx: Path) -> list[tuple[str, str]]:
    with zipfile.ZipFile(qdpx) as z:
        root = ET.fromstring(z.read("project.qde"))
    return [
        (note.get("name"), note.findtext(f"{NS}PlainTextContent"))
        for note in root.iter(f"{NS}Note")
        if note.get("name", "").startswith("Memo")
    ]


def test_a_memo_on_an_uncoded_turn_survives_reconcile_and_export(cli, tmp_path):
    shutil.copy(DATA / "segments.csv", tmp_path / "segments.csv")
    shutil.copy(DATA / "codebook.yaml", tmp_path / "codebook.yaml")
    (tmp_path / "ana.csv").write_text(
        "segment_id,code_id,coder,origin,memo\n"
        "g1:2,RI1,ana,manual,\n"
        "g1:3,,ana,manual,cost of parking - new idea?\n"
    )
    (tmp_path / "ben.csv").write_text(
        "segment_id,code_id,coder,origin,memo\ng1:2,RI1,ben,manual,\ng1:3,,ben,manual,\n"
    )
    result = cli(
        "reconcile", tmp_path / "ana.csv", tmp_path / "ben.csv", "--strategy", "union",
        "-o", tmp_path / "consensus.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    consensus = read_codings(tmp_path / "consensus.csv")
    assert [tuple(r) for r in consensus[["segment_id", "code_id", "memo"]].to_numpy()] == [
        ("g1:2", "RI1", ""),
        ("g1:3", "", "ana: cost of parking - new idea?"),
    ]
    for codings in (tmp_path / "consensus.csv", tmp_path / "ana.csv"):
        out = tmp_path / f"{codings.stem}.qdpx"
        result = cli(
            "export", "qdpx", "--segments", tmp_path / "segments.csv", "--codings", codings,
            "--codebook", tmp_path / "codebook.yaml", "-o", out,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "1 memos" in result.stdout
        texts = [text for _name, text in _memo_notes(out)]
        assert texts == [
            "ana: cost of parking - new idea?" if codings.stem == "consensus" else
            "cost of parking - new idea?"
        ]  # fmt: skip


def test_the_bundled_studys_ten_memos_reach_the_consensus_and_the_export(cli, tmp_path):
    coders = [STUDY / "codings" / f"coder_{x}.csv" for x in "ab"]
    memos = sum(int((read_codings(c)["memo"] != "").sum()) for c in coders)
    assert memos == 10
    assert cli("ingest", STUDY, "-o", tmp_path / "segments.csv").exit_code == 0
    out = tmp_path / "consensus.csv"
    result = cli("reconcile", *coders, "--strategy", "union", "-c", CODEBOOK, "-o", out)
    assert result.exit_code == 0, result.output
    consensus = read_codings(out)
    kept = "; ".join(consensus["memo"])
    for coder in coders:
        df = read_codings(coder)
        for memo in df.loc[df["memo"] != "", "memo"]:
            assert f"{df['coder'].iat[0]}: {memo}" in kept  # with its author
    assert kept.count("coder_a: ") + kept.count("coder_b: ") == 10
    for codings in ([out], coders):
        qdpx = tmp_path / "study.qdpx"
        args = [a for c in codings for a in ("--codings", c)]
        result = cli(
            "export", "qdpx", "--segments", tmp_path / "segments.csv", *args,
            "--codebook", CODEBOOK, "-o", qdpx,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "10 memos" in result.stdout
        assert len(_memo_notes(qdpx)) == 10
