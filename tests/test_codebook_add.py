"""Adding a code found during coding to the codebook YAML (issue 16.2): the file keeps its comments,
order and formatting, the new code is inductive with who and when, the old file is backed up, and
nothing changes when the code cannot be added."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from qualcode.codebook import load_codebook
from qualcode.codebook_edit import NewCode, add_codes, new_code_problem
from qualcode.errors import CodebookError, QualcodeError
from qualcode.io import backups_of

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "codebooks" / "bup_group_visits.yaml"
DAY = "2026-12-04"


def _write(path: Path, text: str, newline: str = "\n") -> Path:
    path.write_bytes(textwrap.dedent(text).replace("\n", newline).encode("utf-8"))
    return path


def test_bundled_codebook_gains_only_the_new_lines(tmp_path):
    path = tmp_path / "codebook.yaml"
    shutil.copy(BUNDLED, path)
    old = path.read_text(encoding="utf-8").splitlines(keepends=True)
    book = add_codes(
        path,
        [NewCode("RI99", 'Peer mentor: a "buddy"', "T1", "Someone # who walked it")],
        added_by="ana",
        added_on=DAY,
    )
    new = path.read_text(encoding="utf-8").splitlines(keepends=True)
    t1_codes = [c.id for c in load_codebook(BUNDLED).theme("T1").codes]
    at = next(i for i, line in enumerate(new) if "- id: RI99" in line)
    assert new[:at] + new[at + 6 :] == old  # every other line as it was
    assert [line.rstrip("\n") for line in new[at : at + 6]] == [
        "          - id: RI99",
        '            label: "Peer mentor: a \\"buddy\\""',
        '            definition: "Someone # who walked it"',
        "            origin: inductive",
        "            added_by: ana",
        f"            added_on: {DAY}",
    ]
    code = book.code("RI99")
    assert (
        code.theme_id,
        code.label,
        code.definition,
        code.origin,
        code.added_by,
        code.added_on,
    ) == (
        "T1",
        'Peer mentor: a "buddy"',
        "Someone # who walked it",
        "inductive",
        "ana",
        DAY,
    )
    assert [c.id for c in book.theme("T1").codes] == [*t1_codes, "RI99"]
    # codes written in advance without origin stay as they are (no origin added)
    old_book = load_codebook(BUNDLED)
    assert [replace(c, line=None) for c in old_book.codes()] == [
        replace(c, line=None) for c in book.codes() if c.id != "RI99"
    ]
    backups = backups_of(path)
    assert len(backups) == 1 and backups[0].read_bytes() == BUNDLED.read_bytes()


def test_flat_codebook_with_crlf_comments_and_bom(tmp_path):
    path = tmp_path / "flat.yaml"
    text = """\
        title: Flat
        # top comment
        codes:
        - id: X1   # first
          label: Ex one
          # comment inside
        - id: X2
          label: "Ex two"
          keywords: [a, b]
        # trailing comment
        """
    path.write_bytes(b"\xef\xbb\xbf" + textwrap.dedent(text).replace("\n", "\r\n").encode())
    add_codes(path, [NewCode("X3", "Ex three")], added_by="bo", added_on=DAY)
    assert (
        path.read_bytes()
        == b"\xef\xbb\xbf"
        + textwrap.dedent(
            """\
        title: Flat
        # top comment
        codes:
        - id: X1   # first
          label: Ex one
          # comment inside
        - id: X2
          label: "Ex two"
          keywords: [a, b]
        - id: X3
          label: Ex three
          origin: inductive
          added_by: bo
          added_on: 2026-12-04
        # trailing comment
        """
        )
        .replace("\n", "\r\n")
        .encode()
    )


def test_items_written_in_flow_style_get_a_flow_line(tmp_path):
    path = tmp_path / "v2.yaml"
    shutil.copy(REPO / "tests" / "data" / "codebook_versions" / "v2.yaml", path)
    old = path.read_text(encoding="utf-8")
    add_codes(
        path, [NewCode("RI10", "Sugar, salt and [pills]", "T2")], added_by="ana", added_on=DAY
    )
    new = path.read_text(encoding="utf-8")
    line = (
        '          - {id: RI10, label: "Sugar, salt and [pills]", origin: inductive, '
        f"added_by: ana, added_on: {DAY}}}\n"
    )
    anchor = "added_on: 2026-03-02}\n"
    assert new == old.replace(anchor, anchor + line, 1)
    assert load_codebook(path).code("RI10").label == "Sugar, salt and [pills]"


def test_flow_and_empty_lists_go_through_the_round_trip_missing_lists_are_spliced(tmp_path):
    path = _write(
        tmp_path / "flow.yaml",
        """\
        # a codebook from another tool
        title: Flow   # inline comment
        themes:
          - {id: T1, label: One, repeating_ideas: [{id: a, label: A}]}  # flow theme
          - id: T2
            label: Two
            repeating_ideas: []
          - id: T3   # no ideas yet
            label: Three
        """,
    )
    codes = [
        NewCode("c", "C, see", "T1"),
        NewCode("d", "D", "T2", "a definition"),
        NewCode("e", "E", "T3"),
        NewCode("f", "F"),
    ]
    book = add_codes(path, codes, added_by="ana", added_on=DAY)
    assert [(c.id, c.theme_id, c.origin, c.added_by, c.added_on) for c in book.codes()] == [
        ("a", "T1", "", "", ""),
        ("c", "T1", "inductive", "ana", DAY),
        ("d", "T2", "inductive", "ana", DAY),
        ("e", "T3", "inductive", "ana", DAY),
        ("f", None, "inductive", "ana", DAY),
    ]
    text = path.read_text(encoding="utf-8")
    for kept in (
        "# a codebook from another tool\n",
        "title: Flow   # inline comment\n",
        "# flow theme\n",
        "- id: T3   # no ideas yet\n",
    ):
        assert kept in text
    assert "[{id: a, label: A}, {id: c, label: 'C, see', origin: inductive" in text
    # the theme without a list and the codebook without codes: gain new lines at their end
    assert (
        "  - id: T3   # no ideas yet\n    label: Three\n    repeating_ideas:\n      - id: e\n"
        f"        label: E\n        origin: inductive\n        added_by: ana\n        added_on: {DAY}\n"
        f"codes:\n  - id: f\n    label: F\n    origin: inductive\n    added_by: ana\n"
        f"    added_on: {DAY}\n"
    ) in text
    assert len(backups_of(path)) == 1  # one write for the four codes


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (NewCode("RI1", "Again", "T1"), "id 'RI1' is already used in the codebook (code 'RI1'"),
        (
            NewCode("T2", "A theme's id", "T1"),
            "id 'T2' is already used in the codebook (theme 'T2')",
        ),
        (NewCode("=SUM(A1)", "Formula", "T1"), "id '=SUM(A1)' starts with '='"),
        (NewCode("a,b", "Comma", "T1"), "id 'a,b' contains a comma"),
        (NewCode("", "No id", "T1"), "the id is empty"),
        (NewCode("RI77", "  ", "T1"), "the new code 'RI77' has no label"),
        (NewCode("RI77", "Lost", "T9"), "no theme 'T9' for the new code 'RI77' (themes: T1, "),
    ],
)
def test_a_code_that_cannot_be_added_changes_nothing(tmp_path, code, message):
    path = tmp_path / "codebook.yaml"
    shutil.copy(BUNDLED, path)
    with pytest.raises(CodebookError) as caught:
        add_codes(path, [NewCode("RI98", "Fine", "T1"), code], added_by="ana", added_on=DAY)
    assert message in caught.value.message
    assert new_code_problem(load_codebook(path), code).startswith(message[:20])
    assert path.read_bytes() == BUNDLED.read_bytes()
    assert backups_of(path) == []


def test_a_shared_anchor_is_refused_and_nothing_changes(tmp_path):
    text = """\
        title: Anchors
        themes:
          - id: T1
            label: One
            repeating_ideas: &none []
          - id: T2
            label: Two
            repeating_ideas: *none
        codes:
          - id: a
            label: A
        """
    path = _write(tmp_path / "anchor.yaml", text)
    before = path.read_bytes()
    with pytest.raises(CodebookError, match="cannot add 'b' to this codebook safely.*duplicate id"):
        add_codes(path, [NewCode("b", "B", "T1")], added_by="ana", added_on=DAY)
    assert path.read_bytes() == before and backups_of(path) == []


def test_a_codebook_with_errors_is_not_rewritten(tmp_path):
    path = _write(tmp_path / "bad.yaml", "title: x\ncodes:\n  - id: a\n    label: A\n  - id: a\n")
    with pytest.raises(QualcodeError, match="the codebook has 2 errors"):
        add_codes(path, [NewCode("b", "B")], added_by="ana", added_on=DAY)
    assert backups_of(path) == []


def test_last_item_at_the_end_of_a_file_without_a_line_end(tmp_path):
    path = tmp_path / "noeol.yaml"
    path.write_text(
        "title: t\nthemes:\n  - id: T1\n    label: t\n    repeating_ideas:\n"
        "      - id: a\n        label: A",
        encoding="utf-8",
    )
    add_codes(path, [NewCode("b", "B", "T1")], added_by="ana", added_on=DAY)
    assert path.read_text(encoding="utf-8").endswith(
        "        label: A\n      - id: b\n        label: B\n        origin: inductive\n"
        f"        added_by: ana\n        added_on: {DAY}\n"
    )


def test_block_scalars_at_the_end_of_an_item(tmp_path):
    # a `|` or `>-` block ends after its line breaks, at the next item: the new code goes before
    text = """\
        themes:
          - id: T1
            label: t
            repeating_ideas:
              - id: a
                label: A
                definition: |
                  line one
                  line two

          - id: T2
            label: u
            repeating_ideas:
              - id: b
                label: B  # trailing comment
                definition: >-
                  folded
                  text
        # end
        """
    path = _write(tmp_path / "block.yaml", text)
    add_codes(
        path, [NewCode("c", "C", "T1"), NewCode("d", "D", "T2")], added_by="ana", added_on=DAY
    )
    new = "\n".join(
        f"      - id: {x}\n        label: {x.upper()}\n        origin: inductive\n"
        f"        added_by: ana\n        added_on: {DAY}"
        for x in "cd"
    ).split("\n")
    old = textwrap.dedent(text).splitlines()
    assert path.read_text(encoding="utf-8").splitlines() == [
        *old[:9],
        *new[:5],
        *old[9:18],
        *new[5:],
        *old[18:],
    ]


CODEBOOKS = sorted(
    [REPO / "codebooks" / "bup_group_visits.yaml", *(REPO / "tests" / "data").rglob("*.yaml")]
)


@pytest.mark.parametrize("source", CODEBOOKS, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_codebook_of_the_repository_takes_a_code_in_each_theme(tmp_path, source):
    path = tmp_path / "codebook.yaml"
    shutil.copy(source, path)
    themes = [t.id for t in load_codebook(path).all_themes()]
    codes = [NewCode(f"NEW{i}", f"New {i}", theme) for i, theme in enumerate([*themes, None])]
    old_lines = path.read_text(encoding="utf-8").splitlines()
    book = add_codes(path, codes, added_by="ana", added_on=DAY)
    assert [(c.id, c.theme_id) for c in book.codes() if c.id.startswith("NEW")] == sorted(
        [(c.id, c.theme_id) for c in codes], key=lambda ct: book.code_ids().index(ct[0])
    )
    assert all(book.code(c.id).origin == "inductive" for c in codes)
    # every codebook here writes its lists in block style: the file only gains lines
    new_lines = iter(path.read_text(encoding="utf-8").splitlines())
    assert all(line in new_lines for line in old_lines)  # the old lines, in order, among the new


def test_a_list_key_with_nothing_after_it_and_the_file_style_of_dashes(tmp_path):
    text = """\
        title: t
        themes:
        - id: T1
          label: One
          repeating_ideas:   # none yet
        - id: T2
          label: Two
          repeating_ideas:
          - id: a
            label: A
        """
    path = _write(tmp_path / "dashes.yaml", text)
    add_codes(path, [NewCode("b", "B", "T1"), NewCode("c", "C")], added_by="ana", added_on=DAY)
    assert path.read_text(encoding="utf-8") == textwrap.dedent(
        f"""\
        title: t
        themes:
        - id: T1
          label: One
          repeating_ideas:   # none yet
          - id: b
            label: B
            origin: inductive
            added_by: ana
            added_on: {DAY}
        - id: T2
          label: Two
          repeating_ideas:
          - id: a
            label: A
        codes:
        - id: c
          label: C
          origin: inductive
          added_by: ana
          added_on: {DAY}
        """
    )
