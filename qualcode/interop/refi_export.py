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

Large studies (issue 19): `QdpxExport` writes `project.qde` and the sources straight into the zip,
element by element and turn by turn, so memory holds the input tables and a few numbers per turn
and per coding, not the document (about 1 KB per segment in all at 1M segments; the whole tree took
7.8 GB). The bytes of every member are those the one-tree writer gave; `project.qde` has zip64
headers, as its size is not known before it is written. `export_qdpx` refuses a study whose
estimated memory or disk space is more than there is (`qualcode.capacity`) before it writes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator, Mapping
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
_CODING_FIELDS = ("segment_id", "code_id", "coder", "origin", "memo", "start_char", "end_char")

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


def _tag(ns: str, name: str) -> str:
    """`{ns}name`, or the bare name for an element written inside an already declared namespace."""
    return f"{{{ns}}}{name}" if ns else name


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
        _tag(ns, "Code"),
        {
            "guid": stable_guid("code", ident),
            "name": label or ident,
            "isCodable": "true" if codable else "false",
            "color": colors[ident],
        },
    )
    ET.SubElement(el, _tag(ns, "Description")).text = render_description(fields)
    for guid in note_refs.get(ident, ()):  # analytic memos on this code (schema: after Description)
        ET.SubElement(el, _tag(ns, "NoteRef"), {"targetGUID": guid})
    return el


def _codes(
    parent: ET.Element,
    ns: str,
    codebook: Codebook,
    note_refs: Mapping[str, list[str]] | None = None,
) -> int:
    """Append `<Codes>` in codebook order; returns how many codes were written. `note_refs` maps a
    construct, theme or code id to the Notes (analytic memos) its Code refers to."""
    codes = ET.SubElement(parent, _tag(ns, "Codes"))
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
    """The study as a REFI-QDA project (`.qdpx` bytes) and a summary (see `QdpxExport`, which
    writes the same bytes straight to a file)."""
    export = QdpxExport(segments, codings, codebook, roster, name=name, date=date, memos=memos)
    buffer = io.BytesIO()
    summary = export.write(buffer, progress=progress)
    return buffer.getvalue(), summary


class QdpxExport:
    """A study checked for export, then written as a `.qdpx` straight into a zip, piece by piece.

    Nothing holds the whole project: `project.qde` is written element by element (each element
    serialised by ElementTree, so the bytes are those of one indented tree) and each source text
    turn by turn. Beyond the input tables it keeps a few numbers per coding row and per turn, so
    memory stays linear and small (issue 19). The constructor does every check, so a study that
    cannot be exported fails before anything is written.

    `codings` maps a label used in messages (the file name) to a codings table; rows may belong to
    several coders. `date` (xsd:dateTime, e.g. "2024-05-01T12:00:00Z") is written as the creation
    and modification date of the project, its notes, selections and codings. `memos`
    (qualcode.memos.Memo) become Notes by their author, dated by the memo, referred to from their
    construct's, theme's or code's `<Code>` (a study memo from the Project). Raises
    `ContractError` for codings that name unknown segments or codes, or spans that do not fit
    their segment.
    """

    def __init__(
        self,
        segments: pd.DataFrame,
        codings: Mapping[str, pd.DataFrame],
        codebook: Codebook,
        roster: pd.DataFrame | None = None,
        *,
        name: str | None = None,
        date: str = DEFAULT_DATE,
        memos: list | None = None,
    ) -> None:
        import numpy as np
        import pandas as pd

        self.segments, self.codebook, self.roster = segments, codebook, roster
        self.analytic = _analytic_notes(memos or [])
        self.date = date
        self.title = name or codebook.title or "qualcode study"
        extra_cols = [c for c in segments.columns if c not in SEGMENT_COLUMNS]
        self.meta_cols = [c for c in SEGMENT_COLUMNS if c != "text"] + extra_cols

        # Transcripts in order of first appearance; each one's turns in segments.csv order.
        self.ids = _values(segments["segment_id"])
        self.speakers = _values(segments["speaker"])
        self.texts = _values(segments["text"])
        self.origins = _values(segments["source"])
        tcode, tids = pd.factorize(segments["transcript_id"].astype(str), sort=False)
        self.transcripts: list[str] = list(tids)
        tcode = tcode.astype(np.int32)
        self.order = np.argsort(tcode, kind="stable").astype(np.int32)
        self.bounds = np.concatenate(([0], np.cumsum(np.bincount(tcode, minlength=len(tids)))))
        # Where each turn's text starts in its source text ("Speaker: text", blank line between).
        n = len(segments)
        self.text_len = np.fromiter((len(t) for t in self.texts), np.int32, n)
        label_len = np.fromiter((len(f"{s}: ") for s in self.speakers), np.int64, n)[self.order]
        piece = label_len + self.text_len[self.order] + len(TURN_SEPARATOR)
        before = np.cumsum(piece)
        before -= piece
        del piece
        before -= np.repeat(before[self.bounds[:-1]], np.diff(self.bounds))
        before += label_len
        del label_len
        self.text_start = np.empty(n, dtype=np.int64)
        self.text_start[self.order] = before
        del before
        self.source_guid = [stable_guid("source", t) for t in self.transcripts]

        self.warnings: list[str] = []
        self.sha256: list[str] = []
        self.source_bytes: list[int] = []
        for k, tid in enumerate(self.transcripts):
            digest, size, astral = hashlib.sha256(), 0, False
            for chunk in self._source_chunks(k):
                data = chunk.encode("utf-8")
                digest.update(data)
                size += len(data)
                astral = astral or (bool(chunk) and max(chunk) > "\uffff")  # beyond the BMP
            self.sha256.append(digest.hexdigest())
            self.source_bytes.append(size)
            if astral:
                self.warnings.append(
                    f"transcript {tid!r} has characters outside the Basic Multilingual Plane "
                    "(emoji); offsets are code points, which programs that count UTF-16 units "
                    "may misplace"
                )
        self._check_codings(codings, tcode)

    # -- checks and the selections ---------------------------------------------------------------
    def _check_codings(self, codings: Mapping[str, pd.DataFrame], tcode) -> None:
        """Check every codings row (the first problem raises, as a row loop would find it) and
        keep, per row, where it points: its segment, code and span, as arrays."""
        import numpy as np
        import pandas as pd

        position = pd.Index(self.ids)
        rows = None
        if not position.is_unique:  # the last row of a repeated id wins, as in a dict
            keep = ~position.duplicated(keep="last")
            position, rows = position[keep], np.flatnonzero(keep).astype(np.int32)
        book_ids = self.codebook.code_ids()
        code_index = {c: i for i, c in enumerate(book_ids)}
        self.book_ids = book_ids
        users: dict[str, None] = {}
        self.frames: list[dict] = []
        for label, frame in codings.items():
            cols = {c: _values(frame[c]) for c in ("origin", "memo", "start_char", "end_char")}
            m = len(frame)
            coder = [str(v).strip() for v in _values(frame["coder"])]
            pos = position.get_indexer(frame["segment_id"].astype(str)).astype(np.int32)
            known = pos >= 0
            if rows is not None:
                pos[known] = rows[pos[known]]
            cidx = np.fromiter(
                (code_index.get(str(c).strip(), -1) for c in _values(frame["code_id"])), np.int32, m
            )
            coded = np.fromiter((bool(str(c).strip()) for c in _values(frame["code_id"])), bool, m)
            s = np.zeros(m, dtype=np.int32)
            e = self.text_len[np.maximum(pos, 0)] if len(self.text_len) else np.zeros(m, np.int32)
            ok = np.fromiter((bool(c) for c in coder), bool, m) & known
            ok &= ~coded | (cidx >= 0)
            for i in np.flatnonzero(ok & coded):  # the span checks of `_span`
                start = str(cols["start_char"][i]).strip()
                end = str(cols["end_char"][i]).strip()
                if not start and not end:
                    continue
                try:
                    first, last = int(start), int(end)
                except ValueError:
                    first, last = -1, -1
                if start and end and 0 <= first < last <= e[i]:
                    s[i], e[i] = first, last
                else:
                    ok[i] = False
            if not ok.all():
                self._raise_for_row(label, frame, int(np.argmin(ok)), position, rows)
            # An auto-coding codes the turn; its span only marks where the keyword matched
            # (qualcode.spans), kept in the data note, so another program sees the turn.
            auto = np.fromiter(
                ((str(o).strip() or "manual") == ORIGIN_AUTO for o in cols["origin"]), bool, m
            )
            if auto.any():
                s[auto] = 0
                e[auto] = self.text_len[pos[auto]]
            users.update(dict.fromkeys(coder))
            self.frames.append(
                {"cols": cols, "coder": coder, "pos": pos, "code": cidx, "s": s, "e": e}
            )
            del frame  # before the next one is read (codings may read each file as it is taken)
        self.users = list(users)  # the coders; the Users also hold the analytic memos' authors
        authors = dict.fromkeys(n["author"] for n in self.analytic)
        self.all_users = self.users + [a for a in authors if a not in users]
        self.user_guid = {u: stable_guid("user", u) for u in self.all_users}
        user_index = {u: i for i, u in enumerate(self.users)}
        for f in self.frames:
            f["user"] = np.fromiter((user_index[c] for c in f["coder"]), np.int32, len(f["coder"]))
            del f["coder"]
        del position, rows

        # Selections: every coded row, by transcript, then start, end, coder and row order.
        def gather(values) -> np.ndarray:
            parts = [values(k, f)[f["code"] >= 0] for k, f in enumerate(self.frames)]
            return np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)

        frame_no = gather(lambda k, f: np.full(len(f["pos"]), k))
        row_no = gather(lambda k, f: np.arange(len(f["pos"])))
        pos, user, cidx = (gather(lambda k, f, key=key: f[key]) for key in ("pos", "user", "code"))
        s, e = (gather(lambda k, f, key=key: f[key]) for key in ("s", "e"))
        # The n-th repeat of the same (coder, segment, code, span) gets its own GUID.
        keys = pd.DataFrame({"u": user, "p": pos, "c": cidx, "s": s, "e": e})
        repeat = np.zeros(len(keys), dtype=np.int32)
        dup = keys.duplicated(keep=False).to_numpy()
        if dup.any():
            repeat[dup] = keys[dup].groupby(list(keys.columns), sort=False).cumcount().to_numpy()
        del keys
        start = self.text_start[pos]
        order = np.lexsort((user, start + e, start + s, tcode[pos]))
        del start
        for f in self.frames:
            del f["s"], f["e"]
        self.sel = {
            "frame": frame_no[order],
            "row": row_no[order],
            "pos": pos[order],
            "user": user[order],
            "code": cidx[order],
            "s": s[order],
            "e": e[order],
            "repeat": repeat[order],
        }
        # selections of transcript k: sel[...][sel_bounds[k]:sel_bounds[k + 1]]
        counts = np.bincount(tcode[pos], minlength=len(self.transcripts))
        self.sel_bounds = np.concatenate(([0], np.cumsum(counts)))
        # Per codings row, where its selection is in the sorted arrays (-1: no code).
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        offset = 0
        for f in self.frames:
            has = f["code"] >= 0
            f["sel"] = np.full(len(has), -1, dtype=np.int32)
            f["sel"][has] = rank[offset : offset + int(has.sum())]
            offset += int(has.sum())

    def _raise_for_row(self, label: str, frame: pd.DataFrame, i: int, position, rows) -> None:
        """Raise the error of codings row `i` (0-based), in the order the checks are made."""
        row = next(frame.iloc[i : i + 1].itertuples(index=False))
        line = i + 2
        if not str(row.coder).strip():
            raise ContractError("coder is empty", file=label, line=line)
        seg = str(row.segment_id)
        if seg not in position:
            raise ContractError(
                f"segment {seg!r} is not in the segments file",
                file=label,
                line=line,
                hint="export the codings with the segments.csv they were coded on",
            )
        code_id = str(row.code_id).strip()
        if code_id not in self.codebook.code_ids():
            raise ContractError(
                f"code {code_id!r} is not in the codebook",
                file=label,
                line=line,
                hint="export with the codebook the codings were made with",
            )
        at = position.get_loc(seg)
        _span(row, int(self.text_len[at if rows is None else rows[at]]), label, line)
        raise AssertionError(f"row {line} of {label} passed every check")  # pragma: no cover

    # -- sizes -----------------------------------------------------------------------------------
    def estimated_size(self) -> int:
        """About how many bytes the `.qdpx` takes, on the safe side: the source texts plus about
        550 bytes of XML per selection, 150 per turn and 70 per codings row, deflated to a third.
        On bench/scaling.py's 1M-segment study that is 412 MB for a 245 MB file (its project.qde
        deflates to 16%, the whole zip to 20%)."""
        rows = sum(len(f["pos"]) for f in self.frames)
        selections = len(self.sel["pos"])
        raw = sum(self.source_bytes) + 550 * selections + 150 * len(self.ids) + 70 * rows
        return raw // 3 + 65536

    # -- writing ---------------------------------------------------------------------------------
    def write(self, out, *, progress: Callable[[int], None] | None = None) -> ExportSummary:
        """Write the `.qdpx` to the binary file object `out`; returns the summary."""
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            # Its size is not known before it is written: zip64 headers allow any size.
            with zf.open(_zip_info("project.qde"), "w", force_zip64=True) as raw:
                # ElementTree writes UTF-8 with xmlcharrefreplace: so does this (a lone surrogate)
                text = io.TextIOWrapper(
                    raw, encoding="utf-8", errors="xmlcharrefreplace", newline=""
                )
                summary = self._write_project(text.write, progress)
                text.flush()
                text.detach()
            for k in range(len(self.transcripts)):
                info = _zip_info(f"sources/{self.source_guid[k]}.txt")
                info.file_size = self.source_bytes[k]  # so zip64 is used exactly when needed
                with zf.open(info, "w") as raw:
                    for chunk in self._source_chunks(k):
                        raw.write(chunk.encode("utf-8"))
        return summary

    def _turns(self, k: int):
        return self.order[self.bounds[k] : self.bounds[k + 1]]

    def _source_chunks(self, k: int, per: int = 1000):
        """The source text of transcript k (see `source_text`) in pieces of `per` turns."""
        rows = self._turns(k)
        for first in range(0, len(rows), per):
            pieces = []
            for i in rows[first : first + per]:
                if pieces or first:
                    pieces.append(TURN_SEPARATOR)
                pieces.append(f"{self.speakers[i]}: ")
                pieces.append(self.texts[i])
            yield "".join(pieces)
        yield "\n"

    def _write_project(self, write, progress) -> ExportSummary:
        from xml.sax.saxutils import escape  # the escaping ElementTree gives element text

        import numpy as np

        summary = ExportSummary()
        users, date = self.users, self.date
        self.date_attr = _attr(date)
        self.code_guid = {c: stable_guid("code", c) for c in self.book_ids}
        emit = _Emitter(write)
        write("<?xml version='1.0' encoding='utf-8'?>\n")
        ET.register_namespace("", NS_PROJECT)
        write(
            _start_tag(
                f"{{{NS_PROJECT}}}Project",
                {
                    "name": self.title,
                    "origin": ORIGIN,
                    "creationDateTime": date,
                    "modifiedDateTime": date,
                },
            )
        )
        if self.all_users:
            el = ET.Element("Users")
            for u in self.all_users:
                ET.SubElement(el, "User", {"guid": self.user_guid[u], "name": u})
            emit(el, 1)
        summary.users = list(users)
        book = ET.Element("CodeBook")
        note_refs: dict[str, list[str]] = {}
        for a in self.analytic:
            note_refs.setdefault(a["target"], []).append(a["guid"])
        summary.codes = _codes(book, "", self.codebook, note_refs)
        emit(book, 1)

        case_warnings: list[str] = []
        people, attributes = _cases(self.segments, self.roster, case_warnings)
        used_attributes = [a for a in attributes if any(a in p["values"] for p in people.values())]
        variable_guid = {a: stable_guid("variable", a) for a in used_attributes}
        if used_attributes:
            el = ET.Element("Variables")
            for a in used_attributes:
                ET.SubElement(
                    el, "Variable", {"guid": variable_guid[a], "name": a, "typeOfVariable": "Text"}
                )
            emit(el, 1)
        source_guid = dict(zip(self.transcripts, self.source_guid, strict=True))
        if people:
            emit.open("Cases", 1)
            for pid, person in people.items():
                case = ET.Element("Case", {"guid": stable_guid("case", pid), "name": pid})
                # "; " between labels: a label may hold a comma ("Vega, Marisol")
                ET.SubElement(case, "Description").text = "speaker label(s): " + "; ".join(
                    person["speakers"]
                )
                for a in used_attributes:
                    if a in person["values"]:
                        value = ET.SubElement(case, "VariableValue")
                        ET.SubElement(value, "VariableRef", {"targetGUID": variable_guid[a]})
                        ET.SubElement(value, "TextValue").text = person["values"][a]
                for tid in person["transcripts"]:
                    ET.SubElement(case, "SourceRef", {"targetGUID": source_guid[tid]})
                emit(case, 2)
            emit.close("Cases", 1)
        summary.cases, summary.variables = len(people), len(used_attributes)
        del people

        if self.transcripts:
            emit.open("Sources", 1)
            for k, tid in enumerate(self.transcripts):
                guid = self.source_guid[k]
                rows = self._turns(k)
                write(
                    emit.indent(2)
                    + _start_tag(
                        "TextSource",
                        {"guid": guid, "name": tid, "plainTextPath": f"internal://{guid}.txt"},
                    )
                )
                origin_files = sorted({str(self.origins[i]) for i in rows} - {""})
                description = ET.Element("Description")
                description.text = (
                    f"Transcript {tid}: {len(rows)} speaker turns"
                    + (f" from {', '.join(origin_files)}" if origin_files else "")
                    + ". Each turn is 'Speaker: text'; turns are separated by a blank line."
                )
                emit(description, 3)
                for j in range(self.sel_bounds[k], self.sel_bounds[k + 1]):
                    write(self._selection(j))
                    summary.selections += 1
                emit.close("TextSource", 2)
                summary.sources += 1
                summary.turns += len(rows)
                if progress is not None:
                    progress(1)
            emit.close("Sources", 1)

        emit.open("Notes", 1)
        memos = 0
        for j in range(len(self.sel["pos"])):
            memo = self._memo_of(j)
            if memo:
                coder = users[self.sel["user"][j]]
                segment_id = self.ids[self.sel["pos"][j]]
                code = self.book_ids[self.sel["code"][j]]
                note = self._note(
                    stable_guid("memo", self._selection_guid(j)),
                    f"Memo: {code} on {segment_id} ({coder})",
                    memo,
                    coder,
                )
                emit(note, 2)
                memos += 1
        # A memo on a turn with no code has no selection to hang on: it is a Note of its own (it
        # is where A&S coders note new or leftover ideas; dropping it lost them, issue 13.4).
        n = 0
        for f in self.frames:
            memo_col = f["cols"]["memo"]
            for i in np.flatnonzero(f["code"] < 0):
                memo = str(memo_col[i])
                if memo:
                    coder = users[f["user"][i]]
                    seg = self.ids[f["pos"][i]]
                    note = self._note(
                        stable_guid("memo", "uncoded", coder, seg, str(n)),
                        f"Memo: {seg} ({coder})",
                        memo,
                        coder,
                    )
                    emit(note, 2)
                    n += 1
                    memos += 1
        summary.memos = memos
        for a in self.analytic:
            note = ET.Element(
                "Note",
                {
                    "guid": a["guid"],
                    "name": a["name"],
                    "creatingUser": self.user_guid[a["author"]],
                    "creationDateTime": a["date"],
                    "modifiedDateTime": a["date"],
                },
            )
            ET.SubElement(note, "PlainTextContent").text = a["text"]
            emit(note, 2)
        summary.analytic_memos = len(self.analytic)
        data_note_guid = stable_guid("note", "qualcode-data")
        write(
            emit.indent(2)
            + _start_tag(
                "Note",
                {
                    "guid": data_note_guid,
                    "name": DATA_NOTE_NAME,
                    "creationDateTime": date,
                    "modifiedDateTime": date,
                },
            )
            + emit.indent(3)
            + "<PlainTextContent>"
        )
        for piece in self._data_json():
            write(escape(piece))
        write("</PlainTextContent>")
        emit.close("Note", 2)
        emit.close("Notes", 1)

        lines = [self.title]
        for r in self.codebook.research_concerns:
            lines.append(f"{r.id}: {r.text}")
        lines.append(
            f"Exported by {ORIGIN}: {summary.sources} transcripts, {summary.turns} speaker turns, "
            f"{len(self.users)} coder{'' if len(self.users) == 1 else 's'}."
        )
        memo_only = len(self.all_users) - len(self.users)
        if memo_only:  # memo authors are Users too, but they coded nothing
            lines.append(
                f"Analytic memos by {memo_only} other author{'' if memo_only == 1 else 's'}."
            )
        description = ET.Element("Description")
        description.text = "\n".join(lines)
        emit(description, 1)
        emit(ET.Element("NoteRef", {"targetGUID": data_note_guid}), 1)
        for a in self.analytic:
            if a["target"] is None:  # a memo on the whole study hangs on the Project
                emit(ET.Element("NoteRef", {"targetGUID": a["guid"]}), 1)
        write("\n</Project>\n")
        summary.warnings = self.warnings + case_warnings
        return summary

    def _memo_of(self, j: int) -> str:
        return str(self.frames[self.sel["frame"][j]]["cols"]["memo"][self.sel["row"][j]])

    def _selection_guid(self, j: int) -> str:
        sel = self.sel
        return stable_guid(
            "selection",
            self.users[sel["user"][j]],
            self.ids[sel["pos"][j]],
            self.book_ids[sel["code"][j]],
            str(sel["s"][j]),
            str(sel["e"][j]),
            str(sel["repeat"][j]),
        )

    def _selection(self, j: int) -> str:
        """Selection j as `<PlainTextSelection>` at depth 3, written as ElementTree writes it
        (`_attr`, `_text`): the one element there is one of per coding, so it skips the tree."""
        sel = self.sel
        pos, coder = sel["pos"][j], self.users[sel["user"][j]]
        s, e = int(sel["s"][j]), int(sel["e"][j])
        start = int(self.text_start[pos])
        guid = self._selection_guid(j)
        user, date = self.user_guid[coder], self.date_attr
        memo = self._memo_of(j)
        code = self.book_ids[sel["code"][j]]
        parts = [
            f'\n   <PlainTextSelection guid="{guid}" name="{_attr(_short(self.texts[pos][s:e]))}"'
            f' startPosition="{start + s}" endPosition="{start + e}" creatingUser="{user}"'
            f' creationDateTime="{date}">'
        ]
        if memo:
            # QualCoder, MAXQDA and others read a selection's Description as its memo.
            parts.append(f"\n    <Description>{_text(memo)}</Description>")
        parts.append(
            f'\n    <Coding guid="{stable_guid("coding", guid)}" creatingUser="{user}"'
            f' creationDateTime="{date}">\n     <CodeRef targetGUID="{self.code_guid[code]}" />'
            "\n    </Coding>"
        )
        if memo:
            parts.append(f'\n    <NoteRef targetGUID="{stable_guid("memo", guid)}" />')
        parts.append("\n   </PlainTextSelection>")
        return "".join(parts)

    def _note(self, guid: str, name: str, text: str, coder: str) -> ET.Element:
        note = ET.Element(
            "Note",
            {
                "guid": guid,
                "name": name,
                "creatingUser": self.user_guid[coder],
                "creationDateTime": self.date,
                "modifiedDateTime": self.date,
            },
        )
        ET.SubElement(note, "PlainTextContent").text = text
        return note

    def _data_json(self, per: int = 1000):
        """The "qualcode data" note's JSON, in pieces (the same text as one `json.dumps`)."""
        import numpy as np

        def dumps(value) -> str:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

        head = dumps(
            {
                "format": DATA_FORMAT,
                "version": DATA_VERSION,
                "codebook": {
                    "title": self.codebook.title,
                    "research_concerns": [
                        {"id": r.id, "text": r.text} for r in self.codebook.research_concerns
                    ],
                },
                "segment_columns": self.meta_cols,
            }
        )
        yield head[:-1] + ',"sources":{'
        for k, tid in enumerate(self.transcripts):
            yield (
                ("," if k else "")
                + f'{dumps(self.source_guid[k])}:{{"transcript_id":{dumps(tid)},'
                + f'"sha256":"{self.sha256[k]}","turns":['
            )
            rows = self._turns(k)
            for first in range(0, len(rows), per):
                some = rows[first : first + per]
                part = self.segments.take(some)
                columns = [_values(part[c]) for c in self.meta_cols]
                starts = self.text_start[some].tolist()
                ends = (self.text_start[some] + self.text_len[some]).tolist()
                chunk = [
                    [_cell(col[j]) for col in columns] + [starts[j], ends[j]]
                    for j in range(len(some))
                ]
                yield ("," if first else "") + dumps(chunk)[1:-1]
            yield "]}"
        yield '},"coders":{'
        for u, coder in enumerate(self.users):
            yield ("," if u else "") + dumps(coder) + ":["
            written = 0
            for f in self.frames:
                mine = np.flatnonzero(f["user"] == u)
                for first in range(0, len(mine), per):
                    entries = [self._entry(f, i) for i in mine[first : first + per]]
                    yield ("," if written else "") + dumps(entries)[1:-1]
                    written += len(entries)
            yield "]"
        yield "}}"

    def _entry(self, f: dict, i: int) -> dict:
        """A codings row as the data note records it (its order, origin, span or selection)."""
        cols = f["cols"]
        entry: dict = {"origin": str(cols["origin"][i]).strip() or "manual"}
        start = str(cols["start_char"][i]).strip()
        end = str(cols["end_char"][i]).strip()
        if f["code"][i] < 0:
            entry["seg"] = self.ids[f["pos"][i]]
            memo = str(cols["memo"][i])
            if memo:
                entry["memo"] = memo
            if start or end:
                entry["span"] = [start, end]
            return entry
        entry["sel"] = self._selection_guid(int(f["sel"][i]))
        if start:
            entry["span"] = [start, end]
        return entry


class _Emitter:
    """Writes elements as `ET.indent(root, space=" ")` would place them in one tree."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write

    @staticmethod
    def indent(depth: int) -> str:
        return "\n" + " " * depth

    def __call__(self, el: ET.Element, depth: int) -> None:
        ET.indent(el, space=" ", level=depth)
        self.write(self.indent(depth) + ET.tostring(el, encoding="unicode"))

    def open(self, tag: str, depth: int) -> None:
        self.write(self.indent(depth) + f"<{tag}>")

    def close(self, tag: str, depth: int) -> None:
        self.write(self.indent(depth) + f"</{tag}>")


def _attr(value: str) -> str:
    """An attribute value escaped as ElementTree escapes it (`&<>"`, then CR, LF and tab as
    character references, so they survive attribute-value normalisation)."""
    from xml.sax.saxutils import escape

    return escape(value, _ATTR_ENTITIES)


def _text(value: str) -> str:
    """Element text escaped as ElementTree escapes it (`&`, `<`, `>`)."""
    from xml.sax.saxutils import escape

    return escape(value)


_ATTR_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _start_tag(tag: str, attrib: dict[str, str]) -> str:
    """The start tag ElementTree writes for this element (its attributes escaped its way)."""
    empty = ET.tostring(ET.Element(tag, attrib), encoding="unicode")
    assert empty.endswith(" />"), empty
    return empty[:-3] + ">"


def _zip_info(member: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(member, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _values(column: pd.Series):
    """A column's values without a copy: a text column's own array of str, or Python ints and
    floats from a typed column (as `to_dict` gives them, so the JSON is the same)."""
    import numpy as np
    import pandas as pd

    if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
        return np.asarray(column.array)
    return column.tolist()


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


class _CodingsFiles(Mapping):
    """Codings files by name, each read when it is taken (and dropped after): one in memory."""

    def __init__(self, paths: list[str]) -> None:
        self._paths = paths

    def __getitem__(self, label: str) -> pd.DataFrame:
        from qualcode.io import read_codings

        if label not in self._paths:
            raise KeyError(label)
        return read_codings(label)

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


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
    returns the summary.

    Before it reads them, a study that would need more memory than is available fails (an
    estimate from the input sizes: `qualcode.capacity.check_fits`); before it writes, one whose
    project would not fit on the disk. The project is written straight into a temp file renamed into
    place, so a failure leaves no partial file.
    """
    from qualcode.capacity import check_disk, check_fits
    from qualcode.codebook import load_codebook
    from qualcode.io import DERIVED_KEEP, atomic_open, read_codings, read_segments
    from qualcode.roster import read_roster

    inputs = [segments_path, *codings_paths, codebook_path]
    if roster_path is not None:
        inputs.append(roster_path)

    check_fits("export qdpx", segments=segments_path, codings=codings_paths)
    segments = read_segments(segments_path)
    from qualcode.provenance import check_text

    # One codings table in memory at a time (each is read again as the export takes it in): a
    # study's every table held at once went past 1.5 KB a segment (issue 19).
    for label in map(str, codings_paths):  # turns moved since coding: the selections would lie
        check_text(read_codings(label), segments, codings_file=label, segments_file=segments_path)
    codings = _CodingsFiles([str(p) for p in codings_paths])
    codebook = load_codebook(codebook_path)
    roster = read_roster(roster_path) if roster_path is not None else None
    date = export_date(inputs)
    memos = None
    if memos_path is not None:
        from qualcode.memos import load_memos

        memos = load_memos(memos_path, codebook)
    export = QdpxExport(segments, codings, codebook, roster, name=name, date=date, memos=memos)
    check_disk(export.estimated_size(), output)
    with atomic_open(output, "wb", encoding=None, keep=DERIVED_KEEP) as fh:
        return export.write(fh, progress=progress)
