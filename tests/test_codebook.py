"""The codebook loader and checker: the hierarchy as written, every finding with its 1-based line."""

from __future__ import annotations

import textwrap

import pytest

from qualcode.codebook import (
    check_codebook,
    codebook_counts,
    codebook_tree,
    load_codebook,
    parse_codebook,
)
from qualcode.errors import CodebookError, FindingsError
from qualcode.model import ResearchConcern

GOOD = textwrap.dedent(
    """\
    title: Buprenorphine group visits
    research_concerns:
      - id: RC1
        text: How do patients experience group treatment?
      - Would they choose group or individual visits?
    constructs:
      - id: C1
        label: Treating the whole person
        themes:
          - id: T1
            label: Groups address the psychological side
            definition: The medication handles the body; cravings and feelings remain.
            repeating_ideas:
              - id: RI1
                label: "The medicine takes the cravings away"
                include: Talk about cravings easing.
                exclude: Cravings of other people.
                keywords: [craving, cravings]
                patterns: ['\\bcrav\\w*']
              - id: RI2
                label: "I want to know what it does to me"
                keywords: [side effects, interactions]
          - id: T2
            label: Balancing addiction with other conditions
            repeating_ideas:
              - id: RI3
                label: "My diabetes gets forgotten"
                keywords: [diabetes, blood pressure]
              - id: RI4
                label: "One-stop care"
                keywords: [one stop]
      - id: C2
        label: Belonging and choice
        themes:
          - id: T3
            label: Peer support
            repeating_ideas:
              - id: RI5
                label: "People who are not using"
                keywords: [not using]
                examples: ["I need people around me who are not using."]
              - id: RI6
                label: "Groups must be voluntary"
                definition: Mandated groups breed people who are not genuine.
                memo: merged from two earlier codes
    """
)


def write(tmp_path, text: str, name: str = "codebook.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_codebook_loads_in_file_order_with_lines(tmp_path):
    path = write(tmp_path, GOOD)
    assert check_codebook(path) == []
    cb = load_codebook(path)
    assert cb.title == "Buprenorphine group visits"
    assert cb.research_concerns == (
        ResearchConcern("RC1", "How do patients experience group treatment?"),
        ResearchConcern("RC2", "Would they choose group or individual visits?"),
    )
    assert [(k.id, k.label, k.line) for k in cb.constructs] == [
        ("C1", "Treating the whole person", 7),
        ("C2", "Belonging and choice", 32),
    ]
    assert [(t.id, t.construct_id, t.line) for t in cb.all_themes()] == [
        ("T1", "C1", 10),
        ("T2", "C1", 23),
        ("T3", "C2", 35),
    ]
    assert [(c.id, c.theme_id, c.construct_id, c.line) for c in cb.codes()] == [
        ("RI1", "T1", "C1", 14),
        ("RI2", "T1", "C1", 20),
        ("RI3", "T2", "C1", 26),
        ("RI4", "T2", "C1", 29),
        ("RI5", "T3", "C2", 38),
        ("RI6", "T3", "C2", 42),
    ]
    ri1 = cb.code("RI1")
    assert (ri1.include, ri1.exclude, ri1.keywords, ri1.patterns) == (
        "Talk about cravings easing.",
        "Cravings of other people.",
        ("craving", "cravings"),
        ("\\bcrav\\w*",),
    )
    assert cb.code("RI5").examples == ("I need people around me who are not using.",)
    assert codebook_counts(cb) == {"constructs": 2, "themes": 3, "repeating_ideas": 6}


def test_tree_is_the_whole_hierarchy(tmp_path):
    cb = load_codebook(write(tmp_path, GOOD))
    tree = codebook_tree(cb)
    assert [k["id"] for k in tree["constructs"]] == ["C1", "C2"]
    assert [[t["id"] for t in k["themes"]] for k in tree["constructs"]] == [["T1", "T2"], ["T3"]]
    assert tree["constructs"][1]["themes"][0]["repeating_ideas"][1] == {
        "id": "RI6",
        "label": "Groups must be voluntary",
        "definition": "Mandated groups breed people who are not genuine.",
        "include": "",
        "exclude": "",
        "examples": [],
        "keywords": [],
        "patterns": [],
        "attributes": {},
        "origin": "deductive",  # no origin: written in advance
        "added_by": "",
        "added_on": "",
        "line": 42,
    }
    assert tree["themes"] == [] and tree["codes"] == []


def test_flat_codes_and_top_level_themes(tmp_path):
    text = textwrap.dedent(
        """\
        themes:
          - id: T1
            label: Loose theme
            repeating_ideas:
              - {id: A, label: a}
        codes:
          - id: B
            label: b
        """
    )
    cb = load_codebook(write(tmp_path, text))
    assert [(c.id, c.theme_id, c.construct_id) for c in cb.codes()] == [
        ("A", "T1", None),
        ("B", None, None),
    ]
    assert cb.constructs == ()


def test_scalars_are_read_as_written_not_as_yaml_1_1_types(tmp_path):
    # YAML 1.1 would make `no` False, `01` the number 1 and `1.10` the float 1.1.
    text = "codes:\n  - id: 01\n    label: 1.10\n    keywords: [no, yes, on]\n"
    cb = load_codebook(write(tmp_path, text))
    code = cb.codes()[0]
    assert (code.id, code.label, code.keywords) == ("01", "1.10", ("no", "yes", "on"))


def findings_of(tmp_path, text: str):
    return [(f.kind, f.line, f.severity) for f in check_codebook(write(tmp_path, text))]


LEAF = "codes:\n  - id: A\n    label: a\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", [("empty-file", 1, "error")], id="empty-file"),
        pytest.param("# only a comment\n", [("empty-file", 1, "error")], id="comment-only"),
        pytest.param(
            "- id: A\n  label: a\n", [("not-a-mapping", 1, "error")], id="not-a-mapping-list"
        ),
        pytest.param("just text\n", [("not-a-mapping", 1, "error")], id="not-a-mapping-text"),
        pytest.param(
            "title: x\ncodes:\n  - id: A\n    label: a\n   bad: indentation\n",
            [("yaml-syntax", 5, "error")],
            id="yaml-syntax",
        ),
        pytest.param(
            'title: x\ncodes:\n  - id: A\n    label: "open\n',
            [("yaml-syntax", 5, "error")],
            id="yaml-syntax-unterminated",
        ),
        pytest.param("title: x\n\tcodes: []\n", [("yaml-syntax", 2, "error")], id="yaml-tab"),
        pytest.param(
            LEAF + "    lable: typo\n", [("unknown-key", 4, "error")], id="unknown-key-leaf"
        ),
        pytest.param("titel: x\n" + LEAF, [("unknown-key", 1, "error")], id="unknown-key-top"),
        pytest.param(
            LEAF + "  - id: A\n    label: again\n", [("duplicate-id", 4, "error")], id="dup-id"
        ),
        pytest.param(
            "constructs:\n  - id: X\n    label: c\n    themes:\n      - id: X\n        label: t\n"
            "        repeating_ideas:\n          - {id: A, label: a}\n",
            [("duplicate-id", 5, "error")],
            id="dup-id-across-levels",
        ),
        pytest.param(
            LEAF + "  - label: no id here\n", [("missing-id", 4, "error")], id="missing-id"
        ),
        pytest.param(
            LEAF + "  - id: ''\n    label: b\n", [("missing-id", 4, "error")], id="empty-id"
        ),
        pytest.param(LEAF + "  - id: B\n", [("missing-label", 4, "error")], id="missing-label"),
        pytest.param(
            "themes:\n  - id: T1\n    label: t\n" + LEAF,
            [("empty-theme", 2, "warning")],
            id="empty-theme",
        ),
        pytest.param(
            "themes:\n  - id: T1\n    label: t\n    repeating_ideas: []\n" + LEAF,
            [("empty-theme", 2, "warning")],
            id="empty-theme-list",
        ),
        pytest.param(
            "constructs:\n  - id: C1\n    label: c\n" + LEAF,
            [("empty-construct", 2, "warning")],
            id="empty-construct",
        ),
        pytest.param(
            LEAF + "    patterns:\n      - 'ok'\n      - '(unclosed'\n",
            [("invalid-regex", 6, "error")],
            id="invalid-regex",
        ),
        pytest.param(
            LEAF + "    patterns: ['']\n", [("empty-pattern", 4, "error")], id="empty-pattern"
        ),
        pytest.param(
            LEAF + '    patterns: ["\\bcrav"]\n',
            [("pattern-escape", 4, "warning")],
            id="pattern-escape",
        ),
        pytest.param(
            LEAF + "    patterns: ['x*']\n",
            [("pattern-matches-empty", 4, "warning")],
            id="pattern-matches-empty",
        ),
        pytest.param(
            LEAF + "    keywords:\n      - craving\n      - ''\n      -\n",
            [("empty-keyword", 6, "error"), ("empty-keyword", 7, "error")],
            id="empty-keyword",
        ),
        pytest.param(
            LEAF + "    keywords: [Craving, craving]\n",
            [("duplicate-keyword", 4, "warning")],
            id="duplicate-keyword",
        ),
        pytest.param(
            LEAF + "    keywords: ['?!']\n",
            [("keyword-no-letters", 4, "warning")],
            id="keyword-no-letters",
        ),
        pytest.param(
            LEAF + "    keywords: craving\n", [("wrong-type", 4, "error")], id="keywords-not-a-list"
        ),
        pytest.param(
            LEAF + "    label: twice\n", [("duplicate-key", 4, "error")], id="duplicate-key"
        ),
        pytest.param(
            "codes:\n  - just a string\n",
            [("no-codes", 1, "error"), ("not-a-mapping", 2, "error")],
            id="leaf-not-a-mapping",
        ),
        pytest.param("title: only a title\n", [("no-codes", 1, "error")], id="no-codes"),
        pytest.param(
            "research_concerns:\n  - id: RC1\n" + LEAF,
            [("missing-text", 2, "error")],
            id="missing-text",
        ),
        pytest.param(
            "title: !!python/object:os.system x\n" + LEAF,
            [("unsupported-tag", 1, "error")],
            id="unsupported-tag",
        ),
    ],
)
def test_each_finding_kind_with_its_line(tmp_path, text, expected):
    assert findings_of(tmp_path, text) == expected


def test_every_problem_is_reported_at_once(tmp_path):
    text = textwrap.dedent(
        """\
        title: draft
        constructs:
          - id: C1
            lable: typo
            themes:
              - id: T1
                label: theme
                repeating_ideas:
                  - id: C1
                    label: clash
                    keywords: ['']
                    patterns: ['[a-']
        """
    )
    assert findings_of(tmp_path, text) == [
        ("missing-label", 3, "error"),
        ("unknown-key", 4, "error"),
        ("duplicate-id", 9, "error"),
        ("empty-keyword", 11, "error"),
        ("invalid-regex", 12, "error"),
    ]


def test_messages_name_the_problem(tmp_path):
    text = LEAF + "    defintion: x\n  - id: A\n    label: b\n    keywords: ['']\n"
    messages = [f.message for f in check_codebook(write(tmp_path, text))]
    assert messages == [
        "unknown key 'defintion' in a code; did you mean 'definition'? (allowed: id, label, "
        "definition, include, exclude, examples, keywords, patterns, origin, added_by, added_on, memo, notes, "
        "color)",
        "duplicate id 'A' (first used at line 2); ids must be unique across the codebook",
        "empty keyword in code 'A'",
    ]


def test_codes_under_a_theme_suggests_repeating_ideas(tmp_path):
    text = "themes:\n  - id: T1\n    label: t\n    codes:\n      - {id: A, label: a}\n"
    messages = [f.message for f in check_codebook(write(tmp_path, text))]
    assert any(
        m.startswith("unknown key 'codes' in a theme; did you mean 'repeating_ideas'?")
        for m in messages
    )


def test_syntax_error_message_and_file(tmp_path):
    path = write(tmp_path, 'title: x\ncodes:\n  - id: A\n    label: "open\n')
    (finding,) = check_codebook(path)
    assert str(finding) == (
        f"{path}:5: YAML syntax error: found unexpected end of stream "
        "(while scanning a quoted scalar that starts at line 4)"
    )


def test_not_utf8_is_a_finding_with_its_line(tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_bytes(b"title: x\ncodes:\n  - id: A\n    label: caf\xe9\n")
    assert [(f.kind, f.line) for f in check_codebook(path)] == [("not-utf8", 4)]


def test_load_raises_with_every_error_and_keeps_warnings_apart(tmp_path):
    path = write(tmp_path, LEAF + "  - id: A\n    label: b\n  - id: C\n")
    with pytest.raises(FindingsError) as info:
        load_codebook(path)
    assert [(f.kind, f.line) for f in info.value.findings] == [
        ("duplicate-id", 4),
        ("missing-label", 6),
    ]
    assert str(info.value) == f"{path}: the codebook has 2 errors"


def test_warnings_do_not_block_loading(tmp_path):
    path = write(tmp_path, "themes:\n  - id: T1\n    label: t\n" + LEAF)
    warnings: list = []
    cb = load_codebook(path, warnings=warnings)
    assert cb.code_ids() == ["A"]
    assert [(w.kind, w.line, w.severity) for w in warnings] == [("empty-theme", 2, "warning")]


def test_missing_file_is_fatal(tmp_path):
    with pytest.raises(CodebookError, match="codebook file not found"):
        parse_codebook(tmp_path / "nope.yaml")
    with pytest.raises(CodebookError, match="got a folder"):
        parse_codebook(tmp_path)


def test_the_users_file_is_never_rewritten(tmp_path):
    path = write(tmp_path, GOOD)
    before = path.read_bytes()
    load_codebook(path)
    check_codebook(path)
    assert path.read_bytes() == before
