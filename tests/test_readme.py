"""The README is part of the product: its commands must run and every command must be in it."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

import pytest
import typer

from qualcode.cli.main import app

README = "README.md"


def _block_after(marker: str, text: str) -> str:
    after = text.split(marker, 1)[1]
    match = re.search(r"```bash\n(.*?)```", after, re.S)
    assert match, f"no bash block after {marker}"
    return match.group(1).strip()


def _all_commands() -> list[tuple[str, object]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, object]] = []

    def walk(prefix: str, command) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            found.append((prefix, command))

    walk("", root)
    return found


def test_readme_has_exactly_the_two_quick_start_commands(repo):
    text = (repo / README).read_text(encoding="utf-8")
    main = _block_after("<!-- ci:main-command -->", text)
    tests = _block_after("<!-- ci:test-command -->", text)
    assert len(main.splitlines()) == 1 and len(tests.splitlines()) == 1
    assert "pip install" in main and "qualcode ingest" in main and "qualcode compare" in main
    assert "pytest" in tests


@pytest.mark.parametrize("name,command", _all_commands(), ids=lambda v: getattr(v, "name", v))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(repo, name, command):
    help_text = command.help or ""
    assert help_text.strip(), f"qualcode {name} has no help text"
    assert "Example:" in help_text, f"qualcode {name} help has no Example: line"
    readme = (repo / README).read_text(encoding="utf-8")
    group, _, leaf = name.rpartition(" ")
    if group:
        assert f"qualcode {group}" in readme and leaf in readme, f"qualcode {name} not in README"
    else:
        assert f"qualcode {name}" in readme, f"qualcode {name} not in README"


def test_readme_main_command_runs_on_the_bundled_study(repo, tmp_path):
    """The qualcode steps of the quick start, run as a user would (minus venv and pip)."""
    text = (repo / README).read_text(encoding="utf-8")
    main = _block_after("<!-- ci:main-command -->", text)
    for folder in ("sample_transcripts", "codebooks"):
        shutil.copytree(repo / folder, tmp_path / folder)
    steps = [s.strip() for s in main.split("&&") if s.strip().startswith("qualcode ")]
    assert len(steps) >= 3
    for step in steps:
        argv = [sys.executable, "-m", "qualcode", *shlex.split(step)[1:]]
        done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, f"{step}\n{done.stderr}"
        assert "Traceback" not in done.stderr
    assert (tmp_path / "study" / "segments.csv").exists()
    assert (tmp_path / "study" / "codings" / "auto.csv").exists()
