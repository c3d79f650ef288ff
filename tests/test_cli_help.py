"""Help and usage errors a researcher can read: no Python type names, `did you mean` for a misspelled
option, no validation-library wording, and a closed pipe is not an error."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import typer

from qualcode.cli.main import app

# What typer writes for a parameter when left alone: `<list[Path]>`, `<path>`, `<int range>`, `<str>`.
TYPE_NAME = re.compile(
    r"(?:^|\s)<(?:list\[|path|file|dir|str|int|float|bool|text|datetime|uuid|[a-z]+ range)[^>]*>"
    r"|\blist\[|\bPath\b|\bNoneType\b"
)
# In the left column of an option/argument row, a bare Python type word is wrong too.
TYPE_WORD = re.compile(r"\b(?:str|int|float|bool|list|path|file|dir)\b")


def _commands() -> list[list[str]]:
    found: list[list[str]] = [[]]

    def walk(prefix: list[str], command) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            found.append([*prefix, name])
            walk([*prefix, name], sub)

    walk([], typer.main.get_command(app))
    return found


@pytest.mark.parametrize("words", _commands(), ids=lambda w: " ".join(w) or "qualcode")
def test_no_help_shows_a_python_type_name(runner, words):
    result = runner.invoke(app, [*words, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert not TYPE_NAME.search(result.output), TYPE_NAME.search(result.output)
    sections = re.findall(r"^(?:Arguments|Options):\n(.*?)(?:\n\n|\Z)", result.output, re.S | re.M)
    rows = [line for part in sections for line in part.splitlines() if re.match(r"^  \S", line)]
    assert rows or not words
    for row in rows:
        left = re.split(r"\s{2,}", row.strip())[0]
        assert not TYPE_WORD.search(left), row


def _typer_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return tuple(int(part) for part in version("typer").split(".")[:2])


def test_help_names_what_to_type(runner):
    def helped(*words: str) -> str:
        return runner.invoke(app, [*words, "--help"], terminal_width=200).output

    assert "Usage: qualcode ingest [OPTIONS] PATH..." in helped("ingest")
    if _typer_version() >= (0, 26):  # older typer (down to the 0.16 floor) lists no argument help
        assert re.search(r"^  PATH\.\.\.\s+Transcript files", helped("ingest"), re.M)
    assert "Usage: qualcode compare [OPTIONS] A.csv B.csv" in helped("compare")
    exported = helped("export", "qdpx")
    assert re.search(r"--codings CODINGS\.csv\s", exported)
    assert re.search(r"-o, --output FILE\s", exported)
    assert re.search(r"--segments SEGMENTS\.csv\s", exported)
    assert re.search(r"-o, --output DIR\s", helped("import", "qdpx"))
    assert re.search(r"--base N\s", helped("report", "saturation"))
    assert re.search(r"-f, --format \[table\|md\|", helped("report", "hierarchy"))


@pytest.mark.parametrize(
    "argv,suggestion",
    [
        (["reconcile", "a.csv", "b.csv", "--stratgy", "union", "-o", "c.csv"], "--strategy"),
        (["report", "saturation", "--bse", "3"], "--base"),
        (["compare", "a.csv", "b.csv", "--limt", "3"], "--limit"),
        (["export", "qdpx", "--codngs", "a.csv"], "--codings"),
        (["--debgu"], "--debug"),
    ],
)
def test_a_misspelled_option_gets_did_you_mean_on_every_command(runner, argv, suggestion):
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert f"no such option {argv[[a.startswith('--') for a in argv].index(True)]}: " in (
        result.output
    )
    assert f"did you mean {suggestion}?" in result.output
    assert "Possible options" not in result.output


def test_a_bad_choice_reads_without_validation_library_wording(runner):
    result = runner.invoke(app, ["report", "demographics", "--roster", "r.csv", "-f", "pdf"])
    assert result.exit_code == 2
    assert "Value error" not in result.output
    assert "'pdf' is not one of 'table', 'md', 'csv', 'xlsx', 'json', 'html', 'docx'" in (
        result.output
    )


@pytest.mark.parametrize(
    "argv",
    [
        [
            "compare",
            "sample_transcripts/codings/coder_a.csv",
            "sample_transcripts/codings/coder_b.csv",
        ],
        ["codebook", "check", "codebooks/bup_group_visits.yaml"],
        ["--help"],
        ["compare", "--help"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_closed_pipe_is_not_an_error(repo, argv):
    """`qualcode compare ... | head -1`: the reader is gone before qualcode writes a byte."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "qualcode", *argv],
            cwd=repo,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")


def test_each_short_option_means_one_long_option_on_every_command():
    """`-s` was --segments in compare and report but --strategy in reconcile."""
    meanings: dict[str, set[str]] = {}

    def walk(command) -> None:
        for sub in getattr(command, "commands", {}).values():
            walk(sub)
        for param in getattr(command, "params", []):
            opts = list(getattr(param, "opts", [])) + list(getattr(param, "secondary_opts", []))
            longs = [o for o in opts if o.startswith("--")]
            for short in (o for o in opts if o.startswith("-") and not o.startswith("--")):
                meanings.setdefault(short, set()).update(longs)

    walk(typer.main.get_command(app))
    assert meanings["-s"] == {"--segments"}
    assert {short: len(longs) for short, longs in meanings.items()} == dict.fromkeys(meanings, 1)
