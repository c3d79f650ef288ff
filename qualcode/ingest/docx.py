"""Word .docx transcripts: speaker in a bold run or a `Name:` prefix; Otter.ai's .docx layout.

Body paragraphs are read in order (the paragraph number is the "line"); a paragraph whose leading bold
run is a short label starts a turn, otherwise the plain-text rules apply to the paragraph text.
Paragraphs in a Heading/Title style are headings, and so is every unlabelled paragraph before the
first speaker label (a title page: date, study, "transcribed from the audio recording"), listed in
the warnings. Tables are not read (noted in the warnings), unless no paragraph names a speaker: then
a table of (time,) speaker and text columns is the transcript, a common Word layout.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from qualcode.errors import InputFormatError
from qualcode.ingest.blocks import ParsedTranscript
from qualcode.ingest.otter import PREAMBLE_MARKERS, otter_header, parse_otter_lines
from qualcode.ingest.text import (
    MAX_LABEL,
    NoSpeakerLabelsError,
    SourceLine,
    find_label,
    label_strength,
    parse_lines,
)

_ENDS_WITH_TIME = re.compile(r"[\[(]?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?[\])]?$")


def _open_document(path: Path):
    import docx
    from docx.opc.exceptions import OpcError

    # lxml's XMLSyntaxError (a damaged document.xml) is a SyntaxError: no lxml import needed.
    try:
        return docx.Document(str(path))
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
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
    found = _bold_prefix(paragraph)
    if found is None:
        return None
    label, rest = found
    if label_strength(label) is None or _ENDS_WITH_TIME.search(label):
        return None  # `Speaker 1 (00:00:05):` in bold (Rev): the text rules take the time apart
    return label, rest


def _bold_prefix(paragraph) -> tuple[str, str] | None:
    """(bold text without its colon, rest) when the paragraph opens with a short bold run."""
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
        prefix = None if speaker_pattern or found else _bold_prefix(paragraph)
        if found is not None:
            lines.append(SourceLine(number, found[1], speaker=found[0]))
        elif speaker_pattern is None and _all_bold(paragraph) and find_label(text.strip()) is None:
            # a bold line that is no name: a heading, unless inference finds it names speakers
            lines.append(SourceLine(number, text, heading=True, bold_prefix=prefix))
        else:
            lines.append(SourceLine(number, text, bold_prefix=prefix))

    warnings: list[str] = []
    tables = len(document.tables)
    if _is_otter(lines):
        plain = [
            SourceLine(s.line, s.text if s.speaker is None else f"{s.speaker}  {s.text}")
            for s in lines
        ]
        parsed = parse_otter_lines(plain, source, fmt="docx")
    else:
        try:
            parsed = parse_lines(
                lines, source, fmt="docx", speaker_pattern=speaker_pattern, leading_notes=True
            )
        except NoSpeakerLabelsError:
            # No speaker in the paragraphs: a transcript kept as a Word table (time,) speaker,
            # text is a common layout; read it if one table reads that way.
            from_tables = (
                _parse_tables(document, source) if tables and not speaker_pattern else None
            )
            if from_tables is None:
                raise
            return from_tables
    if tables:
        warnings.append(
            f"ignored {tables} table{'s' if tables != 1 else ''}: text in Word tables is not read "
            "as turns (move it into paragraphs, or save the table as .csv/.xlsx)"
        )
    parsed.warnings[:0] = warnings
    return parsed


# --- transcripts kept in a Word table ------------------------------------------------------------
_TIME_CELL = re.compile(r"^[\[(]?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?[\])]?$")
_SPEAKER_HEADERS = frozenset(
    {"speaker", "name", "participant", "speaker_name", "who", "sprecher", "sprecher_in"}
    | {"sprecherin", "person", "hablante", "locuteur", "interlocutor", "role"}
)
_TEXT_HEADERS = frozenset(
    {"text", "utterance", "transcript", "content", "dialogue", "message", "turn_text", "comment"}
    | {"transcription", "transkript", "transkription", "inhalt", "aussage", "texto"}
    | {"speech", "what_was_said", "said"}
)
_TIME_HEADERS = frozenset(
    {"time", "timestamp", "start", "start_time", "timecode", "zeit", "tiempo"}
)


def _parse_tables(document, source: str) -> ParsedTranscript | None:
    """The rows of all tables, in order, as one transcript; None if no column reads as speakers.

    Columns are found by a header row (Speaker / Text / Time and the like) or, without one, by
    content: a time column (every cell a clock time), a speaker column (short name-like cells that
    repeat), and the text column (the longest cells of the rest). `line` is the table row number.
    """
    from qualcode.ingest.blocks import RawBlock
    from qualcode.ingest.table import column_key
    from qualcode.ingest.text import parse_timestamp

    rows: list[tuple[int, list[str]]] = []
    number = 0
    for table in document.tables:
        for row in table.rows:
            number += 1
            cells = _unique_cells(row)
            if any(cells):
                rows.append((number, cells))
    if len(rows) < 2:
        return None
    width = max(len(cells) for _, cells in rows)
    rows = [(n, cells + [""] * (width - len(cells))) for n, cells in rows]
    keys = [column_key(c) for c in rows[0][1]]
    speaker_at = next((i for i, k in enumerate(keys) if k in _SPEAKER_HEADERS), None)
    text_at = next((i for i, k in enumerate(keys) if k in _TEXT_HEADERS), None)
    time_at = next((i for i, k in enumerate(keys) if k in _TIME_HEADERS), None)
    header = speaker_at is not None and text_at is not None
    body = rows[1:] if header else rows
    if not header:
        speaker_at, text_at, time_at = _columns_by_content(body, width)
        if speaker_at is None or text_at is None:
            return None
    blocks: list[RawBlock] = []
    for line, cells in body:
        text = cells[text_at].strip()
        if not text:
            continue
        speaker = cells[speaker_at].strip().rstrip(":\uff1a").strip() or None
        start = None
        if time_at is not None and _TIME_CELL.match(cells[time_at].strip()):
            start = parse_timestamp(cells[time_at].strip().strip("[]()"))
        blocks.append(RawBlock(speaker, text, line, start))
    if not any(b.speaker for b in blocks):
        return None
    note = (
        f"the document has no speaker paragraphs: read the transcript from its table "
        f"({len(body)} rows; line numbers are table rows)"
    )
    return ParsedTranscript("docx", blocks, [note])


def _unique_cells(row) -> list[str]:
    """Cell texts of a row; a merged cell (python-docx repeats it) counts once."""
    out: list[str] = []
    seen: set[int] = set()
    for cell in row.cells:
        if id(cell._tc) in seen:
            continue
        seen.add(id(cell._tc))
        out.append(cell.text.strip())
    return out


def _columns_by_content(
    rows: list[tuple[int, list[str]]], width: int
) -> tuple[int | None, int | None, int | None]:
    """(speaker, text, time) column indexes of a table without a header row."""
    time_at = speaker_at = None
    filled = [[cells[j] for _, cells in rows if cells[j]] for j in range(width)]
    for j, values in enumerate(filled):
        if values and all(_TIME_CELL.match(v) for v in values):
            time_at = j
            break
    for j, values in enumerate(filled):
        if j == time_at or len(values) < 2:
            continue
        names = [v.rstrip(":\uff1a").strip() for v in values]
        if not all(len(v) <= MAX_LABEL and label_strength(v) is not None for v in names):
            continue
        if len({v.casefold() for v in names}) < len(names):  # speakers come back
            speaker_at = j
            break
    if speaker_at is None:
        return None, None, time_at
    rest = [j for j in range(width) if j not in (speaker_at, time_at) and filled[j]]
    if not rest:
        return speaker_at, None, time_at
    text_at = max(rest, key=lambda j: sum(len(v) for v in filled[j]))
    return speaker_at, text_at, time_at


def _all_bold(paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(_is_bold(r) for r in runs)


def _is_otter(lines: list[SourceLine]) -> bool:
    markers = {s.text.strip().upper() for s in lines[:40]}
    if any(m in markers for m in PREAMBLE_MARKERS[:2]):
        return True
    # A bold name with the time after it (`**Jane Doe**   0:03`, Teams) is a header too.
    headers = sum(
        1
        for s in lines
        if otter_header(s.text if s.speaker is None else f"{s.speaker}  {s.text}") is not None
    )
    return headers >= 2
