"""Two coders' codings -> per-code agreement tables, roll-ups, and the list of disagreements.

Unit = segment (speaker turn), as in docs/method.md ("Inter-coder agreement"): agreement is computed
on the segments *both* coders reviewed (a coder reviewed every segment_id in their file; an empty
code_id means "reviewed, no code"). For each code every double-coded segment gives a present/absent
decision per coder, so each code is a 2x2 table; the statistics come from `agreement.stats`,
vectorised over all codes at once. Themes and constructs are rolled up: a segment has a theme if it has
any of the theme's repeating ideas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import ContractError
from qualcode.model import CODING_REQUIRED, ROLE_FACILITATOR

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from qualcode.model import Codebook

# Krippendorff (2004, p. 241): rely on alpha >= .800; draw tentative conclusions from .667 to .800.
ALPHA_GOOD = 0.800
ALPHA_TENTATIVE = 0.667
# A code is rare when neither coder applied it to 5% of the double-coded segments, or to 3 segments:
# its kappa/alpha then swing on one or two decisions (the kappa paradox, Feinstein & Cicchetti 1990).
RARE_SHARE = 0.05
RARE_MIN_SEGMENTS = 3
RARE_RULE = (
    f"rare = each coder applied the code to fewer than {RARE_SHARE:.0%} of the double-coded "
    f"segments or to fewer than {RARE_MIN_SEGMENTS} segments; its kappa and alpha are unstable"
)
USUAL_DOUBLE_CODED_SHARE = (0.10, 0.25)
# What each coder reviewed (docs/method.md, "Inter-coder agreement"): a code one coder applied and the
# other did not is a disagreement, never a missing unit, so the reviewed set must be explicit.
REVIEWED_CODINGS = "codings"
REVIEWED_ALL = "all"
REVIEWED_TRANSCRIPTS = "transcripts"
REVIEWED_RULES: dict[str, str] = {
    REVIEWED_CODINGS: "the segments listed in their codings file (a reviewed segment left "
    "uncoded is a row with an empty code_id)",
    REVIEWED_ALL: "every participant turn of the segments file",
    REVIEWED_TRANSCRIPTS: "every participant turn of each transcript their codings file touches",
}
# A statistic with no variation to judge: neither coder applied the code on the double-coded
# segments, so percent agreement, AC1 and Brennan-Prediger would read 1.000 from "absent" alone.
REASON_NOT_OBSERVED = "not observed: neither coder applied the code on the double-coded segments"
NOT_OBSERVED_KEYS = ("percent_agreement", "gwet_ac1", "brennan_prediger")
# Set-valued alpha is exact and fast for code sets of a few codes (stats.set_alpha_matrix); distinct
# sets with many codes are compared pairwise with every distinct set, and beyond this many pairwise
# distances (tens of seconds) it is skipped with the reason shown.
SET_ALPHA_MAX_PAIRS = 50_000_000
COMPARE_STEPS = 5  # progress() calls made by compare_codings

STAT_KEYS: tuple[str, ...] = (
    "percent_agreement",
    "cohen_kappa",
    "scott_pi",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
    "positive_agreement",
)
COUNT_KEYS: tuple[str, ...] = ("both", "only_a", "only_b", "neither")
DISAGREEMENT_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "transcript_id",
    "turn",
    "speaker",
    "text",
    "codes_a",
    "codes_b",
    "only_a",
    "only_b",
)


class CoderError(ContractError):
    """Codings files whose `coder` column does not name one coder per file, or the same coder twice."""


class OverlapError(ContractError):
    """Two codings files with no segment in common: there is nothing to compare."""


class UnknownCodeError(ContractError):
    """Code ids in a codings file that the codebook does not define."""


class UnknownSegmentError(ContractError):
    """Segment ids in a codings file that the segments file does not have."""


@dataclass
class Comparison:
    """Everything `compare_codings` found; `comparison_to_dict` gives its JSON form."""

    coder_a: str
    coder_b: str
    file_a: str | None
    file_b: str | None
    reviewed_a: int
    reviewed_b: int
    double_coded: int
    reviewed_either: int
    segments_total: int | None
    double_coded_share: float
    share_of: str
    single_coded_a: tuple[str, ...]
    single_coded_b: tuple[str, ...]
    per_code: pd.DataFrame
    per_theme: pd.DataFrame
    per_construct: pd.DataFrame
    overall: dict[str, Any]
    disagreements: pd.DataFrame
    codebook_title: str | None = None
    # The double-coded share as a fraction of the codable segments (see `double_coded_share`).
    share_double_coded: int = 0
    share_denominator: int = 0
    share_unit: str = "segments"
    share_reviewed: int = 0
    facilitator_segments: int = 0
    rare_rule: str = RARE_RULE
    thresholds: dict[str, float] = field(
        default_factory=lambda: {"good": ALPHA_GOOD, "tentative": ALPHA_TENTATIVE}
    )
    # What each coder reviewed: a key of REVIEWED_RULES, and the coders whose file has no
    # "reviewed, no code" row (with the codings rule their reviewed set may be too small).
    reviewed_rule: str = REVIEWED_CODINGS
    no_empty_rows: tuple[str, ...] = ()
    double_coded_ids: tuple[str, ...] = ()
    # The unit of agreement (agreement.unitized.UNITS): "turn" is the default and leaves every
    # output as it was; "span" adds `span` (a SpanAgreement), "sentence" makes the tables count
    # sentences and `sentence` says how many.
    unit: str = "turn"
    span: Any = None
    sentence: dict[str, Any] | None = None


@dataclass(frozen=True)
class DoubleCodedShare:
    """How much of the data both coders coded: `double_coded` of `denominator` `unit` (`share`).

    `of` says what the denominator counts (shown beside the usual 10-25%)."""

    double_coded: int
    denominator: int
    share: float
    unit: str
    of: str
    reviewed: int = 0  # codable segments reviewed by either coder
    facilitator_segments: int = 0


def double_coded_share(
    double_coded_ids: Any,
    reviewed_ids: Any,
    segments: pd.DataFrame | None = None,
    *,
    include_facilitator: bool = False,
    distinct: bool = False,
) -> DoubleCodedShare:
    """The double-coded share, one definition for `compare` and the methods paragraph.

    Facilitator turns are context, not data (docs/method.md), so with a segments file the share is
    over its codable segments: every segment whose role is not facilitator (all of them with
    `include_facilitator`, or when the file has no roles); the numerator counts the double-coded
    segments among them. Without a segments file it is over the segments either coder reviewed.
    `distinct`: both id lists hold each id once already (no pass over them to drop repeats).
    """
    import pandas as pd

    def once(ids: Any) -> pd.Index:
        index = pd.Index(ids, dtype=object)
        return index if distinct else index.unique()

    double = once(double_coded_ids)
    if segments is None:
        reviewed = once(reviewed_ids)
        return DoubleCodedShare(
            len(double),
            len(reviewed),
            len(double) / len(reviewed) if len(reviewed) else float("nan"),
            "segments",
            "segments reviewed by either coder",
            len(reviewed),
        )
    ids = segments["segment_id"].astype(str)
    if "role" in segments.columns:
        fac = segments["role"].fillna("").astype(str).str.strip() == ROLE_FACILITATOR
    else:
        fac = pd.Series(False, index=segments.index)
    n_fac = int(ids[fac].nunique())
    if include_facilitator or n_fac == 0:
        codable = pd.Index(ids.unique())
        unit, of = "segments", "segments in the segments file"
    else:
        codable = pd.Index(ids[~fac].unique())
        unit = "participant turns"
        of = "participant turns (non-facilitator segments in the segments file)"
    n = int(double.isin(codable).sum())
    total = len(codable)
    reviewed = once(reviewed_ids)
    return DoubleCodedShare(
        n,
        total,
        n / total if total else float("nan"),
        unit,
        of,
        int(reviewed.isin(codable).sum()),
        0 if include_facilitator else n_fac,
    )


# --- validation ---------------------------------------------------------------------------------
def _name(path: str | Path | None, fallback: str) -> str:
    return str(path) if path is not None else fallback


def _check_columns(df: pd.DataFrame, path: str | Path | None, label: str) -> None:
    missing = [c for c in CODING_REQUIRED if c not in df.columns]
    if missing:
        raise ContractError(
            f"codings is missing column(s): {', '.join(missing)}",
            file=_name(path, label),
            line=1,
            hint=f"the header must include: {', '.join(CODING_REQUIRED)}",
        )


def _check_not_empty(df: pd.DataFrame, path: str | Path | None, label: str) -> None:
    """A header-only codings file: agreement needs segments this coder reviewed."""
    if len(df) == 0:
        raise ContractError(
            "no rows: this coder has reviewed no segments",
            file=_name(path, label),
            hint="compare after both coders have coded (a reviewed segment without codes is a "
            "row with an empty code_id)",
        )


def _stripped(values: pd.Series) -> pd.Series:
    """`values` as stripped strings; strips each distinct value once (ids repeat a lot)."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    clean = pd.Index(uniques).astype(str).str.strip()
    return pd.Series(clean.take(codes), index=values.index, dtype=object)


def _joint_codes(
    a: pd.Series,
    b: pd.Series,
    *,
    strip: bool = True,
    few: bool = False,
    min_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One column of both coders' files numbered together: (a number per row, A's rows first, and
    the distinct values as an object array, in first-seen order). With `strip`, the values are
    stripped strings, as `_stripped` makes them; each distinct value is stripped once.

    Segment ids (millions of distinct strings) are numbered by `idcodes.factorize` from its
    `min_size` values on (pandas' hash table below: faster while it fits the CPU caches). A
    column of `few` distinct values (code ids) always goes to pandas."""
    import numpy as np
    import pandas as pd

    from qualcode import idcodes

    size = idcodes.MIN_SIZE if min_size is None else min_size

    def factorize(values, sentinel: bool) -> tuple[np.ndarray, np.ndarray]:
        if few:
            return pd.factorize(values, use_na_sentinel=sentinel)
        return idcodes.factorize(values, use_na_sentinel=sentinel, min_size=size)

    if few or len(a) + len(b) < size:  # pandas' own string column: its fastest path
        codes, uniques = pd.factorize(pd.concat([a, b], ignore_index=True), use_na_sentinel=False)
    else:
        both = np.concatenate([a.to_numpy(dtype=object), b.to_numpy(dtype=object)])
        codes, uniques = factorize(both, sentinel=False)
        del both
    values = pd.Index(uniques)
    if strip:
        values = values.astype(str).str.strip()
    values = np.asarray(values, dtype=object)
    if strip and len(values):
        changed = values != np.asarray(uniques, dtype=object)
        if changed.any():  # ' G1:2' and 'G1:2' are one segment: number them again
            again, values = factorize(values, sentinel=True)  # (a missing id: -1, as before)
            codes = again[codes]
            values = np.asarray(values, dtype=object)
    return codes.astype(np.intp, copy=False), values


def _column(values: np.ndarray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    import pandas as pd

    return pd.Series(values[codes], index=index, dtype=object)


def _coder_name(df: pd.DataFrame, path: str | Path | None, label: str) -> str:
    """The one coder a file belongs to (blank cells inherit it; no name at all -> the file stem)."""
    uniques = df["coder"].unique()
    names = [n for n in dict.fromkeys(str(u).strip() for u in uniques) if n]
    if len(names) > 1:
        coders = _stripped(df["coder"])
        # Report the first row naming a second coder.
        second = ((coders != names[0]) & (coders != "")).to_numpy()
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise CoderError(
            f"the coder column names {len(names)} coders ({shown}); a codings file holds one coder",
            file=_name(path, label),
            line=_first_row(second),
            hint="keep one file per coder (codings/<coder>.csv) and compare two of them",
        )
    if names:
        return names[0]
    return Path(path).stem if path is not None else label


def _turn_key(segment_id: str) -> tuple[str, int, str]:
    transcript, sep, turn = segment_id.rpartition(":")
    if sep and turn.isdigit():
        return (transcript, int(turn), "")
    return (segment_id, -1, segment_id)


def _natural_order(ids: list[str]) -> list[str]:
    """Segment ids sorted by transcript, then turn as a number (`G1:2` before `G1:10`)."""
    return [ids[i] for i in natural_order_positions(ids).tolist()]


# Transcript rank x (largest turn + 2) must stay an int64 (np.argsort on one integer key).
_INT64_KEY_LIMIT = 2**62


def natural_order_positions(ids: Sequence[str]) -> np.ndarray:
    """The positions that sort `ids` as `sorted(ids, key=_turn_key)` does (stable: ids with the
    same transcript and turn number keep their order), from one integer key per id: the rank of
    its transcript among the distinct transcripts (sorted as strings) and its turn. Sorting a
    million (transcript, turn) tuples costs n log n string comparisons; this sorts the few
    thousand transcripts as strings and the ids as integers."""
    from array import array

    import numpy as np

    # Transcripts numbered as met, turns as integers: arrays of machine integers, not a list of
    # a million transcript strings and Python ints beside the ids.
    number: dict[str, int] = {}
    transcripts = array("q")
    turns = array("q")
    try:
        for segment_id in ids:
            transcript, sep, turn = segment_id.rpartition(":")
            if sep and turn.isdigit():
                transcripts.append(number.setdefault(transcript, len(number)))
                turns.append(int(turn))
            else:
                transcripts.append(number.setdefault(segment_id, len(number)))
                turns.append(-1)
    except OverflowError:  # a turn number past int64: sort the tuples
        return np.asarray(sorted(range(len(ids)), key=lambda i: _turn_key(ids[i])), dtype=np.intp)
    if not turns:
        return np.zeros(0, dtype=np.intp)
    turn = np.frombuffer(turns, dtype=np.int64)
    top = int(turn.max())
    if (top + 2) * (len(number) + 1) >= _INT64_KEY_LIMIT:  # absurd turn numbers: sort tuples
        return np.asarray(sorted(range(len(ids)), key=lambda i: _turn_key(ids[i])), dtype=np.intp)
    distinct = list(number)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[sorted(range(len(distinct)), key=distinct.__getitem__)] = np.arange(len(distinct))
    key = rank[np.frombuffer(transcripts, dtype=np.int64)] * (top + 2) + (turn + 1)
    return np.argsort(key, kind="stable")


def _first_row(mask: np.ndarray) -> int:
    return int(mask.nonzero()[0][0]) + 2  # 1-based, after the header row


def _check_codes(df: pd.DataFrame, codebook: Codebook, path: str | Path | None, label: str) -> None:
    from qualcode.ids import check_code_ids

    check_code_ids(df, codebook, _name(path, label), error=UnknownCodeError)


def _check_segments(
    df: pd.DataFrame, known: pd.Index, path: str | Path | None, label: str, seg_file: str | None
) -> None:
    from qualcode.ids import first_cells, show_ids, unknown_segment_hint
    from qualcode.io import row_location

    unknown = ~df["segment_id"].isin(known)
    if unknown.any():
        bad = list(dict.fromkeys(df["segment_id"][unknown].tolist()))
        where = f" {seg_file}" if seg_file else ""
        hint = unknown_segment_hint(first_cells(df, unknown, "segment_id"), known)
        raise UnknownSegmentError(
            f"segment ids not in the segments file{where}: {show_ids(bad, 10)}",
            **row_location(
                df, _name(path, label), int(unknown.to_numpy().nonzero()[0][0]), "segment_id"
            ),
            hint=hint or "were these codings made on another ingest of the transcripts?",
        )


# --- the comparison -----------------------------------------------------------------------------
def _band(alpha: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.select(
        [np.isnan(alpha), alpha >= ALPHA_GOOD, alpha >= ALPHA_TENTATIVE],
        ["n/a", "good", "tentative"],
        default="low",
    )


def _stats_from_counts(
    both: np.ndarray, only_a: np.ndarray, only_b: np.ndarray, neither: np.ndarray
) -> dict[str, Any]:
    import numpy as np

    from qualcode.agreement.stats import binary_agreement

    n = both + only_a + only_b + neither
    stats = binary_agreement(both, only_a, only_b, neither)
    with np.errstate(invalid="ignore", divide="ignore"):
        prev_a = np.where(n > 0, (both + only_a) / np.maximum(n, 1), np.nan)
        prev_b = np.where(n > 0, (both + only_b) / np.maximum(n, 1), np.nan)
    applied = np.maximum(both + only_a, both + only_b)
    rare = (applied < RARE_SHARE * n) | (applied < RARE_MIN_SEGMENTS)
    table: dict[str, Any] = {
        "n": n,
        "applied_a": both + only_a,
        "applied_b": both + only_b,
        "prevalence_a": prev_a,
        "prevalence_b": prev_b,
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
        "neither": neither,
    }
    for key in STAT_KEYS:
        table[key] = np.asarray(stats[key], dtype=float)
    unused = (both + only_a + only_b == 0) & (n > 0)
    reasons = {
        k: (None if v is None else v.copy()) for k, v in (stats.get("reasons") or {}).items()
    }
    if unused.any():
        for key in NOT_OBSERVED_KEYS:
            table[key] = np.where(unused, np.nan, table[key])
            r = reasons.get(key)
            if r is None:
                r = np.full(n.shape, None, dtype=object)
            r[unused] = REASON_NOT_OBSERVED
            reasons[key] = r
    table["rare"] = rare
    table["alpha_band"] = _band(table["krippendorff_alpha"])
    table["reasons"] = [
        {k: str(r[i]) for k, r in reasons.items() if r is not None and r[i] is not None}
        for i in range(len(n))
    ]
    return table


PREVALENCE_NOTE = (
    "kappa is low while its ideas agree well: a roll-up applied to most segments has high "
    "prevalence, and kappa then understates agreement (the high-prevalence paradox, Feinstein & "
    "Cicchetti 1990); read its ideas' figures and positive agreement"
)


def _mark_prevalence_paradox(table: pd.DataFrame, groups, per_code: pd.DataFrame) -> None:
    """`prevalence_paradox` on theme/construct rows whose kappa is below ALPHA_TENTATIVE (or
    negative) while the median kappa of their codes is at least ALPHA_TENTATIVE."""
    import numpy as np

    flags = []
    kappas = per_code["cohen_kappa"].to_numpy(dtype=float)
    for (_, _, cols), kappa in zip(groups, table.get("cohen_kappa", []), strict=False):
        inner = kappas[cols] if cols else np.array([])
        inner = inner[~np.isnan(inner)]
        flags.append(
            bool(len(inner))
            and kappa == kappa
            and kappa < ALPHA_TENTATIVE
            and float(np.median(inner)) >= ALPHA_TENTATIVE
        )
    table["prevalence_paradox"] = flags if len(table) else []


def _rollup(a: np.ndarray, b: np.ndarray, groups: list[tuple[str, str, list[int]]]):
    """Theme/construct matrices: a segment has the group if it has any of its codes."""
    import numpy as np

    ga = np.zeros((a.shape[0], len(groups)), dtype=bool)
    gb = np.zeros_like(ga)
    for j, (_, _, cols) in enumerate(groups):
        if cols:
            ga[:, j] = a[:, cols].any(axis=1)
            gb[:, j] = b[:, cols].any(axis=1)
    return ga, gb


def code_groups(
    codebook: Codebook | None, code_ids: list[str]
) -> tuple[list[tuple[str, str, list[int]]], list[tuple[str, str, list[int]]], list[str]]:
    """The codebook's themes and constructs as (id, label, columns of `code_ids`), and each theme's
    construct id: what the per-theme and per-construct tables roll codes up by (two coders and 3+).
    Empty without a codebook."""
    themes: list[tuple[str, str, list[int]]] = []
    constructs: list[tuple[str, str, list[int]]] = []
    theme_constructs: list[str] = []
    if codebook is not None:
        col = {cid: i for i, cid in enumerate(code_ids)}
        for theme in codebook.all_themes():
            themes.append((theme.id, theme.label, [col[c.id] for c in theme.codes]))
            theme_constructs.append(theme.construct_id or "")
        for construct in codebook.constructs:
            cols = [col[c.id] for t in construct.themes for c in t.codes]
            constructs.append((construct.id, construct.label, cols))
    return themes, constructs, theme_constructs


def _group_from_counts(groups, counts: np.ndarray, extra: dict[str, list]) -> pd.DataFrame:
    import pandas as pd

    if not groups:
        return pd.DataFrame(columns=["id", "label", *extra.keys(), "n_codes"])
    head = {
        "id": [g[0] for g in groups],
        "label": [g[1] for g in groups],
        **extra,
        "n_codes": [len(g[2]) for g in groups],
    }
    return pd.DataFrame({**head, **_stats_from_counts(*counts)})


def _row_runs(matrix: np.ndarray, code_ids: np.ndarray) -> list[list[str]]:
    """Per row of a boolean matrix, the code ids that are set (in column order)."""
    import numpy as np

    rows, cols = matrix.nonzero()
    codes = code_ids[cols].tolist()
    bounds = np.searchsorted(rows, np.arange(matrix.shape[0] + 1)).tolist()
    return [codes[bounds[i] : bounds[i + 1]] for i in range(matrix.shape[0])]


def _code_tuples(matrix: np.ndarray, code_ids: np.ndarray) -> list[tuple[str, ...]]:
    """Per row of a boolean matrix, the tuple of the code ids set; each distinct row's tuple is
    made once (the disagreements' rows repeat a few hundred code sets) and shared by its rows."""
    import numpy as np

    from qualcode.agreement.stats import distinct_rows, pack_rows

    if not len(matrix):
        return []
    sets, inverse = distinct_rows(pack_rows(matrix))
    row_of_set = np.zeros(len(sets), dtype=np.intp)
    row_of_set[inverse] = np.arange(len(inverse))  # a row holding each distinct set
    tuples = np.empty(len(sets), dtype=object)
    for k, codes in enumerate(_row_runs(matrix[row_of_set], code_ids)):
        tuples[k] = tuple(codes)
    return tuples[inverse].tolist()


def _overall(total: dict[str, Any], n_codes: int, per_code: pd.DataFrame) -> dict[str, Any]:
    import numpy as np

    from qualcode.agreement.stats import set_alpha_packed

    pooled = {k: np.array([int(per_code[k].sum())], dtype=np.int64) for k in COUNT_KEYS}
    table = _stats_from_counts(
        pooled["both"],
        pooled["only_a"],
        pooled["only_b"],
        pooled["neither"],
    )
    row = {k: v[0] for k, v in table.items()}
    units = int(total["units"])
    out: dict[str, Any] = {
        "units": units,
        "codes": int(n_codes),
        "pooled": {
            **{k: int(row[k]) for k in COUNT_KEYS},
            **{k: float(row[k]) for k in STAT_KEYS},
            "reasons": row["reasons"],
        },
        "identical_segments": int(total["identical"]) if units else 0,
    }
    out["identical_share"] = (
        out["identical_segments"] / out["units"] if out["units"] else float("nan")
    )
    out["distinct_code_sets"] = len(total["sets"]) if units else 0
    for distance in ("masi", "jaccard"):
        result = set_alpha_packed(
            total["sets"], total["unit_sets"], n_codes, distance, max_pairs=SET_ALPHA_MAX_PAIRS
        )
        out[f"set_alpha_{distance}"] = float(result.value)
        out[f"set_alpha_{distance}_reason"] = result.reason
    alphas = per_code["krippendorff_alpha"]
    out["codes_by_alpha_band"] = {
        band: int((per_code["alpha_band"] == band).sum())
        for band in ("good", "tentative", "low", "n/a")
    }
    out["codes_rare"] = int(per_code["rare"].sum())
    out["mean_code_alpha"] = float(alphas.mean()) if alphas.notna().any() else float("nan")
    return out


def _disagreements(
    a: np.ndarray, b: np.ndarray, units: pd.Index, code_ids: np.ndarray, segments
) -> pd.DataFrame:
    import pandas as pd

    differ = (a != b).any(axis=1)
    rows = differ.nonzero()[0]
    sub_a, sub_b = a[rows], b[rows]
    ids = pd.Series(units[rows], dtype=object)
    frame = pd.DataFrame({"segment_id": ids})
    if segments is not None and len(rows):
        info = segments.drop_duplicates("segment_id").set_index("segment_id")
        info = info.reindex(ids)
        frame["transcript_id"] = info["transcript_id"].to_numpy()
        frame["turn"] = info["turn"].to_numpy()
        frame["speaker"] = info["speaker"].to_numpy()
        frame["text"] = info["text"].to_numpy()
    else:
        keys = [_turn_key(i) for i in ids.tolist()]
        frame["transcript_id"] = [k[0] if k[1] >= 0 else "" for k in keys]
        frame["turn"] = pd.array([k[1] if k[1] >= 0 else None for k in keys], dtype="Int64")
        frame["speaker"] = ""
        frame["text"] = ""
    frame["codes_a"] = _code_tuples(sub_a, code_ids)
    frame["codes_b"] = _code_tuples(sub_b, code_ids)
    frame["only_a"] = _code_tuples(sub_a & ~sub_b, code_ids)
    frame["only_b"] = _code_tuples(sub_b & ~sub_a, code_ids)
    if len(frame) and frame["turn"].notna().all():
        frame["turn"] = frame["turn"].astype(int)
    return frame[list(DISAGREEMENT_COLUMNS)].reset_index(drop=True)


COMPARE_CHUNK_UNITS = 50_000  # double-coded segments per partition (two units x codes matrices)


@dataclass
class AgreementPart:
    """What one range of double-coded segments adds to a comparison; parts are summed in order
    (`_combine_parts`), so a comparison made of many parts equals the one made of all at once.

    `sets` are the distinct code sets of the range (bit-packed, `stats.pack_rows`) and `unit_sets`
    each unit's set for coder A and B (indexes into `sets`): set-valued alpha needs no more. The
    disagreements are the rows where the coders differ (their units and both coders' rows)."""

    units: int
    counts: np.ndarray  # 4 x codes: both, only_a, only_b, neither
    theme_counts: np.ndarray  # 4 x themes
    construct_counts: np.ndarray  # 4 x constructs
    identical: int
    sets: np.ndarray
    unit_sets: np.ndarray
    differ: np.ndarray  # the units where the coders differ (0-based within the range)
    differ_a: np.ndarray
    differ_b: np.ndarray


def agreement_partition(
    cells_a: tuple[np.ndarray, np.ndarray],
    cells_b: tuple[np.ndarray, np.ndarray],
    units: Any,
    n_codes: int,
    theme_columns: list[list[int]],
    construct_columns: list[list[int]],
) -> AgreementPart:
    """Per-code (and per theme and construct) 2x2 counts for one range of double-coded segments.

    `cells_a` and `cells_b` are both coders' codings in the range as numbers: (each row's unit,
    0-based within the range, and its code column, 0-based among the `n_codes` codes); `units`
    are the range's segment ids, in order. Pure: the local path calls it range by range, and a
    Dask worker calls it on its partition (codings partitioned by segment range, so no shuffle is
    needed).
    """
    import numpy as np

    from qualcode.agreement.stats import binary_counts, distinct_rows, pack_rows

    n_units = len(units)
    ma = np.zeros((n_units, n_codes), dtype=bool)
    ma[cells_a[0], cells_a[1]] = True
    mb = np.zeros((n_units, n_codes), dtype=bool)
    mb[cells_b[0], cells_b[1]] = True

    def counts(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.array(binary_counts(x, y), dtype=np.int64).reshape(4, x.shape[1])

    def rolled(groups: list[list[int]]) -> np.ndarray:
        ga, gb = _rollup(ma, mb, [("", "", cols) for cols in groups])
        return counts(ga, gb)

    words = np.concatenate([pack_rows(ma), pack_rows(mb)])
    sets, inverse = distinct_rows(words)
    differ = (ma != mb).any(axis=1)
    return AgreementPart(
        units=n_units,
        counts=counts(ma, mb),
        theme_counts=rolled(theme_columns),
        construct_counts=rolled(construct_columns),
        identical=int(n_units - differ.sum()),
        sets=sets,
        unit_sets=inverse.reshape(2, n_units).T.copy(),
        differ=differ.nonzero()[0],
        differ_a=ma[differ],
        differ_b=mb[differ],
    )


def unit_ranges(
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
    units: np.ndarray,
    size: int,
) -> list[tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], np.ndarray]]:
    """Both coders' cells (each row's unit among `units`, -1 for a segment not double-coded, and
    its code column, -1 for a code not compared) split by consecutive ranges of `size` units,
    units counted from the range's start: the partitions `agreement_partition` takes."""
    import numpy as np

    out = []
    coders = []
    for rows, cols in (a, b):
        keep = (rows >= 0) & (cols >= 0)
        rows, cols = rows[keep], cols[keep]
        order = np.argsort(rows, kind="stable")
        coders.append((rows[order], cols[order]))
    for lo in range(0, max(len(units), 1), size):
        hi = lo + size
        parts = []
        for rows, cols in coders:
            i, j = np.searchsorted(rows, [lo, hi])
            parts.append((rows[i:j] - lo, cols[i:j]))
        out.append((parts[0], parts[1], units[lo:hi]))
    return out


def _combine_parts(parts: list[AgreementPart]) -> dict[str, Any]:
    """The parts summed: counts, identical units, sets with each unit's sets in unit order."""
    import numpy as np

    from qualcode.agreement.stats import distinct_rows

    sets = np.concatenate([p.sets for p in parts])
    distinct, inverse = distinct_rows(sets)
    unit_sets, differ, at, first = [], [], 0, 0
    for p in parts:
        unit_sets.append(inverse[at : at + len(p.sets)][p.unit_sets])
        differ.append(p.differ + first)
        at += len(p.sets)
        first += p.units
    return {
        "units": sum(p.units for p in parts),
        "counts": sum(p.counts for p in parts),
        "theme_counts": sum(p.theme_counts for p in parts),
        "construct_counts": sum(p.construct_counts for p in parts),
        "identical": sum(p.identical for p in parts),
        "sets": distinct,
        "unit_sets": np.concatenate(unit_sets),
        "differ": np.concatenate(differ).astype(np.intp),
        "differ_a": np.concatenate([p.differ_a for p in parts]),
        "differ_b": np.concatenate([p.differ_b for p in parts]),
    }


def local_map(function: Callable, partitions: list[tuple]) -> Any:
    """Run `function` on each partition in this process, in order (the default engine)."""
    for args in partitions:
        yield function(*args)


def compare_codings(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    codebook: Codebook | None = None,
    segments: pd.DataFrame | None = None,
    a_path: str | Path | None = None,
    b_path: str | Path | None = None,
    segments_path: str | Path | None = None,
    include_facilitator: bool = False,
    reviewed: str = REVIEWED_CODINGS,
    progress: Callable[[int], None] | None = None,
    code_ids: list[str] | None = None,
    map_partitions: Callable | None = None,
    chunk_units: int = COMPARE_CHUNK_UNITS,
) -> Comparison:
    """Compare coder A's and coder B's codings (DataFrames in the codings.csv contract).

    `progress(n)` is called as the work advances, COMPARE_STEPS in all. The double-coded share is
    over the codable segments (`double_coded_share`; facilitator turns count only with
    `include_facilitator`).

    Codes come from the codebook in its order (declared categories, method.md), or without one from
    the union of codes seen, sorted (or `code_ids` when given). Units are the segments both coders reviewed, in segments-file
    order (or transcript, then turn). Raises a `ContractError` subclass naming the file and row.

    `reviewed` says what each coder reviewed (REVIEWED_RULES): the segments in their file
    ("codings"), every participant turn of `segments` ("all"), or every participant turn of the
    transcripts their file touches ("transcripts"); the last two need `segments`. With "all" or
    "transcripts" a file that lists only coded segments gives the same figures as one with a
    "reviewed, no code" row for every other turn.

    The agreement counts are `agreement_partition` over ranges of `chunk_units` double-coded
    segments, so no units x codes matrix of the whole study is held; `map_partitions(function,
    partitions)` runs them (in this process by default, `local_map`; on a Dask cluster with
    `qualcode.engine.dask`) and yields the results in order.
    """
    import numpy as np
    import pandas as pd

    for df, path, label in ((a, a_path, "coder A"), (b, b_path, "coder B")):
        _check_columns(df, path, label)
        _check_not_empty(df, path, label)
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    # Ids numbered once for both coders: every later step works on the numbers (hashing millions
    # of id strings again and again was what grew faster than the study).
    seg_codes, seg_ids = _joint_codes(a["segment_id"], b["segment_id"])
    code_codes, code_values = _joint_codes(a["code_id"], b["code_id"], few=True)
    n_a = len(a)
    unknown_codes = codebook is not None and not set(code_values.tolist()) <= {
        "",
        *codebook.code_ids(),
    }
    if segments is not None or reviewed != REVIEWED_CODINGS or unknown_codes:
        # The rows with their ids as compared, for the checks that name a row and for the
        # "reviewed, no code" rows added from the segments file (else the numbers are enough).
        a = a.assign(
            segment_id=_column(seg_ids, seg_codes[:n_a], a.index),
            code_id=_column(code_values, code_codes[:n_a], a.index),
        )
        b = b.assign(
            segment_id=_column(seg_ids, seg_codes[n_a:], b.index),
            code_id=_column(code_values, code_codes[n_a:], b.index),
        )
    coder_a = _coder_name(a, a_path, "coder A")
    coder_b = _coder_name(b, b_path, "coder B")
    if coder_a == coder_b:
        raise CoderError(
            f"both files are from coder {coder_a!r}",
            file=_name(b_path, "coder B"),
            hint=f"compare the codings of two different coders ({_name(a_path, 'A')} is {coder_a!r} too)",
        )

    if codebook is not None:
        code_ids = codebook.code_ids()
        for df, path, label in ((a, a_path, "coder A"), (b, b_path, "coder B")):
            if unknown_codes:  # one of them has a code the codebook does not define
                _check_codes(df, codebook, path, label)
    elif code_ids is None:
        code_ids = sorted(c for c in code_values.tolist() if c != "")

    seg_file = str(segments_path) if segments_path is not None else None
    if segments is not None:
        known = pd.Index(segments["segment_id"].astype(str))
        for df, path, label in ((a, a_path, "coder A"), (b, b_path, "coder B")):
            _check_segments(df, known, path, label, seg_file)

    if reviewed not in REVIEWED_RULES:
        raise ContractError(
            f"reviewed must be one of {', '.join(REVIEWED_RULES)}, got {reviewed!r}"
        )
    empty = (code_values == "").nonzero()[0]
    no_empty = tuple(
        name
        for name, cc in ((coder_a, code_codes[:n_a]), (coder_b, code_codes[n_a:]))
        if not (len(empty) and (cc == empty[0]).any())
    )
    if reviewed != REVIEWED_CODINGS:
        if segments is None:
            raise ContractError(
                f"what the coders reviewed ({reviewed!r}) is read from the segments file, "
                "and none was given"
            )
        a = _with_reviewed_rows(a, segments, reviewed, include_facilitator)
        b = _with_reviewed_rows(b, segments, reviewed, include_facilitator)
        n_a = len(a)  # the added rows' ids are the segments file's, as they stand
        seg_codes, seg_ids = _joint_codes(a["segment_id"], b["segment_id"], strip=False)
        code_codes, code_values = _joint_codes(a["code_id"], b["code_id"], strip=False, few=True)

    # seg_ids is the union of both reviewed sets: A's in A's order, then B's others in B's order.
    rows_a, rows_b = seg_codes[:n_a], seg_codes[n_a:]
    reviewed_by_a = np.zeros(len(seg_ids), dtype=bool)
    reviewed_by_a[rows_a] = True
    reviewed_by_b = np.zeros(len(seg_ids), dtype=bool)
    reviewed_by_b[rows_b] = True
    n_reviewed_a, n_reviewed_b = int(reviewed_by_a.sum()), int(reviewed_by_b.sum())
    if not (reviewed_by_a & reviewed_by_b).any():
        raise OverlapError(
            "no segment was reviewed by both coders: there is nothing to compare",
            file=_name(b_path, "coder B"),
            hint=(
                f"{coder_a} reviewed {n_reviewed_a} segment(s) (e.g. {seg_ids[rows_a[0]]}), "
                f"{coder_b} reviewed {n_reviewed_b} (e.g. {seg_ids[rows_b[0]] if len(rows_b) else '-'})"
            ),
        )
    if segments is not None:
        order = np.asarray(segments["segment_id"].astype(str).unique(), dtype=object)
        at = pd.Index(seg_ids).get_indexer(order)  # -1: a segment neither coder reviewed
        order_in_a = (at >= 0) & reviewed_by_a[at]
        order_in_b = (at >= 0) & reviewed_by_b[at]
    else:
        at = natural_order_positions(seg_ids)
        order = seg_ids[at]
        order_in_a, order_in_b = reviewed_by_a[at], reviewed_by_b[at]
    unit_numbers = at[order_in_a & order_in_b]  # the double-coded segments, in order
    units = seg_ids[unit_numbers]
    single_a = tuple(order[order_in_a & ~order_in_b].tolist())
    single_b = tuple(order[order_in_b & ~order_in_a].tolist())

    code_arr = np.asarray(code_ids, dtype=object)
    step = progress or (lambda n=1: None)
    step(1)
    # Per code, with its place in the hierarchy.
    labels, themes, constructs = [], [], []
    for cid in code_ids:
        if codebook is not None:
            code = codebook.code(cid)
            labels.append(code.label)
            themes.append(code.theme_id or "")
            constructs.append(code.construct_id or "")
        else:
            labels.append("")
            themes.append("")
            constructs.append("")
    theme_groups, construct_groups, theme_constructs = code_groups(codebook, code_ids)

    # Each row's unit (its place among the double-coded segments) and code column, as numbers.
    unit_of = np.full(len(seg_ids), -1, dtype=np.intp)
    unit_of[unit_numbers] = np.arange(len(unit_numbers))
    column_of = pd.Index(code_ids).get_indexer(code_values)
    partitions = [
        (ca, cb, pu, len(code_ids), [g[2] for g in theme_groups], [g[2] for g in construct_groups])
        for ca, cb, pu in unit_ranges(
            (unit_of[rows_a], column_of[code_codes[:n_a]]),
            (unit_of[rows_b], column_of[code_codes[n_a:]]),
            units,
            max(int(chunk_units), 1),
        )
    ]
    # The rows as numbers are in the partitions now: let go of the per-row arrays and columns.
    del a, b, seg_codes, code_codes, rows_a, rows_b, unit_of
    run = map_partitions or local_map
    total = _combine_parts(list(run(agreement_partition, partitions)))
    del partitions

    head = {"code_id": code_ids, "label": labels, "theme_id": themes, "construct_id": constructs}
    per_code = pd.DataFrame({**head, **_stats_from_counts(*total["counts"])})
    step(1)
    per_theme = _group_from_counts(
        theme_groups, total["theme_counts"], {"construct_id": theme_constructs}
    )
    per_construct = _group_from_counts(construct_groups, total["construct_counts"], {})
    for table, groups in ((per_theme, theme_groups), (per_construct, construct_groups)):
        _mark_prevalence_paradox(table, groups, per_code)

    step(1)
    overall = _overall(total, len(code_ids), per_code)
    step(1)
    disagreements = _disagreements(
        total["differ_a"], total["differ_b"], pd.Index(units[total["differ"]]), code_arr, segments
    )
    step(1)

    from qualcode.project import study_relative

    n_total = int(segments["segment_id"].nunique()) if segments is not None else None
    share = double_coded_share(
        units, seg_ids, segments, include_facilitator=include_facilitator, distinct=True
    )
    return Comparison(
        coder_a=coder_a,
        coder_b=coder_b,
        # Reports are shared: never an absolute path from the researcher's machine (15.14).
        file_a=study_relative(a_path) if a_path is not None else None,
        file_b=study_relative(b_path) if b_path is not None else None,
        reviewed_a=n_reviewed_a,
        reviewed_b=n_reviewed_b,
        double_coded=len(units),
        reviewed_either=len(seg_ids),
        segments_total=n_total,
        double_coded_share=share.share,
        share_of=share.of,
        single_coded_a=single_a,
        single_coded_b=single_b,
        per_code=per_code,
        per_theme=per_theme,
        per_construct=per_construct,
        overall=overall,
        disagreements=disagreements,
        codebook_title=codebook.title if codebook is not None else None,
        share_double_coded=share.double_coded,
        share_denominator=share.denominator,
        share_unit=share.unit,
        share_reviewed=share.reviewed,
        facilitator_segments=share.facilitator_segments,
        reviewed_rule=reviewed,
        no_empty_rows=no_empty,
        double_coded_ids=tuple(units.tolist()),
    )


def _with_reviewed_rows(
    df: pd.DataFrame, segments: pd.DataFrame, reviewed: str, include_facilitator: bool
) -> pd.DataFrame:
    """`df` plus a "reviewed, no code" row for every participant turn the rule says the coder
    reviewed and the file does not list (facilitator turns too with `include_facilitator`)."""
    import pandas as pd

    seg = segments.drop_duplicates("segment_id")
    ids = seg["segment_id"].astype(str)
    keep = pd.Series(True, index=seg.index)
    if not include_facilitator and "role" in seg.columns:
        keep &= seg["role"].fillna("").astype(str).str.strip() != ROLE_FACILITATOR
    if reviewed == REVIEWED_TRANSCRIPTS:
        touched = seg.loc[ids.isin(df["segment_id"]), "transcript_id"].unique()
        keep &= seg["transcript_id"].isin(touched)
    extra = ids[keep & ~ids.isin(df["segment_id"])]
    if not len(extra):
        return df
    rows = pd.DataFrame({c: "" for c in df.columns}, index=range(len(extra)))
    rows["segment_id"] = extra.to_numpy()
    if "coder" in df.columns:
        names = [n for n in df["coder"].unique() if str(n).strip()]
        rows["coder"] = names[0] if names else ""
    return pd.concat([df, rows], ignore_index=True)


# --- JSON form ----------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """JSON-safe Python values: numpy scalars -> Python, NaN -> None, tuples -> lists."""
    import math

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if type(value).__name__ == "NAType":  # pandas.NA (a missing turn)
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts, converted column by column (tens of thousands of disagreements)."""
    names, columns = _json_columns(df)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _json_columns(df: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    """The column names and each column's values as JSON-safe Python values."""
    columns = []
    for name in df.columns:
        series = df[name]
        if series.dtype.kind == "f":
            values = [None if v != v else v for v in series.tolist()]
        elif series.dtype.kind in "iub" and not series.hasnans:
            values = series.tolist()
        else:
            values = [
                list(v) if isinstance(v, tuple) else v if isinstance(v, str) else _plain(v)
                for v in series.astype(object).tolist()
            ]
        columns.append(values)
    return [str(c) for c in df.columns], columns


def comparison_to_dict(c: Comparison) -> dict[str, Any]:
    """The stable JSON structure of a comparison (what `qualcode compare --format json` prints)."""
    head = _plain(
        {
            "coders": {"a": c.coder_a, "b": c.coder_b},
            "files": {"a": c.file_a, "b": c.file_b},
            "codebook": c.codebook_title,
            "reviewed": {
                "a": c.reviewed_a,
                "b": c.reviewed_b,
                "both": c.double_coded,
                "either": c.reviewed_either,
                "segments_total": c.segments_total,
            },
            "double_coded_share": c.double_coded_share,
            "double_coded_share_of": c.share_of,
            "double_coded_share_counts": {
                "double_coded": c.share_double_coded,
                "of": c.share_denominator,
            },
            "usual_double_coded_share": list(USUAL_DOUBLE_CODED_SHARE),
            "single_coded": {"a": list(c.single_coded_a), "b": list(c.single_coded_b)},
            "thresholds": c.thresholds,
            "rare_rule": c.rare_rule,
            "reviewed_rule": {"rule": c.reviewed_rule, "means": REVIEWED_RULES[c.reviewed_rule]},
            "no_empty_code_rows": list(c.no_empty_rows),
        }
    )
    if c.unit != "turn":
        from qualcode.agreement.unitized import unit_to_dict

        head["unit"] = unit_to_dict(c)
    # The tables are converted column by column (already JSON-safe: no second walk).
    return {
        **head,
        "per_code": _records(c.per_code),
        "per_theme": _records(c.per_theme),
        "per_construct": _records(c.per_construct),
        "overall": _plain(c.overall),
        "disagreements": _records(c.disagreements),  # last: comparison_json relies on it
    }


def comparison_json(c: Comparison) -> Iterator[str]:
    """`json.dumps(comparison_to_dict(c), indent=2, ensure_ascii=False, allow_nan=False)`, the
    same text in pieces. Everything but the disagreements goes through that encoder; the
    disagreements (a row per segment where the coders differ: hundreds of thousands in a large
    study) are formatted row by row from their columns as the encoder would lay them out (the
    pure-Python encoder, which `indent` always uses, spent seconds in a generator per value, and
    a dict and four lists per row were held for it)."""
    import json

    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, allow_nan=False)
    data = comparison_to_dict(_without_disagreements(c))
    data.pop("disagreements")
    held: list[str] = []
    for piece in encoder.iterencode(data):  # ends with the pieces "\n" and "}"
        held.append(piece)
        if len(held) > 2:
            yield held.pop(0)
    yield ',\n  "disagreements": '
    yield from _json_rows(c.disagreements, level=2)
    yield "\n}"


def _without_disagreements(c: Comparison) -> Comparison:
    from dataclasses import replace

    return replace(c, disagreements=c.disagreements.iloc[:0])


_JSON_ROWS_PER_PIECE = 2_000


def _json_rows(df: pd.DataFrame, level: int) -> Iterator[str]:
    """The rows of `df` as the JSON encoder (indent 2) writes a list of one dict per row whose
    `[` stands at nesting `level - 1` (the disagreements: 2). Strings, ints, None, booleans and
    lists of strings are laid out here; any other value through `json.dumps`, re-indented (its
    strings hold no raw newline, so each line only moves right)."""
    import json
    from json.encoder import encode_basestring

    if not len(df):
        yield "[]"
        return
    row_open = "\n" + "  " * level
    key_indent = "\n" + "  " * (level + 1)
    item_indent = "\n" + "  " * (level + 2)
    keys = [encode_basestring(str(n)) + ": " for n in df.columns]
    literals = {None: "null", True: "true", False: "false"}

    def value(v: Any) -> str:
        kind = type(v)
        if kind is str:
            return encode_basestring(v)
        if kind is int:
            return int.__repr__(v)
        if kind is list and all(type(x) is str for x in v):
            if not v:
                return "[]"
            inner = ("," + item_indent).join(map(encode_basestring, v))
            return "[" + item_indent + inner + key_indent + "]"
        if v is None or kind is bool:
            return literals[v]
        text = json.dumps(v, indent=2, ensure_ascii=False, allow_nan=False)
        return text.replace("\n", key_indent)

    separator = row_open
    pieces = ["["]
    for lo in range(0, len(df), _JSON_ROWS_PER_PIECE):  # converted a batch at a time
        _, columns = _json_columns(df.iloc[lo : lo + _JSON_ROWS_PER_PIECE])
        for row in zip(*columns, strict=True):
            fields = ("," + key_indent).join(k + value(v) for k, v in zip(keys, row, strict=True))
            pieces.append(separator + "{" + key_indent + fields + row_open + "}")
            separator = "," + row_open
        yield "".join(pieces)
        pieces.clear()
    yield "\n" + "  " * (level - 1) + "]"
