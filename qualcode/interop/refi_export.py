"""Export to REFI-QDA: the codebook as `.qdc`, the whole study as `.qdpx`.

Layout of a qualcode `.qdpx` (what import reverses exactly):

- Codes: constructs > themes > repeating ideas as nested `<Code>`s (a flat `codes:` list at top
  level). Only the codes coders apply (repeating ideas, flat codes) are `isCodable="true"`;
  constructs and themes are `isCodable="false"` groupings, as in Auerbach & Silverstein. Each
  Description holds the definition, include, exclude and examples as readable text, then one
  `[qualcode] {json}` line with the id, level, keywords and patterns (so ids survive other programs).
- Sources: one `TextSource` per transcript, `sources/<guid>.txt`, UTF-8 without BOM, LF. The text is
  each turn as `Speaker: text`, turns separated by one blank line, ending in a newline. A coding of a
  whole turn selects the turn's text (not the label); a coding with start_char/end_char selects that
  part of it (its excerpt; one selection per row, so two excerpts of one code in a turn are two
  selections). An auto-coding selects its whole turn: its span marks where the keyword matched, not
  an excerpt (`qualcode.spans`), and comes back from the data note. Offsets are code points, end
  exclusive.
- Users: one per coder; every selection and coding carries its coder, so both coders' work survives.
- Cases: one per participant_id, with the roster's attribute columns as Text variables.
- Memos: each coding memo is the selection's `<Description>` (where QualCoder, MAXQDA and others
  read a coding memo) and also a Note referenced from the selection; a memo on a turn with no code,
  which has no selection, is a Note of its own named for the turn; one more Note, "qualcode data",
  holds what REFI cannot (turn metadata: speaker, role, participant_id, times, source, line; the
  codings' order, origins, explicit spans and reviewed-but-uncoded turns; the codebook title and
  research concerns) as JSON.

- Colours: every code has a `color`. A code's own `color:` in the codebook wins; otherwise each theme
  takes the next colour of a fixed palette (`PALETTE`, in codebook order) and its repeating ideas
  take lighter tints of it, so the same codebook always gets the same colours.
- Dates: the Project, every Note, selection and coding carry `creationDateTime` (Notes also
  `modifiedDateTime`: QualCoder's import stops on a Note without a date). One date is used for all of
  them: `SOURCE_DATE_EPOCH` (seconds, the reproducible-builds convention) when set, otherwise the
  newest modification time of the input files (segments, codings, codebook, roster), in UTC, to the
  second. So exporting the same files again gives the same bytes.

GUIDs are uuid5 of qualcode ids, so re-exports diff cleanly.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from qualcode import __version__
from qualcode.errors import ContractError
from qualcode.interop.refi_common import (
    NS_CODEBOOK,
    NS_PROJECT,
    render_description,
    stable_guid,
)
from qualcode.model import SEGMENT_COLUMNS, Code, Codebook, Construct, Theme
from qualcode.spans import ORIGIN_AUTO

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ORIGIN = f"qualcode {__version__}"
DATA_NOTE_NAME = "qualcode data (machine-readable; do not edit)"
DATA_FORMAT = "qualcode-refi"
DATA_VERSION = 1
TURN_SEPARATOR = "\n\n"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DEFAULT_DATE = "1980-01-01T00:00:00Z"  # when the caller gives no date (matches the zip entries)

# Tableau 10 (Stone, 2016): ten hues that stay apart on screen and in print. A theme takes the
# next one in codebook order; its repeating ideas take tints of it.
PALETTE = (
    "#4E79A7",
    "#F28E2B",
    "#E15759",
    "#76B7B2",
    "#59A14F",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
    "#BAB0AC",
)


@dataclass
class ExportSummary:
    """What an export wrote, and what the user should know about it."""

    sources: int = 0
    turns: int = 0
    users: list[str] = field(default_factory=list)
    codes: int = 0
    selections: int = 0
    memos: int = 0
    analytic_memos: int = 0  # memos/ files (qualcode.memos), as Notes on their codes
    cases: int = 0
    variables: int = 0
    warnings: list[str] = field(default_factory=list)


# --- codes --------------------------------------------------------------------------------------
def _code_fields(c: Code, level: str) -> dict:
    return {
        "id": c.id,
        "level": level,
        "definition": c.definition,
        "include": c.include,
        "exclude": c.exclude,
        "examples": list(c.examples),
        "keywords": list(c.keywords),
        "patterns": list(c.patterns),
    }


def tint(color: str, share: float) -> str:
    """`color` (#RRGGBB) mixed with white: share 0 is the colour, 1 is white."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * share):02X}" for c in rgb)


def code_colors(codebook: Codebook) -> dict[str, str]:
    """A `#RRGGBB` colour for every construct, theme and code id, stable for a codebook.

    An explicit `color:` in the codebook wins. Otherwise theme i (codebook order) takes
    PALETTE[i % 10], its repeating ideas tints of it (up to 60% white), a construct its first
    theme's colour, and flat codes take the palette colours after the themes'.
    """
    out: dict[str, str] = {}
    themes = codebook.all_themes()
    for i, t in enumerate(themes):
        base = t.color or PALETTE[i % len(PALETTE)]
        out[t.id] = base
        n = len(t.codes)
        for j, c in enumerate(t.codes):
            share = 0.6 * (j + 1) / (n + 1) if n > 1 else 0.3
            out[c.id] = c.color or tint(base, share)
    for k in codebook.constructs:
        first = k.themes[0].id if k.themes else None
        out[k.id] = k.color or (out[first] if first else PALETTE[-1])
    for j, c in enumerate(codebook.flat_codes, start=len(themes)):
        out[c.id] = c.color or PALETTE[j % len(PALETTE)]
    return out


def _code_el(
    parent: ET.Element,
    ns: str,
    ident: str,
    label: str,
    codable: bool,
    fields: dict,
    colors: Mapping[str, str],
    note_refs: Mapping[str, list[str]] | None = None,
):
    note_refs = note_refs or {}
    el = ET.SubElement(
        parent,
        f"{{{ns}}}Code",
        {
            "guid": stable_guid("code", ident),
            "name": label or ident,
            "isCodable": "true" if codable else "false",
            "color": colors[ident],
        },
    )
    ET.SubElement(el, f"{{{ns}}}Description").text = render_description(fields)
    for guid in note_refs.get(ident, ()):  # analytic memos on this code (schema: after Description)
        ET.SubElement(el, f"{{{ns}}}NoteRef", {"targetGUID": guid})
    return el


def _codes(
    parent: ET.Element,
    ns: str,
    codebook: Codebook,
    note_refs: Mapping[str, list[str]] | None = None,
) -> int:
    """Append `<Codes>` in codebook order; returns how many codes were written. `note_refs` maps a
    construct, theme or code id to the Notes (analytic memos) its Code refers to."""
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    colors = code_colors(codebook)
    refs = note_refs or {}
    n = 0

    def theme(where: ET.Element, t: Theme) -> None:
        nonlocal n
        el = _code_el(
            where,
            ns,
            t.id,
            t.label,
            False,
            {"id": t.id, "level": "theme", "definition": t.definition},
            colors,
            refs,
        )
        n += 1
        for c in t.codes:
            _code_el(el, ns, c.id, c.label, True, _code_fields(c, "repeating_idea"), colors, refs)
            n += 1

    def construct(k: Construct) -> None:
        nonlocal n
        el = _code_el(
            codes,
            ns,
            k.id,
            k.label,
            False,
            {"id": k.id, "level": "construct", "definition": k.definition},
            colors,
            refs,
        )
        n += 1
        for t in k.themes:
            theme(el, t)

    for k in codebook.constructs:
        construct(k)
    for t in codebook.themes:
        theme(codes, t)
    for c in codebook.flat_codes:
        _code_el(codes, ns, c.id, c.label, True, _code_fields(c, "code"), colors, refs)
        n += 1
    return n


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def codebook_to_qdc(codebook: Codebook) -> bytes:
    """The codebook as a REFI-QDA Codebook Exchange file (`.qdc`, urn:QDA-XML:codebook:1.0).

    The title and research concerns have no place in a `.qdc`; a `.qdpx` carries them.
    """
    if not codebook.codes():
        raise ContractError("the codebook has no codes to export", file=codebook.source)
    ET.register_namespace("", NS_CODEBOOK)
    root = ET.Element(f"{{{NS_CODEBOOK}}}CodeBook", {"origin": ORIGIN})
    _codes(root, NS_CODEBOOK, codebook)
    return _xml_bytes(root)


# --- the study ----------------------------------------------------------------------------------
def source_text(turns: list[dict]) -> tuple[str, list[tuple[int, int]]]:
    """The text of one transcript (`Speaker: text` per turn, blank line between turns, final LF)
    and each turn's (start, end) of its text in it, in code points."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for i, turn in enumerate(turns):
        if i:
            pieces.append(TURN_SEPARATOR)
            pos += len(TURN_SEPARATOR)
        label = f"{turn['speaker']}: "
        pieces.append(label)
        pos += len(label)
        spans.append((pos, pos + len(turn["text"])))
        pieces.append(turn["text"])
        pos += len(turn["text"])
    pieces.append("\n")
    return "".join(pieces), spans


def _span(row, text_len: int, where: str, line: int) -> tuple[int, int]:
    start, end = str(row.start_char).strip(), str(row.end_char).strip()
    if not start and not end:
        return 0, text_len
    if not start or not end:
        raise ContractError(
            "start_char and end_char must both be given or both be empty", file=where, line=line
        )
    s, e = int(start), int(end)
    if not 0 <= s < e <= text_len:
        raise ContractError(
            f"span {s}..{e} does not fit in segment {row.segment_id!r} "
            f"({text_len} characters; end is exclusive)",
            file=where,
            line=line,
        )
    return s, e


def _cases(segments: pd.DataFrame, roster: pd.DataFrame | None, warnings: list[str]):
    """participant_id -> (speakers, transcript ids, {attribute: value}) in order of appearance."""
    from qualcode.roster import attribute_columns

    people: dict[str, dict] = {}
    for row in segments.itertuples(index=False):
        pid = str(row.participant_id).strip()
        if not pid:
            continue
        person = people.setdefault(pid, {"speakers": [], "transcripts": [], "values": {}})
        if row.speaker not in person["speakers"]:
            person["speakers"].append(row.speaker)
        if row.transcript_id not in person["transcripts"]:
            person["transcripts"].append(row.transcript_id)
    attributes: list[str] = []
    if roster is not None:
        attributes = attribute_columns(roster)
        conflicts: set[tuple[str, str]] = set()
        for row in roster.to_dict("records"):
            person = people.get(str(row["participant_id"]).strip())
            if person is None:
                continue
            for name in attributes:
                value = str(row[name]).strip()
                if not value:
                    continue
                old = person["values"].setdefault(name, value)
                if old != value:
                    conflicts.add((str(row["participant_id"]), name))
        for pid, name in sorted(conflicts):
            warnings.append(
                f"participant {pid} has different {name!r} values in the roster; "
                "the case keeps the first"
            )
    return people, attributes


def study_to_qdpx(
    segments: pd.DataFrame,
    codings: Mapping[str, pd.DataFrame],
    codebook: Codebook,
    roster: pd.DataFrame | None = None,
    *,
    name: str | None = None,
    date: str = DEFAULT_DATE,
    progress: Callable[[int], None] | None = None,
    memos: list | None = None,
) -> tuple[bytes, ExportSummary]:
    """The study as a REFI-QDA project (`.qdpx` bytes) and a summary.

    `codings` maps a label used in messages (the file name) to a codings table; rows may belong to
    several coders. `date` (xsd:dateTime, e.g. "2024-05-01T12:00:00Z") is written as the creation
    and modification date of the project, its notes, selections and codings. `memos`
    (qualcode.memos.Memo) become Notes by their author, dated by the memo, referred to from their
    construct's, theme's or code's `<Code>` (a study memo from the Project). Raises `ContractError` for codings that name unknown segments or codes, or
    spans that do not fit their segment.
    """
    summary = ExportSummary()
    warnings = summary.warnings
    code_ids = set(codebook.code_ids())

    # Transcripts and turns, in segments.csv order.
    extra_cols = [c for c in segments.columns if c not in SEGMENT_COLUMNS]
    meta_cols = [c for c in SEGMENT_COLUMNS if c != "text"] + extra_cols
    transcripts: dict[str, list[dict]] = {}
    for row in segments.to_dict("records"):
        transcripts.setdefault(str(row["transcript_id"]), []).append(row)
    where_turn: dict[str, tuple[str, int, int]] = {}  # segment_id -> (transcript, start, length)
    texts: dict[str, str] = {}
    spans_of: dict[str, list[tuple[int, int]]] = {}
    for tid, turns in transcripts.items():
        text, spans = source_text(turns)
        texts[tid], spans_of[tid] = text, spans
        for turn, (s, e) in zip(turns, spans, strict=True):
            where_turn[str(turn["segment_id"])] = (tid, s, e - s)
        if text and max(text) > "\uffff":  # any character beyond the BMP (C speed)
            warnings.append(
                f"transcript {tid!r} has characters outside the Basic Multilingual Plane (emoji); "
                "offsets are code points, which programs that count UTF-16 units may misplace"
            )

    # Codings -> selections; and the row order, origins and spans REFI cannot hold.
    users: list[str] = []
    rows_of: dict[str, list[dict]] = {}
    selections: dict[str, list[dict]] = {tid: [] for tid in transcripts}
    uncoded_memos: list[tuple[str, str, str]] = []  # (segment, coder, memo) on turns with no code
    seen: dict[str, int] = {}
    for label, frame in codings.items():
        for i, row in enumerate(frame.itertuples(index=False), start=2):
            coder = str(row.coder).strip()
            if not coder:
                raise ContractError("coder is empty", file=label, line=i)
            seg = str(row.segment_id)
            if seg not in where_turn:
                raise ContractError(
                    f"segment {seg!r} is not in the segments file",
                    file=label,
                    line=i,
                    hint="export the codings with the segments.csv they were coded on",
                )
            if coder not in users:
                users.append(coder)
            origin = str(row.origin).strip() or "manual"
            entry: dict = {"origin": origin}
            code_id = str(row.code_id).strip()
            if not code_id:
                entry["seg"] = seg
                if str(row.memo):
                    entry["memo"] = str(row.memo)
                    uncoded_memos.append((seg, coder, str(row.memo)))
                if str(row.start_char).strip() or str(row.end_char).strip():
                    entry["span"] = [str(row.start_char).strip(), str(row.end_char).strip()]
                rows_of.setdefault(coder, []).append(entry)
                continue
            if code_id not in code_ids:
                raise ContractError(
                    f"code {code_id!r} is not in the codebook",
                    file=label,
                    line=i,
                    hint="export with the codebook the codings were made with",
                )
            tid, text_start, text_len = where_turn[seg]
            s, e = _span(row, text_len, label, i)
            if origin == ORIGIN_AUTO:
                # An auto-coding codes the turn; its span only marks where the keyword matched
                # (qualcode.spans), kept in the data note below, so another program sees the turn.
                s, e = 0, text_len
            key = "\x1f".join((coder, seg, code_id, str(s), str(e)))
            n = seen.get(key, 0)
            seen[key] = n + 1
            guid = stable_guid("selection", coder, seg, code_id, str(s), str(e), str(n))
            entry["sel"] = guid
            if str(row.start_char).strip():
                entry["span"] = [str(row.start_char).strip(), str(row.end_char).strip()]
            rows_of.setdefault(coder, []).append(entry)
            selections[tid].append(
                {
                    "guid": guid,
                    "start": text_start + s,
                    "end": text_start + e,
                    "coder": coder,
                    "code": code_id,
                    "memo": str(row.memo),
                    "segment_id": seg,
                    "order": len(selections[tid]),
                }
            )

    ET.register_namespace("", NS_PROJECT)
    ns = NS_PROJECT

    def sub(parent: ET.Element, tag: str, attrib: dict | None = None) -> ET.Element:
        return ET.SubElement(parent, f"{{{ns}}}{tag}", attrib or {})

    title = name or codebook.title or "qualcode study"
    root = ET.Element(
        f"{{{ns}}}Project",
        {"name": title, "origin": ORIGIN, "creationDateTime": date, "modifiedDateTime": date},
    )
    summary.users = list(users)
    analytic = _analytic_notes(memos or [])
    users += [a for a in dict.fromkeys(n["author"] for n in analytic) if a not in users]
    user_guid = {u: stable_guid("user", u) for u in users}
    if users:
        el = sub(root, "Users")
        for u in users:
            sub(el, "User", {"guid": user_guid[u], "name": u})
    book = sub(root, "CodeBook")
    note_refs: dict[str, list[str]] = {}
    for n in analytic:
        note_refs.setdefault(n["target"], []).append(n["guid"])
    summary.codes = _codes(book, ns, codebook, note_refs)

    people, attributes = _cases(segments, roster, warnings)
    used_attributes = [a for a in attributes if any(a in p["values"] for p in people.values())]
    variable_guid = {a: stable_guid("variable", a) for a in used_attributes}
    if used_attributes:
        el = sub(root, "Variables")
        for a in used_attributes:
            sub(el, "Variable", {"guid": variable_guid[a], "name": a, "typeOfVariable": "Text"})
    source_guid = {tid: stable_guid("source", tid) for tid in transcripts}
    if people:
        el = sub(root, "Cases")
        for pid, person in people.items():
            case = sub(el, "Case", {"guid": stable_guid("case", pid), "name": pid})
            # "; " between labels: a label may hold a comma ("Vega, Marisol")
            sub(case, "Description").text = "speaker label(s): " + "; ".join(person["speakers"])
            for a in used_attributes:
                if a in person["values"]:
                    value = sub(case, "VariableValue")
                    sub(value, "VariableRef", {"targetGUID": variable_guid[a]})
                    sub(value, "TextValue").text = person["values"][a]
            for tid in person["transcripts"]:
                sub(case, "SourceRef", {"targetGUID": source_guid[tid]})
    summary.cases, summary.variables = len(people), len(used_attributes)

    data_note_guid = stable_guid("note", "qualcode-data")
    memo_notes: list[tuple[str, str, str]] = []
    files: dict[str, bytes] = {}
    data_sources: dict[str, dict] = {}
    if transcripts:
        sources_el = sub(root, "Sources")
        for tid, turns in transcripts.items():
            guid = source_guid[tid]
            text = texts[tid]
            files[f"sources/{guid}.txt"] = text.encode("utf-8")
            src = sub(
                sources_el,
                "TextSource",
                {"guid": guid, "name": tid, "plainTextPath": f"internal://{guid}.txt"},
            )
            origin_files = sorted({str(t["source"]) for t in turns if str(t["source"])})
            sub(src, "Description").text = (
                f"Transcript {tid}: {len(turns)} speaker turns"
                + (f" from {', '.join(origin_files)}" if origin_files else "")
                + ". Each turn is 'Speaker: text'; turns are separated by a blank line."
            )
            for sel in sorted(
                selections[tid],
                key=lambda x: (x["start"], x["end"], users.index(x["coder"]), x["order"]),
            ):
                el = sub(
                    src,
                    "PlainTextSelection",
                    {
                        "guid": sel["guid"],
                        "name": _short(text[sel["start"] : sel["end"]]),
                        "startPosition": str(sel["start"]),
                        "endPosition": str(sel["end"]),
                        "creatingUser": user_guid[sel["coder"]],
                        "creationDateTime": date,
                    },
                )
                if sel["memo"]:
                    # QualCoder, MAXQDA and others read a selection's Description as its memo.
                    sub(el, "Description").text = sel["memo"]
                coding = sub(
                    el,
                    "Coding",
                    {
                        "guid": stable_guid("coding", sel["guid"]),
                        "creatingUser": user_guid[sel["coder"]],
                        "creationDateTime": date,
                    },
                )
                sub(coding, "CodeRef", {"targetGUID": stable_guid("code", sel["code"])})
                if sel["memo"]:
                    note_guid = stable_guid("memo", sel["guid"])
                    memo_notes.append(
                        (
                            note_guid,
                            f"Memo: {sel['code']} on {sel['segment_id']} ({sel['coder']})",
                            sel["memo"],
                            sel["coder"],
                        )
                    )
                    sub(el, "NoteRef", {"targetGUID": note_guid})
                summary.selections += 1
            data_sources[guid] = {
                "transcript_id": tid,
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "turns": [
                    [_cell(t[c]) for c in meta_cols] + [s, e]
                    for t, (s, e) in zip(turns, spans_of[tid], strict=True)
                ],
            }
            summary.sources += 1
            summary.turns += len(turns)
            if progress is not None:
                progress(1)

    data = {
        "format": DATA_FORMAT,
        "version": DATA_VERSION,
        "codebook": {
            "title": codebook.title,
            "research_concerns": [{"id": r.id, "text": r.text} for r in codebook.research_concerns],
        },
        "segment_columns": meta_cols,
        "sources": data_sources,
        "coders": {coder: rows for coder, rows in rows_of.items()},
    }
    # A memo on a turn with no code has no selection to hang on: it is a Note of its own (it is
    # where A&S coders note new or leftover ideas; dropping it lost them, issue 13.4).
    for n, (seg, coder, text) in enumerate(uncoded_memos):
        memo_notes.append(
            (
                stable_guid("memo", "uncoded", coder, seg, str(n)),
                f"Memo: {seg} ({coder})",
                text,
                coder,
            )
        )
    notes = sub(root, "Notes")
    for guid, note_name, text, coder in memo_notes:
        note = sub(
            notes,
            "Note",
            {
                "guid": guid,
                "name": note_name,
                "creatingUser": user_guid[coder],
                "creationDateTime": date,
                "modifiedDateTime": date,
            },
        )
        sub(note, "PlainTextContent").text = text
    summary.memos = len(memo_notes)
    for n in analytic:
        note = sub(
            notes,
            "Note",
            {
                "guid": n["guid"],
                "name": n["name"],
                "creatingUser": user_guid[n["author"]],
                "creationDateTime": n["date"],
                "modifiedDateTime": n["date"],
            },
        )
        sub(note, "PlainTextContent").text = n["text"]
    summary.analytic_memos = len(analytic)
    note = sub(
        notes,
        "Note",
        {
            "guid": data_note_guid,
            "name": DATA_NOTE_NAME,
            "creationDateTime": date,
            "modifiedDateTime": date,
        },
    )
    sub(note, "PlainTextContent").text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    lines = [title]
    for r in codebook.research_concerns:
        lines.append(f"{r.id}: {r.text}")
    lines.append(
        f"Exported by {ORIGIN}: {summary.sources} transcripts, {summary.turns} speaker turns, "
        f"{len(users)} coders."
    )
    sub(root, "Description").text = "\n".join(lines)
    sub(root, "NoteRef", {"targetGUID": data_note_guid})
    for n in analytic:
        if n["target"] is None:  # a memo on the whole study hangs on the Project
            sub(root, "NoteRef", {"targetGUID": n["guid"]})

    files = {"project.qde": _xml_bytes(root), **files}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, payload in files.items():
            info = zipfile.ZipInfo(member, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, payload)
    return buffer.getvalue(), summary


def _analytic_notes(memos: list) -> list[dict]:
    """What each analytic memo becomes as a REFI Note: a stable guid (from its file name), a name
    saying what it is about, its author, its date as xsd:dateTime (a date alone is midnight UTC) and
    its text; `target` is the code/theme/construct id, None for a study memo."""
    out = []
    for m in memos:
        about = "the study" if m.kind == "study" else f"{m.kind} {m.target}"
        name = f"Memo on {about}" + (f": {m.title}" if m.title else "") + f" ({m.author})"
        when = m.date if "T" in m.date else f"{m.date}T00:00:00Z"
        out.append(
            {
                "guid": stable_guid("analytic-memo", Path(m.file).name),
                "name": name,
                "author": m.author,
                "date": when,
                "text": m.text,
                "target": None if m.kind == "study" else m.target,
            }
        )
    return out


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, int | str):
        return value
    return str(value)


# --- file-level entry points ----------------------------------------------------------------------
def export_date(paths: list[str | Path]) -> str:
    """The date written into an export (see the module doc): SOURCE_DATE_EPOCH when set, else the
    newest modification time of `paths`; UTC, whole seconds, as xsd:dateTime."""
    from datetime import UTC, datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            seconds = int(epoch)
        except ValueError:
            raise ContractError(
                f"the environment variable SOURCE_DATE_EPOCH must be whole seconds since 1970, "
                f"got {epoch!r}"
            ) from None
    else:
        seconds = max((int(Path(p).stat().st_mtime) for p in paths), default=0)
    seconds = max(seconds, 315532800)  # not before 1980-01-01, like the zip entries
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_qdc(codebook_path: str | Path, output: str | Path) -> int:
    """Write the codebook file as `.qdc`; returns the number of codes written."""
    from qualcode.codebook import load_codebook
    from qualcode.io import DERIVED_KEEP, atomic_write_bytes

    codebook = load_codebook(codebook_path)
    data = codebook_to_qdc(codebook)
    atomic_write_bytes(output, data, keep=DERIVED_KEEP)
    return len(codebook.codes()) + len(codebook.all_themes()) + len(codebook.constructs)


def export_qdpx(
    segments_path: str | Path,
    codings_paths: list[str | Path],
    codebook_path: str | Path,
    output: str | Path,
    *,
    roster_path: str | Path | None = None,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
    memos_path: str | Path | None = None,
) -> ExportSummary:
    """Read the study files (and the memos folder, when given), write the `.qdpx` atomically;
    returns the summary."""
    from qualcode.codebook import load_codebook
    from qualcode.io import DERIVED_KEEP, atomic_write_bytes, read_codings, read_segments
    from qualcode.roster import read_roster

    segments = read_segments(segments_path)
    codings = {str(p): read_codings(p) for p in codings_paths}
    from qualcode.provenance import check_text

    for label, frame in codings.items():  # turns moved since coding: the selections would lie
        check_text(frame, segments, codings_file=label, segments_file=segments_path)
    codebook = load_codebook(codebook_path)
    roster = read_roster(roster_path) if roster_path is not None else None
    inputs = [segments_path, *codings_paths, codebook_path]
    if roster_path is not None:
        inputs.append(roster_path)
    date = export_date(inputs)
    memos = None
    if memos_path is not None:
        from qualcode.memos import load_memos

        memos = load_memos(memos_path, codebook)
    data, summary = study_to_qdpx(
        segments, codings, codebook, roster, name=name, date=date, progress=progress, memos=memos
    )
    atomic_write_bytes(output, data, keep=DERIVED_KEEP)
    return summary
