"""Exemplar quotes that exemplify (docs/method.md, "Counting in focus groups"; Auerbach & Silverstein
2003: the participants' words that best voice the idea; COREQ item 30, data and findings consistent).

One rule for the hierarchy and the narrative (QUOTE_RULE). Among an idea's coded turns:
1. a turn the researcher flagged for this idea (`#quote` in the coding's memo) always wins;
2. a turn not yet quoted for another idea in the report (one quote serves one idea; when no other
   turn is left it is reused and marked);
3. a group, then a participant, not yet quoted for this idea (spread across groups);
4. identified participants before unknown speakers; turns that voice the idea (at least the
   minimum words) before brief assent;
5. specific to the idea: as few other codes on the turn as possible;
6. more hits of the idea's keywords in the turn;
7. a moderate length: inside LENGTH_BAND words, else nearest to it (not the longest turn);
8. data-collection order, then turn.
Quotes are whole coded turns, verbatim, labelled from `label_template` (roster attributes).
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
    codes_per_segment = applied.groupby("segment_id")["code_id"].nunique()
    patterns = _keyword_patterns(data)
    people = _attributes(data)
    by_code = dict(tuple(applied.groupby("code_id", sort=False)))
    used: dict[str, str] = {}  # segment_id -> the first idea it was quoted for
    rows: list[dict[str, Any]] = []
    for idea in idea_ids:
        sub = by_code.get(idea)
        if sub is None:
            continue
        pattern = patterns.get(idea)
        candidates = []
        for c in sub.itertuples(index=False):
            text = "" if c.text is None else str(c.text)
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
                    r.segment_id in used,
                    r.transcript_id in groups,
                    bool(r.participant_id) and r.participant_id in people,
                    x["unknown"],
                    x["assent"],
                    x["others"],
                    -x["hits"],
                    x["band"],
                    x["order"],
                    int(r.turn),
                )

            best = min(range(len(candidates)), key=lambda i: key(candidates[i]))
            chosen = candidates.pop(best)
            c = chosen["row"]
            # A flagged turn is the researcher's choice even when it serves two ideas; still marked.
            also = used.get(c.segment_id, "")
            used.setdefault(c.segment_id, idea)
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
                    "text": c.text,
                }
            )
    return pd.DataFrame(rows, columns=list(QUOTE_COLUMNS))


class _Blank(dict):
    """Template values; a participant without that attribute gets an empty field."""

    def __missing__(self, key: str) -> str:
        return ""
