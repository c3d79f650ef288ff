"""From labelled blocks to speaker turns: merge, name, and give each turn a role.

Consecutive blocks by one speaker (compared by `roster.speaker_key`) are one turn; an unlabelled
block continues the previous speaker (or is `Unknown Speaker` at the start). The role comes from the
roster when it names the speaker, else from facilitator-like names, else participant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from qualcode.ingest.blocks import RawBlock
from qualcode.model import ROLE_FACILITATOR, ROLE_PARTICIPANT, ROLE_UNKNOWN, Segment
from qualcode.roster import normalise_speaker as _normalise_speaker
from qualcode.roster import speaker_key as _speaker_key

UNKNOWN_SPEAKER = "Unknown Speaker"

# Labels repeat thousands of times in a transcript; normalising each once keeps ingest linear & fast.
normalise_speaker = lru_cache(maxsize=16384)(_normalise_speaker)
speaker_key = lru_cache(maxsize=16384)(_speaker_key)

# English, and the German, Spanish, Portuguese and French words for the same roles
# ("Interviewer/in", "Moderadora", "Entrevistador", "Animatrice").
_ROLE_WORDS = (
    r"(?:co-?)?(?:facilitator|moderator|interviewer)s?(?:/?in(?:nen)?)?"
    r"|(?:moderador|entrevistador|facilitador)(?:a|es|as)?"
    r"|(?:animat(?:eur|rice)|intervieweu(?:r|se)|enqu[eê]t(?:eur|rice)|mod[ée]rat(?:eur|rice))s?"
)
# "Facilitator", "Moderator 2", "Interviewer-B", "Facilitator (Anna)", "Moderator - Jane"
_FACILITATOR_NAME = re.compile(rf"^(?:{_ROLE_WORDS})(?:$|[\s\d(\-:#,])")
# "Dr. Lee (Facilitator)", "Anna (moderator, nurse)", "Sam [interviewer]"
_FACILITATOR_ROLE = re.compile(rf"[(\[][^)\]]*\b(?:{_ROLE_WORDS})\b[^)\]]*[)\]]")
# Conventional abbreviations in interview transcripts: I / Int / IV / Q (interviewer), Mod, Fac;
# their counterparts (R, IE, Resp, A, B1 "Befragte") are participants by default.
_FACILITATOR_ABBREV = frozenset(
    {"i", "int", "int.", "intv", "iv", "ivr", "q", "mod", "mod.", "fac", "fac.", "researcher"}
    | {"i1", "i2", "int1", "int2", "iv1", "iv2", "q1", "q2"}
)
# "mod 2", "Int. 1", "IV-2": a numbered abbreviation (labels are matched in lower case).
_FACILITATOR_NUMBERED = re.compile(r"^(?:i|int|intv|iv|ivr|q|mod|fac)\.?[\s\-#]*\d{1,2}$")
_UNKNOWN = re.compile(r"^(?:unknown|unidentified|unclear|inaudible|\?+)(?:\s|$)")


@lru_cache(maxsize=16384)
def role_from_name(speaker: str) -> str:
    """facilitator / unknown / participant from the label alone (no roster)."""
    key = speaker_key(speaker)
    if not key or _UNKNOWN.match(key):
        return ROLE_UNKNOWN
    if (
        key in _FACILITATOR_ABBREV
        or _FACILITATOR_NAME.match(key)
        or _FACILITATOR_ROLE.search(key)
        or _FACILITATOR_NUMBERED.match(key)
    ):
        return ROLE_FACILITATOR
    return ROLE_PARTICIPANT


@dataclass(frozen=True)
class RosterEntry:
    speaker: str
    participant_id: str
    role: str


def merge_blocks(
    blocks: list[RawBlock],
    *,
    transcript_id: str,
    source: str,
    roster: dict[str, RosterEntry] | None = None,
    joiner: str = "\n",
) -> list[Segment]:
    """Turns in file order; `roster` maps speaker_key -> entry for this transcript.

    `joiner` glues the blocks of one turn: "\n" between paragraphs, " " between caption cues.
    """
    roster = roster or {}
    turns: list[dict] = []
    for block in blocks:
        label = block.speaker
        if label is None or not normalise_speaker(label):
            label = turns[-1]["speaker"] if turns else UNKNOWN_SPEAKER
        speaker = normalise_speaker(label)
        key = speaker_key(speaker)
        if turns and turns[-1]["key"] == key:
            turn = turns[-1]
            if block.text:
                turn["parts"].append(block.text)
            if block.end_time is not None or block.start_time is not None:
                turn["end"] = block.end_time
            if turn["start"] is None and block.start_time is not None:
                turn["start"] = block.start_time
            continue
        turns.append(
            {
                "speaker": speaker,
                "key": key,
                "parts": [block.text] if block.text else [],
                "start": block.start_time,
                "end": block.end_time,
                "line": block.line,
            }
        )
    segments: list[Segment] = []
    for number, turn in enumerate(turns, start=1):
        entry = roster.get(turn["key"])
        if entry is not None:
            role, participant_id = entry.role, entry.participant_id
        else:
            role, participant_id = role_from_name(turn["speaker"]), ""
        segments.append(
            Segment(
                transcript_id=transcript_id,
                turn=number,
                speaker=turn["speaker"],
                text=joiner.join(turn["parts"]),
                role=role,
                participant_id=participant_id,
                start_time=turn["start"],
                end_time=turn["end"],
                source=source,
                line=turn["line"],
            )
        )
    return segments
