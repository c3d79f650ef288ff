"""Word .docx transcripts built with python-docx: bold speakers, `Name:` prefixes, Otter layout."""

from __future__ import annotations

import zipfile

import docx
import pytest

from qualcode.errors import InputFormatError
from qualcode.ingest import ingest_file


def rows(result):
    return [(s.turn, s.speaker, s.role, s.text, s.start_time, s.line) for s in result.segments]


def speaker_paragraph(document, speaker, text, *, colon=True):
    paragraph = document.add_paragraph()
    paragraph.add_run(speaker + (":" if colon else "")).bold = True
    if text:
        paragraph.add_run(" " + text)
    return paragraph


def test_bold_run_speakers(tmp_path):
    document = docx.Document()
    document.add_heading("Focus group 1", level=1)
    speaker_paragraph(document, "Moderator", "Welcome.")
    speaker_paragraph(document, "Anna", "I think so.", colon=False)
    document.add_paragraph("A second paragraph from Anna [laughs].")
    speaker_paragraph(document, "Ben (P2)", "")  # label alone, text in the next paragraph
    document.add_paragraph("Ben speaks here.")
    speaker_paragraph(document, "Anna", "Back to me.")
    path = tmp_path / "fg1.docx"
    document.save(path)

    result = ingest_file(path)
    assert result.format == "docx"
    assert rows(result) == [
        (1, "Moderator", "facilitator", "Welcome.", None, 2),
        (2, "Anna", "participant", "I think so.\nA second paragraph from Anna [laughs].", None, 3),
        (3, "Ben (P2)", "participant", "Ben speaks here.", None, 5),
        (4, "Anna", "participant", "Back to me.", None, 7),
    ]
    assert result.warnings == ["ignored heading/title line (1): line 1 'Focus group 1'"]


def test_name_prefix_paragraphs_and_a_table(tmp_path):
    document = docx.Document()
    document.add_paragraph("Interviewer: How was it?")
    document.add_paragraph("Participant 4: Hard, honestly.")
    document.add_paragraph("")
    document.add_paragraph("It got better: slowly.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Name"
    table.cell(0, 1).text = "Age"
    document.add_paragraph("Interviewer: Thanks.")
    path = tmp_path / "int1.docx"
    document.save(path)

    result = ingest_file(path)
    assert rows(result) == [
        (1, "Interviewer", "facilitator", "How was it?", None, 1),
        (2, "Participant 4", "participant", "Hard, honestly.\nIt got better: slowly.", None, 2),
        (3, "Interviewer", "facilitator", "Thanks.", None, 5),
    ]
    assert result.warnings == [
        "ignored 1 table: text in Word tables is not read as turns (move it into paragraphs, "
        "or save the table as .csv/.xlsx)"
    ]


def test_bold_sentence_is_a_heading_not_a_speaker(tmp_path):
    document = docx.Document()
    speaker_paragraph(document, "Anna", "Hi.")
    document.add_paragraph().add_run("Closing remarks and thanks").bold = True
    speaker_paragraph(document, "Ben", "Bye.")
    path = tmp_path / "fg.docx"
    document.save(path)
    result = ingest_file(path)
    assert rows(result) == [
        (1, "Anna", "participant", "Hi.", None, 1),
        (2, "Ben", "participant", "Bye.", None, 3),
    ]
    assert result.warnings == [
        "ignored heading/title line (1): line 2 'Closing remarks and thanks'"
    ]


def test_otter_docx_layout(tmp_path):
    document = docx.Document()
    for line in (
        "Focus group 3",
        "SUMMARY KEYWORDS",
        "clinic, support, waiting",
        "SPEAKERS",
        "Jane Smith, Speaker 2, Unknown Speaker",
    ):
        document.add_paragraph(line)
    document.add_paragraph("Jane Smith  0:03")
    document.add_paragraph("Welcome everyone.")
    document.add_paragraph("Speaker 2  00:15")
    document.add_paragraph("It was hard.")
    document.add_paragraph("And long.")
    header = document.add_paragraph()
    header.add_run("Unknown Speaker").bold = True
    header.add_run("  1:02:04")
    document.add_paragraph("Yeah.")
    document.add_paragraph("Transcribed by https://otter.ai")
    path = tmp_path / "otter3.docx"
    document.save(path)

    result = ingest_file(path)
    assert result.format == "docx"
    assert rows(result) == [
        (1, "Jane Smith", "participant", "Welcome everyone.", 3.0, 6),
        (2, "Speaker 2", "participant", "It was hard.\nAnd long.", 15.0, 8),
        (3, "Unknown Speaker", "unknown", "Yeah.", 3724.0, 11),
    ]
    assert result.warnings == [
        "ignored Otter preamble (SUMMARY KEYWORDS, SPEAKERS): 5 line(s) before the first turn"
    ]


def test_docx_speaker_pattern(tmp_path):
    document = docx.Document()
    document.add_paragraph("ANNA - hello")
    document.add_paragraph("BEN - yes")
    path = tmp_path / "fg.docx"
    document.save(path)
    result = ingest_file(path, speaker_pattern=r"^(?P<speaker>[A-Z]+) - (?P<text>.*)$")
    assert rows(result) == [
        (1, "ANNA", "participant", "hello", None, 1),
        (2, "BEN", "participant", "yes", None, 2),
    ]


def test_corrupt_docx(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputFormatError, match="cannot read as a Word .docx file") as info:
        ingest_file(path)
    assert info.value.file == str(path)


def test_zip_that_is_not_a_word_document(tmp_path):
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputFormatError, match="cannot read as a Word .docx file"):
        ingest_file(path)


def test_empty_docx_file(tmp_path):
    path = tmp_path / "empty.docx"
    path.write_bytes(b"")
    with pytest.raises(InputFormatError, match="file is empty"):
        ingest_file(path)


def test_docx_without_labels(tmp_path):
    document = docx.Document()
    document.add_paragraph("We talked about the clinic for a while, and then we left.")
    path = tmp_path / "prose.docx"
    document.save(path)
    with pytest.raises(InputFormatError, match="no speaker labels found"):
        ingest_file(path)
