"""What a codings file was made on: the text of each coded turn and the codebook (issue 13).

Segment ids are `<transcript>:<turn>`, so re-ingesting an edited transcript (two cues added at the
top of a .vtt) shifts every later turn: codings then point at other people's words, and every
report quotes the wrong text with exit code 0. Two columns make that detectable:

- `text_hash`: per row, 8 hex digits of SHA-1 over the text of the turn it was coded on (the same
  hash as the coding sheet's check cell: line ends LF, XML-illegal control characters removed,
  ends stripped). Every command that joins codings to segments checks it (`check_text`).
- `codebook`: the identity of the codebook it was coded with, `<title> #<8 hex>`, the hash over
  the code ids and labels in codebook order (`codebook_identity`). `codebook_warnings` says when
  codings are compared or reported against another codebook.

Both columns are optional: files from other tools or made by hand have neither, and are read as
before (nothing to check). qualcode writes them on every codings file it makes (`stamp`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import ContractError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.model import Codebook

TEXT_HASH = "text_hash"
CODEBOOK = "codebook"
PROVENANCE_COLUMNS: tuple[str, ...] = (TEXT_HASH, CODEBOOK)
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_IDENTITY = re.compile(r"#([0-9a-f]{8})\s*$")
MISMATCHES_SHOWN = 5


class TextChangedError(ContractError):
    """Coded turns whose text is not the text they were coded on."""


def text_hash(text: str) -> str:
    """8 hex digits of SHA-1 over a turn's text (line ends LF, control characters out, stripped)."""
    clean = _ILLEGAL_XML.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    return hashlib.sha1(clean.strip().encode("utf-8")).hexdigest()[:8]


def text_hashes(texts) -> list[str]:
    """`text_hash` of each text; one scan of all texts finds whether any needs cleaning (most
    transcripts have no CR or control character), so the usual case is one SHA-1 per text."""
    texts = [str(t) for t in texts]
    joined = "\n".join(texts)
    if "\r" in joined or _ILLEGAL_XML.search(joined):
        return [text_hash(t) for t in texts]
    sha1 = hashlib.sha1
    return [sha1(t.strip().encode("utf-8")).hexdigest()[:8] for t in texts]


def _hashes_by_id(segments: pd.DataFrame, ids) -> dict[str, str]:
    """segment_id -> text hash, for the segments among `ids` (an array of distinct ids)."""
    seg = segments.loc[segments["segment_id"].isin(ids), ["segment_id", "text"]]
    return dict(zip(seg["segment_id"], text_hashes(seg["text"]), strict=True))


def codebook_identity(codebook: Codebook) -> str:
    """`<title> #<hash>`: the hash over the code ids and labels in order (definitions may be
    reworded without changing it; renaming, relabelling, adding or removing a code changes it)."""
    title = " ".join(str(codebook.title or "").split())
    return f"{title} #{_codes_digest(codebook.codes())}".strip()


def _codes_digest(codes) -> str:
    digest = hashlib.sha1()
    for code in codes:
        digest.update(f"{code.id}\x1f{code.label}\x1e".encode())
    return digest.hexdigest()[:8]


# Up to this many inductive codes, every subset is tried as "added since" (2**12 digests of a
# codebook's codes take milliseconds); beyond it, only "every code added on or after a date".
_EARLIER_SUBSETS_UP_TO = 12


def earlier_versions(codebook: Codebook) -> dict[str, tuple]:
    """Digest of each earlier version of `codebook` -> the inductive codes added since (issue
    16.2): a version is the codebook without some of its inductive codes, in the same order. A
    codings file made before a coder added a code records such a digest."""
    from itertools import combinations

    codes = codebook.codes()
    inductive = [c for c in codes if c.inductive]
    if len(inductive) <= _EARLIER_SUBSETS_UP_TO:
        removals = [
            combo for n in range(1, len(inductive) + 1) for combo in combinations(inductive, n)
        ]
    else:
        days = sorted({c.added_on for c in inductive})
        removals = [tuple(c for c in inductive if c.added_on >= day) for day in days]
    out: dict[str, tuple] = {}
    for removed in removals:
        gone = {c.id for c in removed}
        out.setdefault(_codes_digest(c for c in codes if c.id not in gone), removed)
    return out


def _digest_of(identity: str) -> str | None:
    found = _IDENTITY.search(identity)
    return found[1] if found else None


def stamp(
    codings: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """The codings with `text_hash` (from `segments`, by segment_id) and `codebook` filled in.

    A row whose segment is not in `segments` keeps the hash it had (or none). Without segments or
    codebook the column is left as it is."""
    out = codings.copy(deep=False)  # columns are replaced, never changed in place: no cell copied
    for col in PROVENANCE_COLUMNS:
        if col not in out.columns:
            out[col] = ""
    if segments is not None and len(out):
        hashes = _hashes_by_id(segments, out["segment_id"].unique())
        new = out["segment_id"].map(hashes)
        out[TEXT_HASH] = new.where(new.notna(), out[TEXT_HASH]).fillna("")
    if codebook is not None:
        out[CODEBOOK] = codebook_identity(codebook)
    return out


def carry(
    out: pd.DataFrame,
    sources: Sequence[pd.DataFrame],
    segments: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """`out` (codings derived from `sources`, e.g. a consensus) stamped: text hashes from the
    segments when given, else those the sources recorded; the codebook's identity, else the one
    identity all sources recorded (none when they differ)."""
    out = stamp(out, segments, codebook)
    if segments is None:
        recorded: dict[str, str] = {}
        for df in sources:
            for sid, digest in hashes_of(df).items():
                recorded.setdefault(sid, digest)
        if recorded:
            new = out["segment_id"].map(recorded)
            out[TEXT_HASH] = new.where(new.notna(), out[TEXT_HASH]).fillna("")
    if codebook is None:
        found = {
            v
            for df in sources
            if CODEBOOK in df.columns
            for v in df[CODEBOOK].astype(str).str.strip().unique()
            if v
        }
        if len(found) == 1:
            out[CODEBOOK] = found.pop()
    return out


def hashes_of(codings: pd.DataFrame) -> dict[str, str]:
    """segment_id -> the text hash the codings recorded for it (first non-empty one)."""
    if TEXT_HASH not in codings.columns:
        return {}
    rows = codings.loc[codings[TEXT_HASH] != "", ["segment_id", TEXT_HASH]]
    rows = rows.drop_duplicates("segment_id")  # the rows of a segment carry one hash
    return {
        sid: str(digest).strip()
        for sid, digest in zip(rows["segment_id"], rows[TEXT_HASH], strict=True)
        if str(digest).strip()
    }


def changed_segments(codings: pd.DataFrame, segments: pd.DataFrame) -> list[str]:
    """Segment ids whose recorded text hash differs from the text in `segments` (in codings order;
    segments missing from `segments` are left to the commands' own unknown-segment checks)."""
    recorded = hashes_of(codings)
    if not recorded:
        return []
    now = _hashes_by_id(segments, list(recorded))
    return [sid for sid, digest in recorded.items() if sid in now and now[sid] != digest]


def check_text(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    codings_file: str | Path | None = None,
    segments_file: str | Path | None = None,
) -> None:
    """Raise ContractError when coded turns' text changed since they were coded, naming the
    segments and their transcripts (the codings then point at other words: never join them)."""
    changed = changed_segments(codings, segments)
    if not changed:
        return
    transcripts = sorted(
        set(segments.loc[segments["segment_id"].isin(set(changed)), "transcript_id"].astype(str))
    )
    shown = ", ".join(changed[:MISMATCHES_SHOWN])
    more = f" and {len(changed) - MISMATCHES_SHOWN} more" if len(changed) > MISMATCHES_SHOWN else ""
    where = f" in {segments_file}" if segments_file else ""
    raise TextChangedError(
        f"the text of {len(changed)} coded segment{'s' if len(changed) != 1 else ''} is not the "
        f"text they were coded on: {shown}{more} (transcript{'s' if len(transcripts) != 1 else ''} "
        f"{', '.join(transcripts)}{where}); the transcript was edited or re-ingested and its turns "
        "moved",
        file=codings_file,
    )


def codebook_warnings(codebook: Codebook, files: Sequence[tuple[str, pd.DataFrame]]) -> list[str]:
    """Warnings when codings meet a codebook that is probably not theirs.

    - a file that records another codebook identity (other ids or labels) than `codebook`;
    - most (more than half) of the codebook's codes appear in none of the files (another study's
      codebook whose ids overlap gives wrong labels and many "neither" cells)."""
    out: list[str] = []
    identity = codebook_identity(codebook)
    digest = _digest_of(identity)
    earlier: dict[str, tuple] | None = None
    for label, df in files:
        if CODEBOOK not in df.columns:
            continue
        column = df[CODEBOOK].astype(str).str.strip()
        recorded = [v for v in column.unique() if v]
        others = [v for v in recorded if _digest_of(v) != digest]
        if earlier is None and others:
            earlier = earlier_versions(codebook)
        versions = [(earlier or {}).get(_digest_of(v) or "") for v in others]
        if others and all(versions):
            # several earlier versions (codes added at several times): name every code added
            added = tuple({c.id: c for v in versions for c in v}.values())
            # coded before a coder added codes found in the data (16.2): not another codebook
            rows = int(column.isin(others).sum())
            names = ", ".join(
                f"{c.id} (added by {c.added_by or '?'} on {c.added_on or '?'})" for c in added
            )
            what = "code" if len(added) == 1 else "codes"
            share = "its" if rows == len(df) else f"{rows} of its {len(df)}"
            out.append(
                f"{label}: {share} rows were coded with an earlier version of this codebook, "
                f"before the inductive {what} {names} existed: the segments they cover were "
                f"not reviewed for {'it' if len(added) == 1 else 'them'}"
            )
        elif others:
            out.append(
                f"{label} was coded with codebook {others[0]!r}, not with the codebook given "
                f"({identity!r}): its code ids or labels differ"
            )
    ids = codebook.code_ids()
    used: set[str] = set()
    for _label, df in files:
        used.update(df["code_id"].astype(str).unique())  # not a str object per row
    unused = [c for c in ids if c not in used]
    if ids and len(unused) * 2 > len(ids):
        where = {1: "are not used in the codings", 2: "appear in neither file"}.get(
            len(files), "appear in none of the files"
        )
        out.append(
            f"{len(unused)} of the {len(ids)} codes of the codebook ({identity!r}) {where}: "
            "is it this study's codebook?"
        )
    return out
