"""`qualcode import qdpx|qdc`: projects and codebooks from other QDA programs (REFI-QDA)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import_app = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Import a REFI-QDA project (.qdpx) or codebook (.qdc) written by another program.",
)

FileArgument = Annotated[
    Path, typer.Argument(help="The file to import.", show_default=False, dir_okay=False)
]
OutDirOption = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="Folder to write into (a new one, or one without study files unless --force).",
        file_okay=False,
    ),
]


ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into a folder that already holds study files (replaced files are kept as .bak).",
    ),
]


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)


def _not_carried(items: list[str]) -> None:
    if items:
        typer.echo(f"not carried over ({len(items)}):")
        for item in items:
            typer.echo(f"  - {item}")


@import_app.command("qdpx")
def qdpx(file: FileArgument, output: OutDirOption, force: ForceOption = False) -> None:
    """Read a .qdpx into segments.csv, codings/<user>.csv, codebook.yaml and roster.csv under the
    folder.

    Sources are split into speaker turns; each coded selection is mapped to the turns it overlaps
    (exact offsets are kept as start_char/end_char when it is not one whole turn). Cases become
    participants in roster.csv (their variables as attribute columns) and give participant_id to the
    speakers they match. What is not carried over (sets, graphs, other notes) is listed.

    Example: qualcode import qdpx study.qdpx -o imported/
    """
    from rich.table import Table

    from qualcode.cli.render import stdout_console
    from qualcode.interop.refi_import import import_qdpx

    result, files = import_qdpx(file, output, force=force)
    s = result.summary
    _warn(s.warnings)
    table = Table(title=f"Imported {file.name}" + (f" ({s.origin})" if s.origin else ""))
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [
        ("sources", s.sources),
        ("speaker turns", s.turns),
        ("users (coders)", len(s.users)),
        ("codes", s.codes),
        ("coding rows", s.codings),
        ("selections", s.selections),
        ("  exactly one turn", s.exact),
        ("  part of one turn", s.within_turn),
        ("  across several turns", s.spanning),
        ("  not mapped", s.unmapped),
        ("participants (cases)", s.participants),
        ("  speakers mapped to one", s.mapped_speakers),
    ]
    for what, count in rows:
        table.add_row(what, str(count))
    stdout_console().print(table)
    if s.qualcode_layout:
        typer.echo("qualcode layout: turns, origins and spans restored exactly")
    if s.misaligned:
        typer.echo(
            f"{s.misaligned} selection(s) do not match one whole turn: mapped to the turns they "
            "overlap, with their exact position in start_char/end_char"
        )
    if s.unlabelled_sources:
        typer.echo(
            "no speaker labels in: "
            + ", ".join(s.unlabelled_sources)
            + " (one 'Unknown Speaker' turn per paragraph)"
        )
    if result.codebook is None:
        typer.echo("the project has no codes: no codebook written")
    else:
        typer.echo(f"codebook: {_codes_in(files)}")
    _not_carried(s.not_carried)
    for path in files:
        typer.echo(f"wrote {path}")


def _codes_in(files: list[Path]) -> str:
    """`16 codes in 4 themes and 2 constructs`, counted as `export` counts them."""
    from qualcode.cli.export import codes_phrase
    from qualcode.errors import QualcodeError

    path = next(p for p in files if p.name == "codebook.yaml")
    try:
        return codes_phrase(path)
    except QualcodeError as exc:  # written, but not a codebook qualcode can load as it is
        return f"written, but it needs a look: {exc}"


@import_app.command("qdc")
def qdc(file: FileArgument, output: OutDirOption, force: ForceOption = False) -> None:
    """Read a .qdc codebook into codebook.yaml under the folder (nested codes become the
    constructs > themes > repeating ideas levels).

    Example: qualcode import qdc codebook.qdc -o imported-codebook/
    """
    from qualcode.interop.refi_import import import_qdc

    summary, files = import_qdc(file, output, force=force)
    _warn(summary.warnings)
    typer.echo(_codes_in(files) + (f" from {summary.origin}" if summary.origin else ""))
    _not_carried(summary.not_carried)
    for path in files:
        typer.echo(f"wrote {path}")
