"""What `qualcode code --auto` runs with, shared by the local path (cli/code.py) and the Dask
path (cli/code_dask.py), so the two take the same arguments once and load the codebook alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer


@dataclass(frozen=True)
class AutoCoding:
    """The arguments of one auto-coding run (`code SOURCES --auto`)."""

    sources: list[Path]
    codebook_path: Path
    coder: str
    output: Path
    roster: Path | None
    include_facilitator: bool
    pattern_timeout: float
    output_parts: bool = False

    def load_codebook(self):
        """The codebook, its warnings shown on stderr (they do not stop the run)."""
        from qualcode.codebook import load_codebook

        warnings = []
        codebook = load_codebook(self.codebook_path, warnings=warnings)
        for finding in warnings:
            typer.echo(f"warning: {finding}", err=True)
        return codebook

    def task_settings(self, codebook) -> tuple:
        """The arguments after the partition of `engine.tasks.autocode_task`."""
        return (codebook, self.coder, self.include_facilitator, self.pattern_timeout)
