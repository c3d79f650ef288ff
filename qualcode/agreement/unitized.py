"""Span-level agreement: Krippendorff's unitized alpha on the characters of the double-coded turns,
and sentence-level agreement as its documented simplification.

**Span level (`--unit span`).** The continuum is the concatenation of the double-coded turns' texts
(in segments-file order, 0-based code points). Each code is its own unitizing task: a coder's units
of the code are their spans of it (a coding with empty start_char/end_char, or an auto-coding, whose
span only marks where its keyword matched (`qualcode.spans`), is a span over the whole turn);
everything else is gap. For each code, Krippendorff's alpha for unitizing, uα = 1 - uDo / uDe,
with m coders who all coded the whole continuum of length L (Krippendorff 1995, "On the reliability
of unitizing continuous data", Sociological Methodology 25:47-76; in the corrected form of
Krippendorff 2004, Content Analysis, 2nd ed., sec. 11.6, as implemented in DKPro Agreement's
KrippendorffAlphaUnitizingAgreement, Meyer et al. 2014):

* distance of a section g (coder i) and a section h (coder j) that intersect:
  both units: (b_g - b_h)^2 + (e_g - e_h)^2; a unit lying wholly inside the other coder's gap:
  its length^2; otherwise 0;
* uDo = sum over ordered coder pairs i != j and their intersecting sections of that distance,
  divided by m (m - 1) L^2;
* uDe = (2 / L) sum over all N units u (length l) of
  [(N - 1)(2 l^3 - 3 l^2 + l) / 3 + l^2 sum over all gaps G with |G| >= l of (|G| - l + 1)],
  divided by [m L (m L - 1) - sum over all units of l (l - 1)].

A code with no unit by any coder has nothing to judge: "not observed" (never 1.000). The figure
pooled across codes is Krippendorff's (2004) across-categories uα = 1 - sum_c uDo_c / sum_c uDe_c
(the form DKPro reproduces for the book's worked example, 0.8591); codes are judged separately, so
one character may carry several codes.

Spans of the same code by the same coder that share a character are merged into one unit (their
union) before computing; spans that only touch (one ends where the next begins) stay two units, as
in Krippendorff's (1995) examples. Spans outside their turn are an error naming file and row.

**Sentence level (`--unit sentence`).** Each sentence of a double-coded turn is a unit; a coder
applied a code to a sentence when one of their spans of that code covers at least one of the
sentence's non-whitespace characters (a whole-turn coding covers every sentence). The sentence
units then feed the same 2x2 statistics as turns (`agreement.compare`); the sentences are those of
`qualcode.sentences.sentence_spans`, the splitter the coding sheet numbers for coders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import ContractError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.model import Codebook

UNITS: tuple[str, ...] = ("turn", "span", "sentence")
UNIT_TURN, UNIT_SPAN, UNIT_SENTENCE = UNITS
SPAN_REFERENCE = (
    "Krippendorff (1995), Sociological Methodology 25:47-76; corrected form in Krippendorff "
    "(2004), Content Analysis, 2nd ed."
)
SPAN_DEFINITION = (
    "span: Krippendorff's unitized alpha (uα) per code over the characters of the double-coded "
    "turns (the continuum is their texts one after another; a coding without start_char/end_char "
    "spans its whole turn; overlapping spans of one code by one coder are merged)"
)
SENTENCE_RULE = (
    "a coder applied a code to a sentence when one of their spans of that code covers at least "
    "one of its non-whitespace characters (a whole-turn coding covers every sentence)"
)
SENTENCE_DEFINITION = (
    "sentence: each sentence of a double-coded turn is a unit (a simplification of span-level "
    f"agreement); {SENTENCE_RULE}"
)
TURN_DEFINITION = "turn: a code applies to a whole turn or not"
UNIT_DEFINITIONS: dict[str, str] = {
    UNIT_TURN: TURN_DEFINITION,
    UNIT_SPAN: SPAN_DEFINITION,
    UNIT_SENTENCE: SENTENCE_DEFINITION,
}
REASON_NOT_OBSERVED = "not observed: no coder marked the code in the double-coded turns"
REASON_NO_VARIATION = "undefined: no expected disagreement (nothing varies)"
SENTENCE_ID_SEPARATOR = "#"


class SpanError(ContractError):
    """A span that does not fit its turn, or half a span (start without end)."""


class UnitizingInputError(ContractError):
    """Units that are not inside the continuum or overlap within one coder (a programming error
    in the caller: `span_agreement` merges overlapping spans before calling `unitized_alpha`)."""


# --- the coefficient ----------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitizedAlpha:
    """uα for one category: value = 1 - observed / expected; NaN with `reason` when undefined."""

    value: float
    observed: float
    expected: float
    units: int
    reason: str | None = None


def _sections(units: Sequence[tuple[int, int]], length: int):
    """(starts, ends, is_unit) of the partition of [0, length) into this coder's units and gaps."""
    import numpy as np

    starts: list[int] = []
    ends: list[int] = []
    kinds: list[bool] = []
    pos = 0
    for b, e in units:
        if b > pos:
            starts.append(pos)
            ends.append(b)
            kinds.append(False)
        starts.append(b)
        ends.append(e)
        kinds.append(True)
        pos = e
    if pos < length:
        starts.append(pos)
        ends.append(length)
        kinds.append(False)
    return (
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        np.asarray(kinds, dtype=bool),
    )


def _check_units(units: Sequence[tuple[int, int]], length: int) -> None:
    pos = 0
    for b, e in units:
        if not (0 <= b < e <= length) or b < pos:
            raise UnitizingInputError(
                f"units must be sorted, non-overlapping and inside 0..{length}: got {b}..{e}"
            )
        pos = e


def observed_disagreement(coders: Sequence[Sequence[tuple[int, int]]], length: int) -> float:
    """uDo (Krippendorff 2004): intersecting sections of every coder pair, swept in one pass."""
    import numpy as np

    m = len(coders)
    parts = [_sections(u, length) for u in coders]
    total = 0.0
    for i in range(m):
        si, ei, ui = parts[i]
        for j in range(i + 1, m):
            sj, ej, uj = parts[j]
            # Every elementary interval between the two partitions' boundaries is one intersecting
            # pair of sections (a pair's intersection is one interval, so no pair repeats).
            cuts = np.union1d(si, sj)
            g = np.searchsorted(si, cuts, side="right") - 1
            h = np.searchsorted(sj, cuts, side="right") - 1
            bg, eg, kg = si[g], ei[g], ui[g]
            bh, eh, kh = sj[h], ej[h], uj[h]
            both = kg & kh
            d = np.zeros(len(cuts), dtype=np.float64)
            d[both] = (bg[both] - bh[both]).astype(np.float64) ** 2 + (eg[both] - eh[both]).astype(
                np.float64
            ) ** 2
            g_in_gap = kg & ~kh & (bg >= bh) & (eg <= eh)
            d[g_in_gap] = (eg[g_in_gap] - bg[g_in_gap]).astype(np.float64) ** 2
            h_in_gap = kh & ~kg & (bh >= bg) & (eh <= eg)
            d[h_in_gap] = (eh[h_in_gap] - bh[h_in_gap]).astype(np.float64) ** 2
            total += float(d.sum())
    return 2.0 * total / (m * (m - 1) * float(length) ** 2)


def expected_disagreement(coders: Sequence[Sequence[tuple[int, int]]], length: int) -> float:
    """uDe (Krippendorff 2004; see the module docstring), vectorised over units with the gaps'
    lengths sorted once (sum over gaps >= l of (|G| - l + 1) from suffix sums)."""
    import numpy as np

    m = len(coders)
    lengths = np.asarray([e - b for u in coders for b, e in u], dtype=np.float64)
    n = len(lengths)
    if n == 0:
        return 0.0
    gaps = []
    for u in coders:
        s, e, k = _sections(u, length)
        gaps.append((e - s)[~k])
    gap = np.sort(np.concatenate(gaps).astype(np.float64))
    # For each unit length l: count and sum of the gaps at least l long.
    first = np.searchsorted(gap, lengths, side="left")
    suffix = np.concatenate([np.cumsum(gap[::-1])[::-1], [0.0]])
    count = len(gap) - first
    fits = suffix[first] - count * (lengths - 1)
    within = (n - 1) * (2 * lengths**3 - 3 * lengths**2 + lengths) / 3
    numerator = (2.0 / length) * float((within + lengths**2 * fits).sum())
    denominator = m * float(length) * (m * float(length) - 1) - float(
        (lengths * (lengths - 1)).sum()
    )
    return numerator / denominator


def unitized_alpha(coders: Sequence[Sequence[tuple[int, int]]], length: int) -> UnitizedAlpha:
    """Krippendorff's uα for one category: `coders[i]` are coder i's units (begin, end), sorted,
    non-overlapping, 0 <= begin < end <= `length`; every coder coded the whole continuum."""
    if len(coders) < 2:
        raise UnitizingInputError("unitized alpha needs at least two coders")
    if length <= 0:
        raise UnitizingInputError("the continuum is empty")
    for u in coders:
        _check_units(u, length)
    n_units = sum(len(u) for u in coders)
    observed = observed_disagreement(coders, length)
    expected = expected_disagreement(coders, length)
    if n_units == 0:
        return UnitizedAlpha(float("nan"), observed, expected, 0, REASON_NOT_OBSERVED)
    if expected <= 0:
        return UnitizedAlpha(float("nan"), observed, expected, n_units, REASON_NO_VARIATION)
    return UnitizedAlpha(1.0 - observed / expected, observed, expected, n_units)


def pooled_unitized_alpha(results: Sequence[UnitizedAlpha]) -> UnitizedAlpha:
    """Across categories (Krippendorff 2004): 1 - sum of uDo / sum of uDe over the categories."""
    observed = sum(r.observed for r in results)
    expected = sum(r.expected for r in results)
    units = sum(r.units for r in results)
    if units == 0:
        return UnitizedAlpha(float("nan"), observed, expected, 0, REASON_NOT_OBSERVED)
    if expected <= 0:
        return UnitizedAlpha(float("nan"), observed, expected, units, REASON_NO_VARIATION)
    return UnitizedAlpha(1.0 - observed / expected, observed, expected, units)


def merge_units(spans: Sequence[tuple[int, int]]) -> tuple[list[tuple[int, int]], int]:
    """Sorted spans with those sharing a character merged (touching spans stay apart); also how
    many spans were merged away."""
    out: list[tuple[int, int]] = []
    for b, e in sorted(spans):
        if out and b < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((b, e))
    return out, len(spans) - len(out)


# --- codings -> spans ---------------------------------------------------------------------------
def coding_spans(
    df: pd.DataFrame, lengths: dict[str, int], path: str | Path | None
) -> list[tuple[str, str, int, int]]:
    """(segment_id, code_id, start, end) of every coding row with a code on a segment in `lengths`
    (segment_id -> text length); empty start/end = the whole turn. Raises SpanError naming the
    file and row for half a span or a span outside its turn."""
    from qualcode.io import row_location
    from qualcode.spans import ORIGIN_AUTO

    out: list[tuple[str, str, int, int]] = []
    seg = df["segment_id"].astype(str).str.strip().tolist()
    code = df["code_id"].astype(str).str.strip().tolist()
    starts = df["start_char"].astype(str).str.strip().tolist()
    ends = df["end_char"].astype(str).str.strip().tolist()
    origin = (
        df["origin"].astype(str).str.strip().tolist() if "origin" in df.columns else [""] * len(df)
    )
    for i, (s, c, b, e, o) in enumerate(zip(seg, code, starts, ends, origin, strict=True)):
        if s not in lengths or not c:
            continue
        n = lengths[s]
        if o == ORIGIN_AUTO:
            # an auto-coding codes the turn: its span is where the keyword matched (qualcode.spans)
            b = e = ""
        if not b and not e:
            if n:
                out.append((s, c, 0, n))
            continue
        if not b or not e:
            raise SpanError(
                "start_char and end_char must both be given or both be empty",
                **row_location(df, path, i, "start_char" if not b else "end_char"),
            )
        lo, hi = int(b), int(e)
        if not 0 <= lo < hi <= n:
            raise SpanError(
                f"span {lo}..{hi} does not fit in segment {s!r} ({n} characters; end is "
                "exclusive, start before end)",
                **row_location(df, path, i, "start_char"),
            )
        out.append((s, c, lo, hi))
    return out


def has_spans(df: pd.DataFrame) -> bool:
    """Whether any coding row with a code gives start_char/end_char."""
    coded = df["code_id"].astype(str).str.strip() != ""
    given = (df["start_char"].astype(str).str.strip() != "") | (
        df["end_char"].astype(str).str.strip() != ""
    )
    if "origin" in df.columns:  # an auto-coding's span is a keyword position, not an excerpt
        given &= df["origin"].astype(str).str.strip() != "auto"
    return bool((coded & given).any())


# --- span-level agreement -----------------------------------------------------------------------
@dataclass
class SpanAgreement:
    """Per-code uα over the characters of the double-coded turns (`span_agreement`)."""

    coders: tuple[str, ...]
    files: tuple[str | None, ...]
    turns: int
    characters: int
    per_code: pd.DataFrame
    pooled: dict[str, Any]
    merged: dict[str, int] = field(default_factory=dict)
    whole_turn_only: tuple[str, ...] = ()
    reference: str = SPAN_REFERENCE
    definition: str = SPAN_DEFINITION
    disagreements: Any = None  # span_disagreements (two coders)


SPAN_COUNT_KEYS = ("both", "only_a", "only_b", "neither")


def _char_counts(a: list[tuple[int, int]], b: list[tuple[int, int]], length: int) -> list[int]:
    """Characters both / only A / only B / neither coder marked (two coders' merged units)."""

    def covered(units: list[tuple[int, int]]) -> int:
        return sum(e - s for s, e in units)

    both = 0
    j = 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k = j
        while k < len(b) and b[k][0] < e:
            both += min(e, b[k][1]) - max(s, b[k][0])
            k += 1
    ca, cb = covered(a), covered(b)
    return [both, ca - both, cb - both, length - ca - cb + both]


def span_agreement(
    frames: Sequence[pd.DataFrame],
    segments: pd.DataFrame,
    units: Sequence[str],
    code_ids: Sequence[str],
    *,
    coders: Sequence[str],
    paths: Sequence[str | Path | None] = (),
    codebook: Codebook | None = None,
) -> SpanAgreement:
    """uα per code (and pooled) for the coders' codings `frames` on the double-coded turns `units`
    (segment ids, in continuum order) whose texts come from `segments`.

    With two coders each code also gets its character 2x2 counts (both / only A / only B /
    neither). Rows on segments outside `units` are checked but not counted."""
    import numpy as np
    import pandas as pd

    from qualcode.agreement.compare import ALPHA_GOOD, ALPHA_TENTATIVE
    from qualcode.project import study_relative

    paths = list(paths) or [None] * len(frames)
    texts = segments.drop_duplicates("segment_id").set_index(
        segments["segment_id"].drop_duplicates().astype(str)
    )["text"]
    all_lengths = {str(k): len(str(v)) for k, v in texts.fillna("").items()}
    offsets: dict[str, int] = {}
    pos = 0
    for sid in units:
        offsets[sid] = pos
        pos += all_lengths.get(sid, 0)
    length = pos
    per_coder: list[dict[str, list[tuple[int, int]]]] = []
    merged: dict[str, int] = {}
    whole_only: list[str] = []
    for df, path, name in zip(frames, paths, coders, strict=True):
        spans = coding_spans(df, all_lengths, path)  # every known segment: errors anywhere
        if not has_spans(df):
            whole_only.append(name)
        by_code: dict[str, list[tuple[int, int]]] = {}
        for sid, cid, b, e in spans:
            if sid in offsets:
                off = offsets[sid]
                by_code.setdefault(cid, []).append((off + b, off + e))
        n_merged = 0
        for cid, lst in by_code.items():
            by_code[cid], k = merge_units(lst)
            n_merged += k
        merged[name] = n_merged
        per_coder.append(by_code)

    rows: list[dict[str, Any]] = []
    results: list[UnitizedAlpha] = []
    two = len(frames) == 2
    for cid in code_ids:
        coder_units = [c.get(cid, []) for c in per_coder]
        if length > 0:
            r = unitized_alpha(coder_units, length)
        else:
            r = UnitizedAlpha(float("nan"), 0.0, 0.0, 0, REASON_NOT_OBSERVED)
        results.append(r)
        code = codebook.code(cid) if codebook is not None else None
        row: dict[str, Any] = {
            "code_id": cid,
            "label": code.label if code is not None else "",
            "theme_id": (code.theme_id or "") if code is not None else "",
            "construct_id": (code.construct_id or "") if code is not None else "",
        }
        for k, u in enumerate(coder_units):
            row[f"units_{k + 1}"] = len(u)
            row[f"chars_{k + 1}"] = sum(e - b for b, e in u)
        if two:
            row.update(dict(zip(SPAN_COUNT_KEYS, _char_counts(*coder_units, length), strict=True)))
        row.update(
            u_alpha=r.value,
            observed=r.observed,
            expected=r.expected,
            reason=r.reason or "",
        )
        rows.append(row)
    per_code = pd.DataFrame(rows)
    if len(per_code):
        alpha = per_code["u_alpha"].to_numpy(dtype=float)
        per_code["alpha_band"] = np.select(
            [np.isnan(alpha), alpha >= ALPHA_GOOD, alpha >= ALPHA_TENTATIVE],
            ["n/a", "good", "tentative"],
            default="low",
        )
    pooled = pooled_unitized_alpha(results)
    defined = per_code["u_alpha"].dropna() if len(per_code) else pd.Series(dtype=float)
    pooled_dict = {
        "u_alpha": pooled.value,
        "observed": pooled.observed,
        "expected": pooled.expected,
        "reason": pooled.reason or "",
        "codes_defined": int(len(defined)),
        "codes_below_tentative": int((defined < ALPHA_TENTATIVE).sum()),
        "min": float(defined.min()) if len(defined) else float("nan"),
        "median": float(defined.median()) if len(defined) else float("nan"),
        "max": float(defined.max()) if len(defined) else float("nan"),
    }
    return SpanAgreement(
        coders=tuple(coders),
        files=tuple(study_relative(p) if p is not None else None for p in paths),
        turns=len(units),
        characters=length,
        per_code=per_code,
        pooled=pooled_dict,
        merged=merged,
        whole_turn_only=tuple(whole_only),
    )


def span_notes(s: SpanAgreement) -> list[str]:
    """Plain sentences about the span figures (each true of this comparison)."""
    out = [
        f"Unit: {s.definition}; {s.turns} turns, {s.characters} characters.",
        f"Span-level alpha: {s.reference.rstrip('.')}. Each code is its own unitizing task; the pooled figure "
        "is 1 - sum of uDo / sum of uDe over the codes (Krippendorff 2004).",
    ]
    for name, n in s.merged.items():
        if n:
            out.append(f"{name}: {n} overlapping span(s) of the same code merged into one unit.")
    if len(s.whole_turn_only) == len(s.coders):
        out.append(
            "All codings in every file are whole turns (no start_char/end_char, or auto-codings, "
            "whose span only marks where their keyword matched): span-level "
            "agreement then judges the same turn decisions as --unit turn, each turn weighted by "
            "its length in characters."
        )
    else:
        for name in s.whole_turn_only:
            out.append(
                f"All codings of {name} are whole turns (no start_char/end_char, or auto-codings, "
                "whose span only marks where their keyword matched): each of their units is a "
                "whole turn."
            )
    return out


def span_to_dict(s: SpanAgreement) -> dict[str, Any]:
    """JSON-safe form of a SpanAgreement."""
    from qualcode.agreement.compare import _plain, _records

    return {
        "definition": s.definition,
        "reference": s.reference,
        "coders": list(s.coders),
        "files": list(s.files),
        "turns": s.turns,
        "characters": s.characters,
        "merged_spans": _plain(s.merged),
        "whole_turn_only": list(s.whole_turn_only),
        "per_code": _records(s.per_code),
        "pooled": _plain(s.pooled),
        "disagreements": _records(s.disagreements) if s.disagreements is not None else [],
    }


# --- sentence-level agreement -------------------------------------------------------------------
def sentence_codings(
    frames: Sequence[pd.DataFrame],
    segments: pd.DataFrame,
    units: Sequence[str],
    *,
    paths: Sequence[str | Path | None] = (),
    reviewed: Sequence[set[str]] | None = None,
) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """Each coder's codings on sentence units, and a segments table of those sentences.

    A sentence unit's segment_id is `<segment_id>#<n>` (n 1-based within the turn), its text the
    sentence; every sentence of a double-coded turn `units` is reviewed by every coder (a row with
    an empty code_id; with `reviewed`, one set of turn ids per coder, only the sentences of the
    turns in the coder's set), and a code applies to it under SENTENCE_RULE."""
    import pandas as pd

    from qualcode.sentences import sentence_spans

    paths = list(paths) or [None] * len(frames)
    seg = segments.drop_duplicates("segment_id").copy()
    seg["segment_id"] = seg["segment_id"].astype(str)
    seg["text"] = seg["text"].fillna("").astype(str)
    record_of = {r["segment_id"]: r for r in seg.to_dict(orient="records")}
    lengths = {k: len(r["text"]) for k, r in record_of.items()}
    rows = []
    sentences: dict[str, list[tuple[int, int]]] = {}
    texts: dict[str, str] = {}
    for sid in units:
        base = record_of.get(sid)
        if base is None:
            continue
        text = texts[sid] = base["text"]
        spans = sentence_spans(text)
        sentences[sid] = spans
        for k, (b, e) in enumerate(spans, start=1):
            rows.append(
                {**base, "segment_id": f"{sid}{SENTENCE_ID_SEPARATOR}{k}", "text": text[b:e]}
            )
    sent_segments = pd.DataFrame(rows, columns=list(seg.columns))
    out = []
    turn_of = [s.rpartition(SENTENCE_ID_SEPARATOR)[0] for s in sent_segments["segment_id"]]
    for n, (df, path) in enumerate(zip(frames, paths, strict=True)):
        spans = coding_spans(df, lengths, path)
        mine = None if reviewed is None else reviewed[n]
        coder = next((str(c).strip() for c in df["coder"] if str(c).strip()), "")
        applied: dict[tuple[str, str], None] = {}
        for sid, cid, b, e in spans:
            if sid not in sentences:
                continue
            if mine is not None and sid not in mine:
                continue
            text = texts[sid]
            for k, (sb, se) in enumerate(sentences[sid], start=1):
                lo, hi = max(b, sb), min(e, se)
                # a non-whitespace character in common (str.isspace: all of it whitespace)
                if lo < hi and not text[lo:hi].isspace():
                    applied[(f"{sid}{SENTENCE_ID_SEPARATOR}{k}", cid)] = None
        seen = [
            s
            for s, t in zip(sent_segments["segment_id"], turn_of, strict=True)
            if mine is None or t in mine
        ]
        frame = pd.DataFrame(
            {
                "segment_id": seen + [s for s, _ in applied],
                "code_id": [""] * len(seen) + [c for _, c in applied],
            }
        )
        frame["coder"] = coder
        for col in ("origin", "memo", "start_char", "end_char"):
            frame[col] = ""
        out.append(frame)
    return out, sent_segments


# --- the comparison by unit ---------------------------------------------------------------------
def compare_by_unit(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    unit: str = UNIT_TURN,
    segments: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
    a_path: str | Path | None = None,
    b_path: str | Path | None = None,
    segments_path: str | Path | None = None,
    **kwargs: Any,
):
    """`agreement.compare.compare_codings` with the unit of agreement chosen (UNITS).

    turn: exactly `compare_codings`. span: the same comparison plus `span`, uα per code on the
    characters of the double-coded turns. sentence: the per-code, roll-up, overall and
    disagreement tables count the sentences of the double-coded turns (SENTENCE_RULE); who
    reviewed what and the double-coded share stay in turns. span and sentence need `segments`
    (the turn texts)."""
    from dataclasses import replace

    from qualcode.agreement.compare import compare_codings

    if unit not in UNITS:
        raise ContractError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    if unit != UNIT_TURN and segments is None:
        raise ContractError(f"--unit {unit} reads the turn texts from the segments file")
    base = compare_codings(
        a,
        b,
        codebook=codebook,
        segments=segments,
        a_path=a_path,
        b_path=b_path,
        segments_path=segments_path,
        **kwargs,
    )
    if unit == UNIT_TURN:
        return base
    units = list(base.double_coded_ids)
    if unit == UNIT_SPAN:
        span = span_agreement(
            [a, b],
            segments,
            units,
            list(base.per_code["code_id"]),
            coders=(base.coder_a, base.coder_b),
            paths=(a_path, b_path),
            codebook=codebook,
        )
        span.disagreements = span_disagreements([a, b], segments, units, (a_path, b_path))
        return replace(base, unit=UNIT_SPAN, span=span)
    (sa, sb), sent_segments = sentence_codings([a, b], segments, units, paths=(a_path, b_path))
    sa["coder"], sb["coder"] = base.coder_a, base.coder_b
    if not len(sent_segments):
        raise ContractError(
            "the double-coded turns have no text, so they have no sentences to compare",
            file=str(segments_path) if segments_path is not None else None,
        )
    by_sentence = compare_codings(
        sa,
        sb,
        codebook=codebook,
        segments=sent_segments,
        a_path=a_path,
        b_path=b_path,
        include_facilitator=True,
        code_ids=list(base.per_code["code_id"]),  # a code that covers no sentence still counts
    )
    return replace(
        base,
        unit=UNIT_SENTENCE,
        per_code=by_sentence.per_code,
        per_theme=by_sentence.per_theme,
        per_construct=by_sentence.per_construct,
        overall=by_sentence.overall,
        disagreements=by_sentence.disagreements,
        sentence={
            "sentences": len(sent_segments),
            "turns": len(units),
            "rule": SENTENCE_RULE,
            "id_format": f"<segment_id>{SENTENCE_ID_SEPARATOR}<n>",
        },
    )


def _spans_text(spans: list[tuple[int, int]]) -> str:
    return "; ".join(f"{b}-{e}" for b, e in spans) or "-"


def span_disagreements(
    frames: Sequence[pd.DataFrame],
    segments: pd.DataFrame,
    units: Sequence[str],
    paths: Sequence[str | Path | None],
) -> pd.DataFrame:
    """Per double-coded turn and code where two coders' characters differ: each coder's spans
    (turn offsets, merged) and the characters only one of them marked."""
    import pandas as pd

    seg = segments.drop_duplicates("segment_id")
    ids = seg["segment_id"].astype(str).tolist()
    text_of = dict(zip(ids, seg["text"].fillna("").astype(str).tolist(), strict=True))
    speakers = seg["speaker"] if "speaker" in seg.columns else pd.Series("", index=seg.index)
    speaker_of = dict(zip(ids, speakers.fillna("").astype(str).tolist(), strict=True))
    lengths = {k: len(v) for k, v in text_of.items()}
    wanted = set(units)
    per: list[dict[tuple[str, str], list[tuple[int, int]]]] = []
    for df, path in zip(frames, paths, strict=True):
        d: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for sid, cid, b, e in coding_spans(df, lengths, path):
            if sid in wanted:
                d.setdefault((sid, cid), []).append((b, e))
        per.append({k: merge_units(v)[0] for k, v in d.items()})
    order = {sid: i for i, sid in enumerate(units)}
    keys = sorted(set(per[0]) | set(per[1]), key=lambda k: (order[k[0]], k[1]))
    rows = []
    for sid, cid in keys:
        sa, sb = per[0].get((sid, cid), []), per[1].get((sid, cid), [])
        if sa == sb:
            continue
        both, only_a, only_b, _ = _char_counts(sa, sb, lengths[sid])
        rows.append(
            {
                "segment_id": sid,
                "speaker": speaker_of[sid],
                "code_id": cid,
                "spans_a": _spans_text(sa),
                "spans_b": _spans_text(sb),
                "chars_both": both,
                "chars_only_a": only_a,
                "chars_only_b": only_b,
                "text": text_of[sid],
            }
        )
    columns = [
        "segment_id",
        "speaker",
        "code_id",
        "spans_a",
        "spans_b",
        "chars_both",
        "chars_only_a",
        "chars_only_b",
        "text",
    ]
    return pd.DataFrame(rows, columns=columns)


def sentence_line(s: dict[str, Any], *, turns_counted: bool = True) -> str:
    """The line stating the sentence unit (`s`: sentences, turns, id_format)."""
    return (
        f"Unit: {SENTENCE_DEFINITION}; {s.get('sentences', 0)} sentences in "
        f"{s.get('turns', 0)} double-coded turns. The agreement tables count sentences "
        f"(ids {s.get('id_format', '')})"
        + (
            "; reviewed counts and the double-coded share count turns."
            if turns_counted
            else "; so do the reviewed counts."
        )
    )


def unit_lines(c) -> list[str]:
    """Summary lines stating the unit of a span or sentence comparison (none for turn: its
    outputs stay as they were and speak of segments, i.e. turns)."""
    if c.unit == UNIT_SPAN:
        return span_notes(c.span)
    if c.unit == UNIT_SENTENCE:
        return [sentence_line(c.sentence or {})]
    return []


def unit_to_dict(c) -> dict[str, Any]:
    """The `unit` key of a span or sentence comparison's JSON."""
    from qualcode.agreement.compare import _plain

    out: dict[str, Any] = {"unit": c.unit, "definition": UNIT_DEFINITIONS[c.unit]}
    if c.unit == UNIT_SPAN:
        out["span"] = span_to_dict(c.span)
    elif c.sentence is not None:
        out["sentence"] = _plain(c.sentence)
    return out


def _figure(value: Any) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:.4g}"


SPAN_HEADERS = (
    "Code",
    "Label",
    "A units",
    "B units",
    "Both chars",
    "Only A",
    "Only B",
    "Neither",
    "uDo",
    "uDe",
    "uα",
    "Note",
)


def span_table(c) -> tuple[list[str], list[list[str]], list[str]]:
    """Headers, rows (text) and the pooled line of a span comparison, for every renderer."""
    s = c.span
    headers = list(SPAN_HEADERS)
    headers[2], headers[3] = f"{c.coder_a} units", f"{c.coder_b} units"
    rows = []
    for r in s.per_code.to_dict(orient="records"):
        alpha = r["u_alpha"]
        rows.append(
            [
                str(r["code_id"]),
                str(r["label"]),
                str(r["units_1"]),
                str(r["units_2"]),
                *(str(r[k]) for k in SPAN_COUNT_KEYS),
                _figure(r["observed"]),
                _figure(r["expected"]),
                "—" if alpha != alpha else f"{alpha:.3f}",
                str(r["reason"]),
            ]
        )
    return headers, rows, [pooled_line(s)]


def pooled_line(s: SpanAgreement) -> str:
    """The pooled uα across codes, with the per-code range and median."""
    p = s.pooled
    if p["u_alpha"] != p["u_alpha"]:
        return f"Pooled uα across codes: undefined ({p['reason']})"
    return (
        f"Pooled uα across codes (Krippendorff 2004: 1 - sum uDo / sum uDe): "
        f"{p['u_alpha']:.3f}; per code ({p['codes_defined']} defined): min "
        f"{p['min']:.3f}, median {p['median']:.3f}, max {p['max']:.3f}; "
        f"{p['codes_below_tentative']} below 0.667"
    )


def span_table_many(s: SpanAgreement) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the span table for any number of coders (units per coder)."""
    headers = ["code", "label", *(f"{c} units" for c in s.coders), "uDo", "uDe", "uα", "note"]
    rows = []
    for r in s.per_code.to_dict(orient="records"):
        alpha = r["u_alpha"]
        rows.append(
            [
                str(r["code_id"]),
                str(r["label"]),
                *(str(r[f"units_{k + 1}"]) for k in range(len(s.coders))),
                _figure(r["observed"]),
                _figure(r["expected"]),
                "—" if alpha != alpha else f"{alpha:.3f}",
                str(r["reason"]),
            ]
        )
    return headers, rows


def compare_many_by_unit(
    frames: list[pd.DataFrame],
    *,
    unit: str = UNIT_TURN,
    paths: list[str | Path | None] | None = None,
    codebook: Codebook | None = None,
    segments: pd.DataFrame | None = None,
    segments_path: str | Path | None = None,
    reviewed: str = "codings",
    include_facilitator: bool = False,
) -> tuple[Any, Any]:
    """`agreement.multi.compare_many` (3 or more coders) with the unit chosen; returns the
    comparison and, for span, the SpanAgreement (uα for m coders on the turns every coder
    reviewed) or, for sentence, the sentence counts (the comparison then counts sentences; a
    sentence of a turn a coder did not review is missing for that coder)."""
    from dataclasses import replace

    from qualcode.agreement.compare import OverlapError, _with_reviewed_rows
    from qualcode.agreement.multi import compare_many

    if unit not in UNITS:
        raise ContractError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")
    if unit != UNIT_TURN and segments is None:
        raise ContractError(f"--unit {unit} reads the turn texts from the segments file")
    paths = list(paths) if paths is not None else [None] * len(frames)
    m = compare_many(
        frames,
        paths=paths,
        codebook=codebook,
        segments=segments,
        segments_path=segments_path,
        reviewed=reviewed,
        include_facilitator=include_facilitator,
    )
    if unit == UNIT_TURN:
        return m, None
    sets = []
    for df in frames:
        d = df.assign(segment_id=df["segment_id"].astype(str).str.strip())
        if reviewed != "codings":
            d = _with_reviewed_rows(d, segments, reviewed, include_facilitator)
        sets.append(set(d["segment_id"]))
    order = segments["segment_id"].astype(str).drop_duplicates().tolist()
    if unit == UNIT_SPAN:
        units = [s for s in order if all(s in x for x in sets)]
        if not units:
            raise OverlapError(
                "no turn was reviewed by every coder: unitized alpha compares coders who all "
                "coded the same continuum",
                file=str(paths[-1]) if paths[-1] is not None else None,
            )
        span = span_agreement(
            frames,
            segments,
            units,
            list(m.per_code["code_id"]),
            coders=m.coders,
            paths=paths,
            codebook=codebook,
        )
        return replace(m, notes=[*span_notes(span), *m.notes]), span
    units = [s for s in order if sum(s in x for x in sets) >= 2]
    sent_frames, sent_segments = sentence_codings(
        frames, segments, units, paths=paths, reviewed=sets
    )
    for frame, name in zip(sent_frames, m.coders, strict=True):
        frame["coder"] = name
    by_sentence = compare_many(
        sent_frames,
        paths=paths,
        codebook=codebook,
        segments=sent_segments,
        include_facilitator=True,
    )
    info = {
        "sentences": len(sent_segments),
        "turns": len(units),
        "rule": SENTENCE_RULE,
        "id_format": f"<segment_id>{SENTENCE_ID_SEPARATOR}<n>",
    }
    # compare_many's notes speak of segments (turns); here its segments are sentences.
    notes = [
        sentence_line(info, turns_counted=False),
        "A code a coder did not apply to a sentence of a turn they reviewed is 'absent'; a "
        "sentence of a turn they did not review is missing for them.",
        *(
            n.replace("segment(s)", "sentence(s)")
            for n in by_sentence.notes
            if not n.startswith("Unit: segment")
        ),
    ]
    return replace(by_sentence, notes=notes), info
