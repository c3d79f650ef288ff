"""Scaling of the whole pipeline: seconds per step through the real CLI at several corpus sizes.

For each size N (segments), writes a seeded synthetic study to a temp folder as real files:
  - transcripts/G<k>.txt in `Name: text` layout, 100 turns each (N/100 files; a facilitator and
    eight participants per group);
  - roster.csv (speaker -> participant id, role, gender, age band, site, event_order);
  - codebook.yaml: 5 constructs x 2 themes x 5 repeating ideas (50 codes) with keywords;
  - codings/coder_a.csv and codings/coder_b.csv: A applies Poisson(0.9) Zipf-weighted codes per turn,
    B keeps each with probability 0.8 and adds one other code to 8% of turns (both review every turn).
Then runs each step as `python -m qualcode ...` in a subprocess (start-up included, ~0.2-0.5 s),
and prints, per step and size, wall and CPU seconds (user+sys of the child, from os.wait4) and the
peak resident memory of the child (ru_maxrss; MB and KB per segment), with the growth per 4x corpus
size (4 = linear; above 4.4 is flagged) and peak memory above 1.5 KB per segment flagged (issue 19).
With --table the turns are written as one raw segments table and the first step is `ingest` of that
table (10M segments as 100,000 transcript files is a file-system bench, not a qualcode one).

Run: python bench/scaling.py [--sizes 250000,1000000,4000000] [--steps ingest,...] [--table] [--keep]
                             [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TURNS_PER_FILE = 100
PARTICIPANTS = 8
MAX_GROWTH = 4.4  # growth per 4x size above this is flagged (issue 19)
MAX_KB_PER_SEGMENT = 1.5  # peak resident memory per segment above this is flagged (issue 19)
# Python with pandas and qualcode loaded holds ~100 MB before reading a row: 10 KB/segment at 10k.
# The memory flag applies from this size on, where that fixed part is under 0.4 KB/segment.
MEMORY_FLAG_FROM = 250_000

STEPS: dict[str, list[str]] = {
    "ingest": ["ingest", "transcripts", "-o", "segments.csv", "--roster", "roster.csv"],
    "ingest table": ["ingest", "segments_in.csv", "-o", "segments.csv", "--roster", "roster.csv"],
    "code --auto": [
        "code", "segments.csv", "--codebook", "codebook.yaml", "--coder", "auto", "--auto",
        "-o", "codings/auto.csv",
    ],
    "compare -f json": [
        "compare", "codings/coder_a.csv", "codings/coder_b.csv", "--codebook", "codebook.yaml",
        "-f", "json", "-o", "compare.json",
    ],
    "reconcile union": [
        "reconcile", "codings/coder_a.csv", "codings/coder_b.csv", "--strategy", "union",
        "-o", "codings/consensus.csv",
    ],
    "reconcile replay": [
        "reconcile", "codings/coder_a.csv", "codings/coder_b.csv", "--decisions",
        "codings/consensus.decisions.csv", "-o", "codings/replayed.csv",
    ],
    "report hierarchy": [
        "report", "hierarchy", "--segments", "segments.csv", "--codings", "codings/consensus.csv",
        "--codebook", "codebook.yaml", "--roster", "roster.csv", "-f", "json", "-o",
        "hierarchy.json",
    ],
    "report saturation": [
        "report", "saturation", "--segments", "segments.csv", "--codings",
        "codings/consensus.csv", "--codebook", "codebook.yaml", "--roster", "roster.csv",
    ],
    "export qdpx": [
        "export", "qdpx", "--segments", "segments.csv", "--codings", "codings/coder_a.csv",
        "--codings", "codings/coder_b.csv", "--codebook", "codebook.yaml", "--roster",
        "roster.csv", "-o", "study.qdpx",
    ],
    "code --sheet xlsx": [
        "code", "segments.csv", "--codebook", "codebook.yaml", "--coder", "coder_a", "--sheet",
        "sheet.xlsx", "-o", "codings/coder_a.csv",
    ],
    "code --from-sheet xlsx": [
        "code", "--from-sheet", "sheet.xlsx", "--codebook", "codebook.yaml", "--coder",
        "coder_a", "-o", "codings/from_sheet.csv",
    ],
    "code --sheet csv": [
        "code", "segments.csv", "--codebook", "codebook.yaml", "--coder", "coder_a", "--sheet",
        "sheet.csv", "-o", "codings/coder_a.csv",
    ],
    "code --from-sheet csv": [
        "code", "--from-sheet", "sheet.csv", "--codebook", "codebook.yaml", "--coder", "coder_a",
        "-o", "codings/from_sheet_csv.csv",
    ],
}  # fmt: skip

ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(ALPHABET) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def write_codebook(path: Path, keywords: list[list[str]]) -> list[str]:
    """5 constructs x 2 themes x 5 repeating ideas; returns the code ids in codebook order."""
    lines = ["title: Synthetic scaling study", "constructs:"]
    ids = []
    k = 0
    for c in range(1, 6):
        lines += [f"  - id: C{c}", f"    label: construct {c}", "    themes:"]
        for t in range(1, 3):
            tid = f"T{c}{t}"
            lines += [
                f"      - id: {tid}",
                f"        label: theme {tid}",
                "        repeating_ideas:",
            ]
            for _ in range(5):
                k += 1
                ids.append(f"RI{k}")
                kws = ", ".join(f'"{w}"' for w in keywords[k - 1])
                lines += [
                    f"          - id: RI{k}",
                    f"            label: idea {k}",
                    f"            definition: synthetic idea {k}",
                    f"            keywords: [{kws}]",
                ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def make_study(n_segments: int, folder: Path, seed: int = 7, *, table: bool = False) -> None:
    """The study's files; with `table`, the turns go to one raw segments table (segments_in.csv:
    segment_id, transcript_id, turn, speaker, text, source, line) instead of transcript files."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 4000)
    keywords = [[f"{rng.choice(vocab)} {rng.choice(vocab)}" for _ in range(3)] for _ in range(50)]
    code_ids = write_codebook(folder / "codebook.yaml", keywords)
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(code_ids))]
    word_weights = [1.0 / (i + 1) ** 0.9 for i in range(len(vocab))]
    cum_words = list(_accumulate(word_weights))
    cum_codes = list(_accumulate(weights))

    (folder / "transcripts").mkdir()
    (folder / "codings").mkdir()
    # closed after the generator loop (a with-block would indent all of it)
    table_path = folder / "segments_in.csv"
    table_fh = open(table_path, "w", newline="", encoding="utf-8") if table else None  # noqa: SIM115
    table_csv = csv.writer(table_fh) if table_fh else None
    if table_csv:
        table_csv.writerow(
            ["segment_id", "transcript_id", "turn", "speaker", "text", "source", "line"]
        )
    n_files = max(1, math.ceil(n_segments / TURNS_PER_FILE))
    speakers = ["Facilitator"] + [f"P{i}" for i in range(1, PARTICIPANTS + 1)]
    roster_rows = []
    coded_a: list[tuple[str, str]] = []
    coded_b: list[tuple[str, str]] = []
    segment_ids: list[str] = []
    made = 0
    for g in range(1, n_files + 1):
        tid = f"G{g}"
        site = ("North", "South", "East")[g % 3]
        for s, name in enumerate(speakers):
            facilitator = s == 0
            roster_rows.append(
                [
                    tid,
                    name,
                    f"F{g % 5 + 1}" if facilitator else f"{tid}-P{s}",
                    "facilitator" if facilitator else "participant",
                    str(g),
                    "" if facilitator else rng.choice(("female", "male", "nonbinary")),
                    "" if facilitator else rng.choice(("18-29", "30-44", "45-64", "65+")),
                    site,
                ]
            )
        turns = min(TURNS_PER_FILE, n_segments - made)
        lines = []
        previous = None
        for turn in range(1, turns + 1):
            # Alternate facilitator and participants; never the same speaker twice in a row
            # (consecutive blocks by one speaker merge into one turn).
            if turn % 5 == 1:
                name = "Facilitator" if previous != "Facilitator" else "P1"
            else:
                name = rng.choice([p for p in speakers[1:] if p != previous])
            previous = name
            sid = f"{tid}:{turn}"
            segment_ids.append(sid)
            words = rng.choices(vocab, cum_weights=cum_words, k=rng.randint(10, 40))
            codes = set()
            if name != "Facilitator":
                n = min(_poisson(rng, 0.9), 4)
                codes = set(rng.choices(code_ids, cum_weights=cum_codes, k=n))
                for c in codes:
                    # Half of the applied codes are findable by their keywords.
                    if rng.random() < 0.5:
                        idx = int(c[2:]) - 1
                        words.insert(rng.randrange(len(words) + 1), rng.choice(keywords[idx]))
            lines.append(f"{name}: {' '.join(words)}")
            lines.append("")
            for c in sorted(codes):
                coded_a.append((sid, c))
                if rng.random() < 0.8:
                    coded_b.append((sid, c))
            if name != "Facilitator" and rng.random() < 0.08:
                coded_b.append((sid, rng.choices(code_ids, cum_weights=cum_codes)[0]))
        if table_csv:
            table_csv.writerows(
                [f"{tid}:{t}", tid, t, *lines[2 * t - 2].split(": ", 1), f"{tid}.txt", 2 * t - 1]
                for t in range(1, turns + 1)
            )
        else:
            (folder / "transcripts" / f"{tid}.txt").write_text("\n".join(lines), encoding="utf-8")
        made += turns
    if table_fh:
        table_fh.close()

    with open(folder / "roster.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "transcript_id",
                "speaker",
                "participant_id",
                "role",
                "event_order",
                "gender",
                "age_band",
                "site",
            ]
        )
        w.writerows(roster_rows)
    for coder, rows in (("coder_a", coded_a), ("coder_b", coded_b)):
        coded = {sid for sid, _ in rows}
        with open(folder / "codings" / f"{coder}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(
                ["segment_id", "code_id", "coder", "origin", "memo", "start_char", "end_char"]
            )
            w.writerows([sid, c, coder, "manual", "", "", ""] for sid, c in dict.fromkeys(rows))
            # "reviewed, no code" rows for the turns without codes
            w.writerows(
                [sid, "", coder, "manual", "", "", ""] for sid in segment_ids if sid not in coded
            )


def replicate_study(source: Path, n_segments: int, folder: Path) -> None:
    """A study of n_segments as copies of an ingested smaller one (source: segments.csv, roster.csv,
    codebook.yaml, codings/coder_a.csv, coder_b.csv), each copy's transcripts renamed G<k> ->
    G<k>r<copy> with later event orders; written as a raw segments table (segments_in.csv), for
    sizes whose generation would take longer than the steps. Text repeats across copies; the
    steps timed here do not look at repeats."""
    with open(source / "segments.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        at = {c: header.index(c) for c in header}
        keep = ["segment_id", "transcript_id", "turn", "speaker", "text", "source", "line"]
        rows = [[r[at[c]] for c in keep] for r in reader]
    copies, rest = divmod(n_segments, len(rows))
    if rest:
        sys.exit(f"{n_segments:,} is not a multiple of the {len(rows):,} segments of {source}")
    with open(source / "roster.csv", newline="", encoding="utf-8") as fh:
        roster = list(csv.reader(fh))
    files = len({r[1] for r in rows})
    shutil.copy(source / "codebook.yaml", folder / "codebook.yaml")
    (folder / "codings").mkdir()

    def rename(tid: str, k: int) -> str:
        return tid if k == 0 else f"{tid}r{k}"

    with open(folder / "segments_in.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(keep)
        for k in range(copies):
            for sid, tid, turn, speaker, text, src, line in rows:
                new = rename(tid, k)
                w.writerow(
                    [new + sid[len(tid) :], new, turn, speaker, text, new + src[len(tid) :], line]
                )
    del rows
    with open(folder / "roster.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(roster[0])
        for k in range(copies):
            for tid, speaker, pid, role, order, *rest in roster[1:]:
                new = rename(tid, k)
                pid = new + pid[len(tid) :] if pid.startswith(tid + "-") else pid
                w.writerow([new, speaker, pid, role, str(int(order) + k * files), *rest])
    for coder in ("coder_a", "coder_b"):
        with open(source / "codings" / f"{coder}.csv", newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            head = next(reader)
            codings = list(reader)
        with open(folder / "codings" / f"{coder}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(head)
            for k in range(copies):
                for sid, *rest in codings:
                    tid = sid.split(":", 1)[0]
                    w.writerow([rename(tid, k) + sid[len(tid) :], *rest])


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass
class Measure:
    """One step at one size: wall and CPU seconds and the peak resident memory of the child."""

    wall: float
    cpu: float  # user + sys of the child process (os.wait4), not of this script
    peak_kb: int  # ru_maxrss of the child, in KB on Linux


# What make_study and replicate_study write; everything else in a study folder is a step's output.
GENERATED = {
    "codebook.yaml",
    "roster.csv",
    "transcripts",
    "segments_in.csv",
    "codings/coder_a.csv",
    "codings/coder_b.csv",
    ".complete",
}


def reset_outputs(folder: Path) -> None:
    """Remove what earlier runs of the steps left in a kept study (--study-dir), so every size is
    timed from the same state: a first `ingest` (not a re-ingest, which also reads the old
    segments.csv to keep turn ids stable), outputs written new rather than replaced (a replaced
    codings file is read first and backed up)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        rel = path.relative_to(folder).as_posix()
        if rel in GENERATED or rel.startswith("transcripts/") or rel == "codings":
            continue
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()


def run_step(name: str, folder: Path) -> Measure:
    cmd = [sys.executable, "-m", "qualcode", *STEPS[name]]
    with (
        open(folder / ".stdout", "wb") as out,
        open(folder / ".stderr", "wb+") as err,
    ):
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=folder, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        # wait4 gives this child's own rusage (a pipe-free wait: outputs go to files)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            tail = err.read()[-2000:].decode("utf-8", "replace")
            sys.exit(f"{name} failed (exit {child.returncode}):\n{tail}")
    return Measure(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def best_of(a: Measure, b: Measure) -> Measure:
    """Two runs of one step: the least wall and CPU time (the run least disturbed by the rest of
    the machine), the largest peak memory (the footprint is not noise)."""
    return Measure(min(a.wall, b.wall), min(a.cpu, b.cpu), max(a.peak_kb, b.peak_kb))


def growth(a: int, b: int, ta: float, tb: float) -> float:
    """Growth per 4x of size, whatever the ratio of the sizes: 4 ** exponent."""
    return 4 ** (math.log(tb / ta) / math.log(b / a)) if ta > 0 and tb > 0 and b != a else 0.0


def load_note() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,40000,160000",
        help="comma-separated corpus sizes in segments, e.g. 250000,1000000,4000000 "
        "(default 10000,40000,160000)",
    )
    parser.add_argument(
        "--steps",
        default=",".join(s for s in STEPS if s != "ingest table"),
        help=f"comma-separated steps to time (default all but 'ingest table': {', '.join(STEPS)})",
    )
    parser.add_argument(
        "--table",
        action="store_true",
        help="generate a raw segments table (segments_in.csv) instead of transcript files and "
        "start from 'ingest table' (ingest of a segments table): for sizes where 100 turns per "
        "transcript file means 100,000 files",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the temp folders (paths printed)")
    parser.add_argument(
        "--study-dir",
        type=Path,
        help="generate each size's study into DIR/<size>-seed<seed> and keep it; a study already "
        "there is reused (generating 10M segments takes longer than the steps); what earlier runs "
        "of the steps wrote there is removed first, so each run times the same first runs",
    )
    parser.add_argument(
        "--replicate",
        type=Path,
        metavar="STUDY",
        help="make each size (with --table and --study-dir) as copies of an ingested study folder "
        "of a smaller size, e.g. 10M from the 1M study (transcripts renamed per copy)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run the steps N times per size (outputs removed before each pass) and keep each "
        "step's least CPU and wall time and its largest peak memory: on a shared or busy machine "
        "one run's CPU time varies by about 10%%",
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="write the studies (with --study-dir), time nothing",
    )
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f"unknown step(s) {unknown}; choose from {list(STEPS)}")
    needs_consensus = ("reconcile replay", "report hierarchy", "report saturation")
    if any(s in steps for s in needs_consensus) and "reconcile union" not in steps:
        steps.insert(0, "reconcile union")  # replay and the reports read its outputs
    if "code --from-sheet xlsx" in steps and "code --sheet xlsx" not in steps:
        steps.insert(0, "code --sheet xlsx")
    if "code --from-sheet csv" in steps and "code --sheet csv" not in steps:
        steps.insert(0, "code --sheet csv")
    first = "ingest table" if args.table else "ingest"
    steps = [s for s in steps if s not in ("ingest", "ingest table")]
    steps.insert(0, first)  # everything reads segments.csv
    steps = [s for s in STEPS if s in steps]  # pipeline order

    env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} cores"
    print(f"scaling bench: sizes {', '.join(f'{n:,}' for n in sizes)} segments; {env_note}")
    measures: dict[str, dict[int, Measure]] = {s: {} for s in steps}
    loads: dict[str, dict[int, str]] = {s: {} for s in steps}
    for n in sizes:
        kept = args.study_dir is not None
        if kept:
            made = f"copies-of-{args.replicate.name}" if args.replicate else f"seed{args.seed}"
            folder = args.study_dir / f"{n}{'-table' if args.table else ''}-{made}"
        else:
            folder = Path(tempfile.mkdtemp(prefix=f"qualcode-scaling-{n}-"))
        try:
            if not (folder / ".complete").is_file():
                start = time.perf_counter()
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                if args.replicate:
                    replicate_study(args.replicate, n, folder)
                else:
                    make_study(n, folder, seed=args.seed, table=args.table)
                (folder / ".complete").touch()  # a study cut off halfway is made again
                print(f"  {n:>10,}: generated in {time.perf_counter() - start:.1f} s", flush=True)
            else:
                print(f"  {n:>10,}: reusing the study in {folder}", flush=True)
            if args.generate_only:
                continue
            for run in range(1, args.repeat + 1):
                reset_outputs(folder)
                for step in steps:
                    before = load_note()
                    m = run_step(step, folder)
                    kept_best = measures[step].get(n)
                    measures[step][n] = m if kept_best is None else best_of(kept_best, m)
                    loads[step][n] = before
                    print(
                        f"  {n:>10,}: {step:<24} wall {m.wall:8.2f} s  cpu {m.cpu:8.2f} s  "
                        f"peak {m.peak_kb / 1024:8.0f} MB ({m.peak_kb / n:.2f} KB/segment)  "
                        f"[{before} before]" + (f" run {run}" if args.repeat > 1 else ""),
                        flush=True,
                    )
        finally:
            if args.keep or kept:
                print(f"  kept {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)

    if args.generate_only:
        return
    print()
    if args.repeat > 1:
        print(f"each figure: the best of {args.repeat} runs (least CPU and wall, largest peak)\n")
    print_tables(steps, sizes, measures)


def print_tables(
    steps: list[str], sizes: list[int], measures: dict[str, dict[int, Measure]]
) -> None:
    pairs = list(zip(sizes, sizes[1:], strict=False))
    grow_heads = "".join(f"{'x4 ' + _short(a) + '>' + _short(b):>14}" for a, b in pairs)
    flagged = []
    for title, key in (("CPU seconds (user+sys of the child)", "cpu"), ("wall seconds", "wall")):
        header = f"{title[:24]:<24}" + "".join(f"{_short(n):>10}" for n in sizes) + grow_heads
        print(header)
        print("-" * len(header))
        for step in steps:
            values = [getattr(measures[step][n], key) for n in sizes]
            row = f"{step:<24}" + "".join(f"{v:>10.2f}" for v in values)
            for a, b in pairs:
                g = growth(a, b, getattr(measures[step][a], key), getattr(measures[step][b], key))
                over = g > MAX_GROWTH
                row += f"{g:>12.1f}{' !' if over else '  '}"
                if over and key == "cpu":
                    flagged.append(f"{step}: CPU time grows {g:.1f}x per 4x from {a:,} to {b:,}")
            print(row)
        print()
    header = f"{'peak RSS MB (KB/segment)':<24}" + "".join(f"{_short(n):>18}" for n in sizes)
    header += grow_heads
    print(header)
    print("-" * len(header))
    for step in steps:
        row = f"{step:<24}"
        for n in sizes:
            kb = measures[step][n].peak_kb
            per = kb / n
            over = per > MAX_KB_PER_SEGMENT and n >= MEMORY_FLAG_FROM
            row += f"{kb / 1024:>9.0f} ({per:5.2f}){'!' if over else ' '}"
            if over:
                flagged.append(f"{step}: peak {per:.2f} KB/segment at {n:,}")
        for a, b in pairs:
            g = growth(a, b, measures[step][a].peak_kb, measures[step][b].peak_kb)
            row += f"{g:>12.1f}  "
        print(row)
    print()
    print(
        f"growth per 4x size: 4 = linear, < 4 = fixed costs (start-up) still weigh; '!' above "
        f"{MAX_GROWTH}; peak '!' above {MAX_KB_PER_SEGMENT} KB/segment "
        f"from {MEMORY_FLAG_FROM:,} segments on (below, the ~100 MB of Python + pandas dominate).\n"
        "The verdict uses CPU time (user+sys of the step's own process): on a shared machine wall "
        "time also counts the time the step waited for a core while other people's work ran, "
        "which has nothing to do with the step's size. CPU time leaves out time waiting on the disk, "
        "so both are printed."
    )
    for line in flagged:
        print(f"over the limit: {line}")


def _short(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


if __name__ == "__main__":
    main()
