"""Unknown code and segment ids in codings files made by hand: say what was probably meant.

Codings files are written by other tools and by people in Excel. When a code_id or segment_id is not
known, the error's hint names the row and the likely fix, and never fixes it silently:

- several codes in one cell (`RI1; RI2`, `RI1, RI2`, `RI1|RI2`): one row per (segment, code) is the
  contract, so the cell is not split (a label may hold a comma, and a split would hide a typo);
- a code's label instead of its id (`Same boat` for RI7, any case and spacing);
- a near-miss id (`ri7`, `RI 7`, `RI07`, `RI-7`): "did you mean RI7?";
- a segment id in another turn style (`group1-3`, `group1 3`, `group1:03`): the
  `<transcript_id>:<turn>` form, with the id the segments file has.

`check_code_ids` is the one check of a codings table against a codebook (compare, reconcile);
`unknown_code_hint` and `unknown_segment_hint` give the hint to any check that has its own message.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.model import Codebook

MAX_SUGGESTIONS = 3  # rows diagnosed in one hint
_IN_CELL = re.compile(r"\s*[;,|]\s*")
_ID_NOISE = re.compile(r"[\s\-_.]+")
_DIGITS = re.compile(r"\d+")
# `group1-3`, `group1 3`, `group1_3`, `group1/3`, `group1#3`, `group1:03` -> (group1, 3)
_TURN_STYLE = re.compile(r"^(.+?)\s*(?:[-_/.#:]|\s)\s*0*(\d+)$")


def first_cells(
    df: pd.DataFrame, mask: pd.Series, column: str, *, rows: str | None = None, limit: int = 50
) -> list[tuple[int, str]]:
    """(row as the user sees it, value) of the first row of each distinct value where `mask`.

    `rows` names a column holding each row's 0-based position in the file (for a filtered table).
    """
    from qualcode.io import row_number

    positions = mask.to_numpy().nonzero()[0]
    seen: dict[str, int] = {}
    values = df[column]
    for i in positions:
        value = str(values.iat[int(i)])
        if value not in seen:
            at = int(df[rows].iat[int(i)]) if rows is not None else int(i)
            seen[value] = row_number(df, at)
            if len(seen) >= limit:
                break
    return [(row, value) for value, row in seen.items()]


def show_ids(values: Sequence[str], limit: int) -> str:
    """Ids for a message: quoted when they hold a separator or space (`'RI1, RI2'`)."""
    shown = [repr(v) if not v or re.search(r"[\s,;|]", v) else v for v in values[:limit]]
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return ", ".join(shown) + more


def _id_key(text: str) -> str:
    """`RI 07`, `ri-7` and `RI7` alike: case, spaces, separators and leading zeros ignored."""
    flat = _ID_NOISE.sub("", text.casefold())
    return _DIGITS.sub(lambda m: str(int(m.group())), flat)


def _label_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def code_suggestion(value: str, codebook: Codebook) -> str | None:
    """What an unknown code cell probably means, as a clause after `row N` (None: no idea)."""
    codes = codebook.codes()
    ids = [c.id for c in codes]
    if value in ids:
        return None
    label_key = _label_key(value)
    by_label = [c.id for c in codes if c.label and _label_key(c.label) == label_key]
    if by_label:
        return f": {value!r} is the label of {' and '.join(by_label)}; use the id"
    parts = [p for p in _IN_CELL.split(value.strip()) if p]
    if len(parts) > 1:
        return f" has several codes in one cell ({value!r}): write one row per (segment, code)"
    key = _id_key(value)
    near = [i for i in ids if _id_key(i) == key]
    if not near:
        near = difflib.get_close_matches(value, ids, n=1, cutoff=0.8)
    if near:
        return f": {value!r} is not a code id; did you mean {' or '.join(near)}?"
    labels = {_label_key(c.label): c for c in codes if c.label}
    close = difflib.get_close_matches(label_key, list(labels), n=1, cutoff=0.85)
    if close:
        code = labels[close[0]]
        return f": {value!r} is not a code id; did you mean {code.id} ({code.label!r})?"
    return None


def unknown_code_hint(cells: Iterable[tuple[int, str]], codebook: Codebook) -> str | None:
    """A hint for unknown code cells, (row, value) in file order; None when none is recognised."""
    found = []
    for row, value in cells:
        clause = code_suggestion(value, codebook)
        if clause is not None:
            found.append(f"row {row}{clause}")
            if len(found) == MAX_SUGGESTIONS:
                break
    return "; ".join(found) or None


def segment_suggestion(value: str, known: Iterable[str]) -> str | None:
    """What an unknown segment id probably means, as a clause after `row N` (None: no idea)."""
    known = list(known)
    if not known:
        return None
    folded = {k.casefold(): k for k in reversed(known)}
    match = _TURN_STYLE.match(value.strip())
    if match:
        candidate = f"{match.group(1).strip()}:{int(match.group(2))}"
        meant = folded.get(candidate.casefold())
        if meant is not None and meant != value:
            return (
                f": {value!r} is {meant!r} in the segments file "
                "(segment ids are <transcript_id>:<turn>)"
            )
    if ":" not in value:
        return (
            f": {value!r} is not a segment id; segment ids are <transcript_id>:<turn>, "
            f"like {known[0]!r}"
        )
    transcript = value.rpartition(":")[0]
    transcripts = list(dict.fromkeys(k.rpartition(":")[0] for k in known))
    if transcript not in transcripts:
        same = [t for t in transcripts if t.casefold() == transcript.casefold()]
        if same:
            return f": transcript {transcript!r} is {same[0]!r} in the segments file"
        shown = ", ".join(transcripts[:8]) + (", ..." if len(transcripts) > 8 else "")
        return f": no transcript {transcript!r} in the segments file (it has {shown})"
    return None


def unknown_segment_hint(cells: Iterable[tuple[int, str]], known: Iterable[str]) -> str | None:
    """A hint for unknown segment ids, (row, value) in file order; None when none is recognised."""
    known = list(known)
    found = []
    for row, value in cells:
        clause = segment_suggestion(value, known)
        if clause is not None:
            found.append(f"row {row}{clause}")
            if len(found) == MAX_SUGGESTIONS:
                break
    return "; ".join(found) or None


def check_code_ids(
    df: pd.DataFrame,
    codebook: Codebook,
    path: str | Path | None,
    *,
    error: type[ContractError] = ContractError,
) -> None:
    """Raise `error` if codings use code ids the codebook does not define: every such id, the
    first row, and a hint naming what was probably meant (or: fix the typo or the codebook)."""
    from qualcode.io import row_location

    codes = df["code_id"]
    unknown = (codes != "") & ~codes.isin(codebook.code_ids())
    if not unknown.any():
        return
    cells = first_cells(df, unknown, "code_id")
    bad = list(dict.fromkeys(codes[unknown].tolist()))
    i = int(unknown.to_numpy().nonzero()[0][0])
    source = f" ({codebook.source})" if codebook.source else ""
    raise error(
        f"code ids not in the codebook: {show_ids(bad, 20)}",
        **row_location(df, path, i, "code_id"),
        hint=unknown_code_hint(cells, codebook)
        or f"fix the typo, or add the code to the codebook{source}",
    )
