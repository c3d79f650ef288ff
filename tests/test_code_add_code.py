"""Adding a code while coding (issue 16.2), driven through the real CLI: `a` in the terminal coder,
and a `new ID: Label` column in the coding sheet. The code is written to the codebook as inductive,
by the coder, today; the codings that use it validate against the codebook written."""

from __future__ import annotations

import csv
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
            f"    added_on: {TODAY}\n"
        )
    )


def test_terminal_a_end_of_input_adds_nothing(cli, study):
    before = (study / "codebook.yaml").read_bytes()
    result = interactive(cli, study, "a RI9\nSomeone\n")
    assert result.exit_code == 0, result.stderr
    assert "no code added" in result.stdout
    assert (study / "codebook.yaml").read_bytes() == before


# --- the coding sheet: a `new ID: Label` column ---------------------------------------------------
def write_sheet(cli, study: Path, name: str):
    return cli(
        "code", study / "segments.csv", "-c", study / "codebook.yaml", "--coder", "alice",
        "--sheet", study / name, "-o", study / "alice.csv",
    )  # fmt: skip


def read_sheet(cli, study: Path, name: str, *extra):
    return cli(
        "code", study / "segments.csv", "-c", study / "codebook.yaml", "--coder", "alice",
        "--from-sheet", study / name, "-o", study / "alice.csv", *extra,
    )  # fmt: skip


def add_csv_columns(path: Path, columns: dict[str, dict[str, str]]) -> None:
    """Add columns (header -> {segment_id: mark}) at the end, as a coder does in a spreadsheet."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    for header, marks in columns.items():
        table[0].append(header)
        for row in table[1:]:
            row.append(marks.get(row[0], ""))
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(table)


def mark_csv(path: Path, marks: dict[str, str]) -> None:
    """Put an x in column `marks[segment_id]` of that segment's row."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    header = table[0]
    for row in table[1:]:
        if row[0] in marks:
            row[header.index(marks[row[0]])] = "x"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(table)


def test_sheet_new_columns_add_codes_to_the_codebook(cli, study):
    result = write_sheet(cli, study, "coding.csv")
    assert result.exit_code == 0, result.stderr
    # a csv sheet has no instruction row: the message says how to add a code, and the read-back
    # it shows names the codebook the code is written into
    assert (
        "a code found in the data gets a column headed 'new ID: Label' or 'new ID (THEME): "
        f"Label'), then read it back: qualcode code {study / 'segments.csv'} --codebook "
        f"{study / 'codebook.yaml'} --from-sheet {study / 'coding.csv'} --coder alice -o "
        f"{study / 'alice.csv'}"
    ) in " ".join(result.stdout.split())
    mark_csv(study / "coding.csv", {"g1:3": "none", "g2:2": "RI3: Not alone"})
    add_csv_columns(
        study / "coding.csv",
        {
            "new RI9 (T2): Someone to call": {"g1:2": "x", "g2:2": "x"},
            "NEW RI10:On my own": {"g2:3": "x"},
        },
    )
    result = read_sheet(cli, study, "coding.csv")
    assert result.exit_code == 0, result.stderr
    cb = study / "codebook.yaml"
    assert result.stdout.splitlines()[:2] == [
        f"added RI9 Someone to call to {cb} under T2 (origin: inductive, added by alice on {TODAY})",
        f"added RI10 On my own to {cb} without a theme (origin: inductive, added by alice on "
        f"{TODAY})",
    ]
    assert rows(study / "alice.csv") == [
        ("g1:2", "RI9"),
        ("g1:3", ""),
        ("g2:2", "RI3"),
        ("g2:2", "RI9"),
        ("g2:3", "RI10"),
    ]
    book = load_codebook(cb)
    assert [(c.id, c.theme_id, c.origin, c.added_by) for c in book.codes()][-3:] == [
        ("RI3", "T2", "", ""),
        ("RI9", "T2", "inductive", "alice"),
        ("RI10", None, "inductive", "alice"),
    ]
    # the codings name the codebook they now belong to, so nothing warns of another codebook
    from qualcode.provenance import codebook_identity

    assert set(read_codings(study / "alice.csv")["codebook"]) == {codebook_identity(book)}
    result = cli(
        "report", "hierarchy", "--codings", study / "alice.csv", "--codebook", cb,
        "--segments", study / "segments.csv", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    # reading the same sheet again: the columns are now the codebook's own codes, added once
    written = cb.read_bytes()
    result = read_sheet(cli, study, "coding.csv")
    assert result.exit_code == 0, result.stderr
    assert "added RI" not in result.stdout
    assert cb.read_bytes() == written
    # a fresh sheet has the new codes as ordinary columns
    assert write_sheet(cli, study, "fresh.csv").exit_code == 0
    header = (study / "fresh.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "RI9: Someone to call" in header and "RI10: On my own" in header


def test_sheet_new_column_in_xlsx_with_the_label_on_a_second_line(cli, study):
    from openpyxl import load_workbook

    assert write_sheet(cli, study, "coding.xlsx").exit_code == 0
    wb = load_workbook(study / "coding.xlsx")
    ws = wb["Coding"]
    assert "To add a code, add a column headed 'new ID: Label'" in ws["C1"].value
    ws["M2"] = "new RI9 (T1)\nWorks like a job"
    ws["M4"] = "x"  # g1:2
    wb.save(study / "coding.xlsx")
    result = read_sheet(cli, study, "coding.xlsx")
    assert result.exit_code == 0, result.stderr
    assert rows(study / "alice.csv") == [("g1:2", "RI9")]
    assert load_codebook(study / "codebook.yaml").code("RI9").theme_id == "T1"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("new RI9", "header 'new RI9' does not say the new code's id and label: write 'new ID: "
         "Label' or 'new ID (THEME): Label'"),
        ("new: Someone", "header 'new: Someone' does not say the new code's id and label"),
        ("new RI1: Again", "id 'RI1' is already used in the codebook (code 'RI1' (The pill takes "
         "care of the body)) (column 'new RI1: Again')"),
        ("new RI9 (T7): Lost", "no theme 'T7' for the new code 'RI9' (themes: T1, T2) (column "),
        ("new =X: Formula", "id '=X' starts with '='"),
        ("Someone to call", "column 'Someone to call' is not a code in the codebook; to add a code "
         "while coding, head its column 'new ID: Label' or 'new ID (THEME): Label'"),
    ],
)  # fmt: skip
def test_sheet_bad_new_column_names_file_column_and_form(cli, study, header, message):
    before = (study / "codebook.yaml").read_bytes()
    assert write_sheet(cli, study, "coding.csv").exit_code == 0
    add_csv_columns(study / "coding.csv", {header: {"g1:2": "x"}})
    result = read_sheet(cli, study, "coding.csv")
    assert result.exit_code == 1
    assert f"error: {study / 'coding.csv'}:M1: {message}" in result.stderr
    assert (study / "codebook.yaml").read_bytes() == before
    assert not (study / "alice.csv").exists()


def test_sheet_two_columns_for_one_new_code(cli, study):
    assert write_sheet(cli, study, "coding.csv").exit_code == 0
    add_csv_columns(study / "coding.csv", {"new RI9: A": {}, "new RI9: B": {}})
    result = read_sheet(cli, study, "coding.csv")
    assert result.exit_code == 1
    assert f"{study / 'coding.csv'}:N1: code 'RI9' has two columns (also 'new RI9: A')" in (
        result.stderr
    )


def test_sheet_new_column_without_a_codebook(cli, study):
    assert write_sheet(cli, study, "coding.csv").exit_code == 0
    add_csv_columns(study / "coding.csv", {"new RI9: Someone": {"g1:2": "x"}})
    result = cli(
        "code", "--from-sheet", study / "coding.csv", "--coder", "alice", "-o", study / "a.csv"
    )
    assert result.exit_code == 1
    assert "M1: column 'new RI9: Someone' adds code 'RI9': give the codebook to write it into" in (
        result.stderr
    )


def test_codings_made_before_a_code_was_added_are_named_as_such(cli, study):
    # bob coded with the codebook as it was; alice codes one turn, adds RI9, codes the next.
    result = cli(
        "code", study / "segments.csv", "-c", study / "codebook.yaml", "--coder", "bob",
        "--interactive", "-o", study / "bob.csv", input="1\nn\n2\nn\nq\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    result = interactive(cli, study, "1\nn\na RI9\nSomeone to call\nT2\n\nn\nq\n")
    assert result.exit_code == 0, result.stderr
    assert rows(study / "alice.csv") == [("g1:2", "RI1"), ("g1:3", "RI9")]
    result = cli(
        "compare", study / "alice.csv", study / "bob.csv", "--codebook", study / "codebook.yaml",
        "--segments", study / "segments.csv", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    earlier = (
        "rows were coded with an earlier version of this codebook, before the inductive code "
        f"RI9 (added by alice on {TODAY}) existed: the segments they cover were not reviewed "
        "for it"
    )
    assert f"warning: {study / 'alice.csv'}: 1 of its 2 {earlier}" in result.stderr
    assert f"warning: {study / 'bob.csv'}: its {earlier}" in result.stderr
    assert "its code ids or labels differ" not in result.stderr
