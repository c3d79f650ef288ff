"""Help that names what to type (`FILE`, `CODINGS.csv`, `PATH...`), not Python types.

typer 0.2x writes a parameter's Python type in `--help` (`paths... <list[Path]>`, `--base <int
range>`, `--name <str>`). A researcher reads `-o FILE` or `--codings CODINGS.csv` (the click
convention), so every parameter without an explicit metavar gets one here, once, when the command
tree is built (`QualcodeGroup.__init__`), from its name or else its click type.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from typer.core import TyperArgument

if TYPE_CHECKING:
    import click

# A parameter's name says best what file it wants; these win over the type.
BY_NAME = {
    "codings": "CODINGS.csv",
    "coder_a": "CODINGS.csv",
    "coder_b": "CODINGS.csv",
    "examples": "CODINGS.csv",
    "segments": "SEGMENTS.csv",
    "roster": "ROSTER.csv",
    "codebook": "CODEBOOK.yaml",
    "decisions": "DECISIONS.csv",
    "log": "DECISIONS.csv",
    "sheet": "SHEET.xlsx",
    "from_sheet": "SHEET.xlsx",
    "folder": "DIR",
}
# Arguments, as the architecture names them (`compare A.csv B.csv`).
ARGUMENT_NAMES = {"coder_a": "A.csv", "coder_b": "B.csv", "paths": "PATH", "sources": "PATH"}


def metavar_for(param: click.Parameter) -> str:
    """The metavar `param` gets: by name, else by type (`FILE`, `DIR`, `PATH`, `N`, `TEXT`)."""
    name = param.name or ""
    kind, detail = _kind(param)
    if kind == "choice":
        label = "[" + "|".join(detail) + "]"
    elif param.param_type_name == "argument" and name in ARGUMENT_NAMES:
        label = ARGUMENT_NAMES[name]
    elif name in BY_NAME:
        label = BY_NAME[name]
    elif kind == "path":
        label = "FILE" if name == "output" and detail == "PATH" else detail
    else:
        label = {"int": "N", "float": "NUMBER"}.get(kind, "TEXT")
    if param.nargs != 1:  # a repeated option (`--codings A --codings B`) says so in its help
        label += "..."
    return label


def _kind(param: click.Parameter) -> tuple[str, object]:
    """(kind, detail) of a parameter, from typer's type descriptor (typer >= 0.2x) or from the click
    type (older typer): choice (its values), path (FILE, DIR or PATH), int, float or text."""
    desc = getattr(param, "type_descriptor", None)
    if desc is not None:
        if desc.is_choice:
            return "choice", [str(getattr(c, "value", c)) for c in desc.choices]
        if desc.is_path:
            info = desc.parameter_info
            return "path", _path_label(info.file_okay, info.dir_okay)
        annotation = desc.annotation
        args = getattr(annotation, "__args__", None)
        if args and getattr(annotation, "__origin__", None) is list:
            annotation = args[0]
        if annotation is Path or (isinstance(annotation, type) and issubclass(annotation, Path)):
            return "path", _path_label(desc.parameter_info.file_okay, desc.parameter_info.dir_okay)
        return {int: "int", float: "float"}.get(annotation, "text"), None
    kind = param.type  # click's own types (by name: click is typer's, not ours, to import)
    if hasattr(kind, "choices"):
        return "choice", [str(getattr(c, "value", c)) for c in kind.choices]
    if hasattr(kind, "file_okay"):
        return "path", _path_label(kind.file_okay, kind.dir_okay)
    return {"integer": "int", "float": "float"}.get(kind.name.split()[0], "text"), None


def _path_label(file_okay: bool, dir_okay: bool) -> str:
    return "DIR" if not file_okay else "FILE" if not dir_okay else "PATH"


class _ReadableArgument(TyperArgument):
    """An argument whose help row is its metavar alone (typer appends the Python type to it)."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None if self.metavar is not None else super().display_type_rich(ctx)

    def _usage_display_name(self) -> str:
        return self.metavar if self.required else f"[{self.metavar}]"


def readable_metavars(command: click.Command) -> None:
    """Give every parameter of `command` and its subcommands a researcher's metavar."""
    for sub in getattr(command, "commands", {}).values():
        readable_metavars(sub)
    for param in command.params:
        if getattr(param, "is_flag", False) or param.metavar is not None:
            continue
        if getattr(param, "count", False):
            continue
        param.metavar = metavar_for(param)
        if isinstance(param, TyperArgument) and type(param) is TyperArgument:
            param.__class__ = _ReadableArgument
