"""The Auerbach & Silverstein (2003) hierarchy with its counts: constructs > themes > repeating ideas.

Counting rules (docs/method.md, "Counting in focus groups"): three counts per node, mentions (coded
segments), participants (distinct participant_ids) and groups (distinct transcripts); a parent takes the
union of its children (a participant counts once), never the sum; facilitator turns are dropped before
counting (see `qualcode.analysis.data`); unknown speakers count toward mentions and groups only. An idea
voiced by fewer than two participants is not (yet) a repeating idea (the two-participant rule): it is a
leftover, listed apart, and themes and constructs roll up repeating ideas only. Brief assent (a turn
under the minimum words) is a mention but does not voice an idea: participants and groups count the
turns that do. Codings flagged #negative are negative cases of their idea, listed under it, not counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from qualcode.analysis.data import StudyData
from qualcode.analysis.demographics import percent_text
from qualcode.analysis.result import ReportResult
from qualcode.model import source_nouns

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MIN_PARTICIPANTS = 2  # Auerbach & Silverstein: an idea voiced by two or more participants
DOMINANT_SHARE = 0.5  # one participant supplying half or more of an idea's segments

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
    "assent_only",
    "flags",
    "summary",
)
NEGATIVE_COLUMNS = (
    "idea_id",
    "segment_id",
    "transcript_id",
    "participant_id",
    "speaker",
    "memo",
    "text",
)
LEFTOVER_REASON = "voiced by {who}: a leftover, not a repeating idea"
# Once wherever counts are reported (docs/method.md, "Counting in focus groups").
COUNTS_CAVEAT = (
    "Counts describe the data, not prevalence: in a focus group, silence is not disagreement, and "
    "who speaks to an idea reflects group dynamics (Sandelowski 2001; Onwuegbuzie et al. 2009)."
)


@dataclass
class HierarchyReport(ReportResult):
    """Counts per node in codebook order, flags, exemplar quotes, the idea x group matrix, the
    leftovers (minor themes, COREQ item 32) and the negative cases flagged on codings."""

    hierarchy: pd.DataFrame
    flags: pd.DataFrame
    quotes: pd.DataFrame
    matrix: pd.DataFrame
    leftovers: pd.DataFrame
    negative_cases: pd.DataFrame | None = None
    attributes: pd.DataFrame | None = None  # counts rolled up by code attribute value (16.4)
    memos: pd.DataFrame | None = None  # analytic memos (qualcode.memos), when a folder was given
    n_groups: int = 0
    n_participants: int = 0
    facilitator_mentions_excluded: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    # Transcripts per source type (focus_group, interview, fieldnote, document), when stated.
    sources_by_type: dict[str, int] = field(default_factory=dict)
    # What the transcripts are called in columns and sentences (model.source_nouns): "groups" in a
    # focus-group study, "interviews" or "sources" otherwise.
    source_noun: tuple[str, str] = ("group", "groups")
    terminal_hide: ClassVar[dict[str, tuple[str, ...]]] = {
        "hierarchy": ("parent_id", "summary"),
        "flags": ("label",),
        "memos": ("label", "file"),
        "quotes": (
            "idea_label",
            "transcript_id",
            "participant_id",
            "speaker",
            "turn",
            "segment_id",
            "words",
            "flagged",
            "reference",
            "start_char",
            "end_char",
        ),
    }

    def __post_init__(self) -> None:
        self.kind = "hierarchy"
        self.title = "Constructs, themes and repeating ideas"

    def tables(self) -> dict[str, pd.DataFrame]:
        noun = self.source_noun[1]
        return {
            "hierarchy": worded(self.hierarchy, noun),
            "flags": self.flags,
            "quotes": self.quotes,
            "matrix": self.matrix,
            "leftovers": worded(self.leftovers, noun),
            **(
                {"negative_cases": self.negative_cases}
                if self.negative_cases is not None and len(self.negative_cases)
                else {}
            ),
            **(
                {"attributes": worded(self.attributes, noun)} if self.attributes is not None else {}
            ),
            **({"memos": self.memos} if self.memos is not None else {}),
        }

    def summary(self) -> dict[str, Any]:
        return {
            self.source_noun[1]: self.n_groups,
            "participants": self.n_participants,
            "facilitator_mentions_excluded": self.facilitator_mentions_excluded,
            **self.counts,
            **({"sources_by_type": self.sources_by_type} if self.sources_by_type else {}),
        }


def worded(df: pd.DataFrame, noun: str) -> pd.DataFrame:
    """A table with its `groups` column named for the study's transcripts (`sources`,
    `interviews`); unchanged in a focus-group study."""
    if noun == "groups" or "groups" not in df.columns:
        return df
    return df.rename(columns={"groups": noun})


def voiced_sentence(
    groups: int,
    n_groups: int,
    participants: int,
    n_participants: int,
    noun: tuple[str, str] = ("group", "groups"),
) -> str:
    """ "voiced in 4 of 5 groups by 12 of 33 participants" (docs/method.md); `noun` names the
    transcripts ("sources" in a mixed study, model.source_nouns)."""
    g = noun[0] if n_groups == 1 else noun[1]
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
    data: StudyData,
    *,
    quotes: int = 3,
    min_participants: int = MIN_PARTICIPANTS,
    quote_label: str | None = None,
    memos: list | None = None,
) -> HierarchyReport:
    """Counts, flags, quotes, matrix, leftovers and negative cases for the study in `data`; with
    `memos` (qualcode.memos.Memo records), their table in codebook order, study memos first."""
    import pandas as pd

    from qualcode.analysis.quotes import DEFAULT_LABEL, exemplar_quotes

    applied = data.applied
    assent = applied["assent"] if "assent" in applied.columns else pd.Series(False, applied.index)
    voicing = applied[~assent]
    n_groups = len(data.transcripts)
    n_participants = len(data.participants())
    nodes = _tree(data)
    by_type = sources_by_type(data)
    noun = source_nouns(by_type)

    # Ideas first: mentions are all coded turns (assent too); participants and groups the turns that
    # voice the idea. An idea below the two-participant rule is a leftover.
    ideas_of = {node_id for level, node_id, *_ in nodes if level == "idea"}
    idea_people = (
        voicing[voicing["participant_id"] != ""].groupby("code_id")["participant_id"].nunique()
    )
    repeating = {c for c in ideas_of if int(idea_people.get(c, 0)) >= min_participants}

    # One pass per level: map each applied row to every node that contains its code, then count
    # distinct segments / participants / transcripts per node (the union of the children). Themes and
    # constructs roll up repeating ideas only (leftovers are listed apart, method.md).
    node_of_code: list[tuple[str, int]] = [
        (code, i)
        for i, (level, _, _, _, leaves) in enumerate(nodes)
        for code in leaves
        if level == "idea" or code in repeating
    ]
    link = pd.DataFrame(node_of_code, columns=["code_id", "node"])
    # Only the columns counted: each applied row joins one row per node holding its code (idea,
    # theme, construct), so the text and the other columns would be copied three times.
    counted = ["code_id", "segment_id", "participant_id", "transcript_id"]
    joined = applied[counted].merge(link, on="code_id", how="inner")
    voiced = voicing[counted].merge(link, on="code_id", how="inner")
    people = voiced[voiced["participant_id"] != ""]
    mentions = joined.groupby("node")["segment_id"].nunique()
    participants = people.groupby("node")["participant_id"].nunique()
    groups = voiced.groupby("node")["transcript_id"].nunique()
    all_people = joined[joined["participant_id"] != ""].groupby("node")["participant_id"].nunique()
    # Where codings mark excerpts, also the excerpts per node: distinct (turn, start, end), so an
    # excerpt coded with two ideas of a theme counts once for the theme (the union, as above).
    excerpts = None
    if data.has_spans:
        ex = data.excerpts.merge(link, on="code_id", how="inner")  # type: ignore[union-attr]
        excerpts = (
            ex.drop_duplicates(["node", "segment_id", "start_char", "end_char"])
            .groupby("node")
            .size()
        )

    idea_rows = voicing.groupby("code_id")
    # Groups where an idea's identified participants voiced it (method.md: flag ideas whose
    # participants all sit in one group; an unknown speaker elsewhere does not spread it).
    people_groups = (
        voicing[voicing["participant_id"] != ""].groupby("code_id")["transcript_id"].unique()
    )
    per_participant = (
        voicing[voicing["participant_id"] != ""]
        .groupby(["code_id", "participant_id"])["segment_id"]
        .nunique()
    )

    rows: list[dict[str, Any]] = []
    flag_rows: list[dict[str, Any]] = []
    for key, (level, node_id, label, parent, _leaves) in enumerate(nodes):
        m = int(mentions.get(key, 0))
        p = int(participants.get(key, 0))
        g = int(groups.get(key, 0))
        assent_only = int(all_people.get(key, 0)) - p
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
            elif p == 0 and g == 1 and n_groups > 1 and node_id in idea_rows.groups:
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
                **({"excerpts": int(excerpts.get(key, 0))} if excerpts is not None else {}),
                "participants": p,
                "groups": g,
                "assent_only": assent_only,
                "flags": "; ".join(s for s, _ in flags),
                "summary": voiced_sentence(g, n_groups, p, n_participants, noun),
            }
        )
    columns = list(HIERARCHY_COLUMNS)
    if excerpts is not None:
        columns.insert(columns.index("mentions") + 1, "excerpts")
    hierarchy = pd.DataFrame(rows, columns=columns)
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
    counts["assent_only_pairs"] = int(ideas["assent_only"].sum())
    quote_table = exemplar_quotes(
        data, ideas["id"].tolist(), quotes, label_template=quote_label or DEFAULT_LABEL
    )
    report = HierarchyReport(
        hierarchy=hierarchy,
        flags=flags_df,
        quotes=quote_table.drop(columns=["idea_id"]).assign(
            idea_id=quote_table["idea_id"],
            idea_label=quote_table["idea_id"].map(
                dict(zip(ideas["id"], ideas["label"], strict=True))
            ),
        )[_HIERARCHY_QUOTE_COLUMNS],
        matrix=_matrix(voicing, data, ideas),
        leftovers=leftovers,
        negative_cases=_negative_cases(data),
        attributes=_by_attribute(data),
        n_groups=n_groups,
        n_participants=n_participants,
        facilitator_mentions_excluded=data.facilitator_mentions_excluded,
        counts=counts,
        source_noun=noun,
    )
    report.notes.append(
        f"Counts: mentions = coded segments, participants = distinct participant ids, {noun[1]} = "
        "distinct transcripts; a theme or construct counts the union of its ideas."
    )
    if excerpts is not None:
        report.notes.append(
            "Excerpts: these codings mark excerpts within turns (start_char/end_char). mentions "
            "still counts coded turns (a turn with two excerpts of an idea is one mention); "
            "excerpts = distinct coded excerpts (a coding without a span is one excerpt, the "
            "whole turn; excerpts of one code in one turn that share text are one). "
            f"Participants and {noun[1]} are counted as without excerpts."
        )
    if data.include_facilitator:
        report.notes.append("Facilitator turns are included in the counts (on request).")
    else:
        report.notes.append(
            f"Facilitator turns are excluded ({data.facilitator_mentions_excluded} coded "
            "facilitator segment(s) not counted)."
        )
    report.notes.append(
        f"Segments by unknown speakers count toward mentions and {noun[1]}, not participants."
    )
    report.notes.append(
        f'Brief assent (a coded turn under {data.min_words} words, e.g. "Yeah.") is a mention but '
        f"does not voice an idea: participants and {noun[1]} count the turns that do, and the "
        "two-participant rule uses them. assent_only = participants whose only turns on the idea "
        f"are assent ({counts['assent_only_pairs']} participant-idea pair(s) in all)."
    )
    report.notes.append(
        "Themes and constructs roll up repeating ideas only; leftovers (ideas voiced by fewer than "
        f"{min_participants} participants) are listed apart and add nothing to them."
    )
    report.notes.append(
        "Negative cases: codings whose memo carries #negative (an account that runs against the "
        "idea) are listed under the idea and not counted as voicing it."
    )
    from qualcode.analysis.quotes import QUOTE_RULE

    report.notes.append(QUOTE_RULE + " Mark a quote with #quote in the coding's memo.")
    if data.has_spans:
        from qualcode.analysis.quotes import QUOTE_EXCERPT_RULE

        report.notes.append(QUOTE_EXCERPT_RULE)
    report.notes.append(COUNTS_CAVEAT)
    report.sources_by_type = by_type
    if report.sources_by_type:
        report.notes.append(
            f"Sources: {sources_text(report.sources_by_type, last=', ')}; the {noun[1]} column "
            "counts every source. Field notes and documents have no participants: they count "
            "toward mentions and sources only."
        )
    if memos is not None:
        from qualcode.memos import memos_table

        report.memos = memos_table(memos, data.codebook)
        report.notes.append(
            f"Memos: {len(memos)} analytic memo(s) from the memos folder, listed per construct, "
            "theme and code in codebook order, study memos first."
        )
    report.notes.extend(data.notes)
    return report


SOURCE_WORDS: dict[str, tuple[str, str]] = {
    "focus_group": ("focus group", "focus groups"),
    "interview": ("interview", "interviews"),
    "fieldnote": ("field note", "field notes"),
    "document": ("document", "documents"),
}


def sources_text(counts: dict[str, int], last: str = " and ") -> str:
    """ "1 focus group, 2 interviews, 2 field notes and 1 document" (method.md: mixed-source
    studies are worded as interviews, documents and field notes, never as groups)."""
    parts = [f"{n} {SOURCE_WORDS.get(t, (t, t))[n != 1]}" for t, n in counts.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + last + parts[-1]


def sources_by_type(data: StudyData) -> dict[str, int]:
    """Transcripts per stated source type, in model.SOURCE_TYPES order ({} when none is stated);
    a transcript with no type stated counts as `not stated`."""
    from qualcode.model import SOURCE_TYPES

    seg = data.segments
    if "source_type" not in seg.columns:
        return {}
    per = seg.groupby("transcript_id", sort=False)["source_type"].first().fillna("")
    per = per[per.index.isin(data.transcripts)]
    if not (per != "").any():
        return {}
    counts = per.replace("", "not stated").value_counts()
    order = [t for t in SOURCE_TYPES if t in counts.index]
    order += sorted(t for t in counts.index if t not in order)
    return {t: int(counts[t]) for t in order}


_HIERARCHY_QUOTE_COLUMNS = [
    "idea_id",
    "idea_label",
    "rank",
    "label",
    "reference",
    "transcript_id",
    "participant_id",
    "speaker",
    "turn",
    "segment_id",
    "words",
    "flagged",
    "also_quoted_for",
    "start_char",
    "end_char",
    "text",
]


def _negative_cases(data: StudyData) -> pd.DataFrame:
    """Codings flagged #negative, in codebook then data order, as NEGATIVE_COLUMNS."""
    import pandas as pd

    neg = data.negative_cases
    if neg is None or neg.empty:
        return pd.DataFrame([], columns=list(NEGATIVE_COLUMNS))
    rank = {c: i for i, c in enumerate(data.code_ids)}
    out = neg.assign(_r=neg["code_id"].map(rank)).sort_values(["_r"], kind="stable")
    out = out.rename(columns={"code_id": "idea_id"})
    return out[list(NEGATIVE_COLUMNS)].reset_index(drop=True)


def _leftovers(data: StudyData, ideas: pd.DataFrame, min_participants: int) -> pd.DataFrame:
    """Leftovers (A&S): applied ideas voiced by fewer than two participants, and ideas that fit no
    theme (or themes that fit no construct when the codebook has constructs). Not "diverse cases":
    those are negative cases, flagged on codings (`_negative_cases`)."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    cb = data.codebook
    for idea in ideas.itertuples(index=False):
        reasons = []
        if idea.mentions > 0 and idea.participants < min_participants:
            who = "one participant" if idea.participants == 1 else "no identified participant"
            reasons.append(LEFTOVER_REASON.format(who=who))
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


def _by_attribute(data: StudyData) -> pd.DataFrame | None:
    """Per code attribute and value (`component: core`): ideas, mentions, participants and groups,
    each the union over the codes with that value (as a theme counts its ideas); None when the
    codebook has no attributes. A theme's or construct's value applies to its ideas."""
    import pandas as pd

    from qualcode.analysis.crosstab import code_attribute_values
    from qualcode.codebook import codebook_attributes

    cb = data.codebook
    names = list(codebook_attributes(cb)) if cb is not None else []
    if not names:
        return None
    rows = []
    for name in names:
        values = code_attribute_values(cb, name)
        link = pd.DataFrame(list(values.items()), columns=["code_id", "value"])
        joined = data.applied.merge(link, on="code_id", how="inner")
        people = joined[joined["participant_id"] != ""]
        for value in dict.fromkeys(values.values()):
            mask = joined["value"] == value
            rows.append(
                {
                    "attribute": name,
                    "value": value,
                    "ideas": sum(v == value for v in values.values()),
                    "mentions": int(joined.loc[mask, "segment_id"].nunique()),
                    "participants": int(
                        people.loc[people["value"] == value, "participant_id"].nunique()
                    ),
                    "groups": int(joined.loc[mask, "transcript_id"].nunique()),
                }
            )
    return pd.DataFrame(
        rows, columns=["attribute", "value", "ideas", "mentions", "participants", "groups"]
    )


def _matrix(voicing: pd.DataFrame, data: StudyData, ideas: pd.DataFrame) -> pd.DataFrame:
    """Idea x group; each cell = distinct participants in that group who voiced the idea (turns
    of brief assent left out, as in the counts)."""
    import pandas as pd

    people = voicing[voicing["participant_id"] != ""]
    cells = people.groupby(["code_id", "transcript_id"])["participant_id"].nunique()
    table = cells.unstack(fill_value=0) if len(cells) else pd.DataFrame()
    table = table.reindex(index=ideas["id"].tolist(), columns=data.transcripts, fill_value=0)
    table = table.fillna(0).astype(int)
    # All columns at once: inserting one column per transcript into a frame is quadratic.
    columns: dict[str, Any] = {"id": ideas["id"].tolist(), "label": ideas["label"].tolist()}
    for t in data.transcripts:
        columns[t] = table[t].to_numpy()
    columns["participants"] = ideas["participants"].to_numpy()
    return pd.DataFrame(columns)
