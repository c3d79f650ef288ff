"""Terminal rendering helpers shared by commands: consoles and progress bars."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class _PipeConsole(Console):
    def on_broken_pipe(self) -> None:
        """`qualcode compare ... | head -1`: the reader took what it wanted. Rich sends the rest to
        /dev/null and exits 1; a closed pipe is not an error, so exit 0, quietly."""
        try:
            super().on_broken_pipe()
        except SystemExit:
            raise SystemExit(0) from None


def stdout_console() -> Console:
    """A console on the *current* stdout (CliRunner swaps sys.stdout, so never cache it)."""
    return _PipeConsole(file=sys.stdout, highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(file=sys.stderr, highlight=False)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[callable]:
    """A transient rich progress bar on stderr; yields `advance(n=1)` for the core to call.

    Off when stderr is not a terminal: a redirected log would get a stray blank line before the
    `error:` line (rich ends a transient bar with a newline even when it drew nothing, and rich
    13.0 does so even with `disable=True`), so no Progress is made at all there."""
    console = stderr_console()
    if not console.is_terminal:

        def no_bar(n: int = 1, *, total: int | None = None) -> None:
            return None

        yield no_bar
        return
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task(description, total=total)

        def advance(n: int = 1, *, total: int | None = None) -> None:
            if total is not None:  # a total known only once the work is split
                progress.update(task, total=total)
            progress.advance(task, n)

        yield advance
