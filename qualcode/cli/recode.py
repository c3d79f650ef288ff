"""`qualcode recode-map OLD NEW CODINGS -o OUT`: carry codings over to the turns of re-ingested
transcripts (the core is `qualcode.coding.recode`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.options import RequiredOutputOption, protect_inputs

UNPLACED_SHOWN = 20


def recode_map(
    old_segments: Annotated[
        Path, typer.Argument(help="The segments.csv the codings were made on (e.g. its .bak).")
    ],
    new_segments: Annotated[Path, typer.Argument(help="The segments.csv after re-ingesting.")],
    codings: Annotated[Path, typer.Argument(help="The codings file to carry over.")],
    output: RequiredOutputOption,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            min=0.5,
            max=1.0,
            help="Least similarity (difflib ratio, 0.5-1) for a turn whose text changed.",
        ),
    ] = 0.8,
) -> None:
    """Carry codings over to new turn numbers after a transcript was edited and re-ingested.

    Each coded turn goes to the new turn with the same text (the turn sequences are aligned in
    order, so repeated short turns stay in place), else to the most similar new turn of the same
    transcript if the texts are at least --threshold similar (difflib's ratio: 2 x matching
    characters / all characters; 0.8 by default, a corrected typo scores above 0.9). Codings it
    cannot place are listed and written to <output stem>.unplaced.csv with the reason: nothing is
    dropped silently. The output records the new turns' text hashes.

    Example: qualcode recode-map segments.csv.20240501-101500.bak segments.csv codings/ana.csv -o codings/ana.recoded.csv
    """
    from qualcode.coding.recode import EXACT, SIMILAR
    from qualcode.coding.recode import recode_map as core
    from qualcode.io import (
        read_codings,
        read_segments,
        write_codings,
        write_dataframe_csv,
        written_together,
    )
    from qualcode.provenance import TextChangedError

    unplaced_path = output.with_name(f"{output.stem}.unplaced.csv")
    protect_inputs(output, old_segments, new_segments, what="the codings")
    protect_inputs(unplaced_path, old_segments, new_segments, codings, what="the unplaced list")
    old = read_segments(old_segments)
    new = read_segments(new_segments)
    df = read_codings(codings)
    try:
        result = core(
            df, old, new, threshold=threshold, codings_file=codings, old_segments_file=old_segments
        )
    except TextChangedError as exc:
        exc.hint = "OLD_SEGMENTS must be the segments.csv the codings were made on"
        raise
    with written_together():
        write_codings(result.codings, output)
        if len(result.unplaced):
            write_dataframe_csv(result.unplaced, unplaced_path)
    turns = len(result.placements)
    exact, similar = result.turns(EXACT), result.turns(SIMILAR)
    lowest = result.lowest_similarity()
    low = f", lowest {lowest:.2f}" if lowest is not None else ""
    typer.echo(
        f"placed {len(result.codings)} of {len(df)} codings: {exact} of {turns} coded turns by "
        f"exact text, {similar} by similarity >= {threshold:.2f}{low}"
    )
    if len(result.unplaced):
        left = result.unplaced
        typer.echo(
            f"warning: {len(left)} codings on {left['segment_id'].nunique()} turns could not be "
            f"placed; they are listed in {unplaced_path}:",
            err=True,
        )
        for r in left.head(UNPLACED_SHOWN).itertuples(index=False):
            code = r.code_id or "(reviewed, no code)"
            typer.echo(f"  {codings}:{r.row}: {r.segment_id} {code}: {r.reason}", err=True)
        if len(left) > UNPLACED_SHOWN:
            typer.echo(f"  ... and {len(left) - UNPLACED_SHOWN} more in {unplaced_path}", err=True)
    typer.echo(f"wrote {output}")
