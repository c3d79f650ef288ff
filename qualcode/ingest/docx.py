"""Word .docx transcripts: speaker in a bold run or a `Name:` prefix; Otter.ai's .docx layout.

Body paragraphs are read in order (the paragraph number is the "line"); a paragraph whose leading bold
run is a short label starts a turn, otherwise the plain-text rules apply to the paragraph text.
Paragraphs in a Heading/Title style are headings, and so is every unlabelled paragraph before the
first speaker label (a title page: date, study, "transcribed from the audio recording"), listed in
the warnings. Tables are not read (noted in the warnings).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from qualcode.errors import InputFormatError
from qualcode.ingest.blocks import ParsedTranscript
from qualcode.ingest.otter import PREAMBLE_MARKERS, otter_header, parse_otter_lines
from qualcode.ingest.text import MAX_LABEL, SourceLine, label_strength, parse_lines


def _open_document(path: Path):
    import docx
    from docx.opc.exceptions import OpcError
    from lxml import etree

    try:
        return docx.Document(str(path))
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise InputFormatError(
            f"cannot read as a Word .docx file ({type(exc).__name__}: {exc})"
            if str(exc)
            else "cannot read as a Word .docx file",
            file=path,
            hint="open it in Word and save it again as .docx, or save the transcript as .txt",
        ) from exc


def _is_bold(run) -> bool:
    if run.bold:
        return True
    return bool(run.bold is None and run.style is not None and run.style.font.bold)


def _bold_label(paragraph) -> tuple[str, str] | None:
    """(label, rest) when the paragraph starts with a bold run that reads as a speaker label."""
    bold = []
    for run in paragraph.runs:
        if not run.text.strip() and not bold:
            bold.append(run.text)
            continue
        if not _is_bold(run):
            break
        bold.append(run.text)
    prefix = "".join(bold)
    text = paragraph.text
    if not prefix.strip() or not text.startswith(prefix):
        return None
    label = prefix.strip().rstrip(":\uff1a").strip()
    rest = text[len(prefix) :].lstrip()
    if rest.startswith((":", "\uff1a")):
        rest = rest[1:].lstrip()
    if not label or len(label) > MAX_LABEL:
        return None
    if label_strength(label) is None:
        return None
    return label, rest


def _heading_style(paragraph) -> bool:
    style = paragraph.style
    name = (style.name if style is not None else "") or ""
    return name.startswith(("Heading", "Title", "Subtitle"))


def parse_docx(path: str | Path, *, speaker_pattern: str | None = None) -> ParsedTranscript:
    """A Word transcript -> labelled blocks (python-docx, imported here)."""
    path = Path(path)
    document = _open_document(path)
    source = str(path)
    lines: list[SourceLine] = []
    for number, paragraph in enumerate(document.paragraphs, start=1):
        text = paragraph.text
        if not text.strip():
            lines.append(SourceLine(number, ""))
            continue
        if _heading_style(paragraph):
            lines.append(SourceLine(number, text, heading=True))
            continue
        found = None if speaker_pattern else _bold_label(paragraph)
        if found is not None:
            lines.append(SourceLine(number, found[1], speaker=found[0]))
        elif speaker_pattern is None and _all_bold(paragraph):
            lines.append(SourceLine(number, text, heading=True))  # a bold line that is no name
        else:
            lines.append(SourceLine(number, text))

    warnings: list[str] = []
    tables = len(document.tables)
    if tables:
        warnings.append(
            f"ignored {tables} table{'s' if tables != 1 else ''}: text in Word tables is not read "
            "as turns (move it into paragraphs, or save the table as .csv/.xlsx)"
        )
    if _is_otter(lines):
        plain = [
            SourceLine(s.line, s.text if s.speaker is None else f"{s.speaker}  {s.text}")
            for s in lines
        ]
        parsed = parse_otter_lines(plain, source, fmt="docx")
    else:
        parsed = parse_lines(
            lines, source, fmt="docx", speaker_pattern=speaker_pattern, leading_notes=True
        )
    parsed.warnings[:0] = warnings
    return parsed


def _all_bold(paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(_is_bold(r) for r in runs)


def _is_otter(lines: list[SourceLine]) -> bool:
    markers = {s.text.strip().upper() for s in lines[:40]}
    if any(m in markers for m in PREAMBLE_MARKERS[:2]):
        return True
    headers = sum(1 for s in lines if s.speaker is None and otter_header(s.text) is not None)
    return headers >= 2
