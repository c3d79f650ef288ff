"""Auto-coding: apply the codebook's `keywords` and `patterns` to speaker turns.

Keywords: case-insensitive whole words or phrases, matched in one pass over the corpus with an
Aho-Corasick automaton (pyahocorasick) holding every keyword of every code, then a Unicode-aware
word-boundary check (a letter, digit, combining mark or `_` just outside the match means "not a whole
word"). Overlapping keywords of different codes all hit ("red" and "red apple"). Text and keywords
are normalised the same way: casefold, curly quotes and apostrophes made straight, every whitespace
character (NBSP, tabs, new lines) a space, and runs of whitespace one space; positions are mapped back
to the original text, also where casefolding changes the length ("ß" -> "ss").

Patterns: regular expressions run with the `regex` module (IGNORECASE | UNICODE) on each turn's text
with curly quotes made straight and NBSP made a space (length-preserving, so offsets are the original
ones), each call under `pattern_timeout` seconds. A pattern that times out stops the run with a
`CodebookError` naming the code, pattern and codebook line: a partly applied code would make silently
wrong counts, and a pattern that backtracks catastrophically on one turn will do it again.

Output: one row per (segment, code) that hit, with the span of the FIRST match in the turn (earliest
start; on a tie the longest) as `start_char`/`end_char`, 0-based code points of the original text,
end exclusive; plus one row with an empty `code_id` for each reviewed segment that got no code.
Reviewed segments are all turns except facilitator turns (unless `include_facilitator`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from qualcode.errors import CodebookError
from qualcode.model import CODING_COLUMNS, ROLE_FACILITATOR, ROLE_PARTICIPANT, Codebook

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

ORIGIN_AUTO = "auto"
SEPARATOR = "\x00"  # between turns in the joined corpus: never a word character, never in a keyword
CHUNK_SEGMENTS = 20_000

_QUOTES = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark (the usual curly apostrophe)
    "\u201a": "'",  # single low-9 quotation mark
    "\u201b": "'",  # single high-reversed-9 quotation mark
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
}
# Length-preserving: every whitespace character -> " ", curly quotes -> straight. The separator
# (NUL) is left alone so that no keyword or phrase can match across two turns.
_MATCH_TABLE = str.maketrans(
    {
        **_QUOTES,
        **{chr(c): " " for c in range(0x3001) if chr(c).isspace()},
    }
)
# For patterns: only quotes and no-break spaces, so `\n` and `\s` keep their meaning.
_PATTERN_TABLE = str.maketrans({**_QUOTES, "\u00a0": " ", "\u202f": " "})
_SPACE_RUNS = re.compile(" {2,}")


@lru_cache(maxsize=1)
def _expanding_chars() -> re.Pattern[str]:
    """Characters whose casefold is longer than one code point (all in the BMP, e.g. ß, İ, ﬁ)."""
    chars = [chr(c) for c in range(0x10000) if len(chr(c).casefold()) > 1]
    return re.compile("[" + "".join(re.escape(c) for c in chars) + "]")


def _is_word_char(ch: str) -> bool:
    """Letters, digits, combining marks and `_`: a keyword next to one of these is not a whole word."""
    import unicodedata

    return ch.isalnum() or ch == "_" or unicodedata.category(ch).startswith("M")


_ASCII_BLANK = bytes(c if _is_word_char(chr(c)) else 32 for c in range(128)) + bytes(
    range(128, 256)
)


def _word_flags(cps: np.ndarray) -> np.ndarray:
    """Vectorised `_is_word_char` over an array of code points."""
    import numpy as np

    ascii_table = np.frombuffer(_ASCII_BLANK[:128], dtype=np.uint8) != 32
    out = np.zeros(cps.shape, dtype=bool)
    low = cps < 128
    out[low] = ascii_table[cps[low]]
    if not low.all():
        uniq, inverse = np.unique(cps[~low], return_inverse=True)
        flags = np.array([_is_word_char(chr(int(c))) for c in uniq], dtype=bool)
        out[~low] = flags[inverse]
    return out


def _blank_non_word(text: str) -> str:
    """`text` with every non-word character replaced by a space (length-preserving)."""
    import numpy as np

    if text.isascii():
        return text.encode("ascii").translate(_ASCII_BLANK).decode("ascii")
    cps = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype="<u4")
    blanked = np.where(_word_flags(cps), cps, 32).astype("<u4")
    return blanked.tobytes().decode("utf-32-le", errors="surrogatepass")


def normalise_keyword(keyword: str) -> str:
    """A keyword as the matcher sees it: casefolded, straight quotes, single spaces, stripped."""
    folded = keyword.replace(SEPARATOR, " ").translate(_MATCH_TABLE).casefold()
    return _SPACE_RUNS.sub(" ", folded).strip()


def normalise_text(text: str) -> tuple[str, Callable[[int], int]]:
    """The normalised text and a function mapping a normalised position back to the original one.

    (Used by tests and small callers; the corpus path does the same over many turns at once.)
    """
    import numpy as np

    norm, mapper = _normalise_joined(text)

    def to_original(pos: int) -> int:
        return int(mapper(np.array([pos], dtype=np.int64))[0])

    return norm, to_original


def _normalise_joined(big: str) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """Normalise a (joined) text; return it with a vectorised normalised -> original position map.

    The translate step preserves length. Casefolding expands a few characters (recorded as
    (original position, extra length)); collapsing whitespace runs removes characters (recorded as
    runs). A position inside an expansion maps to the expanded character itself.
    """
    import numpy as np

    folded = big.translate(_MATCH_TABLE).casefold()
    exp_pos = exp_extra = exp_c0 = exp_cum = None
    if len(folded) != len(big):
        found = [
            (m.start(), len(m.group().casefold()) - 1) for m in _expanding_chars().finditer(big)
        ]
        exp_pos = np.array([p for p, _ in found], dtype=np.int64)
        exp_extra = np.array([k for _, k in found], dtype=np.int64)
        exp_cum = np.cumsum(exp_extra)
        exp_c0 = exp_pos + (exp_cum - exp_extra)  # where each expansion starts in folded text
    run_brk = run_cum = None
    if "  " in folded:
        runs = [(m.start(), m.end() - m.start()) for m in _SPACE_RUNS.finditer(folded)]
        starts = np.array([s for s, _ in runs], dtype=np.int64)
        removed = np.array([n - 1 for _, n in runs], dtype=np.int64)
        run_cum = np.cumsum(removed)
        run_brk = starts - (run_cum - removed) + 1  # first normalised position after the kept space
        norm = _SPACE_RUNS.sub(" ", folded)
    else:
        norm = folded

    def mapper(pos: np.ndarray) -> np.ndarray:
        c = pos
        if run_brk is not None:
            i = np.searchsorted(run_brk, pos, side="right") - 1
            c = pos + np.where(i >= 0, run_cum[np.maximum(i, 0)], 0)
        if exp_c0 is None:
            return c
        j = np.searchsorted(exp_c0, c, side="right") - 1
        jj = np.maximum(j, 0)
        inside = (j >= 0) & (c <= exp_c0[jj] + exp_extra[jj])
        shifted = c - np.where(j >= 0, exp_cum[jj], 0)
        return np.where(inside, exp_pos[jj], shifted)

    return norm, mapper


class _KeywordIndex:
    """Every keyword of every code in one Aho-Corasick automaton.

    Whole-word matching is built into the keys: the automaton runs over the normalised text with
    every non-word character blanked to a space (and a space at each end), and each key is the
    blanked keyword between two spaces. A hit is therefore always at word boundaries; a keyword
    with inner spaces or punctuation ("side effects", "don't") is then checked against the
    unblanked text ("side-effects" must not hit "side effects"). This is also about twice as fast
    as matching bare keywords: the automaton falls back to its root at every space.
    """

    def __init__(self, codebook: Codebook) -> None:
        import ahocorasick
        import numpy as np

        self.automaton = ahocorasick.Automaton()
        self.ignored: list[tuple[str, str]] = []  # (code id, keyword) with no letter or digit
        variants: dict[str, dict[str, list[int]]] = {}  # key -> normalised keyword -> codes
        for ci, code in enumerate(codebook.codes()):
            for keyword in code.keywords:
                norm = normalise_keyword(keyword)
                blank = _blank_non_word(norm)
                if not blank.strip():
                    if norm:
                        self.ignored.append((code.id, keyword))
                    continue
                codes = variants.setdefault(f" {blank} ", {}).setdefault(norm, [])
                if ci not in codes:
                    codes.append(ci)
        self.size = len(variants)
        self.variants: list[list[tuple[str, list[int]]]] = []
        lengths, simple, ptr, flat = [], [], [0], []
        for kid, (key, by_norm) in enumerate(variants.items()):
            self.automaton.add_word(key, kid)
            items = list(by_norm.items())
            self.variants.append(items)
            lengths.append(len(key) - 2)
            # One variant that is a single run of word characters: the hit needs no check.
            simple.append(len(items) == 1 and " " not in key[1:-1] and key[1:-1] == items[0][0])
            flat.extend(items[0][1])
            ptr.append(len(flat))
        if self.size:
            self.automaton.make_automaton()
        self.lengths = np.array(lengths, dtype=np.int64)
        self.simple = np.array(simple, dtype=bool)
        self.ptr = np.array(ptr, dtype=np.int64)
        self.flat = np.array(flat, dtype=np.int64)

    def find(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Whole-word hits in `texts`: arrays (text index, code index, start, end) in original
        code points of each text, end exclusive; every hit, unsorted."""
        import itertools

        import numpy as np

        empty = np.zeros(0, dtype=np.int64)
        if not self.size or not texts:
            return empty, empty, empty, empty
        if any(SEPARATOR in t for t in texts):
            texts = [t.replace(SEPARATOR, " ") for t in texts]
        norm, mapper = _normalise_joined(SEPARATOR.join(texts))
        blanked = " " + _blank_non_word(norm) + " "
        flat = np.fromiter(
            itertools.chain.from_iterable(self.automaton.iter(blanked)), dtype=np.int64
        )
        if not flat.size:
            return empty, empty, empty, empty
        # A key " kw " ending at blanked[e] puts kw at norm[e - len(kw) - 1 : e - 1].
        ends, kids = flat[0::2], flat[1::2]
        starts = ends - self.lengths[kids] - 1
        simple = self.simple[kids]
        # Simple keys: one row per (hit, code of that keyword), vectorised.
        s_kids, s_starts = kids[simple], starts[simple]
        counts = self.ptr[s_kids + 1] - self.ptr[s_kids]
        rows = np.repeat(np.arange(s_kids.size), counts)
        offsets = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
        hit_codes = [self.flat[self.ptr[s_kids][rows] + offsets]]
        hit_starts = [s_starts[rows]]
        hit_ends = [s_starts[rows] + self.lengths[s_kids][rows]]
        # Phrases and keywords with punctuation: compare with the unblanked text.
        c_codes: list[int] = []
        c_starts: list[int] = []
        c_ends: list[int] = []
        for kid, start in zip(kids[~simple].tolist(), starts[~simple].tolist(), strict=True):
            for keyword, codes in self.variants[kid]:
                if norm.startswith(keyword, start):
                    for ci in codes:
                        c_codes.append(ci)
                        c_starts.append(start)
                        c_ends.append(start + len(keyword))
        hit_codes.append(np.array(c_codes, dtype=np.int64))
        hit_starts.append(np.array(c_starts, dtype=np.int64))
        hit_ends.append(np.array(c_ends, dtype=np.int64))
        codes = np.concatenate(hit_codes)
        n_start = np.concatenate(hit_starts)
        n_end = np.concatenate(hit_ends)
        if not codes.size:
            return empty, empty, empty, empty
        # Map to original positions (the last character, then + 1), then to (text, offset).
        o_start = mapper(n_start)
        o_end = mapper(n_end - 1) + 1
        text_starts = np.zeros(len(texts), dtype=np.int64)
        text_starts[1:] = np.cumsum(np.fromiter((len(t) + 1 for t in texts[:-1]), dtype=np.int64))
        which = np.searchsorted(text_starts, o_start, side="right") - 1
        return which, codes, o_start - text_starts[which], o_end - text_starts[which]


def _pattern_hits(
    texts: list[str], codebook: Codebook, segment_ids: list[str], timeout: float
) -> tuple[list[int], list[int], list[int], list[int]]:
    import regex

    flags = regex.IGNORECASE | regex.UNICODE
    compiled = [
        (ci, code, p, regex.compile(p, flags))
        for ci, code in enumerate(codebook.codes())
        for p in code.patterns
    ]
    rows: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    if not compiled:
        return rows
    for ti, text in enumerate(texts):
        view = text.translate(_PATTERN_TABLE)
        for ci, code, source, rx in compiled:
            try:
                m = rx.search(view, timeout=timeout)
            except TimeoutError:
                raise CodebookError(
                    f"pattern {source!r} of code {code.id!r} took longer than {timeout:g} s "
                    f"on segment {segment_ids[ti]!r}",
                    file=codebook.source,
                    line=code.line,
                    hint="simplify the pattern: nested repetition such as (a|aa)+ or (\\w+\\s?)+ "
                    "can take exponential time; a keyword list is faster and safer",
                ) from None
            if m is not None:
                rows[0].append(ti)
                rows[1].append(ci)
                rows[2].append(m.start())
                rows[3].append(m.end())
    return rows


_INDEXES: dict[tuple, _KeywordIndex] = {}


def keyword_index(codebook: Codebook) -> _KeywordIndex:
    """The codebook's keyword automaton, built once per process (a Dask worker builds its own
    from the codebook it is sent as data: automata are never pickled)."""
    key = tuple((c.id, tuple(c.keywords)) for c in codebook.codes())
    index = _INDEXES.get(key)
    if index is None:
        _INDEXES.clear()  # one codebook per run: keep one automaton, not every one ever built
        index = _INDEXES[key] = _KeywordIndex(codebook)
    return index


def _check_auto_codebook(codebook: Codebook) -> None:
    if not any(c.keywords or c.patterns for c in codebook.codes()):
        raise CodebookError(
            "the codebook has no keywords or patterns, so there is nothing to auto-code",
            file=codebook.source,
            hint="add keywords: [...] or patterns: [...] to the repeating ideas",
        )


def autocode(
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    coder: str,
    include_facilitator: bool = False,
    pattern_timeout: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Apply keywords and patterns to the segments; a codings DataFrame with origin "auto".

    Rows: segments in input order, codes in codebook order; one row per (segment, code) with the
    span of the first match (see the module docstring), and an empty-code row for each reviewed
    segment without codes. `progress(n)` is called as turns are done (n turns each call).

    The work is `autocode_partition` over CHUNK_SEGMENTS segments at a time (the function a Dask
    worker runs on its partition): rows never depend on another partition, so the concatenation
    is the same whatever the chunking.
    """
    import pandas as pd

    _check_auto_codebook(codebook)
    parts = []
    for lo in range(0, len(segments), CHUNK_SEGMENTS):
        chunk = segments.iloc[lo : lo + CHUNK_SEGMENTS]
        parts.append(
            autocode_partition(
                chunk,
                codebook,
                coder=coder,
                include_facilitator=include_facilitator,
                pattern_timeout=pattern_timeout,
            )
        )
        if progress is not None:
            progress(len(chunk))
    if not parts:
        parts.append(autocode_partition(segments, codebook, coder=coder))
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts, ignore_index=True)


def autocode_partition(
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    coder: str,
    include_facilitator: bool = False,
    pattern_timeout: float = 1.0,
) -> pd.DataFrame:
    """The codings rows of one partition of segments (see `autocode`); pure, so the local path
    and each Dask worker run the same function. The keyword automaton is built once per process."""
    return _partition(segments, codebook, coder, include_facilitator, pattern_timeout, False)[0]


def autocode_partition_stamped(
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    coder: str,
    include_facilitator: bool = False,
    pattern_timeout: float = 1.0,
) -> pd.DataFrame:
    """`autocode_partition` with the provenance columns filled in: the same rows and bytes as
    `provenance.stamp(rows, segments, codebook)` (segment ids unique, as read_segments checks),
    with each reviewed turn's text hashed once and spread over its rows by position, not
    looked up by segment id (a third of the output's cost at 100k segments)."""
    return _partition(segments, codebook, coder, include_facilitator, pattern_timeout, True)[0]


def autocode_partition_summarised(
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    coder: str,
    include_facilitator: bool = False,
    pattern_timeout: float = 1.0,
) -> tuple[pd.DataFrame, SummaryPart]:
    """`autocode_partition_stamped` and its `summary_part`, the summary counted from the
    matcher's positions (segment and code numbers) instead of looking each row's segment id up
    again among the segments' (the same figures; a fifth of the rest of code --auto at 100k)."""
    rows, summary = _partition(
        segments, codebook, coder, include_facilitator, pattern_timeout, True, summarised=True
    )
    assert summary is not None
    return rows, summary


def _partition(
    segments: pd.DataFrame,
    codebook: Codebook,
    coder: str,
    include_facilitator: bool,
    pattern_timeout: float,
    stamped: bool,
    *,
    summarised: bool = False,
) -> tuple[pd.DataFrame, SummaryPart | None]:
    import numpy as np
    import pandas as pd

    _check_auto_codebook(codebook)
    if "role" in segments.columns and not include_facilitator:
        keep = (segments["role"].astype(str) != ROLE_FACILITATOR).to_numpy()
        reviewed = segments.loc[keep]
    else:
        reviewed = segments
    seg_ids = reviewed["segment_id"].astype(str).tolist()
    texts = reviewed["text"].fillna("").astype(str).tolist()
    index = keyword_index(codebook)
    parts: list[tuple[np.ndarray, ...]] = []
    for lo in range(0, len(texts), CHUNK_SEGMENTS):
        chunk = texts[lo : lo + CHUNK_SEGMENTS]
        which, codes, starts, ends = index.find(chunk)
        parts.append((which + lo, codes, starts, ends))
        p_which, p_codes, p_starts, p_ends = _pattern_hits(
            chunk, codebook, seg_ids[lo : lo + CHUNK_SEGMENTS], pattern_timeout
        )
        if p_which:
            parts.append(
                (
                    np.array(p_which, dtype=np.int64) + lo,
                    np.array(p_codes, dtype=np.int64),
                    np.array(p_starts, dtype=np.int64),
                    np.array(p_ends, dtype=np.int64),
                )
            )
    if parts:
        which, codes, starts, ends = (np.concatenate(col) for col in zip(*parts, strict=True))
    else:
        which = codes = starts = ends = np.zeros(0, dtype=np.int64)
    # First match per (segment, code): earliest start, then longest.
    order = np.lexsort((-ends, starts, codes, which))
    which, codes, starts, ends = which[order], codes[order], starts[order], ends[order]
    first = np.ones(which.size, dtype=bool)
    first[1:] = (which[1:] != which[:-1]) | (codes[1:] != codes[:-1])
    which, codes, starts, ends = which[first], codes[first], starts[first], ends[first]
    # Empty-code rows for reviewed segments with no hit; code order -1 sorts them alone.
    uncoded = np.setdiff1d(np.arange(len(texts)), which)
    all_which = np.concatenate([which, uncoded])
    all_codes = np.concatenate([codes, np.full(uncoded.size, -1, dtype=np.int64)])
    order = np.lexsort((all_codes, all_which))
    all_which, all_codes = all_which[order], all_codes[order]
    hit = all_codes >= 0
    code_ids = np.array(codebook.code_ids() + [""], dtype=object)
    start_col = np.full(all_which.size, "", dtype=object)
    end_col = np.full(all_which.size, "", dtype=object)
    src = order[hit]  # hits come first in the concatenation, so these index the hit arrays
    start_col[hit] = starts[src].tolist()
    end_col[hit] = ends[src].tolist()
    columns = {
        "segment_id": np.array(seg_ids + [""], dtype=object)[all_which],
        "code_id": code_ids[all_codes],
        "coder": coder,
        "origin": ORIGIN_AUTO,
        "memo": "",
        "start_char": start_col,
        "end_char": end_col,
    }
    summary = None
    if summarised:
        summary = _summary_of_hits(segments, reviewed, which, codes, code_ids, len(texts))
    if not stamped:
        return pd.DataFrame(columns, columns=list(CODING_COLUMNS)), summary
    from qualcode.provenance import CODEBOOK, TEXT_HASH, codebook_identity, text_hashes

    hashes = text_hashes(reviewed["text"].tolist())  # the raw values, as `stamp` hashes them
    columns[TEXT_HASH] = np.array(hashes + [""], dtype=object)[all_which]
    columns[CODEBOOK] = codebook_identity(codebook)
    return pd.DataFrame(columns, columns=[*CODING_COLUMNS, TEXT_HASH, CODEBOOK]), summary


def _summary_of_hits(
    segments: pd.DataFrame,
    reviewed: pd.DataFrame,
    which: np.ndarray,
    codes: np.ndarray,
    code_ids: np.ndarray,
    n_reviewed: int,
) -> SummaryPart:
    """`summary_part` of a partition's codings, from its hits: (reviewed segment number, code
    number) pairs, one per coded (segment, code), sorted by segment then code (as the rows are).
    Segment ids are unique within a partition (the readers refuse a repeat)."""
    import numpy as np
    import pandas as pd

    # Codes in order of first appearance in the rows, and distinct coded segments per code.
    code_order, first_codes = pd.factorize(codes, sort=False)
    n_segments = np.bincount(code_order, minlength=len(first_codes))

    def column(name: str) -> np.ndarray:
        if name not in reviewed.columns:
            return np.full(len(reviewed), "", dtype=object)
        return reviewed[name].fillna("").astype(str).to_numpy()

    def pairs_with(values: np.ndarray, name: str) -> pd.DataFrame:
        # Distinct (code, value) of the coded rows, in order of first appearance, "" left out.
        number, names = pd.factorize(values, sort=False)
        keep = np.flatnonzero(values[which] != "")
        key = codes[keep] * max(len(names), 1) + number[which[keep]]
        at = keep[~pd.Series(key).duplicated().to_numpy()]
        return pd.DataFrame({"code_id": code_ids[codes[at]], name: values[which[at]]})

    pid = np.where(column("role") == ROLE_PARTICIPANT, column("participant_id"), "")
    source_types = None
    if "source_type" in segments.columns:
        values = segments["source_type"].fillna("").astype(str).tolist()
        source_types = list(dict.fromkeys(values))
    return SummaryPart(
        code_names=[str(code_ids[c]) for c in first_codes],
        n_segments=[int(n) for n in n_segments],
        voiced=pairs_with(pid.astype(object), "participant_id"),
        groups=pairs_with(column("transcript_id"), "transcript_id"),
        reviewed=n_reviewed,
        coded=int(np.count_nonzero(which[1:] != which[:-1]) + 1) if which.size else 0,
        source_types=source_types,
    )


@dataclass
class SummaryPart:
    """What `summarise_codings` needs from one partition of codings (with its own segments), so
    partitions on different workers sum to the whole: distinct segments per code add up (a segment
    is in one partition), distinct participants and groups are unions of (code, name) pairs."""

    code_names: list[str]  # codes seen, in order of first appearance
    n_segments: list[int]  # distinct coded segments per code of `code_names`
    voiced: pd.DataFrame  # distinct (code_id, participant_id) of coded participant turns
    groups: pd.DataFrame  # distinct (code_id, transcript_id) of coded segments
    reviewed: int
    coded: int
    source_types: list[str] | None = None  # distinct source_type values (None: no such column)


def summary_part(codings: pd.DataFrame, segments: pd.DataFrame) -> SummaryPart:
    """The summary figures of one partition (codings of the segments in `segments`)."""
    import numpy as np
    import pandas as pd

    seg = segments.drop_duplicates("segment_id")
    seg_index = pd.Index(seg["segment_id"].astype(str))

    def column(name: str) -> np.ndarray:
        if name not in seg.columns:
            return np.full(len(seg), "", dtype=object)
        return seg[name].fillna("").astype(str).to_numpy()

    transcript = column("transcript_id")
    pid = np.where(column("role") == ROLE_PARTICIPANT, column("participant_id"), "")
    ids = codings["segment_id"].astype(str).to_numpy()
    code_col = codings["code_id"].astype(str).to_numpy()
    coded_mask = code_col != ""
    coded_ids, coded_codes = ids[coded_mask], code_col[coded_mask]
    pos = seg_index.get_indexer(coded_ids)
    known = pos >= 0
    code_idx, code_names = pd.factorize(coded_codes)
    # Distinct (code, segment) pairs per code; also counts ids missing from segments.
    pairs = pd.DataFrame({"c": code_idx, "s": pd.factorize(coded_ids)[0]}).drop_duplicates()
    n_segments = np.bincount(pairs["c"].to_numpy(), minlength=len(code_names))

    def pairs_with(values: np.ndarray, name: str) -> pd.DataFrame:
        v = np.where(known, values[np.maximum(pos, 0)], "")
        keep = v != ""
        frame = pd.DataFrame({"code_id": coded_codes[keep], name: v[keep]})
        return frame.drop_duplicates(ignore_index=True)

    return SummaryPart(
        code_names=[str(c) for c in code_names],
        n_segments=[int(n) for n in n_segments],
        voiced=pairs_with(pid, "participant_id"),
        groups=pairs_with(transcript, "transcript_id"),
        reviewed=int(pd.unique(ids).size),
        coded=int(pd.unique(coded_ids).size),
        source_types=(
            list(dict.fromkeys(column("source_type").tolist()))
            if "source_type" in seg.columns
            else None
        ),
    )


def summary_noun(parts: list[SummaryPart]) -> str:
    """What the summary's groups column counts (`model.study_source_nouns` of the segments the
    parts were made from): "groups", "interviews", ..."""
    from qualcode.model import source_nouns

    typed = [p.source_types for p in parts if p.source_types]
    if not typed:
        return "groups"
    return source_nouns(list(dict.fromkeys(t for types in typed for t in types)))[1]


def combine_summaries(
    parts: list[SummaryPart], codebook: Codebook
) -> tuple[pd.DataFrame, dict[str, int]]:
    """`coding_summary` and `coding_totals` from the partitions' `summary_part`s, in order."""
    import pandas as pd

    order: dict[str, int] = {}
    for part in parts:
        for name, n in zip(part.code_names, part.n_segments, strict=True):
            order[name] = order.get(name, 0) + n
    voiced = pd.concat([p.voiced for p in parts], ignore_index=True).drop_duplicates()
    groups = pd.concat([p.groups for p in parts], ignore_index=True).drop_duplicates()
    n_voiced = voiced.groupby("code_id", sort=False).size().to_dict()
    n_groups = groups.groupby("code_id", sort=False).size().to_dict()
    ids = codebook.code_ids()
    known = set(ids)
    extra = [c for c in order if c not in known]
    labels = {c.id: c.label for c in codebook.codes()}
    rows = [
        (
            cid,
            labels.get(cid, ""),
            int(order.get(cid, 0)),
            int(n_voiced.get(cid, 0)),
            int(n_groups.get(cid, 0)),
        )
        for cid in ids + extra
    ]
    summary = pd.DataFrame(rows, columns=["code_id", "label", "segments", "participants", "groups"])
    totals = {
        "reviewed": sum(p.reviewed for p in parts),
        "segments": sum(p.coded for p in parts),
        "participants": int(voiced["participant_id"].nunique()),
        "groups": int(groups["transcript_id"].nunique()),
    }
    return summary, totals


def summarise_codings(
    codings: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook
) -> tuple[pd.DataFrame, dict[str, int]]:
    """`coding_summary` and `coding_totals` in one pass (what the CLI prints)."""
    return combine_summaries([summary_part(codings, segments)], codebook)


def coding_summary(
    codings: pd.DataFrame, segments: pd.DataFrame, codebook: Codebook
) -> pd.DataFrame:
    """Per code in codebook order: code_id, label, segments, participants, groups.

    segments = distinct coded segments; participants = distinct non-empty participant_id among
    participant-role segments; groups = distinct transcript_id. Codes in `codings` that are not in
    the codebook follow, in order of first appearance, with an empty label (nothing is dropped).
    """
    return summarise_codings(codings, segments, codebook)[0]


def coding_totals(codings: pd.DataFrame, segments: pd.DataFrame) -> dict[str, int]:
    """Reviewed segments, and segments / participants / groups with any code (a union, not a sum)."""
    return summarise_codings(codings, segments, Codebook())[1]
