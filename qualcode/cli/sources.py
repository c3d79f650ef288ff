"""The segments a command works on, from SOURCES (transcripts, folders or a segments.csv).

Shared by `code` (every mode) and `suggest`; its own module so `cli/code.py` and the modules it
imports lazily (`code_interactive.py`, `code_sheet.py`) do not import each other.
"""

from __future__ import annotations

from pathlib import Path

import typer


def load_segments(sources: list[Path], roster: Path | None):
    """Segments from SOURCES: a lone segments.csv is read as it is; anything else is ingested."""
    from qualcode.ingest import is_segments_csv, load_sources

    lone = len(sources) == 1 and sources[0].is_file()
    if roster is None and lone and is_segments_csv(sources[0]):
        from qualcode.io import read_segments

        return read_segments(sources[0])  # nothing to ingest or re-map: read it as it is
    result = load_sources(sources, roster=roster)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    return result.segments
