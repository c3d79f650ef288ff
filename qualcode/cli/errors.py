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


def single_value_options(command: click.Command) -> list[click.Option]:
    """The options of `command` that take one value (not flags, counts or repeatable options)."""
    return [
        p
        for p in command.params
        # typer carries its own copy of click: compare by kind, not by class
        if getattr(p, "param_type_name", "") == "option"
        and not p.is_flag
        and not p.multiple
        and not p.count
        and p.nargs == 1
    ]


def _refuse_repeated_options(command: click.Command) -> None:
    """Make `command` (and every command under it) refuse a single-value option given twice.

    click keeps the last value of a repeated option (`--codings a.csv --codings b.csv` read only
    b.csv, silently); here that is a usage error (exit 2). Done once for the whole tree, so every
    command, present and future, gets it without a check of its own.
    """
    if getattr(command, "_qualcode_once", False):
        return
    command._qualcode_once = True  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        _refuse_repeated_options(sub)
    single = single_value_options(command)
    if not single:
        return
    original = command.parse_args

    def parse_args(ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            _opts, _rest, order = command.make_parser(ctx).parse_args(args=list(args))
            for option in single:
                times = sum(p is option for p in order)
                if times > 1:
                    ctx.fail(
                        f"option {'/'.join(option.opts)} was given {times} times; it takes one "
                        "value (give it once)"
                    )
        return original(ctx, args)

    command.parse_args = parse_args  # type: ignore[method-assign]


class QualcodeGroup(TyperGroup):
    """The top-level group: catches `QualcodeError` from any subcommand (exit 1, no traceback);
    a single-value option given twice is a usage error on every command."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from qualcode.cli.metavars import readable_metavars

        readable_metavars(self)
        _refuse_repeated_options(self)

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
