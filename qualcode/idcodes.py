"""Id strings to integer codes at a cost that grows with the column, not faster.

`pd.factorize` and `Index.is_unique` put every distinct string in one hash table. Past a few million
distinct ids that table and the strings it points to no longer fit the CPU caches, and each probe
goes to memory: on a 2-core machine with a 32 MB L3 cache, factorising the segment ids of two coders'
codings took 0.30 s at 1M segments and 3.76 s at 4M (12.7x for 4x; pd.factorize on the bench
studies' coder_a + coder_b segment_id columns, one process, load ~1). Here each string is hashed
once in file order, the (hash, position) pairs are sorted as integers, and the codes are numbered by
a sequential pass; a string is touched again only to compare a repeat with its first occurrence.
Results are exactly those of pandas: tested against it.

Strings share a code only when they compare equal: a hash collision costs time, never a wrong code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

#: Below these many values pandas' hash table is as fast or faster (the caches still hold most of
#: it). bench/idcodes.py, CPU s, pandas / idcodes, load ~4.5: factorize of two coders' codings
#: 2.4M values 0.258 / 0.470, 9.6M values 2.449 / 2.373; is_unique of 250k ids 0.036 / 0.026,
#: 1M 0.187 / 0.113, 4M 1.982 / 0.477.
MIN_SIZE = 1 << 23
UNIQUE_MIN_SIZE = 1 << 16


def _as_strings(values: object) -> np.ndarray | None:
    """The values as an object array if every one is a str (no missing value), else None."""
    import numpy as np
    import pandas as pd

    array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        return None
    if len(array) and pd.api.types.infer_dtype(array, skipna=False) != "string":
        return None
    return array


def _first_positions(array: np.ndarray, hashes: np.ndarray | None = None) -> np.ndarray:
    """For each position, the first position holding an equal string. `hashes` (uint64, one per
    value) defaults to Python's str hash; values that share a hash but differ are told apart by
    comparing them, so a collision never merges two ids."""
    import numpy as np

    n = len(array)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if hashes is None:
        keys = np.fromiter(map(hash, array), dtype=np.int64, count=n).view(np.uint64)
    else:
        keys = hashes.astype(np.uint64)  # a copy: the keys are built in place
    bits = max(1, (n - 1).bit_length())
    shift = np.uint64(bits)
    # One uint64 per value: the hash's high bits above the position, so a plain sort (cheaper and
    # more cache-friendly than an argsort) groups equal hashes with their positions ascending.
    keys >>= shift
    keys <<= shift
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort()
    positions = (keys & np.uint64((1 << bits) - 1)).astype(np.int64)
    keys >>= shift
    run_start = np.zeros(n, dtype=np.int64)
    np.not_equal(keys[1:], keys[:-1], out=keys[1:])  # 1 where a run of equal hashes starts
    np.multiply(np.arange(1, n), keys[1:], out=run_start[1:], casting="unsafe")
    del keys
    np.maximum.accumulate(run_start, out=run_start)  # index of each value's run start
    first = np.empty(n, dtype=np.int64)
    first[positions] = positions[run_start]
    del positions, run_start
    repeats = np.flatnonzero(first != np.arange(n))
    differ = repeats[array[repeats] != array[first[repeats]]]
    for head in np.unique(first[differ]).tolist():
        # Different strings in one run (their hashes agree above the position bits): number
        # the run's values by string, in position order. A few values per million.
        members = np.flatnonzero(first == head).tolist()
        first_of_value: dict[str, int] = {}
        for p in members:
            first[p] = first_of_value.setdefault(array[p], p)
    return first


def factorize(
    values: object, *, use_na_sentinel: bool = True, min_size: int = MIN_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize(values)` as two numpy arrays: int64 codes in first-seen order, and the
    distinct values (object). Columns with a missing or non-str value, or shorter than MIN_SIZE,
    go to pandas itself."""
    import numpy as np
    import pandas as pd

    array = _as_strings(values)
    if array is None or len(array) < max(min_size, 1):
        codes, uniques = pd.factorize(
            np.asarray(values, dtype=object), use_na_sentinel=use_na_sentinel
        )
        return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)
    first = _first_positions(array)
    is_first = first == np.arange(len(array))
    code_at = np.cumsum(is_first) - 1
    return code_at[first], array[is_first]


def is_unique(values: object, *, min_size: int = UNIQUE_MIN_SIZE) -> bool:
    """`pd.Index(values).is_unique`, without one hash table over every value."""
    import numpy as np
    import pandas as pd

    array = _as_strings(values)
    if array is None or len(array) < max(min_size, 2):
        return bool(pd.Index(np.asarray(values, dtype=object)).is_unique)
    hashes = np.fromiter(map(hash, array), dtype=np.int64, count=len(array))
    hashes.sort()
    if not (hashes[1:] == hashes[:-1]).any():
        return True  # equal strings have equal hashes
    return len(factorize(array, min_size=min_size)[1]) == len(array)
