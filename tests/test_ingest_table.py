"""Table transcripts: CSV (delimiter sniffed) and XLSX (openpyxl), columns found by name."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import openpyxl
import pytest

from qualcode.errors import InputFormatError
from qualcode.ingest.table import parse_csv_table, parse_xlsx_table, sniff_delimiter


def rows(parsed):
    return [(b.speaker, b.text, b.line, b.start_time, b.end_time) for b in parsed.blocks]


# A spreadsheet export from a European locale: semicolons, decimal commas, a quoted multi-line cell.
SEMICOLON_CSV = (
    "Speaker Name;Start Time;End Time;Text\n"
    'Facilitator (Ana);00:00:03.5;00:00:09;"Welcome; please introduce yourselves."\n'
    'P1;9,25;14;"I\u2019m Tom.\nI\u2019ve been coming here for a year."\n'
    ";14;15;and it helps\n"
    "\n"
    "P2;1:02;;\n"
    "P2;01:05:00;;\u201cIt\u2019s the people.\u201d\u00a0Really.\n"
)


def test_semicolon_csv_whole_result():
    parsed = parse_csv_table(SEMICOLON_CSV, "fg3.csv")
    assert parsed.format == "table"
    assert rows(parsed) == [
        ("Facilitator (Ana)", "Welcome; please introduce yourselves.", 2, 3.5, 9.0),
        ("P1", "I\u2019m Tom.\nI\u2019ve been coming here for a year.", 3, 9.25, 14.0),
        (None, "and it helps", 4, 14.0, 15.0),
        ("P2", "\u201cIt\u2019s the people.\u201d\u00a0Really.", 7, 3900.0, None),
    ]
    assert parsed.warnings == ["1 row with a speaker but no text skipped (row 6)"]


def test_comma_csv_with_default_names_and_extra_columns():
    text = (
        "id,participant,utterance,timestamp,sentiment\n"
        '1,Moderator,"Okay, let\'s begin.",[00:00:05],\n'
        "2,P7,I was nervous.,75.5,neg\n"
    )
    assert rows(parse_csv_table(text, "x.csv")) == [
        ("Moderator", "Okay, let's begin.", 2, 5.0, None),
        ("P7", "I was nervous.", 3, 75.5, None),
    ]


def test_tab_csv_and_crlf():
    text = "WHO\tComment\tbegin\tstop\r\nA\thello\t1\t2\r\nB\tbye\t2\t3\r\n"
    assert rows(parse_csv_table(text, "x.tsv")) == [
        ("A", "hello", 2, 1.0, 2.0),
        ("B", "bye", 3, 2.0, 3.0),
    ]


def test_named_columns_win_over_defaults_and_match_loosely():
    text = "speaker,text,Coded By,Excerpt\nA,ignored,Rater 1,the excerpt\n"
    parsed = parse_csv_table(text, "x.csv", speaker_column="coded_by", text_column=" EXCERPT ")
    assert rows(parsed) == [("Rater 1", "the excerpt", 2, None, None)]


def test_speaker_priority_and_bom_and_leading_blank_rows():
    text = "\ufeff\n\nName,Speaker,Text\nsomeone,P1,hi\n"
    assert rows(parse_csv_table(text, "x.csv")) == [("P1", "hi", 4, None, None)]


def test_bad_times_are_left_empty_with_a_warning():
    text = "speaker,text,time\nA,one,soon\nB,two,n/a\nC,three,2023-05-01 10:00\nD,four,\n"
    parsed = parse_csv_table(text, "x.csv")
    assert rows(parsed) == [
        ("A", "one", 2, None, None),
        ("B", "two", 3, None, None),
        ("C", "three", 4, None, None),
        ("D", "four", 5, None, None),
    ]
    assert parsed.warnings == [
        "3 rows with a time that is not seconds or hh:mm:ss (row 2, 3, 4); those times are left empty"
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("speaker,text", ","),
        ("speaker;text", ";"),
        ("speaker\ttext", "\t"),
        ('"speaker, name";"text, verbatim"', ";"),
        ("speaker", ","),
    ],
)
def test_sniff_delimiter(header, expected):
    assert sniff_delimiter(header + "\nA,b;c\td\n") == expected


# --- XLSX ---------------------------------------------------------------------------------------
def test_xlsx_transcript_sheet_times_and_numbers(tmp_path: Path):
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes["A1"] = "Session notes, not the transcript"
    sheet = wb.create_sheet("Focus group transcript")
    sheet.append(["Who", "Utterance", "Start", "End"])
    sheet.append([None, None, None, None])
    sheet.append(["Dr. Lee", "Welcome back.", dt.time(0, 1, 2), 65.25])
    sheet.append([3, "Participant three here.", "01:10", dt.timedelta(seconds=75)])
    sheet.append([None, "Still me.\r\nSecond paragraph.", 80, None])
    sheet.append(["P4", "   ", 90, None])
    path = tmp_path / "fg.xlsx"
    wb.save(path)
    parsed = parse_xlsx_table(path)
    assert parsed.format == "table"
    assert rows(parsed) == [
        ("Dr. Lee", "Welcome back.", 3, 62.0, 65.25),
        ("3", "Participant three here.", 4, 70.0, 75.0),
        (None, "Still me.\nSecond paragraph.", 5, 80.0, None),
    ]
    assert parsed.warnings == ["1 row with a speaker but no text skipped (row 6)"]


def test_xlsx_first_non_empty_sheet_and_named_columns(tmp_path: Path):
    wb = openpyxl.Workbook()
    wb.active.title = "Empty"
    sheet = wb.create_sheet("Data")
    sheet.append([])
    sheet.append(["Voice", "Said"])
    sheet.append(["Ana", "hola"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    parsed = parse_xlsx_table(path, speaker_column="voice", text_column="said")
    assert rows(parsed) == [("Ana", "hola", 3, None, None)]


def test_corrupt_xlsx_is_an_error(tmp_path: Path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputFormatError) as err:
        parse_xlsx_table(path)
    exc = err.value
    assert (exc.file, exc.line, exc.message) == (
        str(path),
        None,
        "cannot read this Excel workbook: File is not a zip file",
    )
    assert exc.hint == (
        "open it in Excel or LibreOffice and save it again as .xlsx (or export the sheet as .csv)"
    )


def test_xlsx_without_data_is_an_error(tmp_path: Path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(InputFormatError) as err:
        parse_xlsx_table(path)
    assert (err.value.file, err.value.message) == (str(path), "the workbook has no sheet with data")


def test_xlsx_missing_columns_is_an_error(tmp_path: Path):
    wb = openpyxl.Workbook()
    wb.active.append(["Speaker", "Notes"])
    wb.active.append(["A", "x"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    with pytest.raises(InputFormatError) as err:
        parse_xlsx_table(path)
    assert (err.value.file, err.value.line, err.value.message) == (
        str(path),
        1,
        "no text column (looked for text, utterance, transcript, content, dialogue, message, "
        "turn_text, comment); the columns are 'Speaker', 'Notes'",
    )


# --- CSV errors ---------------------------------------------------------------------------------
def test_missing_speaker_column_names_file_line_columns_and_hint():
    with pytest.raises(InputFormatError) as err:
        parse_csv_table("Person;Words\nA;hello\n", "fg.csv")
    exc = err.value
    assert (exc.file, exc.line, exc.message, exc.hint) == (
        "fg.csv",
        1,
        "no speaker column (looked for speaker, name, participant, speaker_name, who); "
        "the columns are 'Person', 'Words'",
        "name the columns with --speaker-column and --text-column",
    )


def test_named_column_not_found():
    with pytest.raises(InputFormatError) as err:
        parse_csv_table("speaker,text\nA,b\n", "fg.csv", text_column="Quote")
    assert (err.value.line, err.value.message) == (
        1,
        "no text column (looked for 'Quote'); the columns are 'speaker', 'text'",
    )


def test_same_column_for_speaker_and_text():
    with pytest.raises(InputFormatError) as err:
        parse_csv_table("speaker,text\nA,b\n", "fg.csv", text_column="speaker")
    assert (err.value.line, err.value.message, err.value.hint) == (
        1,
        "the speaker and the text column are the same column ('speaker')",
        "name the columns with --speaker-column and --text-column",
    )


def test_empty_table():
    with pytest.raises(InputFormatError) as err:
        parse_csv_table("\n\n", "fg.csv")
    assert (err.value.file, err.value.line, err.value.message) == (
        "fg.csv",
        None,
        "the table is empty",
    )


def test_header_only():
    with pytest.raises(InputFormatError) as err:
        parse_csv_table("speaker,text\n,\n", "fg.csv")
    assert (err.value.line, err.value.message) == (1, "no rows with text in the 'text' column")


def test_unreadable_row_names_the_row_and_fails_fast():
    text = 'speaker,text\nA,hi\nB,"' + "x" * 5_000_000
    began = time.process_time()
    with pytest.raises(InputFormatError) as err:
        parse_csv_table(text, "fg.csv")
    assert time.process_time() - began < 5
    exc = err.value
    assert (exc.file, exc.line, exc.message) == (
        "fg.csv",
        3,
        "cannot read this CSV row: field larger than field limit (131072)",
    )
    assert exc.hint == "check the quotes in this row; a cell's text must fit in 128 KB"
