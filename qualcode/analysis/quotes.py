"""Exemplar quotes that exemplify (docs/method.md, "Counting in focus groups"; Auerbach & Silverstein
2003: the participants' words that best voice the idea; COREQ item 30, data and findings consistent).

One rule for the hierarchy and the narrative (QUOTE_RULE). The candidates of an idea are its
excerpts (`qualcode.spans`): a coding with start_char/end_char is the excerpt it marks (issue 16.1:
an exemplar quote is the excerpt, not the whole turn), cut where the coder cut it and shown with an
ellipsis where it leaves out text of the turn; a coding without a span (and an auto-coding, whose
span only marks its keyword) is the whole turn. Among an idea's excerpts:
1. an excerpt the researcher flagged for this idea (`#quote` in the coding's memo) always wins;
2. an excerpt not yet quoted for another idea in the report (one quote serves one idea: an excerpt
   sharing text with one already quoted is reused, only when no other is left, and marked);
3. a group, then a participant, not yet quoted for this idea (spread across groups);
4. identified participants before unknown speakers; turns that voice the idea (at least the
   minimum words) before brief assent;
5. specific to the idea: as few other codes on the turn as possible;
6. more hits of the idea's keywords in the turn;
7. a moderate length of the excerpt: inside LENGTH_BAND words, else nearest to it (not the
   longest);
8. data-collection order, then turn, then position in the turn.
Quotes are verbatim (a whole turn as written, an excerpt trimmed of white space at its ends),
labelled from `label_template` (roster attributes). Brief assent (rule 4) is a property of the turn.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Any

from qualcode.errors import QualcodeError
from qualcode.model import ROLE_PARTICIPANT

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from qualcode.analysis.data import StudyData

LENGTH_BAND = (15, 80)  # words: a full sentence or two, not a speech
DEFAULT_LABEL = "{participant_id}, {transcript_id}"
QUOTE_RULE = (
    "Exemplar quotes: a turn the researcher flagged (#quote in the coding's memo) wins; otherwise "
    "one quote serves one idea (a turn reused for a second idea only when no other is left, and "
    "marked), spread over groups and participants, voicing the idea (not brief assent), specific "
    "(fewest other codes on the turn), with the most keyword hits of the idea, of moderate length "
    f"({LENGTH_BAND[0]}-{LENGTH_BAND[1]} words, not the longest); then data-collection order."
)
# Added to the rule wherever a coding covers part of its turn (issue 16.1).
QUOTE_EXCERPT_RULE = (
    "Where a coding marks an excerpt (start_char/end_char), its quote is that excerpt, not the "
    "whole turn (\u2026 marks text of the turn left out), and the length rule counts the "
    "excerpt's words; an auto-coding's span only marks its keyword, so its quote is the turn."
)
# The columns of an idea's candidate excerpts that the rule reads (`exemplar_quotes`).
_CANDIDATE_COLUMNS = (
    "segment_id",
    "code_id",
    "transcript_id",
    "turn",
    "speaker",
    "participant_id",
    "role",
    "assent",
    "start_char",
    "end_char",
    "whole",
    "excerpt",
    "words",
    "flagged",
)
QUOTE_COLUMNS = (
    "idea_id",
    "rank",
    "segment_id",
    "transcript_id",
    "participant_id",
    "speaker",
    "turn",
    "words",
    "label",
    "reference",
    "flagged",
    "also_quoted_for",
    "start_char",
    "end_char",
    "text",
)


def label_fields(data: StudyData) -> list[str]:
    """The fields a quote label may use: the turn's own and every roster attribute."""
    fields = ["participant_id", "transcript_id", "speaker", "turn", "segment_id"]
    if data.roster is not None:
        fields += [c for c in data.roster.columns if c not in fields]
    return fields


def check_label(template: str, data: StudyData) -> None:
    """Every `{field}` of `template` must be a known field (QualcodeError naming them otherwise)."""
    allowed = label_fields(data)
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise QualcodeError(
            f"quote label {template!r} is not a valid template: {exc}",
            hint='write fields in braces, e.g. "{participant_id}, {site}"',
        ) from None
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise QualcodeError(
            f"quote label names unknown field(s): {', '.join(unknown)}",
            hint=f"fields: {', '.join(allowed)}",
        )


def _attributes(data: StudyData) -> _Attributes | dict[str, dict[str, str]]:
    """participant_id -> roster attributes (first row of each participant)."""
    if data.roster is None or "participant_id" not in data.roster.columns:
        return {}
    return _Attributes(data.roster[data.roster["participant_id"].astype(str) != ""])


class _Attributes:
    """The roster attributes of a participant (their first row, every value as text), looked up
    when a quote is labelled: a few quotes per idea, not a dict of every roster row."""

    def __init__(self, roster: pd.DataFrame) -> None:
        self._roster = roster
        self._first: dict[str, int] | None = None

    def get(self, participant_id: str, default: dict[str, str]) -> dict[str, str]:
        if self._first is None:
            self._first = {}
            for i, p in enumerate(self._roster["participant_id"].astype(str).tolist()):
                self._first.setdefault(p, i)
        i = self._first.get(participant_id)
        if i is None:
            return default
        return self._roster.iloc[[i]].astype(str).to_dict(orient="records")[0]


def _keyword_patterns(data: StudyData) -> dict[str, re.Pattern[str] | None]:
    """Per code, one case-insensitive whole-word pattern of its keywords (None without any)."""
    out: dict[str, re.Pattern[str] | None] = {}
    cb = data.codebook
    if cb is None:
        return out
    for code in cb.codes():
        words = [k for k in (getattr(code, "keywords", None) or []) if str(k).strip()]
        if not words:
            out[code.id] = None
            continue
        alts = "|".join(
            re.escape(str(k).strip()).replace("'", "['\u2019]")
            for k in sorted(words, key=len, reverse=True)
        )
        out[code.id] = re.compile(rf"(?<!\w)(?:{alts})(?!\w)", re.IGNORECASE)
    return out


def _band_distance(words: int) -> int:
    lo, hi = LENGTH_BAND
    return lo - words if words < lo else words - hi if words > hi else 0


def _excerpts(data: StudyData) -> tuple[pd.DataFrame, bool]:
    """The study's excerpts joined to their applied coding (one whole-turn excerpt per coding when
    `data` carries none), and whether row i of it is row i of `data.applied` for every row."""
    applied = data.applied
    ex = data.excerpts
    if ex is None:
        ex = applied[["segment_id", "code_id", "text", "words"]].assign(
            start_char=0,
            end_char=applied["text"].fillna("").astype(str).str.len(),
            whole=True,
            excerpt=applied["text"],
        )
    cols = ["segment_id", "code_id", "start_char", "end_char", "whole", "excerpt", "words"]
    drop = ["words"]
    if "flagged" in ex.columns:  # a #quote flags the excerpt it was written on
        cols.append("flagged")
        drop.append("flagged")
    ex = ex[cols]
    # The turn's text is not carried over: a candidate's text is its excerpt.
    drop.append("text")
    applied = applied.drop(columns=[c for c in drop if c in applied.columns])
    if _aligned(applied, ex):
        # One whole-turn excerpt per coding, in the codings' order (codings without spans): the
        # merge's rows, side by side (a merge hashes millions of id strings, issue 19).
        import pandas as pd

        frame = pd.concat(
            [
                applied.reset_index(drop=True),
                ex.drop(columns=["segment_id", "code_id"]).reset_index(drop=True),
            ],
            axis=1,
        )
        return frame, True
    return applied.merge(ex, on=["segment_id", "code_id"], how="inner"), False


def _aligned(applied: pd.DataFrame, ex: pd.DataFrame) -> bool:
    """Whether row i of `ex` is the excerpt of row i of `applied`, for every row."""
    import numpy as np

    return len(applied) == len(ex) and all(
        np.array_equal(applied[c].to_numpy(dtype=object), ex[c].to_numpy(dtype=object))
        for c in ("segment_id", "code_id")
    )


def _other_codes(applied: pd.DataFrame, ex: pd.DataFrame, segment_codes: np.ndarray | None = None):
    """Per candidate excerpt: how many other codes its turn carries (rule 5), counted as the
    applied rows of its segment (one row per (segment, code): `load_study`), on integer codes of
    the segment ids (a groupby and a dict over millions of id strings grow faster, issue 19).
    `segment_codes`: the applied rows' codes, already made, when `ex` is row for row `applied`."""
    import numpy as np

    from qualcode.idcodes import factorize

    if segment_codes is not None:
        return np.bincount(segment_codes)[segment_codes] - 1
    m = len(applied)
    codes = factorize(
        np.concatenate(
            [
                applied["segment_id"].to_numpy(dtype=object),
                ex["segment_id"].to_numpy(dtype=object),
            ]
        )
    )[0]
    return np.bincount(codes[:m], minlength=codes.max(initial=-1) + 1)[codes[m:]] - 1


def _rows_by_code(code_id: pd.Series) -> dict[str, np.ndarray]:
    """Code -> the positions of its rows, ascending."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(code_id)  # a few hundred codes: a small table
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {
        code: order[bounds[k] : bounds[k + 1]].astype(np.int64, copy=False)
        for k, code in enumerate(uniques.tolist())
    }


def exemplar_quotes(
    data: StudyData,
    idea_ids: list[str],
    n: int,
    *,
    label_template: str = DEFAULT_LABEL,
    segment_codes: np.ndarray | None = None,
) -> pd.DataFrame:
    """Up to `n` quotes per idea by QUOTE_RULE, ideas in the given (codebook) order.
    `segment_codes`: integer codes of `data.applied`'s segment ids, when the caller has them."""
    import numpy as np
    import pandas as pd

    if n <= 0 or data.applied.empty:
        return pd.DataFrame([], columns=list(QUOTE_COLUMNS))
    check_label(label_template, data)
    applied = data.applied
    rank_of = {t: i for i, t in enumerate(data.transcripts)}
    patterns = _keyword_patterns(data)
    people = _attributes(data)
    ex, aligned = _excerpts(data)
    other_codes = _other_codes(applied, ex, segment_codes if aligned else None)
    # Plain lists of the columns (iterating pandas string columns, or itertuples, goes through
    # __getitem__ per element: most of this function's time at a million turns, issue 19).
    col = {c: ex[c].tolist() for c in _CANDIDATE_COLUMNS if c in ex.columns}
    segment_id, transcript_id = col["segment_id"], col["transcript_id"]
    participant_id, speaker, excerpt = col["participant_id"], col["speaker"], col["excerpt"]
    turn = [int(t) for t in col["turn"]]
    start_char = [int(s) for s in col["start_char"]]
    end_char, whole, words = col["end_char"], col["whole"], col["words"]
    flagged = [bool(f) for f in col["flagged"]] if "flagged" in col else [False] * len(ex)
    assent = [bool(a) for a in col["assent"]] if "assent" in col else [False] * len(ex)
    # The static part of the rule's key (rules 1 and 4-8) per excerpt; rules 2 and 3 depend on
    # the quotes chosen so far and are looked at while choosing.
    static = np.array(
        [
            [not flagged[i] for i in range(len(ex))],
            [r != ROLE_PARTICIPANT for r in col["role"]],
            assent,
            other_codes,
            [_band_distance(int(w)) for w in words],
            [rank_of.get(t, len(rank_of)) for t in transcript_id],
            turn,
            start_char,
        ],
        dtype=np.int64,
    ).reshape(8, len(ex))
    by_code = _rows_by_code(ex["code_id"])
    # segment_id -> (start, end, idea) of the excerpts quoted so far: an excerpt sharing text with
    # one of them is a reuse (for a whole-turn excerpt: any quote from that turn).
    used: dict[str, list[tuple[int, int, str]]] = {}

    def reused(i: int) -> str:
        for s, e, idea in used.get(segment_id[i], ()):
            if s < end_char[i] and start_char[i] < e:
                return idea
        return ""

    rows: list[dict[str, Any]] = []
    for idea in idea_ids:
        positions = by_code.get(idea)
        if positions is None:
            continue
        pattern = patterns.get(idea)
        hits = np.zeros(len(positions), dtype=np.int64)
        if pattern is not None:
            for k, i in enumerate(positions.tolist()):
                text = "" if excerpt[i] is None else str(excerpt[i])
                if text:
                    hits[k] = len(pattern.findall(text))
        idx = positions
        s = static[:, idx]
        # The candidates sorted by the whole key but rules 2 and 3 (ties: first in the table).
        ranked = np.lexsort((idx, s[7], s[6], s[5], s[4], -hits, s[3], s[2], s[1], s[0]))
        alive = idx[ranked].tolist()
        not_flagged = static[0]
        seen_people: set[str] = set()
        seen_groups: set[str] = set()
        for rank in range(1, n + 1):
            if not alive:
                break
            # The first candidate (in key order) with the least (reused, group seen, person seen)
            # among those of the first one's flag: the least key of QUOTE_RULE.
            first_flag = not_flagged[alive[0]]
            best, best_dynamic = 0, None
            for j, i in enumerate(alive):
                if not_flagged[i] != first_flag:
                    break
                pid = participant_id[i]
                dynamic = (
                    bool(reused(i)),
                    transcript_id[i] in seen_groups,
                    bool(pid) and pid in seen_people,
                )
                if best_dynamic is None or dynamic < best_dynamic:
                    best, best_dynamic = j, dynamic
                    if dynamic == (False, False, False):
                        break
            i = alive.pop(best)
            # A flagged turn is the researcher's choice even when it serves two ideas; still marked.
            also = reused(i)
            used.setdefault(segment_id[i], []).append(
                (start_char[i], int(end_char[i]), also or idea)
            )
            pid = participant_id[i]
            if pid:
                seen_people.add(pid)
            seen_groups.add(transcript_id[i])
            fields = {
                **people.get(str(pid), {}),
                "participant_id": pid or speaker[i] or "unknown speaker",
                "transcript_id": transcript_id[i],
                "speaker": speaker[i],
                "turn": turn[i],
                "segment_id": segment_id[i],
            }
            label = label_template.format_map(_Blank(fields))
            who = pid or speaker[i] or "unknown speaker"
            rows.append(
                {
                    "idea_id": idea,
                    "rank": rank,
                    "segment_id": segment_id[i],
                    "transcript_id": transcript_id[i],
                    "participant_id": pid,
                    "speaker": speaker[i],
                    "turn": turn[i],
                    "words": int(words[i]),
                    "label": label,
                    "reference": f"{transcript_id[i]}, {who}, turn {turn[i]}",
                    "flagged": flagged[i],
                    "also_quoted_for": also,
                    "start_char": "" if whole[i] else start_char[i],
                    "end_char": "" if whole[i] else int(end_char[i]),
                    "text": excerpt[i],
                }
            )
    return pd.DataFrame(rows, columns=list(QUOTE_COLUMNS))


class _Blank(dict):
    """Template values; a participant without that attribute gets an empty field."""

    def __missing__(self, key: str) -> str:
        return ""
