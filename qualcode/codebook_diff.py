"""What changed between two versions of a codebook (`qualcode codebook diff OLD NEW`).

Items (constructs, themes, repeating ideas / codes) are matched by **id**, because ids are what
codings files, consensus files and reports refer to. Changes, in this order of kinds:

- `added`: an id in NEW only (and not a re-id'd item, below);
- `removed`: an id in OLD only;
- `renamed`: the same id with a new label, or a **new id with the same label** at the same level
  (an id in OLD only and an id in NEW only whose labels are equal after case folding and whitespace
  normalisation, when exactly one item on each side has that label). A re-id'd code matters most:
  codings that use the old id no longer match the codebook until their code_id is changed;
- `redefined`: the same id whose definition, include, exclude, examples, keywords, patterns or
  origin (`origin`, `added_by`, `added_on`; no origin counts as deductive) (codes) or definition
  (themes, constructs), or attributes (any level) changed;
- `moved`: the same id under another theme (a code) or construct (a theme).

One item can have several changes (renamed and redefined, say). Within each kind, changes are in
codebook order: each construct, then its themes, each theme then its codes, then top-level themes,
then flat codes; NEW's order for items in NEW, OLD's order for removed items. Keyword and pattern
changes ignore order (keywords compare case-insensitively, as auto-coding matches them).
An item whose id and label both changed is one `removed` and one `added`: nothing links them.
Research concerns and the title are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qualcode.model import ORIGIN_DEDUCTIVE, Code, Codebook, Construct, Theme

KINDS: tuple[str, ...] = ("added", "removed", "renamed", "redefined", "moved")
LEVELS: tuple[str, ...] = ("construct", "theme", "code")


@dataclass(frozen=True)
class Change:
    """One change to one item. `old_id`/`old_label` are set where they differ from NEW's."""

    kind: str  # one of KINDS
    level: str  # construct, theme or code
    id: str  # NEW's id (OLD's for a removed item)
    label: str  # NEW's label (OLD's for a removed item)
    old_id: str = ""
    old_label: str = ""
    fields: tuple[str, ...] = ()  # redefined: which fields changed
    detail: str = ""  # one line, human readable
    parent: str = ""  # the theme (code) or construct (theme) it sits under in NEW ("" at top)
    old_parent: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "change": self.kind,
            "level": self.level,
            "id": self.id,
            "label": self.label,
            "old_id": self.old_id or None,
            "old_label": self.old_label or None,
            "fields": list(self.fields),
            "parent": self.parent or None,
            "old_parent": self.old_parent or None,
            "detail": self.detail,
        }


@dataclass
class CodebookDiff:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: sum(c.kind == k for c in self.changes) for k in KINDS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "summary": self.counts(),
            "changes": [c.as_dict() for c in self.changes],
        }


Item = Construct | Theme | Code


def _walk(codebook: Codebook) -> list[tuple[str, Item, str]]:
    """(level, item, parent id) in codebook order."""
    out: list[tuple[str, Item, str]] = []

    def theme(t: Theme, parent: str) -> None:
        out.append(("theme", t, parent))
        out.extend(("code", c, t.id) for c in t.codes)

    for k in codebook.constructs:
        out.append(("construct", k, ""))
        for t in k.themes:
            theme(t, k.id)
    for t in codebook.themes:
        theme(t, "")
    out.extend(("code", c, "") for c in codebook.flat_codes)
    return out


def _norm(label: str) -> str:
    return " ".join(label.casefold().split())


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _set_change(name: str, old: tuple[str, ...], new: tuple[str, ...], fold: bool) -> str:
    key = (lambda s: " ".join(s.casefold().split())) if fold else (lambda s: s)
    old_keys = {key(v) for v in old}
    new_keys = {key(v) for v in new}
    plus = [v for v in new if key(v) not in old_keys]
    minus = [v for v in old if key(v) not in new_keys]
    if not plus and not minus:
        return ""
    parts = [f"+{v!r}" for v in plus] + [f"-{v!r}" for v in minus]
    return f"{name} " + " ".join(parts)


def _redefinitions(level: str, old: Item, new: Item) -> list[tuple[str, str]]:
    """(field, description) for each field of `new` that differs from `old`."""
    out: list[tuple[str, str]] = []
    texts = ("definition", "include", "exclude") if level == "code" else ("definition",)
    for name in texts:
        a, b = getattr(old, name), getattr(new, name)
        if " ".join(a.split()) != " ".join(b.split()):
            if not a:
                out.append((name, f"{name} added"))
            elif not b:
                out.append((name, f"{name} removed"))
            else:
                out.append((name, f"{name} {_quote(a)} -> {_quote(b)}"))
    if level == "code":
        assert isinstance(old, Code) and isinstance(new, Code)
        for name, fold in (("examples", False), ("keywords", True), ("patterns", False)):
            text = _set_change(name, getattr(old, name), getattr(new, name), fold)
            if text:
                out.append((name, text))
    if level == "code":
        assert isinstance(old, Code) and isinstance(new, Code)
        before = (old.origin or ORIGIN_DEDUCTIVE, old.added_by, old.added_on)
        after = (new.origin or ORIGIN_DEDUCTIVE, new.added_by, new.added_on)
        if before != after:

            def origin_text(origin: str, by: str, on: str) -> str:
                added = " ".join(
                    p for p in (f"on {on}" if on else "", f"by {by}" if by else "") if p
                )
                return origin + (f" (added {added})" if added else "")

            out.append(("origin", f"origin {origin_text(*before)} -> {origin_text(*after)}"))
    if dict(old.attributes) != dict(new.attributes):
        a, b = dict(old.attributes), dict(new.attributes)
        parts = [
            f"{k}: {a.get(k, '(none)')} -> {b.get(k, '(none)')}"
            for k in dict.fromkeys([*a, *b])
            if a.get(k) != b.get(k)
        ]
        out.append(("attributes", "attributes " + ", ".join(parts)))
    return out


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookDiff:
    """Every change from `old` to `new` (see the module docstring for the rules)."""
    result = CodebookDiff(old.source or "", new.source or "")
    old_items = _walk(old)
    new_items = _walk(new)
    old_by_id = {(lvl, item.id): (item, parent) for lvl, item, parent in old_items}
    new_by_id = {(lvl, item.id): (item, parent) for lvl, item, parent in new_items}
    # An id may change level between versions (a theme becomes a code): it is then removed at one
    # level and added at the other, which is what happened to the codings that use it.
    only_old = [(lvl, item, p) for lvl, item, p in old_items if (lvl, item.id) not in new_by_id]
    only_new = [(lvl, item, p) for lvl, item, p in new_items if (lvl, item.id) not in old_by_id]

    # Same label, new id: pair items whose normalised label is unique on both sides of the level.
    def unique_labels(items: list[tuple[str, Item, str]]) -> dict[tuple[str, str], Item]:
        seen: dict[tuple[str, str], list[Item]] = {}
        for lvl, item, _ in items:
            if item.label:
                seen.setdefault((lvl, _norm(item.label)), []).append(item)
        return {k: v[0] for k, v in seen.items() if len(v) == 1}

    old_labels = unique_labels(only_old)
    new_labels = unique_labels(only_new)
    reid_new_to_old = {
        (key[0], item.id): old_labels[key] for key, item in new_labels.items() if key in old_labels
    }
    reid_old = {(lvl, item.id) for (lvl, _), item in reid_new_to_old.items()}
    old_parent = {(lvl, item.id): p for lvl, item, p in old_items}

    by_kind: dict[str, list[Change]] = {k: [] for k in KINDS}
    for lvl, item, parent in new_items:
        key = (lvl, item.id)
        if key in reid_new_to_old:
            before = reid_new_to_old[key]
            by_kind["renamed"].append(
                Change(
                    "renamed",
                    lvl,
                    item.id,
                    item.label,
                    old_id=before.id,
                    detail=f"new id, same label (was {before.id})",
                    parent=parent,
                )
            )
            before_parent = old_parent[(lvl, before.id)]
            compare = [(before, before_parent)]
        elif key not in old_by_id:
            by_kind["added"].append(Change("added", lvl, item.id, item.label, parent=parent))
            continue
        else:
            before, before_parent = old_by_id[key]
            compare = [(before, before_parent)]
            if before.label != item.label:
                by_kind["renamed"].append(
                    Change(
                        "renamed",
                        lvl,
                        item.id,
                        item.label,
                        old_label=before.label,
                        detail=f"label {_quote(before.label)} -> {_quote(item.label)}",
                        parent=parent,
                    )
                )
        for before, before_parent in compare:
            redefined = _redefinitions(lvl, before, item)
            if redefined:
                by_kind["redefined"].append(
                    Change(
                        "redefined",
                        lvl,
                        item.id,
                        item.label,
                        old_id=before.id if before.id != item.id else "",
                        fields=tuple(f for f, _ in redefined),
                        detail="; ".join(d for _, d in redefined),
                        parent=parent,
                    )
                )
            if lvl != "construct" and before_parent != parent:
                above = "theme" if lvl == "code" else "construct"
                by_kind["moved"].append(
                    Change(
                        "moved",
                        lvl,
                        item.id,
                        item.label,
                        old_id=before.id if before.id != item.id else "",
                        detail=f"{above} {before_parent or '(none)'} -> {parent or '(none)'}",
                        parent=parent,
                        old_parent=before_parent,
                    )
                )
    for lvl, item, parent in only_old:
        if (lvl, item.id) not in reid_old:
            by_kind["removed"].append(Change("removed", lvl, item.id, item.label, parent=parent))
    for kind in KINDS:
        result.changes.extend(by_kind[kind])
    return result
