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


def _attributes(data: StudyData) -> dict[str, dict[str, str]]:
    """participant_id -> roster attributes (first row of each participant)."""
    if data.roster is None or "participant_id" not in data.roster.columns:
        return {}
    r = data.roster[data.roster["participant_id"].astype(str) != ""]
    r = r.drop_duplicates("participant_id")
    return {str(row["participant_id"]): row for row in r.astype(str).to_dict(orient="records")}


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


def _excerpts(data: StudyData) -> pd.DataFrame:
    """The study's excerpts joined to their applied coding (one whole-turn excerpt per coding when
    `data` carries none)."""
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
    applied = applied.drop(columns=[c for c in drop if c in applied.columns])
    return applied.merge(ex, on=["segment_id", "code_id"], how="inner")


def exemplar_quotes(
    data: StudyData,
    idea_ids: list[str],
    n: int,
    *,
    label_template: str = DEFAULT_LABEL,
) -> pd.DataFrame:
    """Up to `n` quotes per idea by QUOTE_RULE, ideas in the given (codebook) order."""
    import pandas as pd

    if n <= 0 or data.applied.empty:
        return pd.DataFrame([], columns=list(QUOTE_COLUMNS))
    check_label(label_template, data)
    applied = data.applied
    rank_of = {t: i for i, t in enumerate(data.transcripts)}
    # A dict: Series.get per candidate turn cost seconds at a million turns (issue 19).
    codes_per_segment = applied.groupby("segment_id")["code_id"].nunique().to_dict()
    patterns = _keyword_patterns(data)
    people = _attributes(data)
    by_code = dict(tuple(_excerpts(data).groupby("code_id", sort=False)))
    # segment_id -> (start, end, idea) of the excerpts quoted so far: an excerpt sharing text with
    # one of them is a reuse (for a whole-turn excerpt: any quote from that turn).
    used: dict[str, list[tuple[int, int, str]]] = {}

    def reused(c: Any) -> str:
        for s, e, idea in used.get(c.segment_id, ()):
            if s < c.end_char and c.start_char < e:
                return idea
        return ""

    rows: list[dict[str, Any]] = []
    for idea in idea_ids:
        sub = by_code.get(idea)
        if sub is None:
            continue
        pattern = patterns.get(idea)
        candidates = []
        for c in sub.itertuples(index=False):
            text = "" if c.excerpt is None else str(c.excerpt)
            hits = len(pattern.findall(text)) if pattern is not None and text else 0
            candidates.append(
                {
                    "row": c,
                    "flagged": bool(getattr(c, "flagged", False)),
                    "unknown": c.role != ROLE_PARTICIPANT,
                    "assent": bool(getattr(c, "assent", False)),
                    "others": int(codes_per_segment.get(c.segment_id, 1)) - 1,
                    "hits": hits,
                    "band": _band_distance(int(c.words)),
                    "order": rank_of.get(c.transcript_id, len(rank_of)),
                }
            )
        seen_people: set[str] = set()
        seen_groups: set[str] = set()
        for rank in range(1, n + 1):
            if not candidates:
                break

            def key(x: dict[str, Any], groups=seen_groups, people=seen_people) -> tuple:
                r = x["row"]
                return (
                    not x["flagged"],
                    bool(reused(r)),
                    r.transcript_id in groups,
                    bool(r.participant_id) and r.participant_id in people,
                    x["unknown"],
                    x["assent"],
                    x["others"],
                    -x["hits"],
                    x["band"],
                    x["order"],
                    int(r.turn),
                    int(r.start_char),
                )

            best = min(range(len(candidates)), key=lambda i: key(candidates[i]))
            chosen = candidates.pop(best)
            c = chosen["row"]
            # A flagged turn is the researcher's choice even when it serves two ideas; still marked.
            also = reused(c)
            used.setdefault(c.segment_id, []).append(
                (int(c.start_char), int(c.end_char), also or idea)
            )
            if c.participant_id:
                seen_people.add(c.participant_id)
            seen_groups.add(c.transcript_id)
            fields = {
                **people.get(str(c.participant_id), {}),
                "participant_id": c.participant_id or c.speaker or "unknown speaker",
                "transcript_id": c.transcript_id,
                "speaker": c.speaker,
                "turn": int(c.turn),
                "segment_id": c.segment_id,
            }
            label = label_template.format_map(_Blank(fields))
            who = c.participant_id or c.speaker or "unknown speaker"
            rows.append(
                {
                    "idea_id": idea,
                    "rank": rank,
                    "segment_id": c.segment_id,
                    "transcript_id": c.transcript_id,
                    "participant_id": c.participant_id,
                    "speaker": c.speaker,
                    "turn": int(c.turn),
                    "words": int(c.words),
                    "label": label,
                    "reference": f"{c.transcript_id}, {who}, turn {int(c.turn)}",
                    "flagged": chosen["flagged"],
                    "also_quoted_for": also,
                    "start_char": "" if c.whole else int(c.start_char),
                    "end_char": "" if c.whole else int(c.end_char),
                    "text": c.excerpt,
                }
            )
    return pd.DataFrame(rows, columns=list(QUOTE_COLUMNS))


class _Blank(dict):
    """Template values; a participant without that attribute gets an empty field."""

    def __missing__(self, key: str) -> str:
        return ""
