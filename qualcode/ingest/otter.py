"""Otter.ai exports: a `Name  m:ss` header line, the words below it, a `Transcribed by` footer.

Microsoft Teams' .docx/.txt transcripts (`Jane Doe   0:03`, the name often in bold) have the same
layout and are read here too.

The same layout appears in Otter's .txt and .docx exports; the .docx adds a preamble (title,
SUMMARY KEYWORDS, SPEAKERS) before the first header, which is not part of the conversation.
"""

from __future__ import annotations

import re

from qualcode.errors import InputFormatError
from qualcode.ingest.blocks import ParsedTranscript, RawBlock
from qualcode.ingest.text import MAX_LABEL, SourceLine, label_strength, parse_timestamp
from qualcode.roster import normalise_speaker

_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}"
# Otter separates name and time with two spaces (a tab in some .docx); one space is accepted only
# when the name part looks like a name ("We met at 5:30" is text).
_HEADER = re.compile(
    rf"^(?P<speaker>\S[^\n]{{0,{MAX_LABEL - 1}}}?)(?P<sep>[ \t\u00a0]{{2,}}|\t|[ \u00a0])"
    rf"(?P<ts>{_TS})[ \t]*$"
)
_FOOTER = re.compile(r"^\s*transcribed by\s+(?:https?://)?(?:www\.)?otter\.ai", re.IGNORECASE)
PREAMBLE_MARKERS = ("SUMMARY KEYWORDS", "SPEAKERS", "KEYWORDS")


def otter_header(text: str) -> tuple[str, float] | None:
    """(speaker, start seconds) if `text` is an Otter header line."""
    stripped = text.strip()
    if len(stripped) > MAX_LABEL + 12:
        return None
    m = _HEADER.match(stripped)
    if not m:
        return None
    speaker = m.group("speaker").strip()
    if len(m.group("sep")) == 1 and m.group("sep") != "\t" and label_strength(speaker) is None:
        return None
    if not normalise_speaker(speaker):
        return None
    return speaker, parse_timestamp(m.group("ts"))


def parse_otter_lines(lines: list[SourceLine], source: str, *, fmt: str) -> ParsedTranscript:
    """Blocks from Otter's layout; anything before the first header is preamble and is dropped."""
    blocks: list[RawBlock] = []
    warnings: list[str] = []
    current: tuple[str, int, float] | None = None
    parts: list[str] = []
    preamble: list[str] = []

    def flush() -> None:
        if current is None:
            return
        body = "\n".join(parts)
        if body.strip():
            speaker, lineno, start = current
            blocks.append(RawBlock(speaker=speaker, text=body, line=lineno, start_time=start))

    for item in lines:
        stripped = item.text.strip()
        if not stripped:
            continue
        if _FOOTER.match(stripped):
            continue  # Otter's signature, not speech
        header = otter_header(stripped)
        if header is not None:
            flush()
            current = (header[0], item.line, header[1])
            parts = []
            continue
        if current is None:
            preamble.append(stripped)
            continue
        parts.append(stripped)
    flush()

    if not blocks:
        raise InputFormatError(
            "no Otter.ai speaker headers ('Name  0:00') found",
            file=source,
            hint="export from Otter with speaker names and timestamps, or read it as plain text",
        )
    if preamble:
        markers = [m for m in PREAMBLE_MARKERS if any(p.upper() == m for p in preamble)]
        # The same `Name  0:03` layout comes from Teams and others: say "Otter" only when its
        # own preamble markers are there.
        what = f"Otter preamble ({', '.join(markers)})" if markers else "preamble"
        warnings.append(f"ignored {what}: {len(preamble)} line(s) before the first turn")
    return ParsedTranscript(format=fmt, blocks=blocks, warnings=warnings)


def parse_otter_text(text: str, source: str) -> ParsedTranscript:
    """An Otter.ai .txt export (decoded, LF line ends) -> labelled blocks."""
    lines = [SourceLine(i, line) for i, line in enumerate(text.split("\n"), start=1)]
    return parse_otter_lines(lines, source, fmt="otter")
