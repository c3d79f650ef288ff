"""Plain-text transcripts: `Name: text`, `[Name] text`, `NAME:`, `Name (role):`, timestamps, notes.

A line is a turn label only if its label looks like a name: short (<= 60 characters before the colon),
at most a few capitalised words (name particles like "de", "van" allowed), optionally a role in
parentheses. "The thing is: ..." is text, not a speaker. Every pattern is anchored and only ever sees
the first `_HEAD` characters of a line, so a 5 MB single line is read in linear time.

Lines without a label continue the current turn; text before the first label is an unlabelled block
(the pipeline gives it to `Unknown Speaker`). Heading lines ("Question 3:", "Section 2 - Peer
support", "## Part B") and a title/metadata preamble are not turns: they are left out and noted.

The layouts of transcription services and QDA tools read here too:
- a time before or after the name: `Speaker 1 (00:00:05):` above the words (Rev, Temi),
  `Speaker 1: [00:00:05] text` (Sonix), `[00:00:12] Speaker 1: text` (Descript), `00:00:05 Name`
  or `[00:00:00.00] - Name` above the words (Word Transcribe, Trint, Happy Scribe), `[Name] 10:01:23`
  above the words (Zoom's .txt transcript), `10:01:23 From Name : text` (Zoom's saved captions);
- a time alone on its line times the next turn (Google Meet); `0:0:0.0 --> 0:0:4.5`, a name, the
  words (old Teams transcripts);
- f4/f5transkript and MAXQDA time marks `#00:01:23-4#` at paragraph ends: stripped, taken as end
  times (and as the next turn's start);
- `Name<TAB>text` lines, `00:01:02<TAB>Name<TAB>text`;
- names in capitals alone on a line above the words (screenplay layout), only when nothing else
  labels the file and some name comes back.
Each of these must recur in a file to count (`_RECURRING_STYLES`): one such line alone is text.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from qualcode.errors import InputFormatError
from qualcode.ingest.blocks import ParsedTranscript, RawBlock
from qualcode.ingest.turns import normalise_speaker

MAX_LABEL = 60  # characters of a speaker label (before the colon)
_HEAD = 200  # characters of a line any label pattern looks at
PATTERN_TIMEOUT = 10.0  # seconds a user --speaker-pattern may spend on one file

_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
# A leading timestamp: `[00:12:31]`, `(12:31)`, `00:12:31`, `00:12:31 - 00:12:40`, `[00:12:31.5]`.
_LEAD_TS = re.compile(
    rf"^[\[(]?(?P<ts>{_TS})[\])]?(?:[ \t]*(?:-->|[-\u2013\u2014])[ \t]*[\[(]?{_TS}[\])]?)?"
    r"(?:[ \t]*[|\-\u2013\u2014][ \t]*|[ \t]+|$)"
)
_STRONG_TS = re.compile(
    rf"^(?:[\[(]{_TS}[\])]|\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?)(?=\s|$)"
)
_BRACKET = re.compile(rf"^\[(?P<label>[^\[\]\n]{{1,{MAX_LABEL}}})\][ \t]*:?[ \t]*")
_COLON = re.compile(
    rf"^(?:\*\*|__)?(?P<label>[^:\n*]{{1,{MAX_LABEL}}}?)(?:\*\*|__)?[ \t]*[:\uff1a]"
    r"(?:\*\*|__)?(?=\s|$)[ \t]*"
)
# `Name 00:12:31: text`, `Name [00:12]: text`, `Name (Facilitator) (00:01:02) text`
_LABEL_TS = re.compile(
    rf"^(?P<label>[^:\n\[\]]{{1,{MAX_LABEL}}}?)[ \t]+[\[(]?(?P<ts>{_TS})[\])]?[ \t]*:?(?=\s|$)[ \t]*"
)
_PAREN = re.compile(r"^(?P<name>[^()]+?)[ \t]*(?:\((?P<paren>[^()]{1,40})\))?$")
_WORD = re.compile(r"^#?\w[\w.'\-/]*$")

# Zoom's saved closed captions and chat: `10:01:23 From Jane Doe : text`, `... From Jane to Everyone:`.
_ZOOM_FROM = re.compile(
    rf"^From[ \t]+(?P<label>[^:\n]{{1,{MAX_LABEL}}}?)"
    rf"(?:[ \t]+to[ \t]+[^:\n]{{1,{MAX_LABEL}}}?)?[ \t]*:(?=\s|$)[ \t]*"
)
# A time right after a label, `Speaker 1: [00:00:05] text` (Sonix, Rev): brackets only, so
# `P1: 10:30 we arrived` keeps its words.
_BRACKETED_TS = re.compile(rf"^[\[(](?P<ts>{_TS})[\])][ \t]*")
_ONLY_TS = re.compile(rf"^[\[(]?(?P<ts>{_TS})[\])]?$")
# f4/f5transkript and MAXQDA time marks, `#00:01:23-4#` (tenths after the dash), at paragraph ends.
_TIME_MARK = re.compile(r"[ \t]*#(?P<ts>\d{1,2}:\d{2}:\d{2}(?:[-.,]\d{1,3})?)#")
# A caption timing alone on its line (old Teams .docx/.txt transcripts: `0:0:0.0 --> 0:0:4.500`).
_CLOCK_LOOSE = r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?"
_CUE_TIMING = re.compile(rf"^(?P<a>{_CLOCK_LOOSE})[ \t]*-->[ \t]*(?P<b>{_CLOCK_LOOSE})$")
# Tab-separated lines: `Name<TAB>text` or `00:01:02<TAB>Name<TAB>text`.
_TAB_TS = re.compile(rf"^[\[(]?(?P<ts>{_TS})[\])]?$")
# Styles that only count when the file uses them again and again (one such line alone is text):
# a bare `00:00:05 Name` header, a `Name<TAB>text` line, a Zoom `From Name :` line, a name in
# capitals alone on its line (screenplay layout), a name under a caption timing.
_RECURRING_STYLES = frozenset({"header", "tab", "from", "caps", "cue-name"})

_HEADING = re.compile(
    r"^(?:#{1,6}\s+\S"
    r"|(?:question|q|section|part|topic|theme|module|block|prompt|item|activity|exercise|task)"
    r"[ \t]*#?[ \t]*\d+[a-z]?(?:\.\d+)*(?=$|[ \t]*[.:)\-\u2013\u2014])"
    r"|(?:question|q|section|topic)[ \t]*#?[ \t]*\d+[a-z]?[ \t])",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^[-=*_~#.\u2013\u2014 ]{3,}$")
_METADATA = re.compile(
    r"^(?:date|time|start time|end time|location|place|venue|setting|duration|length|site|group"
    r"|focus group|session|project|study|title|transcript|transcriber|transcribed by|transcription"
    r"|recorded|recording|recording date|audio|audio file|file|file name|participants|present"
    r"|attendees|facilitators|moderators|note[- ]?taker|observers?|language|version|keywords"
    r"|summary|speakers)[ \t]*:",
    re.IGNORECASE,
)

# Bracketed transcriber notes, kept in the text: `[crosstalk]`, `[Inaudible 00:12:31]`, `[laughs]`.
_NOTES = frozenset(
    [
        "crosstalk",
        "inaudible",
        "laughter",
        "laughs",
        "laughing",
        "pause",
        "silence",
        "unintelligible",
        "overlapping",
        "overlap",
        "noise",
        "music",
        "applause",
        "indiscernible",
        "unclear",
        "cough",
        "coughs",
        "coughing",
        "sighs",
        "sigh",
        "sic",
        "redacted",
        "name",
        "interruption",
        "interrupted",
        "break",
        "inaudible.",
        "crosstalk.",
        "phone",
        "background",
        "end",
        "start",
        "beep",
    ]
)
_PARTICLES = frozenset(
    [
        "de",
        "da",
        "del",
        "della",
        "der",
        "den",
        "di",
        "do",
        "dos",
        "das",
        "du",
        "la",
        "le",
        "van",
        "von",
        "ten",
        "ter",
        "bin",
        "binti",
        "ibn",
        "al",
        "el",
        "y",
        "e",
    ]
)
# Words that open sentences or document lines, not names: a label of these is text.
_FUNCTION_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "my",
        "our",
        "your",
        "their",
        "his",
        "her",
        "we",
        "they",
        "he",
        "she",
        "you",
        "what",
        "why",
        "how",
        "when",
        "where",
        "which",
        "who",
        "if",
        "so",
        "and",
        "but",
        "or",
        "because",
        "then",
        "also",
        "one",
        "some",
        "all",
        "there",
        "here",
        "in",
        "on",
        "at",
        "for",
        "to",
        "of",
        "as",
        "with",
        "from",
        "by",
        "about",
        "after",
        "before",
        "just",
        "only",
        "not",
        "no",
        "yes",
        "well",
        "now",
        "first",
        "second",
    ]
)
_NOT_NAMES = frozenset(
    [
        "note",
        "notes",
        "nb",
        "ps",
        "re",
        "example",
        "examples",
        "e.g",
        "answer",
        "answers",
        "response",
        "question",
        "reply",
        "summary",
        "update",
        "result",
        "results",
        "reason",
        "reasons",
        "problem",
        "problems",
        "point",
        "points",
        "thing",
        "things",
        "truth",
        "fact",
        "honestly",
        "basically",
        "actually",
        "seriously",
        "anyway",
        "however",
        "therefore",
        "also",
        "then",
        "first",
        "second",
        "third",
        "finally",
        "lastly",
        "yes",
        "no",
        "yeah",
        "okay",
        "ok",
        "well",
        "so",
        "and",
        "but",
        "because",
        "like",
        "look",
        "listen",
        "remember",
        "true",
        "false",
        "important",
        "warning",
        "caution",
        "tip",
        "hint",
        "edit",
        "source",
        "quote",
        "definition",
        "meaning",
        "context",
        "background",
        "conclusion",
        "conclusions",
        "comment",
        "comments",
        "feedback",
        "observation",
        "observations",
        "aside",
        "correction",
        "interesting",
        "plus",
        "minus",
        "total",
        "bottom",
        "moral",
        "lesson",
        "lessons",
        "advice",
        "goal",
        "goals",
        "aim",
        "aims",
        "purpose",
        "method",
        "methods",
        "note-taker",
        "transcript",
        "date",
        "time",
        "location",
        "duration",
        "title",
        "keywords",
        "speakers",
        "participants",
        "present",
        "agenda",
        "topic",
        "section",
        "part",
        "http",
        "https",
        "www",
        "mailto",
    ]
)
_STRONG_WORDS = re.compile(
    r"^(?:co-?)?(?:facilitator|moderator|interviewer|interviewee|participant|respondent|speaker"
    r"|researcher|unknown|unidentified|dr|mr|mrs|ms|prof)\b",
    re.IGNORECASE,
)


class NoSpeakerLabelsError(InputFormatError):
    """A text file in which no line carries a recognisable speaker label."""


@dataclass
class SourceLine:
    """One line (or Word paragraph) handed to the shared line engine."""

    line: int
    text: str
    speaker: str | None = None  # a label found by markup (a bold run in Word), trusted as is
    heading: bool = False  # a heading by markup (a Word heading style)
    # (bold text, the rest) when a Word paragraph opens with bold text that is no known label
    # (`interviewer:` in lower case): label inference weighs it.
    bold_prefix: tuple[str, str] | None = None


@dataclass
class _Label:
    speaker: str
    text: str
    start_time: float | None
    strong: bool
    style: str  # "colon" | "bracket" | "pattern" | "markup" | one of _RECURRING_STYLES
    end_time: float | None = None


def parse_timestamp(value: str) -> float:
    """`1:02:03.5` -> 3723.5 seconds; `12:31` is minutes:seconds."""
    value = value.replace(",", ".")
    parts = value.split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2]) if len(parts) >= 2 else 0
    hours = int(parts[-3]) if len(parts) >= 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def strip_leading_timestamp(line: str, *, strong_only: bool = False) -> tuple[str, float | None]:
    """Remove a leading timestamp; returns the rest of the line and the time in seconds."""
    head = line[:_HEAD]
    if strong_only and not _STRONG_TS.match(head):
        return line, None
    m = _LEAD_TS.match(head)
    if not m:
        return line, None
    return line[m.end() :], parse_timestamp(m.group("ts"))


@lru_cache(maxsize=16384)
def label_strength(label: str) -> bool | None:
    """None if `label` does not look like a speaker name; else whether it is strongly name-like
    (a digit, a role in parentheses, several words, ALL CAPS, a title, or a role word)."""
    name = normalise_speaker(label).strip("*_ ")
    if not name or len(name) > MAX_LABEL:
        return None
    if name.count(",") == 1 and "(" not in name:
        return _last_first_strength(name)
    m = _PAREN.match(name)
    if not m:
        return None
    core = m.group("name").strip()
    words = core.split()
    if not words or len(words) > 6:
        return None
    if not core[0].isalpha() or core[0].islower():  # caseless scripts (CJK, Arabic) pass
        return None
    if core.isdigit():
        return None
    for i, word in enumerate(words):
        if not _WORD.match(word):
            return None
        # `iPhone`, `deJesus`: a capital inside the word (Zoom names devices "Ramon's iPhone")
        capital = not word[0].islower() or any(ch.isupper() for ch in word[1:])
        if i and not capital and word.casefold() not in _PARTICLES:
            return None
    first = words[0].casefold().rstrip(".")
    if len(words) > 1 and first in _FUNCTION_WORDS:
        return None
    if len(words) == 1 and first in _NOT_NAMES:
        return None
    if _HEADING.match(name):
        return None
    return bool(
        m.group("paren")
        or any(ch.isdigit() for ch in core)
        or len(words) >= 2
        or (core.isupper() and (len(core) >= 2 or core in {"I", "R", "Q", "A", "P"}))
        or _STRONG_WORDS.match(core)
    )


# Words that open a sentence with a comma ("Sure, Tom: ..."), never the surname of "Last, First".
_COMMA_OPENERS = frozenset(
    ["sure", "right", "fine", "oh", "ah", "um", "uh", "hey", "hi", "hello", "thanks", "thank"]
    + ["please", "sorry", "good", "great", "alright", "wait", "see", "again", "dear", "guys"]
    + ["everyone", "folks", "friends", "doctor", "doc", "mate", "sir", "madam", "mom", "mum"]
    + ["dad", "hmm", "wow", "ok", "okay", "yes", "no", "yeah", "well", "so", "now", "then"]
)


def _last_first_strength(name: str) -> bool | None:
    """`Vega, Marisol` (rosters and Teams write "Last, First"): each side a name, the first
    side not a word that opens a sentence ("Well, Anna: ..." is speech)."""
    last, first = (part.strip() for part in name.split(","))
    if not last or not first or last.split()[0].casefold() in _COMMA_OPENERS:
        return None
    if len(last.split()) + len(first.split()) > 5 or last.split()[0] in _FUNCTION_WORDS:
        return None
    if label_strength(last) is None or label_strength(first) is None:
        return None
    return True


def _is_note(content: str) -> bool:
    """`[laughter]`, `[inaudible 00:12:31]`, `[sounds of traffic]`: a transcriber's note. A
    caseless script (`[李]`) has no lower case to tell a note by: only the words above count."""
    key = normalise_speaker(content).casefold()
    first = key.split()[0] if key.split() else ""
    return content[:1].islower() or first.rstrip(".:,") in _NOTES or bool(re.match(_TS, key))


def find_label(line: str) -> _Label | None:
    """The speaker label at the start of `line` (after an optional timestamp), if any."""
    if "\t" in line[:_HEAD]:
        tabbed = _tab_label(line)
        if tabbed is not None:
            return tabbed
    rest, ts = strip_leading_timestamp(line)
    head = rest[:_HEAD]
    label = _inline_label(rest, head, ts)
    if label is None and ts is not None:
        label = _after_timestamp_label(rest, head, ts)
    if label is not None:
        _take_time_after_label(label)
    return label


def _inline_label(rest: str, head: str, ts: float | None) -> _Label | None:
    """`[Name] text`, `Name: text`, `Name 00:12:31: text`."""
    m = _BRACKET.match(head)
    if m:
        content = m.group("label").strip()
        if _is_note(content):
            return None
        strong = label_strength(content)
        if strong is None:
            return None
        return _Label(content, rest[m.end() :], ts, True, "bracket")
    m = _COLON.match(head)
    if m:
        label = m.group("label").strip()
        strong = label_strength(label) if "\t" not in label else None
        if strong is not None:
            return _Label(label, rest[m.end() :], ts, strong, "colon")
    m = _LABEL_TS.match(head)
    if m:
        label = m.group("label").strip()
        strong = label_strength(label) if "\t" not in label else None
        if strong is not None:
            start = parse_timestamp(m.group("ts"))
            return _Label(label, rest[m.end() :], ts if ts is not None else start, strong, "colon")
    return None


def _after_timestamp_label(rest: str, head: str, ts: float) -> _Label | None:
    """After a leading time: Zoom's `From Name : text`, or a bare `Name` header whose words follow
    on the next lines (`00:00:05 Speaker 1`: Word's Transcribe, Happy Scribe, Trint)."""
    m = _ZOOM_FROM.match(head)
    if m:
        label = m.group("label").strip()
        if label_strength(label) is not None:
            return _Label(label, rest[m.end() :], ts, True, "from")
        return None
    bare = rest.strip()
    if not bare or len(bare) > MAX_LABEL or bare[-1] in ".?!,;:\u2026":
        return None
    strong = label_strength(bare)
    if strong is None:
        return None
    return _Label(bare, "", ts, strong, "header")


def _tab_label(line: str) -> _Label | None:
    """`Name<TAB>text` or `00:01:02<TAB>[00:01:09<TAB>]Name<TAB>text` (a table saved as text)."""
    cells = [c.strip() for c in line.split("\t")]
    cells = [c for c in cells if c]
    times: list[float] = []
    while cells and len(times) < 2 and _TAB_TS.match(cells[0]):
        times.append(parse_timestamp(_TAB_TS.match(cells[0]).group("ts")))
        cells = cells[1:]
    if len(cells) < 2 or cells[0].endswith((":", "\uff1a")):
        return None  # `Name:<TAB>text` is a colon label
    strong = label_strength(cells[0])
    if strong is None:
        return None
    start = times[0] if times else None
    end = times[1] if len(times) > 1 else None
    return _Label(cells[0], " ".join(cells[1:]), start, strong, "tab", end)


def _take_time_after_label(label: _Label) -> None:
    """A time written right after the label is the turn's start, not its words:
    `Speaker 1: [00:00:05] text` (Sonix), `[Jane Doe] 10:01:23` with the words below (Zoom)."""
    text = label.text.strip()
    if not text or not (text[0].isdigit() or text[0] in "[("):
        return
    m = _ONLY_TS.match(text[:_HEAD])
    if m and (text[0] in "[(" or text.count(":") >= 2 or label.style == "bracket"):
        label.text = ""
    else:
        m = _BRACKETED_TS.match(text[:_HEAD])
        if not m:
            return
        label.text = text[m.end() :]
    if label.start_time is None:
        label.start_time = parse_timestamp(m.group("ts"))


def _alone_label(text: str, following: str, after_timing: bool) -> _Label | None:
    """A name alone on its line (`text`) with the words on the next non-empty line (`following`):
    under a caption timing (old Teams transcripts: timing, `Lee, Jordan`, text) or in capitals
    (`MODERATOR`, screenplay layout)."""
    if not text or len(text) > MAX_LABEL or ":" in text or text[-1] in "?!,;\u2026":
        return None
    if not following or not (after_timing or text.isupper()):
        return None
    if after_timing:
        # "Last, First" is how Teams writes many names; each part must read as a name.
        parts = [p.strip() for p in text.split(",")] if text.count(",") == 1 else [text]
        strengths = [label_strength(p) for p in parts]
        if any(x is None for x in strengths):
            return None
        return _Label(text, "", None, True, "cue-name")
    letters = [ch for ch in text if ch.isalpha()]
    if not letters or not text.isupper() or len(text.split()) > 4 or text.endswith("."):
        return None
    if following.isupper() and ":" not in following:
        return None  # a run of capitals is a heading block, not a name and its words
    strong = label_strength(text)
    if strong is None:
        return None
    return _Label(text, "", None, strong, "caps")


def compile_speaker_pattern(pattern: str):
    """A user's speaker regex, compiled with the `regex` module; must have a `speaker` group."""
    import regex

    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        raise InputFormatError(
            f"invalid speaker pattern {pattern!r}: {exc}",
            hint=r"example: '^(?P<speaker>[A-Z][\w .]+?):\s*(?P<text>.*)$'",
        ) from exc
    if "speaker" not in compiled.groupindex:
        raise InputFormatError(
            f"speaker pattern {pattern!r} has no (?P<speaker>...) group",
            hint=r"name the label part, e.g. '^(?P<speaker>[A-Z][\w .]+?):\s*(?P<text>.*)$'",
        )
    return compiled


class _PatternMatcher:
    """Runs a user pattern over lines with a total time budget per file (no hang on bad regexes)."""

    def __init__(self, pattern: str, source: str, timeout: float = PATTERN_TIMEOUT) -> None:
        self.regex = compile_speaker_pattern(pattern)
        self.pattern = pattern
        self.source = source
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.has_text = "text" in self.regex.groupindex
        self.has_time = "time" in self.regex.groupindex

    def __call__(self, line: str, lineno: int) -> _Label | None:
        remaining = self.deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            m = self.regex.match(line, timeout=remaining)
        except TimeoutError as exc:
            raise InputFormatError(
                f"speaker pattern took longer than {self.timeout:g} s (reached line {lineno})",
                file=self.source,
                line=lineno,
                hint="simplify the pattern: anchor it with ^ and avoid nested repeats like (a+)+",
            ) from exc
        if not m or not (m.group("speaker") or "").strip():
            return None
        text = m.group("text") if self.has_text else None
        if text is None:
            text = line[m.end() :]
        start = None
        if self.has_time and m.group("time"):
            try:
                start = parse_timestamp(m.group("time").strip("[]() "))
            except ValueError:
                start = None
        return _Label(m.group("speaker").strip(), text.strip(), start, True, "pattern")


def _is_heading(text: str, *, in_turn: bool = False) -> bool:
    """`Question 3:`, `Section 2 - Peer support`, `-----`; a `## Part B` only before the first
    turn: inside a turn a line starting with `#` is speech ("# 1 reason is the trust we built")."""
    head = text[:_HEAD]
    if _SEPARATOR.match(head):
        return True
    if in_turn and head.startswith("#"):
        return False
    return bool(_HEADING.match(head))


# Words of speech, not of titles: a short unpunctuated line before the first label with one of
# these ("Never again", "Yeah", "I don't know") is a participant's words, kept as a turn.
_SPEECH_WORDS = frozenset(
    ["i", "you", "we", "they", "he", "she", "it", "me", "us", "them", "my", "your", "our", "his"]
    + ["no", "not", "never", "nothing", "again", "yeah", "yes", "yep", "yup", "ok", "okay", "mm"]
    + ["mhm", "mm-hmm", "mmhmm", "uh-huh", "hmm", "um", "uh", "oh", "ah", "wow", "right", "sure"]
    + ["exactly", "absolutely", "totally", "definitely", "agreed", "same", "thanks", "sorry"]
    + ["is", "was", "are", "were", "be", "been", "do", "did", "does", "have", "had", "has"]
    + ["think", "know", "mean", "guess", "like", "said", "say", "go", "went", "got", "get"]
    + ["just", "really", "so", "well", "because", "but", "maybe", "all", "too", "true", "hi"]
    + ["hello", "bye", "please", "thank", "wait", "what", "why", "how", "who"]
)


def _is_preamble_heading(text: str) -> bool:
    """Title or metadata before the first turn: `Date: ...`, a heading, or a short unpunctuated
    line without a word of speech ("Focus group 3", "Attendees", "Café study"). Anything else
    there is speech whose speaker was not written ("Never again", "Yeah"): it is kept."""
    sentence = text.rstrip().endswith((".", "?", "!", '"', "\u201d", "\u2026"))
    if text.startswith("#") and sentence and not _SEPARATOR.match(text[:_HEAD]):
        return False  # "# 1 reason is the trust we built." is said, not a markdown title
    if _is_heading(text) or _METADATA.match(text[:_HEAD]):
        return True
    text = text.strip()
    if len(text) > 80 or sentence:
        return False
    words = {w.strip("()[],;:!?.\"'").casefold().replace("\u2019", "'") for w in text.split()}
    return not any(w in _SPEECH_WORDS or "'" in w for w in words)


# Words of a speaker, not of a title page ("Present were the facilitator and two nurses").
_FIRST_PERSON = frozenset(
    ["i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine", "we", "we're", "we've", "us", "our"]
    + ["you", "you're", "your", "yeah", "yep", "mm-hmm", "uh-huh", "okay", "ok"]
)


def _first_person(text: str) -> bool:
    return any(
        w.strip("()[],;:!?.\"'").casefold().replace("\u2019", "'") in _FIRST_PERSON
        for w in text[:_HEAD].split()
    )


def parse_lines(
    lines: list[SourceLine],
    source: str,
    *,
    fmt: str = "text",
    speaker_pattern: str | None = None,
    pattern_timeout: float = PATTERN_TIMEOUT,
    leading_notes: bool = False,
) -> ParsedTranscript:
    """The shared engine for line-based layouts (plain text and Word paragraphs).

    With `leading_notes` an unlabelled line before the first label is a header note (left out
    and listed in the warnings), not an `Unknown Speaker` turn: Word transcripts open with a title
    page ("17 November 2021. Transcribed from the audio recording.") far more often than with
    speech whose speaker was not written down. A title page is written about the session, speech
    in the first or second person: a line with "I", "we", "you" ... is kept as speech.
    """
    matcher = _PatternMatcher(speaker_pattern, source, pattern_timeout) if speaker_pattern else None

    # Pass 1: find candidate labels; the file-level vote below needs them all.
    found: list[_Label | None] = []
    capitals: list[int] = []  # lines in capitals that may be names alone (screenplay layout)
    after_timing = False
    for i, item in enumerate(lines):
        stripped = item.text.strip()
        label: _Label | None
        if item.speaker is not None:
            label = _Label(item.speaker, stripped, None, True, "markup")
            _take_time_after_label(label)
        elif item.heading or not stripped:
            label = None
        elif matcher is not None:
            label = matcher(stripped, item.line)
        else:
            label = find_label(stripped)
            timing = stripped[0].isdigit() and _CUE_TIMING.match(stripped[:_HEAD]) is not None
            if label is None and after_timing:
                label = _alone_label(stripped, _following(lines, i), True)
            elif label is None and not timing and stripped.isupper():
                capitals.append(i)
            after_timing = timing
        found.append(label)

    # Names in capitals alone on a line are weighed only if one of those lines comes back (a
    # speaker talks twice): a file of unique capitals lines is not parsed for names at all.
    if capitals and max(Counter(lines[i].text.strip() for i in capitals).values()) >= 2:
        for i in capitals:
            found[i] = _alone_label(lines[i].text.strip(), _following(lines, i), False)

    refused: list[int] = []
    layout: str | None = None
    if matcher is None:
        _vote_styles(found)
        refused = _vote(found, lines)
        from qualcode.ingest.infer import infer_labels

        inferred = infer_labels(lines, found, unit="paragraphs" if fmt == "docx" else "lines")
        if inferred is not None:
            found, layout = inferred.found, inferred.description
            refused = sorted(set(refused) | set(inferred.refused))
        else:
            layout = _known_layout(found)
    else:
        layout = f"speaker pattern {speaker_pattern!r}"

    blocks: list[RawBlock] = []
    warnings: list[str] = []
    headings: list[str] = []
    empty: list[str] = []
    current: tuple[str | None, int, float | None] | None = None
    current_end: float | None = None
    parts: list[str] = []
    pending_time: float | None = None
    pending_end: float | None = None
    last_mark: float | None = None  # the latest `#00:01:23-4#` time mark (f4, MAXQDA)
    seen_label = False

    def flush() -> None:
        if current is None:
            return
        speaker, lineno, start = current
        body = "\n".join(parts).strip("\n")
        if body.strip():
            blocks.append(
                RawBlock(
                    speaker=speaker, text=body, line=lineno, start_time=start, end_time=current_end
                )
            )
        elif speaker is not None:
            empty.append(f"line {lineno} ({normalise_speaker(speaker)})")

    def strip_marks(text: str) -> str:
        """Time marks are not words: strip them; the last one ends the current block."""
        nonlocal current_end, last_mark
        if "#" not in text:
            return text
        marks = list(_TIME_MARK.finditer(text))
        if not marks:
            return text
        current_end = last_mark = parse_timestamp(marks[-1].group("ts").replace("-", "."))
        return _TIME_MARK.sub("", text).strip()

    for item, label in zip(lines, found, strict=True):
        stripped = item.text.strip()
        if label is not None:
            flush()
            seen_label = True
            start = label.start_time if label.start_time is not None else pending_time
            if start is None:
                start = last_mark  # f4/MAXQDA: a turn starts where the previous mark ended
            current_end = label.end_time if label.end_time is not None else pending_end
            pending_time = pending_end = None
            current = (label.speaker, item.line, start)
            text = strip_marks(label.text.strip()) if current is not None else ""
            parts = [text] if text else []
            continue
        if not stripped:
            continue
        timing = _CUE_TIMING.match(stripped[:_HEAD]) if stripped[0].isdigit() else None
        if timing is not None:
            pending_time = parse_timestamp(timing.group("a"))
            pending_end = parse_timestamp(timing.group("b"))
            continue
        alone, ts = strip_leading_timestamp(stripped)
        if ts is not None and not alone.strip():
            pending_time = ts  # a timestamp alone on its line times the next turn
            continue
        if item.heading or (
            _is_preamble_heading(stripped)
            if not seen_label
            else _is_heading(stripped, in_turn=True)
        ):
            headings.append(f"line {item.line} {_shorten(stripped, _HEAD)!r}")
            continue
        if leading_notes and not seen_label and not _first_person(stripped):
            headings.append(f"line {item.line} {_shorten(stripped, _HEAD)!r}")
            continue
        rest, ts = strip_leading_timestamp(stripped, strong_only=True)
        rest = strip_marks(rest.strip())
        if not rest:
            continue
        if current is None:
            current = (None, item.line, ts)
            parts = []
        parts.append(rest)
    flush()

    if not any(b.speaker is not None for b in blocks):
        if matcher is not None:
            raise NoSpeakerLabelsError(
                f"no line matches the speaker pattern {speaker_pattern!r}",
                file=source,
                hint="the pattern must match at the start of each labelled line",
            )
        raise NoSpeakerLabelsError(
            "no speaker labels found",
            file=source,
            hint="label turns like 'Name: text' or '[Name] text', or give the format or a "
            "speaker pattern",
        )
    if headings:
        warnings.append(_listing("ignored heading/title line", headings))
    if refused:
        warnings.append(
            _listing(
                "line that looks like a speaker label, read as speech",
                [f"line {lines[i].line} {_shorten(lines[i].text.strip())!r}" for i in refused],
            )
        )
    if empty:
        warnings.append(_listing("dropped empty turn", empty))
    return ParsedTranscript(format=fmt, blocks=blocks, warnings=warnings, layout=layout)


_LAYOUTS = {
    "colon": "'Name: text'",
    "bracket": "'[Name] text'",
    "markup": "bold names",
    "tab": "'Name<TAB>text'",
    "header": "'00:00:05 Name' above the words",
    "from": "Zoom captions '10:01:23 From Name : text'",
    "caps": "names in capitals above the words",
    "cue-name": "caption timing, name, words",
}


def _known_layout(found: list[_Label | None]) -> str | None:
    """The known layout that labels most lines, for the summary and --preview."""
    styles = Counter(f.style for f in found if f is not None)
    if not styles:
        return None
    style, _n = styles.most_common(1)[0]
    return f"detected {_LAYOUTS.get(style, style)}"


def _following(lines: list[SourceLine], i: int, window: int = 20) -> str:
    """The next non-empty line after line `i` (within a few lines), or ""."""
    for item in lines[i + 1 : i + 1 + window]:
        if item.text.strip():
            return item.text.strip()
    return ""


def _vote_styles(found: list[_Label | None]) -> None:
    """Layouts that read as text one line at a time count only when the file keeps to them: a
    style of `_RECURRING_STYLES` needs two lines, and a weak bare header its name twice. Names in
    capitals alone are a last resort: used only when nothing else labels the file and at least one
    of them comes back (a speaker talks twice; a heading does not)."""
    styles = Counter(f.style for f in found if f is not None)
    if not _RECURRING_STYLES.intersection(styles):
        return
    names = Counter(
        (f.style, normalise_speaker(f.speaker).casefold()) for f in found if f is not None
    )
    for i, f in enumerate(found):
        if f is None or f.style not in _RECURRING_STYLES:
            continue
        once = names[f.style, normalise_speaker(f.speaker).casefold()] < 2
        if styles[f.style] < 2 or (f.style == "header" and once and not f.strong):
            found[i] = None
    caps = [normalise_speaker(f.speaker) for f in found if f is not None and f.style == "caps"]
    if caps and (
        len(set(caps)) == len(caps) or any(f is not None and f.style != "caps" for f in found)
    ):
        for i, f in enumerate(found):
            if f is not None and f.style == "caps":
                found[i] = None


def _vote(found: list[_Label | None], lines: list[SourceLine]) -> list[int]:
    """File-level vote: a weak one-off label (one capitalised word seen once) that breaks the
    file's labelling style is text, not a speaker ("Honestly: ..." in a file of `NAME:` labels).
    A label alone on its line with speech below it is a label however often it occurs (`Miguel:`
    above his words). Returns the indexes of the labels voted down (they are warned about)."""

    counts = Counter(normalise_speaker(f.speaker).casefold() for f in found if f is not None)
    recurring = [
        f for f in found if f is not None and counts[normalise_speaker(f.speaker).casefold()] >= 2
    ]
    if not recurring:
        return []
    all_caps = all(normalise_speaker(f.speaker).isupper() for f in recurring)
    styles = {f.style for f in recurring}
    refused: list[int] = []
    for i, f in enumerate(found):
        if f is None or f.strong or counts[normalise_speaker(f.speaker).casefold()] >= 2:
            continue
        if f.style == "colon" and not f.text.strip() and _speech_follows(found, lines, i):
            continue
        if (all_caps and not f.speaker.isupper()) or f.style not in styles:
            found[i] = None
            refused.append(i)
    return refused


def _speech_follows(found: list[_Label | None], lines: list[SourceLine], i: int) -> bool:
    """The next non-empty line after line `i` is unlabelled text (the words of the label at i)."""
    for j in range(i + 1, min(len(lines), i + 21)):
        if lines[j].text.strip():
            return found[j] is None and not lines[j].heading
    return False


def _shorten(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _listing(what: str, items: list[str]) -> str:
    """Every item: what is left out of the transcript is shown in full, never "and 3 more"."""
    n = len(items)
    return f"{what}{'s' if n != 1 else ''} ({n}): {'; '.join(items)}"


def parse_text(
    text: str,
    source: str,
    *,
    speaker_pattern: str | None = None,
    pattern_timeout: float = PATTERN_TIMEOUT,
) -> ParsedTranscript:
    """A plain-text transcript (already decoded, LF line ends) -> labelled blocks."""
    lines = [SourceLine(i, line) for i, line in enumerate(text.split("\n"), start=1)]
    return parse_lines(
        lines, source, fmt="text", speaker_pattern=speaker_pattern, pattern_timeout=pattern_timeout
    )
