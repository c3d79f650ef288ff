"""`qualcode code ... --auto --engine dask`: the auto-coding partitions run on a Dask cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from qualcode.cli.code_auto import AutoCoding


def code_auto_dask(job: AutoCoding, *, cluster: tuple[str | None, int | None], partition_size: int):
    """Partitions: the part files of a folder (read by the workers), else the segments read
    here and split into `partition_size` rows. Results come back in order and are written as
    they come, atomically, only when every partition succeeded. Returns the summary and totals
    (`coding.autocode.combine_summaries`) and the noun of its groups column, for the command to print."""
    from qualcode.cli.render import progress_bar
    from qualcode.cli.sources import load_segments
    from qualcode.coding.autocode import combine_summaries
    from qualcode.engine import require_extra
    from qualcode.engine.tasks import autocode_task, is_parts_folder, part_files
    from qualcode.io import write_codings_folder, write_codings_parts

    require_extra()  # before reading anything: the user learns the install command first
    from qualcode.engine.dask import connect, map_partitions

    codebook = job.load_codebook()
    settings = job.task_settings(codebook)
    sources, roster = job.sources, job.roster
    if len(sources) == 1 and roster is None and is_parts_folder(sources[0]):
        files = part_files(sources[0])
        partitions = [(str(f.resolve()), *settings) for f in files]
        labels = [f.name for f in files]
    else:
        segments = load_segments(sources, roster)
        partitions, labels = [], []
        for lo in range(0, max(len(segments), 1), partition_size):
            chunk = segments.iloc[lo : lo + partition_size].reset_index(drop=True)
            partitions.append((chunk, *settings))
            ids = chunk["segment_id"]
            labels.append(f"segments {ids.iat[0]} to {ids.iat[-1]}" if len(ids) else "no segments")
        del segments
    summaries = []

    def codings(results):
        for rows, summary in results:
            summaries.append(summary)
            yield rows

    scheduler, workers = cluster
    write = write_codings_folder if job.output_parts else write_codings_parts
    with (
        connect(scheduler, workers) as client,
        progress_bar("Auto-coding on the cluster", len(partitions)) as advance,
    ):
        results = map_partitions(client, autocode_task, partitions, labels=labels, progress=advance)
        write(codings(results), job.output)
    from qualcode.coding.autocode import summary_noun

    return (*combine_summaries(summaries, codebook), summary_noun(summaries))
