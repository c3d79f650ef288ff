"""What a plain `pip install qualcode` must hold: every third-party module qualcode imports is declared.

A fresh install once crashed on `import click` (typer 0.29 stopped depending on click, and the test
extra pulled it in through nltk, so the suite stayed green). deptry reads every import under qualcode/
and every dependency of pyproject.toml: a missing one (DEP001), one imported only transitively (DEP003),
a run-time dependency nothing imports (DEP002) and a test-only package used at run time (DEP004) fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib

import pytest


def _deptry(root) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deptry", "--no-ansi", "."],
        cwd=root,
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "PATH": ""},
    )


def test_every_import_of_the_package_is_a_declared_dependency(repo):
    done = _deptry(repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_undeclared_import_is_caught(repo, tmp_path):
    # The check itself can fail: a copy of the project with `import click` put back in the CLI.
    copy = tmp_path / "project"
    shutil.copytree(
        repo / "qualcode", copy / "qualcode", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(repo / "pyproject.toml", copy / "pyproject.toml")
    errors = copy / "qualcode" / "cli" / "errors.py"
    errors.write_text("import click\n" + errors.read_text(encoding="utf-8"), encoding="utf-8")
    done = _deptry(copy)
    assert done.returncode == 1
    # DEP001 where click is not installed at all; DEP003 where a test-only package pulls it in.
    assert re.search(r"errors\.py:1:\d+: DEP00[13] 'click' imported but", done.stdout + done.stderr)


def test_optional_extras_are_not_needed_by_the_core(repo):
    # Every run-time dependency is in [project.dependencies] or an optional extra; test-only packages
    # (the `test` extra) never appear among them.
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = {_name(d) for d in project["dependencies"]}
    test_only = {_name(d) for d in project["optional-dependencies"]["test"]}
    assert not core & {"pytest", "hypothesis", "deptry", "krippendorff", "irrcac"}
    assert "irrcac" not in test_only, (
        "irrCAC pins pandas<3: its values are frozen in tests/data/oracles"
    )


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()


@pytest.mark.skipif(
    not __import__("os").environ.get("QUALCODE_USER_STACK"),
    reason="QUALCODE_USER_STACK is set by .ci/run from a venv with a plain `pip install` of qualcode",
)
def test_suite_runs_on_the_pandas_and_numpy_majors_users_get():
    import os
    from importlib.metadata import version

    user = dict(item.split("==") for item in os.environ["QUALCODE_USER_STACK"].split())
    for package in ("pandas", "numpy"):
        ours, theirs = version(package), user[package]
        assert ours.split(".")[0] == theirs.split(".")[0], (
            f"the tests run on {package} {ours}, a plain install gets {theirs}: a test-only "
            "dependency pins the stack; freeze its values instead"
        )


def test_readme_quick_start_names_what_the_main_command_installs(repo):
    quick_start = (repo / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1]
    quick_start = quick_start.split("<!-- ci:main-command -->", 1)[0].lower()
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    missing = [d for d in map(_name, project["dependencies"]) if d not in quick_start]
    assert not missing, f"the README's quick start does not say it installs {missing}"
    assert "python 3.11" in quick_start


@pytest.mark.skipif(
    not __import__("os").environ.get("QUALCODE_USER_STACK"),
    reason="run by .ci/run, which must install every optional extra so that its tests run",
)
def test_ci_installs_every_optional_extra(repo):
    # A test of an optional feature skips where its extra is missing; in CI nothing may skip for that.
    from importlib.metadata import PackageNotFoundError, version

    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    missing = []
    for extra, requirements in project["optional-dependencies"].items():
        for requirement in requirements:
            try:
                version(_name(requirement))
            except PackageNotFoundError:
                missing.append(f"{_name(requirement)} (extra [{extra}])")
    assert not missing, f"the README test command does not install {missing}"
