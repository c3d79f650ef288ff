"""Ingest: transcripts (files, folders) -> speaker-turn segments (the segments.csv contract).

`load_sources` is what every command calls with its SOURCES: transcript files, folders of them, or
one existing segments.csv. Each file is decoded (`detect.decode_bytes`), its format detected
(`detect.detect_format`), parsed into labelled blocks by one module per format, and the blocks are
merged into turns with roles and participant ids (`turns.merge_blocks`).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError, InputFormatError, QualcodeError
from qualcode.ingest.blocks import ParsedTranscript, RawBlock
from qualcode.ingest.detect import (
    EXTENSIONS,
    FORMATS,
    check_format,
    decode_bytes,
    detect_format,
    format_from_extension,
)
from qualcode.ingest.turns import (
    UNKNOWN_SPEAKER,
    RosterEntry,
    merge_blocks,
    role_from_name,
    speaker_key,
)
from qualcode.model import (
    ROLE_FACILITATOR,
    ROLE_SOURCE,
    ROLE_UNKNOWN,
    SEGMENT_COLUMNS,
    SOURCE_SPEAKERLESS,
    SOURCE_TYPES,
    Segment,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "FORMATS",
    "IngestResult",
    "ParsedTranscript",
    "RawBlock",
    "TranscriptResult",
    "TranscriptSummary",
    "UNKNOWN_SPEAKER",
    "collect_sources",
    "ingest_file",
    "is_segments_csv",
    "load_sources",
    "role_from_name",
]

MAX_BYTES = 200 * 1024 * 1024  # a transcript larger than this is surely not one


@dataclass
class TranscriptSummary:
    """One line of the ingest summary table."""

    transcript_id: str
    source: str
    format: str
    turns: int
    speakers: int
    participants_mapped: int
    warnings: list[str] = field(default_factory=list)
    layout: str | None = None  # how the labels were found: "detected ...", "inferred ..."


@dataclass
class TranscriptResult:
    """One transcript read: its turns and what was noticed on the way."""

    transcript_id: str
    source: str  # the path as given (for messages)
    format: str
    segments: list[Segment]
    warnings: list[str] = field(default_factory=list)
    layout: str | None = None

    @property
    def summary(self) -> TranscriptSummary:
        speakers = {speaker_key(s.speaker) for s in self.segments if s.role != ROLE_SOURCE}
        mapped = {s.participant_id for s in self.segments if s.participant_id}
        return TranscriptSummary(
            transcript_id=self.transcript_id,
            source=self.source,
            format=self.format,
            turns=len(self.segments),
            speakers=len(speakers),
            participants_mapped=len(mapped),
            warnings=list(self.warnings),
            layout=self.layout,
        )


@dataclass
class IngestResult:
    segments: pd.DataFrame  # exactly model.SEGMENT_COLUMNS (plus extras of a segments.csv read)
    summaries: list[TranscriptSummary]
    skipped: list[tuple[str, QualcodeError]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # not tied to one transcript


# --- one file -------------------------------------------------------------------------------------
def text_name(name: str) -> str:
    """A file name as text that can be written to a UTF-8 CSV.

    A name that is not valid UTF-8 (made on Windows or unpacked from an old zip) reaches Python
    with lone surrogates (PEP 383), which no CSV writer accepts; its bytes are most likely
    Windows-1252, so they are read that way ("caf\\xe9" -> "café")."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("cp1252", errors="replace")
    return name


def _name_warning(path: Path) -> list[str]:
    if text_name(path.name) == path.name:
        return []
    return [
        f"the file name is not valid UTF-8; read as {text_name(path.name)!r} "
        "(rename the file to keep this exact spelling)"
    ]


def _parse(
    path: Path,
    text: str | None,
    fmt: str,
    *,
    speaker_pattern: str | None,
    speaker_column: str | None,
    text_column: str | None,
) -> ParsedTranscript:
    """Dispatch to the parser of `fmt` (imported on use: each pulls its own libraries)."""
    source = str(path)
    if fmt == "docx":
        from qualcode.ingest.docx import parse_docx

        return parse_docx(path, speaker_pattern=speaker_pattern)
    if fmt == "table" and path.suffix.lower() == ".xlsx":
        from qualcode.ingest.table import parse_xlsx_table

        return parse_xlsx_table(path, speaker_column=speaker_column, text_column=text_column)
    if text is None:  # pragma: no cover - binary formats return above
        raise InputFormatError(f"cannot read as {fmt}", file=path)
    if fmt == "text":
        from qualcode.ingest.text import parse_text

        return parse_text(text, source, speaker_pattern=speaker_pattern)
    if fmt == "otter":
        from qualcode.ingest.otter import parse_otter_text

        return parse_otter_text(text, source)
    if fmt == "vtt":
        from qualcode.ingest.vtt import parse_vtt

        return parse_vtt(text, source)
    if fmt == "srt":
        from qualcode.ingest.srt import parse_srt

        return parse_srt(text, source)
    if fmt == "table":
        from qualcode.ingest.table import parse_csv_table

        try:
            return parse_csv_table(
                text, source, speaker_column=speaker_column, text_column=text_column
            )
        except InputFormatError as exc:
            headerless = _headerless_tsv(path, text, source, speaker_column, text_column)
            if headerless is None:
                raise exc from None
            return headerless
    raise InputFormatError(f"unknown format {fmt!r}", hint=f"choose one of: {', '.join(FORMATS)}")


def _headerless_tsv(
    path: Path, text: str, source: str, speaker_column: str | None, text_column: str | None
) -> ParsedTranscript | None:
    """A .tsv without a header row, `Name<TAB>text` or `00:01:02<TAB>Name<TAB>text` on each
    line, read by the text rules; None when it does not read that way (the table error stands)."""
    if path.suffix.lower() != ".tsv" or speaker_column or text_column:
        return None
    from qualcode.ingest.text import NoSpeakerLabelsError, parse_text

    try:
        parsed = parse_text(text, source)
    except NoSpeakerLabelsError:
        return None
    lines = [line for line in text.split("\n") if line.strip()]
    if sum("\t" in line for line in lines) < 0.9 * len(lines) or _reads_as_header(lines[0]):
        return None
    parsed.warnings.insert(
        0, "no header row naming a speaker and a text column: read as tab-separated lines"
    )
    return parsed


def _reads_as_header(line: str) -> bool:
    """`Voice<TAB>Said`: short cells without sentence punctuation name columns; speech has it."""
    cells = [c.strip() for c in line.split("\t") if c.strip()]
    return all(len(c.split()) <= 3 and not c.endswith((".", "?", "!", ",")) for c in cells)


def ingest_file(
    path: str | Path,
    *,
    fmt: str | None = None,
    speaker_pattern: str | None = None,
    transcript_id: str | None = None,
    roster: dict[str, RosterEntry] | None = None,
    speaker_column: str | None = None,
    text_column: str | None = None,
    source_type: str = "",
) -> TranscriptResult:
    """Read one transcript into turns. `roster` maps speaker_key -> entry for this transcript.

    `source_type` (model.SOURCE_TYPES, or "" for not stated) is written on every segment; a
    `fieldnote` or `document` is read by paragraphs, with no speakers (`ingest.paragraphs`)."""
    path = Path(path)
    source_type = check_source_type(source_type, path)
    if not path.exists():
        raise InputFormatError("file not found", file=path)
    if path.is_dir():
        raise InputFormatError("expected a file, got a folder", file=path)
    fmt = check_format(fmt) if fmt else None
    size = path.stat().st_size
    if size == 0:
        raise InputFormatError("file is empty", file=path)
    if size > MAX_BYTES:
        raise InputFormatError(
            f"file is {size // (1024 * 1024)} MB; a transcript should be far smaller", file=path
        )
    warnings: list[str] = []
    text: str | None = None
    promised = fmt or format_from_extension(path)  # unknown extensions fail here
    binary = promised == "docx" or (promised == "table" and path.suffix.lower() == ".xlsx")
    if not binary:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputFormatError(f"cannot read: {exc.strerror}", file=path) from exc
        text, warnings = decode_bytes(data, str(path))
        if not text.strip():
            raise InputFormatError("file is empty (only whitespace)", file=path)
    tid = transcript_id or text_name(path.stem)
    if source_type in SOURCE_SPEAKERLESS:
        return _speakerless(path, text, promised, tid, source_type, warnings)
    fmt = detect_format(path, text, fmt)
    parsed = _parse(
        path,
        text,
        fmt,
        speaker_pattern=speaker_pattern,
        speaker_column=speaker_column,
        text_column=text_column,
    )
    segments = merge_blocks(
        parsed.blocks,
        transcript_id=tid,
        source=text_name(path.name),
        roster=roster,
        joiner=parsed.joiner,
    )
    if not segments:
        raise InputFormatError("no turns found: the transcript has no text", file=path)
    if source_type:
        segments = [replace(s, source_type=source_type) for s in segments]
    return TranscriptResult(
        transcript_id=tid,
        source=str(path),
        format=parsed.format,
        segments=segments,
        warnings=_name_warning(path) + warnings + list(parsed.warnings),
        layout=parsed.layout,
    )


def check_source_type(value: str | None, where: str | Path | None = None) -> str:
    """A source type as written in segments.csv ("" = not stated); anything else is an error."""
    value = (value or "").strip().lower().replace("-", "_").replace(" ", "_")
    value = {"field_note": "fieldnote", "focusgroup": "focus_group"}.get(value, value)
    if value and value not in SOURCE_TYPES:
        raise InputFormatError(
            f"unknown source type {value!r}",
            file=where,
            hint=f"choose one of: {', '.join(SOURCE_TYPES)}",
        )
    return value


def _speakerless(
    path: Path, text: str | None, promised: str, tid: str, source_type: str, warnings: list[str]
) -> TranscriptResult:
    """A field note or document: segments by paragraph (text files and Word files only)."""
    from qualcode.ingest.paragraphs import docx_paragraphs, source_segments, text_paragraphs

    if promised == "docx":
        paragraphs, fmt = docx_paragraphs(path), "docx paragraphs"
    elif promised == "text" and text is not None:
        paragraphs, fmt = text_paragraphs(text), "text paragraphs"
    else:
        raise InputFormatError(
            f"a {source_type} is read by paragraphs from a .txt or .docx file, not as {promised}",
            file=path,
            hint="save it as .txt or .docx",
        )
    segments = source_segments(
        paragraphs,
        transcript_id=tid,
        source=text_name(path.name),
        source_type=source_type,
        path=path,
    )
    return TranscriptResult(
        transcript_id=tid,
        source=str(path),
        format=fmt,
        segments=segments,
        warnings=_name_warning(path) + warnings,
    )


# --- many files -------------------------------------------------------------------------------------
_IGNORED_NAMES = ("roster.csv",)


def _csv_header(path: Path) -> list[str]:
    """The header cells of a CSV/TSV (first line only), lower-cased; [] if unreadable."""
    try:
        with path.open("rb") as fh:
            first = fh.readline(65536)
    except OSError:
        return []
    text = first.decode("utf-8-sig", errors="replace")
    delimiter = "\t" if path.suffix.lower() == ".tsv" or text.count("\t") > text.count(",") else ","
    row = next(csv.reader([text], delimiter=delimiter), [])
    return [c.strip().lower() for c in row]


def is_segments_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv" and "segment_id" in _csv_header(path)


def _study_file_kind(path: Path) -> str | None:
    """'segments' / 'codings' / 'roster' / 'sources' for a CSV that is one of qualcode's own files."""
    if path.suffix.lower() not in (".csv", ".tsv"):
        return None
    header = set(_csv_header(path))
    if "segment_id" in header and "code_id" in header:
        return "codings"
    if "segment_id" in header:
        return "segments"
    if {"transcript_id", "speaker", "participant_id"} <= header:
        return "roster"
    if {"transcript_id", "source_type"} <= header:
        return "sources"
    return None


def _walk(folder: Path) -> tuple[list[Path], list[str]]:
    files: list[Path] = []
    notes: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith((".", "~$")) for part in rel.parts) or not path.is_file():
            continue
        name = path.name.lower()
        if name in _IGNORED_NAMES or name.startswith("readme"):
            continue
        if path.suffix.lower() not in EXTENSIONS:
            notes.append(f"{path}: not a transcript type, ignored")
            continue
        if _study_file_kind(path) is not None:
            continue  # qualcode's own files (codings, roster, segments) live beside transcripts
        files.append(path)
    return files, notes


def transcript_id_clash(tid: str, path: Path, owner: dict[str, str]) -> InputFormatError | None:
    """The error for a second file with the same transcript id (file stem), else None after
    recording `path` as the id's owner: one transcript is one data-collection event."""
    if tid in owner:
        return InputFormatError(
            f"transcript id {tid!r} is used twice: {owner[tid]} and {path}",
            file=path,
            hint="transcript ids are file names without extension; rename one of the files",
        )
    owner[tid] = str(path)
    return None


def collect_sources(paths: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """The transcript files named by `paths` (folders walked recursively in sorted order) and
    notes on what was left out. Explicit files are kept even if their type is unknown (the
    reader then says why it cannot read them)."""
    files: list[Path] = []
    notes: list[str] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputFormatError("no such file or folder", file=path)
        if path.is_dir():
            found, skipped = _walk(path)
            notes.extend(skipped)
            if not found:
                raise InputFormatError(
                    "no transcripts found in this folder",
                    file=path,
                    hint=f"transcripts are files ending in {' '.join(EXTENSIONS)}",
                )
        else:
            found = [path]
        for f in found:
            resolved = f.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(f)
    return files, notes


def _roster_index(roster_df: pd.DataFrame) -> dict[str, dict[str, RosterEntry]]:
    index: dict[str, dict[str, RosterEntry]] = {}
    for row in roster_df.itertuples(index=False):
        index.setdefault(row.transcript_id, {})[speaker_key(row.speaker)] = RosterEntry(
            speaker=row.speaker, participant_id=row.participant_id, role=row.role
        )
    return index


def _roster_gaps(
    speakers: list[str], entries: dict[str, RosterEntry]
) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Roster speakers missing from a transcript, transcript speakers missing from the roster
    (not the unknown-by-design ones), and the near-misses among them paired one to one
    (`Jmaes` in the roster, `James` in the transcript): (missing, unmapped, pairs)."""
    import difflib

    present = {speaker_key(s) for s in speakers}
    missing = [e.speaker for k, e in entries.items() if k not in present]
    seen: set[str] = set()
    unmapped = []
    for s in speakers:
        k = speaker_key(s)
        if role_from_name(s) == ROLE_UNKNOWN:
            continue  # "Unknown Speaker" is unknown by design, not a roster gap
        if k not in entries and k not in seen:
            seen.add(k)
            unmapped.append(s)
    pairs: list[tuple[str, str]] = []
    candidates = {speaker_key(s): s for s in unmapped}
    for name in missing:
        key = speaker_key(name)
        # Swapped letters (`Rya`/`Ray`) score low in short names: an anagram is a near-miss too.
        close = [k for k in candidates if sorted(k) == sorted(key)] or difflib.get_close_matches(
            key, list(candidates), n=1, cutoff=0.75
        )
        if close:
            pairs.append((name, candidates.pop(close[0])))
    paired = {a for a, _ in pairs} | {b for _, b in pairs}
    return (
        [m for m in missing if m not in paired],
        [u for u in unmapped if u not in paired],
        pairs,
    )


def _roster_warnings(
    transcript_id: str, speakers: list[str], entries: dict[str, RosterEntry] | None
) -> list[str]:
    if entries is None:
        return [f"transcript {transcript_id!r} is not in the roster: no participant ids mapped"]
    missing, unmapped, pairs = _roster_gaps(speakers, entries)
    out: list[str] = [
        f"roster speaker {a!r} is not in the transcript: did you mean {b!r}? ({b} is not in "
        "the roster, so no participant id is mapped to them)"
        for a, b in pairs
    ]
    if missing:
        out.append(f"roster speaker(s) not found in the transcript: {', '.join(missing)}")
    if unmapped:
        out.append(f"speaker(s) not in the roster: {', '.join(unmapped)}")
    return out


def _unmapped_participants(
    transcript_id: str, segments: list[Segment], entries: dict[str, RosterEntry] | None
) -> list[str]:
    """`--strict-roster`: the participants of a transcript the roster does not map, each with its
    near-miss roster speaker, if any (facilitators and unknown-by-design speakers aside)."""
    speakers = [s.speaker for s in segments if s.role not in (ROLE_FACILITATOR, ROLE_UNKNOWN)]
    if entries is None:
        return [f"{transcript_id}: {name}" for name in dict.fromkeys(speakers)]
    _, unmapped, pairs = _roster_gaps(speakers, entries)
    return [f"{transcript_id}: {b} (did you mean roster speaker {a!r}?)" for a, b in pairs] + [
        f"{transcript_id}: {name}" for name in unmapped
    ]


def _frame(segments: list[Segment]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([s.as_row() for s in segments], columns=list(SEGMENT_COLUMNS))


def load_sources(
    paths: Sequence[str | Path],
    *,
    roster: str | Path | None = None,
    fmt: str | None = None,
    speaker_pattern: str | None = None,
    skip_bad: bool = False,
    progress: Callable[[int], None] | None = None,
    speaker_column: str | None = None,
    text_column: str | None = None,
    strict_roster: bool = False,
    source_type: str | None = None,
    sources: str | Path | None = None,
) -> IngestResult:
    """Transcripts, folders or one segments.csv -> segments (file order, then turn order).

    Any unreadable file raises (nothing is returned half-done) unless `skip_bad`, which skips it
    and lists it in `.skipped`. `strict_roster`: a participant the roster does not map is an
    error, not a warning (so nobody silently drops out of the participant counts).
    `source_type` applies to every file; a `sources` sheet (`transcript_id, source_type`, plus any
    attribute columns, copied onto the transcript's segments) says it per transcript and wins.
    """
    from qualcode.roster import read_roster, require_speaker_mapping

    if not paths:
        raise InputFormatError("no transcripts given")
    if fmt:
        fmt = check_format(fmt)
    if speaker_pattern:
        from qualcode.ingest.text import compile_speaker_pattern

        compile_speaker_pattern(speaker_pattern)  # fail before reading any file
    roster_df = read_roster(roster) if roster is not None else None
    if roster_df is not None:
        require_speaker_mapping(roster_df, roster)  # ingest maps speakers: a sheet is not enough
    index = _roster_index(roster_df) if roster_df is not None else None
    default_type = check_source_type(source_type)
    sheet = read_sources_sheet(sources) if sources is not None else None

    plain = [Path(p) for p in paths]
    segment_files = [p for p in plain if p.is_file() and is_segments_csv(p)]
    if segment_files:
        if len(plain) > 1:
            raise InputFormatError(
                "a segments.csv cannot be combined with other sources",
                file=segment_files[0],
                hint="give either one segments.csv or transcript files/folders",
            )
        result = _from_segments_csv(segment_files[0], index)
        if default_type or sheet is not None:
            result.segments = _tag_sources(result.segments, default_type, sheet, sources)
        return result

    files, notes = collect_sources(plain)
    results: list[TranscriptResult] = []
    skipped: list[tuple[str, QualcodeError]] = []
    owner: dict[str, str] = {}
    for path in files:
        tid = text_name(path.stem)
        if (clash := transcript_id_clash(tid, path, owner)) is not None:
            raise clash
        entries = index.get(tid) if index is not None else None
        try:
            result = ingest_file(
                path,
                fmt=fmt,
                speaker_pattern=speaker_pattern,
                transcript_id=tid,
                roster=entries,
                speaker_column=speaker_column,
                text_column=text_column,
                source_type=_sheet_type(sheet, tid, default_type),
            )
        except QualcodeError as exc:
            if not skip_bad:
                exc.skippable = True  # one bad file: skip_bad would have read the others
                raise
            skipped.append((str(path), exc))
        else:
            if index is not None and result.segments[0].role != ROLE_SOURCE:
                result.warnings.extend(
                    _roster_warnings(tid, [s.speaker for s in result.segments], entries)
                )
            results.append(result)
        if progress is not None:
            progress(1)

    if not results:
        first = skipped[0][1] if skipped else None
        raise InputFormatError(
            f"none of the {len(files)} file(s) could be read"
            + (f"; first problem: {first}" if first else ""),
        )
    if strict_roster and index is not None:
        unmapped = [
            name
            for r in results
            for name in _unmapped_participants(
                r.transcript_id, r.segments, index.get(r.transcript_id)
            )
        ]
        if unmapped:
            raise ContractError(
                f"{len(unmapped)} participant(s) not in the roster: {'; '.join(unmapped)}",
                file=roster,
                hint="add them to the roster (transcript_id, speaker, participant_id), or fix "
                "the spelling on either side",
            )
    warnings = list(notes)
    if index is not None:
        unknown = sorted(
            set(index)
            - {r.transcript_id for r in results}
            - {text_name(Path(p).stem) for p, _ in skipped}
        )
        if unknown:
            warnings.append(f"roster names transcript(s) not ingested: {', '.join(unknown)}")
    if sheet is not None:
        unknown = sorted(
            set(sheet["transcript_id"])
            - {r.transcript_id for r in results}
            - {text_name(Path(p).stem) for p, _ in skipped}
        )
        if unknown:
            warnings.append(f"sources sheet names transcript(s) not ingested: {', '.join(unknown)}")
        missing = [r.transcript_id for r in results if r.transcript_id not in set(sheet.index)]
        if missing:
            warnings.append(
                f"transcript(s) not in the sources sheet: {', '.join(missing)}"
                + (f" (read as {default_type})" if default_type else " (source type not stated)")
            )
    segments = [s for r in results for s in r.segments]
    frame = _frame(segments)
    if sheet is not None:
        frame = _sheet_attributes(frame, sheet)
    return IngestResult(
        segments=frame,
        summaries=[r.summary for r in results],
        skipped=skipped,
        warnings=warnings,
    )


# --- the sources sheet (one row per transcript) ---------------------------------------------------
def read_sources_sheet(path: str | Path) -> pd.DataFrame:
    """`sources.csv`: `transcript_id, source_type` and any attribute columns (organisation, site),
    one row per transcript, indexed by transcript_id; the source types are checked."""
    from qualcode.io import read_table, require_columns, row_location

    required = ("transcript_id", "source_type")
    df = read_table(path, what="sources sheet", columns=required, required=required)
    require_columns(df, required, path, "sources sheet")
    df["transcript_id"] = df["transcript_id"].str.strip()
    for i, (tid, value) in enumerate(zip(df["transcript_id"], df["source_type"], strict=True)):
        try:
            df.loc[df.index[i], "source_type"] = check_source_type(value)
        except InputFormatError as exc:
            raise ContractError(
                exc.message, **row_location(df, path, i, "source_type"), hint=exc.hint
            ) from None
        if not tid:
            raise ContractError("transcript_id is empty", **row_location(df, path, i))
    dup = df["transcript_id"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise ContractError(
            f"transcript {df['transcript_id'].iat[i]!r} is listed twice",
            **row_location(df, path, i, "transcript_id"),
            hint="one row per transcript",
        )
    reserved = [c for c in df.columns if c in SEGMENT_COLUMNS and c not in required]
    if reserved:
        raise ContractError(
            f"sources sheet column(s) {', '.join(reserved)} are segments.csv columns",
            **row_location(df, path),
            hint="rename them (e.g. site, organisation): the sheet describes whole transcripts",
        )
    return df.set_index("transcript_id", drop=False)


def _sheet_type(sheet: pd.DataFrame | None, tid: str, default: str) -> str:
    if sheet is not None and tid in sheet.index:
        return sheet.at[tid, "source_type"] or default
    return default


def _sheet_attributes(frame: pd.DataFrame, sheet: pd.DataFrame) -> pd.DataFrame:
    """The sheet's attribute columns copied onto each segment of its transcript."""
    for column in sheet.columns:
        if column in ("transcript_id", "source_type"):
            continue
        frame[column] = frame["transcript_id"].map(sheet[column]).fillna("")
    return frame


def _tag_sources(
    frame: pd.DataFrame, default: str, sheet: pd.DataFrame | None, path: str | Path | None
) -> pd.DataFrame:
    """A segments.csv re-read with a source type: its column set (turns are not re-split, so a
    transcript already read as dialogue cannot become a field note here)."""
    types = [
        _sheet_type(sheet, t, default) or old
        for t, old in zip(frame["transcript_id"], frame["source_type"], strict=True)
    ]
    for tid, new, role in zip(frame["transcript_id"], types, frame["role"], strict=True):
        if new in SOURCE_SPEAKERLESS and role != ROLE_SOURCE:
            raise InputFormatError(
                f"transcript {tid!r} was ingested as dialogue; a {new} is read by paragraphs",
                file=path,
                hint=f"ingest the {new}'s own file with the source type instead",
            )
    frame["source_type"] = types
    if sheet is not None:
        frame = _sheet_attributes(frame, sheet)
    return frame


def _from_segments_csv(path: Path, index: dict[str, dict[str, RosterEntry]] | None) -> IngestResult:
    """An existing segments.csv, optionally re-mapped to a (new) roster."""
    from qualcode.io import read_segments

    df = read_segments(path)
    # speaker_key once per distinct label, not once per turn
    keys = df["speaker"].map({s: speaker_key(s) for s in df["speaker"].unique()})
    if index is not None:
        # Plain lists: iterating pandas string columns goes through __getitem__ per value.
        entries = [
            index.get(tid, {}).get(key)
            for tid, key in zip(df["transcript_id"].tolist(), keys.tolist(), strict=True)
        ]
        for column in ("role", "participant_id"):
            df[column] = [
                old if entry is None else getattr(entry, column)
                for entry, old in zip(entries, df[column].tolist(), strict=True)
            ]
        del entries
    # Per transcript, in first-seen order, from three grouped counts (a Python loop over the
    # groups took minutes at 100,000 transcripts).
    tids = df["transcript_id"]
    turns = tids.groupby(tids, sort=False).size()
    speakers = keys.groupby(tids, sort=False).nunique().to_dict()
    who = df["participant_id"]
    known = who != ""
    mapped = who[known].groupby(tids[known], sort=False).nunique().to_dict()
    summaries = [
        TranscriptSummary(
            transcript_id=str(tid),
            source=str(path),
            format="segments",
            turns=int(count),
            speakers=int(speakers[tid]),
            participants_mapped=int(mapped.get(tid, 0)),
        )
        for tid, count in zip(turns.index.tolist(), turns.tolist(), strict=True)
    ]
    return IngestResult(segments=df, summaries=summaries)
