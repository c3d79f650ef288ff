"""--engine dask against --engine local (issue 20): time and memory of `code --auto` and
`compare -f json` on the same synthetic corpus, and that both engines write the same bytes.

Generates the seeded corpus of bench/autocode.py (default 1,000,000 turns, 300 codes x 5 keywords),
a second coder derived from the auto codings (about 15% of the rows dropped, 5% of the codes
changed), then runs each step through the real CLI in a subprocess, once per engine:
  - wall seconds, CPU seconds (user + system of the process and every process it waited for:
    the LocalCluster's nannies and workers too), and the peak RSS of the largest process;
  - the ratio dask / local of each;
  - whether the outputs are byte-identical.
The Dask run starts a LocalCluster of --workers processes (start-up included). On a machine with
few cores it cannot be faster than local: what it buys is memory per process and more machines.

Run: python bench/dask.py [--segments 1000000] [--workers 2] [--partition-size 100000]

Measured 2026-12-04 with `python bench/dask.py --segments 250000 --partition-size 50000` on the
shared 2-core machine (load average 13 -> 7, the bench at nice 19 for most of the run, so the wall
times are not comparable; the CPU times are): code --auto local 6.0 s CPU / 388 MB, dask (2
workers, start-up included) 14.7 s CPU / 503 MB, ratio 2.44 CPU, 1.30 peak; compare -f json local
9.6 s CPU / 577 MB, dask 11.6 s CPU / 617 MB, ratio 1.21 CPU, 1.07 peak; outputs identical.
Measured 2026-12-04 18:43-18:49 UTC with `python bench/dask.py --segments 1000000 --workers 2
--partition-size 100000` (load average 0.9-2.7; corpus 189 s to write): code --auto local 16.5 s wall /
16.1 s CPU / 905 MB, dask 32.1 s / 32.1 s / 1351 MB (ratio 1.95 wall, 1.99 CPU, 1.49 peak); compare -f
json local 26.0 s / 25.7 s / 1611 MB, dask 32.4 s / 32.1 s / 1770 MB (ratio 1.25, 1.25, 1.10); outputs
identical for both steps.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from autocode import make_corpus  # noqa: E402


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB of the largest process) of one command, in a fresh process
    group so that RUSAGE_CHILDREN holds this command alone."""
    code = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "w = time.perf_counter() - t\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps([w, r.ru_utime + r.ru_stime, r.ru_maxrss / 1024]))\n"
    )
    import json

    out = subprocess.run(
        [sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True
    )
    wall, cpu, rss = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, cpu, rss


def second_coder(codings: Path, out: Path, seed: int = 3) -> None:
    rng = random.Random(seed)
    with (
        codings.open(encoding="utf-8", newline="") as fh,
        out.open("w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        seen: set[tuple[str, str]] = set()
        for row in reader:
            roll = rng.random()
            if roll < 0.15:
                continue
            row.update(coder="bea", origin="manual")
            if roll > 0.95 and row["code_id"]:
                row.update(code_id=f"K{rng.randrange(1, 301)}", start_char="", end_char="")
            if (row["segment_id"], row["code_id"]) not in seen:
                seen.add((row["segment_id"], row["code_id"]))
                writer.writerow(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--codes", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partition-size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    one, five, _ = os.getloadavg()
    print(f"load average {one:.2f} / {five:.2f} (1 / 5 min) on {os.cpu_count()} CPUs")
    qualcode = [sys.executable, "-m", "qualcode"]
    dask = ["--engine", "dask", "--workers", str(args.workers)]
    dask += ["--partition-size", str(args.partition_size)]
    with tempfile.TemporaryDirectory(prefix="qualcode-dask-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        files = make_corpus(args.segments, args.codes, args.seed, folder)
        print(
            f"corpus: {args.segments:,} turns, {args.codes} codes "
            f"({time.perf_counter() - start:.0f} s to write)"
        )
        code = [*qualcode, "code", str(files["segments"]), "--codebook", str(files["codebook"])]
        code += ["--coder", "auto", "--auto"]
        steps = {
            "code --auto": (
                [*code, "-o", str(folder / "local.csv")],
                [*code, "-o", str(folder / "dask.csv"), *dask],
                ("local.csv", "dask.csv"),
            ),
        }
        rows = []
        local_cmd, dask_cmd, outs = steps["code --auto"]
        rows.append(("code --auto", run(local_cmd), run(dask_cmd), outs))
        second_coder(folder / "local.csv", folder / "bea.csv")
        compare = [*qualcode, "compare", str(folder / "local.csv"), str(folder / "bea.csv")]
        compare += ["--codebook", str(files["codebook"]), "-f", "json"]
        rows.append(
            (
                "compare -f json",
                run([*compare, "-o", str(folder / "local.json")]),
                run([*compare, "-o", str(folder / "dask.json"), *dask]),
                ("local.json", "dask.json"),
            )
        )
        print(
            f"{'step':<16} {'engine':<7} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}   "
            "(peak: the largest process)"
        )
        for name, local, remote, (a, b) in rows:
            same = (folder / a).read_bytes() == (folder / b).read_bytes()
            for engine, (wall, cpu, rss) in (("local", local), ("dask", remote)):
                print(f"{name:<16} {engine:<7} {wall:8.1f} {cpu:8.1f} {rss:8.0f}")
            print(
                f"{'':<16} {'ratio':<7} {remote[0] / local[0]:8.2f} {remote[1] / local[1]:8.2f} "
                f"{remote[2] / local[2]:8.2f}   outputs {'identical' if same else 'DIFFER'}"
            )
    one, five, _ = os.getloadavg()
    print(f"load average {one:.2f} / {five:.2f} (1 / 5 min)")


if __name__ == "__main__":
    main()
