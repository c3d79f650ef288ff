"""`qualcode memo add|list`: analytic memos as dated Markdown files in the study's memos/ folder."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.options import MemosOption, OptionalCodebookOption

memo_app = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Analytic memos on the study, a construct, a theme or a code: write one, list them.",
)


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def memos_folder(memos: Path | None) -> Path:
    """--memos, else memos/ beside the study's qualcode.yaml, else memos/ in the current folder."""
    if memos is not None:
        return memos
    from qualcode.memos import MEMOS_DIR
    from qualcode.project import find_project_file

    found = find_project_file(Path.cwd())
    if found is not None:
        from qualcode.project import load_settings

        return load_settings(found).memos
    return Path(MEMOS_DIR)


def _codebook(codebook: Path | None):
    if codebook is None:
        return None
    from qualcode.codebook import load_codebook

    return load_codebook(codebook)


def _memo_text(text: str | None, editor: bool) -> str:
    """--text, `--text -` (stdin), --editor, else $VISUAL/$EDITOR on a terminal, else stdin."""
    import sys

    if text == "-" or (text is None and not editor and not sys.stdin.isatty()):
        return sys.stdin.read()
    if text is not None:
        return text
    return _edit()


TEMPLATE = "\n\n# Write the memo above. Lines starting with # and a space are left out.\n"


def _edit() -> str:
    """Open $VISUAL or $EDITOR (else vi, notepad on Windows) on a temp file; its text, comments out."""
    import os
    import shlex
    import subprocess
    import tempfile

    from qualcode.memos import MemoError

    command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    command = command or ("notepad" if os.name == "nt" else "vi")
    fd, name = tempfile.mkstemp(suffix=".md", prefix="qualcode-memo-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(TEMPLATE)
        try:
            done = subprocess.run([*shlex.split(command, posix=os.name != "nt"), name])
        except OSError as exc:
            raise MemoError(f"cannot run the editor {command!r}: {exc.strerror}") from None
        if done.returncode != 0:
            raise MemoError(f"the editor {command!r} stopped with exit code {done.returncode}")
        with open(name, encoding="utf-8") as handle:
            edited = handle.read()
    finally:
        os.unlink(name)
    return "\n".join(line for line in edited.splitlines() if not line.startswith("# ")).strip()


@memo_app.command("add")
def add(
    about: Annotated[
        str,
        typer.Option(
            "--about", help="What the memo is about: study, construct:ID, theme:ID or code:ID."
        ),
    ],
    author: Annotated[str, typer.Option("--author", help="Who wrote the memo.")],
    title: Annotated[str, typer.Option("--title", help="A short title (optional).")] = "",
    text: Annotated[
        str | None,
        typer.Option(
            "--text",
            help="The memo text; - reads standard input. Without it: $VISUAL / $EDITOR on a "
            "terminal (or with --editor), else standard input.",
        ),
    ] = None,
    editor: Annotated[
        bool, typer.Option("--editor", help="Write the text in $VISUAL / $EDITOR.")
    ] = False,
    when: Annotated[
        str | None,
        typer.Option("--date", help="ISO date of the memo, e.g. 2026-11-03 [default: today]."),
    ] = None,
    codebook: OptionalCodebookOption = None,
    memos: MemosOption = None,
) -> None:
    """Write a new analytic memo as a Markdown file with a YAML header (about, author, date,
    title) in the memos folder. The id is checked against the codebook (--codebook, or the
    study's); a file is never replaced: a taken name gets -2, -3, ...

    Example: qualcode memo add --about theme:T2 --author Ana --title "Peer support as identity" --text "Several participants..." --codebook codebook.yaml
    """
    from qualcode.memos import parse_about, parse_date, write_memo

    kind, target = parse_about(about)  # problems before an editor opens
    if when:
        parse_date(when)
    cb = _codebook(codebook)
    if cb is not None:
        from qualcode.memos import check_about

        check_about(kind, target, cb)
    folder = memos_folder(memos)
    body = _memo_text(text, editor)
    path = write_memo(folder, about, author, body, title=title, when=when, codebook=cb)
    checked = "" if cb is not None else " (not checked against a codebook: none given)"
    typer.echo(f"wrote {path}{checked}", err=True)


@memo_app.command("list")
def list_memos(
    about: Annotated[
        str | None,
        typer.Option("--about", help="Only the memos about this (study, theme:T2, ...)."),
    ] = None,
    codebook: OptionalCodebookOption = None,
    memos: MemosOption = None,
    fmt: Annotated[
        ListFormat, typer.Option("--format", "-f", help="table or json.", case_sensitive=False)
    ] = ListFormat.table,
) -> None:
    """List the memos (date, author, what about, title, file), study memos first, then in codebook
    order; every file is checked (header, date, and with a codebook the ids).

    Example: qualcode memo list --about theme:T2 --codebook codebook.yaml
    """
    from qualcode.memos import load_memos, memos_table, parse_about

    wanted = parse_about(about) if about is not None else None
    cb = _codebook(codebook)
    folder = memos_folder(memos)
    found = load_memos(folder, cb)
    if wanted is not None:
        found = [m for m in found if (m.kind, m.target) == wanted]
    table = memos_table(found, cb)
    if fmt == ListFormat.json:
        import json

        from qualcode.analysis.result import records

        typer.echo(json.dumps(records(table), indent=2, ensure_ascii=False))
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from qualcode.cli.render import stdout_console

    shown = Table(box=box.SIMPLE_HEAVY)
    for col in ("date", "author", "about", "title", "file"):
        shown.add_column(col, overflow="fold")
    for row in table.itertuples(index=False):
        what = row.about if row.about == "study" else f"{row.about}:{row.id}"
        shown.add_row(*(Text(str(v)) for v in (row.date, row.author, what, row.title, row.file)))
    console = stdout_console()
    if len(table):
        console.print(shown)
    typer.echo(f"{len(table)} memo(s) in {folder}")
