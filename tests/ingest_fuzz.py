"""Generated transcripts for the ingest fuzz suite (tests/test_ingest_fuzz.py, small budget) and
bench/fuzz.py (long budget, on demand).

Two kinds of input:
- *transcripts*: speaker turns written in one layout per file (`Name: `, `[Name] `, `NAME: `,
  lower-case `name: ` and `name - ` that only inference reads, Word bold names, WebVTT and SubRip
  cues), with `#` lines, short speech lines ("Never again", "Yeah"), a label alone on its line,
  and words before the first label. The property: every word that is not a label appears in
  segments.csv exactly once (issue 15 point 2).
- *hostile*: arbitrary text with label-like fragments, for every reader. The property: ingest
  returns turns numbered 1..n with text, or raises a QualcodeError; nothing else escapes.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

# Speech words: lower case, a few capitalised, numbers, notes, `#`; never a colon (a `word:` at a
# line start may rightly be read as a label) and never a heading word (Question 3, Section 2).
WORDS = [
    "i",
    "think",
    "it",
    "was",
    "hard",
    "the",
    "clinic",
    "never",
    "again",
    "yeah",
    "we",
    "went",
    "every",
    "week",
    "trust",
    "1",
    "reason",
    "is",
    "built",
    "mm-hmm",
    "okay",
    "so",
    "maybe",
    "doctor",
    "pharmacy",
    "nobody",
    "called",
    "back",
    "money",
    "bus",
    "late",
    "30",
    "minutes",
    "my",
    "mum",
    "said",
    "go",
    "home",
    "[laughs]",
    "[crosstalk]",
    "Tuesday",
    "Suboxone",
    "12",
    "people",
    "you",
    "know",
    "what",
    "mean",
    "felt",
    "better",
    "worse",
    "李",
    "我觉得",
    "Zoë",
    "café",
    "naïve",
    "don't",
    "can't",
    "it's",
    "100%",
    "$20",
    "(sic)",
    "well",
]
INTERJECTIONS = ["Yeah", "Never again", "Mm-hmm", "Okay.", "No.", "I don't know", "Right"]

NAMES = ["Anna", "Ben", "Carla Ruiz", "Dr. Lee", "P1", "P2", "Speaker 3", "Ramon's iPhone"]
NAMES += ["Vega, Marisol", "Zoë", "李明", "José Álvarez (P3)"]
LOWER_NAMES = ["interviewer", "respondent", "mod", "p1", "p2", "id3", "int", "resp"]

TEXT_LAYOUTS = ("colon", "bracket", "caps", "lower-colon", "lower-dash", "lower-bracket")


@dataclass
class Transcript:
    layout: str
    leading: list[str]  # lines before the first label (speech of an unknown speaker)
    turns: list[tuple[str, list[str]]]  # (speaker, lines said)

    def spoken_words(self) -> Counter[str]:
        lines = self.leading + [line for _, said in self.turns for line in said]
        return Counter(word for line in lines for word in line.split())


@st.composite
def speech_line(draw) -> str:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(INTERJECTIONS))
    words = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=12))
    if draw(st.booleans()):
        words[0] = words[0][:1].upper() + words[0][1:]
    if draw(st.integers(0, 6)) == 0:
        words.insert(0, "#")
    elif draw(st.integers(0, 6)) == 0:
        words[0] = "#" + words[0]
    end = draw(st.sampled_from([".", "?", "", "!", "..."]))
    return " ".join(words) + end


@st.composite
def transcripts(draw, layouts=TEXT_LAYOUTS, leading=True) -> Transcript:
    layout = draw(st.sampled_from(layouts))
    pool = LOWER_NAMES if layout.startswith("lower") else NAMES
    if layout == "caps":
        pool = [n for n in NAMES if n.upper() != n.lower()]
    n_speakers = draw(st.integers(2, 4))
    speakers = draw(
        st.lists(st.sampled_from(pool), min_size=n_speakers, max_size=n_speakers, unique=True)
    )
    # Speakers take turns (a new turn is a new speaker) and each speaks at least twice: the
    # evidence label inference needs, and how conversations go.
    n_turns = draw(st.integers(2 * n_speakers, 14))
    order = list(speakers) + list(speakers)
    while len(order) < n_turns:
        order.append(draw(st.sampled_from(speakers)))
    order = draw(st.permutations(order))
    order = [s for i, s in enumerate(order) if i == 0 or s != order[i - 1]]
    if any(Counter(order)[s] < 2 for s in speakers) or len(order) < 4:
        order = (speakers * 2)[: max(4, 2 * n_speakers)]
    turns = [(s, draw(st.lists(speech_line(), min_size=1, max_size=3))) for s in order]
    lead: list[str] = []
    if leading and draw(st.integers(0, 3)) == 0:
        # words before the first label are sentences in the first person: a short unpunctuated
        # line there, or a Word paragraph about the session, may be a title, which ingest is
        # allowed to leave out (and lists)
        lead = [
            "we " + line.rstrip(".?!") + "."
            for line in draw(st.lists(speech_line(), min_size=1, max_size=2))
        ]
    return Transcript(layout, lead, turns)


def _label_line(layout: str, speaker: str, text: str, alone: bool) -> list[str]:
    if layout == "caps":
        speaker = speaker.upper()
    if layout in ("colon", "caps", "lower-colon"):
        return [f"{speaker}:", text] if alone else [f"{speaker}: {text}"]
    if layout in ("bracket", "lower-bracket"):
        return [f"[{speaker}]", text] if alone and layout == "bracket" else [f"[{speaker}] {text}"]
    if layout == "lower-dash":
        return [f"{speaker} - {text}"]
    raise ValueError(layout)


def render_text(t: Transcript, alone: list[bool]) -> str:
    lines = list(t.leading)
    for (speaker, said), by_itself in zip(t.turns, alone, strict=False):
        lines.extend(_label_line(t.layout, speaker, said[0], by_itself))
        lines.extend(said[1:])
    return "\n".join(lines) + "\n"


def _clock(seconds: float, sep: str) -> str:
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}000"


def render_cues(t: Transcript, kind: str) -> str:
    """WebVTT (`Name: text` in the cue, Zoom) or SubRip; a turn's later lines are cues without a
    name, continuing the speaker."""
    out = ["WEBVTT", ""] if kind == "vtt" else []
    sep = "." if kind == "vtt" else ","
    n = 0
    for speaker, said in t.turns:
        for k, line in enumerate(said):
            n += 1
            out += [str(n), f"{_clock(n * 5, sep)} --> {_clock(n * 5 + 4, sep)}"]
            out += [f"{speaker}: {line}" if k == 0 else line, ""]
    return "\n".join(out)


def render_docx(t: Transcript, path: Path, bold: list[bool]) -> None:
    import docx

    document = docx.Document()
    for line in t.leading:
        document.add_paragraph(line)
    for (speaker, said), in_bold in zip(t.turns, bold, strict=False):
        paragraph = document.add_paragraph()
        if in_bold:
            paragraph.add_run(f"{speaker}:").bold = True
            paragraph.add_run(f" {said[0]}")
        else:
            paragraph.add_run(f"{speaker}: {said[0]}")
        for line in said[1:]:
            document.add_paragraph(line)
    document.save(str(path))


def segments_words(path: Path) -> Counter[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return Counter(word for row in csv.DictReader(fh) for word in row["text"].split())


def segments_speakers(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["speaker"] for row in csv.DictReader(fh)]


# --- hostile input ------------------------------------------------------------------------------
FRAGMENTS = [
    "Anna:",
    "[Ben]",
    "NAME:",
    "interviewer:",
    "[p3]",
    "(mod)",
    "**Dr. Lee:**",
    "P1 -",
    "\t",
    "00:00:05",
    "[00:01:02]",
    "-->",
    "00:00:01.000 --> 00:00:04.000",
    "<v Anna>",
    "</v>",
    "<b>",
    "WEBVTT",
    "1",
    "#",
    "# Heading",
    "Question 1:",
    "Note:",
    "Yes -",
    "#00:01:23-4#",
    "From X :",
    "Speaker 1 (00:00:05):",
    "李:",
    "[李]",
    ":",
    "[",
    "]",
    "(",
    ")",
    "\u00a0",
    "\ufeff",
    "\r",
    "Ramon's iPhone:",
    "Vega, Marisol:",
    "\u2014",
    "Transcribed by https://otter.ai",
    "Anna  0:03",
]


@st.composite
def hostile_text(draw) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(FRAGMENTS),
                st.text(max_size=30),
                st.sampled_from(WORDS),
                st.just("\n"),
            ),
            max_size=60,
        )
    )
    return "".join(p if p == "\n" else p + draw(st.sampled_from([" ", "", "\n"])) for p in parts)


def check_segments(segments) -> None:
    """What every successful ingest guarantees."""
    assert segments, "a successful ingest has turns"
    assert [s.turn for s in segments] == list(range(1, len(segments) + 1))
    for s in segments:
        assert s.speaker.strip()
        assert s.text.strip()
        assert s.role in ("participant", "facilitator", "unknown")
