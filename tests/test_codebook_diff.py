"""`qualcode codebook diff OLD NEW` on real YAML files."""

from __future__ import annotations

import json
import textwrap

OLD = textwrap.dedent(
    """\
    title: Group visits v1
    constructs:
      - id: C1
        label: Whole person
        themes:
          - id: T1
            label: Psychological side
            definition: Cravings and feelings remain.
            repeating_ideas:
              - id: RI1
                label: It takes the cravings away
                definition: The medication eases cravings.
                keywords: [craving, cravings]
              - id: RI2
                label: What it does to me
              - id: RI3
                label: Diabetes forgotten
          - id: T2
            label: Other conditions
            repeating_ideas:
              - {id: RI4, label: One-stop care, component: core}
              - {id: RI5, label: Dropped later}
    """
)

NEW = textwrap.dedent(
    """\
    title: Group visits v2
    constructs:
      - id: C1
        label: The whole person
        themes:
          - id: T1
            label: Psychological side
            definition: Cravings and feelings remain.
            repeating_ideas:
              - id: RI1
                label: It takes the cravings away
                definition: The medication eases cravings and withdrawal.
                keywords: [Craving, withdrawal]
              - id: RI2
                label: What it does to my head
              - id: RI4
                label: One-stop care
                component: malleable
          - id: T2
            label: Other conditions
            repeating_ideas:
              - {id: RI9, label: diabetes  forgotten}
              - {id: RI6, label: Found in the data}
    """
)


def write(tmp_path, old=OLD, new=NEW):
    a, b = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    a.write_text(old, encoding="utf-8")
    b.write_text(new, encoding="utf-8")
    return a, b


def test_diff_json_lists_every_change_in_codebook_order(cli, tmp_path):
    a, b = write(tmp_path)
    result = cli("codebook", "diff", a, b, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"] == {"added": 1, "removed": 1, "renamed": 3, "redefined": 2, "moved": 2}
    rows = [(c["change"], c["level"], c["id"], c["old_id"], c["fields"]) for c in data["changes"]]
    assert rows == [
        ("added", "code", "RI6", None, []),
        ("removed", "code", "RI5", None, []),
        # label changed on the same id, in codebook order (construct before its codes)
        ("renamed", "construct", "C1", None, []),
        ("renamed", "code", "RI2", None, []),
        # same label (case and spaces aside), new id
        ("renamed", "code", "RI9", "RI3", []),
        ("redefined", "code", "RI1", None, ["definition", "keywords"]),
        ("redefined", "code", "RI4", None, ["attributes"]),
        ("moved", "code", "RI4", None, []),
        ("moved", "code", "RI9", "RI3", []),
    ]
    by = {(c["change"], c["id"]): c for c in data["changes"]}
    assert by[("renamed", "C1")]["old_label"] == "Whole person"
    assert by[("renamed", "C1")]["label"] == "The whole person"
    # keywords compare case-insensitively, as auto-coding matches them: 'Craving' is not new
    assert "keywords +'withdrawal' -'cravings'" in by[("redefined", "RI1")]["detail"]
    assert by[("redefined", "RI4")]["detail"] == "attributes component: core -> malleable"
    assert by[("moved", "RI4")]["old_parent"] == "T2"
    assert by[("moved", "RI4")]["parent"] == "T1"
    assert by[("moved", "RI4")]["detail"] == "theme T2 -> T1"


def test_diff_table_and_markdown(cli, tmp_path):
    a, b = write(tmp_path)
    table = cli("codebook", "diff", a, b)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["change", "level", "id", "label", "detail"]
    assert lines[1].split()[:3] == ["added", "code", "RI6"]
    assert any(line.split()[:5] == ["renamed", "code", "RI3", "->", "RI9"] for line in lines)
    assert lines[-1] == (f"{a} -> {b}: 1 added, 1 removed, 3 renamed, 2 redefined, 2 moved")
    md = cli("codebook", "diff", a, b, "-f", "md")
    assert md.exit_code == 0, md.output
    out = md.stdout.splitlines()
    assert out[0] == (
        f"Codebook changes from {a} to {b}: 1 added, 1 removed, 3 renamed, 2 redefined, 2 moved."
    )
    assert out[2] == "| change | level | id | label | detail |"
    assert out[3] == "| --- | --- | --- | --- | --- |"
    assert out[4] == "| added | code | RI6 | Found in the data |  |"
    assert len(out) == 4 + 9


def test_diff_identical_and_level_change(cli, tmp_path):
    a, b = write(tmp_path, OLD, OLD)
    result = cli("codebook", "diff", a, b)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "no changes to codes, themes or constructs",
        f"{a} -> {b}: 0 added, 0 removed, 0 renamed, 0 redefined, 0 moved",
    ]
    # A flat codebook becoming themed: codes moved under a theme, the theme added
    flat = "codes:\n  - {id: A, label: a}\n  - {id: B, label: b}\n"
    themed = "themes:\n  - id: T\n    label: t\n    repeating_ideas:\n      - {id: A, label: a}\n"
    a, b = write(tmp_path, flat, themed)
    data = json.loads(cli("codebook", "diff", a, b, "-f", "json").stdout)
    assert [(c["change"], c["id"], c["detail"]) for c in data["changes"]] == [
        ("added", "T", ""),
        ("removed", "B", ""),
        ("moved", "A", "theme (none) -> T"),
    ]


def test_diff_origin_change_is_a_redefinition(cli, tmp_path):
    old = "codes:\n  - {id: A, label: a}\n  - {id: B, label: b, origin: deductive}\n"
    new = (
        "codes:\n  - {id: A, label: a, origin: deductive}\n"
        "  - {id: B, label: b, origin: inductive, added_by: ana, added_on: 2026-03-02}\n"
    )
    a, b = write(tmp_path, old, new)
    data = json.loads(cli("codebook", "diff", a, b, "-f", "json").stdout)
    # no origin is deductive: stating it changes nothing
    assert [(c["change"], c["id"], c["fields"], c["detail"]) for c in data["changes"]] == [
        (
            "redefined",
            "B",
            ["origin"],
            "origin deductive -> inductive (added on 2026-03-02 by ana)",
        )
    ]


def test_diff_ambiguous_labels_are_not_paired(cli, tmp_path):
    # two removed codes share a label: nothing says which one the new id replaces
    old = "codes:\n  - {id: A, label: same}\n  - {id: B, label: same}\n"
    new = "codes:\n  - {id: C, label: same}\n"
    a, b = write(tmp_path, old, new)
    data = json.loads(cli("codebook", "diff", a, b, "-f", "json").stdout)
    assert [(c["change"], c["id"]) for c in data["changes"]] == [
        ("added", "C"),
        ("removed", "A"),
        ("removed", "B"),
    ]


def test_diff_bad_files_are_errors_with_file_and_line(cli, tmp_path):
    a, b = write(tmp_path, OLD, "codes:\n  - id: A\n    lable: a\n")
    result = cli("codebook", "diff", a, b)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"error: {b}:3: unknown key 'lable' in a code; did you mean 'label'?" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"error: {b}: the codebook has")
    missing = cli("codebook", "diff", tmp_path / "nope.yaml", b)
    assert missing.exit_code == 1
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: codebook file not found"
