"""`qualcode code SOURCES --codebook CB --coder NAME --auto`: apply codes, write codings/<coder>.csv.

One command, several coding modes; each mode is one branch below (`--auto` now; `--sheet`,
`--interactive`, `--from-sheet` are added as further branches by their own modules).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qualcode.cli.options import (
    PARTITION_SEGMENTS,
    CoderOption,
    Engine,
    EngineOption,
    ForceOption,
    OptionalCodebookOption,
    OutputOption,
    PartitionSizeOption,
    RosterOption,
    SchedulerOption,
    SourcesArgument,
    WorkersOption,
    engine_settings,
    protect_inputs,
)

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.cli.code_auto import AutoCoding

PROGRESS_SEGMENTS = 20_000  # show a progress bar from this many segments on


def code(
    ctx: typer.Context,
    coder: CoderOption,
    sources: SourcesArgument = None,
    codebook: OptionalCodebookOption = None,
    auto: Annotated[
        bool,
        typer.Option("--auto", help="Apply the codebook's keywords and patterns automatically."),
    ] = False,
    sheet: Annotated[
        Path | None,
        typer.Option(
            "--sheet",
            help="Write a coding sheet (.xlsx or .csv) to fill in; pre-filled from -o if it exists.",
            dir_okay=False,
        ),
    ] = None,
    from_sheet: Annotated[
        Path | None,
        typer.Option(
            "--from-sheet",
            help="Read a filled-in coding sheet back, check it, and write the codings to -o.",
            dir_okay=False,
        ),
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            help="Code in the terminal, one segment at a time; saved as you go, resumable.",
        ),
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
    force: ForceOption = False,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    partition_size: PartitionSizeOption = PARTITION_SEGMENTS,
    output_parts: Annotated[
        bool,
        typer.Option(
            "--output-parts",
            help="With --auto: -o is a folder of part files (part-00000.csv, ...), one per "
            "partition, landed together when every partition succeeded.",
        ),
    ] = False,
    chunk_segments: Annotated[
        int | None,
        typer.Option(
            "--chunk-segments",
            min=1,
            hidden=True,  # for tests: the chunked read on a few rows (coding.autocode.CHUNK_SEGMENTS)
        ),
    ] = None,
) -> None:
    """Code transcripts (files, folders or a segments.csv) with the codebook; write the codings.

    --auto applies each repeating idea's keywords (case-insensitive whole words or phrases) and
    patterns (regular expressions) to participant turns, and writes one row per (segment, code)
    plus an empty-code row for each reviewed turn without codes (origin "auto").

    --sheet FILE writes a coding sheet (.xlsx, or .csv without Excel): one row per turn, one column
    per repeating idea under its theme, a memo column and a `none` column; --from-sheet FILE reads
    it back (checking every cell) into -o. A row counts as reviewed only with a code mark, a `none`
    mark (reviewed, no code applies) or a memo: blank rows are not reviewed. A code cell takes x
    (the whole turn) or the numbers of the sentences it covers (2-3, or 1,4 for two excerpts),
    which become start_char/end_char; the terminal takes 1:2-3 the same way. Give the segments
    (SOURCES) with --from-sheet too, so turns that changed since the sheet was written are found. --interactive codes in the terminal and saves each segment as it goes:
    run the same command again to resume.

    --auto --engine dask runs the same auto-coding on a Dask cluster (--scheduler
    tcp://HOST:8786, or --workers N processes here); SOURCES may then be a folder of segments part
    files (.csv or .parquet) that the workers read. The codings are the same bytes as local.

    Example: qualcode code transcripts/ --codebook codebook.yaml --coder auto --auto -o codings/auto.csv
    """
    name = coder.strip()
    if not name or any(ch in name for ch in "/\\"):
        raise typer.BadParameter(
            "give a coder name without slashes (it names the codings file)", param_hint="--coder"
        )
    target = output if output is not None else Path("codings") / f"{name}.csv"
    cluster = engine_settings(engine, scheduler, workers)
    if (cluster is not None or output_parts) and not auto:
        ctx.fail("--engine dask and --output-parts go with --auto")
    if output_parts and output is None:
        ctx.fail("--output-parts writes a folder: name it with -o FOLDER")
    modes = [
        flag
        for flag, on in (
            ("--auto", auto),
            ("--sheet", sheet is not None),
            ("--from-sheet", from_sheet is not None),
            ("--interactive", interactive),
        )
        if on
    ]
    if len(modes) > 1:
        ctx.fail(f"choose one coding mode, not {' and '.join(modes)}")
    # --sheet writes the sheet (pre-filled from the codings -o names); every other mode writes -o.
    # In --interactive, -o is the coder's own file, resumed: written, so not protected.
    written, what = (sheet, "the sheet") if sheet is not None else (target, "the codings")
    prefill = target if sheet is not None else None
    # A file holding other work (alice's manual codings under --auto) is replaced only with --force.
    if sheet is not None:
        kind: tuple[str, str | None] = ("coding sheet", None)
    else:
        kind = ("codings", "auto") if auto else ("manual codings", name)
    if output_parts:
        if any(Path(p).resolve() == target.resolve() for p in sources or []):
            ctx.fail("-o names the folder the segments are read from: write elsewhere")
    else:
        protect_inputs(
            written,
            sources,
            codebook,
            roster,
            from_sheet,
            prefill,
            what=what,
            writes=kind,
            force=force,
        )
    if modes:  # before anything is read: a study that would not fit in memory stops here
        from qualcode.capacity import check_fits

        reads = None if auto or from_sheet is not None else target  # pre-filled / resumed
        hint = "or code a folder of segments part files (one part in memory at a time)"
        whole = " whole" * (auto and (roster is not None or cluster is not None))  # not chunked
        step = f"code {modes[0]}{whole}"
        if sheet is not None and sheet.suffix.lower() == ".csv":
            step += " csv"  # a csv sheet is written as a stream: far less than an xlsx one
        check_fits(
            step, what=f"code {modes[0]}", sources=sources, sheet=from_sheet, codings=reads,
            hint=hint * auto,
        )  # fmt: skip
    if from_sheet is not None:
        from qualcode.cli.code_sheet import read_sheet

        read_sheet(from_sheet, codebook, name, target, sources, roster)
        return
    if not sources:
        ctx.fail("give the transcripts, folders or segments.csv to code (SOURCES)")
    if codebook is None:
        ctx.fail("give the codebook: --codebook CB")
    if sheet is not None:
        from qualcode.cli.code_sheet import write_sheet

        write_sheet(sources, codebook, name, sheet, target, roster)
        return
    if interactive:
        from qualcode.cli.code_interactive import run_interactive

        run_interactive(sources, codebook, name, target, roster, include_facilitator)
        return
    if auto:
        from qualcode.cli.code_auto import AutoCoding

        job = AutoCoding(
            sources,
            codebook,
            name,
            target,
            roster,
            include_facilitator,
            pattern_timeout,
            output_parts=output_parts,
        )
        if cluster is not None:
            from qualcode.cli.code_dask import code_auto_dask

            summary, totals, noun = code_auto_dask(
                job, cluster=cluster, partition_size=partition_size
            )
            _print_summary(summary, totals, target, include_facilitator, noun)
        else:
            _code_auto(job, chunk_segments=chunk_segments)
        return
    ctx.fail(  # a usage problem: exit 2
        "choose a coding mode: --auto, --sheet FILE, --from-sheet FILE or --interactive"
    )


def _code_auto(job: AutoCoding, *, chunk_segments: int | None = None) -> None:
    """code --auto on this machine."""
    from contextlib import nullcontext

    from qualcode.cli.render import progress_bar
    from qualcode.cli.sources import load_segments
    from qualcode.coding.autocode import CHUNK_SEGMENTS, combine_summaries, summary_noun
    from qualcode.engine.tasks import autocode_task, is_parts_folder, part_files
    from qualcode.ingest import is_segments_csv
    from qualcode.io import write_codings_folder, write_codings_parts, written_together

    sources, output, roster = job.sources, job.output, job.roster
    chunk_segments = chunk_segments or CHUNK_SEGMENTS
    codebook = job.load_codebook()
    summaries = []
    write = write_codings_folder if job.output_parts else write_codings_parts
    settings = job.task_settings(codebook)

    def coded(chunks, advance=None):
        # The partition function Dask workers run, here chunk by chunk: the codings are written
        # as they are made, never held whole.
        for chunk in chunks:
            rows, summary = autocode_task(chunk, *settings)
            summaries.append(summary)
            yield rows
            if advance is not None:
                advance(1 if isinstance(chunk, Path) else len(chunk))

    source = sources[0] if len(sources) == 1 else None
    if source is not None and roster is None and is_parts_folder(source):
        # A folder of segments part files: one part in memory at a time, through the task a Dask
        # worker runs (the bounded-memory path for corpora of millions of segments).
        files = part_files(source)
        with progress_bar("Auto-coding part files", len(files)) as advance:
            write(coded(files, advance), output)
        noun = summary_noun(summaries)
    elif source is not None and roster is None and source.is_file() and is_segments_csv(source):
        # One segments.csv, read and coded `chunk_segments` rows at a time: memory holds a chunk,
        # the segment ids (to refuse a repeated one) and the summary's parts, never the table.
        with written_together():  # a bad row in a later chunk: no folder made for -o stays
            write(coded(_with_bar(source, chunk_segments)), output)
        noun = summary_noun(summaries)
    else:
        from qualcode.model import study_source_nouns

        segments = load_segments(sources, roster)
        big = len(segments) >= PROGRESS_SEGMENTS
        chunks = (
            segments.iloc[lo : lo + chunk_segments]
            for lo in range(0, max(len(segments), 1), chunk_segments)
        )
        with progress_bar("Auto-coding", len(segments)) if big else nullcontext() as advance:
            write(coded(chunks, advance), output)
        noun = study_source_nouns(segments)[1]
    summary, totals = combine_summaries(summaries, codebook)
    _print_summary(summary, totals, output, job.include_facilitator, noun)


def _with_bar(source: Path, chunk_segments: int):
    """The pieces of `io.iter_segments`, with a progress bar from PROGRESS_SEGMENTS segments on.
    The number of segments is known only at the end, so it is estimated from the share of the
    file read and the bar shown once the estimate reaches PROGRESS_SEGMENTS."""
    from contextlib import ExitStack

    from qualcode.cli.render import progress_bar
    from qualcode.io import iter_segments

    share = [0.0]

    def read_share(fraction: float) -> None:
        share[0] = fraction

    done = 0
    with ExitStack() as stack:
        advance = None
        for chunk in iter_segments(source, chunk_segments, read_share=read_share):
            yield chunk
            done += len(chunk)
            total = max(done, round(done / share[0])) if share[0] else done
            if advance is not None:
                advance(len(chunk), total=total)
            elif total >= PROGRESS_SEGMENTS:
                advance = stack.enter_context(progress_bar("Auto-coding", total))
                advance(done)


def _print_summary(
    summary, totals: dict[str, int], output: Path, include_facilitator: bool, noun: str = "groups"
):
    """The per-code table; the groups column is named for the transcripts (model.source_nouns)."""
    from rich.table import Table
    from rich.text import Text

    from qualcode.cli.render import stdout_console

    table = Table(show_footer=True, box=None, pad_edge=False)
    table.add_column("code", footer=Text("any code"))
    table.add_column("label", footer="")
    for col in ("segments", "participants", "groups"):
        table.add_column(
            noun if col == "groups" else col, justify="right", footer=f"{totals[col]:,}"
        )
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
