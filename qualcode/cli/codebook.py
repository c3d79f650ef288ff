"""`qualcode codebook check|show|diff`: lint the YAML codebook, draw its hierarchy, compare two
versions."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

codebook_app = typer.Typer(
    rich_markup_mode=None,
    no_args_is_help=True,
    help="Check the YAML codebook, show its hierarchy (constructs > themes > repeating ideas), or "
    "compare two versions of it.",
)

CodebookArgument = Annotated[
    Path, typer.Argument(help="The YAML codebook.", show_default=False, dir_okay=True)
]


class ShowFormat(str, Enum):  # noqa: UP042 (typer needs a str-valued Enum)
    tree = "tree"
    json = "json"


class DiffFormat(str, Enum):  # noqa: UP042 (typer needs a str-valued Enum)
    table = "table"
    json = "json"
    md = "md"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _origins_line(origins: dict[str, int]) -> str:
    return (
        f"origin: {origins['deductive']} deductive (written in advance), "
        f"{origins['inductive']} inductive (found during coding)"
    )


@codebook_app.command("check")
def check(codebook: CodebookArgument) -> None:
    """Report every problem in the codebook at once, with file and line; exit 1 on errors.

    Problems go to stderr (`error: file:line: message`, `warning: ...`), the summary line to stdout,
    after one line per attribute found (any extra key on a construct, theme or code, such as
    `component: core`, with the values and how many items carry each) and a line saying how many
    codes are deductive (written in advance; also those without `origin:`) and how many inductive
    (`origin: inductive`, found during coding). A key that looks like a typo of a known key
    (`defintion`) is an error, not an attribute.

    Example: qualcode codebook check codebooks/bup_group_visits.yaml
    """
    from qualcode.codebook import (
        codebook_attributes,
        codebook_counts,
        codebook_origins,
        parse_codebook,
    )

    result = parse_codebook(codebook)
    for finding in result.findings:
        typer.echo(f"{finding.severity}: {finding}", err=True)
    for name, levels in codebook_attributes(result.codebook).items():
        parts = [
            f"{_plural(sum(values.values()), level)} ("
            + ", ".join(f"{value or '(empty)'} {n}" for value, n in values.items())
            + ")"
            for level, values in levels.items()
        ]
        typer.echo(f"attribute {name}: {'; '.join(parts)}")
    typer.echo(_origins_line(codebook_origins(result.codebook)))
    counts = codebook_counts(result.codebook)
    typer.echo(
        f"{_plural(counts['constructs'], 'construct')}, {_plural(counts['themes'], 'theme')}, "
        f"{_plural(counts['repeating_ideas'], 'repeating idea')}; "
        f"{_plural(len(result.errors), 'error')}, {_plural(len(result.warnings), 'warning')}"
    )
    if result.errors:
        raise typer.Exit(1)


@codebook_app.command("show")
def show(
    codebook: CodebookArgument,
    definitions: Annotated[
        bool,
        typer.Option(
            "--definitions", "-d", help="Add definitions, include/exclude rules and keywords."
        ),
    ] = False,
    fmt: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="tree (terminal) or json.")
    ] = ShowFormat.tree,
) -> None:
    """Draw the hierarchy: constructs > themes > repeating ideas, in codebook order, then how many
    codes are deductive and how many inductive. An inductive code (`origin: inductive`) is marked
    with when and by whom it was added.

    Example: qualcode codebook show codebooks/bup_group_visits.yaml --definitions
    """
    import json

    from qualcode.cli.render import stdout_console
    from qualcode.codebook import codebook_origins, codebook_tree, load_codebook

    cb = load_codebook(codebook)
    tree_data = codebook_tree(cb)
    if fmt is ShowFormat.json:
        typer.echo(json.dumps(tree_data, ensure_ascii=False, indent=2))
        return
    console = stdout_console()
    console.print(_render_tree(tree_data, cb.source or str(codebook), definitions))
    console.print(_origins_line(codebook_origins(cb)), markup=False, highlight=False)


def _render_tree(data: dict, source: str, definitions: bool):
    from rich.text import Text
    from rich.tree import Tree

    # Text objects, never markup strings: a label like "[sic]" must print as written.
    def node_text(ident: str, label: str, style: str, item: dict | None = None) -> Text:
        text = Text()
        text.append(ident, style=style)
        text.append("  " + label)
        if item is not None and item.get("origin") == "inductive":
            added = " ".join(
                part
                for part in (
                    "added" if item["added_on"] or item["added_by"] else "",
                    f"on {item['added_on']}" if item["added_on"] else "",
                    f"by {item['added_by']}" if item["added_by"] else "",
                )
                if part
            )
            text.append("  (inductive" + (f", {added}" if added else "") + ")", style="yellow")
        return text

    def details(branch: Tree, item: dict, leaf: bool) -> None:
        if not definitions:
            return
        fields = ["definition"] + (["include", "exclude"] if leaf else [])
        for key in fields:
            if item.get(key):
                branch.add(Text(f"{key}: {item[key]}", style="dim"))
        if leaf:
            for key in ("keywords", "patterns", "examples"):
                if item.get(key):
                    branch.add(Text(f"{key}: " + "; ".join(item[key]), style="dim"))

    def add_theme(parent: Tree, theme: dict) -> None:
        branch = parent.add(node_text(theme["id"], theme["label"], "bold cyan"))
        details(branch, theme, leaf=False)
        for idea in theme["repeating_ideas"]:
            leaf = branch.add(node_text(idea["id"], idea["label"], "green", idea))
            details(leaf, idea, leaf=True)

    root = Tree(Text(data["title"] or source, style="bold"))
    for concern in data["research_concerns"]:
        root.add(Text(f"{concern['id']}  {concern['text']}", style="italic"))
    for construct in data["constructs"]:
        branch = root.add(node_text(construct["id"], construct["label"], "bold magenta"))
        details(branch, construct, leaf=False)
        for theme in construct["themes"]:
            add_theme(branch, theme)
    for theme in data["themes"]:
        add_theme(root, theme)
    for code in data["codes"]:
        leaf = root.add(node_text(code["id"], code["label"], "green", code))
        details(leaf, code, leaf=True)
    return root


@codebook_app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier codebook (YAML).", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The later codebook (YAML).", show_default=False)],
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="table (terminal), json or md (markdown).")
    ] = DiffFormat.table,
) -> None:
    """List what changed from OLD to NEW: added, removed, renamed, redefined and moved codes,
    themes and constructs, with their ids, in codebook order. Exit 0 whatever changed.

    Items are matched by id. Renamed: the same id with a new label, or a new id with the same
    label (a re-id'd code: codings that use the old id no longer match). Redefined: the
    definition, include, exclude, examples, keywords, patterns, origin or attributes changed. Moved: a
    code under another theme, a theme under another construct. Both codebooks must pass
    `codebook check`.

    Example: qualcode codebook diff codebooks/bup_group_visits.yaml codebook.yaml --format md
    """
    import json

    from qualcode.codebook import load_codebook
    from qualcode.codebook_diff import diff_codebooks

    result = diff_codebooks(load_codebook(old), load_codebook(new))
    counts = result.counts()
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    if fmt is DiffFormat.json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    headers = ["change", "level", "id", "label", "detail"]
    rows = [
        [
            c.kind,
            c.level,
            c.id if not c.old_id or c.kind != "renamed" else f"{c.old_id} -> {c.id}",
            c.label,
            c.detail,
        ]
        for c in result.changes
    ]
    if fmt is DiffFormat.md:
        from qualcode.report.markdown import md_text

        typer.echo(f"Codebook changes from {old} to {new}: {summary}.")
        if rows:
            typer.echo("")
            typer.echo("| " + " | ".join(headers) + " |")
            typer.echo("| " + " | ".join("---" for _ in headers) + " |")
            for row in rows:
                typer.echo("| " + " | ".join(md_text(v) for v in row) + " |")
        return
    if rows:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers[:-1])]
        for row in [headers, *rows]:
            cells = [v.ljust(w) for v, w in zip(row[:-1], widths, strict=True)]
            typer.echo("  ".join([*cells, row[-1]]).rstrip())
    else:
        typer.echo("no changes to codes, themes or constructs")
    typer.echo(f"{old} -> {new}: {summary}")
