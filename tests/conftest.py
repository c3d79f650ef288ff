"""Shared test fixtures: an in-process CLI runner and the repository root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from qualcode.cli.main import app

REPO = Path(__file__).resolve().parent.parent

# CI (CI=true) draws the same hypothesis examples on every run, so a red run is reproducible and never a
# chance draw; on a developer's machine the examples vary, and bench/fuzz.py searches with a long budget.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner):
    """Invoke the real CLI in-process: `cli("ingest", "x.txt", "-o", "s.csv")`."""

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return invoke


@pytest.fixture
def repo() -> Path:
    return REPO
