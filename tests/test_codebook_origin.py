"""Codes found during coding (issue 16.2): `origin: deductive|inductive`, `added_by`, `added_on`
read from the codebook, checked by `codebook check`, counted by `check` and `show`, and stated in
the methods paragraph (COREQ item 26)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from qualcode.analysis.data import load_study
from qualcode.analysis.methods import BY_HAND, FROM_DATA, methods_report
from qualcode.codebook import codebook_origins, load_codebook
from qualcode.io import read_codings, read_segments
from qualcode.roster import read_roster

SCAFFOLD = Path(__file__).parent / "data" / "report_scaffold"

MIXED = textwrap.dedent(
    """\
    title: Collaborative care
    themes:
      - id: T1
        label: Working together
        repeating_ideas:
          - id: RI1
            label: The care manager calls
            origin: deductive
          - id: RI2
            label: Nobody told me
          - id: RI3
            label: The psychiatrist never met me
            origin: inductive
            added_by: ana
            added_on: 2026-03-02
            component: core
    """
)


def write(tmp_path, text, name="cb.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_origin_keys_are_read_not_attributes(tmp_path):
    cb = load_codebook(write(tmp_path, MIXED))
    ri1, ri2, ri3 = cb.codes()
    assert (ri1.origin, ri2.origin, ri3.origin) == ("deductive", "", "inductive")
    assert (ri3.added_by, ri3.added_on) == ("ana", "2026-03-02")
    assert not ri2.inductive and ri3.inductive
    # origin, added_by and added_on are known keys; component stays an attribute
    assert ri3.attributes == (("component", "core"),)
    assert codebook_origins(cb) == {"deductive": 2, "inductive": 1}


def test_check_and_show_count_deductive_and_inductive(cli, tmp_path):
    path = write(tmp_path, MIXED)
    check = cli("codebook", "check", path)
    assert check.exit_code == 0, check.output
    assert check.stdout.splitlines() == [
        "attribute component: 1 code (core 1)",
        "origin: 2 deductive (written in advance), 1 inductive (found during coding)",
        "0 constructs, 1 theme, 3 repeating ideas; 0 errors, 0 warnings",
    ]
    show = cli("codebook", "show", path)
    assert show.exit_code == 0, show.output
    lines = show.stdout.splitlines()
    # (rich wraps the tree at the terminal width)
    words = " ".join(show.stdout.split())
    assert "RI3 The psychiatrist never met me (inductive, added on 2026-03-02 by ana)" in words
    assert "RI2 Nobody told me (inductive" not in words
    assert (
        lines[-1] == "origin: 2 deductive (written in advance), 1 inductive (found during coding)"
    )
    data = json.loads(cli("codebook", "show", path, "-f", "json").stdout)
    ideas = data["themes"][0]["repeating_ideas"]
    assert [(i["origin"], i["added_by"], i["added_on"]) for i in ideas] == [
        ("deductive", "", ""),
        ("deductive", "", ""),
        ("inductive", "ana", "2026-03-02"),
    ]
    assert ideas[2]["attributes"] == {"component": "core"}


def test_bad_origin_and_date_are_errors_with_file_and_line(cli, tmp_path):
    path = write(
        tmp_path,
        textwrap.dedent(
            """\
            codes:
              - id: A
                label: a
                origin: found
              - id: B
                label: b
                origin: Inductive
                added_by: ben
                added_on: 2026-02-30
              - id: C
                label: c
                origin: inductive
                added_on: 02/03/2026
              - id: D
                label: d
                orgin: inductive
              - id: E
                label: e
                origin: inductive
            """
        ),
    )
    result = cli("codebook", "check", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {path}:4: origin 'found' of code 'A' must be deductive (written in advance) or "
        "inductive (found during coding)",
        f"error: {path}:9: added_on '2026-02-30' of code 'B' is not a date written YYYY-MM-DD "
        "(e.g. 2026-03-02)",
        f"error: {path}:13: added_on '02/03/2026' of code 'C' is not a date written YYYY-MM-DD "
        "(e.g. 2026-03-02)",
        # a typo of origin is a typo, not an attribute
        f"error: {path}:16: unknown key 'orgin' in a code; did you mean 'origin'? (allowed: id, "
        "label, definition, include, exclude, examples, keywords, patterns, origin, added_by, "
        "added_on, memo, notes, color)",
        f"warning: {path}:17: inductive code 'E' has no added_by or added_on; the methods "
        "paragraph cannot say who added it, or when",
    ]
    # origin is read case-insensitively: B, C and E count as inductive (A, D as deductive)
    assert "origin: 2 deductive (written in advance), 3 inductive (found during coding)" in (
        result.stdout
    )
    # the same errors stop every command that reads the codebook
    show = cli("codebook", "show", path)
    assert show.exit_code == 1
    assert "Traceback" not in show.output


def _study(tmp_path: Path, codebook_text: str | None, *, order=None, roster_text=None):
    for name in ("segments.csv", "consensus.csv", "roster.csv", "codebook.yaml"):
        shutil.copy(SCAFFOLD / name, tmp_path / name)
    if codebook_text is not None:
        (tmp_path / "codebook.yaml").write_text(codebook_text, encoding="utf-8")
    if roster_text is not None:
        (tmp_path / "roster.csv").write_text(roster_text, encoding="utf-8")
    return load_study(
        read_segments(tmp_path / "segments.csv"),
        read_codings(tmp_path / "consensus.csv"),
        codebook=load_codebook(tmp_path / "codebook.yaml"),
        roster=read_roster(tmp_path / "roster.csv"),
        order=order,
    )


def _with_origins(text: str) -> str:
    """The scaffold codebook with its last code marked inductive and the first deductive."""
    cb = load_codebook(SCAFFOLD / "codebook.yaml")
    ids = cb.code_ids()
    lines = text.splitlines()
    out = []
    for line in lines:
        out.append(line)
        stripped = line.strip()
        for ident, extra in (
            (ids[0], ["origin: deductive"]),
            (ids[-1], ["origin: inductive", "added_by: ana", "added_on: 2026-03-02"]),
        ):
            if stripped in (f"- id: {ident}", f"id: {ident}"):
                indent = " " * (len(line) - len(line.lstrip()) + (2 if "- " in stripped else 0))
                out.extend(indent + e for e in extra)
    return "\n".join(out) + "\n"


def test_methods_states_deductive_and_inductive_codes(tmp_path):
    text = _with_origins((SCAFFOLD / "codebook.yaml").read_text(encoding="utf-8"))
    data = _study(tmp_path, text)
    codes = data.codebook.codes()
    assert [c.origin for c in codes][0] == "deductive" and codes[-1].inductive
    n = len(codes)
    last = codes[-1]
    report = methods_report(data)
    expected = (
        f"Of the {n} codes, {n - 1} were written in advance (deductive) and 1 was added during "
        f"coding, from the data (inductive): {last.id} '{last.label}' (added on 2026-03-02 by "
        "ana; not applied in these codings)."
    )
    sentences = dict(zip(report.sentences["sentence"], report.sentences["status"], strict=True))
    assert sentences[expected] == FROM_DATA
    # themes are still the researcher's to state (COREQ 26 is about themes)
    assert sentences["[To complete: whether themes were identified in advance or from the data.]"]
    values = dict(zip(report.coreq["number"], report.coreq["value"], strict=True))
    status = dict(zip(report.coreq["number"], report.coreq["status"], strict=True))
    assert values[26].startswith(f"of the {n} codes, {n - 1} were written in advance")
    assert status[26] == BY_HAND
    assert report.facts["code_origins"] == {
        "deductive": n - 1,
        "inductive": 1,
        "inductive_codes": [
            {
                "id": last.id,
                "label": last.label,
                "added_on": "2026-03-02",
                "added_by": "ana",
                "first_transcript": None,
                "transcripts": [],
            }
        ],
    }


def test_methods_flat_codebook_with_origins_is_from_data(tmp_path):
    data = _study(tmp_path, None)
    ids = data.codebook.code_ids()
    flat = "codes:\n" + "".join(
        f"  - id: {i}\n    label: code {i}\n    origin: deductive\n" for i in ids
    )
    data = _study(tmp_path, flat)
    report = methods_report(data)
    values = dict(zip(report.coreq["number"], report.coreq["value"], strict=True))
    status = dict(zip(report.coreq["number"], report.coreq["status"], strict=True))
    n = len(ids)
    assert values[26] == (
        f"of the {n} codes, {n} were written in advance (deductive) and 0 were added during "
        "coding, from the data (inductive)"
    )
    assert status[26] == FROM_DATA
    assert "[To complete: whether codes were defined in advance" not in report.paragraph


def test_methods_without_any_origin_leaves_derivation_to_the_researcher(tmp_path):
    report = methods_report(_study(tmp_path, None))
    assert "code_origins" not in report.facts
    assert "written in advance (deductive)" not in report.paragraph
    assert "[To complete: whether themes were identified in advance" in report.paragraph


def test_report_methods_cli_prints_the_origin_sentence(cli, tmp_path):
    text = _with_origins((SCAFFOLD / "codebook.yaml").read_text(encoding="utf-8"))
    _study(tmp_path, text)
    result = cli(
        "report", "methods",
        "--segments", tmp_path / "segments.csv", "--codings", tmp_path / "consensus.csv",
        "--roster", tmp_path / "roster.csv", "--codebook", tmp_path / "codebook.yaml",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["summary"]["code_origins"]["inductive"] == 1
    assert "added on 2026-03-02 by ana" in out["summary"]["paragraph"]


# The scaffold's consensus (tests/data/report_scaffold/consensus.csv, checked by hand): RI2 is
# applied in G1 and G2, RI3 in G2 and G3; the roster's event_order is G1, G2, G3.
FIRST = textwrap.dedent(
    """\
    codes:
      - {id: RI1, label: the pill, origin: deductive}
      - {id: RI2, label: not using, origin: inductive, added_by: ana, added_on: 2026-03-02}
      - {id: RI3, label: voluntary, origin: inductive, added_by: ben, added_on: 2026-03-09}
      - {id: RI4, label: never applied}
    """
)


def _inductive(report):
    return {
        c["id"]: (c["first_transcript"], c["transcripts"])
        for c in report.facts["code_origins"]["inductive_codes"]
    }


def test_methods_names_the_transcript_each_inductive_code_first_appeared_in(tmp_path):
    report = methods_report(_study(tmp_path, FIRST))
    assert _inductive(report) == {"RI2": ("G1", ["G1", "G2"]), "RI3": ("G2", ["G2", "G3"])}
    assert (
        "Of the 4 codes, 2 were written in advance (deductive) and 2 were added during coding, "
        "from the data (inductive): RI2 'not using' (added on 2026-03-02 by ana; first applied "
        "in G1); RI3 'voluntary' (added on 2026-03-09 by ben; first applied in G2)."
    ) in report.paragraph
    # first follows the order the events took place, not the order of segments.csv
    report = methods_report(_study(tmp_path, FIRST, order=["G3", "G2", "G1"]))
    assert _inductive(report) == {"RI2": ("G2", ["G2", "G1"]), "RI3": ("G3", ["G3", "G2"])}
    assert "RI3 'voluntary' (added on 2026-03-09 by ben; first applied in G3)" in report.paragraph


def test_without_event_order_no_transcript_is_called_first(tmp_path):
    roster = (SCAFFOLD / "roster.csv").read_text(encoding="utf-8").splitlines()
    header = roster[0].split(",")
    drop = header.index("event_order")
    text = "\n".join(
        ",".join(v for i, v in enumerate(line.split(",")) if i != drop) for line in roster
    )
    report = methods_report(_study(tmp_path, FIRST, roster_text=text + "\n"))
    assert _inductive(report) == {"RI2": (None, ["G1", "G2"]), "RI3": (None, ["G2", "G3"])}
    assert (
        "RI2 'not using' (added on 2026-03-02 by ana; applied in G1, G2; the order of the events "
        "is unknown)"
    ) in report.paragraph
