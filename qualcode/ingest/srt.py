"""SubRip (.srt) subtitles used as transcripts.

SubRip has no speaker field, so the speaker must be written in the text: `Name: `, `- Name: `,
`[Name]` or `NAME:`. A file in which no cue names a speaker is refused (turns cannot be told apart);
cues without a label continue the previous speaker, with a warning. `<i>`/`<b>`/`<font>` tags and
`{\\an8}` position codes are stripped; index numbers and extra blank lines are optional.
"""

from __future__ import annotations

from qualcode.ingest.blocks import ParsedTranscript
from qualcode.ingest.cues import (
    cue_blocks,
    no_cues_error,
    require_speakers,
    split_cues,
    split_lines,
)


def parse_srt(text: str, source: str) -> ParsedTranscript:
    """Parse a SubRip file's text into speaker blocks (line = where the cue starts; times in s)."""
    cues, warnings = split_cues(split_lines(text), source)
    if not cues:
        raise no_cues_error(source, "SubRip")
    result = cue_blocks(cues, entities=False, ass_codes=True)
    require_speakers(result, source, "SubRip")
    if result.continuation_cues:
        n = result.continuation_cues
        warnings.append(
            f"{n} cue{'' if n == 1 else 's'} without a speaker label "
            f"({'it continues' if n == 1 else 'each continues'} the previous speaker)"
        )
    return ParsedTranscript("srt", result.blocks, warnings, joiner=" ")
