"""A dry run of ingest: what each transcript would give, without writing anything.

For a folder of 40 transcripts a researcher wants to see, before committing to them, how each was
read (layout detected or inferred), who speaks and how often, how each speaker starts, and what was
warned about or would fail. `preview_sources` reads every file (a failure is recorded, not raised)
and returns one `FilePreview` per file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import InputFormatError, QualcodeError

FIRST_WORDS = 8  # words of a speaker's first turn shown


@dataclass
class SpeakerPreview:
    speaker: str
    role: str
    participant_id: str
    turns: int
    first_words: str  # the start of the speaker's first turn


@dataclass
class FilePreview:
    source: str
    transcript_id: str
    format: str | None = None
    layout: str | None = None
    turns: int = 0
    speakers: list[SpeakerPreview] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: QualcodeError | None = None


def _first_words(text: str, n: int = FIRST_WORDS) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" \u2026" if len(words) > n else "")


def _speakers(segments) -> list[SpeakerPreview]:
    from qualcode.ingest.turns import speaker_key

    out: dict[str, SpeakerPreview] = {}
    for s in segments:
        key = speaker_key(s.speaker)
        if key in out:
            out[key].turns += 1
        else:
            out[key] = SpeakerPreview(s.speaker, s.role, s.participant_id, 1, _first_words(s.text))
    return list(out.values())


def preview_sources(
    paths: Sequence[str | Path],
    *,
    roster: str | Path | None = None,
    fmt: str | None = None,
    speaker_pattern: str | None = None,
    speaker_column: str | None = None,
    text_column: str | None = None,
) -> tuple[list[FilePreview], list[str]]:
    """One preview per transcript file named by `paths`, and notes on files left out.

    Problems with the request itself (no such folder, a bad speaker pattern, an unreadable roster)
    raise as in `load_sources`; a file that cannot be read is recorded in its preview.
    """
    from qualcode.ingest import (
        _roster_index,
        _roster_warnings,
        collect_sources,
        ingest_file,
        is_segments_csv,
        text_name,
        transcript_id_clash,
    )
    from qualcode.ingest.detect import check_format
    from qualcode.roster import read_roster

    if not paths:
        raise InputFormatError("no transcripts given")
    plain = [Path(p) for p in paths]
    for p in plain:
        if p.is_file() and is_segments_csv(p):
            raise InputFormatError(
                "a segments.csv is already ingested: there is nothing to preview",
                file=p,
                hint="give the transcript files or folders",
            )
    if fmt:
        fmt = check_format(fmt)
    if speaker_pattern:
        from qualcode.ingest.text import compile_speaker_pattern

        compile_speaker_pattern(speaker_pattern)
    index = _roster_index(read_roster(roster)) if roster is not None else None
    files, notes = collect_sources(plain)
    previews: list[FilePreview] = []
    seen: dict[str, str] = {}
    for path in files:
        tid = text_name(path.stem)
        preview = FilePreview(source=str(path), transcript_id=tid)
        previews.append(preview)
        preview.error = transcript_id_clash(tid, path, seen)
        if preview.error is not None:
            continue
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
            )
        except QualcodeError as exc:
            preview.error = exc
            continue
        preview.format = result.format
        preview.layout = result.layout
        preview.turns = len(result.segments)
        preview.speakers = _speakers(result.segments)
        preview.warnings = list(result.warnings)
        if index is not None:
            preview.warnings.extend(
                _roster_warnings(tid, [s.speaker for s in result.segments], entries)
            )
    return previews, notes
