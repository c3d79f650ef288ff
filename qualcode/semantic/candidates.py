"""Candidate new repeating ideas: groups of similar participant turns that no code covers yet.

1. Turns: participant turns (facilitator turns excluded unless asked) of at least `min_words`
   words (brief assent seconds an idea but does not voice it, method.md), that no code covers:
   with codings, turns with no code in them; with a codebook only, turns whose best code scores
   below `min_score` (no suggestion would be kept); with neither, all of them.
2. Groups: the "fast clustering" community detection of sentence-transformers
   (`util.community_detection`, Reimers): every turn with at least `min_size - 1` neighbours at
   cosine >= `threshold` proposes itself and its neighbours as a group; groups are taken largest
   first, each keeping only turns no earlier group took, while `min_size` remain. Similarities are
   computed in blocks of rows, so memory stays bounded (time grows with the square of the turns).
3. Kept: a group voiced by two or more distinct participants (the A&S two-participant rule; turns
   of unknown speakers do not count; without a roster, a speaker label within a transcript is one
   participant). Ranked by participants, then turns, then cohesion (mean
   cosine to the group's centroid).
4. Label: the group's most distinctive words by class-based TF-IDF (Grootendorst 2022, BERTopic:
   tf of a word in the group x log(1 + average words per group / the word's frequency over all
   groups)); quotes: the three turns nearest the centroid, from different participants first.

Grouping by topic is weak for ideas defined by stance (two turns on the bus, one for and one against
a group, look alike to the model), so candidates are for the researcher to accept or drop; nothing
is ever written into a codebook.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.errors import QualcodeError
from qualcode.model import ROLE_PARTICIPANT

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from qualcode.model import Codebook
    from qualcode.semantic.embed import Embedded, Embedder

DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_SIZE = 3
DEFAULT_MIN_WORDS = 6
QUOTES = 3
QUOTE_CHARS = 300
LABEL_WORDS = 3
BLOCK = 1024  # rows of the similarity matrix computed at once
MAX_GROUP = 1000  # turns one proposal may hold (its nearest)

# English function words and focus-group fillers: never a label word.
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren as at be because been before
    being below between both but by can cannot could couldn did didn do does doesn doing don done
    down during each even ever every few for from further get gets getting go goes going gonna got
    gotta had hadn has hasn have haven having he her here hers herself him himself his how i if in
    into is isn it its itself just kind know knew let like lot lots made make many may me might more
    most much must my myself need no nor not now of off oh ok okay on once one only or other ought
    our ours ourselves out over own really right said same say says see she should so some something
    still such sure take tell than that the their theirs them themselves then there these they thing
    things think this those though through to too uh um under until up us very want wanna was wasn
    way we well went were weren what when where which while who whom why will with won would wouldn
    yeah yes yet you your yours yourself yourselves ll ve re im ive youre dont cant thats theres
    kinda sorta stuff guess mean anything everything nothing someone somebody anybody everybody
    people time come came back around put give two three
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Quote:
    segment_id: str
    speaker: str
    participant_id: str
    text: str


@dataclass(frozen=True)
class Candidate:
    id: str
    label: str
    words: tuple[str, ...]
    turns: int
    participants: int
    groups: int
    cohesion: float
    quotes: tuple[Quote, ...]
    segment_ids: tuple[str, ...]


@dataclass
class CandidateIdeas:
    candidates: list[Candidate]
    considered: int  # uncovered turns clustered
    participant_turns: int  # participant turns before the coverage and length filters
    covered: int  # turns a code covers (left out)
    short: int  # turns under min_words (left out)
    groups_found: int
    dropped_one_participant: int
    basis: str  # how coverage was decided
    threshold: float
    min_size: int
    min_words: int
    embedded: Embedded | None = None
    warnings: list[str] = field(default_factory=list)


def _words(text: str) -> list[str]:
    # a contraction counts as its first word: "he's" -> "he", "don't" -> "don" (both stop words)
    return [w.split("'")[0] for w in _WORD.findall(text.replace("\u2019", "'").lower())]


def _content_words(text: str) -> list[str]:
    return [w for w in _words(text) if len(w) >= 3 and w not in STOP_WORDS]


def community_detection(vectors: np.ndarray, threshold: float, min_size: int) -> list[list[int]]:
    """Groups of row indices (sentence-transformers' `community_detection`, see the module doc);
    each group is ordered by cosine to the turn that proposed it, that turn first. A proposal holds
    at most `MAX_GROUP` turns (its nearest), so memory stays bounded at a low threshold."""
    import numpy as np

    n = len(vectors)
    proposals: list[np.ndarray] = []
    for start in range(0, n, BLOCK):
        sims = vectors[start : start + BLOCK] @ vectors.T
        for r in range(sims.shape[0]):
            row = sims[r]
            near = np.nonzero(row >= threshold)[0]
            if len(near) >= min_size:
                near = near[np.argsort(-row[near], kind="stable")[:MAX_GROUP]]
                proposals.append(near.astype(np.int32))
    proposals.sort(key=len, reverse=True)  # stable: equal sizes keep row order
    taken = np.zeros(n, dtype=bool)
    groups: list[list[int]] = []
    for members in proposals:
        free = members[~taken[members]]
        if len(free) >= min_size:
            groups.append(free.tolist())
            taken[free] = True
    return groups


def _labels(groups_words: list[Counter], rest: Counter) -> list[tuple[str, ...]]:
    """c-TF-IDF (Grootendorst 2022): the `LABEL_WORDS` most distinctive words of each group."""
    import math

    classes = [*groups_words, rest]
    frequency: Counter = Counter()
    for counts in classes:
        frequency.update(counts)
    average = sum(sum(c.values()) for c in classes) / max(len(classes), 1)
    out = []
    for counts in groups_words:
        total = sum(counts.values()) or 1
        scored = sorted(
            counts,
            key=lambda w: (-(counts[w] / total) * math.log(1 + average / frequency[w]), w),
        )
        out.append(tuple(scored[:LABEL_WORDS]))
    return out


def _voices(turns: pd.DataFrame) -> list[str]:
    """Who voices each turn for the two-participant rule: the participant_id, or without a roster
    the speaker label within its transcript for a participant turn; "" (not counted) for a speaker
    whose role is unknown or a facilitator."""
    out = []
    for pid, role, transcript, speaker in zip(
        turns["participant_id"].astype(str).str.strip(),
        turns["role"].astype(str),
        turns["transcript_id"].astype(str),
        turns["speaker"].astype(str),
        strict=True,
    ):
        if pid:
            out.append(pid)
        elif role == ROLE_PARTICIPANT:
            out.append(f"{transcript}/{speaker}")
        else:
            out.append("")
    return out


def _coverage(
    turns: pd.DataFrame,
    codebook: Codebook | None,
    codings: pd.DataFrame | None,
) -> tuple[set[str], str]:
    if codings is not None:
        coded = codings[codings["code_id"].astype(str).str.strip() != ""]
        covered = set(coded["segment_id"].astype(str).str.strip())
        return covered, "turns with no code in the codings"
    if codebook is not None:
        return set(), "turns whose best code scores below --min-score"
    return set(), "all participant turns (no codebook or codings given)"


def find_candidates(
    segments: pd.DataFrame,
    *,
    codebook: Codebook | None = None,
    codings: pd.DataFrame | None = None,
    include_facilitator: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = DEFAULT_MIN_SIZE,
    min_words: int = DEFAULT_MIN_WORDS,
    min_score: float = 0.35,
    cache_root: Path | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    embedder: Embedder | None = None,
) -> CandidateIdeas:
    """Candidate repeating ideas among the turns no code covers (see the module doc)."""
    import numpy as np

    from qualcode.semantic.embed import embed_texts
    from qualcode.semantic.suggest import scored_segments, suggest_codes

    if min_size < 2:
        raise QualcodeError("a candidate idea needs at least 2 turns (--min-size 2 or more)")
    turns = scored_segments(segments, include_facilitator)
    ids = turns["segment_id"].astype(str).tolist()
    texts = turns["text"].astype(str).tolist()
    covered, basis = _coverage(turns, codebook, codings)
    embedded = None
    if codings is None and codebook is not None:
        suggestions = suggest_codes(
            segments,
            codebook,
            include_facilitator=include_facilitator,
            cache_root=cache_root,
            progress=progress,
            on_start=on_start,
            embedder=embedder,
        )
        best = suggestions.scores.max(axis=1) if suggestions.scores.size else np.zeros(0)
        covered = {s for s, b in zip(suggestions.segment_ids, best, strict=True) if b >= min_score}
        embedded = suggestions.embedded
    long_enough = [len(_words(t)) >= min_words for t in texts]
    keep = [i for i in range(len(ids)) if ids[i] not in covered and long_enough[i]]
    n_covered = sum(1 for s in ids if s in covered)
    short = sum(1 for i in range(len(ids)) if ids[i] not in covered and not long_enough[i])
    pick = [texts[i] for i in keep]
    run = embed_texts(
        pick,
        cache_root=cache_root,
        progress=progress,
        on_start=on_start if embedded is None else None,
        embedder=embedder,
    )
    embedded = embedded or run  # the suggestion run saw every turn: report that one
    vectors = run.vectors.astype(np.float32)
    groups = community_detection(vectors, threshold, min_size) if len(keep) else []

    speakers = turns["speaker"].astype(str).tolist()
    participants = _voices(turns)
    pids = turns["participant_id"].astype(str).str.strip().tolist()  # shown with quotes
    transcripts = turns["transcript_id"].astype(str).tolist()
    group_words = [Counter(w for m in g for w in _content_words(pick[m])) for g in groups]
    in_group = {m for g in groups for m in g}
    rest = Counter(
        w for m in range(len(pick)) if m not in in_group for w in _content_words(pick[m])
    )
    labels = _labels(group_words, rest)

    drafts = []
    dropped = 0
    for g, members in enumerate(groups):
        rows = [keep[m] for m in members]
        people = {participants[r] for r in rows if participants[r]}
        if len(people) < 2:
            dropped += 1
            continue
        centroid = vectors[members].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        sims = vectors[members] @ centroid
        order = np.argsort(-sims, kind="stable")
        quotes: list[int] = []
        used: set[str] = set()
        for o in order:  # nearest first, one quote per participant while possible
            who = participants[rows[o]] or speakers[rows[o]]
            if who not in used:
                quotes.append(int(o))
                used.add(who)
            if len(quotes) == QUOTES:
                break
        for o in order:
            if len(quotes) == QUOTES:
                break
            if int(o) not in quotes:
                quotes.append(int(o))
        drafts.append(
            (
                len(people),
                len(rows),
                float(sims.mean()),
                labels[g],
                len({transcripts[r] for r in rows}),
                tuple(
                    Quote(ids[rows[q]], speakers[rows[q]], pids[rows[q]], texts[rows[q]])
                    for q in quotes
                ),
                tuple(ids[r] for r in rows),
            )
        )
    drafts.sort(key=lambda d: (-d[0], -d[1], -d[2]))
    taken_ids = set(codebook.code_ids()) if codebook is not None else set()
    candidates = []
    number = 0
    for people, size, cohesion, words, n_groups, quotes, members in drafts:
        number += 1
        while f"NEW{number}" in taken_ids:
            number += 1
        candidates.append(
            Candidate(
                id=f"NEW{number}",
                label=" / ".join(words) if words else f"candidate {number}",
                words=words,
                turns=size,
                participants=people,
                groups=n_groups,
                cohesion=round(cohesion, 3),
                quotes=quotes,
                segment_ids=members,
            )
        )
    return CandidateIdeas(
        candidates=candidates,
        considered=len(keep),
        participant_turns=len(ids),
        covered=n_covered,
        short=short,
        groups_found=len(groups),
        dropped_one_participant=dropped,
        basis=basis,
        threshold=threshold,
        min_size=min_size,
        min_words=min_words,
        embedded=embedded,
    )


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= QUOTE_CHARS:
        return flat
    return flat[:QUOTE_CHARS].rsplit(" ", 1)[0] + " ..."


def candidates_yaml(result: CandidateIdeas, source: str = "") -> str:
    """The candidates as a YAML `repeating_ideas:` list, each item ready to paste under a theme's
    `repeating_ideas:` (the codebook then still passes `qualcode codebook check`). Not a codebook of
    its own, so it can never be mistaken for (or replace) one."""
    lines = [
        "# Candidate repeating ideas from `qualcode suggest ideas`, for you to accept or drop:",
        "# nothing was written into your codebook. Paste the ones you keep (an `- id:` block each)",
        "# under a theme's `repeating_ideas:`, rename them in the participants' words, write a",
        "# definition, then run `qualcode codebook check`.",
        "# Grouping by topic is weak for ideas defined by stance: read every quote.",
        f"# Source: {source}" if source else "# Source: (not given)",
        f"# Turns considered: {result.considered} of {result.participant_turns} "
        f"({result.basis}; {result.covered} covered by a code and {result.short} under "
        f"{result.min_words} words left out).",
        f"# Groups of similar turns (cosine >= {result.threshold:g}, at least {result.min_size} "
        f"turns): {result.groups_found} found, {len(result.candidates)} kept (voiced by 2 or more "
        f"participants), {result.dropped_one_participant} dropped (one participant).",
    ]
    if not result.candidates:
        lines.append("repeating_ideas: []")
        return "\n".join(lines) + "\n"
    lines.append("repeating_ideas:")
    total = len(result.candidates)
    for n, c in enumerate(result.candidates, start=1):
        memo = (
            f"Candidate {n} of {total} from qualcode suggest ideas: {c.turns} turns by "
            f"{c.participants} participants in {c.groups} group(s), cohesion {c.cohesion:.2f}; "
            f"turns {', '.join(c.segment_ids)}"
        )
        lines += [
            f"  # {n} of {total}: {c.turns} turns, {c.participants} participants, {c.groups} "
            f"group(s); cohesion {c.cohesion:.2f}",
            f"  - id: {c.id}",
            f"    label: {_quoted(c.label)}",
            "    # definition: write one in your own words",
            "    examples:",
        ]
        for q in c.quotes:
            who = q.speaker + (f" ({q.participant_id})" if q.participant_id else "")
            lines.append(f"      - {_quoted(_short(q.text))}  # {q.segment_id}, {who}")
        lines.append(f"    memo: {_quoted(memo)}")
    return "\n".join(lines) + "\n"
