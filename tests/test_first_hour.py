"""The first hour of a new user (issue 17 item 6): what they met, and what they get now."""

from __future__ import annotations

import shutil

import pytest

CODEBOOK = "codebooks/bup_group_visits.yaml"


@pytest.fixture
def bundled(repo, tmp_path):
    for folder in ("sample_transcripts", "codebooks"):
        shutil.copytree(repo / folder, tmp_path / folder)
    return tmp_path


def _misspelled_roster(bundled):
    """Group 1 alone, with a roster in which Luis and Ray are mistyped (Lusi, Rya)."""
    (bundled / "g").mkdir()
    shutil.copy(bundled / "sample_transcripts" / "group1.txt", bundled / "g" / "group1.txt")
    text = (bundled / "sample_transcripts" / "roster.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith(("transcript_id", "group1,"))]
    roster = (
        "\n".join(lines)
        .replace("group1,Luis,", "group1,Lusi,")
        .replace("group1,Ray,", "group1,Rya,")
    )
    (bundled / "g" / "roster.csv").write_text(roster + "\n", encoding="utf-8")
    return bundled / "g"


def test_a_near_miss_roster_speaker_is_paired_with_did_you_mean(cli, bundled):
    g = _misspelled_roster(bundled)
    result = cli("ingest", g / "group1.txt", "--roster", g / "roster.csv", "-o", g / "s.csv")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    source = g / "group1.txt"
    assert warnings[1:] == [
        f"warning: {source}: roster speaker 'Lusi' is not in the transcript: did you mean "
        "'Luis'? (Luis is not in the roster, so no participant id is mapped to them)",
        f"warning: {source}: roster speaker 'Rya' is not in the transcript: did you mean "
        "'Ray'? (Ray is not in the roster, so no participant id is mapped to them)",
    ]
    assert "ignored heading/title lines" in warnings[0]


def test_strict_roster_makes_unmapped_participants_an_error_and_writes_nothing(cli, bundled):
    g = _misspelled_roster(bundled)
    result = cli(
        "ingest",
        g / "group1.txt",
        "--roster",
        g / "roster.csv",
        "-o",
        g / "s.csv",
        "--strict-roster",
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        f"error: {g / 'roster.csv'}: 2 participant(s) not in the roster: group1: Luis (did you "
        "mean roster speaker 'Lusi'?); group1: Ray (did you mean roster speaker 'Rya'?)",
        "hint: add them to the roster (transcript_id, speaker, participant_id), or fix the "
        "spelling on either side",
    ]
    assert not (g / "s.csv").exists()


def test_strict_roster_passes_the_bundled_study_and_needs_a_roster(cli, bundled):
    ok = cli(
        "ingest",
        bundled / "sample_transcripts",
        "--roster",
        bundled / "sample_transcripts" / "roster.csv",
        "-o",
        bundled / "s.csv",
        "--strict-roster",
    )
    assert ok.exit_code == 0, ok.output  # the intended Unknown Speaker is no roster gap
    refused = cli(
        "ingest", bundled / "sample_transcripts", "-o", bundled / "t.csv", "--strict-roster"
    )
    assert refused.exit_code == 2
    assert "--strict-roster checks a roster: add --roster roster.csv" in refused.output


def test_short_s_is_segments_in_every_command(cli, bundled):
    """`-s` meant --segments in compare, report and export but --strategy in reconcile."""
    codings = bundled / "sample_transcripts" / "codings"
    seg = bundled / "s.csv"
    cli("ingest", bundled / "sample_transcripts", "-o", seg)
    done = cli(
        "reconcile",
        codings / "coder_a.csv",
        codings / "coder_b.csv",
        "--strategy",
        "union",
        "-s",
        seg,
        "-o",
        bundled / "c.csv",
    )
    assert done.exit_code == 0, done.output
    old_habit = cli(
        "reconcile",
        codings / "coder_a.csv",
        codings / "coder_b.csv",
        "-s",
        "union",
        "-o",
        bundled / "d.csv",
    )
    assert old_habit.exit_code == 2
    assert "no segments file 'union'; give the strategy as --strategy union" in old_habit.output


def test_code_takes_the_segments_default_of_qualcode_yaml(cli, bundled, monkeypatch):
    study = bundled / "study"
    assert cli("init", study).exit_code == 0
    shutil.copy(bundled / CODEBOOK, study / "codebook.yaml")
    shutil.copy(bundled / "sample_transcripts" / "roster.csv", study / "roster.csv")
    monkeypatch.chdir(study)
    assert cli("ingest", bundled / "sample_transcripts", "-o", "segments.csv").exit_code == 0
    result = cli("code", "--coder", "auto", "--auto", "-o", "codings/auto.csv")
    assert result.exit_code == 0, result.output
    assert "wrote codings/auto.csv: 181 of 310 reviewed segments coded" in result.stdout


def test_report_all_without_the_coders_says_agreement_was_left_out(cli, bundled):
    codings = bundled / "sample_transcripts" / "codings"
    seg, consensus = bundled / "s.csv", bundled / "consensus.csv"
    cli("ingest", bundled / "sample_transcripts", "-o", seg)
    cli(
        "reconcile",
        codings / "coder_a.csv",
        codings / "coder_b.csv",
        "--strategy",
        "union",
        "-o",
        consensus,
    )
    args = (
        "report",
        "all",
        "--segments",
        seg,
        "--codings",
        consensus,
        "--codebook",
        bundled / CODEBOOK,
        "-o",
        bundled / "r.html",
    )
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert (
        "note: agreement left out: add --coder-a A.csv --coder-b B.csv (the two coders' codings "
        "before reconciliation) for agreement before and after, and --decisions "
        f"{bundled / 'consensus.decisions.csv'} (the reconcile log beside the codings)"
    ) in result.stderr.splitlines()
    with_coders = cli(
        *args, "--coder-a", codings / "coder_a.csv", "--coder-b", codings / "coder_b.csv"
    )
    assert with_coders.exit_code == 0, with_coders.output
    assert "agreement left out" not in with_coders.stderr


def _consensus(cli, bundled, *groups):
    codings = bundled / "sample_transcripts" / "codings"
    seg, consensus = bundled / "s.csv", bundled / "c.csv"
    sources = [bundled / "sample_transcripts" / g for g in groups] or [
        bundled / "sample_transcripts"
    ]
    cli("ingest", *sources, "--roster", bundled / "sample_transcripts" / "roster.csv", "-o", seg)
    cli(
        "reconcile",
        codings / "coder_a.csv",
        codings / "coder_b.csv",
        "--strategy",
        "union",
        "-o",
        consensus,
    )
    return seg, consensus


def test_saturation_terminal_summary_shows_no_internal_keys(cli, bundled):
    seg, consensus = _consensus(cli, bundled)
    result = cli(
        "report",
        "saturation",
        "--segments",
        seg,
        "--codings",
        consensus,
        "--roster",
        bundled / "sample_transcripts" / "roster.csv",
        "--base",
        "4",
        "--run",
        "1",
        "--threshold",
        "0",
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index("result: 4+1")
    assert lines[at : at + 3] == ["result: 4+1", "status: reached", "codes in the base: 16"]
    assert not [line for line in lines if line.startswith(("s:", "k 80", "k 90", "base total"))]


def test_saturation_on_a_study_too_small_says_so_once_with_parameters_that_work(cli, bundled):
    codings = bundled / "sample_transcripts" / "codings"
    seg = bundled / "s.csv"
    cli(
        "ingest",
        *(bundled / "sample_transcripts" / g for g in ("group1.txt", "group2.vtt")),
        bundled / "sample_transcripts" / "group3.docx",
        "--roster",
        bundled / "sample_transcripts" / "roster.csv",
        "-o",
        seg,
    )
    # the consensus of the three groups' turns only
    rows = (codings / "coder_a.csv").read_text(encoding="utf-8").splitlines()
    kept = [rows[0]] + [r for r in rows[1:] if r.startswith(("group1:", "group2:", "group3:"))]
    small = bundled / "a3.csv"
    small.write_text("\n".join(kept) + "\n", encoding="utf-8")
    result = cli(
        "report",
        "saturation",
        "--segments",
        seg,
        "--codings",
        small,
        "--roster",
        bundled / "sample_transcripts" / "roster.csv",
    )
    assert result.exit_code == 0, result.output
    assert "result: not assessable" in result.stdout.splitlines()
    out = " ".join(result.stdout.split())  # unwrapped
    assert out.count("not assessable") == 2  # the result, and the one sentence that says why
    assert (
        "3 events are too few for base 4 + run 2; with 3 events, base 2 and run 1 can be assessed"
        in out
    )
    assert "Sensitivity grid: no base/run pair of it fits 3 events" in out


def test_export_and_import_count_the_codes_the_same_way(cli, bundled):
    seg, _ = _consensus(cli, bundled)
    codings = bundled / "sample_transcripts" / "codings"
    qdpx, qdc = bundled / "study.qdpx", bundled / "codebook.qdc"
    exported = cli(
        "export",
        "qdpx",
        "--segments",
        seg,
        "--codings",
        codings / "coder_a.csv",
        "--codings",
        codings / "coder_b.csv",
        "--codebook",
        bundled / CODEBOOK,
        "-o",
        qdpx,
    )
    assert exported.exit_code == 0, exported.output
    assert ", 16 codes in 4 themes and 2 constructs, " in exported.stdout
    imported = cli("import", "qdpx", qdpx, "-o", bundled / "imported")
    assert imported.exit_code == 0, imported.output
    assert "codebook: 16 codes in 4 themes and 2 constructs" in imported.stdout.splitlines()
    assert cli("export", "qdc", bundled / CODEBOOK, "-o", qdc).stdout == (
        f"wrote {qdc}: 16 codes in 4 themes and 2 constructs\n"
    )
    back = cli("import", "qdc", qdc, "-o", bundled / "cb")
    assert back.stdout.splitlines()[0].startswith("16 codes in 4 themes and 2 constructs from ")


@pytest.mark.parametrize(
    "text,line,message",
    [
        ('segment_id,code_id\ng1:1,RI1\n"g1:2,RI1\n', 3, "a quote opened here is never closed"),
        (
            "segment_id,code_id\ng1:1,RI1\ng1:2,RI1,x,y\n",
            3,
            "this row has 4 cells but the header has 2 (a cell holding the delimiter needs quotes "
            "around it)",
        ),
        # The first data row: pandas takes its first cell(s) for an index column and shifts the
        # rest under the header without a word; refused like any later row.
        (
            "segment_id,code_id\ng1:1,RI1,x\ng1:2,RI1\n",
            2,
            "this row has 3 cells but the header has 2 (a cell holding the delimiter needs quotes "
            "around it)",
        ),
        (
            "segment_id,code_id\ng1:1,RI1,,\ng1:2,RI1\n",
            2,
            "this row has 4 cells but the header has 2 (a cell holding the delimiter needs quotes "
            "around it)",
        ),
    ],
)
def test_a_malformed_csv_is_described_without_parser_internals(cli, tmp_path, text, line, message):
    bad = tmp_path / "a.csv"
    bad.write_text(text, encoding="utf-8")
    result = cli("compare", bad, bad)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {bad}:{line}: cannot read codings CSV: {message}"
    ]


def test_an_xlsx_coding_sheet_given_to_compare_is_named_as_one(cli, bundled):
    seg = bundled / "s.csv"
    cli("ingest", bundled / "sample_transcripts", "-o", seg)
    sheet = bundled / "sheet.xlsx"
    made = cli("code", seg, "--codebook", bundled / CODEBOOK, "--coder", "ana", "--sheet", sheet)
    assert made.exit_code == 0, made.output
    result = cli("compare", sheet, bundled / "sample_transcripts" / "codings" / "coder_b.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {sheet}:Coding!A2: this is a coding sheet, not a codings file",
        "hint: read it back into codings with `qualcode code SEGMENTS --from-sheet SHEET --coder "
        "NAME -o codings/NAME.csv`",
    ]
    assert "Unnamed" not in result.stderr


def test_html_narrative_has_constructs_themes_and_ideas_as_headings_in_the_contents(cli, bundled):
    import re

    seg, consensus = _consensus(cli, bundled)
    page = bundled / "narrative.html"
    result = cli(
        "report",
        "narrative",
        "--segments",
        seg,
        "--codings",
        consensus,
        "--codebook",
        bundled / CODEBOOK,
        "-o",
        page,
    )
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    headings = re.findall(r'<(h[4-6]) class="node-head" id="narrative-([a-z0-9]+)">(\w+) ', html)
    levels = {ident: tag for tag, ident, _ in headings}
    assert [levels[i] for i in ("c1", "t1", "ri1", "ri2", "c2", "t4", "ri16")] == [
        "h4",
        "h5",
        "h6",
        "h6",
        "h4",
        "h5",
        "h6",
    ]
    assert len(headings) == 2 + 4 + 16
    contents = html[html.index("<nav") : html.index("</nav>")]
    linked = re.findall(r'href="#narrative-(c\d+|t\d+|ri\d+)"', contents)
    assert linked == [ident for _, ident, _ in headings]  # every heading, in document order
