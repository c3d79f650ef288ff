"""Every command line the documentation shows runs as written: each README code-block line that
starts with `qualcode` (on the bundled study, in a copy), and each `--help` Example (in a study
folder holding the files the examples name)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer

from qualcode.cli.main import app

READMES = ("README.md", "sample_transcripts/README.md")
# Commands whose inputs cannot come from the bundled study or the examples before them, so they are
# not run here (their own tests run them): recode-map reads the timestamped backup of a segments.csv
# made before a transcript was edited.
NEEDS_FILES_OF_ITS_OWN = (
    "qualcode recode-map ",
    # a user's folder with the sources sheet `cat` shows (the mixed-source study below runs it)
    "qualcode ingest transcripts --sources sources.csv --roster roster.csv -o segments.csv",
    # a running Dask scheduler and shared storage (tests/test_engine_dask.py runs both commands on a
    # LocalCluster)
    "qualcode code /shared/survey/segments/ ",
    "qualcode compare /shared/survey/codings/auto.csv ",
)


def readme_commands(text: str) -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for each `qualcode ...` line of the fenced code blocks (`$ `
    prompts and `\\` continuations joined; the output is what a console block shows below the
    command), except the two CI blocks, which test_readme.py runs."""
    text = re.sub(r"<!-- ci:[a-z-]+ -->\n```bash\n.*?```", "", text, flags=re.S)
    commands: list[tuple[str, list[str]]] = []
    for kind, block in re.findall(r"^```(bash|console|sh)?\n(.*?)^```", text, re.S | re.M):
        lines = block.replace("\\\n", " ").splitlines()
        output: list[str] | None = None  # where a console block's output lines go
        commands.append(("cd", []))  # each block starts in the study folder
        for line in lines:
            command = line.strip().removeprefix("$ ")
            if command.startswith("cd ") and (kind != "console" or line.startswith("$ ")):
                commands.append((command, []))
                output = None
            elif command.startswith("qualcode ") and (kind != "console" or line.startswith("$ ")):
                commands.append((" ".join(command.split()), []))
                output = commands[-1][1]
            elif command.startswith("cp ") and kind == "console" and line.startswith("$ "):
                commands.append((command, []))  # a working copy (the codebook a coder adds to)
                output = None
            elif kind == "console" and line.startswith("$ "):
                output = None  # another program's command (`$ cat sources.csv`) and its output
            elif kind == "console" and output is not None:
                output.append(line.rstrip())
    return commands


def shown_drift(shown: list[str], real: list[str]) -> str | None:
    """Where the shown output differs from the real one, or None. Shown lines must be real lines,
    in order; a `...` line stands for any lines left out, a line ending in `...` for a real line
    that starts with what is shown, and consecutive shown lines must be consecutive in the real
    output."""
    real = [line.rstrip() for line in real]

    def same(shown_line: str, real_line: str) -> bool:
        if shown_line.endswith("...") and shown_line.strip() != "...":
            return real_line.startswith(shown_line[:-3])
        return real_line == shown_line

    at = 0
    gap = at == 0
    for line in shown:
        if line.strip() == "...":
            gap = True
            continue
        if gap:
            found = [i for i in range(at, len(real)) if same(line, real[i])]
            if not found:
                return f"shown line not in the real output: {line!r}"
            at = found[0] + 1
        else:
            if at >= len(real) or not same(line, real[at]):
                got = real[at] if at < len(real) else "(end of output)"
                return f"shown line {line!r} is not what follows; real: {got!r}"
            at += 1
        gap = False
    return None


def help_examples() -> list[tuple[str, str]]:
    """(command, example) for every command, in registration (workflow) order."""
    found: list[tuple[str, str]] = []

    def walk(prefix: str, command) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{prefix} {name}".strip(), sub)
        if not hasattr(command, "commands"):
            match = re.search(r"Example: (qualcode .*?)(?:\n\n|\Z)", command.help or "", re.S)
            assert match, f"qualcode {prefix} has no Example: line"
            found.append((prefix, " ".join(match.group(1).split())))

    walk("", typer.main.get_command(app))
    return found


def _brace_expansion(token: str) -> list[str]:
    """`codings/{ana,ben}.csv` -> both paths, as the shell expands it."""
    match = re.search(r"\{([^{}]*,[^{}]*)\}", token)
    if not match:
        return [token]
    head, tail = token[: match.start()], token[match.end() :]
    return [w for part in match.group(1).split(",") for w in _brace_expansion(head + part + tail)]


def _extra_missing(result) -> bool:
    """The command needs an optional extra (`qualcode[semantic]`) this environment lacks."""
    return result.exit_code == 1 and "needs the optional extra" in result.output


def _run(runner, line: str, input: str | None = None):
    argv = [word for token in shlex.split(line, comments=True) for word in _brace_expansion(token)]
    assert argv[0] == "qualcode"
    return runner.invoke(app, argv[1:], input=input)


@pytest.mark.parametrize("readme", READMES)
def test_every_readme_command_runs_as_written_on_the_bundled_study(
    repo, tmp_path, runner, monkeypatch, readme
):
    """... and what the README shows below a command is what it prints (at 120 columns)."""
    commands = readme_commands((repo / readme).read_text(encoding="utf-8"))
    assert len([c for c, _ in commands if c.startswith("qualcode ")]) >= 8
    for folder in (
        "sample_transcripts",
        "codebooks",
        "tests/data/mixed_sources",
        "tests/data/gbot_components",
        "tests/data/codebook_versions",
        "tests/data/collab_care",
        "tests/data/long_answers",
    ):
        if (repo / folder).is_dir():
            shutil.copytree(repo / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "120")
    unwritten: list[str] = []  # outputs of commands whose optional extra is not installed
    for line, shown in commands:
        if line == "cd" or line.startswith("cd "):
            monkeypatch.chdir(tmp_path / line[3:] if line != "cd" else tmp_path)
            continue
        if any(path in line.split() for path in unwritten) or line.startswith(
            NEEDS_FILES_OF_ITS_OWN
        ):
            continue
        # A scratch folder the README writes to (/tmp/mixed) is the test's own.
        line = line.replace(" /tmp/", f" {tmp_path}/scratch/")
        if line.startswith("cp "):
            source, target = shlex.split(line)[1:]
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
            continue
        result = _run(runner, line)
        if _extra_missing(result):
            unwritten.append(shlex.split(line)[shlex.split(line).index("-o") + 1])
            continue
        assert result.exit_code == 0, f"{readme}: {line}\n{result.output}"
        drift = shown_drift(shown, result.output.splitlines())
        assert drift is None, f"{readme}: {line}\n{drift}\nreal output:\n{result.output}"
        sheet = re.search(r"^qualcode reconcile .* --sheet (\S+)", line)
        if sheet:
            _decide_in_the_meeting(tmp_path / sheet.group(1))


def _decide_in_the_meeting(sheet: Path) -> None:
    """The human step between writing a disagreements sheet and replaying it: keep every code."""
    import openpyxl

    book = openpyxl.load_workbook(sheet)
    rows = book.worksheets[0]
    header = [cell.value for cell in rows[1]]
    for row in rows.iter_rows(min_row=2):
        row[header.index("decision")].value = "keep"
        row[header.index("reason")].value = "agreed in discussion"
        row[header.index("decided_by")].value = "A & B"
    book.save(sheet)


def _example_study(repo: Path, root: Path) -> None:
    """A study folder with the files the --help examples name."""
    shutil.copytree(repo / "codebooks", root / "codebooks")
    (root / "transcripts").mkdir()
    for f in (repo / "sample_transcripts").iterdir():
        if f.is_file() and f.suffix != ".md" and f.name != "roster.csv":
            shutil.copy(f, root / "transcripts" / f.name)
    shutil.copy(repo / "sample_transcripts" / "roster.csv", root / "roster.csv")
    shutil.copy(repo / "codebooks" / "bup_group_visits.yaml", root / "codebook.yaml")
    shutil.copytree(repo / "sample_transcripts" / "codings", root / "codings")


def test_every_help_example_runs_as_written(repo, tmp_path, runner, monkeypatch):
    _example_study(repo, tmp_path)
    monkeypatch.chdir(tmp_path)
    examples = help_examples()
    assert len(examples) >= 19
    for name, line in examples:
        if line.startswith(NEEDS_FILES_OF_ITS_OWN):
            continue
        # An interactive session, answered: keep every difference.
        keys = "k\n" * 400 if "interactive" in line else None
        result = _run(runner, line, input=keys)
        if _extra_missing(result):
            continue
        assert result.exit_code == 0, f"qualcode {name}: {line}\n{result.output}"
