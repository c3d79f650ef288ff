"""Agreement engine speed: 2 coders x 200 codes x 100,000 segments, every statistic for every code.

Ours: `binary_counts` (boolean matrices -> 2x2 counts of every code) + `binary_agreement` (all
statistics for all codes from the counts). Oracles, as a user would call them: the `krippendorff`
package (nominal alpha) and scikit-learn (`cohen_kappa_score`), one code at a time. The oracle loops
run on a subset of codes and are extrapolated to all codes (said in the output), so the bench
finishes in about a minute.

Run: python bench/agreement.py [--segments 100000] [--codes 200] [--oracle-codes 10]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

from qualcode.agreement import binary_agreement, binary_counts, krippendorff_alpha


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=200)
    parser.add_argument("--oracle-codes", type=int, default=10)
    args = parser.parse_args()
    n, k, k_sub = args.segments, args.codes, min(args.oracle_codes, args.codes)

    rng = np.random.default_rng(2024)
    prevalence = rng.uniform(0.001, 0.3, k)
    a = rng.random((n, k)) < prevalence
    b = a ^ (rng.random((n, k)) < 0.05)  # coder B disagrees with A on ~5% of decisions
    print(f"data: 2 coders x {k} codes x {n:,} segments (boolean presence)")

    counts_s = best_of(lambda: binary_counts(a, b), 5)
    counts = binary_counts(a, b)
    stats_s = best_of(lambda: binary_agreement(*counts), 20)
    ours = binary_agreement(*counts)
    ours_s = counts_s + stats_s
    print(f"ours   binary_counts         : {counts_s * 1000:9.1f} ms  (all {k} codes)")
    print(f"ours   binary_agreement      : {stats_s * 1000:9.2f} ms  (7 statistics x {k} codes)")
    print(f"ours   total                 : {ours_s * 1000:9.1f} ms")

    subset = range(k_sub)
    ratings = [np.c_[a[:, j], b[:, j]].astype(np.float64) for j in subset]

    def kripp_loop() -> list[float]:
        return [krippendorff.alpha(r.T, level_of_measurement="nominal") for r in ratings]

    def sklearn_loop() -> list[float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [cohen_kappa_score(a[:, j], b[:, j]) for j in subset]

    def general_loop() -> list[float]:
        return [krippendorff_alpha(r).value for r in ratings]

    scale = k / k_sub
    kripp_s = best_of(kripp_loop, 2) * scale
    sklearn_s = best_of(sklearn_loop, 2) * scale
    general_s = best_of(general_loop, 2) * scale
    note = f"(timed on {k_sub} codes, x{scale:g} for {k})"
    print(f"krippendorff.alpha per code  : {kripp_s * 1000:9.1f} ms  {note}")
    print(f"sklearn cohen_kappa_score    : {sklearn_s * 1000:9.1f} ms  {note}")
    print(f"ours general engine per code : {general_s * 1000:9.1f} ms  {note} (alpha only)")
    print(
        f"ratio krippendorff / ours    : {kripp_s / ours_s:9.1f}x  (theirs: alpha only; ours: 7 stats)"
    )
    print(
        f"ratio scikit-learn / ours    : {sklearn_s / ours_s:9.1f}x  (theirs: kappa only; ours: 7 stats)"
    )

    # The same numbers, not just fast ones.
    alphas = np.array(kripp_loop())
    kappas = np.array(sklearn_loop())
    worst = max(
        float(np.nanmax(np.abs(alphas - ours["krippendorff_alpha"][:k_sub]))),
        float(np.nanmax(np.abs(kappas - ours["cohen_kappa"][:k_sub]))),
    )
    print(f"max |ours - oracle| on those codes: {worst:.1e}")
    print(f"median kappa over codes: {statistics.median(ours['cohen_kappa'].tolist()):.3f}")


if __name__ == "__main__":
    main()
