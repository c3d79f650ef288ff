"""What every format parser returns: labelled blocks in file order, before turns are merged.

Parsers (one module per format) only find speaker labels, text, positions and times; the shared
pipeline in `qualcode.ingest` merges consecutive blocks of one speaker into turns, assigns roles from
the roster or facilitator names, and builds `Segment`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RawBlock:
    """One labelled stretch of text as written in the source.

    `speaker` None means the source gave no label here (a continuation paragraph, a Zoom cue without a
    name): the pipeline attaches it to the previous speaker, or to `Unknown Speaker` at the start.
    """

    speaker: str | None
    text: str
    line: int  # 1-based line (or cue / paragraph / row number) where the block starts
    start_time: float | None = None  # seconds
    end_time: float | None = None
    flags: tuple[str, ...] = ()  # e.g. ("continuation-cue",) for a Zoom cue with no name


@dataclass
class ParsedTranscript:
    """A parser's result for one file."""

    format: str  # "text", "otter", "docx", "vtt", "srt", "table"
    blocks: list[RawBlock]
    warnings: list[str] = field(default_factory=list)
    # How blocks of one turn are joined: paragraphs keep their line break; caption cues are one
    # sentence wrapped for the screen, so a line break between them would split sentences.
    joiner: str = "\n"
    # How the speaker labels were found, for the summary and --preview: "detected 'Name: text'",
    # "inferred '<label>: text' (2 labels, 107 of 110 lines)"; None when the format says it all.
    layout: str | None = None
