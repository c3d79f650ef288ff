"""Code suggestions: every turn ranked against a prototype of each code (cosine similarity).

A code's prototype (its centroid) is built from unit embeddings:
- its description: the label, definition, include text and each codebook example, one vector each,
  averaged (the exclude text is left out: it says what the code is not);
- with example codings (turns a human coded with it), the average of those turns' vectors too; the
  prototype is then the normalised sum of the two normalised averages, so the human examples weigh
  as much as the codebook's words however many there are.
A turn that is itself one of a code's examples is scored against that code's prototype built
without it (leave-one-out), so suggesting on the very turns a coder coded is no self-fulfilling test.

Scores are cosines in [-1, 1]; for this model unrelated text scores about 0-0.2 and paraphrases
0.6 and up. Suggestions are for a coder to review, never a replacement for one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError
from qualcode.model import ROLE_FACILITATOR

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from qualcode.model import Codebook
    from qualcode.semantic.embed import Embedded, Embedder

SUGGESTION_COLUMNS: tuple[str, ...] = ("segment_id", "code_id", "rank", "score")
ORIGIN = "suggest"
DEFAULT_MIN_SCORE = 0.35
CALIBRATION_THRESHOLDS: tuple[float, ...] = tuple(round(0.20 + 0.05 * i, 2) for i in range(11))


@dataclass
class Suggestions:
    """What `suggest_codes` found: the ranked table and what a report needs to describe it."""

    table: pd.DataFrame  # SUGGESTION_COLUMNS, segments in input order, rank 1 first
    segment_ids: list[str]  # the turns scored, in order
    code_ids: list[str]
    scores: np.ndarray  # [turns, codes] cosine similarities
    embedded: Embedded
    examples_used: int = 0  # example turns that went into prototypes
    codes_with_examples: int = 0
    warnings: list[str] = field(default_factory=list)

    def top_codes(self) -> np.ndarray:
        """Index of the best code per turn (ties broken by codebook order)."""
        import numpy as np

        return np.argmax(self.scores, axis=1) if self.scores.size else np.zeros(0, dtype=int)


def _description_pieces(codebook: Codebook) -> list[tuple[str, list[str]]]:
    """(code id, its texts) for every code; a code with nothing but a label is an error."""
    out = []
    bare = []
    for code in codebook.codes():
        pieces = [code.label, code.definition, code.include, *code.examples]
        pieces = [" ".join(p.split()) for p in pieces if p and p.strip()]
        if not (code.definition.strip() or code.include.strip() or code.examples):
            bare.append(code)
        out.append((code.id, pieces))
    return out, bare


def check_codes_described(codebook: Codebook, has_examples: set[str]) -> None:
    """Every code needs a definition, include text or examples (or human-coded example turns):
    a label of a few words is too little to compare a turn with."""
    _, bare = _description_pieces(codebook)
    bare = [c for c in bare if c.id not in has_examples]
    if not codebook.codes():
        raise QualcodeError("the codebook has no codes to suggest", file=codebook.source)
    if bare:
        first = bare[0]
        others = (
            f" (and {len(bare) - 1} more: {', '.join(c.id for c in bare[1:6])})"
            if len(bare) > 1
            else ""
        )
        raise QualcodeError(
            f"code {first.id} has no definition, include text or examples to compare turns "
            f"with{others}",
            file=codebook.source,
            line=first.line,
            hint="write a one-sentence definition for each code, or give coded example turns",
        )


def _unit(matrix: np.ndarray) -> np.ndarray:
    import numpy as np

    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def scored_segments(segments: pd.DataFrame, include_facilitator: bool) -> pd.DataFrame:
    """The turns suggestions are made for: every turn but the facilitator's (unless included)."""
    if include_facilitator:
        return segments
    return segments[segments["role"].astype(str) != ROLE_FACILITATOR]


def _example_rows(
    examples: pd.DataFrame,
    examples_path: str | Path | None,
    codebook: Codebook,
    text_of: dict[str, str],
) -> tuple[list[tuple[str, str]], list[str]]:
    """(segment_id, code_id) pairs usable as examples, and warnings about the rest."""
    from qualcode.io import row_location

    known = set(codebook.code_ids())
    pairs: list[tuple[str, str]] = []
    missing = 0
    seen: set[tuple[str, str]] = set()
    for i, (sid, cid) in enumerate(
        zip(examples["segment_id"].astype(str), examples["code_id"].astype(str), strict=True)
    ):
        sid, cid = sid.strip(), cid.strip()
        if not cid:
            continue
        if cid not in known:
            raise QualcodeError(
                f"code {cid!r} is not in the codebook",
                **row_location(examples, examples_path, i, "code_id"),
                hint="the example codings must use the codebook's code ids",
            )
        if sid not in text_of:
            missing += 1
            continue
        if (sid, cid) not in seen:
            seen.add((sid, cid))
            pairs.append((sid, cid))
    warnings = []
    if missing:
        warnings.append(
            f"{examples_path or 'the examples'}: {missing} coded row(s) name segments that are "
            "not among the turns given: not used as examples"
        )
    return pairs, warnings


def suggest_codes(
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    examples: pd.DataFrame | None = None,
    examples_path: str | Path | None = None,
    top: int = 3,
    include_facilitator: bool = False,
    cache_root: Path | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    embedder: Embedder | None = None,
) -> Suggestions:
    """Rank the codebook's codes for every turn (see the module doc); `top` rows per turn.

    `examples` are codings (the codings contract) whose coded turns, found among `segments`, join
    their codes' prototypes. Raises `QualcodeError` for a code without any description.
    """
    import numpy as np
    import pandas as pd

    from qualcode.semantic.embed import embed_texts

    if top < 1:
        raise QualcodeError("top must be at least 1")
    all_text = dict(
        zip(segments["segment_id"].astype(str), segments["text"].astype(str), strict=True)
    )
    pairs, warnings = (
        _example_rows(examples, examples_path, codebook, all_text)
        if examples is not None
        else ([], [])
    )
    check_codes_described(codebook, {cid for _, cid in pairs})
    turns = scored_segments(segments, include_facilitator)
    if turns.empty:
        raise QualcodeError(
            f"no participant turns to suggest codes for: all {len(segments)} turns are the "
            "facilitator's (excluded unless facilitator turns are included)"
            if len(segments)
            else "no turns to suggest codes for"
        )
    segment_ids = turns["segment_id"].astype(str).tolist()
    code_ids = codebook.code_ids()
    described, _ = _description_pieces(codebook)
    piece_texts = [p for _, pieces in described for p in pieces]
    example_ids = sorted({sid for sid, _ in pairs} - set(segment_ids))
    texts = [all_text[s] for s in segment_ids] + [all_text[s] for s in example_ids] + piece_texts
    embedded = embed_texts(
        texts, cache_root=cache_root, progress=progress, on_start=on_start, embedder=embedder
    )
    vectors = embedded.vectors
    n_turns = len(segment_ids)
    turn_vectors = vectors[:n_turns]
    row_of = {sid: i for i, sid in enumerate(segment_ids)}
    row_of.update({sid: n_turns + i for i, sid in enumerate(example_ids)})
    piece_vectors = vectors[n_turns + len(example_ids) :]

    description = np.zeros((len(code_ids), vectors.shape[1]), dtype=np.float64)
    start = 0
    for c, (_, pieces) in enumerate(described):
        if pieces:
            description[c] = piece_vectors[start : start + len(pieces)].mean(axis=0)
        start += len(pieces)
    description = _unit(description)
    code_index = {cid: c for c, cid in enumerate(code_ids)}
    example_sum = np.zeros_like(description)
    example_n = np.zeros(len(code_ids), dtype=np.int64)
    for sid, cid in pairs:
        example_sum[code_index[cid]] += vectors[row_of[sid]]
        example_n[code_index[cid]] += 1

    def prototype(desc: np.ndarray, ex_sum: np.ndarray, n: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            ex = _unit(ex_sum / np.maximum(n, 1)[..., None])
        has = (n > 0)[..., None]
        has_desc = np.linalg.norm(desc, axis=-1, keepdims=True) > 0
        return _unit(np.where(has, ex, 0.0) + np.where(has_desc, desc, 0.0))

    prototypes = prototype(description, example_sum, example_n)
    scores = turn_vectors.astype(np.float64) @ prototypes.T
    # Leave-one-out: a turn that is an example of a code is scored without itself.
    for sid, cid in pairs:
        r = row_of[sid]
        if r >= n_turns:
            continue
        c = code_index[cid]
        own = prototype(description[c], example_sum[c] - vectors[r], np.array(example_n[c] - 1))
        scores[r, c] = float(turn_vectors[r].astype(np.float64) @ own)
    scores = scores.astype(np.float32)

    k = min(top, len(code_ids))
    # Stable: equal scores keep codebook order.
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    table = pd.DataFrame(
        {
            "segment_id": np.repeat(np.asarray(segment_ids, dtype=object), k),
            "code_id": np.asarray(code_ids, dtype=object)[order].reshape(-1),
            "rank": np.tile(np.arange(1, k + 1), n_turns),
            "score": np.round(np.take_along_axis(scores, order, axis=1).reshape(-1), 4),
        },
        columns=list(SUGGESTION_COLUMNS),
    )
    return Suggestions(
        table=table,
        segment_ids=segment_ids,
        code_ids=code_ids,
        scores=scores,
        embedded=embedded,
        examples_used=len({sid for sid, _ in pairs}),
        codes_with_examples=int((example_n > 0).sum()),
        warnings=warnings,
    )


def as_codings(suggestions: Suggestions, coder: str, min_score: float) -> pd.DataFrame:
    """A codings file (the codings contract): every scored turn listed; its top code kept when its
    score is at least `min_score`, else an empty code_id (reviewed, no code)."""
    import numpy as np
    import pandas as pd

    best = suggestions.top_codes()
    n = len(suggestions.segment_ids)
    best_score = suggestions.scores[np.arange(n), best] if n else np.zeros(0)
    keep = best_score >= min_score
    codes = np.where(keep, np.asarray(suggestions.code_ids, dtype=object)[best], "")
    memo = np.where(keep, [f"score {s:.3f}" for s in best_score], "")
    return pd.DataFrame(
        {
            "segment_id": suggestions.segment_ids,
            "code_id": codes,
            "coder": coder,
            "origin": ORIGIN,
            "memo": memo,
            "start_char": "",
            "end_char": "",
        }
    )


def summary_table(suggestions: Suggestions, codebook: Codebook, min_score: float) -> pd.DataFrame:
    """Per code: turns where it ranks first, of them how many pass `min_score`, median score."""
    import numpy as np
    import pandas as pd

    best = suggestions.top_codes()
    n = len(suggestions.segment_ids)
    best_score = suggestions.scores[np.arange(n), best] if n else np.zeros(0)
    rows = []
    for c, cid in enumerate(suggestions.code_ids):
        mine = best == c
        rows.append(
            {
                "code_id": cid,
                "label": codebook.code(cid).label,
                "top1": int(mine.sum()),
                "passing": int((mine & (best_score >= min_score)).sum()),
                "median_score": float(np.median(best_score[mine])) if mine.any() else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def calibrate(
    suggestions: Suggestions,
    human: pd.DataFrame,
    *,
    human_path: str | Path | None = None,
    thresholds: Sequence[float] = CALIBRATION_THRESHOLDS,
) -> pd.DataFrame:
    """Agreement of the suggester (top-1 kept at each threshold) with a human coder.

    Units are the scored turns the human reviewed; per code the 2x2 table, Cohen's kappa (Cohen
    1960) and Krippendorff's alpha from qualcode's own statistics; then, per threshold: turns coded,
    top-1 hits among the human's coded turns, pooled kappa over all codes x turns, and the median
    kappa over the codes either side applied (O'Connor & Joffe 2020 warn against the pooled figure
    alone).
    """
    import numpy as np
    import pandas as pd

    from qualcode.agreement.stats import binary_agreement, binary_counts

    reviewed = set(human["segment_id"].astype(str).str.strip())
    rows = [i for i, sid in enumerate(suggestions.segment_ids) if sid in reviewed]
    if not rows:
        raise QualcodeError(
            "none of the turns suggested on were reviewed in this codings file", file=human_path
        )
    ids = [suggestions.segment_ids[i] for i in rows]
    code_index = {cid: c for c, cid in enumerate(suggestions.code_ids)}
    unit_index = {sid: u for u, sid in enumerate(ids)}
    a = np.zeros((len(ids), len(code_index)), dtype=bool)
    for i, (sid, cid) in enumerate(
        zip(
            human["segment_id"].astype(str).str.strip(),
            human["code_id"].astype(str).str.strip(),
            strict=True,
        )
    ):
        if cid and cid not in code_index:
            from qualcode.io import row_location

            raise QualcodeError(
                f"code {cid!r} is not in the codebook",
                **row_location(human, human_path, i, "code_id"),
                hint="calibrate against codings made with the same codebook",
            )
        if sid in unit_index and cid:
            a[unit_index[sid], code_index[cid]] = True
    scores = suggestions.scores[rows]
    best = np.argmax(scores, axis=1)
    best_score = scores[np.arange(len(rows)), best]
    coded = a.any(axis=1)
    hit = a[np.arange(len(rows)), best]
    out = []
    for t in thresholds:
        b = np.zeros_like(a)
        keep = best_score >= t
        b[np.nonzero(keep)[0], best[keep]] = True
        both, only_a, only_b, neither = binary_counts(a, b)
        per_code = binary_agreement(both, only_a, only_b, neither)
        pooled = binary_agreement(
            np.array([both.sum()]),
            np.array([only_a.sum()]),
            np.array([only_b.sum()]),
            np.array([neither.sum()]),
        )
        used = (both + only_a + only_b) > 0
        kappas = np.asarray(per_code["cohen_kappa"], dtype=float)[used]
        kappas = kappas[~np.isnan(kappas)]
        out.append(
            {
                "threshold": float(t),
                "turns": len(rows),
                "coded_by_suggester": int(keep.sum()),
                "coded_by_human": int(coded.sum()),
                "top1_hits": int((hit & keep).sum()),
                "precision": float((hit & keep).sum() / keep.sum()) if keep.any() else float("nan"),
                "recall": float((hit & keep).sum() / coded.sum()) if coded.any() else float("nan"),
                "pooled_kappa": float(np.asarray(pooled["cohen_kappa"], dtype=float)[0]),
                "median_code_kappa": float(np.median(kappas)) if kappas.size else float("nan"),
            }
        )
    return pd.DataFrame(out)


def top_k_accuracy(suggestions: Suggestions, labels: dict[str, set[str]], k: int) -> float:
    """Share of labelled turns with one of their codes among the top `k` suggestions."""
    import numpy as np

    order = np.argsort(-suggestions.scores, axis=1, kind="stable")[:, :k]
    hits = total = 0
    for i, sid in enumerate(suggestions.segment_ids):
        wanted = labels.get(sid)
        if not wanted:
            continue
        total += 1
        hits += any(suggestions.code_ids[c] in wanted for c in order[i])
    return hits / total if total else float("nan")
