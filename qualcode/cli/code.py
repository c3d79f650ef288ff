"""`qualcode code SOURCES --codebook CB --coder NAME --auto`: apply codes, write codings/<coder>.csv.

One command, several coding modes; each mode is one branch below (`--auto` now; `--sheet`,
`--interactive`, `--from-sheet` are added as further branches by their own modules).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.options import (
    CodebookOption,
    CoderOption,
    OutputOption,
    RosterOption,
    SourcesArgument,
)

PROGRESS_SEGMENTS = 20_000  # show a progress bar from this many segments on


def code(
    ctx: typer.Context,
    sources: SourcesArgument,
    codebook: CodebookOption,
    coder: CoderOption,
    auto: Annotated[
        bool,
        typer.Option("--auto", help="Apply the codebook's keywords and patterns automatically."),
    ] = False,
    output: OutputOption = None,
    roster: RosterOption = None,
    include_facilitator: Annotated[
        bool,
        typer.Option(
            "--include-facilitator", help="Code facilitator turns too (excluded by default)."
        ),
    ] = False,
    pattern_timeout: Annotated[
        float,
        typer.Option(
            "--pattern-timeout",
            min=0.001,
            help="Seconds a codebook pattern may take on one turn before the run stops.",
        ),
    ] = 1.0,
) -> None:
    """Code transcripts (files, folders or a segments.csv) with the codebook; write the codings.

    --auto applies each repeating idea's keywords (case-insensitive whole words or phrases) and
    patterns (regular expressions) to participant turns, and writes one row per (segment, code)
    plus an empty-code row for each reviewed turn without codes (origin "auto").

    Example: qualcode code transcripts/ --codebook codebook.yaml --coder auto --auto -o codings/auto.csv
    """
    name = coder.strip()
    if not name or any(ch in name for ch in "/\\"):
        raise typer.BadParameter(
            "give a coder name without slashes (it names the codings file)", param_hint="--coder"
        )
    target = output if output is not None else Path("codings") / f"{name}.csv"
    if auto:
        _code_auto(sources, codebook, name, target, roster, include_facilitator, pattern_timeout)
        return
    ctx.fail("choose a coding mode: --auto")  # a usage problem: exit 2


def _load_segments(sources: list[Path], roster: Path | None):
    from qualcode.cli.render import stderr_console
    from qualcode.ingest import load_sources

    result = load_sources(sources, roster=roster)
    err = stderr_console()
    for warning in result.warnings:
        err.print(f"warning: {warning}", markup=False)
    return result.segments


def _code_auto(
    sources: list[Path],
    codebook_path: Path,
    coder: str,
    output: Path,
    roster: Path | None,
    include_facilitator: bool,
    pattern_timeout: float,
) -> None:
    from contextlib import nullcontext

    from qualcode.cli.render import progress_bar, stderr_console
    from qualcode.codebook import load_codebook
    from qualcode.coding.autocode import autocode, summarise_codings
    from qualcode.io import write_codings

    warnings = []
    codebook = load_codebook(codebook_path, warnings=warnings)
    err = stderr_console()
    for finding in warnings:
        err.print(f"warning: {finding}", markup=False)
    segments = _load_segments(sources, roster)
    big = len(segments) >= PROGRESS_SEGMENTS
    with progress_bar("Auto-coding", len(segments)) if big else nullcontext() as advance:
        codings = autocode(
            segments,
            codebook,
            coder=coder,
            include_facilitator=include_facilitator,
            pattern_timeout=pattern_timeout,
            progress=advance,
        )
    write_codings(codings, output)
    summary, totals = summarise_codings(codings, segments, codebook)
    _print_summary(summary, totals, output, include_facilitator)


def _print_summary(summary, totals: dict[str, int], output: Path, include_facilitator: bool):
    from rich.table import Table
    from rich.text import Text

    from qualcode.cli.render import stdout_console

    table = Table(show_footer=True, box=None, pad_edge=False)
    table.add_column("code", footer=Text("any code"))
    table.add_column("label", footer="")
    for col in ("segments", "participants", "groups"):
        table.add_column(col, justify="right", footer=f"{totals[col]:,}")
    for row in summary.itertuples(index=False):
        table.add_row(
            Text(row.code_id),
            Text(row.label),
            f"{row.segments:,}",
            f"{row.participants:,}",
            f"{row.groups:,}",
        )
    stdout_console().print(table)
    scope = "all turns" if include_facilitator else "facilitator turns excluded"
    typer.echo(
        f"wrote {output}: {totals['segments']:,} of {totals['reviewed']:,} reviewed segments "
        f"coded ({scope})"
    )
