"""`qualcode export qdc|qdpx`: the codebook or the whole study for other QDA programs (REFI-QDA)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.options import (
    CodebookOption,
    MemosOption,
    RequiredOutputOption,
    RosterOption,
    protect_inputs,
)

PROGRESS_SEGMENTS_BYTES = 1_000_000  # segments.csv size from which export qdpx shows a bar

export_app = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Export to REFI-QDA for NVivo, ATLAS.ti, MAXQDA, QualCoder and others (.qdc, .qdpx).",
)


@export_app.command("qdc")
def qdc(
    codebook: Annotated[
        Path, typer.Argument(help="The YAML codebook.", show_default=False, dir_okay=False)
    ],
    output: RequiredOutputOption,
) -> None:
    """Write the codebook as a REFI-QDA codebook (.qdc): nested codes with their definitions.

    Constructs and themes are non-codable groups; repeating ideas are the codable codes. GUIDs are
    derived from the code ids, so exporting again gives the same file.

    Example: qualcode export qdc codebooks/bup_group_visits.yaml -o codebook.qdc
    """
    from qualcode.interop.refi_export import export_qdc

    protect_inputs(output, codebook, what="the codebook export")
    export_qdc(codebook, output)
    typer.echo(f"wrote {output}: {codes_phrase(codebook)}")


@export_app.command("qdpx")
def qdpx(
    segments: Annotated[
        Path, typer.Option("--segments", "-s", help="The segments.csv the codings refer to.")
    ],
    codings: Annotated[
        list[Path],
        typer.Option(
            "--codings", help="A codings file (repeat for each coder).", show_default=False
        ),
    ],
    codebook: CodebookOption,
    output: RequiredOutputOption,
    roster: RosterOption = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Project name (default: the codebook title).")
    ] = None,
    memos: MemosOption = None,
) -> None:
    """Write the study as a REFI-QDA project (.qdpx): transcripts, codes, both coders' codings.

    Each transcript becomes a text source ('Speaker: text' per turn, blank line between turns);
    each coding a selection of the coded text by its coder (a User); roster attributes become
    variables of the participants' cases; coding memos become notes, and so do the analytic memos
    of --memos (each linked from its code, theme or construct, a study memo from the project).

    Example: qualcode export qdpx --segments segments.csv --codings codings/coder_a.csv --codings codings/coder_b.csv --codebook codebook.yaml --roster roster.csv -o study.qdpx
    """
    from contextlib import nullcontext

    from qualcode.cli.render import progress_bar
    from qualcode.interop.refi_export import export_qdpx

    protect_inputs(output, segments, codings, codebook, roster, what="the project")
    # About 1 s per MB of segments.csv: a bar (one step per transcript) from ~1 s of work on.
    big = segments.is_file() and segments.stat().st_size >= PROGRESS_SEGMENTS_BYTES
    from qualcode.cli.checks import recode_hint

    with (
        recode_hint(),
        progress_bar("Exporting transcripts", None) if big else nullcontext() as advance,
    ):
        summary = export_qdpx(
            segments,
            codings,
            codebook,
            output,
            roster_path=roster,
            name=name,
            progress=advance,
            memos_path=memos,
        )
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"wrote {output}: {summary.sources} sources, {summary.turns} turns, "
        f"{len(summary.users)} users ({', '.join(summary.users) or 'none'}), "
        f"{codes_phrase(codebook)}, "
        f"{summary.selections} coded selections, {summary.memos} memos, {summary.cases} cases, "
        f"{summary.variables} variables"
        + (f", {summary.analytic_memos} analytic memos ({memos})" if memos is not None else "")
    )


def codes_phrase(codebook: Path) -> str:
    """`16 codes in 4 themes and 2 constructs`: what export and import both say about a codebook
    (the codes coders apply, then the levels above them), so the two counts can be compared."""
    from qualcode.codebook import codebook_counts, load_codebook

    counts = codebook_counts(load_codebook(codebook))
    n = counts["repeating_ideas"]
    text = f"{n} code{'s' if n != 1 else ''}"
    levels = [
        f"{counts[level]} {level[:-1] if counts[level] == 1 else level}"
        for level in ("themes", "constructs")
        if counts[level]
    ]
    return text + (f" in {' and '.join(levels)}" if levels else "")
