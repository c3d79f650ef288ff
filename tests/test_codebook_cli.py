"""`qualcode codebook check|show` on real files."""

from __future__ import annotations

import json
import textwrap

from qualcode.codebook import codebook_tree, load_codebook

GOOD = textwrap.dedent(
    """\
    title: Group visits
    constructs:
      - id: C1
        label: Whole person
        themes:
          - id: T1
            label: Psychological side
            definition: Cravings and feelings remain.
            repeating_ideas:
              - id: RI1
                label: "It takes the cravings away"
                include: Cravings easing.
                keywords: [craving]
              - id: RI2
                label: "[sic] what it does to me"
          - id: T2
            label: Other conditions
            repeating_ideas:
              - {id: RI3, label: Diabetes forgotten}
              - {id: RI4, label: One-stop care}
      - id: C2
        label: Belonging
        themes:
          - id: T3
            label: Peer support
            repeating_ideas:
              - {id: RI5, label: Not using}
              - {id: RI6, label: Voluntary}
    """
)

BAD = textwrap.dedent(
    """\
    codes:
      - id: A
        label: a
        keywords: ['']
      - id: A
        lable: b
    themes:
      - id: T1
        label: empty
    """
)


def test_check_good_codebook(cli, tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = cli("codebook", "check", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "origin: 6 deductive (written in advance), 0 inductive (found during coding)\n"
        "2 constructs, 3 themes, 6 repeating ideas; 0 errors, 0 warnings\n"
    )


def test_check_reports_every_problem_and_exits_1(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = cli("codebook", "check", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {path}:4: empty keyword in code 'A'",
        f"error: {path}:5: duplicate id 'A' (first used at line 2); ids must be unique across "
        "the codebook",
        f"error: {path}:5: code 'A' has no label",
        f"error: {path}:6: unknown key 'lable' in a code; did you mean 'label'? (allowed: id, "
        "label, definition, include, exclude, examples, keywords, patterns, origin, added_by, added_on, memo, notes, "
        "color)",
        f"warning: {path}:8: theme 'T1' has no repeating ideas (add repeating_ideas: with at "
        "least one)",
    ]
    # the problems go to stderr, the summary stays on stdout
    assert result.stdout == (
        "origin: 2 deductive (written in advance), 0 inductive (found during coding)\n"
        "0 constructs, 1 theme, 2 repeating ideas; 4 errors, 1 warning\n"
    )


def test_check_warnings_only_exit_0(cli, tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text("themes:\n  - {id: T1, label: t}\ncodes:\n  - {id: A, label: a}\n")
    result = cli("codebook", "check", path)
    assert result.exit_code == 0
    assert result.stdout == (
        "origin: 1 deductive (written in advance), 0 inductive (found during coding)\n"
        "0 constructs, 1 theme, 1 repeating idea; 0 errors, 1 warning\n"
    )
    assert result.stderr.startswith(f"warning: {path}:2: theme 'T1' has no repeating ideas")


def test_check_syntax_error_and_list_top(cli, tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("title: x\ncodes:\n  - id: A\n    label: a\n   oops: 1\n")
    result = cli("codebook", "check", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(f"error: {path}:5: YAML syntax error: ")
    listed = tmp_path / "list.yaml"
    listed.write_text("- id: A\n  label: a\n")
    result = cli("codebook", "check", listed)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {listed}:1: the codebook must be a mapping with title:, constructs:, themes: "
        "or codes:, got a list"
    )


def test_check_missing_file(cli, tmp_path):
    result = cli("codebook", "check", tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.yaml'}: codebook file not found"


def test_show_tree(cli, tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = cli("codebook", "show", path)
    assert result.exit_code == 0, result.output
    lines = [line.strip("│├└─ ") for line in result.stdout.splitlines()]
    assert lines == [
        "Group visits",
        "C1  Whole person",
        "T1  Psychological side",
        "RI1  It takes the cravings away",
        "RI2  [sic] what it does to me",  # user text is never read as rich markup
        "T2  Other conditions",
        "RI3  Diabetes forgotten",
        "RI4  One-stop care",
        "C2  Belonging",
        "T3  Peer support",
        "RI5  Not using",
        "RI6  Voluntary",
        "origin: 6 deductive (written in advance), 0 inductive (found during coding)",
    ]


def test_show_definitions(cli, tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = cli("codebook", "show", path, "--definitions")
    assert result.exit_code == 0
    lines = [line.strip("│├└─ ") for line in result.stdout.splitlines()]
    assert lines[2:7] == [
        "T1  Psychological side",
        "definition: Cravings and feelings remain.",
        "RI1  It takes the cravings away",
        "include: Cravings easing.",
        "keywords: craving",
    ]


def test_show_json_equals_the_core(cli, tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = cli("codebook", "show", path, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == codebook_tree(load_codebook(path))


def test_show_refuses_a_codebook_with_errors(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = cli("codebook", "show", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {path}:4: empty keyword in code 'A'",
        f"error: {path}:5: duplicate id 'A' (first used at line 2); ids must be unique across "
        "the codebook",
        f"error: {path}:5: code 'A' has no label",
        f"error: {path}:6: unknown key 'lable' in a code; did you mean 'label'? (allowed: id, "
        "label, definition, include, exclude, examples, keywords, patterns, origin, added_by, added_on, memo, notes, "
        "color)",
        f"error: {path}: the codebook has 4 errors",
    ]
    assert "Traceback" not in result.output
