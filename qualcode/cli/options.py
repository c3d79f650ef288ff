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
