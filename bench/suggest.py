"""`qualcode suggest codes` speed and memory: segments/s and peak RSS, cold and with the cache warm.

Builds N distinct participant turns from the bundled study's own turns (each a bundled turn plus a
few words of another, so no two texts are equal and the cache cannot shortcut a cold run), then runs
the real command twice in a fresh process each: cold (empty cache) and warm (same cache). Peak memory
is the child process's maximum resident set size. The machine's load average is printed with the
figures: on a shared machine the cold figure moves with it.

Needs the extra: pip install -e ".[semantic]".
Run: python bench/suggest.py [--turns 1000] [--turns 20000] [--seed 7]
     python bench/suggest.py --ari   (how well `suggest ideas` groups recover the labelled ideas of
     tests/data/semantic/labelled_turns.csv: adjusted Rand index, scikit-learn's, over a grid of
     --threshold and --min-size; turns left in no group count as groups of one)
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"


def bundled_turns() -> list[str]:
    sys.path.insert(0, str(REPO))
    from qualcode.ingest import load_sources

    segments = load_sources(
        [REPO / "sample_transcripts"], roster=REPO / "sample_transcripts" / "roster.csv"
    ).segments
    return segments[segments["role"] != "facilitator"]["text"].astype(str).tolist()


def make_segments(n: int, seed: int, folder: Path) -> Path:
    rng = random.Random(seed)
    turns = bundled_turns()
    words = [w for t in turns for w in t.split()]
    path = folder / f"segments_{n}.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["segment_id", "transcript_id", "turn", "speaker", "role", "text"])
        for i in range(n):
            group, turn = f"g{i // 100 + 1}", i % 100 + 1
            text = f"{rng.choice(turns)} {' '.join(rng.choices(words, k=rng.randint(3, 12)))}"
            out.writerow([f"{group}:{turn}", group, turn, f"P{i % 8 + 1}", "participant", text])
    return path


def run(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS of the child in MB), the child run in a fresh process."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "elapsed = time.perf_counter() - t\n"
        "if done.returncode: sys.exit(done.stderr)\n"
        "print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    seconds, mb = done.stdout.split()
    return float(seconds), float(mb)


def ari_grid() -> None:
    from sklearn.metrics import adjusted_rand_score

    sys.path.insert(0, str(REPO))
    from qualcode.io import read_segments
    from qualcode.semantic.candidates import find_candidates

    labelled = read_segments(REPO / "tests/data/semantic/labelled_turns.csv")
    truth = labelled["code_id"].tolist()
    with tempfile.TemporaryDirectory() as tmp:
        for threshold in (0.30, 0.35, 0.40, 0.45, 0.50, 0.55):
            for min_size in (2, 3):
                found = find_candidates(
                    labelled,
                    threshold=threshold,
                    min_size=min_size,
                    min_words=0,
                    cache_root=Path(tmp),
                )
                group = {s: c.id for c in found.candidates for s in c.segment_ids}
                predicted = [group.get(s, f"alone:{s}") for s in labelled["segment_id"]]
                print(
                    f"--threshold {threshold:.2f} --min-size {min_size}: "
                    f"{len(found.candidates)} candidates holding {len(group)} of "
                    f"{len(truth)} turns, adjusted Rand index "
                    f"{adjusted_rand_score(truth, predicted):.3f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, action="append", help="turns (repeatable)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ari", action="store_true", help="grouping quality on the labelled set")
    args = parser.parse_args()
    if args.ari:
        ari_grid()
        return
    sizes = args.turns or [1000]
    qualcode = [sys.executable, "-m", "qualcode"]
    print(f"cores: {os.cpu_count()}, onnxruntime threads: default (all cores)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            segments = make_segments(n, args.seed, folder)
            cache = folder / f"cache_{n}"
            argv = [
                *qualcode,
                "suggest",
                "codes",
                str(segments),
                "--codebook",
                str(CODEBOOK),
                "--cache",
                str(cache),
                "-o",
                str(folder / f"out_{n}.csv"),
            ]
            for label in ("cold", "warm"):
                load = os.getloadavg()[0]
                seconds, mb = run(argv)
                print(
                    f"{n:>7,} turns {label}: {seconds:7.1f} s, {n / seconds:7.1f} turns/s, "
                    f"peak RSS {mb:6.0f} MB (load average before: {load:.1f})"
                )


if __name__ == "__main__":
    main()
