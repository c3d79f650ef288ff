"""Carry codings over to the turns of a re-ingested transcript (`qualcode recode-map`).

Segment ids are `<transcript>:<turn>`: an edit above a turn (two cues added at the top of a .vtt)
renumbers every later turn, so codings must be moved to the turns now holding their text. Decided
once, per transcript:

1. Exact text: the old and new turn sequences (as text hashes, `qualcode.provenance.text_hash`)
   are aligned with difflib's SequenceMatcher (Ratcliff & Obershelp's longest matching blocks, in
   order), so repeated short turns ("Yeah.") go to the copy in the same place, not the first one.
2. Similar text: a coded turn left over (its text was corrected) goes to the unmatched new turn of
   the same transcript whose text is most similar by `difflib.SequenceMatcher.ratio()`
   (2 * matching characters / total characters), if that is at least `threshold` (default 0.8:
   a corrected typo or a few words scores above 0.9; a different turn of similar length about
   0.3-0.6). Ties go to the nearest turn.
3. Everything else is not placed and is returned with the reason: nothing is dropped silently.
   A sub-turn span (start_char/end_char) in a turn placed by similarity moves to where its words
   are in the new text when they occur there exactly once; otherwise it is not placed (its old
   offsets would select other words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.provenance import TEXT_HASH, check_text, stamp, text_hash

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SIMILARITY_THRESHOLD = 0.8
EXACT = "exact"
SIMILAR = "similar"


@dataclass(frozen=True)
class Placement:
    """Where one old turn went: `new` (None: not placed), how, the similarity, or why not."""

    old: str
    new: str | None
    how: str = ""
    score: float | None = None
    reason: str = ""


@dataclass
class RecodeResult:
    codings: pd.DataFrame  # the placed rows, on the new segment ids, with the new text hashes
    unplaced: pd.DataFrame  # rows not placed: the original row + row, reason, best_match, score
    placements: dict[str, Placement] = field(default_factory=dict)

    def turns(self, how: str) -> int:
        return sum(p.how == how for p in self.placements.values())

    def lowest_similarity(self) -> float | None:
        scores = [p.score for p in self.placements.values() if p.how == SIMILAR and p.score]
        return min(scores) if scores else None


def _turn_order(segments: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """transcript -> [(segment_id, text)] in turn order."""
    frame = segments.sort_values(["transcript_id", "turn"], kind="stable")
    out: dict[str, list[tuple[str, str]]] = {}
    for sid, tid, text in frame[["segment_id", "transcript_id", "text"]].itertuples(
        index=False, name=None
    ):
        out.setdefault(str(tid), []).append((str(sid), str(text)))
    return out


def place_turns(
    wanted: list[str],
    old_segments: pd.DataFrame,
    new_segments: pd.DataFrame,
    *,
    threshold: float = SIMILARITY_THRESHOLD,
) -> dict[str, Placement]:
    """Where each old segment of `wanted` is among the new segments (module docstring)."""
    from difflib import SequenceMatcher

    old_turns = _turn_order(old_segments)
    new_turns = _turn_order(new_segments)
    transcript_of = dict(
        zip(old_segments["segment_id"], old_segments["transcript_id"].astype(str), strict=True)
    )
    out: dict[str, Placement] = {}
    by_transcript: dict[str, set[str]] = {}
    for sid in wanted:
        tid = transcript_of.get(sid)
        if tid is None:
            out[sid] = Placement(sid, None, reason="not in the old segments")
        else:
            by_transcript.setdefault(tid, set()).add(sid)
    for tid, sids in by_transcript.items():
        old = old_turns[tid]
        new = new_turns.get(tid)
        if not new:
            for sid in sids:
                out[sid] = Placement(
                    sid, None, reason=f"transcript {tid} is not in the new segments"
                )
            continue
        old_h = [text_hash(t) for _, t in old]
        new_h = [text_hash(t) for _, t in new]
        used: set[int] = set()
        matcher = SequenceMatcher(None, old_h, new_h, autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                i, j = block.a + k, block.b + k
                used.add(j)
                if old[i][0] in sids:
                    out[old[i][0]] = Placement(old[i][0], new[j][0], EXACT, 1.0)
        for i, (sid, text) in enumerate(old):
            if sid not in sids or sid in out:
                continue
            best: tuple[float, int, int] | None = None  # (score, -distance, j)
            for j, (_nid, new_text) in enumerate(new):
                if j in used:
                    continue
                similar = SequenceMatcher(None, text, new_text, autojunk=False)
                if similar.real_quick_ratio() < threshold or similar.quick_ratio() < threshold:
                    continue
                score = similar.ratio()
                key = (score, -abs(j - i), j)
                if best is None or key > best:
                    best = key
            if best is not None and best[0] >= threshold:
                used.add(best[2])
                out[sid] = Placement(sid, new[best[2]][0], SIMILAR, round(best[0], 3))
            else:
                out[sid] = Placement(
                    sid,
                    None,
                    reason=f"no turn of {tid} in the new segments has this text or one at "
                    f"least {threshold:.0%} similar",
                )
    return out


def recode_map(
    codings: pd.DataFrame,
    old_segments: pd.DataFrame,
    new_segments: pd.DataFrame,
    *,
    threshold: float = SIMILARITY_THRESHOLD,
    codings_file: str | Path | None = None,
    old_segments_file: str | Path | None = None,
) -> RecodeResult:
    """Move `codings` (made on `old_segments`) to the turns of `new_segments` that hold their text.

    The codings' recorded text hashes must match `old_segments` (else they were made on other
    segments: TextChangedError)."""

    check_text(codings, old_segments, codings_file=codings_file, segments_file=old_segments_file)
    wanted = list(dict.fromkeys(codings["segment_id"]))
    placements = place_turns(wanted, old_segments, new_segments, threshold=threshold)
    new_id = codings["segment_id"].map({s: p.new for s, p in placements.items()})
    has_span = (codings["start_char"].astype(str).str.strip() != "") | (
        codings["end_char"].astype(str).str.strip() != ""
    )
    similar = codings["segment_id"].map({s: p.how == SIMILAR for s, p in placements.items()})
    spans = _moved_spans(codings, has_span & similar.fillna(False).astype(bool), placements,
                         old_segments, new_segments)  # fmt: skip
    placed = new_id.notna() & ~(has_span & similar.fillna(False).astype(bool) & spans.isna())
    moved = codings[placed].copy()
    moved["segment_id"] = new_id[placed]
    shift = spans[placed].dropna()
    if len(shift):
        moved.loc[shift.index, "start_char"] = [str(a) for a, _ in shift]
        moved.loc[shift.index, "end_char"] = [str(b) for _, b in shift]
    if TEXT_HASH in moved.columns:
        moved[TEXT_HASH] = ""
    moved = stamp(moved, new_segments)
    left = codings[~placed].copy()
    left.insert(0, "row", [int(i) + 2 for i in left.index])  # 1-based line, header = 1
    reasons, best = [], []
    for sid, span in zip(left["segment_id"], has_span[~placed], strict=True):
        p = placements[sid]
        if p.new is not None and span:
            reasons.append(
                f"a span inside a turn whose text changed (placed on {p.new} by similarity "
                f"{p.score:.2f}), and its words are not found once in the new text"
            )
            best.append(f"{p.new} ({p.score:.2f})")
        else:
            reasons.append(p.reason)
            best.append("")
    left["reason"] = reasons
    left["best_match"] = best
    return RecodeResult(moved.reset_index(drop=True), left.reset_index(drop=True), placements)


def _moved_spans(codings, which, placements, old_segments, new_segments):
    """(start, end) in the new text of each span in `which` rows, where its old words occur
    exactly once in the new turn; None elsewhere."""
    import pandas as pd

    out = pd.Series([None] * len(codings), index=codings.index, dtype=object)
    if not which.any():
        return out
    old_text = dict(zip(old_segments["segment_id"], old_segments["text"].astype(str), strict=True))
    new_text = dict(zip(new_segments["segment_id"], new_segments["text"].astype(str), strict=True))
    rows = codings.loc[which, ["segment_id", "start_char", "end_char"]]
    for i, (sid, start, end) in zip(
        rows.index, rows.itertuples(index=False, name=None), strict=True
    ):
        try:
            a, b = int(start), int(end)
        except ValueError:
            continue
        words = old_text.get(sid, "")[a:b]
        target = new_text.get(placements[sid].new or "", "")
        if words and target.count(words) == 1:
            at = target.index(words)
            out[i] = (at, at + len(words))
    return out
