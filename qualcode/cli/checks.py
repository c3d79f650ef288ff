"""Checks shared by the commands that join codings to segments or to a codebook (issue 13):
text hashes (turns that moved after a re-ingest) and codebook identity. The core raises or returns
the findings (`qualcode.provenance`); here they get the hint naming the command, or are printed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.model import Codebook

RECODE_HINT = (
    "use the segments.csv the codings were made on (a replaced one is kept as a .bak beside it), "
    "or carry the codings over to the new turns: qualcode recode-map OLD_SEGMENTS NEW_SEGMENTS "
    "CODINGS -o NEW_CODINGS"
)


def check_text(
    codings: pd.DataFrame, codings_path: Path | str | None, segments, segments_path=None
) -> None:
    """Stop (exit 1) when coded turns' text is not the text they were coded on, or an excerpt
    runs past the end of its turn."""
    from qualcode.provenance import check_text as core_check

    if segments is None:
        return
    with recode_hint():
        core_check(codings, segments, codings_file=codings_path, segments_file=segments_path)
    from qualcode.io import check_spans

    check_spans(codings, segments, codings_file=codings_path)  # excerpts within their turn


class recode_hint:  # noqa: N801 - used as a context manager, like contextlib's
    """Give a TextChangedError raised inside the block the hint naming recode-map."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        from qualcode.provenance import TextChangedError

        if isinstance(exc, TextChangedError):
            exc.hint = RECODE_HINT
        return False


def warn_codebook(codebook: Codebook | None, files: list[tuple[str, pd.DataFrame]]) -> None:
    """Print a warning for codings made with another codebook, or one mostly unused."""
    if codebook is None:
        return
    from qualcode.provenance import codebook_warnings

    for warning in codebook_warnings(codebook, files):
        typer.echo(f"warning: {warning}", err=True)
