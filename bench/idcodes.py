"""pandas' hash-table factorisation against qualcode.idcodes on id columns shaped like a study's.

Two coders' codings of N segments (ids "G<group>:<turn>", about 1.2 rows per segment per coder, in
file order) and a segments file's id column (each id once). Prints CPU seconds, the best of
--repeat runs, for each size, so MIN_SIZE / UNIQUE_MIN_SIZE in qualcode/idcodes.py can be checked
on another machine.

Run: python bench/idcodes.py [--sizes 250000,1000000,4000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _best(make, fn, repeat: int) -> float:
    """The least CPU time of `fn(make())` over `repeat` runs, each on freshly made strings (as
    read from a file: one str object per cell, its hash not computed yet)."""
    times = []
    for _ in range(repeat):
        values = make()
        start = time.process_time()
        fn(values)
        times.append(time.process_time() - start)
    return min(times)


def _codings(segments: int):
    """Two coders' segment_id column: each segment 0-3+ rows per coder (Poisson 1.2), file order."""
    import numpy as np

    rng = np.random.default_rng(7)
    rows = np.concatenate(
        [np.repeat(np.arange(segments), rng.poisson(1.2, segments)) for _ in "ab"]
    )
    return np.array([f"G{i // 40 + 1}:{i % 40 + 1}" for i in rows.tolist()], dtype=object)


def _segment_ids(segments: int):
    import numpy as np

    return np.array([f"G{i // 40 + 1}:{i % 40 + 1}" for i in range(segments)], dtype=object)


def main() -> None:
    import pandas as pd

    from qualcode import idcodes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250000,1000000,4000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{'segments':>10} {'values':>10}  factorize: pandas  idcodes   is_unique: pandas  idcodes"
    )
    for size in [int(s) for s in args.sizes.split(",")]:
        codings = _codings(size)
        make_codings, make_ids = partial(_codings, size), partial(_segment_ids, size)
        row = [
            _best(make_codings, pd.factorize, args.repeat),
            _best(make_codings, partial(idcodes.factorize, min_size=0), args.repeat),
            _best(make_ids, lambda v: pd.Index(v).is_unique, args.repeat),
            _best(make_ids, partial(idcodes.is_unique, min_size=0), args.repeat),
        ]
        print(
            f"{size:>10,} {len(codings):>10,}  {row[0]:17.3f} {row[1]:8.3f}"
            f" {row[2]:18.3f} {row[3]:8.3f}"
        )


if __name__ == "__main__":
    main()
