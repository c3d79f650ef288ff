"""Code ids that would be formulas or break one-line files are refused (issue 15, item 12), and every
xlsx header qualcode writes is neutralised."""

from __future__ import annotations

import io

import pytest
from refi_helpers import write_study

from qualcode.model import Code, Codebook, Theme

BAD_IDS = [
    ("=HYPERLINK(1)", "starts with '='"),
    ("+cmd", "starts with '+'"),
    ("-2+3", "starts with '-'"),
    ("@SUM(A1)", "starts with '@'"),
    ("RI\\n1", "contains a line break"),
    ("RI,1", "contains a comma"),
    ("RI\\t1", "contains a control character (U+0009)"),
]


@pytest.mark.parametrize(("ident", "message"), BAD_IDS)
def test_codebook_check_refuses_bad_ids(cli, tmp_path, ident, message):
    path = tmp_path / "codebook.yaml"
    path.write_text(f'title: t\ncodes:\n  - id: "{ident}"\n    label: a code\n', encoding="utf-8")
    result = cli("codebook", "check", path)
    assert result.exit_code == 1
    assert f"codebook.yaml:3: id {ident.encode().decode('unicode_escape')!r} of code {message}" in (
        result.stderr
    )


def test_ordinary_ids_pass(cli, tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(
        "title: t\ncodes:\n  - id: RI-1.a\n    label: x\n  - id: Ünï_2\n    label: y\n",
        encoding="utf-8",
    )
    assert cli("codebook", "check", path).exit_code == 0


def test_a_bad_id_in_a_qdc_gets_a_new_id_with_a_warning(cli, tmp_path):
    qdc = tmp_path / "hostile.qdc"
    qdc.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="t"><Codes>'
        '<Code guid="11111111-1111-4111-8111-111111111111" name="Cost" isCodable="true">'
        '<Description>[qualcode] {"id":"=HYPERLINK(1)","level":"code"}</Description></Code>'
        '<Code guid="22222222-2222-4222-8222-222222222222" name="Fare" isCodable="true">'
        '<Description>[qualcode] {"id":"A\\nB","level":"code"}</Description></Code>'
        "</Codes></CodeBook>",
        encoding="utf-8",
    )
    result = cli("import", "qdc", qdc, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert (
        "code 'Cost' carries the id '=HYPERLINK(1)', which starts with '=' (a spreadsheet would "
        "run it as a formula); it gets a new id" in result.stderr
    )
    assert "code 'Fare' carries the id 'A\\nB', which contains a line break" in result.stderr
    check = cli("codebook", "check", tmp_path / "out" / "codebook.yaml")
    assert check.exit_code == 0, check.stderr
    assert "=HYPERLINK" not in (tmp_path / "out" / "codebook.yaml").read_text(encoding="utf-8")


def _hostile_codebook() -> Codebook:
    # Built directly: load_codebook refuses these ids, but a sheet must stay safe regardless.
    codes = (Code("=1+1", "=SUM(A1)", theme_id="@T"), Code("RI2", "fine", theme_id="@T"))
    return Codebook(title="t", themes=(Theme("@T", "+theme", codes=codes),))


def test_coding_sheet_headers_are_never_formulas(tmp_path):
    from openpyxl import load_workbook

    from qualcode.coding.sheet import write_coding_sheet
    from qualcode.io import read_segments

    study = write_study(tmp_path / "study")
    segments = read_segments(study["segments"])
    path = tmp_path / "sheet.xlsx"
    write_coding_sheet(segments, _hostile_codebook(), "coder_a", path)
    ws = load_workbook(path)["Coding"]
    header = [c for c in ws[2] if c.value]
    assert [c.data_type for c in header] == ["s"] * len(header)
    assert ws["H2"].value == "'=1+1\n=SUM(A1)"
    assert ws["H1"].value == "'@T +theme"
    csv_path = tmp_path / "sheet.csv"
    write_coding_sheet(segments, _hostile_codebook(), "coder_a", csv_path)
    first = csv_path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "'=1+1: =SUM(A1)" in first


def test_report_xlsx_headers_are_neutralised():
    import pandas as pd
    from openpyxl import load_workbook

    from qualcode.report.tables import xlsx_bytes

    frame = pd.DataFrame([[1, 2]], columns=["=1+1", "@cmd"])
    ws = load_workbook(io.BytesIO(xlsx_bytes({"cooccurrence": frame}))).active
    assert [(c.value, c.data_type) for c in ws[1]] == [("'=1+1", "s"), ("'@cmd", "s")]


def test_no_cell_of_a_coding_sheet_is_a_formula(tmp_path):
    """Every sheet (Coding, Codebook, the hidden qualcode sheet): no formula cell and no text that
    a spreadsheet would run once edited or saved as CSV; the sheet still reads back."""
    import pandas as pd
    from openpyxl import load_workbook

    from qualcode.coding.sheet import read_coding_sheet, write_coding_sheet
    from qualcode.io import FORMULA_PREFIXES, read_segments

    study = write_study(tmp_path / "study")
    segments = read_segments(study["segments"])
    segments["segment_id"] = "-" + segments["segment_id"]
    segments["transcript_id"] = "-" + segments["transcript_id"]
    path = tmp_path / "sheet.xlsx"
    write_coding_sheet(segments, _hostile_codebook(), "=coder", path)
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES), (ws.title, cell.coordinate)
    codebook = Codebook(title="t", flat_codes=(Code("RI2", "fine"),))
    path = tmp_path / "plain.xlsx"
    write_coding_sheet(segments, codebook, "=coder", path)
    back = read_coding_sheet(path, coder="=coder", codebook=codebook, segments=segments)
    # read back without findings: the hidden sheet's segment ids match the rows' (both prefixed)
    assert isinstance(back, pd.DataFrame)
    assert set(back["segment_id"]) <= set(segments["segment_id"])
