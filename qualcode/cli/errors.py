"""Turn core exceptions into one-line messages and exit codes (style.md: "Problems users can act on")."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from qualcode.errors import FindingsError, QualcodeError

if TYPE_CHECKING:  # typer >= 0.2x vendors click: the click package need not be installed
    import click

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


# typer >= 0.2x vendors click (typer._click); older typer raises click's own exceptions. The
# classes are taken from where typer.BadParameter lives, so both work.
_CLICK_EXCEPTIONS = sys.modules[typer.BadParameter.__module__]
USAGE_ERRORS = _CLICK_EXCEPTIONS.UsageError


class QualcodeGroup(TyperGroup):
    """The top-level group: catches `QualcodeError` from any subcommand (exit 1, no traceback)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from qualcode.cli.metavars import readable_metavars

        readable_metavars(self)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except USAGE_ERRORS as exc:
            plain_usage_error(exc)
            raise
        except BrokenPipeError:  # `qualcode --help | head -1`
            closed_pipe(ctx)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        from qualcode.io import notices_to

        try:
            # What the write path did on the side (a backup kept, stale temp files removed) is
            # said on stderr; output locks are released when the command ends.
            with notices_to(_echo_note):
                return super().invoke(ctx)
        except USAGE_ERRORS as exc:
            plain_usage_error(exc)
            raise
        except BrokenPipeError:
            closed_pipe(ctx)
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


def plain_usage_error(exc: Exception) -> None:
    """Word a usage error for a researcher, in place: `did you mean --strategy?` for a misspelled
    option, and no validation-library prefix (`Value error, 'pdf' is not one of ...`)."""
    if isinstance(exc, _CLICK_EXCEPTIONS.NoSuchOption) and exc.possibilities:
        exc.message = f"no such option {exc.option_name}: did you mean {exc.possibilities[0]}?"
        exc.possibilities = None
    elif isinstance(exc, _CLICK_EXCEPTIONS.BadParameter):
        message = exc.message.removeprefix("Value error, ")
        exc.message = message[:1].lower() + message[1:]


def closed_pipe(ctx: click.Context) -> None:
    """`qualcode compare ... | head -1`: the reader has all it wanted, which is not an error. What
    is still buffered goes to /dev/null, so the flush at exit cannot fail either; exit 0."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    ctx.exit(0)


def _echo_note(level: str, message: str) -> None:
    typer.echo(f"{level}: {message}", err=True)
