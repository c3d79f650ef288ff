"""The ingest fuzz suite with a long budget (the test suite runs it with a small one).

Runs the properties of tests/test_ingest_fuzz.py: every word of a generated transcript (text in
six layouts, Word, WebVTT, SubRip) reaches segments.csv exactly once, and hostile input to every
reader gives turns or a QualcodeError. Prints examples run and time per property; the first
failure stops the run with hypothesis' shrunk example. `refi` runs tests/test_fuzz_refi.py (REFI-QDA
import: generated and mutated .qdc and .qdpx) under pytest with the same budget
(QUALCODE_FUZZ_EXAMPLES).

Run: python bench/fuzz.py [--examples 2000] [--seed 1] [--only text,captions,docx,hostile,hostile-docx,refi]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from ingest_fuzz import hostile_text, transcripts  # noqa: E402
from test_ingest_fuzz import (  # noqa: E402
    check_cue_transcript,
    check_docx_transcript,
    check_hostile,
    check_text_transcript,
)
from typer.testing import CliRunner  # noqa: E402

from qualcode.cli.main import app  # noqa: E402


def _cli():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def properties(cli):
    flags = st.lists(st.booleans(), min_size=14, max_size=14)
    captions = transcripts(layouts=("colon",), leading=False)
    return {
        "text": given(t=transcripts(), alone=flags)(
            lambda t, alone: check_text_transcript(cli, t, alone)
        ),
        "captions": given(t=captions, kind=st.sampled_from(["vtt", "srt"]))(
            lambda t, kind: check_cue_transcript(cli, t, kind)
        ),
        "docx": given(t=transcripts(layouts=("colon",)), bold=flags)(
            lambda t, bold: check_docx_transcript(cli, t, bold)
        ),
        "hostile": given(text=hostile_text(), suffix=st.sampled_from([".txt", ".vtt", ".srt"]))(
            check_hostile
        ),
        "hostile-docx": given(text=hostile_text())(lambda text: check_hostile(text, ".docx")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples per property")
    parser.add_argument("--seed", type=int, default=None, help="a fixed seed to replay a run")
    parser.add_argument("--only", default="", help="comma-separated property names")
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    budget = settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    for name, prop in properties(_cli()).items():
        if chosen and name not in chosen:
            continue
        test = budget(prop)
        if args.seed is not None:
            test = seed(args.seed)(test)
        start = time.perf_counter()
        test()
        took = time.perf_counter() - start
        print(f"{name:<13} {args.examples:>6} examples  {took:7.1f} s  ok", flush=True)
    if not chosen or "refi" in chosen:
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "QUALCODE_FUZZ_EXAMPLES": str(args.examples)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        if args.seed is not None:
            command.append(f"--hypothesis-seed={args.seed}")
        start = time.perf_counter()
        code = subprocess.call([*command, "tests/test_fuzz_refi.py"], cwd=root, env=env)
        took = time.perf_counter() - start
        status = "ok" if code == 0 else "FAILED"
        print(f"{'refi':<13} {args.examples:>6} examples  {took:7.1f} s  {status}", flush=True)
        if code:
            raise SystemExit(code)


if __name__ == "__main__":
    main()
