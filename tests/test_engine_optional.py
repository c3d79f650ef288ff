"""The [dask] extra stays optional: the core never imports Dask, and `--engine dask` without the
extra says what to install. These tests need no extra installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True
    )


def test_local_runs_do_not_import_dask(repo, tmp_path):
    done = _run(
        f"""
        import sys
        from typer.testing import CliRunner
        from qualcode.cli.main import app
        r = CliRunner().invoke(app, ["code", r"{repo / "sample_transcripts"}", "--codebook",
            r"{repo / "codebooks/bup_group_visits.yaml"}", "--coder", "auto", "--auto",
            "-o", r"{tmp_path / "auto.csv"}"])
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(app, ["compare", r"{tmp_path / "auto.csv"}",
            r"{repo / "sample_transcripts/codings/coder_a.csv"}", "-f", "json"])
        assert r.exit_code == 0, r.output
        print([m for m in ("dask", "distributed", "pyarrow", "qualcode.engine.dask") if m in sys.modules])
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_engine_dask_without_the_extra_says_what_to_install(repo, tmp_path):
    # A None entry in sys.modules makes an import fail as when the package is not installed.
    codings = repo / "sample_transcripts/codings"
    commands = {
        "code": [str(repo / "sample_transcripts"), "--codebook",
                 str(repo / "codebooks/bup_group_visits.yaml"), "--coder", "auto", "--auto",
                 "-o", str(tmp_path / "out.csv")],
        "compare": [str(codings / "coder_a.csv"), str(codings / "coder_b.csv"),
                    "-o", str(tmp_path / "out.json")],
    }  # fmt: skip
    for command, args in commands.items():
        done = _run(
            f"""
            import sys
            for blocked in ("dask", "distributed"):
                sys.modules[blocked] = None
            sys.argv = ["qualcode", {command!r}, *{args!r}, "--engine", "dask", "--workers", "2"]
            from qualcode.cli.main import run
            run()
            """,
            tmp_path,
        )
        assert done.returncode == 1, done.stderr
        assert done.stderr.splitlines() == [
            "error: --engine dask needs the optional extra [dask] (dask, distributed not "
            'installed): install it with pip install "qualcode[dask]"'
        ]
        assert list(tmp_path.iterdir()) == []


def test_cluster_options_need_the_dask_engine(cli, repo, tmp_path):
    done = cli(
        "code", repo / "sample_transcripts", "--codebook", repo / "codebooks/bup_group_visits.yaml",
        "--coder", "auto", "--auto", "-o", tmp_path / "a.csv", "--workers", "2",
    )  # fmt: skip
    assert done.exit_code == 2
    assert "--workers needs --engine dask" in done.output
    assert not (tmp_path / "a.csv").exists()
