"""Excerpts: the part of a turn a coding covers (issue 16.1, "Counts, quotes and REFI export use the
span where there is one").

A coding's `start_char`/`end_char` (0-based code points of the turn's text, end exclusive; both
empty = the whole turn) is its excerpt, with one exception: an auto-coding (origin `auto`) decides
that its code applies to the *turn*; its span records where the first keyword or pattern matched
(`qualcode.coding.autocode`), a location, not an excerpt a coder chose. So the excerpt of an
auto-coding is the whole turn: quoting one keyword would not exemplify anything, and counting it
would not be the unit the auto-coder decided on. The match stays in the file, as written.

One coder may mark several excerpts of one turn with one code (two rows, same segment_id and
code_id, different spans), as in NVivo, ATLAS.ti and MAXQDA. The excerpts of one (segment, code)
that share a character are one excerpt (their union), as NVivo merges coverage at a node; excerpts
that only touch (one ends where the next begins) stay two, as units do in Krippendorff's (1995)
unitizing and in `compare --unit span`. A whole-turn row covers the turn, and the other rows of
that (segment, code) add nothing to it.

Pure functions: no printing; problems are `ContractError`s naming the codings file and row.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError
from qualcode.io import row_location

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ORIGIN_AUTO = "auto"
ELLIPSIS = "\u2026"  # marks where an excerpt cuts its turn
EXCERPT_COLUMNS: tuple[str, ...] = ("segment_id", "code_id", "start_char", "end_char", "whole")
EXCERPT_RULE = (
    "A coding with start_char/end_char covers that excerpt of its turn; without them, the whole "
    "turn. An auto-coding's span marks where its keyword matched, so its excerpt is the whole turn. "
    "Excerpts of one code in one turn that share text count as one."
)


def turn_unit_note(report: str) -> str:
    """The sentence a count report adds when its codings mark excerpts: which unit it counts."""
    return (
        f"These codings mark excerpts within turns (start_char/end_char); {report} counts coded "
        "turns (segments), participants and transcripts, not excerpts: a turn coded with a code "
        "counts once, however many excerpts of it are marked."
    )


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of half-open ranges; ranges that share a character become one (ranges that
    only touch stay apart, as `compare --unit span` counts units)."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if out and s < out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two half-open ranges share a character."""
    return a[0] < b[1] and b[0] < a[1]


def excerpt_text(text: str, start: int, end: int) -> str:
    """The excerpt `text[start:end]`, trimmed of surrounding white space, with an ellipsis where it
    cuts the turn (before it when text precedes it, after it when text follows). A whole turn is
    returned verbatim."""
    if start <= 0 and end >= len(text):
        return text
    part = text[start:end].strip()
    before = ELLIPSIS + " " if text[:start].strip() else ""
    after = " " + ELLIPSIS if text[end:].strip() else ""
    return f"{before}{part}{after}"


def row_span(
    start: str, end: str, origin: str, text_len: int, *, segment_id: str = ""
) -> tuple[int, int] | str:
    """The excerpt (start, end) of one coding row, or a message saying why its span is invalid.

    Empty start and end, or origin `auto`: the whole turn (0, text_len)."""
    start, end = str(start).strip(), str(end).strip()
    if (not start and not end) or origin.strip() == ORIGIN_AUTO:
        return 0, text_len
    if not start or not end:
        return "start_char and end_char must both be given or both be empty"
    s, e = int(start), int(end)
    if not 0 <= s < e <= text_len:
        return (
            f"span {s}..{e} does not fit in segment {segment_id!r} "
            f"({text_len} characters; end is exclusive)"
        )
    return s, e


def coding_excerpts(
    codings: pd.DataFrame,
    texts: dict[str, str],
    *,
    codings_path: str | Path | None = None,
    rows: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per excerpt (EXCERPT_COLUMNS) of the coded rows of `codings` (code_id not empty),
    (segment, code) pairs in first-seen order, each pair's excerpts merged by `merge_ranges`.
    `texts` maps segment_id -> turn text (rows of other segments are skipped: the caller reports
    them); `rows` holds each coding's 0-based row of the file, for messages (default: its
    position). A span that does not fit its turn, or only one of start/end, raises ContractError
    with the file and row."""
    import pandas as pd

    coded = codings[(codings["code_id"] != "") & codings["segment_id"].isin(texts.keys())]
    if rows is None:
        rows = pd.Series(range(len(codings)), index=codings.index)
    start = coded["start_char"].fillna("").astype(str).str.strip()
    end = coded["end_char"].fillna("").astype(str).str.strip()
    origin = (
        coded["origin"].fillna("").astype(str).str.strip()
        if "origin" in coded.columns
        else pd.Series("", index=coded.index)
    )
    spanned = ((start != "") | (end != "")) & (origin != ORIGIN_AUTO)
    pairs = coded[["segment_id", "code_id"]].drop_duplicates()
    length = pairs["segment_id"].map(lambda s: len(texts[s]))
    # Rows with a span (checked, then merged per pair); pairs with a whole-turn row are the turn.
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for i, seg, code, s, e in zip(
        coded.index[spanned.to_numpy()],
        coded.loc[spanned, "segment_id"],
        coded.loc[spanned, "code_id"],
        start[spanned],
        end[spanned],
        strict=True,
    ):
        span = row_span(s, e, "", len(texts[seg]), segment_id=seg)
        if isinstance(span, str):
            column = "end_char" if s else "start_char"
            raise ContractError(span, **row_location(codings, codings_path, int(rows[i]), column))
        ranges.setdefault((seg, code), []).append(span)
    # Vectorised for whole turns (nearly every row of most studies); a loop over excerpts only.
    pair_index = pd.MultiIndex.from_frame(pairs)
    whole_rows = pd.MultiIndex.from_frame(coded.loc[~spanned, ["segment_id", "code_id"]])
    is_whole = pair_index.isin(whole_rows) | ~pair_index.isin(list(ranges))
    frames = []
    if is_whole.any():
        frames.append(
            pairs[is_whole].assign(
                start_char=0, end_char=length[is_whole], whole=True, _pair=pairs.index[is_whole]
            )
        )
    cut = [
        (seg, code, s, e, s == 0 and e == n, i)
        for i, seg, code, n in zip(
            pairs.index[~is_whole],
            pairs.loc[~is_whole, "segment_id"],
            pairs.loc[~is_whole, "code_id"],
            length[~is_whole],
            strict=True,
        )
        for s, e in merge_ranges(ranges[(seg, code)])
    ]
    if cut:
        frames.append(pd.DataFrame(cut, columns=[*EXCERPT_COLUMNS, "_pair"]))
    if not frames:
        return pd.DataFrame(
            {
                "segment_id": pd.Series([], dtype=str),
                "code_id": pd.Series([], dtype=str),
                "start_char": pd.Series([], dtype="int64"),
                "end_char": pd.Series([], dtype="int64"),
                "whole": pd.Series([], dtype="bool"),
            }
        )
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    out = out.sort_values(["_pair", "start_char"], kind="stable")
    return (
        out[list(EXCERPT_COLUMNS)]
        .reset_index(drop=True)
        .astype({"start_char": "int64", "end_char": "int64", "whole": "bool"})
    )


def union_excerpt_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The union of the excerpts in `rows` (codings columns; coded rows of one or more coders),
    one row per (segment, code) excerpt: `segment_id, code_id, start_char, end_char` as text,
    cells in first-seen order. A cell with a whole-turn row (no span, or an auto-coding, whose
    span is a keyword position) is the whole turn (empty start/end); the spans of a cell that
    share a character become one. Spans are taken as given (checked against the turn where the
    text is known: `coding_excerpts`)."""
    import pandas as pd

    start = rows["start_char"].fillna("").astype(str).str.strip()
    end = rows["end_char"].fillna("").astype(str).str.strip()
    origin = rows["origin"].fillna("").astype(str).str.strip() if "origin" in rows else ""
    spanned = (start != "") & (end != "") & (origin != ORIGIN_AUTO)
    cells: dict[tuple[str, str], list[tuple[int, int]] | None] = {}
    for seg, code, has, s, e in zip(
        rows["segment_id"], rows["code_id"], spanned, start, end, strict=True
    ):
        key = (seg, code)
        if not has:
            cells[key] = None  # the whole turn
        elif key not in cells:
            cells[key] = [(int(s), int(e))]
        elif cells[key] is not None:
            cells[key].append((int(s), int(e)))  # type: ignore[union-attr]
    out = []
    for (seg, code), spans in cells.items():
        if spans is None:
            out.append((seg, code, "", ""))
        else:
            out.extend((seg, code, str(s), str(e)) for s, e in merge_ranges(spans))
    return pd.DataFrame(out, columns=["segment_id", "code_id", "start_char", "end_char"])
