"""A single-value option given twice is a usage error (exit 2) on every command (issue 13.3)."""

from __future__ import annotations

import typer.main

from qualcode.cli.errors import single_value_options
from qualcode.cli.main import app


def _leaf_commands(command, path=()):
    subs = getattr(command, "commands", None)
    if subs:
        for name, sub in subs.items():
            yield from _leaf_commands(sub, (*path, name))
    else:
        yield path, command


def test_every_single_value_option_given_twice_is_a_usage_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no qualcode.yaml defaults
    checked = 0
    for path, command in _leaf_commands(typer.main.get_command(app)):
        for option in single_value_options(command):
            flag = option.opts[0]
            result = cli(*path, flag, "x", flag, "y")
            assert result.exit_code == 2, (path, flag, result.output)
            assert f"{'/'.join(option.opts)} was given 2 times" in result.output, (path, flag)
            checked += 1
    assert checked > 40  # every command has some: the walk really covered the tree


def test_the_report_that_silently_used_the_last_codings_file(cli, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for f in (a, b):
        f.write_text("segment_id,code_id,coder\ng:1,RI1,x\n")
    result = cli("report", "hierarchy", "--codings", a, "--codings", b)
    assert result.exit_code == 2
    assert "option --codings was given 2 times" in result.output


def test_repeatable_options_and_flags_still_repeat(cli, tmp_path):
    """`export qdpx --codings A --codings B` takes several files: not refused."""
    result = cli(
        "export",
        "qdpx",
        "--segments",
        tmp_path / "s.csv",
        "--codings",
        tmp_path / "a.csv",
        "--codings",
        tmp_path / "b.csv",
        "--codebook",
        tmp_path / "cb.yaml",
        "-o",
        tmp_path / "p.qdpx",
    )
    assert result.exit_code == 1, result.output  # got as far as reading the files
    assert "given 2 times" not in result.output
