"""Speakerless sources (field notes, documents): one segment per paragraph, no speaker.

A field note or a document has no turns to find, so it is not read by the speaker-label rules: a
paragraph (lines up to a blank line in a text file, a non-empty paragraph in a Word file) is the unit
a coder codes, and the "line" is the line (or Word paragraph number) where it starts.
"""

from __future__ import annotations

from pathlib import Path

from qualcode.errors import InputFormatError
from qualcode.model import ROLE_SOURCE, Segment


def text_paragraphs(text: str) -> list[tuple[int, str]]:
    """(1-based start line, paragraph) for each run of non-blank lines, lines kept as written."""
    out: list[tuple[int, str]] = []
    lines: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip()
        if line.strip():
            if not lines:
                start = number
            lines.append(line)
        elif lines:
            out.append((start, "\n".join(lines)))
            lines = []
    if lines:
        out.append((start, "\n".join(lines)))
    return out


def docx_paragraphs(path: Path) -> list[tuple[int, str]]:
    """(1-based paragraph number, text) for each non-empty body paragraph of a Word file."""
    from qualcode.ingest.docx import _open_document

    document = _open_document(path)
    return [
        (number, p.text.strip())
        for number, p in enumerate(document.paragraphs, start=1)
        if p.text.strip()
    ]


def source_segments(
    paragraphs: list[tuple[int, str]],
    *,
    transcript_id: str,
    source: str,
    source_type: str,
    path: Path,
) -> list[Segment]:
    """The paragraphs as segments with role `source`, no speaker and no participant."""
    if not paragraphs:
        raise InputFormatError(f"no paragraphs found: the {source_type} has no text", file=path)
    return [
        Segment(
            transcript_id=transcript_id,
            turn=number,
            speaker="",
            text=text,
            role=ROLE_SOURCE,
            source=source,
            line=line,
            source_type=source_type,
        )
        for number, (line, text) in enumerate(paragraphs, start=1)
    ]
