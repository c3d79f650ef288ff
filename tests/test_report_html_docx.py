"""HTML and docx reports read back: the HTML parsed (contents links resolve, transcript text stays
text), the docx opened with python-docx (headings, real tables with the right cells, block quotes,
the discovery curve as a picture), xlsx/csv neutralised against formulas; one smoke test on the
bundled study."""

from __future__ import annotations

import base64
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

from qualcode.analysis.data import load_study
from qualcode.analysis.hierarchy import hierarchy_report
from qualcode.analysis.narrative import narrative_report
from qualcode.codebook import load_codebook
from qualcode.io import read_codings, read_segments
from qualcode.reconcile import reconcile
from qualcode.report.sections import quote_reference
from qualcode.roster import read_roster

DATA = Path(__file__).parent / "data" / "report_scaffold"
REPO = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script> The medicine takes the sickness away but the cravings stay."
HYPERLINK = '=HYPERLINK("http://x.example","click") I need people around me who are not using.'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    for name in ("segments.csv", "consensus.csv", "coder_a.csv", "coder_b.csv", "decisions.csv",
                 "roster.csv", "codebook.yaml"):  # fmt: skip
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def args(d: Path) -> list[str]:
    return [
        "--segments", str(d / "segments.csv"), "--codings", str(d / "consensus.csv"),
        "--roster", str(d / "roster.csv"), "--codebook", str(d / "codebook.yaml"),
    ]  # fmt: skip


def study(d: Path):
    return load_study(
        read_segments(d / "segments.csv"),
        read_codings(d / "consensus.csv"),
        codebook=load_codebook(d / "codebook.yaml"),
        roster=read_roster(d / "roster.csv"),
    )


class Page(HTMLParser):
    """What a browser would see: element ids, links, tags, text, tables (by their h3 title),
    block quotes and images."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.quotes: list[str] = []
        self.images: list[str] = []
        self._h3 = ""
        self._in: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._quote: list[str] | None = None
        self._title: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "img":
            self.images.append(a["src"])
        if tag == "h3":
            self._title = []
        if tag == "table":
            self.tables[self._h3] = []
        if tag == "tr":
            self._row = []
        if tag in ("td", "th"):
            self._cell = []
        if tag == "blockquote":
            self._quote = []

    def handle_endtag(self, tag):
        if tag == "h3" and self._title is not None:
            self._h3 = "".join(self._title).strip()
            self._title = None
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.tables[self._h3].append(self._row)
            self._row = None
        if tag == "blockquote" and self._quote is not None:
            self.quotes.append("".join(self._quote))
            self._quote = None

    def handle_data(self, data):
        self.text.append(data)
        for buf in (self._cell, self._quote, self._title):
            if buf is not None:
                buf.append(data)


def check_links(page: Page) -> None:
    local = [h for h in page.hrefs if h.startswith("#")]
    assert local, "no table of contents"
    assert [h for h in local if h[1:] not in page.ids] == []
    assert [h for h in page.hrefs if not h.startswith("#")] == []  # self-contained


# --- HTML -----------------------------------------------------------------------------------------
def test_hierarchy_html_escapes_transcript_text_and_toc_resolves(cli, study_dir):
    out = study_dir / "hierarchy.html"
    # 4 quotes: every RI1 turn is quoted, the <script> one too.
    result = cli("report", "hierarchy", *args(study_dir), "--quotes", "4", "-o", out)
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    page = Page(html)
    check_links(page)
    assert "script" not in page.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = "".join(page.text)
    assert SCRIPT in text and HYPERLINK in text
    h = hierarchy_report(study(study_dir)).hierarchy
    counts = page.tables["Counts"]
    assert counts[0] == list(h.columns)
    assert [r[:7] for r in counts[1:]] == [
        [str(v) for v in row] for row in h.iloc[:, :7].itertuples(index=False, name=None)
    ]
    assert "@media print" in html


def test_narrative_html_quotes_in_order(cli, study_dir):
    result = cli("report", "narrative", *args(study_dir), "-f", "html")
    assert result.exit_code == 0, result.stderr
    page = Page(result.stdout)
    check_links(page)
    quotes = narrative_report(study(study_dir)).quotes
    expected = [f"{q['text']}{quote_reference(q)}" for q in quotes.to_dict(orient="records")]
    assert page.quotes == expected
    assert "Leftovers (ideas voiced by one participant; ideas outside the tree)" in page.tables


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("demographics", []), ("crosstab", ["--by", "gender"]), ("cooccurrence", [])],
)
def test_other_kinds_html_and_docx_tables(cli, study_dir, kind, extra):
    base = (
        ["--roster", str(study_dir / "roster.csv")] if kind == "demographics" else args(study_dir)
    )
    html_out, docx_out, json_out = (study_dir / f"r.{x}" for x in ("html", "docx", "json"))
    for out in (html_out, docx_out, json_out):
        result = cli("report", kind, *base, *extra, "-o", out)
        assert result.exit_code == 0, result.stderr
    tables = json.loads(json_out.read_text())["tables"]
    name, rows = next(iter(tables.items()))
    header = list(rows[0])
    page = Page(html_out.read_text())
    check_links(page)
    html_tables = [t for t in page.tables.values() if t and t[0] == header]
    assert html_tables, f"no html table with header {header}"
    doc = Document(docx_out)
    word = [t for t in doc.tables if [c.text for c in t.rows[0].cells] == header]
    assert word, f"no Word table with header {header}"
    assert len(word[0].rows) == len(rows) + 1
    first_col = [str(r[header[0]]) for r in rows]
    assert [row.cells[0].text for row in word[0].rows[1:]] == first_col
    assert [r[0] for r in html_tables[0][1:]] == first_col


# --- docx -----------------------------------------------------------------------------------------
def headings(doc) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]


def test_hierarchy_docx_headings_and_real_tables(cli, study_dir):
    out = study_dir / "hierarchy.docx"
    result = cli("report", "hierarchy", *args(study_dir), "--quotes", "4", "-o", out)
    assert result.exit_code == 0, result.stderr
    doc = Document(out)
    heads = headings(doc)
    assert ("Heading 1", "Constructs, themes and repeating ideas") in heads
    tree = [t for s, t in heads if s in ("Heading 3", "Heading 4", "Heading 5")]
    assert tree[:4] == [
        "C1 Body and mind",
        "T1 Medicine handles the body",
        "RI1 the pill takes care of the body",
        "RI2 people who are not using",
    ]
    h = hierarchy_report(study(study_dir)).hierarchy
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "level")
    assert [c.text for c in table.rows[0].cells] == list(h.columns)
    assert [[c.text for c in r.cells][:7] for r in table.rows[1:]] == [
        [str(v) for v in row] for row in h.iloc[:, :7].itertuples(index=False, name=None)
    ]
    assert table.style.name == "Table Grid"
    header_xml = table.rows[0]._tr.xml
    assert "w:tblHeader" in header_xml and 'w:fill="DCE6F0"' in header_xml
    assert all(r.bold for r in table.rows[0].cells[0].paragraphs[0].runs)
    body = "\n".join(p.text for p in doc.paragraphs)
    assert SCRIPT in body  # stored as text, Word never runs it
    assert 'TOC \\o "1-3"' in doc.element.xml


def test_narrative_docx_quotes_and_placeholders(cli, study_dir):
    out = study_dir / "narrative.docx"
    result = cli("report", "narrative", *args(study_dir), "-o", out)
    assert result.exit_code == 0, result.stderr
    doc = Document(out)
    quotes = [p.text for p in doc.paragraphs if p.style.name == "Quote"]
    expected = narrative_report(study(study_dir)).quotes
    assert [q.split("\n")[0] for q in quotes] == expected["text"].tolist()
    assert quotes[0].endswith("(P01, G1; segment G1:4)")
    marks = [p.text for p in doc.paragraphs if p.text.startswith("[Write here:")]
    assert len(marks) == 3  # C1, T1, T2
    assert ("Heading 3", "C1 Body and mind") in headings(doc)


SATURATION = ["--base", "1", "--run", "1", "--threshold", "0", "--permutations", "20"]
SATURATION += ["--new", "first-mention"]  # tiny groups: two-participant leaves the base empty


def test_saturation_figure_embedded_in_html(cli, study_dir):
    out = study_dir / "s.html"
    result = cli("report", "saturation", *args(study_dir), *SATURATION, "-o", out)
    assert result.exit_code == 0, result.stderr
    page = Page(out.read_text())
    check_links(page)
    assert len(page.images) == 1
    prefix = "data:image/png;base64,"
    assert page.images[0].startswith(prefix)
    assert base64.b64decode(page.images[0][len(prefix) :]).startswith(PNG_MAGIC)
    assert "saturation-figure" in page.ids


def test_saturation_figure_in_docx(cli, study_dir):
    out = study_dir / "s.docx"
    result = cli("report", "saturation", *args(study_dir), *SATURATION, "-o", out)
    assert result.exit_code == 0, result.stderr
    doc = Document(out)
    assert len(doc.inline_shapes) == 1
    blobs = [p.blob for p in doc.part.package.parts if p.content_type == "image/png"]
    assert len(blobs) == 1 and blobs[0].startswith(PNG_MAGIC)
    assert ("Heading 2", "Discovery curve") in headings(doc)
    runs = next(t for t in doc.tables if t.rows[0].cells[0].text == "s")
    assert [c.text for c in runs.rows[1].cells[:3]] == ["1", "2", "1"]


def test_docx_needs_a_file(cli, study_dir):
    result = cli("report", "hierarchy", *args(study_dir), "-f", "docx")
    assert result.exit_code == 2
    assert "docx needs a file: add -o FILE.docx" in result.stderr


# --- formula safety -------------------------------------------------------------------------------
def test_narrative_xlsx_and_csv_neutralise_formulas(cli, study_dir):
    xlsx, csv = study_dir / "n.xlsx", study_dir / "n.csv"
    for out in (xlsx, csv):
        result = cli("report", "narrative", *args(study_dir), "-o", out)
        assert result.exit_code == 0, result.stderr
    ws = load_workbook(xlsx)["quotes"]
    texts = [row[-1] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "'" + HYPERLINK in texts
    assert not [t for t in texts if t.startswith("=")]
    quotes = pd.read_csv(study_dir / "n.quotes.csv", dtype=str, keep_default_na=False)
    assert "'" + HYPERLINK in quotes["text"].tolist()


def test_methods_xlsx_sheets(cli, study_dir):
    out = study_dir / "m.xlsx"
    result = cli("report", "methods", *args(study_dir), "-o", out)
    assert result.exit_code == 0, result.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["coreq", "paragraph", "agreement"]
    rows = list(wb["coreq"].iter_rows(values_only=True))
    assert rows[0] == ("number", "item", "value", "status")
    assert [r[0] for r in rows[1:]] == [1, 12, 15, 21, 22, 24, 25, 26, 27, 29, 32]


# --- all ------------------------------------------------------------------------------------------
ALL_TITLES = [
    "Constructs, themes and repeating ideas",
    "Theoretical narrative (scaffold)",
    "Thematic saturation (Guest, Namey & Chen 2020)",
    "Table 1. Participant characteristics",
    "Code co-occurrence over segments",
    "Methods paragraph and COREQ items",
]


def run_all(cli, d: Path, out: Path) -> None:
    # The negotiated log: each coder's agreement with the consensus is then reported (issue 12).
    coders = ["--coder-a", d / "coder_a.csv", "--coder-b", d / "coder_b.csv"]
    coders += ["--decisions", d / "decisions.csv"]
    sat = ["--base", "1", "--run", "1", "--threshold", "0", "--permutations", "0"]
    result = cli("report", "all", *args(d), *coders, *sat, "-o", out)
    assert result.exit_code == 0, result.stderr


def test_all_html_has_every_section_and_a_toc(cli, study_dir):
    out = study_dir / "all.html"
    run_all(cli, study_dir, out)
    page = Page(out.read_text())
    check_links(page)
    toc = [h[1:] for h in page.hrefs]
    for sid in ("hierarchy", "narrative", "saturation", "demographics", "cooccurrence", "methods"):
        assert sid in toc
    assert page.tables["COREQ items"][0] == ["number", "item", "value", "status"]
    agreement = page.tables["Agreement before and after reconciliation (pooled)"]
    assert [r[:2] for r in agreement[1:]] == [
        ["before reconciliation", "coder_a vs coder_b"],
        ["after reconciliation", "coder_a vs consensus"],
        ["after reconciliation", "coder_b vs consensus"],
    ]
    assert len(page.images) == 1


def test_all_docx_has_every_section(cli, study_dir):
    out = study_dir / "all.docx"
    run_all(cli, study_dir, out)
    doc = Document(out)
    assert [t for s, t in headings(doc) if s == "Heading 1"] == ALL_TITLES
    assert len(doc.inline_shapes) == 1
    coreq = next(t for t in doc.tables if t.rows[0].cells[0].text == "number")
    statuses = [r.cells[3].text for r in coreq.rows[1:]]
    # 1 (which author facilitated), 15 (non-participants present), 26 (derivation of themes)
    assert statuses.count("to complete by hand") == 3
    assert 'TOC \\o "1-3"' in doc.element.xml


def test_all_on_the_bundled_study(cli, tmp_path):
    """Smoke: transcripts ingested on the fly, both coders, a consensus, one HTML file."""
    study = REPO / "sample_transcripts"
    a, b = study / "codings" / "coder_a.csv", study / "codings" / "coder_b.csv"
    consensus = reconcile(read_codings(a), read_codings(b), strategy="union").consensus
    cons_path = tmp_path / "consensus.csv"
    consensus.to_csv(cons_path, index=False)
    out = tmp_path / "report.html"
    result = cli(
        "report", "all", study, "--roster", study / "roster.csv", "--codings", cons_path,
        "--codebook", REPO / "codebooks" / "bup_group_visits.yaml", "--coder-a", a,
        "--coder-b", b, "--base", "4", "--run", "1", "--threshold", "0", "--permutations", "0",
        "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    page = Page(out.read_text())
    check_links(page)
    text = " ".join(page.text)
    assert "The data are 5 transcribed groups with 33 participants" in text
    assert "was reached at 4+1" in text
    assert "Cohen's kappa 0.757" in text
