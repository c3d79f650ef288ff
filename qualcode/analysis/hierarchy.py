"""The Auerbach & Silverstein (2003) hierarchy with its counts: constructs > themes > repeating ideas.

Counting rules (docs/method.md, "Counting in focus groups"): three counts per node, mentions (coded
segments), participants (distinct participant_ids) and groups (distinct transcripts); a parent takes the
union of its children (a participant counts once), never the sum; facilitator turns are dropped before
counting (see `qualcode.analysis.data`); unknown speakers count toward mentions and groups only. An idea
voiced by fewer than two participants is not (yet) a repeating idea (the two-participant rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from qualcode.analysis.data import StudyData
from qualcode.analysis.demographics import percent_text
from qualcode.analysis.result import ReportResult
from qualcode.model import ROLE_PARTICIPANT

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MIN_PARTICIPANTS = 2  # Auerbach & Silverstein: an idea voiced by two or more participants
DOMINANT_SHARE = 0.5  # one participant supplying half or more of an idea's segments
SHORT_QUOTE_WORDS = 8  # shorter turns ("Yeah, same.") make poor exemplars

FLAG_BELOW_TWO = "below-two-participants"
FLAG_ONE_GROUP = "one-group-only"
FLAG_NEVER_APPLIED = "never-applied"
FLAG_DOMINANT = "dominant-participant"

HIERARCHY_COLUMNS = (
    "level",
    "id",
    "label",
    "parent_id",
    "mentions",
    "participants",
    "groups",
    "flags",
    "summary",
)


@dataclass
class HierarchyReport(ReportResult):
    """Counts per node in codebook order, flags, exemplar quotes, the idea x group matrix and the
    leftovers (minor themes and diverse cases, COREQ item 32)."""

    hierarchy: pd.DataFrame
    flags: pd.DataFrame
    quotes: pd.DataFrame
    matrix: pd.DataFrame
    leftovers: pd.DataFrame
    n_groups: int = 0
    n_participants: int = 0
    facilitator_mentions_excluded: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    terminal_hide: ClassVar[dict[str, tuple[str, ...]]] = {
        "hierarchy": ("parent_id", "summary"),
        "flags": ("label",),
        "quotes": (
            "idea_label",
            "transcript_id",
            "participant_id",
            "speaker",
            "turn",
            "segment_id",
        ),
    }

    def __post_init__(self) -> None:
        self.kind = "hierarchy"
        self.title = "Constructs, themes and repeating ideas"

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "hierarchy": self.hierarchy,
            "flags": self.flags,
            "quotes": self.quotes,
            "matrix": self.matrix,
            "leftovers": self.leftovers,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "groups": self.n_groups,
            "participants": self.n_participants,
            "facilitator_mentions_excluded": self.facilitator_mentions_excluded,
            **self.counts,
        }


def voiced_sentence(groups: int, n_groups: int, participants: int, n_participants: int) -> str:
    """ "voiced in 4 of 5 groups by 12 of 33 participants" (docs/method.md)."""
    g = "group" if n_groups == 1 else "groups"
    p = "participant" if n_participants == 1 else "participants"
    return f"voiced in {groups} of {n_groups} {g} by {participants} of {n_participants} {p}"


def _tree(data: StudyData) -> list[tuple[str, str, str, str, list[str]]]:
    """(level, id, label, parent_id, leaf code ids) for every node, in codebook display order."""
    nodes: list[tuple[str, str, str, str, list[str]]] = []
    cb = data.codebook
    if cb is None:
        return [("idea", c, data.labels.get(c, c), "", [c]) for c in data.code_ids]

    def add_theme(theme, parent: str) -> None:
        nodes.append(("theme", theme.id, theme.label, parent, [c.id for c in theme.codes]))
        for code in theme.codes:
            nodes.append(("idea", code.id, code.label, theme.id, [code.id]))

    for construct in cb.constructs:
        leaves = [c.id for t in construct.themes for c in t.codes]
        nodes.append(("construct", construct.id, construct.label, "", leaves))
        for theme in construct.themes:
            add_theme(theme, construct.id)
    for theme in cb.themes:
        add_theme(theme, "")
    for code in cb.flat_codes:
        nodes.append(("idea", code.id, code.label, "", [code.id]))
    return nodes


def hierarchy_report(
    data: StudyData, *, quotes: int = 3, min_participants: int = MIN_PARTICIPANTS
) -> HierarchyReport:
    """Counts, flags, quotes, matrix and leftovers for the study in `data`."""
    import pandas as pd

    applied = data.applied
    n_groups = len(data.transcripts)
    n_participants = len(data.participants())
    nodes = _tree(data)

    # One pass per level: map each applied row to every node that contains its code, then count
    # distinct segments / participants / transcripts per node (the union of the children).
    node_of_code: list[tuple[str, int]] = [
        (code, i) for i, (_, _, _, _, leaves) in enumerate(nodes) for code in leaves
    ]
    link = pd.DataFrame(node_of_code, columns=["code_id", "node"])
    joined = applied.merge(link, on="code_id", how="inner")
    people = joined[joined["participant_id"] != ""]
    mentions = joined.groupby("node")["segment_id"].nunique()
    participants = people.groupby("node")["participant_id"].nunique()
    groups = joined.groupby("node")["transcript_id"].nunique()

    idea_rows = applied.groupby("code_id")
    # Groups where an idea's identified participants voiced it (method.md: flag ideas whose
    # participants all sit in one group; an unknown speaker elsewhere does not spread it).
    people_groups = (
        applied[applied["participant_id"] != ""].groupby("code_id")["transcript_id"].unique()
    )
    per_participant = (
        applied[applied["participant_id"] != ""]
        .groupby(["code_id", "participant_id"])["segment_id"]
        .nunique()
    )

    rows: list[dict[str, Any]] = []
    flag_rows: list[dict[str, Any]] = []
    for key, (level, node_id, label, parent, _leaves) in enumerate(nodes):
        m = int(mentions.get(key, 0))
        p = int(participants.get(key, 0))
        g = int(groups.get(key, 0))
        flags: list[tuple[str, str]] = []
        if m == 0:
            flags.append((FLAG_NEVER_APPLIED, f"{level} never applied"))
        elif level == "idea":
            if p < min_participants:
                flags.append(
                    (
                        FLAG_BELOW_TWO,
                        f"{p} participant{'s' if p != 1 else ''} (the rule asks for "
                        f"{min_participants} or more)",
                    )
                )
            where = people_groups.get(node_id)
            if p > 0 and len(where) == 1 and n_groups > 1:
                text = f"voiced in {where[0]} only"
                if g > 1:
                    text = f"its participants all sit in {where[0]} (unknown speakers elsewhere)"
                flags.append((FLAG_ONE_GROUP, text))
            elif p == 0 and g == 1 and n_groups > 1:
                only = idea_rows.get_group(node_id)["transcript_id"].iat[0]
                flags.append((FLAG_ONE_GROUP, f"voiced in {only} only"))
            if p >= min_participants and node_id in per_participant.index.get_level_values(0):
                counts = per_participant.loc[node_id]
                top = int(counts.max())
                leaders = counts[counts == top].index.tolist()
                # "One participant": two people supplying half each is balance, not dominance.
                if len(leaders) == 1 and top / m >= DOMINANT_SHARE:
                    flags.append(
                        (
                            FLAG_DOMINANT,
                            f"{leaders[0]} supplied {top} of {m} segments "
                            f"({percent_text(top / m)})",
                        )
                    )
        for slug, detail in flags:
            flag_rows.append(
                {"level": level, "id": node_id, "label": label, "flag": slug, "detail": detail}
            )
        rows.append(
            {
                "level": level,
                "id": node_id,
                "label": label,
                "parent_id": parent,
                "mentions": m,
                "participants": p,
                "groups": g,
                "flags": "; ".join(s for s, _ in flags),
                "summary": voiced_sentence(g, n_groups, p, n_participants),
            }
        )
    hierarchy = pd.DataFrame(rows, columns=list(HIERARCHY_COLUMNS))
    flags_df = pd.DataFrame(flag_rows, columns=["level", "id", "label", "flag", "detail"])

    ideas = hierarchy[hierarchy["level"] == "idea"]
    leftovers = _leftovers(data, ideas, min_participants)
    counts = {
        "constructs": int((hierarchy["level"] == "construct").sum()),
        "themes": int((hierarchy["level"] == "theme").sum()),
        "ideas": len(ideas),
        "repeating_ideas": int((ideas["participants"] >= min_participants).sum()),
        "ideas_applied": int((ideas["mentions"] > 0).sum()),
    }
    report = HierarchyReport(
        hierarchy=hierarchy,
        flags=flags_df,
        quotes=_quotes(data, ideas, quotes),
        matrix=_matrix(data, ideas),
        leftovers=leftovers,
        n_groups=n_groups,
        n_participants=n_participants,
        facilitator_mentions_excluded=data.facilitator_mentions_excluded,
        counts=counts,
    )
    report.notes.append(
        "Counts: mentions = coded segments, participants = distinct participant ids, groups = "
        "distinct transcripts; a theme or construct counts the union of its ideas."
    )
    if data.include_facilitator:
        report.notes.append("Facilitator turns are included in the counts (on request).")
    else:
        report.notes.append(
            f"Facilitator turns are excluded ({data.facilitator_mentions_excluded} coded "
            "facilitator segment(s) not counted)."
        )
    report.notes.append(
        "Segments by unknown speakers count toward mentions and groups, not participants."
    )
    report.notes.extend(data.notes)
    return report


def _leftovers(data: StudyData, ideas: pd.DataFrame, min_participants: int) -> pd.DataFrame:
    """Minor themes and diverse cases: applied ideas voiced by fewer than two participants, and
    ideas that fit no theme (or themes that fit no construct when the codebook has constructs)."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    cb = data.codebook
    for idea in ideas.itertuples(index=False):
        reasons = []
        if idea.mentions > 0 and idea.participants < min_participants:
            who = "one participant" if idea.participants == 1 else "no identified participant"
            reasons.append(f"voiced by {who} (diverse case)")
        if cb is not None and (cb.themes or cb.constructs) and idea.parent_id == "":
            reasons.append("fits no theme")
        for reason in reasons:
            rows.append(
                {
                    "kind": "idea",
                    "id": idea.id,
                    "label": idea.label,
                    "reason": reason,
                    "mentions": idea.mentions,
                    "participants": idea.participants,
                    "groups": idea.groups,
                }
            )
    if cb is not None and cb.constructs:
        applied_themes = data.applied.merge(
            pd.DataFrame(
                [(c.id, t.id) for t in cb.themes for c in t.codes], columns=["code_id", "theme"]
            ),
            on="code_id",
        )
        for theme in cb.themes:
            sub = applied_themes[applied_themes["theme"] == theme.id]
            rows.append(
                {
                    "kind": "theme",
                    "id": theme.id,
                    "label": theme.label,
                    "reason": "fits no construct",
                    "mentions": sub["segment_id"].nunique(),
                    "participants": sub.loc[
                        sub["participant_id"] != "", "participant_id"
                    ].nunique(),
                    "groups": sub["transcript_id"].nunique(),
                }
            )
    return pd.DataFrame(
        rows, columns=["kind", "id", "label", "reason", "mentions", "participants", "groups"]
    )


def _quotes(data: StudyData, ideas: pd.DataFrame, n: int) -> pd.DataFrame:
    """Up to `n` exemplar quotes per idea, chosen to spread over participants and groups first,
    preferring identified participants and turns of some substance, then data-collection order."""
    import pandas as pd

    columns = [
        "idea_id",
        "idea_label",
        "rank",
        "reference",
        "transcript_id",
        "participant_id",
        "speaker",
        "turn",
        "segment_id",
        "text",
    ]
    if n <= 0 or data.applied.empty:
        return pd.DataFrame([], columns=columns)
    rank_of = {t: i for i, t in enumerate(data.transcripts)}
    applied = data.applied.assign(
        q_rank=data.applied["transcript_id"].map(rank_of),
        q_short=data.applied["text"].str.split().str.len().fillna(0) < SHORT_QUOTE_WORDS,
        q_unknown=data.applied["role"] != ROLE_PARTICIPANT,
    ).sort_values(["q_rank", "turn"], kind="stable")
    rows: list[dict[str, Any]] = []
    by_code = dict(tuple(applied.groupby("code_id", sort=False)))
    for idea in ideas.itertuples(index=False):
        sub = by_code.get(idea.id)
        if sub is None:
            continue
        candidates = list(sub.itertuples(index=False))
        seen_people: set[str] = set()
        seen_groups: set[str] = set()
        for rank in range(1, n + 1):
            if not candidates:
                break
            best = min(
                range(len(candidates)),
                key=lambda i: (
                    bool(candidates[i].participant_id)
                    and candidates[i].participant_id in seen_people,
                    candidates[i].transcript_id in seen_groups,
                    candidates[i].q_unknown,
                    candidates[i].q_short,
                    candidates[i].q_rank,
                    candidates[i].turn,
                ),
            )
            c = candidates.pop(best)
            seen_people.add(c.participant_id)
            seen_groups.add(c.transcript_id)
            who = c.participant_id or c.speaker or "unknown speaker"
            rows.append(
                {
                    "idea_id": idea.id,
                    "idea_label": idea.label,
                    "rank": rank,
                    "reference": f"{c.transcript_id}, {who}, turn {c.turn}",
                    "transcript_id": c.transcript_id,
                    "participant_id": c.participant_id,
                    "speaker": c.speaker,
                    "turn": int(c.turn),
                    "segment_id": c.segment_id,
                    "text": c.text,
                }
            )
    return pd.DataFrame(rows, columns=columns)


def _matrix(data: StudyData, ideas: pd.DataFrame) -> pd.DataFrame:
    """Idea x group; each cell = distinct participants in that group who voiced the idea."""
    import pandas as pd

    people = data.applied[data.applied["participant_id"] != ""]
    cells = people.groupby(["code_id", "transcript_id"])["participant_id"].nunique()
    table = cells.unstack(fill_value=0) if len(cells) else pd.DataFrame()
    table = table.reindex(index=ideas["id"].tolist(), columns=data.transcripts, fill_value=0)
    table = table.fillna(0).astype(int)
    out = pd.DataFrame({"id": ideas["id"].tolist(), "label": ideas["label"].tolist()})
    for t in data.transcripts:
        out[t] = table[t].to_numpy()
    out["participants"] = ideas["participants"].to_numpy()
    return out
