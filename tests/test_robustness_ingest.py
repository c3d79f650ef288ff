"""Ingest robustness: how turns are joined per format, Word title pages, and run-to-run determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docx

from qualcode.ingest import ingest_file, load_sources

REPO = Path(__file__).resolve().parent.parent


def rows(result):
    return [(s.turn, s.speaker, s.text, s.line) for s in result.segments]


# --- 1a: caption cues of one speaker are one sentence stream, paragraphs keep their breaks -------
def test_vtt_cues_of_one_speaker_join_with_a_space(tmp_path: Path):
    src = tmp_path / "zoom.vtt"
    src.write_text(
        "WEBVTT\n\n"
        "1\n00:00:01.000 --> 00:00:03.000\nAnna: I think the group\nwas helpful because\n\n"
        "2\n00:00:03.000 --> 00:00:05.000\nyou hear other people's\n\n"
        "3\n00:00:05.000 --> 00:00:07.000\nAnna: stories, you know.\n\n"
        "4\n00:00:07.000 --> 00:00:09.000\nBen: Yes.\n",
        encoding="utf-8",
    )
    assert rows(ingest_file(src)) == [
        (
            1,
            "Anna",
            "I think the group was helpful because you hear other people's stories, you know.",
            3,
        ),
        (2, "Ben", "Yes.", 16),
    ]


def test_srt_cues_of_one_speaker_join_with_a_space(tmp_path: Path):
    src = tmp_path / "int.srt"
    src.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nP4: It was my\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\ncounselor who said so.\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nI: Thanks.\n",
        encoding="utf-8",
    )
    assert rows(ingest_file(src)) == [
        (1, "P4", "It was my counselor who said so.", 1),
        (2, "I", "Thanks.", 9),
    ]


def test_text_and_docx_paragraphs_of_one_speaker_keep_line_breaks(tmp_path: Path):
    txt = tmp_path / "fg.txt"
    txt.write_text("Anna: First paragraph.\nSecond paragraph.\nBen: Yes.\n", encoding="utf-8")
    assert rows(ingest_file(txt)) == [
        (1, "Anna", "First paragraph.\nSecond paragraph.", 1),
        (2, "Ben", "Yes.", 3),
    ]
    document = docx.Document()
    para = document.add_paragraph()
    para.add_run("Anna:").bold = True
    para.add_run(" First paragraph.")
    document.add_paragraph("Second paragraph.")
    para = document.add_paragraph()
    para.add_run("Anna:").bold = True
    para.add_run(" Third.")
    para = document.add_paragraph()
    para.add_run("Ben:").bold = True
    para.add_run(" Yes.")
    path = tmp_path / "fg.docx"
    document.save(path)
    assert rows(ingest_file(path)) == [
        (1, "Anna", "First paragraph.\nSecond paragraph.\nThird.", 1),
        (2, "Ben", "Yes.", 4),
    ]


# --- 1b: a Word title page is header, not an Unknown Speaker turn --------------------------------
def test_docx_paragraphs_before_first_label_are_header_notes(tmp_path: Path):
    document = docx.Document()
    document.add_paragraph("Focus group 3")
    document.add_paragraph("17 November 2021. Transcribed from the audio recording.")
    document.add_paragraph(
        "Present were the facilitator, two nurses and a patient representative; all consented."
    )
    document.add_paragraph("")
    para = document.add_paragraph()
    para.add_run("Facilitator:").bold = True
    para.add_run(" Welcome, everyone.")
    document.add_paragraph("Plain continuation after a label stays speech.")
    document.add_paragraph("P1: Thanks.")
    path = tmp_path / "fg3.docx"
    document.save(path)
    result = ingest_file(path)
    assert rows(result) == [
        (1, "Facilitator", "Welcome, everyone.\nPlain continuation after a label stays speech.", 5),
        (2, "P1", "Thanks.", 7),
    ]
    assert result.warnings == [
        "ignored heading/title lines (3): line 1 'Focus group 3'; "
        "line 2 '17 November 2021. Transcribed from the audio recording.'; "
        "line 3 'Present were the facilitator, two nurses and a patient representative; all "
        "consented.'"
    ]


def test_plain_text_sentence_before_first_label_is_still_unknown_speaker(tmp_path: Path):
    """Text files keep their rule: speech before the first label is Unknown Speaker."""
    src = tmp_path / "fg.txt"
    src.write_text("We were already talking, sorry.\nP1: Yes.\n", encoding="utf-8")
    assert rows(ingest_file(src)) == [
        (1, "Unknown Speaker", "We were already talking, sorry.", 1),
        (2, "P1", "Yes.", 2),
    ]


# --- 1c: the same input gives the same output and warnings under any hash seed ------------------
STUDY = {
    "fg1.txt": "Study X\nDate: 1 May 2021\n\nFacilitator: Hello.\nANNA: Hi.\nBEN: Honestly: yes.\n"
    "ANNA: Ok.\nBEN: Fine.\nCARLA: New here.\n",
    "fg2.txt": "Dana Okafor  0:01\nWelcome.\n\nTerrence  0:45\nThanks.\n\nUnknown Speaker  0:50\n"
    "Mm hmm.\n\nLisa  1:00\nYes.\n\nTranscribed by https://otter.ai\n",
    "fg3.vtt": "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Vega, Marisol>Hi.</v>\n\n"
    "2\n00:00:02.000 --> 00:00:03.000\n<v Ray>Hey</v>\n\n"
    "3\n00:00:03.000 --> 00:00:04.000\n<v Ray>there.</v>\n",
    "roster.csv": "transcript_id,speaker,participant_id,role,gender\n"
    "fg1,Facilitator,F1,facilitator,\nfg1,Anna,P1,,f\nfg1,Ben,P2,,m\n"
    "fg2,Dana Okafor,F2,facilitator,\nfg2,Terrence,P3,,m\nfg2,Lisa,P4,,f\n"
    'fg3,"Vega, Marisol",F3,facilitator,\nfg3,Ray,P5,,m\nfg3,Zoe,P6,,f\nfg9,Al,P9,,m\n',
}


def _start_ingest(folder: Path, seed: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": seed, "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "qualcode", "ingest", "study", "--roster", "study/roster.csv"]
        + ["-o", f"segments-{seed}.csv"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ingest_output_and_warnings_do_not_depend_on_the_hash_seed(tmp_path: Path):
    study = tmp_path / "study"
    study.mkdir()
    for name, text in STUDY.items():
        (study / name).write_text(text, encoding="utf-8")
    seeds = ("1", "4242")
    procs = [_start_ingest(tmp_path, seed) for seed in seeds]  # in parallel: half the wait
    outputs = []
    for seed, proc in zip(seeds, procs, strict=True):
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(((tmp_path / f"segments-{seed}.csv").read_text(encoding="utf-8"), err))
    assert outputs[0] == outputs[1]
    segments, stderr = outputs[0]
    assert "Unknown Speaker" in segments
    assert "not in the roster: CARLA" in stderr
    assert "Unknown Speaker" not in stderr  # unknown by design, never a roster gap
    assert "roster speaker(s) not found in the transcript: Zoe" in stderr
    assert "roster names transcript(s) not ingested: fg9" in stderr


def test_roster_warnings_list_speakers_in_file_order(tmp_path: Path):
    src = tmp_path / "fg.txt"
    src.write_text(
        "Zed: a.\nAnna: b.\nMo: c.\nBea: d.\nZed: e.\nUnknown Speaker: f.\n", encoding="utf-8"
    )
    roster = tmp_path / "r.csv"
    roster.write_text(
        "transcript_id,speaker,participant_id,role\nfg,Yan,P9,\nfg,Xi,P8,\n", encoding="utf-8"
    )
    result = load_sources([src], roster=roster)
    assert result.summaries[0].warnings == [
        "roster speaker(s) not found in the transcript: Yan, Xi",
        "speaker(s) not in the roster: Zed, Anna, Mo, Bea",
    ]
