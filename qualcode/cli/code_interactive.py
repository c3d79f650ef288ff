"""`qualcode code ... --interactive`: the terminal loop (the state lives in
`qualcode.coding.interactive.CodingSession`; imported lazily by `qualcode/cli/code.py`).

Input is one line per answer (digits toggle codes, letters move), so the loop works the same in a
terminal, under a pseudo-terminal driver and with piped input.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from qualcode.coding.interactive import CodingSession

PROMPT = "choice> "
CONTEXT_CHARS = 400  # the previous turn is context: long ones are cut
KEYS = (
    "numbers toggle codes (e.g. 1 3) · 1:2-3 code 1 on sentences 2-3 · n next · b back · m memo · "
    "s skip · j N jump · a add code · ? help · q save and quit"
)
HELP = """\
  1 3 / RI2   toggle codes by number or id (several at once), on the whole turn
  1:2-3       apply code 1 to sentences [2] to [3] of the turn only (1:1,4 two excerpts;
              1: alone asks which sentences, Enter = the whole turn)
  n           save this segment and go to the next one not yet coded
  b           go back one segment (unsaved marks here are dropped)
  m TEXT      set the memo (m alone asks for it; m - clears it)
  s           skip: leave this segment uncoded for now and go on
  j N         jump to segment number N, or to a segment id (j group2:14)
  ? N         show the definition of code N
  a [ID]      add a new code to the codebook (asks id, label, parent theme, definition): it is
              written as found in the data (origin: inductive, by you, today) and applied here
  q           save the marks on screen (if any) and quit; run the same command to resume"""


def _ask(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def run_interactive(
    sources: list[Path],
    codebook_path: Path,
    coder: str,
    output: Path,
    roster: Path | None,
    include_facilitator: bool,
) -> None:
    from qualcode.cli.render import stdout_console
    from qualcode.cli.sources import load_segments
    from qualcode.codebook import load_codebook
    from qualcode.coding.interactive import CodingSession

    warnings: list = []
    book = load_codebook(codebook_path, warnings=warnings)
    for finding in warnings:
        typer.echo(f"warning: {finding}", err=True)
    segments = load_segments(sources, roster)
    from qualcode.cli.checks import recode_hint

    with recode_hint():  # resuming a file whose turns moved since (a re-ingested transcript)
        session = CodingSession(
            segments, book, coder, output, include_facilitator=include_facilitator
        )
    console = stdout_console()
    say = _plain(console)
    if session.repaired == "dropped":
        typer.echo(
            f"warning: the last row of {output} was cut short (the session was killed while "
            "saving) and was dropped; a backup was kept",
            err=True,
        )
    total = len(session.items)
    if session.resumed:
        say(f"Resuming: {session.resumed} of {total} segments already coded in {output}")
    if session.done:
        say(f"all {total} segments are coded in {output}; nothing left to do")
        session.finish()
        return
    _loop(session, console, codebook_path)
    summary = session.finish()
    if summary.complete:
        say(
            f"done: wrote {output}: {summary.decided} segments coded by {coder}, "
            f"{summary.coded} with codes ({summary.applied} codes applied)"
        )
    else:
        left = summary.total - summary.decided
        say(
            f"saved {summary.decided} of {summary.total} segments in {output}; {left} left. "
            "Run the same command again to resume."
        )


def _plain(console: Console):
    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    return say


def _show(console: Console, session: CodingSession) -> None:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.text import Text

    say = _plain(console)
    view = session.view()
    progress = session.progress()
    console.rule()
    say(f"{progress.line()} · {progress.decided} coded")
    if view.previous is not None:
        prev = view.previous
        text = (
            prev["text"]
            if len(prev["text"]) <= CONTEXT_CHARS
            else prev["text"][:CONTEXT_CHARS] + "…"
        )
        console.print(Text(f"before, {prev['speaker']} ({prev['role']}): {text}", style="dim"))
    title = f"{view.segment_id} · {view.speaker} ({view.role})"
    if session.is_decided():
        title += " · saved"
    console.print(Panel(_numbered(view.text, session), title=escape(title), title_align="left"))
    _show_codes(console, session)


def _numbered(text: str, session: CodingSession):
    """The turn with its sentences numbered [1] [2] ... (when it has two or more), so the coder
    can narrow a code to some of them."""
    from rich.text import Text

    spans = session.sentences()
    if len(spans) < 2:
        return Text(text)
    shown = Text()
    previous = 0
    for k, (start, _) in enumerate(spans, start=1):
        shown.append(text[previous:start])
        shown.append(f"[{k}] ", style="bold cyan")
        previous = start
    shown.append(text[previous:])
    return shown


def _show_codes(console: Console, session: CodingSession) -> None:
    from rich.text import Text

    theme_of = {c.id: c.theme_id for c in session.codes}
    width = len(str(len(session.codes)))
    last_theme: str | None = None
    for number, code in enumerate(session.codes, start=1):
        theme_id = theme_of[code.id]
        if theme_id and theme_id != last_theme:
            theme = session.codebook.theme(theme_id)
            console.print(Text(f"{theme.id} {theme.label}", style="bold"))
            last_theme = theme_id
        on = code.id in session.draft_codes
        mark = "[x]" if on else "[ ]"
        excerpt = session.excerpt_label(code.id) if on else ""
        where = f" · sentences {excerpt}" if excerpt else ""
        line = Text(f"  {number:>{width}} {mark} {code.id} {code.label}{where}")
        if on:
            line.stylize("green")
        console.print(line)
    _status(console, session)


def _status(console: Console, session: CodingSession) -> None:
    say = _plain(console)
    codes = ", ".join(_with_excerpt(session, c) for c in session.draft_codes) or "(none)"
    memo = f" · memo: {session.draft_memo}" if session.draft_memo else ""
    say(f"codes: {codes}{memo}")
    say(KEYS)


def _with_excerpt(session: CodingSession, code_id: str) -> str:
    excerpt = session.excerpt_label(code_id)
    return f"{code_id} (sentences {excerpt})" if excerpt else code_id


def _narrow(console: Console, session: CodingSession, answer: str) -> None:
    """`1:2-3`: code 1 on sentences 2 to 3; `1:` asks which (Enter = the whole turn)."""
    from qualcode.errors import QualcodeError

    token, _, selection = answer.partition(":")
    if len(token.split()) != 1:
        raise QualcodeError("one code before ':' (e.g. 1:2-3)")
    if not selection.strip():
        count = len(session.sentences())
        selection = (
            _ask(
                f"sentences for {session.resolve_key(token)} (1-{count}, e.g. 2-3 or 1,4; "
                "Enter = the whole turn): "
            )
            or ""
        )
    session.narrow(token, selection)
    _status(console, session)


def _definition(console: Console, session: CodingSession, token: str) -> None:
    from qualcode.errors import QualcodeError

    say = _plain(console)
    try:
        code = session.codebook.code(session.resolve_key(token))
    except QualcodeError as exc:
        say(exc.message)
        return
    say(f"{code.id} {code.label}")
    for name, value in (
        ("definition", code.definition),
        ("include", code.include),
        ("exclude", code.exclude),
    ):
        if value:
            say(f"  {name}: {value}")
    for example in code.examples:
        say(f"  e.g. {example}")


def _add_code(session: CodingSession, console: Console, codebook_path: Path, given: str) -> None:
    """Ask for a new code (id, label, parent theme, definition) and write it to the codebook; an
    empty id or the end of input cancels, a bad or used id is explained and asked again."""
    from qualcode.codebook_edit import NewCode, new_id_problem
    from qualcode.errors import QualcodeError

    say = _plain(console)
    code_id = given.strip()
    while True:
        if not code_id:
            code_id = (_ask("new code id (empty to cancel): ") or "").strip()
            if not code_id:
                say("no code added")
                return
        problem = new_id_problem(session.codebook, code_id)
        if problem is None:
            break
        say(f"{problem}: give another id")
        code_id = ""
    label = ""
    while not label:
        answer = _ask(f"label of {code_id}: ")
        if answer is None:
            say("no code added")
            return
        label = " ".join(answer.split())
        if not label:
            say("a code needs a label (a short name)")
    themes = session.codebook.all_themes()
    theme_id: str | None = None
    if themes:
        for number, theme in enumerate(themes, start=1):
            say(f"  {number} {theme.id} {theme.label}")
        ids = [t.id for t in themes]
        while True:
            answer = _ask("parent theme (number or id; - for none): ")
            if answer is None:
                say("no code added")
                return
            choice = answer.strip()
            if choice == "-":
                break
            if choice.isdigit() and 1 <= int(choice) <= len(themes):
                theme_id = ids[int(choice) - 1]
                break
            if choice in ids:
                theme_id = choice
                break
            say(f"choose a theme by number (1 to {len(themes)}) or id, or - for none")
    answer = _ask("definition (one line, optional): ")
    if answer is None:
        say("no code added")
        return
    code = NewCode(code_id, label, theme_id, " ".join(answer.split()))
    try:
        added = session.add_code(codebook_path, code)
    except QualcodeError as exc:
        say(f"{exc}; no code added")
        return
    where = f"under {theme_id}" if theme_id else "without a theme"
    say(
        f"added {added.id} {added.label} to {codebook_path} {where} (origin: inductive, added by "
        f"{added.added_by} on {added.added_on}); applied to this segment"
    )


def _loop(session: CodingSession, console: Console, codebook_path: Path) -> None:
    from qualcode.errors import QualcodeError

    say = _plain(console)
    shown: int | None = None
    while not session.done:
        if shown != session.index:
            _show(console, session)
            shown = session.index
        answer = _ask(PROMPT)
        if answer is None:
            answer = "q"
        words = answer.split()
        if not words:
            continue
        key, rest = words[0].lower(), " ".join(words[1:])
        try:
            if key == "n" and not rest:
                session.next()
            elif key == "s" and not rest:
                session.skip()
            elif key == "b" and not rest:
                if not session.back():
                    say("this is the first segment")
            elif key == "j":
                target = rest or (_ask("jump to (number or segment id): ") or "")
                session.jump(target)
                shown = None
            elif key == "m":
                memo = rest if rest else (_ask("memo: ") or "")
                session.set_memo("" if memo.strip() == "-" else memo)
                _status(console, session)
            elif key == "?":
                if rest:
                    _definition(console, session, rest)
                else:
                    say(HELP)
            elif key == "a":
                _add_code(session, console, codebook_path, rest)
                shown = None  # show the turn again, with the new code in the list
            elif ":" in answer:
                _narrow(console, session, answer)
            elif key == "q" and not rest:
                # Quitting loses nothing (autosave, as NVivo, ATLAS.ti and MAXQDA users expect):
                # marks or a memo on screen are saved. A segment left untouched stays uncoded.
                if session.dirty:
                    current = session.current
                    session.save()
                    say(f"saved {current} before quitting")
                return
            else:
                session.toggle(words)
                _status(console, session)
        except QualcodeError as exc:
            say(f"{exc.message} (? for help)")
