"""The data model: column contracts of the study files and the records with meaning.

Column orders here are the file contracts of docs/architecture.md; every reader and writer uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- segments.csv -------------------------------------------------------------------------------
SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "transcript_id",
    "turn",
    "speaker",
    "participant_id",
    "role",
    "text",
    "start_time",
    "end_time",
    "source",
    "line",
    "source_type",
)
ROLE_PARTICIPANT = "participant"
ROLE_FACILITATOR = "facilitator"
ROLE_UNKNOWN = "unknown"
# A speakerless source (a field note, a document): one segment per paragraph, no participant.
ROLE_SOURCE = "source"
ROLES: tuple[str, ...] = (ROLE_PARTICIPANT, ROLE_FACILITATOR, ROLE_UNKNOWN, ROLE_SOURCE)
# The kinds of data-collection event a transcript records (segments.csv `source_type`). Field notes
# and documents have no speakers; an empty value (a segments.csv from before the column) means "not
# stated" and is read as dialogue.
SOURCE_DIALOGUE: tuple[str, ...] = ("focus_group", "interview")
SOURCE_SPEAKERLESS: tuple[str, ...] = ("fieldnote", "document")
SOURCE_TYPES: tuple[str, ...] = SOURCE_DIALOGUE + SOURCE_SPEAKERLESS


def source_nouns(types) -> tuple[str, str]:
    """How reports name a study's transcripts, from their stated source types: ("group", "groups")
    when every stated type is focus_group or none is stated, ("interview", "interviews") when all
    are interviews, else ("source", "sources"): a mixed study is never worded as groups
    (docs/method.md, "Reporting standards")."""
    stated = {str(t) for t in types if str(t) and str(t) != "not stated"}
    if stated <= {"focus_group"}:
        return ("group", "groups")
    if stated == {"interview"}:
        return ("interview", "interviews")
    return ("source", "sources")


def study_source_nouns(segments) -> tuple[str, str]:
    """`source_nouns` of the transcripts in a segments table (its `source_type` column, if any)."""
    if "source_type" not in segments.columns or not len(segments):
        return ("group", "groups")
    return source_nouns(segments["source_type"].fillna("").astype(str).unique())


# --- codings/<coder>.csv ------------------------------------------------------------------------
CODING_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "code_id",
    "coder",
    "origin",
    "memo",
    "start_char",
    "end_char",
)
CODING_REQUIRED: tuple[str, ...] = ("segment_id", "code_id", "coder")
ORIGINS: tuple[str, ...] = ("manual", "auto", "import", "consensus", "suggest")

# --- roster.csv ---------------------------------------------------------------------------------
ROSTER_REQUIRED: tuple[str, ...] = ("transcript_id", "speaker", "participant_id")
ROSTER_KEY_COLUMNS: tuple[str, ...] = ("transcript_id", "speaker", "participant_id", "role")

# --- decisions.csv (reconcile audit trail) -----------------------------------------------------
DECISION_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "code_id",
    "coder_a",
    "coder_b",
    "decision",
    "strategy",
    "decided_by",
    "reason",
    "timestamp",
)
DECISIONS: tuple[str, ...] = ("kept", "dropped", "added")


def segment_id(transcript_id: str, turn: int) -> str:
    """The stable id of a turn: `<transcript_id>:<turn>` (turn 1-based)."""
    return f"{transcript_id}:{turn}"


@dataclass(frozen=True)
class Segment:
    """One speaker turn of one transcript (consecutive blocks by one speaker merged)."""

    transcript_id: str
    turn: int
    speaker: str
    text: str
    role: str = ROLE_UNKNOWN
    participant_id: str = ""
    start_time: float | None = None
    end_time: float | None = None
    source: str = ""
    line: int | None = None
    source_type: str = ""

    @property
    def segment_id(self) -> str:
        return segment_id(self.transcript_id, self.turn)

    def as_row(self) -> dict[str, object]:
        return {
            "segment_id": self.segment_id,
            "transcript_id": self.transcript_id,
            "turn": self.turn,
            "speaker": self.speaker,
            "participant_id": self.participant_id,
            "role": self.role,
            "text": self.text,
            "start_time": "" if self.start_time is None else round(self.start_time, 3),
            "end_time": "" if self.end_time is None else round(self.end_time, 3),
            "source": self.source,
            "line": "" if self.line is None else self.line,
            "source_type": self.source_type,
        }


# --- codebook (Auerbach & Silverstein hierarchy) ------------------------------------------------
# A code's `origin:` (issue 16.2): written in advance (deductive, also every code that does not
# say) or found in the data during coding (inductive).
ORIGIN_DEDUCTIVE = "deductive"
ORIGIN_INDUCTIVE = "inductive"
ORIGINS = (ORIGIN_DEDUCTIVE, ORIGIN_INDUCTIVE)


@dataclass(frozen=True)
class ResearchConcern:
    id: str
    text: str


@dataclass(frozen=True)
class Code:
    """A leaf of the codebook: a repeating idea (or a flat code), the thing coders apply."""

    id: str
    label: str
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    theme_id: str | None = None
    construct_id: str | None = None
    line: int | None = None  # 1-based line in the codebook file
    color: str = ""  # "#RRGGBB" from the codebook's `color:`, else empty
    # Extra keys of the codebook item, (name, value) in file order: `component: core`.
    attributes: tuple[tuple[str, str], ...] = ()
    # `origin:` as written, lower case ("deductive", "inductive"; "" when the code does not say,
    # which counts as deductive), and for a code found during coding who added it (`added_by:`)
    # and when (`added_on:`, an ISO date YYYY-MM-DD).
    origin: str = ""
    added_by: str = ""
    added_on: str = ""

    @property
    def inductive(self) -> bool:
        """Found during coding (`origin: inductive`); every other code was written in advance."""
        return self.origin == ORIGIN_INDUCTIVE


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    definition: str = ""
    codes: tuple[Code, ...] = ()
    construct_id: str | None = None
    line: int | None = None
    color: str = ""
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Construct:
    id: str
    label: str
    definition: str = ""
    themes: tuple[Theme, ...] = ()
    line: int | None = None
    color: str = ""
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Codebook:
    """The whole codebook in file order. `constructs` > `themes` > `codes`; themes may sit at top
    level (`themes`, with construct_id None) and a flat study has only `flat_codes`."""

    title: str = ""
    research_concerns: tuple[ResearchConcern, ...] = ()
    constructs: tuple[Construct, ...] = ()
    themes: tuple[Theme, ...] = ()
    flat_codes: tuple[Code, ...] = ()
    source: str | None = None
    _index: dict[str, Code] = field(default_factory=dict, compare=False, repr=False)

    def all_themes(self) -> list[Theme]:
        """Every theme in codebook order (those under constructs first, as written)."""
        out: list[Theme] = []
        for construct in self.constructs:
            out.extend(construct.themes)
        out.extend(self.themes)
        return out

    def codes(self) -> list[Code]:
        """Every leaf code (repeating idea) in codebook order."""
        out: list[Code] = []
        for theme in self.all_themes():
            out.extend(theme.codes)
        out.extend(self.flat_codes)
        return out

    def code_ids(self) -> list[str]:
        return [c.id for c in self.codes()]

    def code(self, code_id: str) -> Code:
        if not self._index:
            self._index.update({c.id: c for c in self.codes()})
        return self._index[code_id]

    def __contains__(self, code_id: object) -> bool:
        return code_id in set(self.code_ids())

    def theme(self, theme_id: str) -> Theme:
        for theme in self.all_themes():
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def construct(self, construct_id: str) -> Construct:
        for construct in self.constructs:
            if construct.id == construct_id:
                return construct
        raise KeyError(construct_id)


@dataclass(frozen=True)
class Decision:
    """One reconciliation decision on a (segment, code) where the coders differed (or a code added)."""

    segment_id: str
    code_id: str
    coder_a: bool
    coder_b: bool
    decision: str  # kept | dropped | added
    strategy: str
    decided_by: str = ""
    reason: str = ""
    timestamp: str = ""
