"""Speaker-label inference: the fallback when no known layout labels a text or Word transcript.

Transcribers write labels in ways no list of layouts keeps up with: `interviewer: ...`,
`[id1] ...`, `resp - ...`, `**mod:** ...`. What they share is a line-start prefix that comes back
again and again: a token or short phrase, in any case and any script, bare or in brackets,
parentheses or bold, followed by `:`, a dash, `]` or a tab. Whether such a prefix names speakers
is decided from the evidence of the whole file, never one line at a time:

- a small vocabulary: 2-30 distinct labels, each used at least twice (a prefix used once is
  accepted only where it has the shape of the others and a number, `[p3]` beside `[p1]`, `[p2]`,
  or sits alone on its line above unlabelled words);
- coverage: the labelled lines are at least a fifth of the non-empty lines (`MIN_COVERAGE`:
  turns of several paragraphs are common);
- turn-taking: the label changes from one labelled line to the next at least a third of the
  time, as speakers do and a document's `Note:` lines do not.

Inference is the fallback: it runs when the known layouts (text.py) label nothing, and beside a
known layout only when it labels every line that layout labels, with the same names, and adds at
least a quarter of the labelled lines (`Interviewer:` beside `respondent:`). Files read today by a
known layout are read as before.

Words that open ordinary sentences or document lines (`Note`, `Yes`, `Step`, `Date`, ...) are
never labels, so prose that starts lines with `Note:` or `Yes -` is still refused. The decision
and its evidence are reported: `inferred '<label>: text' (2 labels, 107 of 110 lines)`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from qualcode.ingest.turns import normalise_speaker

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.ingest.text import SourceLine, _Label

MIN_LABELS = 2
MAX_LABELS = 30
MIN_COVERAGE = 0.2  # labelled lines / non-empty lines (turns of several paragraphs are common)
MIN_SWITCHES = 1 / 3  # label changes / (labelled lines - 1)
MIN_LINES = 4  # labelled lines: below this there is no evidence either way
MIN_ADDED = 0.25  # beside a known layout: share of the labelled lines inference must add
_HEAD = 200
_DASH = r"\-\u2013\u2014"

# `[label]`, `(label)`, `**label:**`, `label:`, `label - `, `label<TAB>`; the label part is bounded
# and cannot contain its own delimiter, so every line is scanned in linear time.
_PREFIX = re.compile(
    rf"""^(?:
        \[(?P<bracket>[^\[\]\n]{{1,40}})\][ \t]*(?:[:\uff1a]|[{_DASH}](?=\s|$))?
       |\((?P<paren>[^()\n]{{1,40}})\)[ \t]*(?:[:\uff1a]|[{_DASH}](?=\s|$))?
       |(?P<bold>\*\*|__)(?P<boldlabel>[^*_:\uff1a\n]{{1,40}}?)[ \t]*[:\uff1a]?[ \t]*(?P=bold)
          [ \t]*(?:[:\uff1a]|[{_DASH}](?=\s|$))?
       |(?P<bare>[^\s:\uff1a\[\]()*_{_DASH}#>\d][^:\uff1a\t\n\[\]()]{{0,39}}?|\d{{1,3}})
          (?:[ \t]*(?P<colon>[:\uff1a])(?=\s|$)
            |[ \t]*(?P<dash>[{_DASH}])(?=\s|$)
            |[ ]*(?P<tab>\t))
    )[ \t]*""",
    re.VERBOSE,
)
_LABEL_WORD = re.compile(r"^[^\W_][\w.'\u2019\-/#&]*$")
_MAX_WORDS = 4
_SHAPE_LETTERS = re.compile(r"[^\W\d_]+")
_SHAPE_DIGITS = re.compile(r"\d+")

# Words that open sentences and document lines, never speakers (with text.py's lists).
_NOT_LABELS = frozenset(
    ["step", "steps", "figure", "fig", "table", "chapter", "page", "pages", "action", "actions"]
    + ["decision", "decisions", "todo", "to-do", "see", "cf", "ref", "refs", "day", "week"]
    + ["month", "year", "name", "version", "email", "e-mail", "phone", "tel", "fax", "address"]
    + ["subject", "cc", "bcc", "sent", "error", "info", "debug", "status", "type", "id", "key"]
    + ["value", "item", "items", "step", "total", "score", "rule", "rules", "case", "cases"]
    + ["i.e", "e.g", "etc", "ps", "p.s", "nb", "n.b", "fyi", "attention", "reminder", "pro", "con"]
    + ["pros", "cons", "yep", "nope", "hmm", "mm", "mhm", "um", "uh", "oh", "ah", "sure", "right"]
    + ["exactly", "absolutely", "maybe", "never", "always", "sometimes", "wow", "hey", "hi"]
    + ["hello", "thanks", "sorry", "please", "i'm", "it's", "that's", "there's", "we're", "you"]
)
# Not speaker words in a document, but question/answer are how many Q&A transcripts label turns.
_LABEL_WORDS_ALLOWED = frozenset(["question", "answer", "response", "reply"])


@dataclass
class _Candidate:
    index: int  # position in the lines list
    style: str  # "bracket" | "paren" | "bold" | "colon" | "dash" | "tab"
    label: str
    key: str
    rest: str
    start_time: float | None


@dataclass
class Inference:
    """Labels inferred for a file: per line (None = not a label), and the evidence."""

    found: list[_Label | None]
    description: str
    refused: list[int] = field(default_factory=list)  # line indexes that look like labels


_TEMPLATES = {
    "bracket": "[<label>] text",
    "paren": "(<label>) text",
    "bold": "**<label>:** text",
    "markup": "<label> in bold, then text",
    "colon": "<label>: text",
    "dash": "<label> - text",
    "tab": "<label><TAB>text",
}


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from qualcode.ingest.text import _FUNCTION_WORDS, _NOT_NAMES, _NOTES

    return (_NOT_NAMES | _FUNCTION_WORDS | _NOTES | _NOT_LABELS) - _LABEL_WORDS_ALLOWED


@lru_cache(maxsize=16384)
def _valid_label(label: str, stop: frozenset[str]) -> str | None:
    """The label's key (case-folded) if it can be a speaker label at all, else None (cached:
    labels repeat thousands of times in a transcript)."""
    from qualcode.ingest.cues import _SOUNDS
    from qualcode.ingest.text import _HEADING, _TS

    name = normalise_speaker(label).strip("*_ ")
    if not name or len(name) > 40:
        return None
    words = name.split()
    if len(words) > _MAX_WORDS or not all(_LABEL_WORD.match(w) for w in words):
        return None
    first = words[0].casefold().rstrip(".")
    if first in stop or first in _SOUNDS or re.match(_TS, name) or _HEADING.match(name):
        return None
    if len(words) > 1 and words[-1].casefold() in stop:
        return None
    return name.casefold()


def _candidate(index: int, item: SourceLine, stop: frozenset[str]) -> _Candidate | None:
    from qualcode.ingest.text import strip_leading_timestamp

    if item.bold_prefix is not None:
        label, rest = item.bold_prefix
        key = _valid_label(label, stop)
        return None if key is None else _Candidate(index, "markup", label, key, rest, None)
    stripped = item.text.strip()
    if not stripped or item.heading:
        return None
    line, ts = strip_leading_timestamp(stripped, strong_only=True)
    m = _PREFIX.match(line[:_HEAD])
    if m is None:
        return None
    if m.group("bare") is None:
        style, group = next((s, g) for s, g in _WRAPPED if m.group(g) is not None)
    else:
        group = "bare"
        style = "colon" if m.group("colon") else "dash" if m.group("dash") else "tab"
    label = m.group(group).strip()
    key = _valid_label(label, stop)
    if key is None:
        return None
    rest = line[m.end() :]
    if style in ("dash", "tab") and not rest.strip():
        return None  # `word -` / `word<TAB>` at a line end is not a label above its words
    return _Candidate(index, style, label, key, rest, ts)


_WRAPPED = (("bracket", "bracket"), ("paren", "paren"), ("bold", "boldlabel"))


def _shape(key: str) -> str:
    """`p3` -> `a9`, `speaker 12` -> `a 9`: labels of one series share a shape."""
    return _SHAPE_DIGITS.sub("9", _SHAPE_LETTERS.sub("a", key))


def infer_labels(
    lines: list[SourceLine], known: list[_Label | None], *, unit: str = "lines"
) -> Inference | None:
    """Labels for `lines` inferred from recurring prefixes, or None when the evidence is not
    there. `known` are the labels the known layouts found: inference replaces them only when
    there are none, or when it labels every line they label (with the same names) and more."""
    from qualcode.ingest.text import _Label

    stop = _stop_words()
    if any(f is not None for f in known) and not any(
        f is None and _candidate(i, item, stop) is not None
        for i, (item, f) in enumerate(zip(lines, known, strict=True))
        if item.speaker is None
    ):
        return None  # nothing the known layout left unlabelled could be a label
    total = 0
    by_style: dict[str, list[_Candidate]] = {}
    for i, item in enumerate(lines):
        if item.speaker is not None or (item.text.strip() and not item.heading):
            total += 1
        if item.speaker is not None:
            continue
        cand = _candidate(i, item, stop)
        if cand is not None:
            by_style.setdefault(cand.style, []).append(cand)
    if not by_style:
        return None

    best: tuple[list[_Candidate], list[_Candidate], str, int] | None = None
    for style, cands in by_style.items():
        counts = Counter(c.key for c in cands)
        vocab = {k for k, n in counts.items() if n >= 2}
        shapes = {_shape(k) for k in vocab}
        at = {c.index for c in cands}
        accepted: list[_Candidate] = []
        refused: list[_Candidate] = []
        for c in cands:
            if (
                c.key in vocab
                or _shape(c.key) in shapes
                and (any(ch.isdigit() for ch in c.key) or _alone_above_words(lines, c, at))
            ):
                accepted.append(c)
            else:
                refused.append(c)
        labels = {c.key for c in accepted}
        covered = len(accepted)
        switches = sum(1 for a, b in zip(accepted, accepted[1:], strict=False) if a.key != b.key)
        if not (MIN_LABELS <= len(labels) <= MAX_LABELS):
            continue
        if covered < max(MIN_LINES, MIN_COVERAGE * total):
            continue
        if switches < max(2, MIN_SWITCHES * (covered - 1)):
            continue
        if best is None or covered > len(best[0]):
            best = (accepted, refused, style, len(labels))
    if best is None:
        return None
    accepted, refused, style, n_labels = best

    known_at = {i: f for i, f in enumerate(known) if f is not None}
    if known_at:
        mine = {c.index: c.key for c in accepted}
        same = all(
            mine.get(i) == normalise_speaker(f.speaker).casefold() for i, f in known_at.items()
        )
        # The lines it adds must be a real share of the turns (a second label style, as in
        # `Interviewer:` beside `respondent:`), not a few continuation lines that happen to
        # open with a recurring `word:`.
        added = len(mine) - len(known_at)
        if not same or added < max(2, MIN_ADDED * len(mine)):
            return None
    found: list[_Label | None] = list(known)
    for c in accepted:
        if c.index not in known_at:
            found[c.index] = _Label(c.label, c.rest, c.start_time, True, "inferred")
    description = (
        f"inferred '{_TEMPLATES[style]}' ({n_labels} label{'s' if n_labels != 1 else ''}, "
        f"{len(accepted)} of {total} {unit})"
    )
    return Inference(found, description, [c.index for c in refused])


def _alone_above_words(lines: list[SourceLine], cand: _Candidate, labelled: set[int]) -> bool:
    """A label alone on its line with unlabelled words on the next non-empty line."""
    if cand.rest.strip():
        return False
    for j in range(cand.index + 1, min(len(lines), cand.index + 21)):
        if lines[j].text.strip():
            return j not in labelled and not lines[j].heading
    return False
