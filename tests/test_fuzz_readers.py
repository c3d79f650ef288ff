"""Fuzzing the readers of files people make by hand: codings, segments, roster, decisions, codebook.

Property: whatever the bytes, a reader returns its table (or codebook) or raises QualcodeError (one
`error:` line for the user); never another exception, which the CLI would print as a traceback. And
the CLI commands write nothing outside the folder their -o names (beside it: lock files, backups).
A long budget: QUALCODE_FUZZ_EXAMPLES=500 python -m pytest tests/test_fuzz_readers.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualcode.codebook import load_codebook
from qualcode.errors import QualcodeError
from qualcode.io import read_codings, read_segments
from qualcode.roster import read_roster

EXAMPLES = int(os.environ.get("QUALCODE_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

HEADERS = {
    "codings": ["segment_id", "code_id", "coder", "origin", "memo", "start_char", "end_char"],
    "segments": [
        "segment_id",
        "transcript_id",
        "turn",
        "speaker",
        "participant_id",
        "role",
        "text",
    ],
    "roster": ["transcript_id", "speaker", "participant_id", "role", "gender", "age"],
}
CELL = st.one_of(
    st.sampled_from(
        ["", "g1:1", "g1:2", "RI1", "ana", "manual", "auto", "participant", "facilitator", "0", "5",
         "-3", "1e400", "=SUM(A1)", "a,b", 'say "hi"', "x\ny", "\t", "NaN", "None", "😊", "李", "\x00",
         "g1:1:2", " RI1 ", "P01"]
    ),
    st.text(max_size=12),
)  # fmt: skip


@st.composite
def tables(draw, kind: str) -> bytes:
    header = list(HEADERS[kind])
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    header = header[: draw(st.integers(0, len(header)))] + draw(st.lists(CELL, max_size=2))
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=6))

    def cell(value: str) -> str:
        if draw(st.booleans()) and any(c in value for c in ',;\t|"\n'):
            return '"' + value.replace('"', '""') + '"'
        return value

    text = "\n".join(sep.join(cell(v) for v in row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:  # now and then, damage a few bytes
        cut = draw(st.integers(0, max(len(data) - 1, 0)))
        data = data[:cut] + draw(st.binary(max_size=4)) + data[cut + 1 :]
    return data


def _reads_or_refuses(reader, path: Path) -> None:
    with contextlib.suppress(QualcodeError):  # a refusal is fine; any other exception fails
        reader(path)


@FUZZ
@given(data=tables("codings"))
def test_codings_reader_reads_or_refuses(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("c") / "coder.csv"
    path.write_bytes(data)
    _reads_or_refuses(read_codings, path)


@FUZZ
@given(data=tables("segments"))
def test_segments_reader_reads_or_refuses(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("s") / "segments.csv"
    path.write_bytes(data)
    _reads_or_refuses(read_segments, path)


@FUZZ
@given(data=tables("roster"))
def test_roster_reader_reads_or_refuses(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("r") / "roster.csv"
    path.write_bytes(data)
    _reads_or_refuses(read_roster, path)


SCALAR = st.one_of(CELL, st.integers(-5, 5), st.booleans(), st.none(), st.floats(allow_nan=True))
KEYS = st.sampled_from(
    ["id", "label", "definition", "include", "exclude", "examples", "keywords", "patterns", "themes",
     "repeating_ideas", "codes", "constructs", "title", "research_concerns", "text", "color",
     "component", "origin", "lable", "name"]
)  # fmt: skip
NODE = st.recursive(
    SCALAR,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


@st.composite
def codebooks(draw) -> bytes:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=200))
    code = st.fixed_dictionaries(
        {"id": st.one_of(st.sampled_from(["RI1", "RI2", "T1", "=X", "a,b", ""]), CELL)},
        optional={
            "label": CELL,
            "keywords": st.lists(CELL, max_size=3),
            "patterns": st.lists(
                st.sampled_from(["(a+)+$", "[", "care", r"\bpay\b", "(?P<x>"]), max_size=2
            ),
        },
    )
    theme = st.fixed_dictionaries(
        {"id": CELL, "label": CELL}, optional={"repeating_ideas": st.lists(code, max_size=3)}
    )
    document = draw(
        st.one_of(
            st.fixed_dictionaries(
                {"title": CELL}, optional={"themes": st.lists(theme, max_size=3)}
            ),
            st.fixed_dictionaries({"codes": st.lists(code, max_size=4)}),
            NODE,
        )
    )
    return yaml.safe_dump(document, allow_unicode=True).encode("utf-8")


@FUZZ
@given(data=codebooks())
def test_codebook_loader_loads_or_refuses(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_bytes(data)
    _reads_or_refuses(load_codebook, path)


# --- nothing is written outside -o -----------------------------------------------------------------
COMMANDS = [
    ["ingest", "{study}/transcripts", "--roster", "{study}/roster.csv", "-o", "{out}/segments.csv"],
    ["code", "{study}/transcripts", "--codebook", "{study}/codebook.yaml", "--coder", "auto",
     "--auto", "-o", "{out}/auto.csv"],
    ["compare", "{study}/codings/coder_a.csv", "{study}/codings/coder_b.csv", "--codebook",
     "{study}/codebook.yaml", "-f", "json", "-o", "{out}/agreement.json"],
    ["reconcile", "{study}/codings/coder_a.csv", "{study}/codings/coder_b.csv", "--strategy",
     "union", "-o", "{out}/consensus.csv"],
    ["report", "hierarchy", "{study}/transcripts", "--codebook", "{study}/codebook.yaml",
     "--codings", "{study}/codings/coder_a.csv", "-f", "md", "-o", "{out}/hierarchy.md"],
    ["export", "qdpx", "--segments", "{out0}/segments.csv", "--codings",
     "{study}/codings/coder_a.csv", "--codebook", "{study}/codebook.yaml", "-o", "{out}/s.qdpx"],
]  # fmt: skip


def _tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_command_writes_only_beside_its_output(cli, repo, tmp_path, argv):
    study = tmp_path / "study"
    (study / "transcripts").mkdir(parents=True)
    for f in (repo / "sample_transcripts").iterdir():
        if f.is_file() and f.suffix != ".md" and f.name != "roster.csv":
            shutil.copy(f, study / "transcripts" / f.name)
    shutil.copy(repo / "sample_transcripts" / "roster.csv", study / "roster.csv")
    shutil.copy(repo / "codebooks" / "bup_group_visits.yaml", study / "codebook.yaml")
    shutil.copytree(repo / "sample_transcripts" / "codings", study / "codings")
    out0 = tmp_path / "out0"
    out0.mkdir()
    ingest = COMMANDS[0]
    args0 = [a.format(study=study, out=out0, out0=out0) for a in ingest]
    assert cli(*args0).exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    before = _tree(tmp_path)
    result = cli(*[a.format(study=study, out=out, out0=out0) for a in argv])
    assert result.exit_code == 0, result.stderr
    written = _tree(tmp_path) - before
    assert written, "the command wrote nothing"
    outside = sorted(str(p.relative_to(tmp_path)) for p in written if out not in p.parents)
    assert not outside, f"written outside {out.name}/: {outside}"
