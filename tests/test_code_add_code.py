"""Adding a code while coding (issue 16.2), driven through the real CLI: `a` in the terminal coder,
and a `new ID: Label` column in the coding sheet. The code is written to the codebook as inductive,
by the coder, today; the codings that use it validate against the codebook written."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from qualcode.codebook import load_codebook
from qualcode.io import backups_of, read_codings

DATA = Path(__file__).parent / "data" / "code_modes"
TODAY = datetime.date.today().isoformat()
# Segments to code (facilitator turns g1:1 and g2:1 are context): g1:2, g1:3, g1:4, g2:2, g2:3.
# Codes: 1 RI1, 2 RI2 (theme T1), 3 RI3 (theme T2).


@pytest.fixture
def study(tmp_path: Path) -> Path:
    for name in ("codebook.yaml", "segments.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def interactive(cli, study: Path, keys: str):
    return cli(
        "code", study / "segments.csv", "-c", study / "codebook.yaml", "--coder", "alice",
        "--interactive", "-o", study / "alice.csv", input=keys,
    )  # fmt: skip


def rows(path: Path) -> list[tuple[str, str]]:
    df = read_codings(path)
    return [tuple(r) for r in df[["segment_id", "code_id"]].to_numpy()]


def test_terminal_a_adds_a_code_used_at_once(cli, study):
    before = (study / "codebook.yaml").read_text(encoding="utf-8")
    keys = (
        "a\n"  # add a code
        "RI1\n"  # a used id: said, and asked again
        "=bad\n"  # an id a spreadsheet would run: asked again
        "RI9\n"
        "\n"  # a label is needed
        "Someone to call\n"
        "7\n"  # no theme 7
        "T2\n"
        "A peer or worker the participant can phone\n"
        "n\n"  # g1:2 saved with RI9 (applied on adding)
        "4\n"  # RI9 is number 4 now (after RI3, in T2)
        "n\nq\n"
    )
    result = interactive(cli, study, keys)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert (
        "id 'RI1' is already used in the codebook (code 'RI1' (The pill takes care of the " in out
    )
    assert (
        "id '=bad' starts with '=' (a spreadsheet would run it as a formula): give another id"
        in out
    )
    assert "a code needs a label (a short name)" in out
    assert "  2 T2 Groups" in out
    assert "choose a theme by number (1 to 2) or id, or - for none" in out
    assert (
        f"added RI9 Someone to call to {study / 'codebook.yaml'} under T2 (origin: inductive, "
        f"added by alice on {TODAY}); applied to this segment"
    ) in out
    assert "  4 [x] RI9 Someone to call" in out
    assert rows(study / "alice.csv") == [("g1:2", "RI9"), ("g1:3", "RI9")]
    text = (study / "codebook.yaml").read_text(encoding="utf-8")
    assert text == before.replace(
        "        definition: Others share the problem.\n",
        "        definition: Others share the problem.\n"
        "      - id: RI9\n"
        "        label: Someone to call\n"
        "        definition: A peer or worker the participant can phone\n"
        "        origin: inductive\n"
        "        added_by: alice\n"
        f"        added_on: {TODAY}\n",
    )
    assert [p.read_text(encoding="utf-8") for p in backups_of(study / "codebook.yaml")] == [before]
    # the codings validate against the codebook written: compare reads them without complaint
    result = cli(
        "report", "hierarchy", "--codings", study / "alice.csv", "--codebook",
        study / "codebook.yaml", "--segments", study / "segments.csv", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "not in the codebook" not in result.stderr
    # resuming reads the file with the code the codebook now has
    result = interactive(cli, study, "q\n")
    assert result.exit_code == 0, result.stderr
    assert "Resuming: 2 of 5 segments already coded" in result.stdout


def test_terminal_a_with_the_id_given_and_no_theme_then_cancel(cli, study):
    keys = "a RI8\nOn my own\n-\n\nn\na\n\nq\n"
    result = interactive(cli, study, keys)
    assert result.exit_code == 0, result.stderr
    assert "under T" not in result.stdout.split("added RI8", 1)[1].split("\n", 1)[0]
    assert "without a theme" in result.stdout
    assert "no code added" in result.stdout  # the second `a`, an empty id, cancels
    book = load_codebook(study / "codebook.yaml")
    code = book.code("RI8")
    assert (code.theme_id, code.origin, code.added_by, code.definition) == (
        None,
        "inductive",
        "alice",
        "",
    )
    assert (
        (study / "codebook.yaml")
        .read_text(encoding="utf-8")
        .endswith(
            "codes:\n  - id: RI8\n    label: On my own\n    origin: inductive\n    added_by: alice\n"
            f"    added_on: '{TODAY}'\n"
        )
    )


def test_terminal_a_end_of_input_adds_nothing(cli, study):
    before = (study / "codebook.yaml").read_bytes()
    result = interactive(cli, study, "a RI9\nSomeone\n")
    assert result.exit_code == 0, result.stderr
    assert "no code added" in result.stdout
    assert (study / "codebook.yaml").read_bytes() == before
