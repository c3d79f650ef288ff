"""Run partition functions on a Dask cluster (optional extra `qualcode[dask]`).

`connect` reaches a running scheduler (`dask scheduler`, with `dask worker tcp://HOST:8786` on each
node) or starts a LocalCluster of worker processes on this machine. `map_partitions` submits one
task per partition and yields the results in partition order, as the local loop does, so the
outputs are the same bytes. Dask retries a task whose worker died (up to the scheduler's
`allowed-failures`); a partition that still fails stops the run with an `EngineError` naming it
and the reason, before anything is written.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from qualcode.engine import EngineError, require_extra

CONNECT_TIMEOUT = "10s"
_RUNS = itertools.count()


@contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A `distributed.Client`: to `scheduler` (tcp://HOST:8786) when given, else to a new
    LocalCluster of `workers` single-threaded processes (default: one per CPU)."""
    require_extra()
    import dask
    from distributed import Client, LocalCluster

    # Partitions are tiny task graphs with their data inside: no warning for "large graphs".
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1GB"}):
        if scheduler:
            try:
                client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                raise EngineError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                    hint="start it with `dask scheduler` and workers with "
                    f"`dask worker {scheduler}`",
                ) from exc
            try:
                yield client
            finally:
                client.close()
            return
        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,  # errors only: worker chatter is not the user's business
        )
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()


def map_partitions(
    client: Any,
    function: Callable,
    partitions: Sequence[tuple],
    *,
    labels: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Any]:
    """`function(*args)` for each partition on the cluster; the results in partition order.

    `progress(1)` is called as each task finishes, on any worker. A result is handed over and
    released in order, so the client holds only the results that finished ahead of their turn.
    """
    run = next(_RUNS)
    name = getattr(function, "__name__", "task")
    futures = [
        client.submit(function, *args, key=f"qualcode-{name}-{os.getpid()}-{run}-{i}", pure=False)
        for i, args in enumerate(partitions)
    ]
    if progress is not None:
        for future in futures:
            future.add_done_callback(lambda _f: progress(1))
    total = len(futures)
    try:
        for i, future in enumerate(futures):
            try:
                result = future.result()
            except Exception as exc:  # any failure of a worker's task: say which and why
                label = f" ({labels[i]})" if labels else ""
                raise EngineError(
                    f"partition {i + 1} of {total}{label} failed on the cluster, nothing was "
                    f"written: {_reason(exc)}"
                ) from exc
            futures[i] = None
            future.release()
            yield result
    finally:
        pending = [f for f in futures if f is not None]
        if pending:
            client.cancel(pending)


def _reason(exc: BaseException) -> str:
    from qualcode.errors import QualcodeError

    if isinstance(exc, QualcodeError):
        hint = f" ({exc.hint})" if exc.hint else ""
        return f"{exc}{hint}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def mapper(client: Any, progress: Callable[[int], None] | None = None) -> Callable:
    """`map_partitions` bound to `client`, in the form `compare_codings(map_partitions=...)`."""

    def run(function: Callable, partitions: Sequence[tuple]) -> Iterator[Any]:
        labels = [f"segments {_span(p)}" for p in partitions]
        if progress is not None:
            progress(0, total=len(partitions))
        return map_partitions(client, function, partitions, labels=labels, progress=progress)

    return run


def _span(partition: tuple) -> str:
    units = partition[2]
    return f"{units[0]} to {units[-1]}" if len(units) else "none"
