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
    import numpy as np
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
    n_groups = len(data.transcripts)
    n_participants = len(data.participants())
    nodes = _tree(data)
    by_type = sources_by_type(data)
    noun = source_nouns(by_type)

    # Ideas first: mentions are all coded turns (assent too); participants and groups the turns that
    # voice the idea. An idea below the two-participant rule is a leftover.
    count = _Counts(applied, assent.to_numpy(dtype=bool))
    ideas_of = {node_id for level, node_id, *_ in nodes if level == "idea"}
    repeating = {c for c in ideas_of if count.node([c])[2] >= min_participants}

    # Per node, the rows of every code it contains, then distinct segments / participants /
    # transcripts (the union of the children). Themes and constructs roll up repeating ideas only
    # (leftovers are listed apart, method.md).
    node_of_code: list[tuple[str, int]] = [
        (code, i)
        for i, (level, _, _, _, leaves) in enumerate(nodes)
        for code in leaves
        if level == "idea" or code in repeating
    ]
    node_codes: dict[int, list[str]] = {}
    for code, i in node_of_code:
        node_codes.setdefault(i, []).append(code)
    mentions, all_people, participants, groups = {}, {}, {}, {}
    for i, codes in node_codes.items():
        mentions[i], all_people[i], participants[i], groups[i] = count.node(codes)
    # Where codings mark excerpts, also the excerpts per node: distinct (turn, start, end), so an
    # excerpt coded with two ideas of a theme counts once for the theme (the union, as above).
    excerpts = None
    if data.has_spans:
        link = pd.DataFrame(node_of_code, columns=["code_id", "node"])
        ex = data.excerpts.merge(link, on="code_id", how="inner")  # type: ignore[union-attr]
        excerpts = (
            ex.drop_duplicates(["node", "segment_id", "start_char", "end_char"])
            .groupby("node")
            .size()
        )

    rows: list[dict[str, Any]] = []
    flag_rows: list[dict[str, Any]] = []
    for key, (level, node_id, label, parent, _leaves) in enumerate(nodes):
        m = mentions.get(key, 0)
        p = participants.get(key, 0)
        g = groups.get(key, 0)
        assent_only = all_people.get(key, 0) - p
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
            # Groups where the idea's identified participants voiced it (method.md: flag ideas
            # whose participants all sit in one group; an unknown speaker elsewhere does not
            # spread it).
            where = count.people_groups(node_id)
            if p > 0 and len(where) == 1 and n_groups > 1:
                text = f"voiced in {where[0]} only"
                if g > 1:
                    text = f"its participants all sit in {where[0]} (unknown speakers elsewhere)"
                flags.append((FLAG_ONE_GROUP, text))
            elif p == 0 and g == 1 and n_groups > 1 and count.first_group(node_id) is not None:
                only = count.first_group(node_id)
                flags.append((FLAG_ONE_GROUP, f"voiced in {only} only"))
            if p >= min_participants and (leading := count.leaders(node_id)) is not None:
                top, leaders = leading
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
    leftovers = _leftovers(data, ideas, min_participants, count)
    counts = {
        "constructs": int((hierarchy["level"] == "construct").sum()),
        "themes": int((hierarchy["level"] == "theme").sum()),
        "ideas": len(ideas),
        "repeating_ideas": int((ideas["participants"] >= min_participants).sum()),
        "ideas_applied": int((ideas["mentions"] > 0).sum()),
    }
    counts["assent_only_pairs"] = int(ideas["assent_only"].sum())
    quote_table = exemplar_quotes(
        data,
        ideas["id"].tolist(),
        quotes,
        label_template=quote_label or DEFAULT_LABEL,
        segment_codes=count.segment,
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
        matrix=_matrix(count, data, ideas),
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


def _leftovers(
    data: StudyData, ideas: pd.DataFrame, min_participants: int, count: _Counts
) -> pd.DataFrame:
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
        for theme in cb.themes:
            # Every coded turn of the theme's ideas (assent and leftovers too).
            mentions, people, _, _ = count.node([c.id for c in theme.codes])
            rows.append(
                {
                    "kind": "theme",
                    "id": theme.id,
                    "label": theme.label,
                    "reason": "fits no construct",
                    "mentions": mentions,
                    "participants": people,
                    "groups": count.groups_of([c.id for c in theme.codes]),
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


def _matrix(count: _Counts, data: StudyData, ideas: pd.DataFrame) -> pd.DataFrame:
    """Idea x group; each cell = distinct participants in that group who voiced the idea (turns
    of brief assent left out, as in the counts)."""
    import pandas as pd

    table = count.participants_per_group(ideas["id"].tolist(), data.transcripts)
    # All columns at once: inserting one column per transcript into a frame is quadratic.
    columns: dict[str, Any] = {"id": ideas["id"].tolist(), "label": ideas["label"].tolist()}
    for j, t in enumerate(data.transcripts):
        columns[t] = table[:, j]
    columns["participants"] = ideas["participants"].to_numpy()
    return pd.DataFrame(columns)


class _Counts:
    """Distinct segments, participants and transcripts among the applied rows of some codes, on
    integer codes of the id columns (`qualcode.idcodes.factorize`), each code's rows found once:
    groupby-nunique and merges on millions of id strings grow faster than the study (issue 19).
    The applied rows are one per (segment, code) (`load_study`), so a participant's segments on
    one code are their rows."""

    def __init__(self, applied: pd.DataFrame, assent: np.ndarray) -> None:
        import numpy as np
        import pandas as pd

        from qualcode.idcodes import factorize

        self.segment, segments = factorize(applied["segment_id"].to_numpy(dtype=object))
        pid = applied["participant_id"].to_numpy(dtype=object)
        self.person, self.people = factorize(pid)
        self.transcript, self.transcripts = factorize(
            applied["transcript_id"].to_numpy(dtype=object)
        )
        self.voicing = ~assent
        self.identified = (pid != "") & (self.person >= 0)
        self.code, codes = pd.factorize(applied["code_id"])
        self.codes = codes.tolist()
        order = np.argsort(self.code, kind="stable")
        bounds = np.searchsorted(self.code[order], np.arange(len(self.codes) + 1))
        self._rows = {c: order[bounds[k] : bounds[k + 1]] for k, c in enumerate(self.codes)}
        self._marks = {
            "segment": np.zeros(len(segments), dtype=bool),
            "person": np.zeros(len(self.people), dtype=bool),
            "transcript": np.zeros(len(self.transcripts), dtype=bool),
        }

    def rows(self, codes: list[str]) -> np.ndarray:
        import numpy as np

        parts = [self._rows[c] for c in codes if c in self._rows]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def _distinct(self, kind: str, values: np.ndarray) -> int:
        import numpy as np

        values = values[values >= 0]  # -1: a missing value, not counted (as nunique)
        mark = self._marks[kind]
        mark[values] = True
        n = int(np.count_nonzero(mark))
        mark[values] = False
        return n

    def node(self, codes: list[str]) -> tuple[int, int, int, int]:
        """Mentions (segments), participants of any turn, participants of voicing turns and
        groups (transcripts) of voicing turns, over the rows of `codes`."""
        rows = self.rows(codes)
        voiced = rows[self.voicing[rows]]
        return (
            self._distinct("segment", self.segment[rows]),
            self._distinct("person", self.person[rows[self.identified[rows]]]),
            self._distinct("person", self.person[voiced[self.identified[voiced]]]),
            self._distinct("transcript", self.transcript[voiced]),
        )

    def groups_of(self, codes: list[str]) -> int:
        """Transcripts of every row of `codes` (voicing or not)."""
        return self._distinct("transcript", self.transcript[self.rows(codes)])

    def _voiced_people_rows(self, code: str) -> np.ndarray:
        rows = self.rows([code])
        return rows[self.voicing[rows] & self.identified[rows]]

    def people_groups(self, code: str) -> list[str]:
        """The transcripts where identified participants voiced `code`, in first-row order."""
        import pandas as pd

        rows = self._voiced_people_rows(code)
        return [self.transcripts[t] for t in pd.unique(self.transcript[rows]).tolist()]

    def first_group(self, code: str) -> str | None:
        """The transcript of the first voicing row of `code` (None without one)."""
        rows = self.rows([code])
        rows = rows[self.voicing[rows]]
        return self.transcripts[self.transcript[rows[0]]] if len(rows) else None

    def leaders(self, code: str) -> tuple[int, list[str]] | None:
        """The most segments one identified participant voiced `code` in, and who did (None
        when nobody identified did)."""
        import numpy as np

        rows = self._voiced_people_rows(code)
        if not len(rows):
            return None
        people, counts = np.unique(self.person[rows], return_counts=True)
        top = int(counts.max())
        return top, [self.people[p] for p in people[counts == top].tolist()]

    def participants_per_group(self, ideas: list[str], transcripts: list[str]) -> np.ndarray:
        """ideas x transcripts: distinct identified participants of voicing rows."""
        import numpy as np

        out = np.zeros((len(ideas), len(transcripts)), dtype=np.int64)
        rows = np.flatnonzero(self.voicing & self.identified)
        if not len(rows):
            return out
        n_people, n_transcripts = len(self.people), len(self.transcripts)
        keys = (self.code[rows] * n_transcripts + self.transcript[rows]) * n_people + self.person[
            rows
        ]
        keys.sort()
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
        cells = np.bincount(keys // n_people, minlength=len(self.codes) * n_transcripts).reshape(
            len(self.codes), n_transcripts
        )
        code_at = {c: k for k, c in enumerate(self.codes)}
        column_at = {t: k for k, t in enumerate(self.transcripts.tolist())}
        columns = [column_at.get(t, -1) for t in transcripts]
        known = [j for j, c in enumerate(columns) if c >= 0]
        for i, idea in enumerate(ideas):
            if idea in code_at:
                out[i, known] = cells[code_at[idea], [columns[j] for j in known]]
        return out
