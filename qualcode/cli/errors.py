"""Turn core exceptions into one-line messages and exit codes (style.md: "Problems users can act on")."""

from __future__ import annotations

import os

import click
import typer
from typer.core import TyperGroup

from qualcode.errors import FindingsError, QualcodeError

EXIT_DATA = 1
EXIT_INTERRUPTED = 130


def echo_error(exc: QualcodeError) -> None:
    """`error: <file>:<line>: <message>` then an optional `hint:` line, on stderr."""
    if isinstance(exc, FindingsError):
        for finding in exc.findings:
            typer.echo(f"{finding.severity}: {finding}", err=True)
    typer.echo(f"error: {exc}", err=True)
    if exc.hint:
        typer.echo(f"hint: {exc.hint}", err=True)


def debug_enabled(ctx: click.Context) -> bool:
    return bool(ctx.meta.get("qualcode.debug")) or os.environ.get("QUALCODE_DEBUG") == "1"


class QualcodeGroup(TyperGroup):
    """The top-level group: catches `QualcodeError` from any subcommand (exit 1, no traceback)."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except QualcodeError as exc:
            if debug_enabled(ctx):
                raise
            echo_error(exc)
            ctx.exit(EXIT_DATA)
        except KeyboardInterrupt:
            if debug_enabled(ctx):
                raise
            typer.echo("interrupted: nothing half-written was left behind", err=True)
            ctx.exit(EXIT_INTERRUPTED)
