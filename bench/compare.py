"""Timing of `compare_codings` on a large synthetic study: 100,000 segments x 300 codes, two coders.

Coder A applies a Poisson(1.5) number of codes per segment with Zipf-like code frequencies; coder B
keeps each of A's codes with probability 0.85 and adds one other code to 10% of segments. Seeded.

Run: python bench/compare.py [--segments N] [--codes K] [--seed S]
"""

from __future__ import annotations

import argparse
import time


def synthetic_codings(n_segments: int, n_codes: int, seed: int = 7):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_codes + 1) ** 0.8
    weights /= weights.sum()
    code_ids = np.array([f"RI{i + 1}" for i in range(n_codes)], dtype=object)
    seg_ids = np.array(
        [f"G{i // 1000 + 1}:{i % 1000 + 1}" for i in range(n_segments)], dtype=object
    )

    per_seg = rng.poisson(1.5, n_segments)
    rows = np.repeat(np.arange(n_segments), per_seg)
    cols = rng.choice(n_codes, size=len(rows), p=weights)
    a = pd.DataFrame({"segment_id": seg_ids[rows], "code_id": code_ids[cols]})
    keep = rng.random(len(rows)) < 0.85
    extra_rows = np.flatnonzero(rng.random(n_segments) < 0.10)
    extra_cols = rng.choice(n_codes, size=len(extra_rows), p=weights)
    b = pd.DataFrame(
        {
            "segment_id": np.concatenate([seg_ids[rows[keep]], seg_ids[extra_rows]]),
            "code_id": np.concatenate([code_ids[cols[keep]], code_ids[extra_cols]]),
        }
    )
    # Every segment was reviewed by both: an empty code_id row records "reviewed, no code".
    reviewed = pd.DataFrame({"segment_id": seg_ids, "code_id": ""})
    a = pd.concat([a, reviewed], ignore_index=True).assign(coder="coder_a", origin="manual")
    b = pd.concat([b, reviewed], ignore_index=True).assign(coder="coder_b", origin="manual")
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from qualcode.agreement.compare import compare_codings

    start = time.perf_counter()
    a, b = synthetic_codings(args.segments, args.codes, args.seed)
    print(f"generated {len(a):,} + {len(b):,} coding rows in {time.perf_counter() - start:.2f} s")
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = compare_codings(a, b)
        times.append(time.perf_counter() - start)
    print(
        f"compare_codings: {args.segments:,} segments x {args.codes} codes, best of {args.repeats}:"
    )
    print(f"  {min(times):.2f} s (all runs: {', '.join(f'{t:.2f}' for t in times)})")
    o = result.overall
    print(
        f"  {len(result.per_code)} codes, {len(result.disagreements):,} disagreements, "
        f"pooled kappa {o['pooled']['cohen_kappa']:.3f}, "
        f"set alpha MASI {o['set_alpha_masi']:.3f} ({o['set_alpha_masi_reason'] or 'computed'})"
    )


if __name__ == "__main__":
    main()
