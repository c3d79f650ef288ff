"""Load and check the YAML codebook (the Auerbach & Silverstein hierarchy of docs/architecture.md).

The file is composed into a YAML node tree with PyYAML's *safe* loader (`SafeLoader`, no object
construction, no custom tags) so that every problem can be reported with its 1-based line, and all
problems are reported at once as `Finding`s. Scalars are read as the text written (`no`, `01`, `1.10`
stay text; YAML 1.1 would turn them into False, 1 and 1.1). The user's file is never rewritten.

Accepted keys (at the top level anything else is an `unknown-key` error with a "did you mean"
suggestion; on a construct, theme or code any other key is an *attribute*, below):

- top level: `title`, `description`, `research_concerns` (a list of `{id, text}` or plain strings,
  which get ids RC1, RC2, ...), `constructs`, `themes` (themes without a construct), `codes` (a flat
  list of codes for studies that do not use the A&S levels);
- construct: `id`, `label`, `definition`, `themes`, plus `memo`, `notes`, `color`;
- theme: `id`, `label`, `definition`, `repeating_ideas`, plus `memo`, `notes`, `color`;
- repeating idea / code: `id`, `label`, `definition`, `include`, `exclude`, `examples`, `keywords`,
  `patterns`, `origin`, `added_by`, `added_on`, plus `memo`, `notes`, `color`.

`origin` (issue 16.2) is `deductive` (written in advance: also every code without `origin`) or
`inductive` (found in the data during coding); `added_by` says who added the code and `added_on`
when (an ISO date, `2026-03-02`). A bad origin or date is an error; an inductive code without
`added_by` or `added_on` a warning (the methods paragraph cannot then say who added it, or when).

`memo`, `notes` and `color` are accepted because real codebooks carry them (NVivo and ATLAS.ti
exports, team notes); qualcode does not use the notes, and writes `color` (`#RRGGBB` or `#RGB`) into
REFI-QDA exports.

Attributes: any other key on a construct, theme or code with a single value (`component: core`,
`domain: delivery`) is an attribute of that item; reports roll counts up by attribute value
(`report crosstab --by-code-attribute component`) and `codebook check` lists them. A key that is a
known synonym (`name`, `keyword`) or a near-miss of an accepted key (`defintion`, `lable`: difflib
ratio >= ATTRIBUTE_TYPO_RATIO) is still an `unknown-key` error, so typos do not become attributes.
Ids are unique across the whole file (constructs,
themes, ideas and research concerns share one namespace); order is preserved.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qualcode.errors import CodebookError, Finding, FindingsError
from qualcode.model import (
    ORIGIN_DEDUCTIVE,
    ORIGIN_INDUCTIVE,
    ORIGINS,
    Code,
    Codebook,
    Construct,
    ResearchConcern,
    Theme,
)

_EXTRA = ("memo", "notes", "color")
TOP_KEYS: tuple[str, ...] = (
    "title",
    "description",
    "research_concerns",
    "constructs",
    "themes",
    "codes",
)
CONCERN_KEYS: tuple[str, ...] = ("id", "text")
CONSTRUCT_KEYS: tuple[str, ...] = ("id", "label", "definition", "themes", *_EXTRA)
THEME_KEYS: tuple[str, ...] = ("id", "label", "definition", "repeating_ideas", *_EXTRA)
CODE_KEYS: tuple[str, ...] = (
    "id",
    "label",
    "definition",
    "include",
    "exclude",
    "examples",
    "keywords",
    "patterns",
    "origin",
    "added_by",
    "added_on",
    *_EXTRA,
)

# Names people reach for that mean one of ours (checked before fuzzy matching).
_ALIASES = {
    "name": "label",
    "title": "label",
    "description": "definition",
    "keyword": "keywords",
    "pattern": "patterns",
    "regex": "patterns",
    "regexes": "patterns",
    "example": "examples",
    "codes": "repeating_ideas",
    "ideas": "repeating_ideas",
    "repeating_idea": "repeating_ideas",
    "theme": "themes",
    "construct": "constructs",
    "concerns": "research_concerns",
    "note": "notes",
    "colour": "color",
}

# Finding kinds that only warn (the codebook still loads).
WARNING_KINDS = frozenset(
    {
        "empty-theme",
        "empty-construct",
        "duplicate-keyword",
        "keyword-no-letters",
        "pattern-matches-empty",
        "pattern-escape",
        "invalid-color",
        "inductive-incomplete",
    }
)

_BAD_ID_START = ("=", "+", "-", "@")


def id_problem(value: str) -> str | None:
    """Why `value` cannot be a code (or theme, construct, concern) id, or None.

    Ids become coding-sheet and report headers and CSV cells: a leading = + - @ is a formula in a
    spreadsheet, a comma, line break or control character breaks the one-line files (journals,
    codings) they are written to.
    """
    if value.startswith(_BAD_ID_START):
        return "starts with " + repr(value[0]) + " (a spreadsheet would run it as a formula)"
    if "," in value:
        return "contains a comma"
    bad = next((ch for ch in value if ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0), None)
    if bad is not None:
        what = "a line break" if bad in "\r\n" else f"a control character (U+{ord(bad):04X})"
        return f"contains {what}"
    return None


# An unknown key at least this close to an accepted one is a typo, not an attribute: 'lable' (0.80)
# and 'defintion' (0.95) are typos; 'level' (0.60 to label) and 'core' (0.67 to color) are not.
ATTRIBUTE_TYPO_RATIO = 0.8

_STD_TAG = "tag:yaml.org,2002:"
_NULL_TAG = _STD_TAG + "null"


@dataclass
class CodebookCheck:
    """The result of reading a codebook: what could be built, and every finding."""

    codebook: Codebook
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]


def check_codebook(path: str | Path) -> list[Finding]:
    """Every problem in the codebook file, in file order (errors and warnings)."""
    return parse_codebook(path).findings


def load_codebook(path: str | Path, *, warnings: list[Finding] | None = None) -> Codebook:
    """The codebook; raises `FindingsError` carrying every error (warnings do not block).

    Pass a list as `warnings` to receive the warning findings.
    """
    result = parse_codebook(path)
    if warnings is not None:
        warnings.extend(result.warnings)
    errors = result.errors
    if errors:
        n = len(errors)
        raise FindingsError(
            f"the codebook has {n} error{'s' if n != 1 else ''}", errors, file=str(path)
        )
    return result.codebook


def parse_codebook(path: str | Path) -> CodebookCheck:
    """Read the codebook, collecting findings; builds as much of the hierarchy as is readable.

    Raises `CodebookError` only when there is no file to read.
    """
    path = Path(path)
    if not path.exists():
        raise CodebookError("codebook file not found", file=path)
    if path.is_dir():
        raise CodebookError("expected a codebook YAML file, got a folder", file=path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CodebookError(f"cannot read the codebook: {exc.strerror}", file=path) from exc
    return _Parser(str(path)).parse(raw)


def codebook_counts(codebook: Codebook) -> dict[str, int]:
    """How many constructs, themes and repeating ideas (leaf codes) the codebook has."""
    return {
        "constructs": len(codebook.constructs),
        "themes": len(codebook.all_themes()),
        "repeating_ideas": len(codebook.codes()),
    }


def codebook_origins(codebook: Codebook) -> dict[str, int]:
    """How many codes were written in advance (deductive, with those that do not say) and how
    many were found during coding (inductive)."""
    codes = codebook.codes()
    inductive = sum(c.inductive for c in codes)
    return {ORIGIN_DEDUCTIVE: len(codes) - inductive, ORIGIN_INDUCTIVE: inductive}


def codebook_tree(codebook: Codebook) -> dict[str, Any]:
    """The hierarchy as plain JSON-ready data, in codebook order (what `codebook show` prints)."""

    def code(c: Code) -> dict[str, Any]:
        return {
            "id": c.id,
            "label": c.label,
            "definition": c.definition,
            "include": c.include,
            "exclude": c.exclude,
            "examples": list(c.examples),
            "keywords": list(c.keywords),
            "patterns": list(c.patterns),
            "attributes": dict(c.attributes),
            "origin": c.origin or ORIGIN_DEDUCTIVE,
            "added_by": c.added_by,
            "added_on": c.added_on,
            "line": c.line,
        }

    def theme(t: Theme) -> dict[str, Any]:
        return {
            "id": t.id,
            "label": t.label,
            "definition": t.definition,
            "attributes": dict(t.attributes),
            "line": t.line,
            "repeating_ideas": [code(c) for c in t.codes],
        }

    return {
        "title": codebook.title,
        "research_concerns": [{"id": r.id, "text": r.text} for r in codebook.research_concerns],
        "constructs": [
            {
                "id": k.id,
                "label": k.label,
                "definition": k.definition,
                "attributes": dict(k.attributes),
                "line": k.line,
                "themes": [theme(t) for t in k.themes],
            }
            for k in codebook.constructs
        ],
        "themes": [theme(t) for t in codebook.themes],
        "codes": [code(c) for c in codebook.flat_codes],
    }


def suggest(key: str, allowed: tuple[str, ...]) -> str | None:
    """The allowed key a misspelt or synonymous key most likely meant."""
    alias = _ALIASES.get(key.lower())
    if alias is not None:
        return alias if alias in allowed else None
    if key.lower() in allowed:
        return key.lower()
    close = difflib.get_close_matches(key.lower(), allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def is_typo(key: str, allowed: tuple[str, ...]) -> str | None:
    """The accepted key `key` is a synonym or near-miss of (so not an attribute), else None."""
    alias = _ALIASES.get(key.lower())
    if alias is not None:
        return alias
    if key.lower() in allowed:
        return key.lower()
    ratios = [(difflib.SequenceMatcher(None, key.lower(), a).ratio(), a) for a in allowed]
    ratio, best = max(ratios)
    return best if ratio >= ATTRIBUTE_TYPO_RATIO else None


def codebook_attributes(codebook: Codebook) -> dict[str, dict[str, dict[str, int]]]:
    """Attribute name -> level (construct, theme, code) -> value -> how many items carry it, in
    codebook order (what `codebook check` lists)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    items = [("construct", k) for k in codebook.constructs]
    items += [("theme", t) for t in codebook.all_themes()]
    items += [("code", c) for c in codebook.codes()]
    for level, item in items:
        for name, value in item.attributes:
            counts = out.setdefault(name, {}).setdefault(level, {})
            counts[value] = counts.get(value, 0) + 1
    return out


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1  # YAML marks are 0-based


def _kind_name(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _NULL_TAG:
        return "nothing"
    return "text"


class _Parser:
    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []
        self.ids: dict[str, int] = {}

    # --- reporting ----------------------------------------------------------------------------
    def add(self, kind: str, message: str, line: int | None) -> None:
        severity = "warning" if kind in WARNING_KINDS else "error"
        self.findings.append(Finding(kind, message, file=self.file, line=line, severity=severity))

    # --- entry --------------------------------------------------------------------------------
    def parse(self, raw: bytes) -> CodebookCheck:
        empty = Codebook(source=self.file)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.add("not-utf8", "the codebook is not UTF-8 text; save it as UTF-8", line)
            return CodebookCheck(empty, self.findings)
        # libyaml's safe loader when available (10x faster on big codebooks), same node marks.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            detail = exc.problem or "invalid YAML"
            if exc.context:
                where = ""
                if exc.context_mark is not None and exc.context_mark is not mark:
                    where = f" that starts at line {exc.context_mark.line + 1}"
                detail = f"{detail} ({exc.context}{where})"
            self.add("yaml-syntax", f"YAML syntax error: {detail}", mark.line + 1 if mark else None)
            return CodebookCheck(empty, self.findings)
        except yaml.YAMLError as exc:  # e.g. a reader error on control characters
            self.add("yaml-syntax", f"YAML syntax error: {exc}", None)
            return CodebookCheck(empty, self.findings)
        finally:
            loader.dispose()
        if root is None:
            self.add("empty-file", "the codebook is empty", 1)
            return CodebookCheck(empty, self.findings)
        self.check_tags(root)
        if not isinstance(root, yaml.MappingNode):
            self.add(
                "not-a-mapping",
                f"the codebook must be a mapping with title:, constructs:, themes: or codes:, "
                f"got {_kind_name(root)}",
                _line(root),
            )
            return CodebookCheck(empty, self.findings)
        codebook = self.top(root)
        if not codebook.codes() and not any(f.kind == "yaml-syntax" for f in self.findings):
            self.add(
                "no-codes",
                "the codebook defines no repeating ideas or codes "
                "(themes need repeating_ideas:, or use a flat codes: list)",
                _line(root),
            )
        self.findings.sort(key=lambda f: f.line or 0)
        return CodebookCheck(codebook, self.findings)

    def check_tags(self, root: yaml.Node) -> None:
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if not str(node.tag).startswith(_STD_TAG) or "python/" in str(node.tag):
                self.add("unsupported-tag", f"unsupported YAML tag {node.tag!r}", _line(node))
            if isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    stack.extend((k, v))

    # --- generic pieces -----------------------------------------------------------------------
    def mapping(
        self,
        node: yaml.MappingNode,
        allowed: tuple[str, ...],
        where: str,
        attributes: dict[str, str] | None = None,
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The accepted keys of a mapping; with `attributes`, any other key that is not a typo
        of an accepted one is collected there as an attribute (name -> value as written)."""
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                self.add("wrong-type", f"a key in {where} must be text", _line(knode))
                continue
            key = knode.value
            if key in out:
                self.add(
                    "duplicate-key",
                    f"key {key!r} appears twice in {where} (YAML would keep only the last)",
                    _line(knode),
                )
            if key not in allowed and attributes is not None and is_typo(key, allowed) is None:
                if isinstance(vnode, yaml.ScalarNode) and vnode.tag != _NULL_TAG:
                    attributes[key] = vnode.value.strip()
                else:
                    self.add(
                        "wrong-type",
                        f"attribute {key!r} in {where} must be a single value "
                        f"(e.g. {key}: core), got {_kind_name(vnode)}",
                        _line(vnode),
                    )
                continue
            if key not in allowed:
                hint = suggest(key, allowed)
                extra = f"; did you mean {hint!r}?" if hint else ""
                self.add(
                    "unknown-key",
                    f"unknown key {key!r} in {where}{extra} (allowed: {', '.join(allowed)})",
                    _line(knode),
                )
                continue
            out[key] = (knode, vnode)
        return out

    def text(self, fields: dict, key: str, where: str) -> str:
        if key not in fields:
            return ""
        node = fields[key][1]
        if not isinstance(node, yaml.ScalarNode):
            self.add(
                "wrong-type", f"{key} of {where} must be text, got {_kind_name(node)}", _line(node)
            )
            return ""
        if node.tag == _NULL_TAG:
            return ""
        return node.value.strip()

    def seq(self, fields: dict, key: str, where: str) -> list[yaml.Node]:
        """The items of a list field (a missing or empty value is an empty list)."""
        if key not in fields:
            return []
        node = fields[key][1]
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.add(
                "wrong-type",
                f"{key} of {where} must be a list (one '- ' item per line), got {_kind_name(node)}",
                _line(node),
            )
            return []
        return list(node.value)

    def str_items(self, fields: dict, key: str, where: str) -> list[tuple[str, int]]:
        out = []
        for item in self.seq(fields, key, where):
            if not isinstance(item, yaml.ScalarNode):
                self.add(
                    "wrong-type",
                    f"each item of {key} in {where} must be text, got {_kind_name(item)}",
                    _line(item),
                )
                continue
            value = "" if item.tag == _NULL_TAG else item.value
            out.append((value, _line(item)))
        return out

    def ident(self, node: yaml.MappingNode, fields: dict, what: str) -> str:
        lnode = fields["label"][1] if "label" in fields else None
        label = (
            lnode.value.strip()
            if isinstance(lnode, yaml.ScalarNode) and lnode.tag != _NULL_TAG
            else ""
        )
        if "id" not in fields or (
            isinstance(fields["id"][1], yaml.ScalarNode)
            and (fields["id"][1].tag == _NULL_TAG or not fields["id"][1].value.strip())
        ):
            named = f" {label!r}" if label else ""
            self.add("missing-id", f"{what}{named} has no id", _line(node))
            return ""
        vnode = fields["id"][1]
        if not isinstance(vnode, yaml.ScalarNode):
            self.add(
                "wrong-type", f"id of {what} must be text, got {_kind_name(vnode)}", _line(vnode)
            )
            return ""
        value = vnode.value.strip()
        problem = id_problem(value)
        if problem:
            self.add("invalid-id", f"id {value!r} of {what} {problem}", _line(vnode))
        if value in self.ids:
            self.add(
                "duplicate-id",
                f"duplicate id {value!r} (first used at line {self.ids[value]}); "
                "ids must be unique across the codebook",
                _line(vnode),
            )
        else:
            self.ids[value] = _line(vnode)
        return value

    def label(self, node: yaml.MappingNode, fields: dict, what: str, ident: str) -> str:
        value = self.text(fields, "label", f"{what} {ident!r}")
        if not value and ("label" not in fields or isinstance(fields["label"][1], yaml.ScalarNode)):
            named = f" {ident!r}" if ident else ""
            self.add("missing-label", f"{what}{named} has no label", _line(node))
        return value

    def items_of(self, fields: dict, key: str, where: str, what: str) -> list[yaml.MappingNode]:
        out = []
        for item in self.seq(fields, key, where):
            if isinstance(item, yaml.MappingNode):
                out.append(item)
            else:
                self.add(
                    "not-a-mapping",
                    f"each {what} under {key} must be a mapping with id: and label:, "
                    f"got {_kind_name(item)}",
                    _line(item),
                )
        return out

    # --- levels -------------------------------------------------------------------------------
    def top(self, root: yaml.MappingNode) -> Codebook:
        fields = self.mapping(root, TOP_KEYS, "the codebook")
        title = self.text(fields, "title", "the codebook")
        self.text(fields, "description", "the codebook")
        concerns = self.concerns(fields)
        constructs = tuple(
            self.construct(node)
            for node in self.items_of(fields, "constructs", "the codebook", "construct")
        )
        themes = tuple(
            self.theme(node, None)
            for node in self.items_of(fields, "themes", "the codebook", "theme")
        )
        codes = tuple(
            self.code(node, None, None, "code")
            for node in self.items_of(fields, "codes", "the codebook", "code")
        )
        return Codebook(
            title=title,
            research_concerns=concerns,
            constructs=constructs,
            themes=themes,
            flat_codes=codes,
            source=self.file,
        )

    def concerns(self, fields: dict) -> tuple[ResearchConcern, ...]:
        out = []
        for i, item in enumerate(self.seq(fields, "research_concerns", "the codebook"), start=1):
            if isinstance(item, yaml.ScalarNode) and item.tag != _NULL_TAG:
                out.append(ResearchConcern(f"RC{i}", item.value.strip()))
                continue
            if not isinstance(item, yaml.MappingNode):
                self.add(
                    "wrong-type",
                    f"each research concern must be text or a mapping with id: and text:, "
                    f"got {_kind_name(item)}",
                    _line(item),
                )
                continue
            sub = self.mapping(item, CONCERN_KEYS, "a research concern")
            ident = self.ident(item, sub, "research concern")
            text = self.text(sub, "text", f"research concern {ident!r}")
            if not text:
                self.add("missing-text", f"research concern {ident!r} has no text", _line(item))
            out.append(ResearchConcern(ident, text))
        return tuple(out)

    def construct(self, node: yaml.MappingNode) -> Construct:
        attributes: dict[str, str] = {}
        fields = self.mapping(node, CONSTRUCT_KEYS, "a construct", attributes)
        ident = self.ident(node, fields, "construct")
        where = f"construct {ident!r}"
        label = self.label(node, fields, "construct", ident)
        definition = self.text(fields, "definition", where)
        color = self.extras(fields, where)
        themes = tuple(
            self.theme(t, ident) for t in self.items_of(fields, "themes", where, "theme")
        )
        if "themes" not in fields or not self.seq_len(fields["themes"][1]):
            self.add("empty-construct", f"construct {ident!r} has no themes", _line(node))
        return Construct(
            ident,
            label,
            definition,
            themes,
            line=_line(node),
            color=color,
            attributes=tuple(attributes.items()),
        )

    @staticmethod
    def seq_len(node: yaml.Node) -> int:
        return len(node.value) if isinstance(node, yaml.SequenceNode) else 0

    def theme(self, node: yaml.MappingNode, construct_id: str | None) -> Theme:
        attributes: dict[str, str] = {}
        fields = self.mapping(node, THEME_KEYS, "a theme", attributes)
        ident = self.ident(node, fields, "theme")
        where = f"theme {ident!r}"
        label = self.label(node, fields, "theme", ident)
        definition = self.text(fields, "definition", where)
        color = self.extras(fields, where)
        codes = tuple(
            self.code(c, ident, construct_id, "repeating idea")
            for c in self.items_of(fields, "repeating_ideas", where, "repeating idea")
        )
        if "repeating_ideas" not in fields or not self.seq_len(fields["repeating_ideas"][1]):
            self.add(
                "empty-theme",
                f"theme {ident!r} has no repeating ideas (add repeating_ideas: with at least one)",
                _line(node),
            )
        return Theme(
            ident,
            label,
            definition,
            codes,
            construct_id=construct_id,
            line=_line(node),
            color=color,
            attributes=tuple(attributes.items()),
        )

    def code(
        self, node: yaml.MappingNode, theme_id: str | None, construct_id: str | None, what: str
    ) -> Code:
        attributes: dict[str, str] = {}
        fields = self.mapping(node, CODE_KEYS, f"a {what}", attributes)
        ident = self.ident(node, fields, what)
        where = f"{what} {ident!r}"
        label = self.label(node, fields, what, ident)
        texts = {k: self.text(fields, k, where) for k in ("definition", "include", "exclude")}
        color = self.extras(fields, where)
        examples = tuple(
            v.strip() for v, _ in self.str_items(fields, "examples", where) if v.strip()
        )
        keywords = self.keywords(fields, where)
        patterns = self.patterns(fields, where)
        origin, added_by, added_on = self.origin(node, fields, where)
        return Code(
            id=ident,
            label=label,
            definition=texts["definition"],
            include=texts["include"],
            exclude=texts["exclude"],
            examples=examples,
            keywords=keywords,
            patterns=patterns,
            theme_id=theme_id,
            construct_id=construct_id,
            line=_line(node),
            color=color,
            attributes=tuple(attributes.items()),
            origin=origin,
            added_by=added_by,
            added_on=added_on,
        )

    def origin(self, node: yaml.MappingNode, fields: dict, where: str) -> tuple[str, str, str]:
        """`origin`, `added_by`, `added_on` of a code, checked ("" where absent or bad)."""
        import datetime

        origin = self.text(fields, "origin", where)
        if origin and origin.casefold() not in ORIGINS:
            self.add(
                "invalid-origin",
                f"origin {origin!r} of {where} must be deductive (written in advance) or "
                "inductive (found during coding)",
                _line(fields["origin"][1]),
            )
            origin = ""
        origin = origin.casefold()
        added_by = self.text(fields, "added_by", where)
        added_on = self.text(fields, "added_on", where)
        bad_date = False
        if added_on:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", added_on):
                    raise ValueError
                datetime.date.fromisoformat(added_on)
            except ValueError:
                bad_date = True
                self.add(
                    "invalid-date",
                    f"added_on {added_on!r} of {where} is not a date written YYYY-MM-DD "
                    "(e.g. 2026-03-02)",
                    _line(fields["added_on"][1]),
                )
                added_on = ""
        missing = [k for k, v in (("added_by", added_by), ("added_on", added_on)) if not v]
        if origin == ORIGIN_INDUCTIVE and missing and not bad_date:
            cannot = {
                ("added_by",): "who added it",
                ("added_on",): "when it was added",
            }.get(tuple(missing), "who added it, or when")
            self.add(
                "inductive-incomplete",
                f"inductive {where} has no {' or '.join(missing)}; the methods paragraph "
                f"cannot say {cannot}",
                _line(node),
            )
        return origin, added_by, added_on

    def extras(self, fields: dict, where: str) -> str:
        """Check memo, notes and color; returns the colour as "#RRGGBB" ("" when absent or bad)."""
        values = {extra: self.text(fields, extra, where) for extra in _EXTRA}
        color = values["color"].strip()
        if not color:
            return ""
        if re.fullmatch(r"#[0-9A-Fa-f]{3}", color):
            color = "#" + "".join(ch * 2 for ch in color[1:])
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", color):
            self.add(
                "invalid-color",
                f"color {color!r} of {where} is not #RRGGBB; exports give it a palette colour",
                _line(fields["color"][1]),
            )
            return ""
        return color.upper()

    def keywords(self, fields: dict, where: str) -> tuple[str, ...]:
        out: list[str] = []
        seen: set[str] = set()
        for value, line in self.str_items(fields, "keywords", where):
            if not value.strip():
                self.add("empty-keyword", f"empty keyword in {where}", line)
                continue
            if not any(ch.isalnum() for ch in value):
                self.add(
                    "keyword-no-letters",
                    f"keyword {value!r} in {where} has no letter or digit; auto-coding ignores it",
                    line,
                )
            key = " ".join(value.casefold().split())
            if key in seen:
                self.add("duplicate-keyword", f"keyword {value!r} is listed twice in {where}", line)
                continue
            seen.add(key)
            out.append(value.strip())
        return tuple(out)

    def patterns(self, fields: dict, where: str) -> tuple[str, ...]:
        import regex

        out: list[str] = []
        for value, line in self.str_items(fields, "patterns", where):
            if not value:
                self.add("empty-pattern", f"empty pattern in {where}", line)
                continue
            try:
                compiled = regex.compile(value, regex.IGNORECASE | regex.UNICODE)
            except regex.error as exc:
                self.add(
                    "invalid-regex", f"invalid regular expression {value!r} in {where}: {exc}", line
                )
                continue
            if any(ord(ch) < 32 and ch not in "\t\n" for ch in value):
                self.add(
                    "pattern-escape",
                    f"pattern {value!r} in {where} contains a control character; in double quotes "
                    "YAML reads \\b as a backspace: write patterns in single quotes",
                    line,
                )
            if compiled.search("") is not None:
                self.add(
                    "pattern-matches-empty",
                    f"pattern {value!r} in {where} matches empty text, so it codes every segment",
                    line,
                )
            out.append(value)
        return tuple(out)
