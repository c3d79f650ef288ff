"""WebVTT transcripts from Zoom and Microsoft Teams.

Zoom writes the speaker as a `Name: ` prefix inside the cue text and omits it on cues that continue
the same speaker; Teams wraps each utterance in a voice tag, `<v Name>text</v>`. Both are read here:
a cue's voice tags win, otherwise a leading label, otherwise the cue continues the previous speaker
(flagged `continuation-cue` and counted in a warning). `NOTE`, `STYLE` and `REGION` blocks are
skipped; markup tags are stripped and HTML entities decoded.
"""

from __future__ import annotations

from qualcode.errors import InputFormatError
from qualcode.ingest.blocks import ParsedTranscript
from qualcode.ingest.cues import (
    continuation_warning,
    cue_blocks,
    no_cues_error,
    require_speakers,
    split_cues,
    split_lines,
)

_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


def parse_vtt(text: str, source: str) -> ParsedTranscript:
    """Parse a WebVTT file's text into speaker blocks (line = where the cue starts; times in s)."""
    lines = split_lines(text)
    first = _after_header(lines, source)
    cues, warnings = split_cues(lines, source, first=first, skip_keywords=_SKIPPED_BLOCKS)
    if not cues:
        raise no_cues_error(source, "WebVTT")
    result = cue_blocks(cues, entities=True)
    require_speakers(result, source, "WebVTT")
    if result.continuation_cues:
        warnings.append(continuation_warning(result.continuation_cues))
    return ParsedTranscript("vtt", result.blocks, warnings, joiner=" ")


def _after_header(lines: list[str], source: str) -> int:
    """Index of the first line after the `WEBVTT` header block (blank lines before it tolerated)."""
    at = 0
    while at < len(lines) and not lines[at].strip():
        at += 1
    head = lines[at].strip() if at < len(lines) else ""
    if not (head.startswith("WEBVTT") and (len(head) == 6 or head[6] in " \t")):
        raise InputFormatError(
            "not a WebVTT file: the first line is not 'WEBVTT'",
            file=source,
            line=min(at, len(lines) - 1) + 1,
            hint="a .vtt transcript starts with the line WEBVTT; export it again from Zoom or "
            "Teams, or give the file its real extension (.srt, .txt)",
        )
    # Header lines (`Kind: captions`) run to the first blank line, unless a cue starts first.
    j = at + 1
    while j < len(lines) and lines[j].strip():
        if "-->" in lines[j]:
            return j - 1 if j - 1 > at else j
        j += 1
    return j
