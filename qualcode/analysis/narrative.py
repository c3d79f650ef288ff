"""A scaffold for the theoretical narrative (Auerbach & Silverstein 2003, ch. 6): one section per
construct, then its themes and repeating ideas with their counts and the strongest quotes.

The scaffold holds only what the data and the codebook say: labels and definitions written by the
researcher, counts from `qualcode.analysis.hierarchy` ("voiced in 4 of 5 groups by 12 of 33
participants"), verbatim quotes with their group, participant and turn, and clearly marked
placeholders ("[Write here: ...]") where the researcher writes. No prose is generated.

Strongest quotes (a documented rule, not a judgement of meaning): among an idea's coded segments,
identified participants before unknown speakers; one quote per participant before a second from
anyone, and a new group before a group already quoted; then the longest turn (in words); ties by
data-collection order and turn. So the N quotes are the fullest statements from as many different
people and groups as the data allow. Quotes are whole coded turns, verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from qualcode.analysis.data import StudyData
from qualcode.analysis.hierarchy import HierarchyReport, hierarchy_report
from qualcode.analysis.result import ReportResult, json_value, records
from qualcode.model import ROLE_PARTICIPANT

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

QUOTE_RULE = (
    "Strongest quotes: identified participants first; one quote per participant and per group "
    "before a second; then the longest turn (words); ties by data-collection order and turn."
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
    "reference",
    "text",
)
OUTLINE_COLUMNS = (
    "level",
    "id",
    "label",
    "parent_id",
    "definition",
    "mentions",
    "participants",
    "groups",
    "summary",
    "flags",
)
PLACEHOLDERS = {
    "construct": "[Write here: the story this construct tells, in the language of theory.]",
    "theme": "[Write here: this theme in your words, weaving in the participants' quotes below.]",
    "leftovers": "[Write here: how these minor themes and diverse cases relate to the story.]",
}


def placeholder(level: str) -> str:
    return PLACEHOLDERS[level]


@dataclass
class NarrativeReport(ReportResult):
    """The outline (construct > theme > idea, codebook order, with counts), the chosen quotes and
    the leftovers; `sections()` nests them for renderers."""

    outline: pd.DataFrame
    quotes: pd.DataFrame
    leftovers: pd.DataFrame
    n_groups: int
    n_participants: int
    quotes_per_idea: int
    codebook_title: str = ""
    terminal_hide: ClassVar[dict[str, tuple[str, ...]]] = {
        "outline": ("parent_id", "definition"),
        "quotes": ("segment_id", "transcript_id", "participant_id", "speaker", "turn", "words"),
    }

    def __post_init__(self) -> None:
        self.kind = "narrative"
        self.title = "Theoretical narrative (scaffold)"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"outline": self.outline, "quotes": self.quotes, "leftovers": self.leftovers}

    def summary(self) -> dict[str, Any]:
        return {
            "codebook": self.codebook_title,
            "groups": self.n_groups,
            "participants": self.n_participants,
            "quotes_per_idea": self.quotes_per_idea,
            "quotes": len(self.quotes),
        }

    def sections(self) -> list[dict[str, Any]]:
        """Nested nodes in codebook order: each {level, id, label, definition, counts..., summary,
        placeholder, children, quotes}. Top-level themes and ideas are their own sections."""
        quotes: dict[str, list[dict[str, Any]]] = {}
        for q in records(self.quotes):
            quotes.setdefault(q["idea_id"], []).append(q)
        nodes: dict[str, dict[str, Any]] = {}
        top: list[dict[str, Any]] = []
        for row in records(self.outline):
            node = {
                **row,
                "placeholder": PLACEHOLDERS.get(row["level"], ""),
                "children": [],
                "quotes": quotes.get(row["id"], []) if row["level"] == "idea" else [],
            }
            nodes[row["id"]] = node
            parent = nodes.get(row["parent_id"]) if row["parent_id"] else None
            (parent["children"] if parent is not None else top).append(node)
        return top

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["sections"] = json_value(self.sections())
        return out


def strongest_quotes(data: StudyData, idea_ids: list[str], n: int) -> pd.DataFrame:
    """Up to `n` quotes per idea by the rule in QUOTE_RULE (verbatim coded turns)."""
    import pandas as pd

    if n <= 0 or data.applied.empty:
        return pd.DataFrame([], columns=list(QUOTE_COLUMNS))
    rank_of = {t: i for i, t in enumerate(data.transcripts)}
    applied = data.applied.assign(
        q_rank=data.applied["transcript_id"].map(rank_of).fillna(len(rank_of)),
        q_words=data.applied["text"].fillna("").str.split().str.len().fillna(0).astype(int),
        q_unknown=data.applied["role"] != ROLE_PARTICIPANT,
    )
    by_code = dict(tuple(applied.groupby("code_id", sort=False)))
    rows: list[dict[str, Any]] = []
    for idea in idea_ids:
        sub = by_code.get(idea)
        if sub is None:
            continue
        candidates = list(sub.itertuples(index=False))
        people: set[str] = set()
        groups: set[str] = set()
        for rank in range(1, n + 1):
            if not candidates:
                break
            best = min(
                range(len(candidates)),
                key=lambda i: (
                    candidates[i].q_unknown,
                    candidates[i].participant_id in people,
                    candidates[i].transcript_id in groups,
                    -candidates[i].q_words,
                    candidates[i].q_rank,
                    candidates[i].turn,
                ),
            )
            c = candidates.pop(best)
            if c.participant_id:
                people.add(c.participant_id)
            groups.add(c.transcript_id)
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
                    "words": int(c.q_words),
                    "reference": f"{c.transcript_id}, {who}, turn {int(c.turn)}",
                    "text": c.text,
                }
            )
    return pd.DataFrame(rows, columns=list(QUOTE_COLUMNS))


def _definitions(data: StudyData) -> dict[str, str]:
    cb = data.codebook
    if cb is None:
        return {}
    out: dict[str, str] = {}
    for construct in cb.constructs:
        out[construct.id] = construct.definition
    for theme in cb.all_themes():
        out[theme.id] = theme.definition
    for code in cb.codes():
        out[code.id] = code.definition
    return out


def narrative_report(
    data: StudyData, *, quotes: int = 3, hierarchy: HierarchyReport | None = None
) -> NarrativeReport:
    """The scaffold for the study in `data`; `hierarchy` reuses an already computed hierarchy."""
    if hierarchy is None:
        hierarchy = hierarchy_report(data, quotes=0)
    h = hierarchy.hierarchy
    definitions = _definitions(data)
    outline = h[["level", "id", "label", "parent_id"]].copy()
    outline["definition"] = [definitions.get(i, "") for i in h["id"]]
    for col in ("mentions", "participants", "groups", "summary", "flags"):
        outline[col] = h[col].to_numpy()
    outline = outline[list(OUTLINE_COLUMNS)].reset_index(drop=True)
    ideas = h.loc[h["level"] == "idea", "id"].tolist()
    report = NarrativeReport(
        outline=outline,
        quotes=strongest_quotes(data, ideas, quotes),
        leftovers=hierarchy.leftovers,
        n_groups=hierarchy.n_groups,
        n_participants=hierarchy.n_participants,
        quotes_per_idea=quotes,
        codebook_title=data.codebook.title if data.codebook is not None else "",
    )
    report.notes.append(
        "A scaffold, not a narrative: labels and definitions are the codebook's, counts are the "
        "hierarchy's, quotes are verbatim coded turns; write at the [Write here: ...] marks."
    )
    report.notes.append(QUOTE_RULE)
    report.notes.extend(n for n in hierarchy.notes if n.startswith(("Counts:", "Facilitator")))
    report.warnings.extend(hierarchy.warnings)
    return report
