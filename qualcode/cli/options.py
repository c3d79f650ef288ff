"""Options shared by several commands, declared once (style.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
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
MemosOption = Annotated[
    Path | None,
    typer.Option(
        "--memos",
        help="The folder of analytic memos (default: memos/ beside the study's qualcode.yaml).",
        file_okay=False,
    ),
]
CoderOption = Annotated[str, typer.Option("--coder", help="The coder's name (one file per coder).")]
SourcesArgument = Annotated[
    list[Path],
    typer.Argument(
        help="Transcript files, folders of transcripts, or a segments.csv.", show_default=False
    ),
]


ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace an output that holds other work (a coder's manual codings, a consensus, a "
        "decisions log, a codebook or a roster); the old file is kept as a .bak.",
    ),
]


class Engine(StrEnum):
    local = "local"
    dask = "dask"


EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="Where the work runs: local (this process) or dask (a Dask cluster: --scheduler, "
        'or --workers processes on this machine; needs pip install "qualcode[dask]").',
        case_sensitive=False,
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="With --engine dask: the address of a running Dask scheduler (tcp://HOST:8786).",
        metavar="ADDRESS",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="With --engine dask and no --scheduler: worker processes on this machine "
        "(default: one per CPU).",
    ),
]
PartitionSizeOption = Annotated[
    int,
    typer.Option(
        "--partition-size",
        min=1,
        help="With --engine dask: segments per task (a folder of part files: one task per file).",
    ),
]
PARTITION_SEGMENTS = 100_000


def engine_settings(
    engine: Engine, scheduler: str | None, workers: int | None
) -> tuple[str | None, int | None] | None:
    """None for the local engine; (scheduler, workers) for Dask. --scheduler and --workers
    belong to --engine dask, and a cluster has its own workers."""
    if engine == Engine.local:
        for flag, value in (("--scheduler", scheduler), ("--workers", workers)):
            if value is not None:
                raise typer.BadParameter(f"{flag} needs --engine dask", param_hint=f"'{flag}'")
        return None
    if scheduler and workers is not None:
        raise typer.BadParameter(
            "give --scheduler (a running cluster) or --workers (a cluster on this machine), "
            "not both",
            param_hint="'--workers'",
        )
    return scheduler, workers


def protect_inputs(
    output: Path | None,
    *inputs: Path | list[Path] | None,
    what: str = "the output",
    writes: tuple[str, str | None] = ("report", None),
    force: bool = False,
) -> None:
    """Before any work: refuse to write `output` over one of the command's input files
    (`qualcode.io.refuse_overwriting_inputs`), or over a file holding another kind of work than
    `writes` without `force` (`qualcode.io.check_replace`), and lock `output` until the command
    ends (`qualcode.io.lock_output`: a second qualcode writing it fails). Call it once per output,
    with every path the command reads. A list counts each of its paths; a folder counts each
    transcript it holds."""
    if output is None:
        return
    from qualcode.io import check_replace, lock_output

    if output.parent.is_dir():
        lock_output(output)  # released when the command ends (cli.errors.QualcodeGroup)
    if not output.exists():
        return  # a new file cannot be an input
    from qualcode.io import refuse_overwriting_inputs

    files: list[Path] = []
    for item in inputs:
        for path in item if isinstance(item, list | tuple) else [item]:
            if path is None:
                continue
            files.extend(_transcripts_in(path) if path.is_dir() else [path])
    refuse_overwriting_inputs(output, files, what=what)
    check_replace(output, writes, force=force)


def _transcripts_in(folder: Path) -> list[Path]:
    """The files `qualcode ingest` would read from `folder` (none if it cannot walk it: the
    command's own reader then says why)."""
    from qualcode.errors import QualcodeError
    from qualcode.ingest import collect_sources

    try:
        return collect_sources([folder])[0]
    except QualcodeError:
        return []


@contextmanager
def one_thread_reads() -> Iterator[None]:
    """Read large CSV tables on one thread. pandas 3.1 parses a CSV over 5 MB on several threads;
    each thread's malloc arena keeps its memory after the read, and the threads cost CPU time too
    (compare's two codings files at 4M segments: 9.9 -> 9.3 s CPU, peak 1,681 -> 1,439 MB; a
    report's study tables: 50 MB less peak at 250,000 segments, 65 MB at a million, same CPU)."""
    import pandas as pd

    try:
        pd.get_option("mode.max_threads")
    except KeyError:  # pandas' OptionError: a pandas that has no parallel read
        yield
        return
    with pd.option_context("mode.max_threads", 1):
        yield
