"""Add a code found during coding to the codebook YAML (issue 16.2), keeping the file as written.

Design notes (style.md: "never touch the user's source files" is relaxed here on purpose, because a
coder who finds a new code asked for it to be written into the codebook):
- The new code is written under its parent theme's `repeating_ideas:` (or in the top-level
  `codes:` list when it has no theme) with `origin: inductive`, `added_by: <coder>` and
  `added_on: <YYYY-MM-DD>`. Nothing else in the file changes.
- Where the parent list is a block list with items (`- id: ...` lines, the usual case), the new
  item's lines are inserted after the last line of its last item, indented like it, with the file's
  own line ends (LF or CRLF); a theme without `repeating_ideas:` (or with nothing after it) and a
  codebook without `codes:` get the list as new lines after their last line, the dash indented as
  elsewhere in the file. Every other byte of the file stays as it was, comments included (a YAML
  round trip would re-wrap multi-line plain text such as a folded `definition:`). Only a flow list
  (`[...]`, `[]`), a theme written in flow style or a list written `~` goes through a ruamel.yaml
  round trip (`typ="rt"`: comments, key order, quotes, flow style and anchors kept; long plain
  text joined onto one line; no unsafe loading).
- The result is read again with the normal loader (`qualcode.codebook`, PyYAML safe loading)
  before anything is written: it must load without errors and hold exactly the old codebook plus
  the new codes, under the parent asked for. Otherwise nothing is written. The old file is kept as
  a timestamped backup (`qualcode.io`), and the new one replaces it atomically.
"""

from __future__ import annotations

import datetime
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qualcode.codebook import codebook_tree, id_problem, load_codebook
from qualcode.errors import CodebookError
from qualcode.model import ORIGIN_INDUCTIVE, Codebook

_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class NewCode:
    """A code a coder adds while coding; `theme_id` None puts it in the top-level `codes:` list."""

    id: str
    label: str
    theme_id: str | None = None
    definition: str = ""


def codebook_ids(codebook: Codebook) -> dict[str, str]:
    """Every id the codebook uses (codes, themes, constructs, research concerns share one
    namespace) -> what it names, e.g. "theme 'T1'"."""
    out: dict[str, str] = {}
    for concern in codebook.research_concerns:
        out.setdefault(concern.id, f"research concern {concern.id!r}")
    for construct in codebook.constructs:
        out.setdefault(construct.id, f"construct {construct.id!r}")
    for theme in codebook.all_themes():
        out.setdefault(theme.id, f"theme {theme.id!r}")
    for code in codebook.codes():
        out.setdefault(code.id, f"code {code.id!r} ({code.label})")
    return out


def new_id_problem(codebook: Codebook, code_id: str) -> str | None:
    """Why `code_id` cannot be the id of a new code in `codebook` (the loader's rules), or None."""
    if not code_id.strip():
        return "the id is empty"
    if code_id != code_id.strip():
        return f"id {code_id!r} starts or ends with a space"
    problem = id_problem(code_id)
    if problem:
        return f"id {code_id!r} {problem}"
    used = codebook_ids(codebook).get(code_id)
    if used is not None:
        return f"id {code_id!r} is already used in the codebook ({used})"
    return None


def new_code_problem(codebook: Codebook, code: NewCode) -> str | None:
    """Why `code` cannot be added to `codebook`, or None."""
    problem = new_id_problem(codebook, code.id)
    if problem:
        return problem
    if not code.label.strip():
        return f"the new code {code.id!r} has no label"
    if any(ch in code.label + code.definition for ch in "\r\n"):
        return f"the label and definition of {code.id!r} must be one line each"
    if code.theme_id is not None:
        themes = [t.id for t in codebook.all_themes()]
        if code.theme_id not in themes:
            known = ", ".join(themes) if themes else "the codebook has no themes"
            return f"no theme {code.theme_id!r} for the new code {code.id!r} (themes: {known})"
    return None


def add_codes(
    path: str | Path,
    codes: Sequence[NewCode],
    *,
    added_by: str,
    added_on: str | None = None,
) -> Codebook:
    """Write `codes` into the codebook file at `path` as inductive codes; return the new codebook.

    Raises `CodebookError` (nothing written) when the codebook has errors, a code cannot be added
    (`new_code_problem`), or the rewritten file would not read back as the old codebook plus the
    new codes."""
    from qualcode.io import atomic_write_bytes

    path = Path(path)
    if not codes:
        return load_codebook(path)
    added_by = " ".join(added_by.split())
    if not added_by:
        raise CodebookError("a code added during coding needs the coder's name", file=path)
    day = added_on or datetime.date.today().isoformat()
    before = load_codebook(path)  # a codebook with errors is not rewritten
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    book = before
    for code in codes:
        problem = new_code_problem(book, code)
        if problem:
            raise CodebookError(problem, file=path)
        fields = _fields(code, added_by, day)
        text = _splice(text, code.theme_id, fields) or _round_trip(text, code.theme_id, fields)
        book = _verify(path, text, bom, book, code, fields)
    data = (("\ufeff" if bom else "") + text).encode("utf-8")
    atomic_write_bytes(path, data, backup=True)
    after = load_codebook(path)
    missing = [c.id for c in codes if c.id not in after]
    if missing:  # pragma: no cover - the bytes were checked before they were written
        raise CodebookError(
            f"the codes {', '.join(missing)} are not in the codebook written", file=path
        )
    return after


def _fields(code: NewCode, added_by: str, day: str) -> list[tuple[str, str]]:
    fields = [("id", code.id), ("label", code.label.strip())]
    if code.definition.strip():
        fields.append(("definition", code.definition.strip()))
    fields += [("origin", ORIGIN_INDUCTIVE), ("added_by", added_by), ("added_on", day)]
    return fields


# --- locating the parent list -------------------------------------------------------------------
def _value(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    for knode, vnode in mapping.value:
        if isinstance(knode, yaml.ScalarNode) and knode.value == key:
            return vnode
    return None


def _scalar(node: yaml.Node | None) -> str:
    return node.value.strip() if isinstance(node, yaml.ScalarNode) else ""


def _theme_nodes(root: yaml.MappingNode) -> list[yaml.MappingNode]:
    out = []
    constructs = _value(root, "constructs")
    for construct in constructs.value if isinstance(constructs, yaml.SequenceNode) else []:
        if isinstance(construct, yaml.MappingNode):
            themes = _value(construct, "themes")
            if isinstance(themes, yaml.SequenceNode):
                out.extend(t for t in themes.value if isinstance(t, yaml.MappingNode))
    themes = _value(root, "themes")
    if isinstance(themes, yaml.SequenceNode):
        out.extend(t for t in themes.value if isinstance(t, yaml.MappingNode))
    return out


def _holder(root: yaml.MappingNode, theme_id: str | None) -> yaml.MappingNode | None:
    """The mapping whose list takes the new code: the theme, or the codebook itself (`codes:`)."""
    if theme_id is None:
        return root
    return next((t for t in _theme_nodes(root) if _scalar(_value(t, "id")) == theme_id), None)


def _last_end(node: yaml.Node) -> int:
    """The character index where the last piece of text inside `node` ends (block collections'
    own end marks sit at the next token, after any comments that follow)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    ends = [node.start_mark.index]
    for child in node.value:
        if isinstance(child, tuple):
            ends.extend(_last_end(c) for c in child)
        else:
            ends.append(_last_end(child))
    return max(ends)


_PLAIN_UNSAFE = re.compile(r"^[\s\-?:,\[\]{}#&*!|>'\"%@`]|[:#]\s|\s$|:$|[\x00-\x1f\x7f]")


def _quoted(value: str, *, flow: bool = False) -> str:
    """`value` as a YAML scalar: plain where the safe loader reads it back as the same text (a date
    stays plain too: qualcode reads it as the text written), else double-quoted (JSON strings are
    YAML double-quoted scalars). In a flow mapping `,[]{}` need quotes too."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    if flow and any(ch in value for ch in ",[]{}"):
        return json.dumps(value, ensure_ascii=False)
    if value and not _PLAIN_UNSAFE.search(value):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def _insert_after(text: str, end: int, body: list[str]) -> str:
    """`text` with the `body` lines inserted after the line where the text before `end` ends (a
    block scalar, `definition: |`, ends after its line breaks, at the next item's line)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    end = len(text[:end].rstrip())
    cut = text.find("\n", end)
    if cut < 0:  # the file ends there, without a line end
        return text + newline + newline.join(body) + newline
    cut += 1
    return text[:cut] + newline.join(body) + newline + text[cut:]


def _dash_offset(text: str) -> int:
    """How far this file indents a list's `-` past its key (`key:` then `  - id:` is 2)."""
    lines = text.splitlines()
    for key, item in zip(lines, lines[1:], strict=False):
        k = re.match(r"( *)[^\s#-][^:#]*:[ \t]*(#.*)?$", key)
        d = re.match(r"( *)- ", item)
        if k and d and len(d[1]) >= len(k[1]):
            return len(d[1]) - len(k[1])
    return 2


def _item_lines(fields: list[tuple[str, str]], prefix: str) -> list[str]:
    indent = " " * len(prefix)
    return [f"{prefix if i == 0 else indent}{k}: {_quoted(v)}" for i, (k, v) in enumerate(fields)]


def _splice(text: str, theme_id: str | None, fields: list[tuple[str, str]]) -> str | None:
    """`text` with the new item's lines inserted: after the last item of a block parent list, or
    as a new block list where the theme (or the codebook) has none yet; None where the shape is
    another (a flow list, `[]`, a flow theme): then the round trip writes it."""
    root = yaml.SafeLoader(text).get_single_node()
    if not isinstance(root, yaml.MappingNode):
        return None
    holder = _holder(root, theme_id)
    if holder is None or holder.flow_style:
        return None
    key = "codes" if theme_id is None else "repeating_ideas"
    parent = _value(holder, key)
    if parent is None or (
        isinstance(parent, yaml.ScalarNode) and parent.tag == _NULL_TAG and not parent.value
    ):
        # no list yet (`repeating_ideas:` missing, or written with nothing after it)
        column = holder.start_mark.column
        prefix = " " * (column + _dash_offset(text)) + "- "
        body = _item_lines(fields, prefix)
        if parent is None:
            return _insert_after(text, _last_end(holder), [f"{' ' * column}{key}:", *body])
        return _insert_after(text, parent.start_mark.index, body)
    if not isinstance(parent, yaml.SequenceNode) or parent.flow_style or not parent.value:
        return None
    last = parent.value[-1]
    if any(not isinstance(item, yaml.MappingNode) for item in parent.value):
        return None
    line = text.splitlines(keepends=True)[last.start_mark.line]
    prefix = line[: last.start_mark.column]
    if not re.fullmatch(r" *- +", prefix):
        return None
    if last.flow_style:  # items written `- {id: RI9, label: ...}`: one more such line
        pairs = ", ".join(f"{k}: {_quoted(v, flow=True)}" for k, v in fields)
        return _insert_after(text, _last_end(last), [f"{prefix}{{{pairs}}}"])
    return _insert_after(text, _last_end(last), _item_lines(fields, prefix))


def _round_trip(text: str, theme_id: str | None, fields: list[tuple[str, str]]) -> str:
    """`text` with the new item appended through a ruamel.yaml round trip (typ="rt")."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.util import load_yaml_guess_indent

    try:
        _, indent, block_seq_indent = load_yaml_guess_indent(text)
        rt = YAML(typ="rt")
        rt.preserve_quotes = True
        rt.width = 4096  # do not fold long lines that were written on one line
        # the guess is the list indent and the dash offset ("  - id:" is 4 and 2); keys of a
        # mapping sit at the list indent minus the offset
        sequence, offset = indent or 2, block_seq_indent or 0
        rt.indent(mapping=max(sequence - offset, 1), sequence=sequence, offset=offset)
        data = rt.load(text)
    except YAMLError as exc:  # pragma: no cover - the safe loader read it already
        raise CodebookError(f"cannot rewrite the codebook: {exc}") from exc
    item = CommentedMap(fields)
    if theme_id is None:
        holder, key = data, "codes"
    else:
        holder = next(t for t in _rt_themes(data) if str(t.get("id", "")).strip() == theme_id)
        key = "repeating_ideas"
    target = holder.get(key)
    if isinstance(target, CommentedSeq):
        if target.fa.flow_style():
            item.fa.set_flow_style()
        target.append(item)
    else:  # missing, empty or null: a new block list
        holder[key] = CommentedSeq([item])
    out = io.StringIO()
    rt.dump(data, out)
    result = out.getvalue()
    if "\r\n" in text:
        result = result.replace("\r\n", "\n").replace("\n", "\r\n")
    return result


def _rt_themes(data: Any) -> list[Any]:
    out = []
    for construct in data.get("constructs") or []:
        out.extend(construct.get("themes") or [])
    out.extend(data.get("themes") or [])
    return out


# --- checking the result ------------------------------------------------------------------------
def _without_lines(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _without_lines(v) for k, v in tree.items() if k != "line"}
    if isinstance(tree, list):
        return [_without_lines(v) for v in tree]
    return tree


def _drop_code(tree: Any, code_id: str) -> Any:
    if isinstance(tree, dict):
        return {k: _drop_code(v, code_id) for k, v in tree.items()}
    if isinstance(tree, list):
        return [
            _drop_code(v, code_id)
            for v in tree
            if not (isinstance(v, dict) and v.get("id") == code_id and "origin" in v)
        ]
    return tree


def _verify(path: Path, text: str, bom: bool, before: Codebook, code: NewCode, fields) -> Codebook:
    """The codebook `text` holds, checked to be `before` plus `code` (CodebookError otherwise)."""
    from qualcode.codebook import _Parser

    result = _Parser(str(path)).parse((("\ufeff" if bom else "") + text).encode("utf-8"))
    after = result.codebook
    wrong = ""
    if result.errors:
        wrong = f"it would not load ({result.errors[0]})"
    elif code.id not in after:
        wrong = f"{code.id!r} would not be in it"
    else:
        new = after.code(code.id)
        written = {
            "id": new.id,
            "label": new.label,
            "definition": new.definition,
            "origin": new.origin,
            "added_by": new.added_by,
            "added_on": new.added_on,
        }
        expected = {"definition": "", **dict(fields)}
        if written != expected:
            wrong = f"{code.id!r} would read back as {written}"
        elif new.theme_id != code.theme_id:
            wrong = f"{code.id!r} would sit under {new.theme_id or 'no theme'}"
        elif _without_lines(_drop_code(codebook_tree(after), code.id)) != _without_lines(
            codebook_tree(before)
        ):
            wrong = "other codes or themes would change (an anchor shared by two lists?)"
    if wrong:
        raise CodebookError(
            f"cannot add {code.id!r} to this codebook safely: {wrong}; nothing was changed",
            file=path,
        )
    return after
