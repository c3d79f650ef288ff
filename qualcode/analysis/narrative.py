"""A scaffold for the theoretical narrative (Auerbach & Silverstein 2003, ch. 6): one section per
construct, then its themes and repeating ideas with their counts and the strongest quotes.

The scaffold holds only what the data and the codebook say: labels and definitions written by the
researcher, counts from `qualcode.analysis.hierarchy` ("voiced in 4 of 5 groups by 12 of 33
participants"), verbatim quotes with their group, participant and turn, and clearly marked
placeholders ("[Write here: ...]") where the researcher writes. No prose is generated.

Exemplar quotes follow one documented rule with the hierarchy (`qualcode.analysis.quotes`): a turn
the researcher flagged (#quote) wins; otherwise quotes that exemplify (specific to the idea, keyword
hits, moderate length, not brief assent), one idea per quote unless marked, spread across groups.
Quotes are whole coded turns, verbatim, labelled with the participant and chosen roster attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from qualcode.analysis.data import StudyData
from qualcode.analysis.hierarchy import HierarchyReport, hierarchy_report
from qualcode.analysis.quotes import QUOTE_RULE
from qualcode.analysis.result import ReportResult, json_value, records

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

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
    "leftovers": "[Write here: how these leftovers (ideas voiced by one participant, ideas that "
    "fit no theme) and any negative cases relate to the story.]",
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
    source_noun: tuple[str, str] = ("group", "groups")  # hierarchy.source_noun
    terminal_hide: ClassVar[dict[str, tuple[str, ...]]] = {
        "outline": ("parent_id", "definition"),
        "quotes": (
            "segment_id",
            "transcript_id",
            "participant_id",
            "speaker",
            "turn",
            "words",
            "reference",
            "flagged",
            "start_char",
            "end_char",
        ),
    }

    def __post_init__(self) -> None:
        self.kind = "narrative"
        self.title = "Theoretical narrative (scaffold)"

    def tables(self) -> dict[str, pd.DataFrame]:
        from qualcode.analysis.hierarchy import worded

        noun = self.source_noun[1]
        return {
            "outline": worded(self.outline, noun),
            "quotes": self.quotes,
            "leftovers": worded(self.leftovers, noun),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "codebook": self.codebook_title,
            self.source_noun[1]: self.n_groups,
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


def strongest_quotes(
    data: StudyData, idea_ids: list[str], n: int, *, quote_label: str | None = None
) -> pd.DataFrame:
    """Up to `n` exemplar quotes per idea by QUOTE_RULE (verbatim coded turns)."""
    from qualcode.analysis.quotes import DEFAULT_LABEL, exemplar_quotes

    return exemplar_quotes(data, idea_ids, n, label_template=quote_label or DEFAULT_LABEL)


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
    data: StudyData,
    *,
    quotes: int = 3,
    hierarchy: HierarchyReport | None = None,
    quote_label: str | None = None,
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
        quotes=strongest_quotes(data, ideas, quotes, quote_label=quote_label),
        leftovers=hierarchy.leftovers,
        n_groups=hierarchy.n_groups,
        n_participants=hierarchy.n_participants,
        quotes_per_idea=quotes,
        codebook_title=data.codebook.title if data.codebook is not None else "",
        source_noun=hierarchy.source_noun,
    )
    report.notes.append(
        "A scaffold, not a narrative: labels and definitions are the codebook's, counts are the "
        "hierarchy's, quotes are verbatim coded "
        + ("turns or excerpts" if data.has_spans else "turns")
        + "; write at the [Write here: ...] marks."
    )
    report.notes.append(QUOTE_RULE + " Mark a quote with #quote in the coding's memo.")
    if data.has_spans:
        from qualcode.analysis.quotes import QUOTE_EXCERPT_RULE

        report.notes.append(QUOTE_EXCERPT_RULE)
    report.notes.extend(
        n
        for n in hierarchy.notes
        if n.startswith(
            (
                "Counts:",
                "Excerpts:",
                "Facilitator",
                "Brief assent",
                "Themes and constructs",
                "These codings",
            )
        )
    )
    from qualcode.analysis.hierarchy import COUNTS_CAVEAT

    report.notes.append(COUNTS_CAVEAT)
    report.warnings.extend(hierarchy.warnings)
    return report
