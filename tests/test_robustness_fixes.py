"""Regression tests for the QA pass.

- Every command that reads inputs and writes -o refuses to write over one of its inputs
  (`qualcode.cli.options.protect_inputs`); each case runs the real CLI on real files and checks
  that nothing in the study changed (no output, no backup).
- `qualcode.io.written_together`: several outputs land together or not at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.errors import OutputError
from qualcode.io import atomic_write_text, written_together

SEG_HEADER = "segment_id,transcript_id,turn,speaker,participant_id,role,text\n"
COD_HEADER = "segment_id,code_id,coder,origin,memo,start_char,end_char\n"
STUDY = {
    "segments.csv": SEG_HEADER
    + "g1:1,g1,1,Facilitator,,facilitator,What helped?\n"
    + "g1:2,g1,2,Ann,P1,participant,The group helped me a lot.\n"
    + "g1:3,g1,3,Bob,P2,participant,The pill and the group.\n",
    "a.csv": COD_HEADER + "g1:2,C1,ann,manual,,,\ng1:3,C1,ann,manual,,,\n",
    "b.csv": COD_HEADER + "g1:2,C1,bob,manual,,,\ng1:3,C2,bob,manual,,,\n",
    "codebook.yaml": "title: t\ncodes:\n  - id: C1\n    label: Group helps\n    keywords: [group]\n"
    "  - id: C2\n    label: Pill helps\n    keywords: [pill]\n",
    "roster.csv": "transcript_id,speaker,participant_id,role,gender\n"
    "g1,Facilitator,F1,facilitator,\ng1,Ann,P1,,f\ng1,Bob,P2,,m\n",
    "transcripts/g1.txt": "Facilitator: What helped?\nAnn: The group helped.\nBob: The pill.\n",
}


@pytest.fixture
def study(tmp_path: Path) -> Path:
    for name, text in STUDY.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


STUDY_ARGS = "-s segments.csv --codings a.csv --codebook codebook.yaml --roster roster.csv"
# (command line, the input it names as -o, what the output is called in the message)
OVERWRITES = [
    ("compare a.csv b.csv -f csv -o a.csv", "a.csv", "the comparison"),
    ("compare a.csv b.csv -f csv -o b.csv", "b.csv", "the comparison"),
    ("compare a.csv b.csv -c codebook.yaml -f json -o codebook.yaml", "codebook.yaml", "the comparison"),
    ("compare a.csv b.csv -s segments.csv -f csv -o segments.csv", "segments.csv", "the comparison"),
    ("code segments.csv -c codebook.yaml --coder x --auto -o segments.csv", "segments.csv", "the codings"),
    ("code segments.csv -c codebook.yaml --coder x --auto -o codebook.yaml", "codebook.yaml", "the codings"),
    ("code transcripts -c codebook.yaml --coder x --auto -o transcripts/g1.txt", "transcripts/g1.txt", "the codings"),
    ("code transcripts -c codebook.yaml --coder x --auto --roster roster.csv -o roster.csv", "roster.csv", "the codings"),
    ("code segments.csv -c codebook.yaml --coder x --interactive -o segments.csv", "segments.csv", "the codings"),
    ("code segments.csv -c codebook.yaml --coder x --sheet segments.csv", "segments.csv", "the sheet"),
    ("code segments.csv -c codebook.yaml --coder x --sheet a.csv -o a.csv", "a.csv", "the sheet"),
    ("code --from-sheet a.csv -c codebook.yaml --coder x -o codebook.yaml", "codebook.yaml", "the codings"),
    ("code --from-sheet a.csv --coder x -o a.csv", "a.csv", "the codings"),
    ("reconcile a.csv b.csv -c codebook.yaml --strategy union -o codebook.yaml", "codebook.yaml", "the consensus"),
    ("reconcile a.csv b.csv --strategy union -o c.csv --log a.csv", "a.csv", "the decisions log"),
    (f"report hierarchy {STUDY_ARGS} -f csv -o a.csv", "a.csv", "the report"),
    (f"report saturation {STUDY_ARGS} -f csv -o roster.csv", "roster.csv", "the report"),
    (f"report crosstab --by gender {STUDY_ARGS} -f csv -o segments.csv", "segments.csv", "the report"),
    (f"report cooccurrence {STUDY_ARGS} -f md -o codebook.yaml", "codebook.yaml", "the report"),
    (f"report narrative {STUDY_ARGS} -f md -o a.csv", "a.csv", "the report"),
    (f"report methods {STUDY_ARGS} --coder-a a.csv --coder-b b.csv -f md -o b.csv", "b.csv", "the report"),
    (f"report all {STUDY_ARGS} --coder-a a.csv --coder-b b.csv -f md -o b.csv", "b.csv", "the report"),
    ("report hierarchy transcripts -c codebook.yaml --codings a.csv -f md -o transcripts/g1.txt", "transcripts/g1.txt", "the report"),
    ("report demographics --roster roster.csv -f csv -o roster.csv", "roster.csv", "the report"),
    ("export qdc codebook.yaml -o codebook.yaml", "codebook.yaml", "the codebook export"),
    ("export qdpx -s segments.csv --codings a.csv --codings b.csv -c codebook.yaml -o b.csv", "b.csv", "the project"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "target", "what"), OVERWRITES, ids=[c for c, _, _ in OVERWRITES]
)
def test_no_command_writes_its_output_over_an_input(
    cli, study: Path, monkeypatch, command: str, target: str, what: str
):
    monkeypatch.chdir(study)
    before = _snapshot(study)
    result = cli(*command.split())
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {target}: {what} would overwrite the input file "), (
        result.stderr
    )
    assert "hint: write the output to another path" in result.stderr
    assert _snapshot(study) == before  # nothing written, no backup


def test_a_new_output_beside_the_inputs_is_written(cli, study: Path, monkeypatch):
    monkeypatch.chdir(study)
    result = cli("compare", "a.csv", "b.csv", "-f", "csv", "-o", "agreement.csv")
    assert result.exit_code == 0, result.stderr
    assert (study / "agreement.csv").is_file()
    # a transcript folder protects its transcripts only: another file in it may be replaced
    (study / "transcripts" / "auto.codings").write_text("old", encoding="utf-8")
    result = cli(
        "code", "transcripts", "-c", "codebook.yaml", "--coder", "x", "--auto",
        "-o", "transcripts/auto.codings",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert (study / "transcripts" / "auto.codings").read_text().startswith("segment_id,")


# --- several outputs land together (reconcile's consensus and its decisions log) ----------------
def test_written_together_keeps_every_output_when_one_fails(tmp_path):
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("old")
    with pytest.raises(OutputError), written_together():
        atomic_write_text(first, "new")
        assert first.read_text() == "old"  # written to its temp file, not renamed yet
        atomic_write_text(tmp_path / "first.txt" / "x", "cannot")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.txt"]
    assert first.read_text() == "old"
    with written_together():
        atomic_write_text(first, "new")
        atomic_write_text(second, "two")
    assert (first.read_text(), second.read_text()) == ("new", "two")
    assert len(list(tmp_path.glob("first.txt.*.bak"))) == 1
