"""load_sources: folders, roster mapping, merging, roles, segments.csv input, skipping bad files."""

from __future__ import annotations

import pytest

from qualcode.errors import ContractError, InputFormatError
from qualcode.ingest import load_sources
from qualcode.ingest.blocks import RawBlock
from qualcode.ingest.turns import merge_blocks, role_from_name
from qualcode.model import SEGMENT_COLUMNS

ROSTER = """\
transcript_id,speaker,participant_id,role,gender
fg1,Anna,P01,,female
fg1,Ben,P02,participant,male
fg1,Dr. Lee,,facilitator,
fg1,Zoe,P09,,female
fg2,anna,P01,,female
"""


def make_study(root):
    (root / "transcripts" / "sub").mkdir(parents=True)
    (root / "transcripts" / "fg1.txt").write_text(
        "Dr. Lee: Welcome.\nAnna: Hi.\nANNA: Still me.\nBen: Hello.\nCarl: Hey.\n"
        "Unknown Speaker: Hm.\n",
        encoding="utf-8",
    )
    (root / "transcripts" / "sub" / "fg2.txt").write_text("Anna: Back.\n", encoding="utf-8")
    (root / "transcripts" / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (root / "transcripts" / "README.md").write_text("# notes\n", encoding="utf-8")
    (root / "transcripts" / ".hidden.txt").write_text("garbage", encoding="utf-8")
    (root / "transcripts" / "codings").mkdir()
    (root / "transcripts" / "codings" / "coder_a.csv").write_text(
        "segment_id,code_id,coder\nfg1:1,RI1,a\n", encoding="utf-8"
    )
    (root / "transcripts" / "people.csv").write_text(ROSTER, encoding="utf-8")
    (root / "transcripts" / "notes.pdf").write_bytes(b"%PDF")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    return root / "transcripts"


def frame_rows(df):
    return [tuple(r) for r in df.itertuples(index=False)]


def test_folder_with_roster(tmp_path):
    folder = make_study(tmp_path)
    result = load_sources([folder], roster=tmp_path / "roster.csv")
    assert tuple(result.segments.columns) == SEGMENT_COLUMNS
    assert frame_rows(result.segments) == [
        ("fg1:1", "fg1", 1, "Dr. Lee", "", "facilitator", "Welcome.", "", "", "fg1.txt", 1, ""),
        (
            "fg1:2",
            "fg1",
            2,
            "Anna",
            "P01",
            "participant",
            "Hi.\nStill me.",
            "",
            "",
            "fg1.txt",
            2,
            "",
        ),
        ("fg1:3", "fg1", 3, "Ben", "P02", "participant", "Hello.", "", "", "fg1.txt", 4, ""),
        ("fg1:4", "fg1", 4, "Carl", "", "participant", "Hey.", "", "", "fg1.txt", 5, ""),
        ("fg1:5", "fg1", 5, "Unknown Speaker", "", "unknown", "Hm.", "", "", "fg1.txt", 6, ""),
        ("fg2:1", "fg2", 1, "Anna", "P01", "participant", "Back.", "", "", "fg2.txt", 1, ""),
    ]
    summaries = [
        (s.transcript_id, s.format, s.turns, s.speakers, s.participants_mapped, s.warnings)
        for s in result.summaries
    ]
    assert summaries == [
        (
            "fg1",
            "text",
            5,
            5,
            2,
            [
                "roster speaker(s) not found in the transcript: Zoe",
                "speaker(s) not in the roster: Carl",
            ],
        ),
        ("fg2", "text", 1, 1, 1, []),
    ]
    assert result.skipped == []
    assert result.warnings == [f"{folder / 'notes.pdf'}: not a transcript type, ignored"]


def test_transcript_missing_from_roster(tmp_path):
    path = tmp_path / "fg9.txt"
    path.write_text("Anna: Hi.\n", encoding="utf-8")
    roster = tmp_path / "r.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    result = load_sources([path], roster=roster)
    assert result.summaries[0].warnings == [
        "transcript 'fg9' is not in the roster: no participant ids mapped"
    ]
    assert result.warnings == ["roster names transcript(s) not ingested: fg1, fg2"]


def test_bad_roster_is_reported(tmp_path):
    path = tmp_path / "fg1.txt"
    path.write_text("Anna: Hi.\n", encoding="utf-8")
    roster = tmp_path / "r.csv"
    roster.write_text("transcript_id,speaker\nfg1,Anna\n", encoding="utf-8")
    with pytest.raises(ContractError, match="roster is missing column"):
        load_sources([path], roster=roster)


def test_merge_blocks_continuations_unknown_and_times():
    blocks = [
        RawBlock(None, "before", 1),
        RawBlock("Anna", "one", 2, 1.0, 2.0),
        RawBlock(None, "two", 3, 2.0, 3.5),
        RawBlock("anna\u00a0", "three", 4, 3.5, 4.0),
        RawBlock("Moderator (Sam)", "ok", 5, 5.0, None),
    ]
    segments = merge_blocks(blocks, transcript_id="t", source="t.vtt")
    assert [
        (s.turn, s.speaker, s.role, s.text, s.start_time, s.end_time, s.line) for s in segments
    ] == [
        (1, "Unknown Speaker", "unknown", "before", None, None, 1),
        (2, "Anna", "participant", "one\ntwo\nthree", 1.0, 4.0, 2),
        (3, "Moderator (Sam)", "facilitator", "ok", 5.0, None, 5),
    ]


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Facilitator", "facilitator"),
        ("Moderator", "facilitator"),
        ("Interviewer", "facilitator"),
        ("Interviewer 1", "facilitator"),
        ("INTERVIEWER 2", "facilitator"),
        ("Co-facilitator", "facilitator"),
        ("Dr. Lee (Facilitator)", "facilitator"),
        ("Anna (moderator, nurse)", "facilitator"),
        ("Facilitator (Anna)", "facilitator"),
        ("I", "facilitator"),
        ("Unknown Speaker", "unknown"),
        ("Unidentified male", "unknown"),
        ("Anna", "participant"),
        ("Speaker 1", "participant"),
        ("Facilitated Person", "participant"),
        ("Participant (facilitates nothing)", "participant"),
    ],
)
def test_role_from_name(label, role):
    assert role_from_name(label) == role


def test_duplicate_transcript_ids(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "fg1.txt").write_text("Anna: Hi.\n", encoding="utf-8")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "fg1.txt").write_text("Ben: Hi.\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match="transcript id 'fg1' is used twice"):
        load_sources([tmp_path])


def test_bad_file_fails_unless_skip_bad(tmp_path):
    (tmp_path / "fg1.txt").write_text("Anna: Hi.\n", encoding="utf-8")
    (tmp_path / "fg2.txt").write_bytes(b"")
    (tmp_path / "fg3.txt").write_text("Ben: Yo.\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match="file is empty"):
        load_sources([tmp_path])
    ticks = []
    result = load_sources([tmp_path], skip_bad=True, progress=ticks.append)
    assert [s.transcript_id for s in result.summaries] == ["fg1", "fg3"]
    assert [(path, str(exc)) for path, exc in result.skipped] == [
        (str(tmp_path / "fg2.txt"), f"{tmp_path / 'fg2.txt'}: file is empty")
    ]
    assert ticks == [1, 1, 1]


def test_all_bad_with_skip_bad(tmp_path):
    (tmp_path / "fg2.txt").write_bytes(b"")
    with pytest.raises(InputFormatError, match=r"none of the 1 file\(s\) could be read"):
        load_sources([tmp_path], skip_bad=True)


def test_empty_folder_and_missing_path(tmp_path):
    (tmp_path / "README.md").write_text("x", encoding="utf-8")
    with pytest.raises(InputFormatError, match="no transcripts found in this folder"):
        load_sources([tmp_path])
    with pytest.raises(InputFormatError, match="no such file or folder"):
        load_sources([tmp_path / "nope.txt"])
    with pytest.raises(InputFormatError, match="no transcripts given"):
        load_sources([])


def test_segments_csv_passthrough_and_roster_remap(tmp_path):
    folder = make_study(tmp_path)
    first = load_sources([folder])
    seg = tmp_path / "segments.csv"
    first.segments.to_csv(seg, index=False)
    again = load_sources([seg])
    assert list(again.segments["speaker"]) == list(first.segments["speaker"])
    assert list(again.segments["participant_id"]) == ["", "", "", "", "", ""]
    assert [(s.transcript_id, s.format, s.turns) for s in again.summaries] == [
        ("fg1", "segments", 5),
        ("fg2", "segments", 1),
    ]
    mapped = load_sources([seg], roster=tmp_path / "roster.csv")
    assert list(mapped.segments["participant_id"]) == ["", "P01", "P02", "", "", "P01"]
    assert list(mapped.segments["role"]) == [
        "facilitator",
        "participant",
        "participant",
        "participant",
        "unknown",
        "participant",
    ]
    with pytest.raises(InputFormatError, match="cannot be combined with other sources"):
        load_sources([seg, folder])


def test_invalid_speaker_pattern_fails_before_reading(tmp_path):
    (tmp_path / "fg1.txt").write_bytes(b"")
    with pytest.raises(InputFormatError, match="invalid speaker pattern"):
        load_sources([tmp_path], speaker_pattern="(?P<speaker>")
