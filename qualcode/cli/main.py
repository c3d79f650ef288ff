"""The `qualcode` application: global options and the registry of commands.

Only typer and rich are imported at start-up; each command imports pandas & co. when it runs.
"""

from __future__ import annotations

from typing import Annotated

import typer

from qualcode import __version__
from qualcode.cli.errors import QualcodeGroup, echo_error
from qualcode.errors import QualcodeError

APP_SETTINGS = dict(
    cls=QualcodeGroup,
    name="qualcode",
    help="Qualitative coding of focus-group and interview transcripts "
    "(ingest -> code -> compare -> reconcile -> report).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: rich help costs ~230 ms of start-up
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app = typer.Typer(**APP_SETTINGS)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"qualcode {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when something fails.")
    ] = False,
) -> None:
    """qualcode: from transcripts to an Auerbach & Silverstein analysis, with two coders.

    In a study folder made by `qualcode init`, qualcode.yaml gives --codebook, --roster and
    --segments defaults to every command (the command line wins).
    """
    ctx.meta["qualcode.debug"] = debug
    _apply_project_defaults(ctx)


def _apply_project_defaults(ctx: typer.Context) -> None:
    """Resolve the study's qualcode.yaml once, here, into click's default_map for every command."""
    from pathlib import Path

    from qualcode.project import find_project_file, load_settings

    found = find_project_file(Path.cwd())
    if found is None:
        return
    try:
        settings = load_settings(found)
    except QualcodeError as exc:
        echo_error(exc)
        ctx.exit(1)
    # A missing segments.csv is normal before `ingest`: it is no default then. A codebook or roster
    # the settings name is passed on even when missing, so the command reports "file not found"
    # naming it (dropping it would turn into a puzzling "Missing option '--roster'").
    # Likewise a memos folder that does not exist yet (`memo add` makes it).
    values: dict[str, object] = {
        k: str(v)
        for k, v in settings.defaults.items()
        if k not in ("segments", "memos") or v.exists()
    }
    if settings.memos.is_dir():
        values["memos"] = str(settings.memos)
    # The study's saturation parameters, one source for report saturation, methods and all (only
    # there: `suggest` has a --threshold of its own).
    saturation = dict(settings.saturation or {})

    def defaults_for(command, study: dict) -> dict:
        out: dict = {}
        for name, sub in getattr(command, "commands", {}).items():
            out[name] = defaults_for(sub, {**study, **(saturation if name == "report" else {})})
        names = {param.name for param in getattr(command, "params", [])}
        for name in names & study.keys():
            out[name] = study[name]
        # `code SOURCES`: with no --segments option, the study's segments.csv is what it codes.
        if "segments" in values and "sources" in names and "segments" not in names:
            out["sources"] = [values["segments"]]
        return out

    ctx.default_map = defaults_for(ctx.command, values)


# --- command registry (one module per command under qualcode/cli/) ------------------------------
# Add one line per command here; keep the modules free of heavy imports at module level.
# <commands>
# In workflow order (click lists commands in registration order).
from qualcode.cli.code import code as _code  # noqa: E402
from qualcode.cli.codebook import codebook_app as _codebook_app  # noqa: E402
from qualcode.cli.compare import compare as _compare  # noqa: E402
from qualcode.cli.export import export_app as _export_app  # noqa: E402
from qualcode.cli.import_ import import_app as _import_app  # noqa: E402
from qualcode.cli.ingest import ingest as _ingest  # noqa: E402
from qualcode.cli.init import init as _init  # noqa: E402
from qualcode.cli.memo import memo_app as _memo_app  # noqa: E402
from qualcode.cli.recode import recode_map as _recode_map  # noqa: E402
from qualcode.cli.reconcile import reconcile as _reconcile  # noqa: E402
from qualcode.cli.report import report_app as _report_app  # noqa: E402
from qualcode.cli.suggest import suggest_app as _suggest_app  # noqa: E402

app.command("init")(_init)
app.command("ingest")(_ingest)
app.add_typer(_codebook_app, name="codebook")
app.command("code")(_code)
app.command("compare")(_compare)
app.command("reconcile")(_reconcile)
app.command("recode-map")(_recode_map)
app.add_typer(_report_app, name="report")
app.add_typer(_memo_app, name="memo")
app.add_typer(_suggest_app, name="suggest")
app.add_typer(_export_app, name="export")
app.add_typer(_import_app, name="import")
# </commands>


def run() -> None:
    """Console-script entry point."""
    import sys

    # A console that cannot show a character (cp1252 on Windows, PYTHONIOENCODING=ascii) gets an
    # escape for it instead of a UnicodeEncodeError traceback in the middle of the output.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if sys.argv[1:] in ([], ["--help"], ["-h"], ["--version"]):
        light_app()()
    else:
        from qualcode.cli.allocator import keep_freed_memory

        keep_freed_memory()
        app()


def light_app() -> typer.Typer:
    """The app with parameterless stand-ins for the commands, for `qualcode`, `--help`, `--version`.

    Typer converts every command's signature before it can answer anything (~60 ms for 20 commands);
    the top-level help only needs each command's name and help text. A test checks that both apps
    print the same help.
    """
    import inspect

    light = typer.Typer(**APP_SETTINGS)
    light.callback()(main)
    for info in app.registered_commands:
        light.command(info.name, help=info.help or inspect.getdoc(info.callback))(_stand_in)
    for group in app.registered_groups:
        stand_in = typer.Typer(help=group.typer_instance.info.help, rich_markup_mode=None)
        stand_in.command("_")(_stand_in)
        light.add_typer(stand_in, name=group.name)
    return light


def _stand_in() -> None:  # pragma: no cover - never invoked: only help and version use light_app
    raise RuntimeError("light_app only answers --help and --version")
