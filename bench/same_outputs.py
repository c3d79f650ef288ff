"""Golden-output check: the pipeline's output files, byte for byte, from two qualcode checkouts.

A speed or memory change must leave every output unchanged (issue 19). This runs the same commands
with this checkout and with a baseline checkout (`--baseline DIR`, e.g. `git worktree add /tmp/base
main`), each on its own copy of the inputs, and compares every file the commands wrote (reconcile's
timestamps, backup names and the pair record are the only differences allowed: see IGNORED). Two studies: the
bundled one (sample_transcripts/, codebooks/bup_group_visits.yaml) and a seeded synthetic one from
bench/scaling.py (`--segments`, default 20,000), so large-study code paths run too.

Run: python bench/same_outputs.py --baseline /tmp/base [--segments 20000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from scaling import make_study  # noqa: E402

COMMANDS: list[list[str]] = [
    ["ingest", "transcripts", "-o", "segments.csv", "--roster", "roster.csv"],
    ["ingest", "segments.csv", "-o", "segments_again.csv", "--roster", "roster.csv"],
    ["code", "segments.csv", "--codebook", "codebook.yaml", "--coder", "auto", "--auto",
     "-o", "codings/auto.csv"],
    ["code", "segments.csv", "--codebook", "codebook.yaml", "--coder", "auto", "--auto",
     "--include-facilitator", "--chunk-segments", "7", "-o", "codings/auto.csv"],
    ["compare", "codings/coder_a.csv", "codings/coder_b.csv", "--codebook", "codebook.yaml",
     "-f", "json", "-o", "compare.json"],
    ["compare", "codings/coder_a.csv", "codings/coder_b.csv", "--codebook", "codebook.yaml",
     "-f", "csv", "-o", "compare.csv"],
    ["reconcile", "codings/coder_a.csv", "codings/coder_b.csv", "--strategy", "union",
     "-o", "codings/consensus.csv"],
    ["reconcile", "codings/coder_a.csv", "codings/coder_b.csv", "--strategy", "intersection",
     "-o", "codings/intersection.csv"],
    ["reconcile", "codings/coder_a.csv", "codings/coder_b.csv", "--decisions",
     "codings/consensus.decisions.csv", "-o", "codings/replayed.csv"],
    ["report", "hierarchy", "--segments", "segments.csv", "--codings", "codings/consensus.csv",
     "--codebook", "codebook.yaml", "--roster", "roster.csv", "-f", "json", "-o", "hierarchy.json"],
    ["report", "hierarchy", "--segments", "segments.csv", "--codings", "codings/consensus.csv",
     "--codebook", "codebook.yaml", "--roster", "roster.csv", "-f", "md", "-o", "hierarchy.md"],
    ["report", "saturation", "--segments", "segments.csv", "--codings", "codings/consensus.csv",
     "--codebook", "codebook.yaml", "--roster", "roster.csv", "--permutations", "50",
     "-f", "json", "-o", "saturation.json"],
    ["report", "saturation", "--segments", "segments.csv", "--codings", "codings/consensus.csv",
     "--codebook", "codebook.yaml", "--roster", "roster.csv", "--new", "two-participant",
     "--permutations", "50", "-f", "json", "-o", "saturation_two.json"],
]  # fmt: skip
# Lines that hold the time of the run, not a result.
IGNORED = re.compile(
    rb"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)"
    rb"|(\.\d{8}-\d{6}-\d{6}\.bak)"  # a backup's name: the time it was made
)


def bundled(folder: Path) -> None:
    shutil.copytree(REPO / "sample_transcripts", folder / "transcripts")
    shutil.move(folder / "transcripts" / "codings", folder / "codings")
    shutil.move(folder / "transcripts" / "roster.csv", folder / "roster.csv")
    (folder / "transcripts" / "README.md").unlink(missing_ok=True)
    shutil.copy(REPO / "codebooks" / "bup_group_visits.yaml", folder / "codebook.yaml")


def run_all(folder: Path, pythonpath: Path, env_extra: dict[str, str]) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath), **env_extra}
    log = []
    for cmd in COMMANDS:
        done = subprocess.run(
            [sys.executable, "-m", "qualcode", *cmd],
            cwd=folder,
            env=env,
            capture_output=True,
        )
        log.append(f"$ qualcode {' '.join(cmd)} -> exit {done.returncode}")
        (folder / f".out-{len(log)}").write_bytes(done.stdout + b"\n--stderr--\n" + done.stderr)
    return log


def files_of(folder: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".pair.json" not in path.name and ".bak" not in path.name:
            out[str(path.relative_to(folder))] = IGNORED.sub(b"<time>", path.read_bytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a checkout to compare to")
    parser.add_argument("--segments", type=int, default=20_000)
    args = parser.parse_args()
    failures = 0
    for name in ("bundled", "synthetic"):
        with tempfile.TemporaryDirectory(prefix=f"same-outputs-{name}-") as tmp:
            base, ours = Path(tmp) / "base", Path(tmp) / "ours"
            base.mkdir()
            if name == "bundled":
                bundled(base)
            else:
                make_study(args.segments, base, seed=11)
            shutil.copytree(base, ours)
            log_base = run_all(base, args.baseline.resolve(), {})
            log_ours = run_all(ours, REPO, {})
            if log_base != log_ours:
                failures += 1
                print(f"{name}: exit codes differ:\n  " + "\n  ".join(log_base + log_ours))
            a, b = files_of(base), files_of(ours)
            differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
            failures += len(differing)
            print(f"{name}: {len(a)} files, {len(differing)} differ {differing or ''}")
            for line in log_ours:
                print("   ", line)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
