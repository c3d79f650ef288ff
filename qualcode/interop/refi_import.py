"""Import REFI-QDA projects (`.qdpx`) and codebooks (`.qdc`) written by qualcode or other programs.

A project becomes segments (speaker turns), one codings table per User, and a codebook:

- A `.qdpx` that qualcode wrote carries a "qualcode data" note (see `refi_export`); when a source's
  text is unchanged, its turns and the codings' order, origins and spans come back exactly.
- Any other source is split into turns by qualcode's transcript reader (`Name: text` labels); text
  without speaker labels becomes one `Unknown Speaker` turn per paragraph. Each PlainTextSelection
  becomes one coding row per turn it overlaps. A selection that is not exactly one whole turn keeps
  its exact position as start_char/end_char within each turn (0-based code points, end exclusive);
  the summary counts them. A User is taken to have reviewed every turn of each source they coded in
  (the other turns get an empty-code row), so agreement counts their silences.
- Nested codes: three levels are constructs > themes > repeating ideas, two are themes > ideas, one
  is a flat `codes:` list; deeper levels are folded into the repeating ideas of their theme (warned).
"""

from __future__ import annotations

import bisect
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from qualcode.codebook import id_problem
from qualcode.errors import InputFormatError
from qualcode.interop.refi_cases import SourceTurns, read_cases
from qualcode.interop.refi_common import (
    NOT_REFI_HINT,
    NS_CODEBOOK,
    NS_PROJECT,
    ZipLimits,
    attr,
    check_namespace,
    child,
    child_text,
    children,
    is_true,
    normalise_guid,
    parse_description,
    parse_xml,
    read_zip_members,
)
from qualcode.model import CODING_COLUMNS, ROLE_UNKNOWN, SEGMENT_COLUMNS
from qualcode.spans import ORIGIN_AUTO

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

UNKNOWN_USER = "unknown-user"
# Deepest <Code> nesting read (the tree is walked recursively). Real code trees are a few levels
# deep; ~600 levels raised RecursionError before this limit existed.
MAX_CODE_DEPTH = 100
_LEVELS = ("construct", "theme", "repeating_idea", "code")


@dataclass
class ImportSummary:
    """What an import found: counts for the summary table and warnings to show."""

    file: str = ""
    origin: str = ""
    qualcode_layout: bool = False
    sources: int = 0
    turns: int = 0
    users: list[str] = field(default_factory=list)
    codes: int = 0
    codings: int = 0
    selections: int = 0
    exact: int = 0  # selections that are exactly one whole turn
    within_turn: int = 0  # part of one turn
    spanning: int = 0  # overlapping several turns
    unmapped: int = 0  # overlapping no turn (whitespace, out of range, unknown code)
    unlabelled_sources: list[str] = field(default_factory=list)
    participants: int = 0  # cases read as participants (roster.csv rows' participant ids)
    mapped_speakers: int = 0  # (transcript, speaker) pairs given a participant id by a case
    not_carried: list[str] = field(default_factory=list)  # what the project had and qualcode left
    warnings: list[str] = field(default_factory=list)

    def drop(self, what: str) -> None:
        """Record something not carried over: in the summary's list and as a warning."""
        self.not_carried.append(what)
        self.warnings.append(f"not carried over: {what}")

    @property
    def misaligned(self) -> int:
        return self.within_turn + self.spanning


@dataclass
class ImportResult:
    segments: pd.DataFrame
    codings: dict[str, pd.DataFrame]  # coder -> codings table
    codebook: dict | None  # YAML-ready data (None when the file has no codes)
    summary: ImportSummary
    roster: pd.DataFrame | None = None  # the project's cases as participants (refi_cases)


# --- codebook -----------------------------------------------------------------------------------
@dataclass
class _Node:
    guid: str
    name: str
    codable: bool
    color: str | None
    fields: dict
    edited: bool | None
    children: list[_Node] = field(default_factory=list)
    id: str = ""

    @property
    def height(self) -> int:
        return 1 + max((c.height for c in self.children), default=0)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


def _code_depth(codes_el: Element) -> int:
    """How deep <Code> elements nest under `codes_el` (walked without recursion)."""
    deepest = 0
    stack = [(c, 1) for c in children(codes_el, "Code")]
    while stack:
        el, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_CODE_DEPTH:
            stack.extend((c, depth + 1) for c in children(el, "Code"))
    return deepest


def _read_codes(codes_el: Element | None, file: str, warnings: list[str]) -> list[_Node]:
    if codes_el is None:
        return []
    if _code_depth(codes_el) > MAX_CODE_DEPTH:
        raise InputFormatError(
            f"codes are nested more than {MAX_CODE_DEPTH} levels deep; refusing the code tree",
            file=file,
            hint="qualcode reads up to 3 levels (constructs > themes > repeating ideas) and "
            "folds deeper ones; a tree this deep is not a codebook",
        )
    seen: set[str] = set()
    edited: list[str] = []

    def node(el: Element) -> _Node | None:
        guid = normalise_guid(attr(el, "guid"))
        name = (attr(el, "name") or "").strip()
        if guid is None:
            warnings.append(f"code {name!r} has no valid guid; left out with its sub-codes")
            return None
        if guid in seen:
            warnings.append(f"code guid {guid} appears twice; the second {name!r} is left out")
            return None
        seen.add(guid)
        fields, was_edited = parse_description(child_text(el, "Description"))
        own = fields.get("id")
        if isinstance(own, str):
            own = fields["id"] = own.strip()
            if not own:
                fields.pop("id")
                own = None
        problem = id_problem(own) if isinstance(own, str) else "is not text"
        if own is not None and problem:
            warnings.append(
                f"code {name!r} carries the id {own!r}, which {problem}; it gets a new id"
            )
            fields.pop("id")
        if was_edited:
            edited.append(name)
        color = attr(el, "color")
        n = _Node(
            guid=guid,
            name=name or guid,
            codable=is_true(attr(el, "isCodable")),
            color=color
            if color and re.fullmatch(r"#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}", color)
            else None,
            fields=fields,
            edited=was_edited,
        )
        for sub in children(el, "Code"):
            c = node(sub)
            if c is not None:
                n.children.append(c)
        return n

    out = [n for n in (node(el) for el in children(codes_el, "Code")) if n is not None]
    if edited:
        warnings.append(
            f"{len(edited)} code description(s) were edited outside qualcode "
            f"({', '.join(edited[:3])}{'...' if len(edited) > 3 else ''}); definitions were read "
            "from the edited text"
        )
    return out


def _qualcode_shaped(roots: list[_Node]) -> bool:
    """Every code carries a qualcode level, arranged as qualcode writes them."""

    def ok(n: _Node, allowed: tuple[str, ...]) -> bool:
        level = n.fields.get("level")
        if level not in allowed or not n.fields.get("id"):
            return False
        below = {"construct": ("theme",), "theme": ("repeating_idea",)}.get(level, ())
        if not below:
            return not n.children
        return all(ok(c, below) for c in n.children)

    return bool(roots) and all(ok(r, ("construct", "theme", "code")) for r in roots)


def _field_value(key: str, value: object) -> object:
    """A code field from a file as the codebook loader accepts it, or None: text fields are text;
    examples, keywords and patterns are lists of non-empty text, patterns ones that compile."""
    if key in ("definition", "include", "exclude"):
        return value.strip() if isinstance(value, str) and value.strip() else None
    if not isinstance(value, list | tuple):
        return None
    items = [
        v.strip() if key != "patterns" else v for v in value if isinstance(v, str) and v.strip()
    ]
    if key == "patterns":
        import regex

        def compiles(pattern: str) -> bool:
            try:
                regex.compile(pattern, regex.IGNORECASE | regex.UNICODE)
            except regex.error:
                return False
            return True

        items = [p for p in items if compiles(p)]
    return items or None


def _code_entry(n: _Node, leaf: bool) -> dict:
    entry: dict = {"id": n.id, "label": n.name}
    keys = ("definition", "include", "exclude", "examples", "keywords", "patterns")
    for key in keys if leaf else ("definition",):
        value = _field_value(key, n.fields.get(key))
        if value:
            entry[key] = value
    if n.color:
        entry["color"] = n.color
    return entry


def _build_codebook(
    roots: list[_Node], coded: set[str], warnings: list[str]
) -> tuple[dict, dict[str, str]]:
    """YAML-ready codebook and guid -> code id of every codable leaf."""
    leaf_of: dict[str, str] = {}
    taken: set[str] = set()
    if _qualcode_shaped(roots):
        ids = [n.fields["id"] for r in roots for n in r.walk()]
        if len(ids) == len(set(ids)):
            for r in roots:
                for n in r.walk():
                    n.id = n.fields["id"]
            data: dict = {"constructs": [], "themes": [], "codes": []}
            for r in roots:
                level = r.fields["level"]
                if level == "code":
                    data["codes"].append(_code_entry(r, True))
                    leaf_of[r.guid] = r.id
                elif level == "theme":
                    data["themes"].append(_theme(r, leaf_of))
                else:
                    entry = _code_entry(r, False)
                    entry["themes"] = [_theme(t, leaf_of) for t in r.children]
                    data["constructs"].append(entry)
            data = {k: v for k, v in data.items() if v}
            if not _count_codes(data):
                # Themes or constructs with no code under them: qualcode's loader refuses a
                # codebook without codes, so none is written (the file says why).
                names = ", ".join(repr(r.name) for r in roots[:3]) + (
                    "..." if len(roots) > 3 else ""
                )
                warnings.append(
                    f"the code tree holds only groups with no codes under them ({names}): "
                    "no codebook written"
                )
                return {}, leaf_of
            return data, leaf_of

    # Another program's tree: assign levels by height.
    for r in roots:
        for n in r.walk():
            own = n.fields.get("id")
            if own and own not in taken:
                n.id = own
                taken.add(own)
    counters = {"C": 0, "T": 0, "RI": 0, "K": 0}

    def new_id(prefix: str) -> str:
        while True:
            counters[prefix] += 1
            candidate = f"{prefix}{counters[prefix]}"
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    def ensure(n: _Node, prefix: str) -> None:
        if not n.id:
            n.id = new_id(prefix)

    # A codable code with sub-codes (ATLAS.ti writes every code codable), or one that someone
    # coded directly, keeps a leaf of its own: only leaves hold codings in qualcode.
    # Only codes that become constructs or themes need one (deeper ones become leaves anyway).
    groups = [r for r in roots if r.children]
    groups += [c for r in roots if r.height >= 3 for c in r.children if c.children]
    for r in groups:
        for n in [r]:
            if n.codable or n.guid in coded:
                own = _Node(n.guid, n.name, True, n.color, dict(n.fields), n.edited)
                own.fields.pop("id", None)
                n.guid = n.guid + ":group"
                n.children.insert(0, own)
                why = (
                    "was also applied directly"
                    if n.guid[: -len(":group")] in coded
                    else ("is codable")
                )
                warnings.append(
                    f"code {n.name!r} has sub-codes and {why}; it groups them, and a repeating "
                    "idea of the same name holds its own codings"
                )
    folded: list[str] = []

    def idea(n: _Node, where: list) -> None:
        ensure(n, "RI")
        where.append(_code_entry(n, True))
        leaf_of[n.guid] = n.id
        for c in n.children:  # deeper levels fold into the theme's ideas
            folded.append(c.name)
            idea(c, where)

    def theme(n: _Node) -> dict:
        ensure(n, "T")
        entry = _code_entry(n, False)
        entry["repeating_ideas"] = []
        for c in n.children:
            idea(c, entry["repeating_ideas"])
        return entry

    data = {"constructs": [], "themes": [], "codes": []}
    for r in roots:
        height = r.height
        if height == 1:
            ensure(r, "K")
            data["codes"].append(_code_entry(r, True))
            leaf_of[r.guid] = r.id
        elif height == 2:
            data["themes"].append(theme(r))
        else:
            ensure(r, "C")
            entry = _code_entry(r, False)
            entry["themes"] = []
            loose = [c for c in r.children if not c.children]
            for c in r.children:
                if c.children:
                    entry["themes"].append(theme(c))
            if loose:
                holder = _Node(r.guid + ":other", f"Other codes in {r.name}", False, None, {}, None)
                holder.children = loose
                entry["themes"].append(theme(holder))
            data["constructs"].append(entry)
    if folded:
        warnings.append(
            f"the code tree is deeper than 3 levels: {len(folded)} code(s) were folded into their "
            f"theme's repeating ideas ({', '.join(folded[:3])}{'...' if len(folded) > 3 else ''})"
        )
    return {k: v for k, v in data.items() if v}, leaf_of


def _theme(n: _Node, leaf_of: dict[str, str]) -> dict:
    entry = _code_entry(n, False)
    entry["repeating_ideas"] = []
    for c in n.children:
        entry["repeating_ideas"].append(_code_entry(c, True))
        leaf_of[c.guid] = c.id
    return entry


def _count_codes(data: dict) -> int:
    n = len(data.get("codes", []))
    for t in data.get("themes", []):
        n += len(t["repeating_ideas"])
    for k in data.get("constructs", []):
        for t in k["themes"]:
            n += len(t["repeating_ideas"])
    return n


def read_qdc(path: str | Path) -> tuple[dict | None, ImportSummary]:
    """A `.qdc` codebook -> YAML-ready codebook data (None if it has no codes) and a summary."""
    path = Path(path)
    if not path.exists():
        raise InputFormatError("file not found", file=path)
    if path.is_dir():
        raise InputFormatError("expected a .qdc file, got a folder", file=path)
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04":
        raise InputFormatError(
            "this is a zip archive, not a codebook XML file",
            file=path,
            hint="a .qdpx project is imported with 'qualcode import qdpx'",
        )
    root, namespace = parse_xml(raw, path)
    summary = ImportSummary(file=str(path), origin=attr(root, "origin") or "")
    if root.tag != "CodeBook":
        hint = NOT_REFI_HINT
        if root.tag == "Project":
            hint = "this is a project file; import the .qdpx with 'qualcode import qdpx'"
        raise InputFormatError(
            f"not a REFI-QDA codebook: the root element is <{root.tag}>, expected <CodeBook>",
            file=path,
            hint=hint,
        )
    warning = check_namespace(namespace, NS_CODEBOOK, "codebook")
    if warning:
        summary.warnings.append(warning)
    roots = _read_codes(child(root, "Codes"), str(path), summary.warnings)
    if not roots:
        return None, summary
    data, _ = _build_codebook(roots, set(), summary.warnings)
    if not data:
        return None, summary
    _sets(root, summary)
    data = {"title": path.stem, **data}
    summary.codes = _count_codes(data)
    return data, summary


# --- sources and turns --------------------------------------------------------------------------
@dataclass
class _Turn:
    speaker: str
    line: int
    parts: list[tuple[int, int, int]] = field(default_factory=list)  # src start, src end, offset
    texts: list[str] = field(default_factory=list)
    row: dict = field(default_factory=dict)
    length: int = 0  # len(self.text), kept as lines are added (joining each time was quadratic)
    _joined: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._joined is None:
            self._joined = "\n".join(self.texts)
        return self._joined

    def add(self, start: int, content: str) -> None:
        offset = self.length + (1 if self.texts else 0)
        self.parts.append((start, start + len(content), offset))
        self.texts.append(content)
        self.length = offset + len(content)
        self._joined = None


def split_turns(text: str, source: str) -> tuple[list[_Turn], bool]:
    """Turns of another program's source text with each line's position in it; False when the
    text has no speaker labels (then one Unknown Speaker turn per paragraph)."""
    from qualcode.ingest.text import NoSpeakerLabelsError, find_label, parse_text
    from qualcode.ingest.turns import UNKNOWN_SPEAKER
    from qualcode.roster import normalise_speaker, speaker_key

    lines = text.split("\n")
    try:
        parsed = parse_text("\n".join(line.rstrip("\r") for line in lines), source)
        labels = {b.line: b.speaker for b in parsed.blocks if b.speaker is not None}
        # What the parser read after each label on its line: a label only inference reads
        # (`interviewer: How?`) is not one find_label knows, and must not stay in the turn's text.
        said = {b.line: b.text.split("\n", 1)[0] for b in parsed.blocks if b.speaker is not None}
    except NoSpeakerLabelsError:
        labels, said = None, {}
    turns: list[_Turn] = []
    pos = 0
    previous_blank = True
    for number, raw in enumerate(lines, start=1):
        start_of_line = pos
        pos += len(raw) + 1
        stripped = raw.strip()
        if not stripped:
            previous_blank = True
            continue
        lead = len(raw) - len(raw.lstrip())
        content, at = stripped, start_of_line + lead
        speaker: str | None = None
        if labels is not None and number in labels:
            found = find_label(stripped)
            speaker = normalise_speaker(labels[number])
            rest = found.text if found is not None else said[number].strip()
            if stripped.endswith(rest):
                at += len(stripped) - len(rest) + (len(rest) - len(rest.lstrip()))
                content = rest.strip()
            else:  # the label stands alone on its line; the words start on the next
                content = ""
        if speaker is None and labels is None and previous_blank:
            speaker = UNKNOWN_SPEAKER  # a new paragraph is a new turn
            turns.append(_Turn(speaker, number))
            speaker = None
        previous_blank = False
        if speaker is not None:
            if not turns or speaker_key(turns[-1].speaker) != speaker_key(speaker):
                turns.append(_Turn(speaker, number))
        elif not turns:
            turns.append(_Turn(UNKNOWN_SPEAKER, number))
        if content:
            turns[-1].add(at, content)
    return [t for t in turns if t.texts], labels is not None


def _overlaps(turns: list[_Turn], starts: list[int], s: int, e: int) -> list[tuple[int, int, int]]:
    """(turn index, start_char, end_char) of every turn that selection [s, e) overlaps."""
    out = []
    i = max(bisect.bisect_right(starts, s) - 1, 0)
    while i < len(turns) and starts[i] < e:
        lo = hi = None
        for src_start, src_end, offset in turns[i].parts:
            a, b = max(s, src_start), min(e, src_end)
            if a < b:
                lo = offset + a - src_start if lo is None else lo
                hi = offset + b - src_start
        if lo is not None:
            out.append((i, lo, hi))
        i += 1
    return out


_TID = re.compile(r"[^\w.\-]+")


def _transcript_id(name: str, taken: set[str]) -> str:
    stem = re.sub(r"\.(txt|docx?|rtf|pdf|odt)$", "", name.strip(), flags=re.IGNORECASE)
    base = _TID.sub("_", stem).strip("_.") or "source"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


def _source_text(el: Element, members: dict[str, bytes], warnings: list[str]) -> str | None:
    name = attr(el, "name") or attr(el, "guid") or "?"
    path = attr(el, "plainTextPath")
    data: bytes | None = None
    if path:
        if not path.lower().startswith("internal://"):
            warnings.append(
                f"source {name!r} points outside the project ({path}); left out (only files "
                "inside the .qdpx are read)"
            )
            return None
        inner = path[len("internal://") :].replace("\\", "/").lstrip("/")
        if ".." in inner.split("/"):
            warnings.append(f"source {name!r} has an unsafe path {path!r}; left out")
            return None
        lowered = {k.lower(): k for k in members}
        for candidate in (f"sources/{inner}", inner):
            if candidate.lower() in lowered:
                data = members[lowered[candidate.lower()]]
                break
        if data is None:
            warnings.append(f"source {name!r}: {path} is not in the zip; left out")
            return None
    else:
        content = child(el, "PlainTextContent")
        if content is None:
            warnings.append(f"source {name!r} has no plain text (only rich text); left out")
            return None
        return content.text or ""
    if data.startswith(b"\xef\xbb\xbf"):
        warnings.append(f"source {name!r} starts with a byte-order mark; it was removed")
        data = data[3:]
    if b"\x00" in data:
        # Not text (UTF-16 saved without a marker, or binary): a NUL would also make the segments
        # file unreadable for every later command.
        warnings.append(f"source {name!r} holds NUL bytes, so it is not plain text; left out")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        warnings.append(f"source {name!r} is not UTF-8; read as Windows-1252")
        return data.decode("cp1252", errors="replace")


# --- the project --------------------------------------------------------------------------------
def _data_note(root: Element) -> dict | None:
    from qualcode.interop.refi_export import DATA_FORMAT

    notes = child(root, "Notes")
    for note in children(notes, "Note") if notes is not None else []:
        text = child_text(note, "PlainTextContent")
        if not text.startswith("{") or DATA_FORMAT not in text[:100]:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("format") == DATA_FORMAT:
            return data
    return None


def _data_note_ok(data: dict) -> bool:
    """Whether the qualcode data note has the shape refi_export writes (a damaged or hand-made one
    is ignored: the project is then read like any other program's)."""
    cols = data.get("segment_columns")
    if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
        return False
    if not {"segment_id", "transcript_id", "turn", "speaker"} <= set(cols):
        return False
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        return False
    for meta in sources.values():
        if not isinstance(meta, dict) or not isinstance(meta.get("turns", []), list):
            return False
        for values in meta.get("turns", []):
            if not isinstance(values, list) or len(values) != len(cols) + 2:
                return False
            *cells, start, end = values
            if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in cells):
                return False
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
                return False
            if not str(cells[cols.index("turn")]).isdigit():
                return False
    coders = data.get("coders", {})
    if not isinstance(coders, dict):
        return False
    for entries in coders.values():
        if not isinstance(entries, list):
            return False
        for entry in entries:
            if not isinstance(entry, dict):
                return False
            for key in ("origin", "seg", "memo", "sel"):
                if key in entry and not isinstance(entry[key], str):
                    return False
            span = entry.get("span", ["", ""])
            if not (isinstance(span, list) and len(span) == 2):
                return False
            if not all(isinstance(v, str) and (v == "" or v.isdigit()) for v in span):
                return False
    return isinstance(data.get("codebook", {}), dict)


def _notes(root: Element) -> dict[str, str]:
    notes = child(root, "Notes")
    out: dict[str, str] = {}
    for note in children(notes, "Note") if notes is not None else []:
        guid = normalise_guid(attr(note, "guid"))
        if guid:
            out[guid] = child_text(note, "PlainTextContent")
    return out


def _user_names(root: Element) -> dict[str, str]:
    users = child(root, "Users")
    out: dict[str, str] = {}
    for user in children(users, "User") if users is not None else []:
        guid = normalise_guid(attr(user, "guid"))
        if guid:
            out[guid] = (attr(user, "name") or attr(user, "id") or guid).strip() or guid
    return out


def _open_project(path: Path, limits: ZipLimits | None) -> tuple[Element, dict[str, bytes], str]:
    members = read_zip_members(path, limits)
    qde = [m for m in members if m.lower().endswith(".qde")]
    if not qde:
        raise InputFormatError(
            "not a REFI-QDA project: the zip has no .qde file", file=path, hint=NOT_REFI_HINT
        )
    main = "project.qde" if "project.qde" in qde else sorted(qde, key=len)[0]
    root, namespace = parse_xml(members[main], f"{path}!{main}")
    if root.tag != "Project":
        raise InputFormatError(
            f"not a REFI-QDA project: the root element of {main} is <{root.tag}>, "
            "expected <Project>",
            file=path,
            hint=NOT_REFI_HINT,
        )
    return root, members, namespace


def read_qdpx(path: str | Path, *, limits: ZipLimits | None = None) -> ImportResult:
    """A `.qdpx` project -> segments, codings per user, codebook data and a summary."""
    import pandas as pd

    path = Path(path)
    root, members, namespace = _open_project(path, limits)
    summary = ImportSummary(file=str(path), origin=attr(root, "origin") or "")
    warnings = summary.warnings
    warning = check_namespace(namespace, NS_PROJECT, "project")
    if warning:
        warnings.append(warning)
    notes = _notes(root)
    users = _user_names(root)
    data = _data_note(root)
    if data is not None and not _data_note_ok(data):
        warnings.append(
            "the qualcode data note is damaged or was edited; the project is read like any "
            "other program's (turns re-split from the text)"
        )
        data = None
    qualcode_sources = (data or {}).get("sources", {})

    sources_el = child(root, "Sources")
    text_sources = children(sources_el, "TextSource") if sources_el is not None else []
    other = [
        c.tag
        for c in (sources_el if sources_el is not None else [])
        if isinstance(c.tag, str) and c.tag != "TextSource"
    ]
    if other:
        summary.drop(
            f"{len(other)} non-text source(s) ({', '.join(sorted(set(other)))}): qualcode reads "
            "text sources"
        )
    coded_guids: set[str] = set()
    for el in text_sources:
        for sel in children(el, "PlainTextSelection"):
            for coding in children(sel, "Coding"):
                ref = child(coding, "CodeRef")
                guid = normalise_guid(attr(ref, "targetGUID")) if ref is not None else None
                if guid:
                    coded_guids.add(guid)

    book = child(root, "CodeBook")
    roots = _read_codes(child(book, "Codes") if book is not None else None, str(path), warnings)
    codebook, leaf_of = _build_codebook(roots, coded_guids, warnings) if roots else ({}, {})

    # Sources -> turns.
    segment_rows: list[dict] = []
    extra_cols = [c for c in (data or {}).get("segment_columns", []) if c not in SEGMENT_COLUMNS]
    taken: set[str] = set()
    selections: dict[str, dict] = {}  # guid -> mapped selection
    source_order: list[tuple[str, list[_Turn]]] = []
    source_turns: list[SourceTurns] = []
    whole_source = 0
    all_selections: list[dict] = []
    for el in text_sources:
        guid = normalise_guid(attr(el, "guid")) or ""
        name = attr(el, "name") or guid
        text = _source_text(el, members, warnings)
        if text is None:
            continue
        turns, qualcode_turns = _qualcode_turns(text, qualcode_sources.get(guid), data)
        if turns is not None:
            tid = str(turns[0].row["transcript_id"]) if turns else _transcript_id(name, taken)
            taken.add(tid)
        else:
            tid = _transcript_id(name, taken)
            turns, labelled = split_turns(text, name)
            if not labelled:
                summary.unlabelled_sources.append(tid)
            for number, turn in enumerate(turns, start=1):
                from qualcode.ingest.turns import role_from_name

                turn.row = {
                    "segment_id": f"{tid}:{number}",
                    "transcript_id": tid,
                    "turn": number,
                    "speaker": turn.speaker,
                    "participant_id": "",
                    "role": role_from_name(turn.speaker) if labelled else ROLE_UNKNOWN,
                    "start_time": "",
                    "end_time": "",
                    "source": name,
                    "line": turn.line,
                }
        if not turns:
            warnings.append(f"source {name!r} has no text; left out")
            continue
        for turn in turns:
            row = dict(turn.row)
            row["text"] = turn.text
            segment_rows.append(row)
        source_order.append((tid, turns))
        source_turns.append(SourceTurns(guid, tid, turns))
        if children(el, "VariableValue"):
            summary.drop(
                f"{len(children(el, 'VariableValue'))} variable value(s) of source {name!r}: "
                "qualcode keeps variables of participants, not of sources"
            )
        summary.sources += 1
        summary.turns += len(turns)
        whole_source += len(children(el, "Coding"))
        starts = [t.parts[0][0] for t in turns]
        for sel in children(el, "PlainTextSelection"):
            mapped = _map_selection(sel, turns, starts, len(source_order) - 1, text, summary)
            if mapped is None:
                continue
            for coding in children(sel, "Coding") or [None]:
                all_selections.append(
                    _coding_of(sel, coding, mapped, users, notes, leaf_of, warnings)
                )
            if mapped["guid"]:
                selections[mapped["guid"]] = mapped
    if whole_source:
        summary.drop(f"{whole_source} coding(s) of whole sources (not of text)")

    codings_rows = _codings(all_selections, source_order, data, summary)
    cases = read_cases(root, source_turns, selections)
    warnings.extend(cases.warnings)
    for what in cases.not_carried:
        summary.drop(what)
    if cases.participant_of:
        from qualcode.roster import speaker_key

        for row in segment_rows:
            if not str(row["participant_id"]).strip():
                key = (row["transcript_id"], speaker_key(str(row["speaker"])))
                row["participant_id"] = cases.participant_of.get(key, "")
    if cases.roster is not None:
        summary.participants = int(cases.roster["participant_id"].nunique())
        summary.mapped_speakers = len(cases.participant_of)
    _report_unread(root, data, summary)
    seg_cols = list(SEGMENT_COLUMNS) + extra_cols
    for row in segment_rows:
        row.setdefault("source_type", "")  # not stated (other programs' projects have none)
    segments = pd.DataFrame(segment_rows, columns=seg_cols).fillna("")
    codings = {
        coder: pd.DataFrame(rows, columns=list(CODING_COLUMNS))
        for coder, rows in codings_rows.items()
    }
    summary.users = list(codings)
    summary.codings = sum(len(f) for f in codings.values())
    if codebook:
        meta = (data or {}).get("codebook", {})
        title = meta.get("title") if isinstance(meta.get("title"), str) else ""
        head: dict = {"title": title or attr(root, "name") or path.stem}
        concerns = [
            {"id": c["id"], "text": c["text"].strip()}
            for c in meta.get("research_concerns") or []
            if isinstance(c, dict)
            and isinstance(c.get("id"), str)
            and c["id"].strip()
            and not id_problem(c["id"])
            and isinstance(c.get("text"), str)
            and c["text"].strip()
        ]
        if concerns:
            head["research_concerns"] = concerns
        codebook = {**head, **codebook}
        summary.codes = _count_codes(codebook)
    summary.qualcode_layout = data is not None
    return ImportResult(segments, codings, codebook or None, summary, roster=cases.roster)


def _sets(parent: Element, summary: ImportSummary) -> None:
    sets = child(parent, "Sets")
    for el in children(sets, "Set") if sets is not None else []:
        members = sum(
            len(children(el, tag)) for tag in ("MemberCode", "MemberSource", "MemberNote")
        )
        name = attr(el, "name") or attr(el, "guid") or "?"
        summary.drop(f"set {name!r} ({members} member(s)): qualcode has no sets")


def _report_unread(root: Element, data: dict | None, summary: ImportSummary) -> None:
    """Sets, graphs, links and notes that no coding refers to: each reported as not carried
    (memos on uncoded turns come back from qualcode's data note, `data`)."""
    from qualcode.interop.refi_export import DATA_FORMAT

    _sets(root, summary)
    graphs = child(root, "Graphs")
    for el in children(graphs, "Graph") if graphs is not None else []:
        summary.drop(f"graph {attr(el, 'name') or attr(el, 'guid') or '?'!r}")
    links = child(root, "Links")
    if links is not None and children(links, "Link"):
        summary.drop(f"{len(children(links, 'Link'))} link(s) between items")
    used: set[str] = set()
    sources = child(root, "Sources")
    for sel in sources.iter("PlainTextSelection") if sources is not None else []:
        for ref in [*children(sel, "NoteRef"), *sel.iter("NoteRef")]:
            guid = normalise_guid(attr(ref, "targetGUID"))
            if guid:
                used.add(guid)
    restored = {
        entry["memo"]
        for entries in ((data or {}).get("coders") or {}).values()
        for entry in entries
        if isinstance(entry, dict) and "seg" in entry and entry.get("memo")
    }
    notes_el = child(root, "Notes")
    for note in children(notes_el, "Note") if notes_el is not None else []:
        guid = normalise_guid(attr(note, "guid"))
        text = child_text(note, "PlainTextContent")
        if guid in used or text in restored or (text.startswith("{") and DATA_FORMAT in text[:100]):
            continue
        summary.drop(
            f"note {attr(note, 'name') or guid!r} (a memo or journal entry that is not a "
            "coding memo)"
        )


def _qualcode_turns(text: str, meta: dict | None, data: dict | None):
    """Turns from the qualcode data note when the source text is the one qualcode wrote."""
    import hashlib

    if meta is None or data is None:
        return None, False
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != meta.get("sha256"):
        return None, False
    cols = data.get("segment_columns", [])
    turns: list[_Turn] = []
    for values in meta.get("turns", []):
        *cells, start, end = values
        row = dict(zip(cols, cells, strict=True))
        row["turn"] = int(row["turn"])
        turn = _Turn(str(row["speaker"]), 0, row=row)
        turn.add(int(start), text[int(start) : int(end)])
        turns.append(turn)
    return turns, True


def _map_selection(sel: Element, turns, starts, source_index, text, summary) -> dict | None:
    summary.selections += 1
    try:
        s = int(attr(sel, "startPosition") or "")
        e = int(attr(sel, "endPosition") or "")
    except ValueError:
        summary.unmapped += 1
        summary.warnings.append(
            f"selection {attr(sel, 'guid')} has no valid start/end position; left out"
        )
        return None
    spans = _overlaps(turns, starts, s, e) if s < e else []
    if not spans:
        summary.unmapped += 1
        return None
    if len(spans) > 1:
        summary.spanning += 1
    elif spans[0][1] == 0 and spans[0][2] == turns[spans[0][0]].length:
        summary.exact += 1
    else:
        summary.within_turn += 1
    return {
        "guid": normalise_guid(attr(sel, "guid")),
        "source": source_index,
        "start": s,
        "spans": spans,
        "exact": len(spans) == 1 and spans[0][1] == 0 and spans[0][2] == turns[spans[0][0]].length,
        "turns": turns,
    }


def _coding_of(sel, coding, mapped, users, notes, leaf_of, warnings) -> dict:
    user_guid = None
    ref = None
    memo_refs = [normalise_guid(attr(r, "targetGUID")) for r in children(sel, "NoteRef")]
    if coding is not None:
        user_guid = normalise_guid(attr(coding, "creatingUser"))
        ref = child(coding, "CodeRef")
        memo_refs += [normalise_guid(attr(r, "targetGUID")) for r in children(coding, "NoteRef")]
    user_guid = user_guid or normalise_guid(attr(sel, "creatingUser"))
    coder = users.get(user_guid or "", UNKNOWN_USER if user_guid is None else user_guid)
    code_guid = normalise_guid(attr(ref, "targetGUID")) if ref is not None else None
    memo = "\n\n".join(notes[g] for g in memo_refs if g in notes and notes[g])
    if not memo:
        memo = child_text(sel, "Description").strip()
    return {
        **mapped,
        "coder": coder,
        "code_id": leaf_of.get(code_guid or ""),
        "code_guid": code_guid,
        "memo": memo,
    }


def _row(turn: _Turn, code_id: str, coder: str, origin: str, memo: str, s="", e="") -> tuple:
    return (turn.row["segment_id"], code_id, coder, origin, memo, s, e)


def _codings(selected: list[dict], sources, data: dict | None, summary) -> dict[str, list[tuple]]:
    warnings = summary.warnings
    out: dict[str, list[tuple]] = {}
    unknown_code = [s for s in selected if s["code_id"] is None]
    if unknown_code:
        warnings.append(
            f"{len(unknown_code)} coding(s) refer to a code that is not in the codebook; left out"
        )
    no_user = [s for s in selected if s["coder"] == UNKNOWN_USER]
    if no_user:
        warnings.append(
            f"{len(no_user)} coding(s) name no user; they were given to coder {UNKNOWN_USER!r}"
        )
    usable = [s for s in selected if s["code_id"] is not None]
    by_guid = {s["guid"]: s for s in usable if s["guid"]}
    used: set[int] = set()
    segment_ids = {t.row["segment_id"]: t for _, turns in sources for t in turns}

    # qualcode's own rows, in their original order, where the selections still match.
    for coder, entries in ((data or {}).get("coders") or {}).items():
        rows = out.setdefault(coder, [])
        for entry in entries:
            origin = entry.get("origin", "manual")
            if "seg" in entry:
                turn = segment_ids.get(entry["seg"])
                if turn is not None:
                    span = entry.get("span", ["", ""])
                    rows.append(_row(turn, "", coder, origin, entry.get("memo", ""), *span))
                continue
            sel = by_guid.get(entry.get("sel"))
            if sel is None or len(sel["spans"]) != 1 or id(sel) in used:
                continue
            i, s, e = sel["spans"][0]
            span = entry.get("span")
            if origin == ORIGIN_AUTO and span is not None and sel["exact"]:
                pass  # exported as its whole turn; the span is where its keyword matched
            elif span is not None and [str(s), str(e)] != span:
                continue
            if span is None and not sel["exact"]:
                continue
            used.add(id(sel))
            turn = sel["turns"][i]
            rows.append(_row(turn, sel["code_id"], coder, origin, sel["memo"], *(span or ("", ""))))
    # Everything else (another program's codings, or ones changed since qualcode wrote them).
    rest = [s for s in usable if id(s) not in used]
    if not rest:
        return {k: v for k, v in out.items() if v}
    per_coder: dict[str, list[tuple]] = {}
    for sel in rest:
        for i, s, e in sel["spans"]:
            turn = sel["turns"][i]
            key = (
                sel["source"],
                turn.row["turn"],
                sel["start"],
                len(per_coder.get(sel["coder"], [])),
            )
            if sel["exact"]:
                row = _row(turn, sel["code_id"], sel["coder"], "import", sel["memo"])
            else:
                row = _row(turn, sel["code_id"], sel["coder"], "import", sel["memo"], s, e)
            per_coder.setdefault(sel["coder"], []).append((key, row))
    for coder, keyed in per_coder.items():
        rows = out.setdefault(coder, [])
        existing = {r[0] for r in rows} | {r[0] for _, r in keyed}
        coded_sources = {k[0] for k, _ in keyed}
        # A user reviewed every turn of the sources they coded in: silences become empty rows.
        for source_index in sorted(coded_sources):
            for turn in sources[source_index][1]:
                if turn.row["segment_id"] not in existing:
                    keyed.append(
                        (
                            (source_index, turn.row["turn"], -1, 0),
                            _row(turn, "", coder, "import", ""),
                        )
                    )
        keyed.sort(key=lambda kr: kr[0])
        rows.extend(r for _, r in keyed)
    return {k: v for k, v in out.items() if v}


# --- writing ------------------------------------------------------------------------------------
_SAFE = re.compile(r"[^\w.\- ]+")


def coder_file_name(coder: str, taken: set[str]) -> str:
    base = _SAFE.sub("_", coder).strip(" ._") or "coder"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.lower())
    return f"{name}.csv"


def codebook_yaml(data: dict, source: str) -> str:
    import yaml

    header = f"# Codebook imported by qualcode from {Path(source).name}\n"
    return header + yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )


def write_import(result: ImportResult, out_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Write segments.csv, roster.csv (the project's cases), codings/<coder>.csv and codebook.yaml
    under `out_dir`, together or not at all (`written_together`: a failure leaves no partial
    study). A folder that already holds study files is refused unless `force` (replaced files are
    kept as backups)."""
    from qualcode.io import (
        atomic_write_text,
        write_codings,
        write_dataframe_csv,
        write_segments,
        written_together,
    )
    from qualcode.provenance import stamp

    out = Path(out_dir)
    taken: set[str] = set()
    coding_targets = [out / "codings" / coder_file_name(c, taken) for c in result.codings]
    roster_target = out / "roster.csv" if result.roster is not None else None
    codebook_target = out / "codebook.yaml" if result.codebook is not None else None
    targets = [out / "segments.csv", *coding_targets]
    targets += [t for t in (roster_target, codebook_target) if t is not None]
    if not force:
        refuse_study_folder(out, targets)
    written: list[Path] = []
    with written_together():
        written.append(write_segments(result.segments, targets[0]))
        if roster_target is not None:
            written.append(write_dataframe_csv(result.roster, roster_target))
        for target, frame in zip(coding_targets, result.codings.values(), strict=True):
            # Each coding records the text it was coded on, as every codings file qualcode writes.
            written.append(write_codings(stamp(frame, result.segments), target))
        if codebook_target is not None:
            text = codebook_yaml(result.codebook, result.summary.file)
            written.append(atomic_write_text(codebook_target, text))
    return written


STUDY_FILES = ("segments.csv", "codebook.yaml", "roster.csv", "qualcode.yaml")


def refuse_study_folder(out: Path, targets: list[Path], *, whole_study: bool = True) -> None:
    """An import writes a whole study: into a folder that holds one already (files it would
    replace, or a codebook, roster, segments, settings or codings of its own), only with --force.
    A codebook alone (`whole_study=False`) is refused only where it would replace one."""
    from qualcode.errors import OutputError

    found = [t for t in targets if os.path.exists(t)]  # False for a name too long, too
    if whole_study:
        found += [out / n for n in STUDY_FILES if (out / n).exists() and out / n not in found]
    codings = out / "codings"
    if whole_study and codings.is_dir():
        found += sorted(p for p in codings.glob("*.csv") if p not in found)
    if found:
        names = ", ".join(p.relative_to(out).as_posix() for p in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise OutputError(
            f"the folder already holds study files ({names}{more}); importing would replace or "
            "mix with them",
            file=out,
            hint="import into a new folder, or add --force to write there anyway (replaced files "
            "are kept as .bak)",
        )


def import_qdpx(
    path: str | Path,
    out_dir: str | Path,
    *,
    limits: ZipLimits | None = None,
    force: bool = False,
):
    """Read a `.qdpx` and write it as a qualcode study under `out_dir`; returns (result, files)."""
    result = read_qdpx(path, limits=limits)
    return result, write_import(result, out_dir, force=force)


def import_qdc(
    path: str | Path, out_dir: str | Path, *, force: bool = False
) -> tuple[ImportSummary, list[Path]]:
    """Read a `.qdc` and write `out_dir/codebook.yaml`; returns (summary, files)."""
    from qualcode.io import atomic_write_text

    data, summary = read_qdc(path)
    if data is None:
        raise InputFormatError(
            "the codebook has no codes", file=path, hint="export the codebook again with its codes"
        )
    target = Path(out_dir) / "codebook.yaml"
    if not force:
        refuse_study_folder(Path(out_dir), [target], whole_study=False)
    atomic_write_text(target, codebook_yaml(data, str(path)))
    return summary, [target]
