"""Options shared by several commands, declared once (style.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Where to write (atomic; an existing file is backed up)."),
]
RequiredOutputOption = Annotated[
    Path,
    typer.Option("--output", "-o", help="Where to write (atomic; an existing file is backed up)."),
]
CodebookOption = Annotated[
    Path,
    typer.Option("--codebook", "-c", help="The YAML codebook.", exists=False, dir_okay=False),
]
OptionalCodebookOption = Annotated[
    Path | None,
    typer.Option("--codebook", "-c", help="The YAML codebook.", dir_okay=False),
]
RosterOption = Annotated[
    Path | None,
    typer.Option("--roster", help="roster.csv mapping speakers to participant ids and attributes."),
]
CoderOption = Annotated[str, typer.Option("--coder", help="The coder's name (one file per coder).")]
SourcesArgument = Annotated[
    list[Path],
    typer.Argument(
        help="Transcript files, folders of transcripts, or a segments.csv.", show_default=False
    ),
]


def protect_inputs(
    output: Path | None, *inputs: Path | list[Path] | None, what: str = "the output"
) -> None:
    """Refuse to write `output` over one of the command's input files (`qualcode.io.
    refuse_overwriting_inputs`): call it once per command, before any work, with every path the
    command reads. A list counts each of its paths; a folder counts each transcript it holds."""
    if output is None or not output.exists():
        return  # a new file cannot be an input
    from qualcode.io import refuse_overwriting_inputs

    files: list[Path] = []
    for item in inputs:
        for path in item if isinstance(item, list | tuple) else [item]:
            if path is None:
                continue
            files.extend(_transcripts_in(path) if path.is_dir() else [path])
    refuse_overwriting_inputs(output, files, what=what)


def _transcripts_in(folder: Path) -> list[Path]:
    """The files `qualcode ingest` would read from `folder` (none if it cannot walk it: the
    command's own reader then says why)."""
    from qualcode.errors import QualcodeError
    from qualcode.ingest import collect_sources

    try:
        return collect_sources([folder])[0]
    except QualcodeError:
        return []
