"""Sentences of a transcript turn, as (start, end) code-point spans, and selections of them.

A coder marks an excerpt by choosing sentences of a turn (`2-3`, `1,4`): this module finds the
sentences and turns a selection into `start_char`/`end_char` spans (0-based code points of the turn
text, end exclusive, as in codings files). It is pure and deterministic: the same text always gives
the same spans, with no model, no locale and no dependency beyond `regex` (grapheme clusters).

Why our own rules and not a library (pysbd, sentencex, syntok, nltk's punkt): transcripts are
spoken language with transcription marks, and a coder's selection is only as good as the numbering
is stable. pysbd's last release was 2021 and its character spans drift on repeated whitespace;
sentencex and syntok return strings, not positions, and split on "[inaudible]"-style marks and on
false starts; punkt needs trained parameters. The rules below are short, documented, and tested.

Decided once (each rule has a test in tests/test_sentences.py):
- A sentence ends after a run of `.`, `!`, `?` (and `…`, `‼`, `⁇`, `⁈`, `⁉`) followed by closing
  quotes or brackets, when whitespace or the end of the turn follows. `?!`, `!!!` are one stop.
- Scripts without spaces between sentences end one at `。`, `！`, `？`, `｡`, `．` with no space
  needed (but 「行こう。」と言った is quoted speech inside one); `।`, `॥` (Devanagari), `؟`, `۔` (Arabic script), `։` (Armenian), `።` (Ethiopic) end
  one before whitespace or the end.
- A single `.` does not end a sentence after a title (Dr., Mr., Mrs., Ms., Prof., St., ...), after
  e.g./i.e./vs./cf., after a single capital initial (J. K. Rowling), after `No.`/`pp.`/`p.` before a
  number; after etc., a.m., p.m., Inc., dotted acronyms (U.S.) it ends one only when the next word
  does not start in lower case. A `.` inside a number (3.5) is never followed by a space.
- An ellipsis (`...`, `…`) is a pause in speech: it ends a sentence only before a capital letter.
- A stop followed by a closing quote and then a lower-case word is quoted speech inside a sentence.
- Nothing inside square brackets splits (`[inaudible 00:12:03.]`). A bracketed transcription mark
  right after a stop (`[laughs]`, `(pause)`) belongs to the sentence it follows when a new sentence
  (or the end of the turn) comes after it; before a lower-case word it starts the next sentence.
- A dash (`--`, `—`) is a false start or an interruption, not a stop; it is a preferred cut point
  for over-long sentences (below). A line break (paragraph) always ends a sentence.
- No final stop: the last sentence runs to the last non-space character.
- A sentence longer than `MAX_SENTENCE` code points (an unpunctuated 10-minute answer from
  automatic transcription) is cut into pieces of at most that length: at the last dash, `;` or `:`
  in its second half, else the last comma there, else the last space, else (a script without
  spaces) at the last grapheme-cluster boundary.
- Spans never include leading or trailing whitespace; between two spans there is only whitespace
  (or nothing, after `。`); every non-space character is in exactly one span, in order; a cut never
  falls inside a grapheme cluster (a base letter and its combining marks, an emoji sequence).

Selections (`parse_selection`): `2-3` (sentences 2 to 3), `1,4` or `1;4` or `1 4` (two excerpts),
`2..3` and `2–3` as ranges too, and `c12-40` (characters 12 to 40 of the turn, end exclusive: how
a span that does not fall on sentence boundaries, e.g. imported from another program, is written).
Adjacent or overlapping sentences merge into one excerpt.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

MAX_SENTENCE = 400  # code points; about 70 spoken words
_MIN_CUT = MAX_SENTENCE // 2

# Stops that need whitespace (or the end) after them, and stops of scripts without spaces.
_STOPS = ".!?…‼⁇⁈⁉।॥؟۔։።"
_CJK_STOPS = "。！？｡．"
_CLOSERS = "\"'”’»›)]}」』）］｝〕】〉》"
_QUOTES = "\"'”’»›」』"
_CANDIDATE = re.compile(
    rf"(?P<run>[{re.escape(_STOPS)}]+|[{re.escape(_CJK_STOPS)}]+)(?P<close>[{re.escape(_CLOSERS)}]*)"
)
_NEWLINE = re.compile("\n")
# Text whose characters never join a neighbour into one grapheme cluster (Latin letters without
# combining marks, general punctuation such as curly quotes and dashes, currency signs): no
# grapheme pass needed. Combining marks begin at U+0300; ZWJ and bidi marks (U+200B-200F,
# U+202A-202E, U+2060-206F) are left out.
_SIMPLE = re.compile("[\x00-\u02ff\u2010-\u2027\u2030-\u205e\u20a0-\u20c0]*")
_WORD_BEFORE = re.compile(r"\S{1,40}\Z")
_BRACKETED = re.compile(r"\[[^\[\]\n]{0,200}\]")
_MARK = re.compile(r"(?:\[[^\[\]\n.!?]{1,40}\]|\([^()\n.!?]{1,40}\))")
# Titles stand before a name: a full stop after them never ends a sentence.
_TITLES = frozenset(
    {"mr", "mrs", "ms", "mx", "dr", "prof", "st", "sr", "jr", "rev", "fr", "hon", "gen", "col"}
    | {"capt", "lt", "sgt", "gov", "sen", "rep", "pres", "mt", "messrs"}
)
_NEVER = frozenset({"e.g", "i.e", "eg", "ie", "vs", "cf", "viz", "approx", "ca"})
_BEFORE_NUMBER = frozenset({"no", "nos", "p", "pp", "vol", "ch", "sec", "fig", "art", "nr"})
_SOFT = frozenset(
    {"etc", "a.m", "p.m", "am", "pm", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr"}
    | {"jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri"}
    | {"sat", "sun", "min", "mins", "hr", "hrs", "ft", "dept", "misc", "esp", "al"}
)
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")  # U.S, U.K, a.m (the last dot is the stop)
_TOKEN_LEAD = "\"'“‘«‹([{¿¡"


class SelectionError(ValueError):
    """A selection of sentences that cannot be read; the message says what to write instead."""


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) code-point spans of the sentences of `text`, end exclusive, in order."""
    cuts = _boundaries(text)
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*cuts, len(text)]:
        piece = _trim(text, start, cut)
        if piece is not None:
            spans.extend(_cut_long(text, *piece))
        start = cut
    return spans if _SIMPLE.fullmatch(text) else _snap_to_graphemes(text, spans)


def _snap_to_graphemes(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Widen each span to whole grapheme clusters (a space that carries a combining mark is part
    of a cluster, so trimming whitespace could cut one) and merge spans that then touch."""
    import regex

    bounds = [0] + [m.end() for m in regex.finditer(r"\X", text)]
    out: list[tuple[int, int]] = []
    for a, b in spans:
        a = bounds[bisect_right(bounds, a) - 1]
        b = bounds[bisect_left(bounds, b)]
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _boundaries(text: str) -> list[int]:
    """Positions where one sentence ends and the next may begin (whitespace is trimmed later)."""
    protected = [m.span() for m in _BRACKETED.finditer(text)]
    opens = [a for a, _ in protected]
    cuts: list[int] = [m.end() for m in _NEWLINE.finditer(text)] if "\n" in text else []
    n = len(text)
    for m in _CANDIDATE.finditer(text):
        k = bisect_left(opens, m.start()) - 1
        if k >= 0 and m.start() < protected[k][1]:
            continue  # inside [ ... ]
        end = m.end()
        run = m["run"]
        if run[0] in _CJK_STOPS:
            if end < n and _joins(text[end]):
                continue  # a combining mark or joiner belongs to the stop's grapheme
            if m["close"] and end < n and not text[end].isspace() and text[end] not in "「『（(":
                continue  # 「行こう。」と言った: quoted speech inside a sentence
            cuts.append(_after_marks(text, end))
            continue
        if end < n and not text[end].isspace():
            continue  # 3.5, e.g.x, "?!)" inside a word
        nxt = _next_char(text, end)
        if nxt is None:
            continue  # the end of the turn
        if m["close"] and any(q in m["close"] for q in _QUOTES) and nxt.islower():
            continue  # "... she said 'no.' and left"
        if not _ends_sentence(text, m.start(), run, nxt):
            continue
        cuts.append(_after_marks(text, end))
    return sorted(set(cuts))


def _ends_sentence(text: str, at: int, run: str, nxt: str) -> bool:
    if any(ch not in ".…" for ch in run):
        return True  # ! ? and the stops of other scripts
    if run != ".":
        return nxt.isupper()  # an ellipsis: a pause unless a new sentence visibly starts
    token = _token_before(text, at)
    low = token.lower()
    if low in _TITLES or low in _NEVER:
        return False
    if len(token) == 1 and token.isupper():
        return False  # an initial: J. K. Rowling
    if low in _BEFORE_NUMBER and nxt.isdigit():
        return False
    if low in _SOFT or _DOTTED.match(token):
        return not nxt.islower()
    return True


def _token_before(text: str, at: int) -> str:
    """The word before a stop (at most 40 characters: longer is no abbreviation)."""
    m = _WORD_BEFORE.search(text, max(0, at - 40), at)
    return m.group().lstrip(_TOKEN_LEAD) if m else ""


def _next_char(text: str, pos: int) -> str | None:
    n = len(text)
    while pos < n and text[pos].isspace():
        pos += 1
    return text[pos] if pos < n else None


def _after_marks(text: str, end: int) -> int:
    """Where the next sentence begins: past transcription marks that close the sentence.

    `Yes. [laughs] So we ...` -> "[laughs]" goes with "Yes."; `Yes. [inaudible] the group ...` ->
    it begins the next sentence (the unheard words are part of it)."""
    pos = end
    n = len(text)
    while True:
        i = pos
        while i < n and text[i].isspace() and text[i] != "\n":
            i += 1
        m = _MARK.match(text, i)
        if m is None or i == pos and pos != end:
            return pos
        after = m.end()
        if after < n and not text[after].isspace():
            return pos
        nxt = _next_char(text, after)
        if nxt is not None and nxt.islower():
            return pos
        pos = after


def _joins(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M") or ch in "\u200d\ufe0e\ufe0f"


def _cut_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than MAX_SENTENCE into pieces at clause points (see the module doc)."""
    pieces: list[tuple[int, int]] = []
    while end - start > MAX_SENTENCE:
        cut = _cut_point(text, start, start + MAX_SENTENCE)
        pieces.append(_trim(text, start, cut))  # type: ignore[arg-type]
        nxt = _trim(text, cut, end)
        if nxt is None:  # pragma: no cover - a cut is always followed by text (end is trimmed)
            return pieces
        start = nxt[0]
    pieces.append((start, end))
    return pieces


_CLAUSE = re.compile(r"(?:--+|[—–;:])(?=\s)")
_COMMA = re.compile(r"[,،、，](?=\s)")


def _cut_point(text: str, start: int, limit: int) -> int:
    """The end of the first piece of text[start:...], no further than `limit`."""
    low = start + _MIN_CUT
    for pattern in (_CLAUSE, _COMMA):
        best = None
        for m in pattern.finditer(text, low, limit):
            best = m.end()
        if best is not None:
            return best
    for i in range(limit, start, -1):
        if text[i].isspace() and not text[i - 1].isspace():
            return i
    return _grapheme_cut(text, start, limit)


def _grapheme_cut(text: str, start: int, limit: int) -> int:
    import regex

    last = start
    for m in regex.finditer(r"\X", text[start : limit + 1]):
        if start + m.end() > limit:
            break
        last = start + m.end()
    if last == start:  # one grapheme longer than the limit (thousands of combining marks)
        m = regex.match(r"\X", text, pos=start)
        last = m.end()  # type: ignore[union-attr]
    return last


# --- selections ---------------------------------------------------------------------------------
_RANGE = re.compile(r"^(\d+)\s*(?:-|–|—|\.\.|to)\s*(\d+)$")
_CHARS = re.compile(r"^c\s*(\d+)\s*(?:-|–|\.\.)\s*(\d+)$", re.IGNORECASE)
_SPLIT = re.compile(r"\s*[,;]\s*|(?<=\d)\s+(?=\d|[cC]\d)")


def parse_selection(
    value: str, spans: Sequence[tuple[int, int]], length: int
) -> list[tuple[int, int]]:
    """Character spans selected by `value` ("2-3", "1,4", "c12-40") among sentence `spans` of a
    turn of `length` code points.

    Returns the excerpts as (start, end) spans in order, adjacent or overlapping sentences merged.
    Raises SelectionError with a message that says what is wrong and what to write.
    """
    text = value.strip()
    if not text:
        raise SelectionError("the selection is empty")
    count = len(spans)
    picked: list[tuple[int, int]] = []  # sentence index ranges (0-based, inclusive)
    chars: list[tuple[int, int]] = []
    for item in (p for p in _SPLIT.split(text) if p):
        item = item.strip()
        if m := _CHARS.match(item):
            a, b = int(m[1]), int(m[2])
            if not a < b:
                raise SelectionError(f"characters {item!r}: the start must come before the end")
            if b > length:
                raise SelectionError(f"characters {item!r} run past the end of the turn")
            chars.append((a, b))
            continue
        m = _RANGE.match(item)
        if m:
            a, b = int(m[1]), int(m[2])
        elif item.isdecimal():
            a = b = int(item)
        else:
            raise SelectionError(
                f"cannot read {item!r} as sentence numbers (write e.g. 2 or 2-3 or 1,4)"
            )
        if a > b:
            raise SelectionError(f"sentences {item!r}: write the smaller number first")
        if a < 1 or b > count:
            which = "the turn has 1 sentence" if count == 1 else f"the turn has {count} sentences"
            raise SelectionError(f"no sentence {b if b > count else a}: {which} (1-{count})")
        picked.append((a - 1, b - 1))
    picked.sort()
    merged: list[list[int]] = []
    for a, b in picked:
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out = [(spans[a][0], spans[b][1]) for a, b in merged] + chars
    return _merge_spans(out)


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def describe_selection(start: int, end: int, spans: Sequence[tuple[int, int]]) -> str:
    """How a coder writes the excerpt [start, end): "2-3", "2", or "c12-40" when it does not
    fall on sentence boundaries (the inverse of `parse_selection` for one excerpt)."""
    starts = {s: i for i, (s, _) in enumerate(spans, start=1)}
    ends = {e: i for i, (_, e) in enumerate(spans, start=1)}
    a, b = starts.get(start), ends.get(end)
    if a is not None and b is not None and a <= b:
        return str(a) if a == b else f"{a}-{b}"
    return f"c{start}-{end}"


def is_whole_turn(selected: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]) -> bool:
    """Whether the excerpts cover every sentence: the same as coding the whole turn."""
    return bool(spans) and list(selected) == [(spans[0][0], spans[-1][1])]
