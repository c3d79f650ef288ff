"""Excerpts within turns (issue 16.1, the counts half): a coding's start_char/end_char is its
excerpt; quotes are the excerpt, counts say their unit, auto-codings' spans mark their keyword.

Measured on tests/data/long_answers (three interviews, ana's and ben's excerpts): ana marks 15
excerpts on 12 (turn, code) cells; RI1 has 3 coded turns and 4 excerpts (two in int01:2).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualcode.spans import ELLIPSIS, excerpt_text, merge_ranges, overlaps

LONG = Path(__file__).parent / "data" / "long_answers"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    folder = tmp_path_factory.mktemp("long_answers")
    shutil.copytree(LONG, folder / "study")
    seg = folder / "segments.csv"
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            str(folder / "study" / "transcripts"),
            "--roster",
            str(folder / "study" / "roster.csv"),
            "--source-type",
            "interview",
            "-o",
            str(seg),
        ],
    )
    assert result.exit_code == 0, result.output
    texts = {r["segment_id"]: r["text"] for r in csv.DictReader(seg.open(encoding="utf-8"))}
    return {"root": folder / "study", "segments": seg, "texts": texts}


def _report(cli, study, kind, codings, *extra):
    root = study["root"]
    result = cli(
        "report",
        kind,
        "--segments",
        study["segments"],
        "--codings",
        codings,
        "--codebook",
        root / "codebook.yaml",
        "--roster",
        root / "roster.csv",
        "-f",
        "json",
        *extra,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _write_codings(path: Path, rows: list[tuple]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["segment_id", "code_id", "coder", "origin", "memo", "start_char", "end_char"])
        for row in rows:
            w.writerow(row)
    return path


def test_ranges_and_excerpt_text():
    # ranges that share a character merge; touching ones stay two (as compare --unit span)
    assert merge_ranges([(10, 12), (0, 5), (3, 7), (7, 9)]) == [(0, 7), (7, 9), (10, 12)]
    assert merge_ranges([]) == []
    assert overlaps((0, 5), (4, 9)) and not overlaps((0, 5), (5, 9))
    text = "First one.  Second one. Third."
    assert excerpt_text(text, 0, len(text)) == text  # a whole turn stays verbatim
    assert excerpt_text(text, 10, 24) == f"{ELLIPSIS} Second one. {ELLIPSIS}"
    assert excerpt_text(text, 0, 10) == f"First one. {ELLIPSIS}"
    assert excerpt_text(text, 24, len(text)) == f"{ELLIPSIS} Third."
    assert excerpt_text("  padded  ", 2, 8) == "padded"  # only white space left out: no ellipsis


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(1, 20)).map(lambda t: (t[0], t[0] + t[1])),
        max_size=12,
    )
)
def test_merged_ranges_cover_the_same_characters_and_share_none(ranges):
    """Against a character-by-character union: same characters covered; merged ranges sorted and
    sharing no character; each merged range is a union of input ranges."""
    merged = merge_ranges(ranges)
    chars = {c for s, e in ranges for c in range(s, e)}
    assert {c for s, e in merged for c in range(s, e)} == chars
    assert all(a[1] <= b[0] for a, b in zip(merged, merged[1:], strict=False))
    assert len(merged) <= len(ranges)
    for s, e in merged:
        assert any(r[0] == s for r in ranges) and any(r[1] == e for r in ranges)


def test_hierarchy_counts_turns_and_excerpts(cli, study):
    out = _report(cli, study, "hierarchy", study["root"] / "codings" / "ana.csv")
    rows = [
        (r["id"], r["mentions"], r["excerpts"], r["participants"], r["interviews"])
        for r in out["tables"]["hierarchy"]
    ]
    assert rows == [
        ("T1", 4, 8, 3, 3),
        ("RI1", 3, 4, 3, 3),
        ("RI2", 4, 4, 3, 3),
        ("T2", 3, 7, 3, 3),
        ("RI3", 3, 3, 3, 3),
        ("RI4", 3, 4, 3, 3),
    ]
    assert any(n.startswith("Excerpts: these codings mark excerpts") for n in out["notes"])
    assert any("its quote is that excerpt" in n for n in out["notes"])


def test_an_exemplar_quote_is_the_excerpt(cli, study):
    texts = study["texts"]
    out = _report(cli, study, "hierarchy", study["root"] / "codings" / "ana.csv")
    quotes = out["tables"]["quotes"]
    assert len(quotes) == 12
    for q in quotes:
        turn = texts[q["segment_id"]]
        s, e = q["start_char"], q["end_char"]
        part = turn[s:e]
        assert part in q["text"] and len(q["text"]) < len(turn)  # never the whole long answer
        assert q["text"].startswith(ELLIPSIS) == bool(turn[:s].strip())
        assert q["text"].endswith(ELLIPSIS) == bool(turn[e:].strip())
        assert q["words"] == len(part.split())  # the length rule counts the excerpt
    flagged = [q for q in quotes if q["flagged"]]
    assert [(q["idea_id"], q["rank"], q["segment_id"]) for q in flagged] == [("RI3", 1, "int03:4")]
    assert flagged[0]["text"] == (
        f"{ELLIPSIS} If they made it a rule that you must go to group to get the prescription, I "
        "would not make it, and then what, I go back to the street? It has to be something you "
        "choose and something that fits around your life."
    )
    narrative = _report(cli, study, "narrative", study["root"] / "codings" / "ana.csv")
    assert [q["text"] for q in narrative["tables"]["quotes"]] == [q["text"] for q in quotes]


def test_documents_show_the_excerpt(cli, study, tmp_path):
    import docx
    import openpyxl

    root = study["root"]
    excerpt = "The problem is the time, with three kids and my cleaning job there is no morning"
    for fmt in ("md", "html", "docx", "xlsx"):
        out = tmp_path / f"h.{fmt}"
        result = cli(
            "report",
            "hierarchy",
            "--segments",
            study["segments"],
            "--codings",
            root / "codings" / "ana.csv",
            "--codebook",
            root / "codebook.yaml",
            "--roster",
            root / "roster.csv",
            "-o",
            out,
        )
        assert result.exit_code == 0, result.output
        if fmt == "docx":
            text = "\n".join(p.text for p in docx.Document(out).paragraphs)
        elif fmt == "xlsx":
            book = openpyxl.load_workbook(out, read_only=True)
            text = "\n".join(
                str(c)
                for ws in book.worksheets
                for row in ws.iter_rows(values_only=True)
                for c in row
            )
        else:
            text = out.read_text(encoding="utf-8")
        assert f"{ELLIPSIS} {excerpt}" in text, fmt
        # the rest of that long answer is not quoted
        assert "I started individual counselling after about six months" not in text, fmt


def test_codings_without_spans_report_as_before(cli, study, tmp_path):
    """No excerpts column, whole-turn quotes: a study without spans is unchanged."""
    plain = tmp_path / "plain.csv"
    rows = list(csv.reader((study["root"] / "codings" / "ana.csv").open(encoding="utf-8")))[1:]
    _write_codings(plain, [(*r[:5], "", "") for r in rows])
    out = _report(cli, study, "hierarchy", plain)
    assert "excerpts" not in out["tables"]["hierarchy"][0]
    assert all(q["text"] == study["texts"][q["segment_id"]] for q in out["tables"]["quotes"])
    assert all(q["start_char"] == "" for q in out["tables"]["quotes"])
    assert not any("excerpt" in n.lower() for n in out["notes"])


def test_an_auto_coding_quotes_the_turn_not_its_keyword(cli, study, tmp_path):
    root = study["root"]
    auto = tmp_path / "auto.csv"
    result = cli(
        "code",
        study["segments"],
        "--codebook",
        root / "codebook.yaml",
        "--coder",
        "auto",
        "--auto",
        "-o",
        auto,
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(auto.open(encoding="utf-8")))
    assert any(r["start_char"] for r in rows)  # the file records where each keyword matched
    out = _report(cli, study, "hierarchy", auto)
    assert "excerpts" not in out["tables"]["hierarchy"][0]
    quotes = out["tables"]["quotes"]
    assert quotes and all(q["text"] == study["texts"][q["segment_id"]] for q in quotes)


def test_two_excerpts_of_one_code_in_a_turn_are_allowed_and_overlaps_merge(cli, study, tmp_path):
    text = study["texts"]["int01:2"]
    codings = _write_codings(
        tmp_path / "c.csv",
        [
            ("int01:2", "RI1", "x", "manual", "", 0, 20),
            ("int01:2", "RI1", "x", "manual", "", 10, 56),  # overlaps the first: one excerpt
            ("int01:2", "RI1", "x", "manual", "", 153, 289),  # a second excerpt
            ("int01:2", "RI2", "x", "manual", "", 40, 60),  # shares text with RI1's first
            ("int02:2", "RI1", "x", "manual", "", "", ""),  # the whole turn
            ("int02:2", "RI1", "x", "manual", "", 54, 70),  # inside the whole turn: adds nothing
        ],
    )
    out = _report(cli, study, "hierarchy", codings)
    ri1 = next(r for r in out["tables"]["hierarchy"] if r["id"] == "RI1")
    assert (ri1["mentions"], ri1["excerpts"]) == (2, 3)
    quotes = {(q["segment_id"], q["start_char"]): q for q in out["tables"]["quotes"]}
    assert quotes[("int01:2", 0)]["end_char"] == 56
    assert quotes[("int01:2", 0)]["text"] == text[0:56] + f" {ELLIPSIS}"
    co = _report(cli, study, "cooccurrence", codings)
    pairs = [(p["code_a"], p["code_b"], p["both"], p["overlapping"]) for p in co["tables"]["pairs"]]
    assert pairs == [("RI1", "RI2", 1, 1)]
    assert any("whether or not their excerpts overlap" in n for n in co["notes"])
    # compare (turn-level) reads two rows of one (segment, code) as one decision
    ana = study["root"] / "codings" / "ana.csv"
    result = cli("compare", codings, ana, "--segments", study["segments"], "-f", "json")
    assert result.exit_code == 0, result.output
    ri1 = next(r for r in json.loads(result.stdout)["per_code"] if r["code_id"] == "RI1")
    assert (ri1["both"], ri1["only_a"]) == (2, 0)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("0", "9999", "span 0..9999 does not fit in segment 'int01:2'"),
        ("30", "30", "span 30..30 does not fit in segment 'int01:2'"),
        ("5", "", "start_char and end_char must both be given or both be empty"),
    ],
)
def test_a_span_that_does_not_fit_its_turn_is_refused_with_its_row(
    cli, study, tmp_path, start, end, message
):
    root = study["root"]
    bad = _write_codings(
        tmp_path / "bad.csv",
        [
            ("int01:4", "RI4", "x", "manual", "", "", ""),
            ("int01:2", "RI1", "x", "manual", "", start, end),
        ],
    )
    result = cli(
        "report",
        "hierarchy",
        "--segments",
        study["segments"],
        "--codings",
        bad,
        "--codebook",
        root / "codebook.yaml",
    )
    assert result.exit_code == 1
    assert f"error: {bad}:3: {message}" in result.output
    assert "Traceback" not in result.output


def test_counts_reports_state_their_unit(cli, study):
    ana = study["root"] / "codings" / "ana.csv"
    crosstab = _report(cli, study, "crosstab", ana, "--by", "gender")
    saturation = _report(cli, study, "saturation", ana, "--base", "1", "--run", "1")
    for out in (crosstab, saturation):
        assert any(
            "counts coded turns (segments), participants and transcripts, not excerpts" in n
            for n in out["notes"]
        )


def _selections(qdpx: Path) -> list[tuple[str, str]]:
    """(user name, selected text) of every PlainTextSelection, read from the exported sources."""
    import xml.etree.ElementTree as ET
    import zipfile

    ns = {"q": "urn:QDA-XML:project:1.0"}
    with zipfile.ZipFile(qdpx) as zf:
        root = ET.fromstring(zf.read("project.qde"))
        users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", ns)}
        out = []
        for source in root.iterfind(".//q:TextSource", ns):
            member = "sources/" + source.get("plainTextPath").removeprefix("internal://")
            text = zf.read(member).decode("utf-8")
            for sel in source.iterfind("q:PlainTextSelection", ns):
                start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                out.append((users[sel.get("creatingUser")], text[start:end]))
    return sorted(out)


def test_refi_export_selects_each_excerpt_and_the_turn_of_an_auto_coding(cli, study, tmp_path):
    """Two excerpts of one code in a turn are two selections; an auto-coding selects its turn (its
    span is where the keyword matched); import gives every row back exactly, and another program's
    view of the file (no qualcode data note) gives back the same spans."""
    root, texts = study["root"], study["texts"]
    auto = tmp_path / "auto.csv"
    assert (
        cli(
            "code",
            study["segments"],
            "--codebook",
            root / "codebook.yaml",
            "--coder",
            "auto",
            "--auto",
            "-o",
            auto,
        ).exit_code
        == 0
    )
    files = [root / "codings" / "ana.csv", root / "codings" / "ben.csv", auto]
    out = tmp_path / "long.qdpx"
    args = ["export", "qdpx", "--segments", study["segments"], "--codebook", root / "codebook.yaml"]
    for f in files:
        args += ["--codings", f]
    result = cli(*args, "--roster", root / "roster.csv", "-o", out)
    assert result.exit_code == 0, result.output
    expected = []
    for f in files:
        for r in csv.DictReader(f.open(encoding="utf-8")):
            if not r["code_id"]:
                continue
            turn = texts[r["segment_id"]]
            whole = r["origin"] == "auto" or not r["start_char"]
            part = turn if whole else turn[int(r["start_char"]) : int(r["end_char"])]
            expected.append((r["coder"], part))
    assert _selections(out) == sorted(expected)
    assert sum(1 for coder, _ in expected if coder == "ana") == 15

    def rows(path: Path) -> list[tuple[str, ...]]:
        return [
            (r["segment_id"], r["code_id"], r["origin"], r["start_char"], r["end_char"])
            for r in csv.DictReader(path.open(encoding="utf-8"))
        ]

    assert cli("import", "qdpx", out, "-o", tmp_path / "back").exit_code == 0
    for f in files:
        assert rows(tmp_path / "back" / "codings" / f.name) == rows(f)
    # As another program gives it back: the excerpts come from the selections (origin import).
    from tests.test_refi_cases import _without_qualcode_data

    other = _without_qualcode_data(out, tmp_path / "other.qdpx")
    result = cli("import", "qdpx", other, "-o", tmp_path / "other")
    assert result.exit_code == 0, result.output
    for f in files[:2]:
        spans = sorted((s, c, a, b) for s, c, _, a, b in rows(f) if c)
        back = sorted(
            (s, c, a, b) for s, c, _, a, b in rows(tmp_path / "other" / "codings" / f.name) if c
        )
        assert back == spans


def test_the_readme_carries_out_the_long_answer_study(repo, tmp_path, runner, monkeypatch):
    """The README section's commands, run as written in a copy of the example: the hierarchy
    quotes excerpts, and the export imports back to the coders' own rows."""
    from tests.test_examples_run import _run, readme_commands

    text = (repo / "README.md").read_text(encoding="utf-8")
    section = text.split("## A long-answer interview study", 1)[1].split("\n## ", 1)[0]
    commands = [c for c, _ in readme_commands(section) if c.startswith(("qualcode", "cd "))]
    assert [c.split()[1] for c in commands if c.startswith("qualcode")] == [
        "ingest",
        "compare",
        "compare",
        "reconcile",
        "report",
        "export",
        "import",
    ]
    shutil.copytree(LONG, tmp_path / "tests" / "data" / "long_answers")
    monkeypatch.chdir(tmp_path)
    for line in commands:
        if line.startswith("cd "):
            monkeypatch.chdir(tmp_path / line[3:])
            continue
        result = _run(runner, line.replace(" /tmp/", f" {tmp_path}/scratch/"))
        assert result.exit_code == 0, f"{line}\n{result.output}"
    out = tmp_path / "scratch" / "long"
    report = (out / "hierarchy.md").read_text(encoding="utf-8")
    assert "| mentions | excerpts |" in report
    quoted = [line for line in report.splitlines() if line.strip().startswith('> "')]
    assert len(quoted) == 12 and all(ELLIPSIS in q for q in quoted)
    for name in ("ana", "ben"):
        mine = (LONG / "codings" / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        back = (out / "imported" / "codings" / f"{name}.csv").read_text(encoding="utf-8")
        cells = [",".join(r.split(",")[:7]) for r in back.splitlines()]
        assert cells == mine


def _cells(path: Path) -> list[tuple[str, ...]]:
    return [
        (r["segment_id"], r["code_id"], r["start_char"], r["end_char"], r["memo"])
        for r in csv.DictReader(path.open(encoding="utf-8"))
        if r["code_id"]
    ]


def test_a_consensus_keeps_the_excerpts(cli, study, tmp_path):
    """Where both coders applied a code: the union of their excerpts (prefer-a / prefer-b: that
    coder's); a code one coder applied keeps that coder's excerpts; memos stay on their excerpt."""
    root = study["root"]
    ana, ben = root / "codings" / "ana.csv", root / "codings" / "ben.csv"
    union = tmp_path / "union.csv"
    result = cli("reconcile", ana, ben, "--strategy", "union", "-o", union)
    assert result.exit_code == 0, result.output
    assert (
        "Excerpts: both coders applied the same code to the same turn but marked different "
        "excerpts 5 times; where both coders applied a code, the consensus keeps the text either "
        "of them marked (the union of their excerpts; a whole-turn coding covers the turn)."
    ) in result.output
    cells = _cells(union)
    # int01:2 RI1: ana's 0-56 and 153-289 lie inside ben's 0-337
    assert [c[:4] for c in cells if c[:2] == ("int01:2", "RI1")] == [("int01:2", "RI1", "0", "337")]
    # int01:4 RI4: ana marked two excerpts, ben the first of them
    assert [c[2:4] for c in cells if c[:2] == ("int01:4", "RI4")] == [("0", "106"), ("290", "458")]
    # ben's memo is on his second excerpt of RI2, not on the first
    assert [c[2:] for c in cells if c[:2] == ("int02:2", "RI2")] == [
        ("270", "419", ""),
        ("515", "628", "ben: the doctor asking about moods"),
    ]
    # kept by the union, applied by one coder: that coder's excerpt
    assert ("int02:4", "RI2", "355", "471", "") in cells  # ana's
    assert ("int03:4", "RI2", "182", "257", "") in cells  # ben's
    prefer_b = tmp_path / "b.csv"
    assert cli("reconcile", ana, ben, "--strategy", "prefer-b", "-o", prefer_b).exit_code == 0
    assert [c[2:4] for c in _cells(prefer_b) if c[:2] == ("int01:2", "RI2")] == [("385", "456")]
    prefer_a = tmp_path / "a.csv"
    assert cli("reconcile", ana, ben, "--strategy", "prefer-a", "-o", prefer_a).exit_code == 0
    assert [c[2:4] for c in _cells(prefer_a) if c[:2] == ("int01:2", "RI1")] == [
        ("0", "56"),
        ("153", "289"),
    ]
    # A negotiated log replayed gives the same excerpts as the rule it records.
    replay = tmp_path / "replay.csv"
    log = tmp_path / "union.decisions.csv"
    assert cli("reconcile", ana, ben, "--decisions", log, "-o", replay).exit_code == 0
    assert [c[:4] for c in _cells(replay)] == [c[:4] for c in cells]
    # The consensus reports like any codings: excerpt quotes from it.
    out = _report(cli, study, "hierarchy", union)
    ri1 = next(r for r in out["tables"]["hierarchy"] if r["id"] == "RI1")
    assert (ri1["mentions"], ri1["excerpts"]) == (3, 3)


def test_a_consensus_from_auto_codings_has_no_keyword_spans(cli, study, tmp_path):
    root = study["root"]
    auto = tmp_path / "auto.csv"
    args = ["--codebook", root / "codebook.yaml", "--coder", "auto", "--auto", "-o", auto]
    assert cli("code", study["segments"], *args).exit_code == 0
    out = tmp_path / "c.csv"
    result = cli("reconcile", auto, root / "codings" / "ben.csv", "--strategy", "union", "-o", out)
    assert result.exit_code == 0, result.output
    auto_cells = {c[:2] for c in _cells(auto)}
    assert any(s for _, _, s, _, _ in _cells(auto))  # auto.csv records keyword positions
    cells = _cells(out)
    assert auto_cells <= {c[:2] for c in cells}
    # every code auto applied covers its whole turn (a keyword is not an excerpt)
    assert all((s, e) == ("", "") for seg, code, s, e, _ in cells if (seg, code) in auto_cells)


def test_a_majority_keeps_the_excerpts_of_the_coders_who_applied_the_code(cli, study, tmp_path):
    root = study["root"]
    cy = _write_codings(
        tmp_path / "cy.csv",
        [
            ("int01:2", "RI1", "cy", "manual", "", 400, 450),
            ("int01:2", "RI2", "cy", "manual", "", 338, 384),
            ("int01:4", "", "cy", "manual", "", "", ""),
        ],
    )
    out = tmp_path / "m.csv"
    files = (root / "codings" / "ana.csv", root / "codings" / "ben.csv", cy)
    result = cli("reconcile", *files, "--strategy", "majority", "-o", out)
    assert result.exit_code == 0, result.output
    cells = [c[:4] for c in _cells(out) if c[0] in ("int01:2", "int01:4")]
    assert cells == [
        ("int01:2", "RI1", "0", "337"),  # ana + ben merged; cy's 400-450 apart
        ("int01:2", "RI1", "400", "450"),
        ("int01:2", "RI2", "338", "600"),  # ana 338-600, ben 385-456, cy 338-384
        ("int01:4", "RI3", "459", "560"),  # ana and ben: 2 of 3
        ("int01:4", "RI4", "0", "106"),
        ("int01:4", "RI4", "290", "458"),
    ]


def test_span_agreement_reads_an_auto_coding_as_its_whole_turn(cli, study, tmp_path):
    """compare --unit span: an auto-coder's units are the turns it coded, not its keywords."""
    root = study["root"]
    auto = tmp_path / "auto.csv"
    args = ["--codebook", root / "codebook.yaml", "--coder", "auto", "--auto", "-o", auto]
    assert cli("code", study["segments"], *args).exit_code == 0
    result = cli(
        "compare",
        auto,
        root / "codings" / "ben.csv",
        "--segments",
        study["segments"],
        "--reviewed",
        "all",
        "--unit",
        "span",
    )
    assert result.exit_code == 0, result.output
    assert "All codings of auto are whole turns" in result.output
    lengths = {s: len(t) for s, t in study["texts"].items()}
    auto_rows = list(csv.DictReader(auto.open(encoding="utf-8")))
    marked = sum(lengths[r["segment_id"]] for r in auto_rows if r["code_id"] == "RI1")
    # RI1's characters auto marked = the whole turns it coded (both + only auto)
    line = next(x for x in result.output.splitlines() if x.strip().startswith("RI1 "))
    both, only_a = (int(v) for v in line.split()[2].split("/")[:2])
    assert both + only_a == marked


def test_a_quote_flag_on_one_excerpt_flags_that_excerpt(cli, study, tmp_path):
    codings = _write_codings(
        tmp_path / "flag.csv",
        [
            ("int01:2", "RI1", "x", "manual", "", 0, 56),
            ("int01:2", "RI1", "x", "manual", "#quote", 153, 289),
            ("int02:2", "RI1", "x", "manual", "", 54, 269),
            ("int03:2", "RI1", "x", "manual", "", 0, 142),
        ],
    )
    out = _report(cli, study, "hierarchy", codings)
    quotes = [
        (q["rank"], q["segment_id"], q["start_char"], q["flagged"])
        for q in out["tables"]["quotes"]
        if q["idea_id"] == "RI1"
    ]
    assert quotes[0] == (1, "int01:2", 153, True)
    assert (1, "int01:2", 0, True) not in quotes and all(q[3] is False for q in quotes[1:])
