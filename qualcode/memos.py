"""Analytic memos as records: one Markdown file per memo in the study's `memos/` folder.

A memo is about the study, a construct, a theme or a code (repeating idea), dated and by an author.
Its file starts with a small YAML header between `---` lines, then the memo text in Markdown:

    ---
    about: theme:T2
    author: Ana
    date: 2026-11-03
    title: Peer support as identity
    ---
    Text of the memo ...

`about` is `study`, `construct:ID`, `theme:ID` or `code:ID` (`idea:ID` is the same as `code:ID`);
`date` is an ISO date (`2026-11-03`) or date and time (`2026-11-03T14:05`). Only the header is read
as YAML, with PyYAML's safe loader, and every value is taken as the text written (`author: no` is the
name "no", not false). These memos are not the `memo` column of a codings file (a note on one coding,
with #quote / #negative tags): that stays where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.model import Codebook

MEMOS_DIR = "memos"
MEMO_SUFFIX = ".md"
ABOUT_KINDS = ("study", "construct", "theme", "code")
ABOUT_ALIASES = {"idea": "code", "repeating_idea": "code"}
HEADER_KEYS = ("about", "author", "date", "title")
REQUIRED_KEYS = ("about", "author", "date")
MEMO_COLUMNS = ("about", "id", "label", "date", "author", "title", "text", "file")
_FENCE = "---"
_KIND_WORDS = {"construct": "a construct", "theme": "a theme", "code": "a code (repeating idea)"}


class MemoError(QualcodeError):
    """A memo file that cannot be read as a memo."""


@dataclass(frozen=True)
class Memo:
    """One analytic memo. `kind` is study/construct/theme/code, `target` the id (empty for study)."""

    kind: str
    target: str
    author: str
    date: str  # ISO 8601 as written: 2026-11-03 or 2026-11-03T14:05:00
    title: str
    text: str
    file: str  # path of the memo file
    line: int = 1  # 1-based line of its `about:` key (for messages)

    @property
    def about(self) -> str:
        return self.kind if self.kind == "study" else f"{self.kind}:{self.target}"


def parse_about(value: str, *, file: str | Path | None = None, line: int | None = None):
    """`theme:T2` -> ("theme", "T2"); `study` -> ("study", "")."""
    text = value.strip()
    kind, sep, target = text.partition(":")
    kind = ABOUT_ALIASES.get(kind.strip().lower(), kind.strip().lower())
    target = target.strip()
    if kind == "study" and not target:
        return "study", ""
    if kind in ABOUT_KINDS and kind != "study" and sep and target:
        return kind, target
    raise MemoError(
        f"about must be study, construct:ID, theme:ID or code:ID, got {_short(text)!r}",
        file=file,
        line=line,
        hint="e.g. about: theme:T2",
    )


def parse_date(value: str, *, file: str | Path | None = None, line: int | None = None) -> str:
    """An ISO date or date-time as written (checked: 2026-02-30 is no date)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return Date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text.replace(" ", "T", 1)).isoformat()
    except ValueError:
        raise MemoError(
            f"date must be an ISO date like 2026-11-03 (or 2026-11-03T14:05), got {_short(text)!r}",
            file=file,
            line=line,
        ) from None


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width] + "..."


def parse_memo(text: str, file: str | Path) -> Memo:
    """A memo from the text of its file; raises MemoError naming the file and line."""
    import yaml

    lines = text.splitlines()
    if not lines or lines[0].strip() != _FENCE:
        raise MemoError(
            "a memo starts with a YAML header between --- lines",
            file=file,
            line=1,
            hint="first line ---, then about:, author:, date:, (title:), then --- and the text",
        )
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in (_FENCE, "...")), None)
    if end is None:
        raise MemoError("the YAML header is not closed by a --- line", file=file, line=1)
    header = "\n".join(lines[1:end])
    try:
        # compose, not load: values are read as the text written, with the line of each key.
        node = yaml.compose(header, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MemoError(
            f"the header is not valid YAML: {getattr(exc, 'problem', None) or exc}",
            file=file,
            line=mark.line + 2 if mark else 2,
        ) from None
    if not isinstance(node, yaml.MappingNode):
        raise MemoError(
            "the header must be keys and values like `about: theme:T2`", file=file, line=2
        )
    values: dict[str, str] = {}
    where: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 2  # +1 for 1-based, +1 for the opening ---
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
        if key not in HEADER_KEYS:
            raise MemoError(
                f"unknown header key {_short(key)!r}",
                file=file,
                line=line,
                hint=f"a memo header has: {', '.join(HEADER_KEYS)}",
            )
        if key in values:
            raise MemoError(f"{key} is given twice", file=file, line=line)
        if not isinstance(value_node, yaml.ScalarNode):
            raise MemoError(f"{key} must be text, got a list or mapping", file=file, line=line)
        null = value_node.tag.endswith(":null") and value_node.style is None
        values[key] = "" if null else str(value_node.value).strip()
        where[key] = line
    for key in REQUIRED_KEYS:
        if not values.get(key):
            raise MemoError(
                f"the header has no {key}",
                file=file,
                line=where.get(key, 2),
                hint="a memo header has about:, author: and date: (title: is optional)",
            )
    kind, target = parse_about(values["about"], file=file, line=where["about"])
    when = parse_date(values["date"], file=file, line=where["date"])
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return Memo(
        kind=kind,
        target=target,
        author=values["author"],
        date=when,
        title=values.get("title", ""),
        text=body.strip(),
        file=str(file),
        line=where["about"],
    )


def targets(codebook: Codebook) -> dict[str, dict[str, str]]:
    """Ids a memo may be about, per kind, with their labels, in codebook order."""
    return {
        "construct": {k.id: k.label for k in codebook.constructs},
        "theme": {t.id: t.label for t in codebook.all_themes()},
        "code": {c.id: c.label for c in codebook.codes()},
    }


def check_about(kind: str, target: str, codebook: Codebook, *, file=None, line=None) -> None:
    """Raise MemoError when `kind:target` names nothing in the codebook (or the wrong level)."""
    if kind == "study":
        return
    known = targets(codebook)
    if target in known[kind]:
        return
    other = next((k for k, ids in known.items() if target in ids), None)
    source = f" ({Path(codebook.source).name})" if codebook.source else ""
    if other is not None:
        raise MemoError(
            f"{target} is {_KIND_WORDS[other]} in the codebook, not {_KIND_WORDS[kind]}",
            file=file,
            line=line,
            hint=f"write about: {other}:{target}",
        )
    raise MemoError(
        f"{kind} {target!r} is not in the codebook{source}",
        file=file,
        line=line,
        hint=f"{kind} ids: {', '.join(list(known[kind])[:12]) or '(none)'}",
    )


def memo_files(folder: str | Path) -> list[Path]:
    """The memo files of a folder (`*.md`, not hidden, not in subfolders), by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MemoError("the memos folder does not exist", file=folder)
    return sorted(
        p for p in folder.iterdir() if p.suffix == MEMO_SUFFIX and not p.name.startswith(".")
    )


def load_memos(folder: str | Path, codebook: Codebook | None = None) -> list[Memo]:
    """Every memo in `folder`, oldest first (then by file name); with a codebook, each `about` is
    checked against it. Raises MemoError for the first file that is not a valid memo."""
    memos = []
    for path in memo_files(folder):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise MemoError("a memo must be UTF-8 text", file=path) from None
        except OSError as exc:
            raise MemoError(f"cannot read the memo: {exc.strerror}", file=path) from None
        memo = parse_memo(text, path)
        if codebook is not None:
            check_about(memo.kind, memo.target, codebook, file=path, line=memo.line)
        memos.append(memo)
    return sorted(memos, key=lambda m: (m.date, Path(m.file).name))


def memo_text(memo_kind: str, target: str, author: str, when: str, title: str, text: str) -> str:
    """A memo file's text: the YAML header (values quoted by PyYAML where YAML needs it) + text."""
    import yaml

    header = {"about": memo_kind if memo_kind == "study" else f"{memo_kind}:{target}"}
    header["author"] = author
    header["date"] = when
    if title:
        header["title"] = title
    lines = [_FENCE]
    for key, value in header.items():
        dumped = yaml.safe_dump({key: value}, allow_unicode=True, width=10_000, sort_keys=False)
        lines.append(dumped.rstrip("\n"))
    lines.append(_FENCE)
    return "\n".join(lines) + "\n" + text.strip("\n") + "\n"


def _slug(text: str, width: int = 40, *, lower: bool = True) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")
    return (slug.lower() if lower else slug)[:width].strip("-")


def write_memo(
    folder: str | Path,
    about: str,
    author: str,
    text: str,
    *,
    title: str = "",
    when: str | None = None,
    codebook: Codebook | None = None,
) -> Path:
    """Write a new memo file in `folder` and return its path. The name is
    `<date>-<kind>-<id>-<title or author>.md`, with -2, -3, ... when taken; an existing file is
    never replaced (qualcode.io.atomic_create_text)."""
    from qualcode.io import atomic_create_text

    kind, target = parse_about(about)
    if codebook is not None:
        check_about(kind, target, codebook)
    author = author.strip()
    if not author:
        raise MemoError("a memo needs an author")
    if not text.strip():
        raise MemoError("the memo is empty: nothing was written")
    when = parse_date(when) if when else Date.today().isoformat()
    content = memo_text(kind, target, author, when, title.strip(), text)
    parse_memo(content, "(new memo)")  # what is written must read back as written
    stem = "-".join(
        part
        for part in (when[:10], kind, _slug(target, 30, lower=False), _slug(title or author))
        if part
    )
    folder = Path(folder)
    for n in range(1, 10_000):
        path = folder / f"{stem}{'' if n == 1 else f'-{n}'}{MEMO_SUFFIX}"
        try:
            return atomic_create_text(path, content)
        except FileExistsError:
            continue
    raise MemoError("too many memos with this name", file=folder)  # pragma: no cover


def memos_table(memos: list[Memo], codebook: Codebook | None = None) -> pd.DataFrame:
    """Memos as rows of MEMO_COLUMNS: study memos first, then in codebook order (each construct,
    its themes, their codes), each target's memos oldest first."""
    import pandas as pd

    order: dict[tuple[str, str], int] = {("study", ""): 0}
    labels: dict[tuple[str, str], str] = {}
    if codebook is not None:
        for construct in codebook.constructs:
            order.setdefault(("construct", construct.id), len(order))
            labels[("construct", construct.id)] = construct.label
            for theme in construct.themes:
                order.setdefault(("theme", theme.id), len(order))
                for code in theme.codes:
                    order.setdefault(("code", code.id), len(order))
        for theme in codebook.all_themes():
            order.setdefault(("theme", theme.id), len(order))
            labels[("theme", theme.id)] = theme.label
            for code in theme.codes:
                order.setdefault(("code", code.id), len(order))
                labels[("code", code.id)] = code.label
        for code in codebook.flat_codes:
            order.setdefault(("code", code.id), len(order))
            labels[("code", code.id)] = code.label
    ranked = sorted(
        enumerate(memos), key=lambda im: (order.get((im[1].kind, im[1].target), len(order)), im[0])
    )
    rows = [
        {
            "about": m.kind,
            "id": m.target,
            "label": labels.get((m.kind, m.target), ""),
            "date": m.date,
            "author": m.author,
            "title": m.title,
            "text": m.text,
            "file": Path(m.file).name,
        }
        for _, m in ranked
    ]
    return pd.DataFrame(rows, columns=list(MEMO_COLUMNS))
