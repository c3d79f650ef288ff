"""Interactive coding: the state of a coder's session, one segment at a time, saved as it goes.

The codings file itself is the session's state. Decided once:
- A segment is *decided* when its rows are in the file: one row per code, or one empty-code row
  (reviewed, no code). `next` appends the segment's rows at once (one write, then fsync; see
  `qualcode.coding.session`), so a kill -9 loses at most the segment on screen.
- Re-deciding a segment already in the file (after going back or jumping) rewrites the file
  atomically with that segment's rows replaced in place, so the file is always a valid codings file
  with each segment once (no "last row wins" reading is needed by any other command). Nothing is
  written when the decision did not change.
- Running the same command again resumes: segments in the file are decided, and the session starts at
  the first undecided segment after the furthest decided one (then wraps to earlier gaps).
- `skip` leaves a segment undecided (not reviewed) and moves on; skipped segments come back only
  after a wrap-around in a later run, or by jumping to them.
- Leaving a segment by back / jump / skip discards its unsaved marks; quitting (`q`, or the end
  of input) saves them first (the CLI calls `save`), so quitting normally loses nothing.
- At the end (or on quit) the file is rewritten in segment order if jumping made it out of order.
- Rows of the output for segments outside this session (other sources, facilitator turns coded in a
  sheet) are kept as they are. An output holding another coder's rows is refused.
- Excerpts (issue 16.1): a code applies to the whole turn unless the coder narrows it to sentences
  of the turn (`narrow`, `qualcode.sentences`); each excerpt is one row with start_char/end_char.
  Sentences that cover the whole turn are the whole turn. Excerpts in a resumed file (from a sheet
  or another program) are kept as they are, whether or not they fall on sentence boundaries.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.coding.session import append_rows, repair_tail
from qualcode.errors import ContractError, QualcodeError
from qualcode.model import CODING_COLUMNS, ROLE_FACILITATOR, Codebook
from qualcode.provenance import (
    PROVENANCE_COLUMNS,
    changed_segments,
    check_text,
    codebook_identity,
    text_hash,
)
from qualcode.sentences import (
    SelectionError,
    describe_selection,
    is_whole_turn,
    parse_selection,
    sentence_spans,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qualcode.codebook_edit import NewCode

ORIGIN_MANUAL = "manual"
Span = tuple[int, int]
# A segment's decision: its codes (codebook order), its memo, and the excerpts of the codes that
# do not cover the whole turn, as ((code, ((start, end), ...)), ...) in code order.
Decision = tuple[tuple[str, ...], str, tuple[tuple[str, tuple[Span, ...]], ...]]


@dataclass(frozen=True)
class SegmentView:
    """What the terminal shows for one segment."""

    segment_id: str
    transcript_id: str
    turn: str
    speaker: str
    role: str
    text: str
    previous: dict[str, str] | None  # the previous turn of the transcript (any role), as context


@dataclass(frozen=True)
class Progress:
    """Position: `number` of `total` segments, `in_transcript` of `transcript_total` in its
    transcript; `decided` segments in the file, `skipped` in this run."""

    number: int
    total: int
    transcript_id: str
    in_transcript: int
    transcript_total: int
    decided: int
    skipped: int

    def line(self) -> str:
        return (
            f"segment {self.number} of {self.total} ({self.transcript_id}: "
            f"{self.in_transcript} of {self.transcript_total})"
        )


@dataclass(frozen=True)
class SessionSummary:
    total: int
    decided: int
    coded: int  # decided segments with at least one code
    applied: int  # (segment, code) rows
    skipped: int
    complete: bool


class CodingSession:
    """One coder, one codebook, the segments to code, and the codings file that records it all."""

    def __init__(
        self,
        segments: pd.DataFrame,
        codebook: Codebook,
        coder: str,
        output: str | Path,
        *,
        include_facilitator: bool = False,
    ) -> None:
        self.codebook = codebook
        self.codes = codebook.codes()
        self.code_ids = [c.id for c in self.codes]
        self.coder = coder
        self.output = Path(output)
        cols = ["segment_id", "transcript_id", "turn", "speaker", "role", "text"]
        table = segments.reindex(columns=cols).fillna("").astype(str)
        self._rows: list[dict[str, str]] = table.to_dict("records")
        self._position = {r["segment_id"]: i for i, r in enumerate(self._rows)}
        self.items: list[str] = [
            r["segment_id"]
            for r in self._rows
            if include_facilitator or r["role"] != ROLE_FACILITATOR
        ]
        self._item_index = {sid: i for i, sid in enumerate(self.items)}
        per: dict[str, list[int]] = {}
        for i, sid in enumerate(self.items):
            per.setdefault(self._rows[self._position[sid]]["transcript_id"], []).append(i)
        self._in_transcript = {i: (k + 1, len(v)) for v in per.values() for k, i in enumerate(v)}
        self.repaired = repair_tail(self.output)
        self._columns = self._file_columns()
        self._identity = codebook_identity(codebook)
        self.decisions: dict[str, Decision] = self._load()
        self.resumed = sum(sid in self._item_index for sid in self.decisions)
        self.skipped: set[str] = set()
        self.index: int | None = self._start_index()
        self.draft_codes: list[str] = []
        self.draft_memo = ""
        self.draft_excerpts: dict[str, tuple[Span, ...]] = {}  # codes not on the whole turn
        self._load_draft()

    # -- loading ----------------------------------------------------------------------------------
    def _file_columns(self) -> list[str]:
        """The columns rows are written with: the contract plus text_hash and codebook (issue
        13), unless the file being resumed was started without them (its header stays)."""
        full = [*CODING_COLUMNS, *PROVENANCE_COLUMNS]
        if not self.output.exists() or not self.output.stat().st_size:
            return full
        with open(self.output, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
        return full if all(c in header for c in PROVENANCE_COLUMNS) else list(CODING_COLUMNS)

    def _load(self) -> dict[str, Decision]:
        from qualcode.io import read_codings

        if not self.output.exists() or not self.output.read_bytes().strip():
            return {}
        df = read_codings(self.output)
        changed = [s for s in changed_segments(df, self._segments_frame()) if s in self._position]
        if changed:  # the transcript was re-ingested since: these marks belong to other words
            check_text(
                df[df["segment_id"].isin(changed)], self._segments_frame(), codings_file=self.output
            )
        others = df["coder"][(df["coder"] != "") & (df["coder"] != self.coder)]
        if len(others):
            i = int(others.index[0])
            raise ContractError(
                f"the output holds codings by coder {others.iat[0]!r}, not {self.coder!r}",
                file=self.output,
                line=i + 2,
                hint="each coder codes into their own file (codings/<coder>.csv)",
            )
        known = set(self.code_ids)
        out: dict[str, tuple[list[str], list[str]]] = {}
        spans: dict[tuple[str, str], list[Span] | None] = {}  # None: the whole turn
        for i, (sid, code, memo, start, end) in enumerate(
            zip(
                df["segment_id"],
                df["code_id"],
                df["memo"],
                df["start_char"],
                df["end_char"],
                strict=True,
            )
        ):
            if code and code not in known:
                raise ContractError(
                    f"code {code!r} is not in the codebook",
                    file=self.output,
                    line=i + 2,
                    hint="fix the code id in the codings file or add the code to the codebook",
                )
            codes, memos = out.setdefault(sid, ([], []))
            if code and code not in codes:
                codes.append(code)
            if code:
                excerpts = spans.setdefault((sid, code), [])
                if not (start or end):
                    spans[(sid, code)] = None
                elif excerpts is not None:
                    self._check_span(sid, start, end, i + 2)
                    excerpts.append((int(start), int(end)))
            if memo.strip() and memo not in memos:
                memos.append(memo)
        rank = {c: i for i, c in enumerate(self.code_ids)}
        decisions: dict[str, Decision] = {}
        for sid, (codes, memos) in out.items():
            ordered = tuple(sorted(codes, key=rank.__getitem__))
            excerpts = tuple(
                (code, tuple(sorted(set(found))))
                for code in ordered
                if (found := spans[(sid, code)])
            )
            decisions[sid] = (ordered, "\n".join(memos), excerpts)
        return decisions

    def _check_span(self, sid: str, start: str, end: str, line: int) -> None:
        """An excerpt in the file lies within its turn, start before end."""
        pos = self._position.get(sid)
        length = len(self._rows[pos]["text"]) if pos is not None else None
        if not (start and end) or int(start) >= int(end) or (length and int(end) > length):
            size = f"{length} characters; " if length else ""
            raise ContractError(
                f"span {start or '(empty)'}..{end or '(empty)'} does not fit in segment {sid!r} "
                f"({size}end is exclusive, start before end)",
                file=self.output,
                line=line,
                hint="start_char < end_char, 0-based, end exclusive; both empty for the whole turn",
            )

    def _start_index(self) -> int | None:
        decided = [self._item_index[s] for s in self.decisions if s in self._item_index]
        return self._next_pending(max(decided) + 1 if decided else 0)

    def _next_pending(self, start: int) -> int | None:
        n = len(self.items)
        for k in range(n):
            i = (start + k) % n
            sid = self.items[i]
            if sid not in self.decisions and sid not in self.skipped:
                return i
        return None

    def _load_draft(self) -> None:
        if self.index is None:
            self.draft_codes, self.draft_memo, self.draft_excerpts = [], "", {}
            return
        codes, memo, excerpts = self.decisions.get(self.items[self.index], ((), "", ()))
        self.draft_codes, self.draft_memo = list(codes), memo
        self.draft_excerpts = dict(excerpts)

    # -- what to show -----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.index is None

    @property
    def current(self) -> str:
        if self.index is None:
            raise QualcodeError("the session is finished")
        return self.items[self.index]

    def view(self) -> SegmentView:
        pos = self._position[self.current]
        row = self._rows[pos]
        prev = self._rows[pos - 1] if pos > 0 else None
        if prev is not None and prev["transcript_id"] != row["transcript_id"]:
            prev = None
        return SegmentView(
            segment_id=row["segment_id"],
            transcript_id=row["transcript_id"],
            turn=row["turn"],
            speaker=row["speaker"],
            role=row["role"],
            text=row["text"],
            previous=prev,
        )

    def progress(self) -> Progress:
        index = self.index if self.index is not None else len(self.items) - 1
        in_t, t_total = self._in_transcript.get(index, (0, 0))
        sid = self.items[index] if self.items else ""
        return Progress(
            number=index + 1,
            total=len(self.items),
            transcript_id=self._rows[self._position[sid]]["transcript_id"] if sid else "",
            in_transcript=in_t,
            transcript_total=t_total,
            decided=sum(s in self._item_index for s in self.decisions),
            skipped=len(self.skipped),
        )

    def is_decided(self) -> bool:
        return self.current in self.decisions

    @property
    def dirty(self) -> bool:
        """The marks or memo on screen differ from what the file holds for this segment."""
        saved = self.decisions.get(self.current)
        draft = self._draft()
        return draft != saved if saved is not None else bool(self.draft_codes or self.draft_memo)

    def _draft(self) -> Decision:
        codes = tuple(self._ordered(self.draft_codes))
        excerpts = tuple((c, self.draft_excerpts[c]) for c in codes if c in self.draft_excerpts)
        return codes, self.draft_memo, excerpts

    # -- changes ----------------------------------------------------------------------------------
    def _ordered(self, codes: list[str]) -> list[str]:
        rank = {c: i for i, c in enumerate(self.code_ids)}
        return sorted(codes, key=rank.__getitem__)

    def resolve_key(self, token: str) -> str:
        """A code from its number in the list (1-based) or its id; QualcodeError if neither."""
        token = token.strip()
        if token.isdigit() and 1 <= int(token) <= len(self.codes):
            return self.code_ids[int(token) - 1]
        if token in self.code_ids:
            return token
        raise QualcodeError(
            f"no code {token!r}: use a number from 1 to {len(self.codes)} or a code id"
        )

    def toggle(self, tokens: list[str]) -> list[str]:
        """Toggle each code (numbers or ids); all tokens are checked before any is applied."""
        keys = [self.resolve_key(t) for t in tokens]
        for key in keys:
            if key in self.draft_codes:
                self.draft_codes.remove(key)
                self.draft_excerpts.pop(key, None)
            else:
                self.draft_codes.append(key)
        self.draft_codes = self._ordered(self.draft_codes)
        return self.draft_codes

    def add_code(self, codebook_path: str | Path, code: NewCode, *, added_on: str | None = None):
        """Write `code` into the codebook file as an inductive code found by this coder (issue
        16.2), use the new codebook from now on, and apply the code to the segment on screen.

        Refused (nothing written) when the codebook file no longer holds the codes this session
        was started with (edited meanwhile): the session would then code against another one."""
        from qualcode.codebook import load_codebook
        from qualcode.codebook_edit import add_codes

        on_disk = load_codebook(codebook_path).code_ids()
        gone = [c for c in self.code_ids if c not in on_disk]
        if gone:
            raise QualcodeError(
                f"the codebook file no longer has {', '.join(gone)} (it was edited since this "
                "session started); quit and start again to add codes",
                file=codebook_path,
            )
        book = add_codes(codebook_path, [code], added_by=self.coder, added_on=added_on)
        self.codebook = book
        self.codes = book.codes()
        self.code_ids = [c.id for c in self.codes]
        self._identity = codebook_identity(book)  # rows saved from now on name the new codebook
        if code.id not in self.draft_codes:
            self.draft_codes = self._ordered([*self.draft_codes, code.id])
        return book.code(code.id)

    def sentences(self) -> list[Span]:
        """The sentences of the turn on screen, (start, end) in its text (`qualcode.sentences`)."""
        return sentence_spans(self._rows[self._position[self.current]]["text"])

    def narrow(self, token: str, selection: str) -> str:
        """Apply code `token` to sentences of the turn ("2-3", "1,4"; "" = the whole turn);
        returns the code id. QualcodeError (nothing changed) when the selection cannot be read."""
        key = self.resolve_key(token)
        text = self._rows[self._position[self.current]]["text"]
        if selection.strip():
            spans = self.sentences()
            try:
                picked = parse_selection(selection, spans, len(text))
            except SelectionError as exc:
                raise QualcodeError(
                    f"{exc} (e.g. {key}:2-3, or {key}: and Enter for all)"
                ) from None
            if is_whole_turn(picked, spans):
                self.draft_excerpts.pop(key, None)
            else:
                self.draft_excerpts[key] = tuple(picked)
        else:
            self.draft_excerpts.pop(key, None)
        if key not in self.draft_codes:
            self.draft_codes = self._ordered([*self.draft_codes, key])
        return key

    def excerpt_label(self, code_id: str) -> str:
        """How the excerpts of a code on screen are written ("2-3, 5"); "" for the whole turn."""
        spans = self.sentences()
        return ", ".join(
            describe_selection(a, b, spans) for a, b in self.draft_excerpts.get(code_id, ())
        )

    def set_memo(self, memo: str) -> None:
        self.draft_memo = " ".join(memo.split())  # one line: the journal has no line breaks

    def save(self) -> bool:
        """Record the segment on screen as decided; True if the file changed."""
        sid = self.current
        decision = self._draft()
        previous = self.decisions.get(sid)
        if previous == decision:
            return False
        rows = self._rows_for(sid, decision)
        if previous is None:
            append_rows(self.output, self._columns, rows)
        else:
            self._rewrite(replace={sid: rows})
        self.decisions[sid] = decision
        return True

    def next(self) -> bool:
        """Save, then go to the next undecided segment; False when none is left (done)."""
        self.save()
        self.index = self._next_pending(self.index + 1)
        self._load_draft()
        return self.index is not None

    def skip(self) -> bool:
        """Leave the segment undecided and go on; False when none is left."""
        self.skipped.add(self.current)
        self.index = self._next_pending(self.index + 1)
        self._load_draft()
        return self.index is not None

    def back(self) -> bool:
        """Go to the previous segment (decided or not); False at the first one."""
        if self.index is None or self.index == 0:
            return False
        self.index -= 1
        self._load_draft()
        return True

    def jump(self, target: str) -> None:
        """Go to segment number `target` (1-based) or to a segment id."""
        target = target.strip()
        if target.isdigit():
            number = int(target)
            if not 1 <= number <= len(self.items):
                raise QualcodeError(f"no segment number {number}: choose 1 to {len(self.items)}")
            self.index = number - 1
        elif target in self._item_index:
            self.index = self._item_index[target]
        elif target in self._position:
            raise QualcodeError(
                f"segment {target!r} is a facilitator turn, shown as context only",
                hint="run with --include-facilitator to code facilitator turns",
            )
        else:
            raise QualcodeError(f"no segment {target!r}: give a number or a segment id")
        self.skipped.discard(self.items[self.index])
        self._load_draft()

    def finish(self) -> SessionSummary:
        """Put the file in segment order if needed (atomic); the session's totals."""
        self._rewrite(replace={}, only_if_unordered=True)
        decided = [s for s in self.items if s in self.decisions]
        coded = [s for s in decided if self.decisions[s][0]]
        return SessionSummary(
            total=len(self.items),
            decided=len(decided),
            coded=len(coded),
            applied=sum(len(self.decisions[s][0]) for s in decided),
            skipped=len(self.skipped - set(self.decisions)),
            complete=len(decided) == len(self.items),
        )

    # -- the file ---------------------------------------------------------------------------------
    def _rows_for(self, sid: str, decision: Decision) -> list[tuple[str, ...]]:
        codes, memo, excerpts = decision
        extra: tuple[str, ...] = ()
        if len(self._columns) > len(CODING_COLUMNS):
            extra = (text_hash(self._rows[self._position[sid]]["text"]), self._identity)
        narrowed = dict(excerpts)
        cells: list[tuple[str, str, str]] = []
        for code in codes or ("",):
            if code in narrowed:  # one row per excerpt
                cells.extend((code, str(a), str(b)) for a, b in narrowed[code])
            else:
                cells.append((code, "", ""))
        return [
            (sid, code, self.coder, ORIGIN_MANUAL, memo if i == 0 else "", start, end, *extra)
            for i, (code, start, end) in enumerate(cells)
        ]

    def _segments_frame(self):
        import pandas as pd

        return pd.DataFrame(self._rows, columns=["segment_id", "transcript_id", "text"])

    def _rewrite(
        self, replace: dict[str, list[tuple[str, ...]]], *, only_if_unordered: bool = False
    ) -> None:
        import pandas as pd

        from qualcode.io import read_codings, write_codings

        if not self.output.exists():
            return
        df = read_codings(self.output)
        order = df["segment_id"].map(lambda s: self._position.get(s, len(self._position)))
        if only_if_unordered and order.is_monotonic_increasing:
            return
        parts = []
        for sid, block in df.groupby("segment_id", sort=False):
            if sid in replace:
                block = pd.DataFrame(replace[sid], columns=self._columns)
            parts.append(block)
        out = pd.concat(parts, ignore_index=True) if parts else df
        rank = out["segment_id"].map(lambda s: self._position.get(s, len(self._position)))
        out = out.iloc[rank.argsort(kind="stable")]
        write_codings(out, self.output, backup=False)
