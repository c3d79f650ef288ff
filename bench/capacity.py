"""Memory estimates against measured peaks: each step's `qualcode.capacity` estimate beside its peak.

For a study folder made by bench/scaling.py (segments.csv, roster.csv, codebook.yaml,
codings/coder_a.csv, coder_b.csv, consensus.csv and consensus.decisions.csv; `transcripts/` for
ingest), runs each step as `python -m qualcode ...` in a child process under `nice`, and prints the
peak resident memory of the child (ru_maxrss from os.wait4, the figure `/usr/bin/time -v` prints),
the estimate `check_fits` compares with the memory available (for the same input files), their
ratio, and (peak - BASE) per input byte: the figure FOOTPRINTS in qualcode/capacity.py is taken from.
An estimate below its peak is flagged: that study could still be killed halfway.
Outputs go to a temp folder (the study is only read).

Run: python bench/capacity.py STUDY_DIR [--steps "ingest,reconcile union"] [--list]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from qualcode.capacity import BASE, estimate, human_size, study_size  # noqa: E402

A, B, CONS = "codings/coder_a.csv", "codings/coder_b.csv", "codings/consensus.csv"
DECISIONS = "codings/consensus.decisions.csv"
BOOK = ["--codebook", "codebook.yaml"]
STUDY = ["--segments", "segments.csv", "--codings", CONS, *BOOK, "--roster", "roster.csv"]
# name: (footprint step, the inputs check_fits is given, the command; OUT is the temp folder)
STEPS: dict[str, tuple[str, dict, list[str]]] = {
    "ingest": ("ingest", {"sources": ["transcripts"]},
               ["ingest", "transcripts", "-o", "OUT/segments.csv", "--roster", "roster.csv"]),
    "ingest table": ("ingest", {"sources": ["segments.csv"]},
                     ["ingest", "segments.csv", "-o", "OUT/segments.csv", "--roster", "roster.csv"]),
    "code --auto": ("code --auto", {"sources": ["segments.csv"]},
                    ["code", "segments.csv", *BOOK, "--coder", "x", "--auto", "-o", "OUT/x.csv"]),
    "code --sheet csv": ("code --sheet", {"sources": ["segments.csv"]},
                         ["code", "segments.csv", *BOOK, "--coder", "x", "--sheet",
                          "OUT/sheet.csv", "-o", "OUT/x.csv"]),
    "compare": ("compare", {"codings": [A, B]},
                ["compare", A, B, *BOOK, "-f", "json", "-o", "OUT/c.json"]),
    "compare --segments": ("compare", {"codings": [A, B], "segments": "segments.csv"},
                           ["compare", A, B, *BOOK, "--segments", "segments.csv", "-f", "json",
                            "-o", "OUT/c.json"]),
    "compare 3 coders": ("compare 3+ coders", {"codings": [A, B, CONS]},
                         ["compare", A, B, CONS, *BOOK, "-f", "json", "-o", "OUT/c.json"]),
    "reconcile union": ("reconcile", {"codings": [A, B]},
                        ["reconcile", A, B, "--strategy", "union", "-o", "OUT/cons.csv"]),
    "reconcile replay": ("reconcile", {"codings": [A, B, DECISIONS]},
                         ["reconcile", A, B, "--decisions", DECISIONS, "-o", "OUT/cons.csv"]),
    "report hierarchy": ("report", {"segments": "segments.csv", "codings": [CONS]},
                         ["report", "hierarchy", *STUDY, "-f", "json", "-o", "OUT/h.json"]),
    "report saturation": ("report", {"segments": "segments.csv", "codings": [CONS]},
                          ["report", "saturation", *STUDY, "-f", "json", "-o", "OUT/s.json"]),
    "report methods": ("report", {"segments": "segments.csv", "codings": [CONS, A, B, DECISIONS]},
                       ["report", "methods", *STUDY, "--coder-a", A, "--coder-b", B,
                        "--decisions", DECISIONS, "-f", "json", "-o", "OUT/m.json"]),
    "export qdpx": ("export qdpx", {"segments": "segments.csv", "codings": [A, B]},
                    ["export", "qdpx", "--segments", "segments.csv", "--codings", A, "--codings",
                     B, *BOOK, "--roster", "roster.csv", "-o", "OUT/s.qdpx"]),
}  # fmt: skip


def peak_of(cmd: list[str], cwd: Path) -> tuple[int, float, int]:
    """(peak RSS in bytes, CPU seconds, exit code) of `nice python -m qualcode cmd` in `cwd`."""
    proc = subprocess.Popen(
        ["nice", sys.executable, "-m", "qualcode", *cmd],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    _, status, usage = os.wait4(proc.pid, 0)
    return (
        usage.ru_maxrss * 1024,
        usage.ru_utime + usage.ru_stime,
        os.waitstatus_to_exitcode(status),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study", type=Path)
    ap.add_argument("--steps", help="comma-separated step names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the step names and exit")
    args = ap.parse_args()
    if args.list:
        print("\n".join(STEPS))
        return
    names = [s.strip() for s in args.steps.split(",")] if args.steps else list(STEPS)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.study}: load average {load} at {time.strftime('%H:%M:%S')}")
    with tempfile.TemporaryDirectory() as out:
        for name in names:
            step, inputs, cmd = STEPS[name]
            given = {
                k: ([args.study / p for p in v] if isinstance(v, list) else args.study / v)
                for k, v in inputs.items()
            }
            size = study_size(**given)
            needed = estimate(step, size)
            peak, cpu, code = peak_of([c.replace("OUT", out) for c in cmd], args.study)
            per = (peak - BASE) / max(size.segments + size.codings + size.transcripts, 1)
            flag = "  ESTIMATE BELOW PEAK" if needed < peak else ""
            print(
                f"{name:20s} peak {human_size(peak):>9s}  estimate {human_size(needed):>9s}  "
                f"estimate/peak {needed / peak:5.2f}  (peak-BASE)/input byte {per:6.2f}  "
                f"cpu {cpu:6.1f} s  exit {code}{flag}",
                flush=True,
            )


if __name__ == "__main__":
    main()
