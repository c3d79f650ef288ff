"""The ingest fuzz suite, small budget (issue 15, "make the search permanent"); bench/fuzz.py runs
the same properties with a long budget: `python bench/fuzz.py --examples 2000`.

- Word preservation (15.2): on generated transcripts in every text layout, Word, WebVTT and
  SubRip, every word that is not a label appears in segments.csv exactly once, and the turns
  carry the speakers as written.
- Hostile input: any text as .txt, .vtt, .srt, and any paragraphs as .docx, either gives turns
  numbered 1..n with text or fails with a QualcodeError (an `error:` line, exit 1).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_fuzz import (
    check_segments,
    hostile_text,
    render_cues,
    render_docx,
    render_text,
    segments_speakers,
    segments_words,
    transcripts,
)

from qualcode.errors import QualcodeError
from qualcode.ingest import ingest_file
from qualcode.ingest.turns import UNKNOWN_SPEAKER, normalise_speaker

SMALL = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _ingest(cli, path: Path, out: Path):
    result = cli("ingest", path, "-o", out)
    assert result.exit_code == 0, result.output + result.stderr
    return out


def _expected_speakers(t, upper=False) -> list[str]:
    names = [normalise_speaker(s.upper() if upper else s) for s, _ in t.turns]
    return ([UNKNOWN_SPEAKER] if t.leading else []) + names


def check_text_transcript(cli, t, alone) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "fg.txt"
        src.write_text(render_text(t, alone), encoding="utf-8")
        out = _ingest(cli, src, Path(tmp) / "segments.csv")
        assert segments_words(out) == t.spoken_words()
        assert segments_speakers(out) == _expected_speakers(t, upper=t.layout == "caps")


def check_cue_transcript(cli, t, kind) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"fg.{kind}"
        src.write_text(render_cues(t, kind), encoding="utf-8")
        out = _ingest(cli, src, Path(tmp) / "segments.csv")
        assert segments_words(out) == t.spoken_words()
        assert segments_speakers(out) == _expected_speakers(t)


def check_docx_transcript(cli, t, bold) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "fg.docx"
        render_docx(t, src, bold)
        out = _ingest(cli, src, Path(tmp) / "segments.csv")
        assert segments_words(out) == t.spoken_words()
        assert segments_speakers(out) == _expected_speakers(t)


def check_hostile(text: str, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"x{suffix}"
        if suffix == ".docx":
            import docx

            document = docx.Document()
            for line in text.split("\n"):
                document.add_paragraph("".join(ch for ch in line if ch >= " " or ch == "\t"))
            document.save(str(src))
        else:
            src.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            result = ingest_file(src)
        except QualcodeError as exc:
            assert str(exc)
            return
        check_segments(result.segments)


# --- the properties, small budget -----------------------------------------------------------------
@SMALL
@given(t=transcripts(), alone=st.lists(st.booleans(), min_size=14, max_size=14))
def test_every_word_of_a_text_transcript_is_kept_once(cli, t, alone):
    check_text_transcript(cli, t, alone)


@settings(SMALL, max_examples=10)
@given(t=transcripts(layouts=("colon",), leading=False), kind=st.sampled_from(["vtt", "srt"]))
def test_every_word_of_captions_is_kept_once(cli, t, kind):
    check_cue_transcript(cli, t, kind)


@settings(SMALL, max_examples=5)
@given(
    t=transcripts(layouts=("colon",)),
    bold=st.lists(st.booleans(), min_size=14, max_size=14),
)
def test_every_word_of_a_word_transcript_is_kept_once(cli, t, bold):
    check_docx_transcript(cli, t, bold)


@settings(SMALL, max_examples=40)
@given(text=hostile_text(), suffix=st.sampled_from([".txt", ".vtt", ".srt"]))
def test_hostile_text_gives_turns_or_a_clear_error(text, suffix):
    check_hostile(text, suffix)


@settings(SMALL, max_examples=5)
@given(text=hostile_text())
def test_hostile_word_paragraphs_give_turns_or_a_clear_error(text):
    check_hostile(text, ".docx")


# --- findings kept as examples (issue 15 points 2, 3, 13) -------------------------------------------
def test_found_cases_as_fixed_examples(cli):
    from ingest_fuzz import Transcript

    cases = [
        Transcript(
            "colon",
            [],
            [
                ("Anna", ["I agree.", "# 1 reason is the trust we built."]),
                ("Ben", ["Yeah"]),
                ("Anna", ["Never again"]),
                ("Ben", ["Mm-hmm"]),
            ],
        ),
        Transcript(
            "colon",
            ["we were already talking when it started."],
            [("Anna", ["Yes."]), ("Ben", ["No."]), ("Anna", ["Ok."]), ("Ben", ["Fine."])],
        ),
        Transcript(
            "bracket",
            [],
            [("李", ["我觉得 很好"]), ("王", ["我觉得"]), ("李", ["好"]), ("王", ["对"])],
        ),
        Transcript(
            "lower-dash",
            [],
            [
                ("interviewer", ["how was it?"]),
                ("resp", ["hard."]),
                ("interviewer", ["why?"]),
                ("resp", ["money."]),
            ],
        ),
    ]
    for t in cases:
        check_text_transcript(cli, t, [False, True, False, True])
