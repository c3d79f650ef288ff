"""The one join every report starts from: codings + segments + roster -> applied codes.

`load_study` maps speakers to participants (the roster wins over what ingest wrote), checks the codings
against the segments and the codebook, and returns a `StudyData` whose `applied` table has one row per
(segment, code) with transcript_id, participant_id and role. Counting rules (docs/method.md):
facilitator turns are context, not data, and are dropped unless `include_facilitator`; segments whose
speaker is unknown keep an empty participant_id (they count toward mentions and groups only).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError
from qualcode.ids import first_cells, unknown_code_hint, unknown_segment_hint
from qualcode.io import row_location
from qualcode.model import ROLE_FACILITATOR, ROLE_PARTICIPANT, ROLE_UNKNOWN, Codebook
from qualcode.roster import maps_speakers, speaker_key

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

APPLIED_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "code_id",
    "transcript_id",
    "turn",
    "speaker",
    "participant_id",
    "role",
    "text",
)
ORDER_COLUMNS: tuple[str, ...] = ("event_order", "event_date")
# Brief assent ("Yeah.", "Word.", "That's so true.") seconds an idea but does not voice it
# (docs/method.md): a coded turn of fewer words than this is shown and counted as a mention, but not
# toward an idea's participants (the two-participant rule). An option of every report.
MIN_WORDS = 6
# Flags a researcher writes in a coding's memo (case-insensitive): `#quote` makes the coded turn an
# exemplar quote of that code (it always wins); `#negative` marks the coding as a negative case of
# the idea, an account that runs against it: listed under the idea, never counted as voicing it.
QUOTE_TAG = "#quote"
NEGATIVE_TAG = "#negative"
_QUOTE_TAG = re.compile(r"(?<![\w#])#quote\b", re.IGNORECASE)
_NEGATIVE_TAG = re.compile(r"(?<![\w#])#negative(?:[-_ ]?case)?\b", re.IGNORECASE)


class MultipleCodersError(ContractError):
    """A codings file holding several coders where a report needs one (e.g. the consensus)."""


class EventOrderError(ContractError):
    """The data-collection order of the events cannot be told from the roster."""


@dataclass
class StudyData:
    """Everything a report needs, joined once.

    `segments`: every turn, with the effective participant_id and role; `applied`: one row per
    (segment, code) actually applied (facilitator turns dropped unless included); `code_ids` and
    `labels`: the codes in codebook order (or first-use order without a codebook); `transcripts`: the
    transcripts in display order (event order when it is known, else the order of segments.csv);
    `event_order`: the data-collection order, or None when neither the roster nor `order` gives it.
    """

    segments: pd.DataFrame
    applied: pd.DataFrame
    code_ids: list[str]
    labels: dict[str, str]
    transcripts: list[str]
    event_order: list[str] | None = None
    codebook: Codebook | None = None
    roster: pd.DataFrame | None = None
    roster_path: str | Path | None = None
    coder: str = ""
    include_facilitator: bool = False
    facilitator_mentions_excluded: int = 0
    notes: list[str] = field(default_factory=list)
    # Codings flagged `#negative` (removed from `applied`): APPLIED_COLUMNS + memo.
    negative_cases: pd.DataFrame | None = None
    min_words: int = MIN_WORDS
    # One row per excerpt of an applied (segment, code) (`qualcode.spans`): EXCERPT_COLUMNS plus
    # `excerpt` (its text, with an ellipsis where it cuts the turn), `words` (the excerpt's) and
    # `flagged` (a row in it carries #quote).
    excerpts: pd.DataFrame | None = None

    @property
    def has_spans(self) -> bool:
        """Whether any applied coding covers less than its whole turn (an excerpt)."""
        return self.excerpts is not None and not bool(self.excerpts["whole"].all())

    def counted_segments(self) -> pd.DataFrame:
        """The segments that are data (facilitator turns dropped unless included)."""
        if self.include_facilitator:
            return self.segments
        return self.segments[self.segments["role"] != ROLE_FACILITATOR]

    def participants(self) -> list[str]:
        """Distinct participants of the study: the roster's participants in these transcripts, plus
        any participant who spoke but is not in the roster."""
        ids: list[str] = []
        if self.roster is not None:
            r = self.roster
            rows = r[(r["role"] == ROLE_PARTICIPANT) & r["transcript_id"].isin(self.transcripts)]
            ids.extend(rows["participant_id"].tolist())
        seg = self.segments
        ids.extend(seg.loc[seg["role"] == ROLE_PARTICIPANT, "participant_id"].tolist())
        return list(dict.fromkeys(i for i in ids if i))


def map_speakers(segments: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
    """Segments with participant_id and role taken from the roster where it knows the speaker.

    A participant-role speaker without any participant_id (no roster) is counted as a participant
    local to its transcript: `<transcript_id>/<speaker>`.
    """
    # A shallow copy: the columns replaced below are new arrays; the others (the text of every
    # turn among them) stay shared with the caller's frame (pandas copy-on-write), not copied.
    seg = segments.copy(deep=False)
    for col in ("participant_id", "role"):
        if col not in seg.columns:
            seg[col] = ""
        seg[col] = seg[col].fillna("").astype(str).str.strip()
    seg.loc[seg["role"] == "", "role"] = ROLE_UNKNOWN
    if roster is not None and len(roster) and not maps_speakers(roster):
        # A participant sheet: the participant ids ingest wrote stand; a speaker labelled with a
        # participant id of the sheet (`P03: ...`) is that participant.
        ids = {
            speaker_key(p): (p, r)
            for p, r in zip(roster["participant_id"], roster["role"], strict=True)
        }
        found = [
            ids.get(speaker_key(s)) if not p else None
            for s, p in zip(seg["speaker"].tolist(), seg["participant_id"].tolist(), strict=True)
        ]
        known = [f is not None for f in found]
        seg.loc[known, "participant_id"] = [f[0] for f in found if f is not None]
        seg.loc[known, "role"] = [f[1] for f in found if f is not None]
    elif roster is not None and len(roster):
        # Tuple keys: pandas groupby/factorize truncates strings at a NUL, so no joined keys.
        rkeys = zip(roster["transcript_id"], roster["speaker"].map(speaker_key), strict=True)
        mapping = dict(
            zip(rkeys, zip(roster["participant_id"], roster["role"], strict=True), strict=True)
        )
        # speaker_key once per distinct label; plain lists, not Series (iterating a pandas string
        # column goes through __getitem__ per element: seconds at a million turns).
        speakers = seg["speaker"].tolist()
        key_of = {s: speaker_key(s) for s in set(speakers)}
        found = [
            mapping.get((t, key_of[s]))
            for t, s in zip(seg["transcript_id"].tolist(), speakers, strict=True)
        ]
        known = [f is not None for f in found]
        seg.loc[known, "participant_id"] = [f[0] for f in found if f is not None]
        seg.loc[known, "role"] = [f[1] for f in found if f is not None]
    local = (seg["role"] == ROLE_PARTICIPANT) & (seg["participant_id"] == "")
    seg.loc[local, "participant_id"] = (
        seg.loc[local, "transcript_id"] + "/" + seg.loc[local, "speaker"]
    )
    # Only participants are people we count; a facilitator or unknown speaker has no participant key.
    seg.loc[seg["role"] != ROLE_PARTICIPANT, "participant_id"] = ""
    return seg


def load_study(
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    *,
    codebook: Codebook | None = None,
    roster: pd.DataFrame | None = None,
    coder: str | None = None,
    include_facilitator: bool = False,
    order: Sequence[str] | None = None,
    segments_path: str | Path | None = None,
    codings_path: str | Path | None = None,
    roster_path: str | Path | None = None,
    min_words: int = MIN_WORDS,
) -> StudyData:
    """Join segments (read_segments), one coder's codings (read_codings) and an optional roster.

    `applied` also holds `words` (the turn's length), `assent` (fewer than `min_words` words: shown,
    not counted toward participants) and `flagged` (the memo carries #quote). Codings whose memo
    carries #negative are negative cases of their idea: kept apart in `negative_cases`."""
    import numpy as np
    import pandas as pd

    from qualcode.idcodes import factorize

    seg = map_speakers(segments, roster)
    cod = codings.copy(deep=False)  # columns are added and replaced, never written in place
    cod["_row"] = range(len(cod))  # 0-based row of the codings file, for messages (row_location)

    coders = list(dict.fromkeys(c for c in cod["coder"].tolist() if c))
    if coder is not None:
        if coder not in coders:
            raise ContractError(
                f"no codings by coder {coder!r} (coders here: {', '.join(coders) or 'none'})",
                file=codings_path,
            )
        cod = cod[cod["coder"] == coder]
    elif len(coders) > 1:
        raise MultipleCodersError(
            f"codings file holds {len(coders)} coders ({', '.join(coders)}); a report uses one",
            file=codings_path,
            hint="report on the consensus file, or pick one coder",
        )
    else:
        coder = coders[0] if coders else ""

    # The join on integers (issue 19): each coding's segment is its row in `seg`, numbered once by
    # factorising both id columns together (a segment's code is its row when the ids are unique);
    # cells, duplicates and tags are then sorted and counted as int64, with no hash table over
    # millions of id strings (one that no longer fits the CPU caches costs a memory read per probe).
    n = len(seg)
    codes = factorize(
        np.concatenate(
            [seg["segment_id"].to_numpy(dtype=object), cod["segment_id"].to_numpy(dtype=object)]
        )
    )[0]
    _check_unique_segments(codes[:n], seg, segments_path)
    position = codes[n:]  # row of each coding's segment in `seg`; -1 or n and above: unknown
    unknown = (position < 0) | (position >= n)
    if unknown.any():
        unknown = pd.Series(unknown, index=cod.index)
        row = cod[unknown].iloc[0]
        hint = unknown_segment_hint(
            first_cells(cod, unknown, "segment_id", rows="_row"), dict.fromkeys(seg["segment_id"])
        )
        raise ContractError(
            f"segment_id {row['segment_id']!r} is not in the segments",
            **row_location(codings, codings_path, int(row["_row"]), "segment_id"),
            hint=hint or "code the same segments.csv you report on (or re-ingest the transcripts)",
        )
    coded = (cod["code_id"] != "").to_numpy()
    cod = cod[coded]
    position = position[coded]

    if codebook is not None:
        code_ids = codebook.code_ids()
        labels = {c.id: c.label for c in codebook.codes()}
        bad = ~cod["code_id"].isin(set(code_ids))
        if bad.any():
            row = cod[bad].iloc[0]
            hint = unknown_code_hint(first_cells(cod, bad, "code_id", rows="_row"), codebook)
            raise ContractError(
                f"code {row['code_id']!r} is not in the codebook",
                **row_location(codings, codings_path, int(row["_row"]), "code_id"),
                hint=hint or "fix the code id, or add the code to the codebook",
            )
    else:
        code_ids = list(dict.fromkeys(cod["code_id"].tolist()))
        labels = {c: c for c in code_ids}

    excerpts = texts = None
    if _marks_excerpts(cod):
        from qualcode.spans import coding_excerpts

        # Plain lists: iterating pandas string columns goes through __getitem__ per element.
        texts = dict(
            zip(
                seg["segment_id"].tolist(),
                seg["text"].fillna("").astype(str).tolist(),
                strict=True,
            )
        )
        excerpts = coding_excerpts(cod, texts, codings_path=codings_path, rows=cod["_row"])
    memo = cod["memo"].fillna("").astype(str) if "memo" in cod.columns else None
    if memo is not None:
        cod = cod.assign(
            memo=memo,
            flagged=memo.str.contains(_QUOTE_TAG),
            negative=memo.str.contains(_NEGATIVE_TAG),
        )
    else:
        cod = cod.assign(memo="", flagged=False, negative=False)
    # A tag on any row of a (segment, code) holds for the coding (spans may repeat the cell).
    cell = ["segment_id", "code_id"]
    # ... but a #quote on one of several excerpts of a code in a turn flags that excerpt only.
    flag_rows = cod.loc[cod["flagged"], ["segment_id", "code_id", "start_char", "end_char"]]
    if "origin" in cod.columns:
        flag_rows = flag_rows.assign(origin=cod.loc[cod["flagged"], "origin"])
    code_codes, code_uniques = pd.factorize(cod["code_id"])  # a few hundred codes at most
    first, cell_of = _cells(position * max(len(code_uniques), 1) + code_codes)
    for tag in ("flagged", "negative"):
        marked = cod[tag].to_numpy(dtype=bool)
        if marked.any():
            cod[tag] = (np.bincount(cell_of[marked], minlength=len(first)) > 0)[cell_of]
    # Sub-turn spans may apply one code twice to one turn: a mention is a coded segment (the first
    # row of each cell, in file order, as drop_duplicates keeps it).
    first.sort()
    seg_cols = [c for c in APPLIED_COLUMNS if c not in cell]
    applied = pd.concat(
        [
            cod[[*cell, "memo", "flagged", "negative"]].take(first).reset_index(drop=True),
            seg[seg_cols].take(position[first]).reset_index(drop=True),
        ],
        axis=1,
    )
    is_fac = applied["role"] == ROLE_FACILITATOR
    excluded = 0 if include_facilitator else int(is_fac.sum())
    if not include_facilitator:
        applied = applied[~is_fac]
    # One turn's words at a time (Series.str.split() would hold every turn's word list at once).
    turns = applied["text"].fillna("").astype(str).tolist()
    applied = applied.assign(words=np.fromiter((len(t.split()) for t in turns), int, len(turns)))
    del turns
    applied["assent"] = applied["words"] < min_words
    negative = applied[applied["negative"]]
    negative = negative[[*APPLIED_COLUMNS, "memo", "words"]].reset_index(drop=True)
    applied = applied[~applied["negative"]]
    applied = applied[[*APPLIED_COLUMNS, "words", "assent", "flagged"]].reset_index(drop=True)
    if excerpts is None:
        excerpts = _whole_turn_excerpts(applied)
    else:
        excerpts = excerpts.merge(applied[list(cell)], on=cell, how="inner")
        excerpts = _excerpt_texts(excerpts, applied, texts)
    excerpts["flagged"] = _excerpt_flags(excerpts, flag_rows)

    transcripts = list(dict.fromkeys(seg["transcript_id"].tolist()))
    event_order: list[str] | None = None
    has_order_columns = roster is not None and any(c in roster.columns for c in ORDER_COLUMNS)
    if order is not None or has_order_columns or len(transcripts) <= 1:
        event_order = resolve_event_order(transcripts, roster, order, roster_path=roster_path)
        transcripts = event_order
    notes: list[str] = []
    local = seg["participant_id"].str.contains("/", regex=False) & (seg["role"] == ROLE_PARTICIPANT)
    if local.any():
        notes.append(
            f"{seg.loc[local, 'participant_id'].nunique()} speaker(s) without a participant_id were "
            "counted as distinct participants within their transcript (no roster entry)."
        )
    return StudyData(
        segments=seg,
        applied=applied,
        code_ids=list(code_ids),
        labels=labels,
        transcripts=transcripts,
        event_order=event_order,
        codebook=codebook,
        roster=roster,
        roster_path=roster_path,
        coder=coder or "",
        include_facilitator=include_facilitator,
        facilitator_mentions_excluded=excluded,
        notes=notes,
        negative_cases=negative,
        min_words=min_words,
        excerpts=excerpts,
    )


def _check_unique_segments(codes, seg: pd.DataFrame, path: str | Path | None) -> None:
    """The segments' ids, factorised, must each be new (read_segments refuses a repeat too)."""
    import numpy as np

    wrong = np.flatnonzero(codes != np.arange(len(codes)))
    if len(wrong):
        i = int(wrong[0])
        what = (
            "missing segment_id"
            if codes[i] < 0
            else f"duplicate segment_id {seg['segment_id'].iat[i]!r}"
        )
        raise ContractError(what, **row_location(seg, path, i, "segment_id"))


def _cells(keys):
    """For int64 cell keys (one per coding row): the row of each distinct key's first occurrence,
    in key order, and each row's cell number (the rank of its key)."""
    import numpy as np

    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.empty(len(keys), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    cell_of = np.empty(len(keys), dtype=np.int64)
    cell_of[order] = np.cumsum(starts) - 1
    return order[starts], cell_of


def _marks_excerpts(cod: pd.DataFrame) -> bool:
    """Whether any coding row marks an excerpt: a start_char or end_char given, on a coding that
    is not an auto-coding (whose span is its keyword's position), as `qualcode.spans` reads them."""
    import numpy as np

    from qualcode.spans import ORIGIN_AUTO

    given = np.zeros(len(cod), dtype=bool)
    for col in ("start_char", "end_char"):
        if col in cod.columns:
            given |= cod[col].to_numpy(dtype=object) != ""
    if not given.any():
        return False
    rows = cod[given]
    spanned = np.zeros(len(rows), dtype=bool)
    for col in ("start_char", "end_char"):
        if col in rows.columns:
            spanned |= (rows[col].fillna("").astype(str).str.strip() != "").to_numpy()
    if "origin" in rows.columns:
        spanned &= (rows["origin"].fillna("").astype(str).str.strip() != ORIGIN_AUTO).to_numpy()
    return bool(spanned.any())


def _whole_turn_excerpts(applied: pd.DataFrame) -> pd.DataFrame:
    """The excerpts when no coding marks one: each applied coding's whole turn, in its order
    (what `qualcode.spans.coding_excerpts` and `_excerpt_texts` make of codings without spans)."""
    import numpy as np
    import pandas as pd

    shown = applied["text"].fillna("").astype(str).to_numpy(dtype=object, copy=True)
    n = len(applied)
    return pd.DataFrame(
        {
            "segment_id": applied["segment_id"],
            "code_id": applied["code_id"],
            "start_char": np.zeros(n, dtype=np.int64),
            "end_char": np.fromiter(map(len, shown), dtype=np.int64, count=n),
            "whole": np.ones(n, dtype=bool),
        }
    ).assign(excerpt=shown, words=applied["words"].to_numpy(dtype=np.int64, copy=True))


def _excerpt_flags(excerpts: pd.DataFrame, flag_rows: pd.DataFrame) -> list[bool]:
    """Per excerpt: whether a coding row flagged #quote lies in it (a whole-turn excerpt: any
    flagged row of its code in the turn; a flagged row without a span, or an auto-coding's,
    flags every excerpt of its code in the turn)."""
    from qualcode.spans import ORIGIN_AUTO

    if flag_rows.empty:
        return [False] * len(excerpts)
    marks: dict[tuple[str, str], list[tuple[int, int] | None]] = {}
    origins = flag_rows["origin"] if "origin" in flag_rows else [""] * len(flag_rows)
    for seg, code, s, e, o in zip(
        flag_rows["segment_id"],
        flag_rows["code_id"],
        flag_rows["start_char"],
        flag_rows["end_char"],
        origins,
        strict=True,
    ):
        s, e = str(s).strip(), str(e).strip()
        whole = not (s and e) or str(o).strip() == ORIGIN_AUTO
        marks.setdefault((seg, code), []).append(None if whole else (int(s), int(e)))
    out = []
    for seg, code, s, e, whole in zip(
        excerpts["segment_id"],
        excerpts["code_id"],
        excerpts["start_char"],
        excerpts["end_char"],
        excerpts["whole"],
        strict=True,
    ):
        found = marks.get((seg, code))
        out.append(
            bool(found)
            and (bool(whole) or any(m is None or (s <= m[0] and m[1] <= e) for m in found))
        )
    return out


def _excerpt_texts(excerpts: pd.DataFrame, applied: pd.DataFrame, texts: dict[str, str]):
    """Excerpts with their display text (`qualcode.spans.excerpt_text`) and word count: a whole
    turn's are the turn's (vectorised), a cut excerpt's its own."""
    from qualcode.spans import excerpt_text

    turn = excerpts.merge(applied[["segment_id", "code_id", "text", "words"]], how="left")
    shown = turn["text"].fillna("").astype(str).to_numpy(dtype=object, copy=True)
    words = turn["words"].fillna(0).astype(int).to_numpy(copy=True)
    for i in (~excerpts["whole"]).to_numpy().nonzero()[0]:
        seg = excerpts["segment_id"].iat[i]
        s, e = int(excerpts["start_char"].iat[i]), int(excerpts["end_char"].iat[i])
        shown[i] = excerpt_text(texts[seg], s, e)
        words[i] = len(texts[seg][s:e].split())
    return excerpts.assign(excerpt=shown, words=words)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ][\d:.]+)?")


def resolve_event_order(
    transcripts: Sequence[str],
    roster: pd.DataFrame | None,
    order: Sequence[str] | None = None,
    *,
    roster_path: str | Path | None = None,
) -> list[str]:
    """Data-collection order of the transcripts: `order` if given, else the roster's `event_order`
    (integer) then `event_date` (ISO date). Never alphabetical: an unknown order is an error."""
    transcripts = list(dict.fromkeys(transcripts))
    if order is not None:
        order = [t.strip() for t in order if t.strip()]
        extra = [t for t in order if t not in transcripts]
        if extra:
            raise ContractError(
                f"order names transcript(s) not in the data: {', '.join(extra)}",
                hint=f"transcripts here: {', '.join(transcripts)}",
            )
        dup = [t for t in dict.fromkeys(order) if order.count(t) > 1]
        if dup:
            raise ContractError(f"order names transcript(s) twice: {', '.join(dup)}")
        missing = [t for t in transcripts if t not in order]
        if missing:
            raise ContractError(
                f"order leaves out transcript(s): {', '.join(missing)}",
                hint="list every transcript once, first event first",
            )
        return list(order)
    if len(transcripts) <= 1:
        return transcripts
    columns = [c for c in ORDER_COLUMNS if roster is not None and c in roster.columns]
    if not columns:
        raise EventOrderError(
            "the order of the events (transcripts) is unknown",
            file=roster_path,
            hint="add an event_order or event_date column to the roster, or give the order "
            "explicitly (first event first)",
        )
    # One pass over the roster: each transcript's first row label and its stripped values per
    # column (a filter over the whole roster per transcript was quadratic in transcripts).
    assert roster is not None
    first_row: dict[object, object] = {}
    seen: dict[object, list[set[str]]] = {}
    for label, tid, *cells in zip(
        roster.index, roster["transcript_id"], *(roster[c] for c in columns), strict=True
    ):
        sets = seen.get(tid)
        if sets is None:
            first_row[tid] = label
            sets = seen[tid] = [set() for _ in columns]
        for values, v in zip(sets, cells, strict=True):
            if v.strip():
                values.add(v.strip())
    keys: dict[str, tuple] = {}
    for tid in transcripts:
        if tid not in seen:
            raise EventOrderError(
                f"transcript {tid!r} is not in the roster, so its event order is unknown",
                file=roster_path,
            )
        key: list[object] = []
        row_line = int(first_row[tid]) + 2
        for col, values in zip(columns, seen[tid], strict=True):
            if len(values) > 1:
                raise ContractError(
                    f"transcript {tid!r} has conflicting {col} values: {', '.join(sorted(values))}",
                    file=roster_path,
                    line=row_line,
                    hint=f"repeat the same {col} on every row of a transcript",
                )
            if not values:
                raise EventOrderError(
                    f"transcript {tid!r} has no {col}", file=roster_path, line=row_line
                )
            value = values.pop()
            if col == "event_order":
                if not re.fullmatch(r"-?\d+", value):
                    raise ContractError(
                        f"event_order must be a whole number, got {value!r}",
                        file=roster_path,
                        line=row_line,
                    )
                key.append(int(value))
            else:
                if not _DATE.fullmatch(value):
                    raise ContractError(
                        f"event_date must be an ISO date (YYYY-MM-DD), got {value!r}",
                        file=roster_path,
                        line=row_line,
                    )
                key.append(value)
        keys[tid] = tuple(key)
    ranked = sorted(transcripts, key=lambda t: keys[t])
    for a, b in zip(ranked, ranked[1:], strict=False):
        if keys[a] == keys[b]:
            raise EventOrderError(
                f"transcripts {a!r} and {b!r} share the same {' and '.join(columns)}, "
                "so their order is unknown",
                file=roster_path,
                hint="give each event a distinct event_order",
            )
    return ranked
