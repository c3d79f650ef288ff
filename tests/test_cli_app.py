"""The application shell: help, version, fast start-up, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys

from qualcode import __version__


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"qualcode {__version__}"


def test_help_lists_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    assert "qualcode" in result.stdout


def test_cli_import_does_not_import_heavy_libraries():
    code = (
        "import sys, qualcode.cli.main; "
        "heavy = [m for m in ('pandas', 'numpy', 'docx', 'openpyxl', 'jinja2', 'matplotlib') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_console_script_answers_version():
    out = subprocess.run(
        [sys.executable, "-m", "qualcode", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert __version__ in out.stdout


def test_light_app_prints_the_same_help_and_version(runner):
    """`qualcode --help/--version` use parameterless stand-ins (fast start-up): same output."""
    from qualcode.cli.main import app, light_app

    for args in (["--help"], ["--version"], []):
        full = runner.invoke(app, args)
        light = runner.invoke(light_app(), args)
        assert (light.exit_code, light.stdout) == (full.exit_code, full.stdout), args
