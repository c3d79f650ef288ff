"""`qualcode init`: lay out a study folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def init(
    folder: Annotated[
        Path, typer.Argument(help="The study folder (created if missing).", show_default=False)
    ] = Path("."),
) -> None:
    """Lay out a study folder: qualcode.yaml (defaults for every command run inside it), a starter
    A&S codebook, an empty roster, transcripts/ and codings/. Existing files are never touched.

    Example: qualcode init my-study
    """
    from qualcode.project import scaffold

    created, kept = scaffold(folder)
    for path in created:
        typer.echo(f"created {path}{'/' if path.is_dir() else ''}")
    for path in kept:
        typer.echo(f"kept    {path} (already there)")
    typer.echo(
        f"next: put transcripts in {folder / 'transcripts'}, then "
        f"`cd {folder} && qualcode ingest transcripts -o segments.csv`"
    )
