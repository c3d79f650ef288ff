"""What WebVTT and SubRip captions share: cues (timing + text) and the speaker inside a cue's text.

Both parsers (`vtt.py`, `srt.py`) split the file into `Cue`s with `split_cues`, then turn the cues
into `RawBlock`s with `cue_blocks`. The speaker of a cue is a WebVTT voice tag (`<v Name>`, Teams)
or a label at the start of a line (`Name: `, Zoom; `- Name:`, `[Name]`, `NAME:` in subtitles).

Everything here is linear in the input: lines are visited a constant number of times, the only
regexes run on bounded prefixes or cannot backtrack across `<`, so a 5 MB line returns at once.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field

from qualcode.errors import InputFormatError
from qualcode.ingest.blocks import RawBlock

CONTINUATION_CUE = "continuation-cue"

TIMING_HINT = "a cue timing looks like 00:01:02.345 --> 00:01:05.000 (hours are optional)"


@dataclass
class Cue:
    line: int  # 1-based line of the cue's id (or of its timing line when it has no id)
    start: float
    end: float
    text_lines: list[str] = field(default_factory=list)


# --- timings ------------------------------------------------------------------------------------
_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d{1,2})(?:[.,](\d+))?")


def parse_clock(value: str) -> float | None:
    """`01:02:03.456`, `02:03.456`, `125:03` or `00:00:01,000` as seconds (rounded to ms); None if
    not a clock."""
    m = _CLOCK.fullmatch(value.strip())
    if m is None:
        return None
    hours, minutes, seconds, frac = m.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    if frac:
        total += int(frac) / 10 ** len(frac)
    return round(float(total), 3)


def _parse_timing(line: str) -> tuple[float, float] | None:
    """The start and end of a timing line; whatever follows the end time (cue settings) is ignored."""
    left, _, right = line.partition("-->")
    right_parts = right.split(None, 1)
    if not right_parts:
        return None
    start = parse_clock(left)
    end = parse_clock(right_parts[0])
    if start is None or end is None:
        return None
    return start, end


# --- splitting a file into cues -----------------------------------------------------------------
def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (only CR, LF and CRLF end a line; not str.splitlines)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _is_index(line: str) -> bool:
    return line.isascii() and line.isdigit()


def split_cues(
    lines: list[str],
    source: str,
    *,
    first: int = 0,
    skip_keywords: tuple[str, ...] = (),
) -> tuple[list[Cue], list[str]]:
    """Cues from `lines[first:]`, plus warnings about text that sat outside any cue.

    A cue is an optional id line, a timing line with `-->`, then text lines up to a blank line.
    Tolerated: missing ids, extra blank lines, no blank line before a numeric id. Blocks that start
    with one of `skip_keywords` (WebVTT `NOTE`, `STYLE`, `REGION`) are skipped. Text outside any cue
    is joined to the cue before it (or dropped before the first cue), with a warning.
    """
    cues: list[Cue] = []
    joined: list[int] = []  # first line of each stray text block joined to the cue before it
    dropped: list[int] = []
    n = len(lines)
    i = first
    while i < n:
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        if skip_keywords and _starts_keyword(line, skip_keywords):
            while i < n and lines[i].strip():
                i += 1
            continue
        if "-->" in line:
            timing_at, cue_line = i, i + 1
        elif i + 1 < n and "-->" in lines[i + 1]:
            timing_at, cue_line = i + 1, i + 1  # line i is the cue id
        else:
            # Text outside a cue: up to a blank line, a timing line or the id line before one.
            start_line = i + 1
            stray: list[str] = []
            while i < n:
                here = lines[i].strip()
                if not here or "-->" in here or (i + 1 < n and "-->" in lines[i + 1]):
                    break
                stray.append(here)
                i += 1
            if cues:
                cues[-1].text_lines.extend(stray)
                joined.append(start_line)
            else:
                dropped.append(start_line)
            continue
        timing = lines[timing_at].strip()
        times = _parse_timing(timing)
        if times is None:
            raise InputFormatError(
                f"cue timing is not valid: {_shorten(timing)!r}",
                file=source,
                line=timing_at + 1,
                hint=TIMING_HINT,
            )
        cue = Cue(cue_line, times[0], times[1])
        i = timing_at + 1
        while i < n:
            here = lines[i].strip()
            if not here:
                break
            if "-->" in here and _parse_timing(here) is not None:
                break  # the next cue starts without a blank line
            if _is_index(here) and i + 1 < n and _parse_timing(lines[i + 1].strip()) is not None:
                break  # a numeric id of the next cue
            cue.text_lines.append(here)
            i += 1
        cues.append(cue)
    warnings: list[str] = []
    if dropped:
        warnings.append(
            f"text before the first cue was ignored (line {_line_list(dropped)}); "
            "only cue text is part of the transcript"
        )
    if joined:
        warnings.append(
            f"{_count(len(joined), 'text block')} without a cue timing joined to the cue before "
            f"(line {_line_list(joined)})"
        )
    return cues, warnings


def _starts_keyword(line: str, keywords: tuple[str, ...]) -> bool:
    for word in keywords:
        if line.startswith(word) and (len(line) == len(word) or line[len(word)] in " \t"):
            return True
    return False


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _line_list(lines: list[int]) -> str:
    """Every line: what is left out or moved is listed in full, never "and 3 more"."""
    return ", ".join(str(x) for x in lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# --- markup inside a cue ------------------------------------------------------------------------
# `[^<>]` cannot run past the next `<`, so a line full of stray `<` is still scanned once.
# Tags WebVTT and SubRip define (plus <font>, common in .srt) and timestamps are markup, not words;
# they go in one C-level pass. Unknown tags (`<crosstalk>`) are kept as the words they are.
# (Spelled-out case variants: re.IGNORECASE makes this pass several times slower.)
_MARKUP = re.compile(
    r"<(?:/?(?:[cibusCIBUS]|ruby|rt|lang|[fF][oO][nN][tT]|span)(?:[.\s][^<>]*)?|[\d:.]+)>"
)
_VOICE = re.compile(r"<(/?)v(?:[.\s]([^<>]*))?>")
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")  # `{\an8}` position codes in some .srt files
_SPACES = re.compile(r" {2,}")  # ASCII only: a no-break space in the text is kept
_TAB_NEWLINE = str.maketrans("\t\n", "  ")


@dataclass
class _Span:
    speaker: str | None
    text: str


def _markup_spans(text: str, *, entities: bool) -> tuple[list[_Span], bool]:
    """Split cue text at voice tags; strip the other tags. Returns the spans and whether any voice
    tag was seen. A voice span ends at `</v>`, at the next `<v>`, or at the end of the cue (the
    closing tag is optional)."""
    unescape = html.unescape if entities else str
    if "<" in text:
        text = _MARKUP.sub("", text)
    if "<v" not in text and "</v" not in text:
        return [_Span(None, unescape(text))], False
    spans: list[_Span] = []
    speaker: str | None = None
    saw_voice = False
    pos = 0
    for m in _VOICE.finditer(text):
        spans.append(_Span(speaker, unescape(text[pos : m.start()])))
        pos = m.end()
        if m.group(1):  # </v>
            speaker = None
            continue
        saw_voice = True
        name = m.group(2) or ""
        if text[m.start() + 2] == ".":  # `<v.loud Name>`: classes, then the name
            _classes, _, name = name.partition(" ")
        name = name.strip()
        speaker = unescape(name) or None
    spans.append(_Span(speaker, unescape(text[pos:])))
    return spans, saw_voice


def clean_text(text: str) -> str:
    """Caption lines are wrapped for the screen: join them with single spaces."""
    text = text.translate(_TAB_NEWLINE)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return text.strip(" ")


# --- speaker labels at the start of a line ------------------------------------------------------
_LABEL = re.compile(
    r"""(?:>>\s*|[-\u2013\u2014]\s*)?                      # a dialogue dash or caption chevrons
    (?:\[(?P<bracket>[^\[\]]{1,60})\]\s*:?                  # [Name]
      |(?P<name>[^\s:\[\]<>\-][^:]{0,59}?)\s*:(?=\s|$)     # Name:
    )[ \t]*""",
    re.VERBOSE,
)
_LABEL_WINDOW = 200  # labels are short; only this much of a line is looked at
_PARTICLES = frozenset(
    {"de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "van", "von", "y", "bin"}
    | {"ben", "al", "el", "st.", "mc"}
)
# Bracketed sounds are transcription notes, never speakers.
_SOUNDS = frozenset(
    {"laughter", "laughs", "laughing", "laugh", "music", "applause", "inaudible", "crosstalk"}
    | {"cross-talk", "silence", "noise", "pause", "paused", "cough", "coughs", "coughing"}
    | {"unintelligible", "foreign", "overlapping", "background", "indistinct", "sighs", "sigh"}
    | {"chuckles", "chuckle", "chuckling", "groans", "clears", "throat", "phone", "ringing"}
    | {"beep", "static", "sneezes", "crying", "cries", "whispers", "whispering", "unclear"}
)


def _label_candidate(line: str) -> tuple[str, str] | None:
    """(name, rest of the line) if the line starts like a speaker label; None otherwise."""
    m = _LABEL.match(line[:_LABEL_WINDOW])
    if m is None:
        return None
    bracket = m.group("bracket")
    name = (bracket if bracket is not None else m.group("name")).strip()
    if not name or len(name.split()) > 6 or any(ch in name for ch in "?!;<>{}"):
        return None
    if name.isdigit():
        return None
    if bracket is not None and any(w in _SOUNDS for w in re.split(r"[\s,]+", name.lower())):
        return None
    return name, line[m.end() :]


def _looks_like_name(name: str) -> bool:
    """`Dr. Lee (Facilitator)`, `P3`, `MARIA`, `Maria de la Cruz`, `iPhone (2)` (Zoom's name for
    an unnamed phone): capitalised words, at most 5."""
    words = name.split()
    if len(words) > 5:
        return False
    for word in words:
        first = word[0]
        if first.isupper() or first.isdigit() or first in "([\"'\u201c\u2018":
            continue
        if any(ch.isupper() for ch in word):  # `iPhone`, `deJesus`
            continue
        if word.lower() in _PARTICLES:
            continue
        return False
    return True


# --- cues -> blocks -----------------------------------------------------------------------------
@dataclass
class CueBlocks:
    blocks: list[RawBlock]
    continuation_cues: int  # cues whose text starts without a speaker


def cue_blocks(cues: list[Cue], *, entities: bool, ass_codes: bool = False) -> CueBlocks:
    """The blocks of all cues: one per voice span or per label; a cue without one is flagged.

    A `Name:` that is not capitalised like a name (`so the thing is: ...`) counts as a label only
    if the same name labels at least two lines of the file.
    """
    prepared: list[tuple[Cue, list[_Span], bool]] = []
    for cue in cues:
        text = "\n".join(cue.text_lines)
        if ass_codes:
            text = _ASS_OVERRIDE.sub("", text)
        spans, saw_voice = _markup_spans(text, entities=entities)
        if not saw_voice:  # a stray </v> may have split the text: one span again
            spans = [_Span(None, "".join(s.text for s in spans))]
        prepared.append((cue, spans, saw_voice))

    candidates: dict[tuple[int, int], tuple[str, str] | None] = {}
    seen: Counter[str] = Counter()
    for ci, (_cue, spans, saw_voice) in enumerate(prepared):
        if saw_voice:
            continue
        for li, line in enumerate(spans[0].text.split("\n")):
            cand = _label_candidate(line.strip(" \t"))
            candidates[ci, li] = cand
            if cand is not None:
                seen[cand[0]] += 1

    def accepted(cand: tuple[str, str] | None) -> bool:
        return cand is not None and (seen[cand[0]] >= 2 or _looks_like_name(cand[0]))

    blocks: list[RawBlock] = []
    continuation = 0
    for ci, (cue, spans, saw_voice) in enumerate(prepared):
        found: list[tuple[str | None, str]] = []
        if saw_voice:
            found = [(s.speaker, clean_text(s.text)) for s in spans]
        else:
            speaker: str | None = None
            buffer: list[str] = []
            for li, line in enumerate(spans[0].text.split("\n")):
                cand = candidates[ci, li]
                if accepted(cand):
                    found.append((speaker, clean_text(" ".join(buffer))))
                    speaker, buffer = cand[0], [cand[1]]  # type: ignore[index]
                else:
                    buffer.append(line)
            found.append((speaker, clean_text(" ".join(buffer))))
        found = [(who, text) for who, text in found if text]
        for k, (who, text) in enumerate(found):
            flags: tuple[str, ...] = ()
            if k == 0 and who is None:
                flags = (CONTINUATION_CUE,)
                continuation += 1
            blocks.append(RawBlock(who, text, cue.line, cue.start, cue.end, flags))
    return CueBlocks(blocks, continuation)


def require_speakers(result: CueBlocks, source: str, what: str) -> None:
    """A caption file in which no cue names a speaker cannot be split into speaker turns."""
    if result.blocks and all(b.speaker is None for b in result.blocks):
        raise InputFormatError(
            f"no speaker labels: no cue in this {what} file names who is speaking",
            file=source,
            hint="export the transcript with speaker names (e.g. 'Name: text'), "
            "or put it in a table with a speaker and a text column (.csv or .xlsx)",
        )


def no_cues_error(source: str, what: str) -> InputFormatError:
    return InputFormatError(
        f"no cues found in this {what} file",
        file=source,
        hint="a cue is a timing line like 00:00:01.000 --> 00:00:04.000 followed by its text",
    )


def continuation_warning(n: int) -> str:
    return (
        f"{_count(n, 'cue')} without a speaker name "
        f"{'continues' if n == 1 else 'continue'} the previous speaker"
    )
