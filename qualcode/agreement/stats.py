"""Inter-coder agreement statistics in pure numpy (docs/method.md, "Inter-coder agreement").

Two entry points:

* the general engine over a ``units x coders`` array (object or numeric; ``None``/``NaN`` = not
  rated), for 2 or more coders: `percent_agreement`, `cohen_kappa`, `scott_pi`, `fleiss_kappa`,
  `krippendorff_alpha`, `gwet_ac1`, `brennan_prediger`, and `set_alpha` for set-valued ratings
  (several codes on one segment) with the MASI or Jaccard distance;
* the vectorised path for the common case, two coders and binary presence of each code:
  `binary_counts` turns two ``segments x codes`` boolean matrices into the 2x2 counts of every code,
  and `binary_agreement` gives every statistic for every code in one pass of array arithmetic.

Conventions that change the number are decided once (method.md):

* categories are the *declared* ones when given (the codebook), used or not: they set q in
  Brennan-Prediger and Gwet's AC1 and the spacing of weighted kappa's weights;
* missing ratings follow each statistic's published definition: Krippendorff's alpha drops units with
  fewer than 2 values; Fleiss' kappa, AC1 and Brennan-Prediger follow Gwet (2014): agreement over
  units with at least 2 ratings, category proportions pi_k = mean over units with at least 1 rating of
  n_uk / n_u; Cohen's kappa and Scott's pi (2 coders) drop units either coder left unrated;
* an undefined value (no variation, fewer than 2 pairable values) is NaN with a reason string, never
  a crash and never a silent 0 or 1.

Sources: Cohen (1960, 1968); Scott (1955); Fleiss (1971); Brennan & Prediger (1981); Krippendorff
(2011) "Computing Krippendorff's alpha-reliability"; Gwet (2014) *Handbook of Inter-Rater
Reliability*, 4th ed.; Passonneau (2006) "Measuring agreement on set-valued items (MASI)".
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from qualcode.errors import QualcodeError

__all__ = [
    "AgreementInputError",
    "AgreementResult",
    "binary_agreement",
    "binary_counts",
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "jaccard_distance",
    "krippendorff_alpha",
    "masi_distance",
    "percent_agreement",
    "scott_pi",
    "set_alpha",
    "set_alpha_matrix",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"] | None
SetDistance = Literal["masi", "jaccard"] | Callable[[frozenset, frozenset], float]

# Reasons for an undefined value (stable strings: reports and tests show them).
REASON_NO_UNITS = "no unit was rated by 2 or more coders"
REASON_NO_PAIRS = "fewer than 2 pairable values (no unit has 2 or more ratings)"
REASON_NO_VARIATION = "no variation: every rating is the same category, so chance agreement is 1"
REASON_NO_DISTANCE = (
    "no variation: all pairable values are at distance 0, so expected disagreement is 0"
)
REASON_ONE_CATEGORY = "only one category (q = 1), so chance agreement is 1"
REASON_CODE_UNUSED = "neither coder applied the code"
REASON_NO_BOTH_RATED = "no unit was rated by both coders"


class AgreementInputError(QualcodeError, ValueError):
    """Ratings that cannot be scored as given (a ValueError too, for library callers)."""


@dataclass(frozen=True)
class AgreementResult:
    """One agreement coefficient: `value` is NaN exactly when `reason` says why it is undefined.

    `observed` and `expected` are the statistic's own terms: observed and chance agreement
    (p_a, p_e) for the kappa family, observed and expected disagreement (D_o, D_e) for alpha.
    `n_units` counts the units that entered the agreement term, `n_values` the ratings used
    (for alpha: the pairable values n of Krippendorff 2011).
    """

    value: float
    reason: str | None = None
    n_units: int = 0
    n_coders: int = 0
    n_values: int = 0
    n_categories: int = 0
    observed: float = math.nan
    expected: float = math.nan
    statistic: str = ""

    def __float__(self) -> float:
        return float(self.value)

    @property
    def defined(self) -> bool:
        return self.reason is None


# --- encoding -----------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN (float, numpy) is the only value unequal to itself
    except (TypeError, ValueError):  # pandas.NA refuses bool(); treat it as missing like NaN
        return True


def _sorted_if_possible(values: list) -> list:
    try:
        return sorted(values)
    except TypeError:  # mixed types: keep the order of first appearance
        return values


def _encode(ratings: Any, categories: Sequence | None) -> tuple[np.ndarray, list]:
    """Ratings -> (units x coders int codes, -1 = missing; the category list codes index into)."""
    try:
        arr = np.asarray(ratings)
    except ValueError as exc:  # ragged rows, or lists inside cells
        raise AgreementInputError(
            "ratings must be a units x coders table of single values, with the same number of "
            "coders on every row",
            hint="for several codes per unit use set_alpha (MASI or Jaccard distance)",
        ) from exc
    if arr.dtype.kind in "USO":
        arr = arr.astype(object)  # plain Python values (str, not numpy.str_) as categories
    if arr.ndim != 2:
        raise AgreementInputError(
            f"ratings must be a 2-dimensional units x coders table, got {arr.ndim} dimension(s)"
        )

    declared: list | None = None
    index: dict[Any, int] | None = None
    if categories is not None:
        declared = list(categories)
        index = {}
        for c in declared:
            if _is_missing(c):
                raise AgreementInputError("declared categories must not contain None or NaN")
            if c in index:
                raise AgreementInputError(f"category {c!r} is declared twice")
            index[c] = len(index)

    codes = np.full(arr.shape, -1, dtype=np.int64)
    if arr.dtype.kind in "iufb":
        mask = np.isnan(arr) if arr.dtype.kind == "f" else np.zeros(arr.shape, dtype=bool)
        uniq, inverse = np.unique(arr[~mask], return_inverse=True)
        if index is None:
            cats = [u.item() for u in uniq]
            codes[~mask] = inverse
        else:
            lookup = np.array([index.get(u.item(), -1) for u in uniq], dtype=np.int64)
            _check_known([u.item() for u, k in zip(uniq, lookup, strict=True) if k < 0])
            codes[~mask] = lookup[inverse]
            cats = declared
        return codes, cats

    seen: dict[Any, int] = {} if index is None else index
    unknown: list = []
    for (i, j), v in np.ndenumerate(arr):
        if _is_missing(v):
            continue
        try:
            k = seen.get(v)
        except TypeError as exc:  # unhashable: a list or set of codes
            raise AgreementInputError(
                f"unit {i + 1}, coder {j + 1}: rating {v!r} is not a single category",
                hint="for several codes per unit use set_alpha (MASI or Jaccard distance)",
            ) from exc
        if k is None:
            if index is not None:
                unknown.append(v)
                continue
            k = seen[v] = len(seen)
        codes[i, j] = k
    if index is not None:
        _check_known(unknown)
        return codes, declared
    observed = list(seen)
    ordered = _sorted_if_possible(observed)
    if ordered != observed:
        rank = {v: r for r, v in enumerate(ordered)}
        remap = np.array([rank[v] for v in observed] + [-1], dtype=np.int64)
        codes = remap[codes]  # -1 indexes the trailing -1: missing stays missing
    return codes, ordered


def _check_known(unknown: list) -> None:
    if unknown:
        shown = ", ".join(repr(v) for v in list(dict.fromkeys(unknown))[:5])
        raise AgreementInputError(
            f"ratings contain {len(set(unknown))} value(s) not among the declared categories: {shown}",
            hint="declare every category the coders used (the codebook), or correct the ratings",
        )


def _count_matrix(codes: np.ndarray, q: int) -> np.ndarray:
    """n_uk: how many coders put unit u in category k (units x q), from the int codes."""
    n_units = codes.shape[0]
    rows = np.broadcast_to(np.arange(n_units)[:, None], codes.shape)
    ok = codes >= 0
    flat = rows[ok] * q + codes[ok]
    return np.bincount(flat, minlength=n_units * q).reshape(n_units, q).astype(np.float64)


def _prepare(ratings: Any, categories: Sequence | None, min_coders: int = 2):
    codes, cats = _encode(ratings, categories)
    if codes.shape[1] < min_coders:
        raise AgreementInputError(
            f"agreement needs at least {min_coders} coders (columns), got {codes.shape[1]}"
        )
    return codes, cats


def _two_coders(ratings: Any, categories: Sequence | None, name: str):
    codes, cats = _prepare(ratings, categories)
    if codes.shape[1] != 2:
        raise AgreementInputError(
            f"{name} is defined for exactly 2 coders, got {codes.shape[1]}",
            hint="use fleiss_kappa or krippendorff_alpha for 3 or more coders",
        )
    return codes[(codes >= 0).all(axis=1)], cats


def _undefined(reason: str, statistic: str, **counts: Any) -> AgreementResult:
    return AgreementResult(value=math.nan, reason=reason, statistic=statistic, **counts)


# --- the Fleiss / Gwet family -------------------------------------------------------------------


def _gwet_terms(counts: np.ndarray) -> tuple[float, int, np.ndarray]:
    """(p_a, units with >= 2 ratings, pi_k) as in Gwet (2014, eq. 2.9 and 2.10 with missing ratings).

    p_a is the mean over units with r_u >= 2 of sum_k n_uk (n_uk - 1) / (r_u (r_u - 1)); pi_k is the
    mean over units with r_u >= 1 of n_uk / r_u.
    """
    r = counts.sum(axis=1)
    two = r >= 2
    n2 = int(two.sum())
    if n2:
        c2 = counts[two]
        r2 = r[two]
        pa = float(np.mean((c2 * (c2 - 1)).sum(axis=1) / (r2 * (r2 - 1))))
    else:
        pa = math.nan
    one = r >= 1
    pi = (counts[one] / r[one, None]).mean(axis=0) if one.any() else np.zeros(counts.shape[1])
    return pa, n2, pi


def percent_agreement(ratings: Any, categories: Sequence | None = None) -> AgreementResult:
    """Share of agreeing coder pairs per unit, averaged over units with >= 2 ratings (Gwet 2014, eq. 2.9).

    With 2 coders this is the share of units both rated on which they agree.
    """
    codes, cats = _prepare(ratings, categories)
    counts = _count_matrix(codes, len(cats))
    pa, n2, _ = _gwet_terms(counts)
    common = {"n_units": n2, "n_coders": codes.shape[1], "n_categories": len(cats)}
    if n2 == 0:
        return _undefined(REASON_NO_UNITS, "percent_agreement", **common)
    used = counts[counts.sum(axis=1) >= 2]
    return AgreementResult(
        pa, None, n_values=int(used.sum()), observed=pa, statistic="percent_agreement", **common
    )


def _chance_corrected(
    counts: np.ndarray, pe_of: Callable[[np.ndarray], float], statistic: str, n_coders: int, q: int
) -> AgreementResult:
    pa, n2, pi = _gwet_terms(counts)
    common = {
        "n_units": n2,
        "n_coders": n_coders,
        "n_values": int(counts[counts.sum(axis=1) >= 2].sum()),
        "n_categories": q,
        "statistic": statistic,
    }
    if n2 == 0:
        return _undefined(REASON_NO_UNITS, **common)
    pe = pe_of(pi)
    if pe >= 1.0:
        reason = REASON_ONE_CATEGORY if q < 2 else REASON_NO_VARIATION
        return AgreementResult(math.nan, reason, observed=pa, expected=pe, **common)
    return AgreementResult((pa - pe) / (1 - pe), None, observed=pa, expected=pe, **common)


def _fleiss_pe(pi: np.ndarray) -> float:
    # Exactly 1 when one category holds every rating; floating sums of squares could miss it.
    return 1.0 if np.count_nonzero(pi) <= 1 else float(np.sum(pi * pi))


def fleiss_kappa(ratings: Any, categories: Sequence | None = None) -> AgreementResult:
    """Fleiss' kappa (Fleiss 1971, eq. 9-10), generalised to missing ratings as in Gwet (2014, ch. 2).

    kappa = (p_a - p_e) / (1 - p_e), p_e = sum_k pi_k^2, with p_a and pi_k from `_gwet_terms`. With no
    missing ratings this is Fleiss' original statistic; with 2 coders and none missing, Scott's pi.
    """
    codes, cats = _prepare(ratings, categories)
    counts = _count_matrix(codes, len(cats))
    return _chance_corrected(counts, _fleiss_pe, "fleiss_kappa", codes.shape[1], len(cats))


def gwet_ac1(ratings: Any, categories: Sequence | None = None) -> AgreementResult:
    """Gwet's AC1 (Gwet 2008; 2014, eq. 2.11): p_e = sum_k pi_k (1 - pi_k) / (q - 1).

    q is the number of declared categories (observed ones if none are declared); pi_k and p_a handle
    missing ratings as in `fleiss_kappa`.
    """
    codes, cats = _prepare(ratings, categories)
    q = len(cats)
    counts = _count_matrix(codes, q)

    def pe(pi: np.ndarray) -> float:
        return 1.0 if q < 2 else float(np.sum(pi * (1 - pi)) / (q - 1))

    return _chance_corrected(counts, pe, "gwet_ac1", codes.shape[1], q)


def brennan_prediger(ratings: Any, categories: Sequence | None = None) -> AgreementResult:
    """Brennan & Prediger (1981) coefficient: p_e = 1 / q, q = number of declared categories.

    p_a over units with >= 2 ratings as in Gwet (2014, eq. 2.9).
    """
    codes, cats = _prepare(ratings, categories)
    q = len(cats)
    counts = _count_matrix(codes, q)
    return _chance_corrected(
        counts, lambda _pi: 1.0 if q < 2 else 1.0 / q, "brennan_prediger", codes.shape[1], q
    )


def scott_pi(ratings: Any, categories: Sequence | None = None) -> AgreementResult:
    """Scott's pi (Scott 1955) for exactly 2 coders on the units both rated.

    p_e = sum_k pi_k^2 with pi_k the pooled share of both coders' ratings in category k. For 3 or
    more coders its generalisation is `fleiss_kappa`.
    """
    codes, cats = _two_coders(ratings, categories, "Scott's pi")
    counts = _count_matrix(codes, len(cats))
    result = _chance_corrected(counts, _fleiss_pe, "scott_pi", 2, len(cats))
    if result.n_units == 0:
        return _undefined(REASON_NO_BOTH_RATED, "scott_pi", n_coders=2, n_categories=len(cats))
    return result


def cohen_kappa(
    ratings: Any, categories: Sequence | None = None, weights: Weights = None
) -> AgreementResult:
    """Cohen's kappa (Cohen 1960) and weighted kappa (Cohen 1968) for exactly 2 coders.

    kappa_w = 1 - sum_ij d_ij o_ij / sum_ij d_ij e_ij over the units both coders rated, with
    e_ij = row_i col_j / n and disagreement weights d_ij = [i != j] (unweighted), |i - j| (linear) or
    (i - j)^2 (quadratic), where i, j are positions in the declared category order (observed, sorted
    order when none is declared). Unused declared categories therefore change the weighted value.
    `observed`/`expected` report the agreement terms 1 - sum d o / (n d_max) and 1 - sum d e / (n d_max).
    """
    if weights not in (None, "linear", "quadratic"):
        raise AgreementInputError(
            f"unknown kappa weights {weights!r}; use None, 'linear' or 'quadratic'"
        )
    codes, cats = _two_coders(ratings, categories, "Cohen's kappa")
    q = len(cats)
    n = codes.shape[0]
    common = {"n_units": n, "n_coders": 2, "n_values": 2 * n, "n_categories": q}
    name = "cohen_kappa" if weights is None else f"cohen_kappa_{weights}"
    if n == 0:
        return _undefined(REASON_NO_BOTH_RATED, name, **common)
    table = np.bincount(codes[:, 0] * q + codes[:, 1], minlength=q * q).reshape(q, q)
    table = table.astype(np.float64)
    pos = np.arange(q, dtype=np.float64)
    if weights is None:
        d = 1.0 - np.eye(q)
    elif weights == "linear":
        d = np.abs(pos[:, None] - pos[None, :])
    else:
        d = (pos[:, None] - pos[None, :]) ** 2
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    do = float((d * table).sum())
    de = float((d * expected).sum())
    d_max = float(d.max()) if q > 1 else 1.0
    po, pe = 1 - do / (n * d_max), 1 - de / (n * d_max)
    if de <= 0:
        reason = REASON_ONE_CATEGORY if q < 2 else REASON_NO_VARIATION
        return AgreementResult(math.nan, reason, observed=po, expected=pe, statistic=name, **common)
    return AgreementResult(1 - do / de, None, observed=po, expected=pe, statistic=name, **common)


# --- Krippendorff's alpha -----------------------------------------------------------------------


def _coincidences(counts: np.ndarray) -> tuple[np.ndarray, int]:
    """Coincidence matrix o_ck (Krippendorff 2011, sec. E) over units with m_u >= 2 values.

    o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1); returns (o, units used).
    """
    m = counts.sum(axis=1)
    keep = m >= 2
    c = counts[keep]
    scaled = c / (m[keep] - 1)[:, None]
    o = scaled.T @ c
    o[np.diag_indices_from(o)] -= scaled.sum(axis=0)
    return o, int(keep.sum())


def _alpha_from_coincidences(
    o: np.ndarray,
    delta: np.ndarray,
    statistic: str,
    n_units: int,
    n_coders: int,
    n_categories: int,
) -> AgreementResult:
    """alpha = 1 - D_o / D_e, D_o = sum o_ck delta_ck / n, D_e = sum e_ck delta_ck / n with
    e_ck = (n_c n_k - [c = k] n_c) / (n - 1) (Krippendorff 2011, sec. E)."""
    n_c = o.sum(axis=0)
    n = float(n_c.sum())
    common = {
        "n_units": n_units,
        "n_coders": n_coders,
        "n_values": round(n),
        "n_categories": n_categories,
        "statistic": statistic,
    }
    if n_units == 0 or n < 2:
        return _undefined(REASON_NO_PAIRS, **common)
    e = (np.outer(n_c, n_c) - np.diag(n_c)) / (n - 1)
    d_o = float((o * delta).sum()) / n
    d_e = float((e * delta).sum()) / n
    if not d_e > 0:
        return AgreementResult(math.nan, REASON_NO_DISTANCE, observed=d_o, expected=d_e, **common)
    return AgreementResult(1 - d_o / d_e, None, observed=d_o, expected=d_e, **common)


def _delta_matrix(
    cats: list, n_c: np.ndarray, level: str, distance: Callable | None, declared: bool
) -> np.ndarray:
    """The metric delta^2_ck of Krippendorff (2011, sec. F) over the categories in order."""
    q = len(cats)
    if distance is not None:
        delta = np.zeros((q, q))
        used = np.flatnonzero(n_c > 0)  # unused values meet no pair: skip their distances
        for i in used:
            for j in used:
                delta[i, j] = float(distance(cats[i], cats[j]))
        return delta
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        if not declared and not all(isinstance(c, numbers.Real) for c in cats):
            raise AgreementInputError(
                "ordinal alpha over non-numeric values needs the categories declared in order"
            )
        # delta_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2, a rank distance on the marginals n_g.
        cs = np.concatenate([[0.0], np.cumsum(n_c)])
        lo = np.minimum.outer(np.arange(q), np.arange(q))
        hi = np.maximum.outer(np.arange(q), np.arange(q))
        between = cs[hi + 1] - cs[lo]
        return (between - (n_c[:, None] + n_c[None, :]) / 2) ** 2
    try:
        v = np.array([float(c) for c in cats], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AgreementInputError(f"{level} alpha needs numeric values, got {cats[:5]!r}") from exc
    diff = v[:, None] - v[None, :]
    if level == "interval":
        return diff**2
    if level == "ratio":
        total = v[:, None] + v[None, :]
        safe = np.where(total == 0, 1.0, total)
        return np.where(total == 0, 0.0, diff / safe) ** 2
    raise AgreementInputError(
        f"unknown level of measurement {level!r}; use nominal, ordinal, interval or ratio"
    )


def krippendorff_alpha(
    ratings: Any,
    level: Level = "nominal",
    categories: Sequence | None = None,
    distance: Callable[[Any, Any], float] | None = None,
) -> AgreementResult:
    """Krippendorff's alpha via the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's
    alpha-reliability", sec. E-F), any number of coders, missing values allowed.

    Units with fewer than 2 values are dropped. Metrics: nominal [c != k]; ordinal the rank-based
    (sum_{g=c..k} n_g - (n_c + n_k)/2)^2 on the marginals n_g; interval (c - k)^2; ratio
    ((c - k)/(c + k))^2. `distance(c, k)` (a callable over category values) replaces the level.
    Ordinal order is the declared category order, else sorted observed values.
    """
    if distance is None and level not in ("nominal", "ordinal", "interval", "ratio"):
        raise AgreementInputError(
            f"unknown level of measurement {level!r}; use nominal, ordinal, interval or ratio"
        )
    codes, cats = _prepare(ratings, categories)
    o, n_units = _coincidences(_count_matrix(codes, len(cats)))
    delta = _delta_matrix(cats, o.sum(axis=0), level, distance, categories is not None)
    name = "krippendorff_alpha_custom" if distance is not None else f"krippendorff_alpha_{level}"
    return _alpha_from_coincidences(o, delta, name, n_units, codes.shape[1], len(cats))


# --- set-valued alpha (several codes on one segment) ---------------------------------------------


def _masi_weight(inter: int, len_a: int, len_b: int) -> float:
    # Passonneau (2006) monotonicity: 1 identical, 2/3 one contains the other, 1/3 overlap, 0 disjoint.
    if len_a == len_b == inter:
        return 1.0
    if inter == min(len_a, len_b):
        return 2 / 3
    return 1 / 3 if inter > 0 else 0.0


def jaccard_distance(a: Iterable[Hashable], b: Iterable[Hashable]) -> float:
    """1 - |a & b| / |a | b| (Jaccard 1912); two empty sets are at distance 0 (method.md)."""
    a, b = frozenset(a), frozenset(b)
    union = len(a | b)
    return 0.0 if union == 0 else 1.0 - len(a & b) / union


def masi_distance(a: Iterable[Hashable], b: Iterable[Hashable]) -> float:
    """MASI distance (Passonneau 2006): 1 - J(a, b) * M(a, b), J the Jaccard similarity and M the
    monotonicity weight 1 / 2/3 / 1/3 / 0 (identical / subset / overlap / disjoint).

    Equals nltk's `masi_distance` (which uses 2/3 and 1/3; releases before 3.8 rounded them to 0.67
    and 0.33), except that two empty sets are at distance 0 here (nltk divides by zero).
    """
    a, b = frozenset(a), frozenset(b)
    union = len(a | b)
    if union == 0:
        return 0.0
    inter = len(a & b)
    return 1.0 - inter / union * _masi_weight(inter, len(a), len(b))


def _set_d(inter: Any, len_a: Any, len_b: Any, distance: str) -> Any:
    """MASI or Jaccard distance from |A & B|, |A| and |B| (scalars or numpy arrays), with exactly the
    float operations of `masi_distance` / `jaccard_distance` (two empty sets: distance 0)."""
    union = len_a + len_b - inter
    if np.ndim(union) == 0:
        if union == 0:
            return 0.0
        if distance == "jaccard":
            return 1.0 - inter / union
        return 1.0 - inter / union * _masi_weight(inter, len_a, len_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        similar = np.where(union > 0, inter / np.where(union > 0, union, 1), 1.0)
    if distance == "jaccard":
        return 1.0 - similar
    same = (inter == len_a) & (inter == len_b)
    nested = inter == np.minimum(len_a, len_b)
    weight = np.where(same, 1.0, np.where(nested, 2 / 3, np.where(inter > 0, 1 / 3, 0.0)))
    return 1.0 - similar * weight


# Work bounds of the exact set-alpha terms (numbers of array cells, not bytes).
_SUBSET_ROWS = 3_000_000  # code subsets enumerated for the expected disagreement (small sets)
_SUBSET_TABLES = 200_000  # index rows of the subset tables (2^s - 1 for each set size s)
_BLOCK_CELLS = 4_000_000  # cells of one block of pairwise intersections (large sets, pairs)
_EXACT_FLOAT = 2**53


def _set_members(sets: Sequence[frozenset]) -> tuple[np.ndarray, np.ndarray, int]:
    """CSR membership of sets: (indptr, label ids ascending within each set, number of labels)."""
    flat = list(itertools.chain.from_iterable(sets))
    labels = dict.fromkeys(flat)
    ids = dict(zip(labels, range(len(labels)), strict=True))
    indices = np.fromiter(map(ids.__getitem__, flat), dtype=np.int64, count=len(flat))
    sizes = np.fromiter(map(len, sets), dtype=np.int64, count=len(sets))
    indptr = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    owner = np.repeat(np.arange(len(sets), dtype=np.int64), sizes)
    return indptr, indices[np.lexsort((indices, owner))], len(labels)


def _csr_rows(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray):
    """The CSR (indptr, indices) of the selected rows, in the order given."""
    sizes = np.diff(indptr)[rows]
    sub_ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(sizes, out=sub_ptr[1:])
    return sub_ptr, indices[_ranges(indptr[rows], sizes)]


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated aranges [starts[i], starts[i] + lengths[i]) (vectorised)."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths)


def _small_size_limit(sizes: np.ndarray, budget: int) -> int:
    """Largest set size s such that enumerating every non-empty code subset of every set of size
    <= s stays within `budget` rows, and the subset tables (2^s - 1 index rows per size present)
    within _SUBSET_TABLES; sets with more codes take the pairwise path. A set of size s costs about
    2^s subset rows one way and one pass over the len(sizes) distinct sets the other: no set is
    enumerated with more than 2 * len(sizes) subsets."""
    counts = np.bincount(sizes)
    limit, rows, tables = 0, 0, 0
    for s in range(1, len(counts)):
        if 2**s - 1 > 2 * len(sizes):
            break
        if counts[s]:
            rows += int(counts[s]) * (2**s - 1)
            tables += 2**s - 1
        if rows > budget or tables > _SUBSET_TABLES:
            break
        limit = s
    return limit


def _row_ids(rows: np.ndarray, n_labels: int) -> np.ndarray:
    """Dense ids of the distinct rows of an int matrix (exact: keys re-compressed before overflow)."""
    key = rows[:, 0].copy()
    span = n_labels
    for col in range(1, rows.shape[1]):
        if span > (2**62) // max(n_labels, 1):
            key = np.unique(key, return_inverse=True)[1].astype(np.int64)
            span = int(key.max()) + 1
        key = key * n_labels + rows[:, col]
        span *= n_labels
    return np.unique(key, return_inverse=True)[1].reshape(-1)


def _small_sets_disagreement(
    indptr: np.ndarray,
    indices: np.ndarray,
    n_labels: int,
    sizes: np.ndarray,
    freq: np.ndarray,
    small: np.ndarray,
    distance: str,
) -> float:
    """sum over ordered pairs of distinct sets A != B, both in `small`, of f_A f_B d(A, B).

    d depends only on t = |A & B|, |A| and |B|. For each pair of sizes (a, b) let W_ab(t) be the
    summed f_A f_B over ordered pairs with intersection t. Counting common code subsets gives
    G_ab(j) = sum_{|T| = j} F_a(T) F_b(T) = sum_t C(t, j) W_ab(t), with F_a(T) the summed frequency
    of the sets of size a that contain T; inverting the binomial transform,
    W_ab(t) = sum_{j >= t} (-1)^(j - t) C(j, t) G_ab(j) for t >= 1, and W_ab(0) = F_a F_b minus the
    rest. Every F, G and W is an exact integer; the distance sum adds non-negative terms only.
    Cost: one row per non-empty code subset of each set (2^|A| - 1), not one per pair of sets.
    """
    size_values = np.unique(sizes[small]).tolist()
    total_by_size = {
        a: int(freq[small & (sizes == a)].sum()) for a in size_values
    }  # F_a of the empty subset
    top = max(size_values) if size_values else 0
    n_values = int(freq[small].sum())
    # gram[j][(a, b)] = G_ab(j), exact Python ints
    gram: list[dict[tuple[int, int], int]] = [{} for _ in range(top + 1)]
    groups = {}
    for a in size_values:
        if a == 0:
            continue
        members = np.flatnonzero(small & (sizes == a))
        rows = indices[indptr[members][:, None] + np.arange(a)]  # n_a x a label ids
        groups[a] = (rows, freq[members].astype(np.float64))
    for j in range(1, top + 1):
        present = [a for a in size_values if a >= j]
        column = {a: i for i, a in enumerate(present)}
        parts, cols, weights = [], [], []
        for a in present:
            rows, f = groups[a]
            subsets = np.array(list(itertools.combinations(range(a), j)), dtype=np.intp)
            parts.append(rows[:, subsets].reshape(-1, j))  # set-major: each set's j-subsets
            cols.append(np.full(len(rows) * len(subsets), column[a], dtype=np.int64))
            weights.append(np.repeat(f, len(subsets)))
        ids = _row_ids(np.concatenate(parts), n_labels)
        n_ids = int(ids.max()) + 1
        held = np.bincount(
            ids * len(present) + np.concatenate(cols),
            weights=np.concatenate(weights),
            minlength=n_ids * len(present),
        ).reshape(n_ids, len(present))
        if n_values * n_values * math.comb(top, j) < _EXACT_FLOAT:
            g = held.T @ held  # every partial sum is an integer below 2^53: exact in float64
        else:
            exact = held.astype(np.int64)
            g = exact.T @ exact
        for a in present:
            for b in present:
                gram[j][(a, b)] = int(round(g[column[a], column[b]]))
    total = 0.0
    for a in size_values:
        for b in size_values:
            low = min(a, b)
            w = [0] * (low + 1)
            for t in range(1, low + 1):
                w[t] = sum(
                    (-1) ** (j - t) * math.comb(j, t) * gram[j][(a, b)] for j in range(t, low + 1)
                )
            w[0] = total_by_size[a] * total_by_size[b] - sum(w[1:])
            for t in range(low + 1):
                if t == a == b:  # only a set paired with itself: distance 0
                    continue
                if w[t]:
                    total += w[t] * _set_d(t, a, b, distance)
    return total


def _set_intersections(
    indptr: np.ndarray, indices: np.ndarray, n_labels: int, p: np.ndarray, q: np.ndarray
) -> np.ndarray:
    """|S_p & S_q| for each pair (p[i], q[i]) of distinct-set numbers, by sorted-key lookups."""
    sizes = np.diff(indptr)
    keys = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes) * n_labels + indices
    swap = sizes[p] > sizes[q]  # look up the smaller set's labels in the larger one
    p, q = np.where(swap, q, p), np.where(swap, p, q)
    out = np.zeros(len(p), dtype=np.int64)
    step = max(1, _BLOCK_CELLS // max(int(sizes.max(initial=1)), 1))
    for start in range(0, len(p), step):
        bp, bq = p[start : start + step], q[start : start + step]
        lengths = sizes[bp]
        labels = indices[_ranges(indptr[bp], lengths)]
        wanted = np.repeat(bq, lengths) * n_labels + labels
        at = np.searchsorted(keys, wanted)
        found = keys[np.minimum(at, len(keys) - 1)] == wanted if len(keys) else wanted < 0
        owner = np.repeat(np.arange(len(bp)), lengths)
        out[start : start + step] = np.bincount(owner, weights=found, minlength=len(bp))
    return out


def _large_sets_disagreement(
    indptr: np.ndarray,
    indices: np.ndarray,
    n_labels: int,
    sizes: np.ndarray,
    freq: np.ndarray,
    small: np.ndarray,
    distance: str,
) -> float:
    """sum over ordered pairs A != B with A or B outside `small` of f_A f_B d(A, B): each large set
    against every set, intersections counted through the label -> sets posting lists."""
    large = np.flatnonzero(~small)
    k = len(sizes)
    owner = np.repeat(np.arange(k, dtype=np.int64), sizes)
    order = np.argsort(indices, kind="stable")
    posting_sets = owner[order]
    posting_ptr = np.searchsorted(indices[order], np.arange(n_labels + 1))
    posting_len = np.diff(posting_ptr)
    # small columns meet each large row twice among ordered pairs (A, B) and (B, A); large ones once
    col_weight = freq.astype(np.float64) * np.where(small, 2.0, 1.0)
    total = 0.0
    step = max(1, _BLOCK_CELLS // max(k, 1))
    for start in range(0, len(large), step):
        rows = large[start : start + step]
        entries = _ranges(indptr[rows], sizes[rows])
        labels = indices[entries]
        row_of_entry = np.repeat(np.arange(len(rows)), sizes[rows])
        hits = posting_sets[_ranges(posting_ptr[labels], posting_len[labels])]
        hit_row = np.repeat(row_of_entry, posting_len[labels])
        inter = np.bincount(hit_row * k + hits, minlength=len(rows) * k).reshape(len(rows), k)
        d = _set_d(inter, sizes[rows][:, None], sizes[None, :], distance)
        total += float(freq[rows].astype(np.float64) @ (d @ col_weight))
    return total


def _set_alpha_exact(
    codes: np.ndarray,
    members: tuple[np.ndarray, np.ndarray, int],
    distance: str,
    statistic: str,
    subset_rows: int = _SUBSET_ROWS,
    max_pairs: int | None = None,
) -> AgreementResult:
    """Krippendorff's alpha over set values with the MASI or Jaccard distance, without the dense
    units x values and values x values matrices of the general engine.

    In coincidence form (Krippendorff 2011, sec. E): D_o = sum_u 1/(m_u - 1) sum_{i != j} d(v_ui,
    v_uj) / n over the actual pairs of values within units (m_u >= 2), and D_e = f' D f / (n (n - 1))
    over the frequencies f of the distinct pairable sets (d(A, A) = 0). f' D f comes from
    `_small_sets_disagreement` (sets with few codes, counted through shared code subsets) and
    `_large_sets_disagreement` (the rest, against every set); `subset_rows` bounds the first.
    `codes` (units x coders, -1 = missing) index the rows of `members`, the distinct sets in CSR
    form from `_set_members`. With `max_pairs`, the value is NaN with a "not computed" reason when
    the large sets would need more than that many pairwise distances (large sets x distinct sets).
    """
    all_ptr, all_indices, n_labels = members
    n_sets = len(all_ptr) - 1
    n_coders = codes.shape[1]
    present = codes >= 0
    m = present.sum(axis=1)
    keep = m >= 2
    pairable = codes[keep]
    m_kept = m[keep]
    freq = np.bincount(pairable[pairable >= 0], minlength=n_sets).astype(np.int64)
    n = int(freq.sum())
    common = {
        "n_units": int(keep.sum()),
        "n_coders": n_coders,
        "n_values": n,
        "n_categories": n_sets,
        "statistic": statistic,
    }
    if common["n_units"] == 0 or n < 2:
        return _undefined(REASON_NO_PAIRS, **common)
    used = np.flatnonzero(freq)
    renumber = np.full(n_sets, -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    indptr, indices = _csr_rows(all_ptr, all_indices, used)
    sizes = np.diff(indptr)
    f = freq[used]

    observed = 0.0
    for i in range(n_coders):
        for j in range(i + 1, n_coders):
            both = (pairable[:, i] >= 0) & (pairable[:, j] >= 0)
            p = renumber[pairable[both, i]]
            q = renumber[pairable[both, j]]
            differ = p != q
            p, q = p[differ], q[differ]
            inter = _set_intersections(indptr, indices, n_labels, p, q)
            d = _set_d(inter, sizes[p], sizes[q], distance)
            observed += float(np.sum(2.0 / (m_kept[both][differ] - 1) * d))

    limit = _small_size_limit(sizes, subset_rows)
    small = sizes <= limit
    pairs = int((~small).sum()) * len(sizes)
    if max_pairs is not None and pairs > max_pairs:
        reason = (
            f"not computed: {int((~small).sum()):,} distinct code sets have more than {limit} codes, "
            f"and comparing each with all {len(sizes):,} distinct sets needs {pairs:,} set "
            f"distances, beyond the {max_pairs:,} allowed"
        )
        return _undefined(reason, **common)
    expected = _small_sets_disagreement(indptr, indices, n_labels, sizes, f, small, distance)
    if not small.all():
        expected += _large_sets_disagreement(indptr, indices, n_labels, sizes, f, small, distance)
    d_o = observed / n
    d_e = expected / (n * (n - 1))
    if not d_e > 0:
        return AgreementResult(math.nan, REASON_NO_DISTANCE, observed=d_o, expected=d_e, **common)
    return AgreementResult(1 - d_o / d_e, None, observed=d_o, expected=d_e, **common)


def set_alpha(
    sets_a: Sequence,
    sets_b: Sequence | None = None,
    distance: SetDistance = "masi",
) -> AgreementResult:
    """Krippendorff's alpha over set values (the codes each coder put on a segment), Krippendorff
    (2011) with the MASI (Passonneau 2006) or Jaccard distance, or any callable on two frozensets.

    Call as ``set_alpha(sets_a, sets_b)`` for two coders (one set per unit each) or
    ``set_alpha(table)`` with a units x coders table of sets; ``None`` marks a unit a coder did not
    review. The empty set is a value (reviewed, no code); two empty sets are at distance 0.

    "masi" and "jaccard" are computed exactly without pairwise matrices (`_set_alpha_exact`: the
    pairs within units, and shared code subsets for chance), in about a second for 100,000 units
    and 36,000 distinct sets; a callable distance goes through the general engine, which builds
    units x distinct-sets and distinct-sets x distinct-sets matrices (slow beyond a few thousand).
    """
    if sets_b is not None:
        if len(sets_a) != len(sets_b):
            raise AgreementInputError(
                f"the two coders' set lists differ in length: {len(sets_a)} and {len(sets_b)} units"
            )
        columns = [list(sets_a), list(sets_b)]
        n_units = len(columns[0])
    else:
        table = list(sets_a)
        n_units = len(table)
        width = len(table[0]) if table else 2
        if width < 2:
            raise AgreementInputError(f"agreement needs at least 2 coders (columns), got {width}")
        for i, row in enumerate(table):
            if len(row) != width:
                raise AgreementInputError(
                    f"unit {i + 1} has {len(row)} coders' sets, expected {width}"
                )
        columns = [[row[j] for row in table] for j in range(width)]
    n_coders = len(columns)
    # Column by column, appending ints only: no tuple per value for the garbage collector to scan.
    index: dict[frozenset, int] = {}
    add = index.setdefault

    def as_set(value: Any, i: int, j: int) -> frozenset:
        if isinstance(value, str):
            raise AgreementInputError(
                f"unit {i + 1}, coder {j + 1}: expected a set of codes, got the string {value!r}"
            )
        return frozenset(value)

    codes = np.full((n_units, n_coders), -1, dtype=np.int64)
    for j, column in enumerate(columns):
        codes[:, j] = [
            -1 if v is None else add(v if type(v) is frozenset else as_set(v, i, j), len(index))
            for i, v in enumerate(column)
        ]
    cats = list(index)
    if not callable(distance):
        if distance not in ("masi", "jaccard"):
            raise AgreementInputError(
                f"unknown set distance {distance!r}; use 'masi', 'jaccard' or a callable"
            )
        return _set_alpha_exact(codes, _set_members(cats), distance, f"set_alpha_{distance}")
    o, n_units = _coincidences(_count_matrix(codes, len(cats)))
    delta = _delta_matrix(cats, o.sum(axis=0), "nominal", distance, True)
    return _alpha_from_coincidences(o, delta, "set_alpha_custom", n_units, n_coders, len(cats))


def set_alpha_matrix(
    a: Any,
    b: Any,
    distance: Literal["masi", "jaccard"] = "masi",
    *,
    max_pairs: int | None = None,
) -> AgreementResult:
    """`set_alpha` for two coders from their segments x codes presence matrices (coder A, coder B;
    row i of each = the set of codes the coder put on unit i, every unit rated by both).

    The same value as ``set_alpha(sets_a, sets_b, distance)`` on the rows' code sets, without making
    one Python set per unit: distinct rows are found on the bit-packed matrices. `max_pairs` bounds
    the pairwise work of sets with many codes (see `_set_alpha_exact`); beyond it the value is NaN
    with a "not computed" reason.
    """
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape or a.ndim != 2:
        raise AgreementInputError(
            "set_alpha_matrix needs two segments x codes matrices of the same shape, got "
            f"{a.shape} and {b.shape}"
        )
    if distance not in ("masi", "jaccard"):
        raise AgreementInputError(f"unknown set distance {distance!r}; use 'masi' or 'jaccard'")
    n_units, n_codes = a.shape
    words = np.concatenate([pack_rows(a), pack_rows(b)])
    distinct, inverse = distinct_rows(words)
    codes = inverse.reshape(2, n_units).T
    return set_alpha_packed(distinct, codes, n_codes, distance, max_pairs=max_pairs)


def pack_rows(matrix: np.ndarray) -> np.ndarray:
    """The rows of a boolean segments x codes matrix as bit-packed 64-bit words (one row each)."""
    n_rows, n_codes = matrix.shape
    width = max(-(-n_codes // 64), 1)
    words = np.zeros((n_rows, width * 8), dtype=np.uint8)
    words[:, : -(-n_codes // 8)] = np.packbits(matrix, axis=1)
    return words.view(np.uint64)


def distinct_rows(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a 2-D uint64 array in sorted order, and each row's index among them
    (sorting the packed rows as 64-bit words is faster than np.unique on bytes)."""
    order = np.lexsort(words.T[::-1])
    ordered = words[order]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(ordered), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def set_alpha_packed(
    sets: np.ndarray,
    units: np.ndarray,
    n_codes: int,
    distance: Literal["masi", "jaccard"] = "masi",
    *,
    max_pairs: int | None = None,
) -> AgreementResult:
    """`set_alpha_matrix` from the distinct code sets and, per unit, the set of each coder.

    `sets` holds distinct bit-packed rows (`pack_rows`), in any order; `units` (units x 2) index
    them (coder A, coder B). This is the form partitions of the segments can be merged into
    without the whole matrices (`agreement.compare.agreement_partition`). The sets are numbered
    in sorted order whatever order they come in, so the value is the same to the last bit.
    """
    if distance not in ("masi", "jaccard"):
        raise AgreementInputError(f"unknown set distance {distance!r}; use 'masi' or 'jaccard'")
    sets = np.asarray(sets, dtype=np.uint64)
    if sets.ndim == 1:
        sets = sets.reshape(-1, 1)
    order = np.lexsort(sets.T[::-1])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    ordered = np.ascontiguousarray(sets[order])
    distinct = np.unpackbits(ordered.view(np.uint8), axis=1, count=n_codes).astype(bool)
    set_of, label = distinct.nonzero()  # row-major: labels ascend within each set
    indptr = np.zeros(len(distinct) + 1, dtype=np.int64)
    np.cumsum(np.bincount(set_of, minlength=len(distinct)), out=indptr[1:])
    codes = rank[np.asarray(units, dtype=np.int64).reshape(-1, 2)]
    members = (indptr, label.astype(np.int64), n_codes)
    return _set_alpha_exact(codes, members, distance, f"set_alpha_{distance}", max_pairs=max_pairs)


# --- the vectorised two-coder binary path -------------------------------------------------------


_BLOCK_ROWS = 8192


def binary_counts(
    a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 2x2 counts of every code from two segments x codes presence matrices (coder A, coder B).

    Returns (both, only_a, only_b, neither), each an int64 array with one entry per code (column).
    """
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise AgreementInputError(
            f"the two coders' presence matrices differ in shape: {a.shape} and {b.shape}"
        )
    if a.ndim == 1:
        a, b = a[:, None], b[:, None]
    n = a.shape[0]
    # Sum row blocks as uint8 with uint16 accumulators (a block of <= 65535 rows cannot overflow):
    # 2-3x faster than count_nonzero/int64 sums on a 100,000 x 200 matrix.
    au, bu = a.view(np.uint8), b.view(np.uint8)
    count_a = np.zeros(a.shape[1], dtype=np.int64)
    count_b = np.zeros(a.shape[1], dtype=np.int64)
    both = np.zeros(a.shape[1], dtype=np.int64)
    for start in range(0, n, _BLOCK_ROWS):
        block_a, block_b = au[start : start + _BLOCK_ROWS], bu[start : start + _BLOCK_ROWS]
        count_a += block_a.sum(axis=0, dtype=np.uint16)
        count_b += block_b.sum(axis=0, dtype=np.uint16)
        both += (block_a & block_b).sum(axis=0, dtype=np.uint16)
    only_a = count_a - both
    only_b = count_b - both
    neither = n - count_a - count_b + both
    return both, only_a, only_b, neither


def binary_agreement(
    both: Any, only_a: Any, only_b: Any, neither: Any
) -> dict[str, np.ndarray | dict[str, np.ndarray]]:
    """Every two-coder statistic for every code at once from its 2x2 counts (a, b, c, d).

    With n = a + b + c + d, p_o = (a + d) / n, and n1 = 2a + b + c, n0 = 2d + b + c the pooled
    present/absent values:

    * Cohen (1960): kappa = 2 (ad - bc) / ((a + b)(b + d) + (a + c)(c + d));
    * Scott (1955): pi = 1 - 2n (b + c) / (n1 n0);
    * Krippendorff (2011, sec. A, nominal, 2n pairable values): the coincidence matrix has
      o_11 = 2a, o_00 = 2d, o_10 = o_01 = b + c, so D_o = 2(b + c) / 2n and
      D_e = 2 n1 n0 / (2n (2n - 1)), giving alpha = 1 - (2n - 1)(b + c) / (n1 n0)
      (= 1 - (2n - 1)/(2n) (1 - pi), the small-sample correction of pi);
    * Gwet (2008) AC1 with q = 2: p_e = 2 pi_1 (1 - pi_1), pi_1 = n1 / 2n;
    * Brennan & Prediger (1981) with q = 2: 2 p_o - 1;
    * positive agreement (Cicchetti & Feinstein 1990): 2a / (2a + b + c).

    Returns arrays keyed n, percent_agreement, cohen_kappa, scott_pi, krippendorff_alpha, gwet_ac1,
    brennan_prediger, positive_agreement, and `reasons`: key -> object array of str (undefined) or None.
    """
    a, b, c, d = (np.asarray(x, dtype=np.float64) for x in (both, only_a, only_b, neither))
    shapes = {x.shape for x in (a, b, c, d)}
    if len(shapes) != 1:
        raise AgreementInputError(f"the four count arrays differ in shape: {sorted(shapes)}")
    if any((x < 0).any() for x in (a, b, c, d)):
        raise AgreementInputError("2x2 counts must not be negative")
    n = a + b + c + d
    n1 = 2 * a + b + c
    n0 = 2 * d + b + c
    disagree = b + c
    empty = n == 0
    no_var = n1 * n0 == 0
    kappa_den = (a + b) * (b + d) + (a + c) * (c + d)
    pos_den = 2 * a + b + c

    with np.errstate(divide="ignore", invalid="ignore"):
        po = (a + d) / n
        pi1 = n1 / (2 * n)
        pe_ac1 = 2 * pi1 * (1 - pi1)
        out: dict[str, Any] = {
            "n": n.astype(np.int64),
            "percent_agreement": po,
            "cohen_kappa": 2 * (a * d - b * c) / kappa_den,
            "scott_pi": 1 - 2 * n * disagree / (n1 * n0),
            "krippendorff_alpha": 1 - (2 * n - 1) * disagree / (n1 * n0),
            "gwet_ac1": (po - pe_ac1) / (1 - pe_ac1),
            "brennan_prediger": 2 * po - 1,
            "positive_agreement": 2 * a / pos_den,
        }

    def reasons(pairs: list[tuple[np.ndarray, str]]) -> np.ndarray:
        r = np.full(n.shape, None, dtype=object)
        for mask, text in reversed(pairs):  # the first matching reason wins
            r[mask] = text
        return r

    no_units = (empty, REASON_NO_BOTH_RATED)
    reason_arrays = {
        "percent_agreement": reasons([no_units]),
        "cohen_kappa": reasons([no_units, (kappa_den == 0, REASON_NO_VARIATION)]),
        "scott_pi": reasons([no_units, (no_var, REASON_NO_VARIATION)]),
        "krippendorff_alpha": reasons([no_units, (no_var, REASON_NO_DISTANCE)]),
        "gwet_ac1": reasons([no_units]),
        "brennan_prediger": reasons([no_units]),
        "positive_agreement": reasons([no_units, (pos_den == 0, REASON_CODE_UNUSED)]),
    }
    for key, r in reason_arrays.items():
        out[key] = np.where(r == None, out[key], np.nan)  # noqa: E711 (elementwise on objects)
    out["reasons"] = reason_arrays
    return out
