"""`qualcode report ...` end to end: json equals the core result, files read back, formula-safe
exports, transcripts as sources, and every error message the command adds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from qualcode.analysis.cooccurrence import cooccurrence_report
from qualcode.analysis.crosstab import crosstab_report
from qualcode.analysis.data import load_study
from qualcode.analysis.demographics import demographics_report
from qualcode.analysis.hierarchy import hierarchy_report
from qualcode.analysis.saturation import saturation_report
from qualcode.codebook import load_codebook
from qualcode.io import read_codings, read_segments
from qualcode.roster import read_roster

DATA = Path(__file__).parent / "data" / "analysis"
LONG = "the medicine takes the sickness away but the cravings are still there"


@pytest.fixture
def study_dir(tmp_path: Path) -> Path:
    for name in ("segments.csv", "codings.csv", "roster.csv", "codebook.yaml"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def files(d: Path) -> list[str]:
    return [
        "--segments",
        str(d / "segments.csv"),
        "--codings",
        str(d / "codings.csv"),
        "--roster",
        str(d / "roster.csv"),
        "--codebook",
        str(d / "codebook.yaml"),
    ]


def core_study(d: Path):
    return load_study(
        read_segments(d / "segments.csv"),
        read_codings(d / "codings.csv"),
        codebook=load_codebook(d / "codebook.yaml"),
        roster=read_roster(d / "roster.csv"),
    )


# --- json equals the core's to_dict(), one test per kind --------------------------------------------
def test_hierarchy_json_equals_core(cli, study_dir):
    result = cli("report", "hierarchy", *files(study_dir), "--quotes", "2", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == hierarchy_report(core_study(study_dir), quotes=2).to_dict()


def test_saturation_json_equals_core(cli, study_dir):
    args = ["--base", "1", "--run", "1", "--threshold", "0%", "--permutations", "50", "--seed", "3"]
    result = cli("report", "saturation", *files(study_dir), *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    expected = saturation_report(
        core_study(study_dir), base=1, run=1, threshold=0.0, permutations=50, seed=3
    ).to_dict()
    assert json.loads(result.stdout) == expected
    assert expected["summary"]["result"] == "1+1"  # two-participant, the A&S default
    assert expected["summary"]["parameters"]["new"] == "two-participant"


def test_demographics_json_equals_core(cli, study_dir):
    result = cli(
        "report", "demographics", "--roster", study_dir / "roster.csv", "--stratify", "gender",
        "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    roster = read_roster(study_dir / "roster.csv")
    expected = demographics_report(
        roster, stratify="gender", roster_path=study_dir / "roster.csv"
    ).to_dict()
    assert json.loads(result.stdout) == expected


def test_crosstab_json_equals_core(cli, study_dir):
    result = cli("report", "crosstab", "--by", "site", *files(study_dir), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == crosstab_report(core_study(study_dir), "site").to_dict()


def test_cooccurrence_json_equals_core(cli, study_dir):
    result = cli("report", "cooccurrence", *files(study_dir), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == cooccurrence_report(core_study(study_dir)).to_dict()


# --- files read back ---------------------------------------------------------------------------------
def test_terminal_table_shows_counts_and_flags(cli, study_dir, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = cli("report", "hierarchy", *files(study_dir))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Facilitator turns are excluded (2 coded facilitator segment(s) not counted)." in out
    assert "P02 supplied 2 of 3 segments (67%)" in out and "voiced in G1 only" in out
    assert "P03, G2" in out  # the quote label (--quote-label default: participant, group)


def test_markdown_with_discovery_figure(cli, study_dir):
    out = study_dir / "saturation.md"
    result = cli(
        "report", "saturation", *files(study_dir), "--base", "1", "--run", "1",
        "--permutations", "20", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# Thematic saturation (Guest, Namey & Chen 2020)")
    assert "![Discovery curve](saturation.discovery.png)" in text
    assert "| s | run_events | new_in_run |" in text
    png = (study_dir / "saturation.discovery.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_hierarchy_markdown_outline_has_quotes(cli, study_dir):
    result = cli("report", "hierarchy", *files(study_dir), "-f", "md")
    assert result.exit_code == 0, result.stderr
    # C1 rolls up its repeating ideas only (RI2, one participant, is a leftover).
    assert "- **C1** Psych (4 mentions; voiced in 3 of 3 groups by 3 of 4 participants)" in (
        result.stdout
    )
    assert '> "The medicine takes the sickness away' in result.stdout
    assert "(P01, G1; segment G1:2)" in result.stdout


def test_csv_tables_are_formula_safe_and_read_back(cli, study_dir):
    seg = pd.read_csv(study_dir / "segments.csv", dtype=str, keep_default_na=False)
    seg.loc[seg["segment_id"] == "G1:2", "text"] = '=HYPERLINK("http://x","click") ' + LONG
    seg.to_csv(study_dir / "segments.csv", index=False)
    out = study_dir / "hierarchy.csv"
    result = cli("report", "hierarchy", *files(study_dir), "-o", out)
    assert result.exit_code == 0, result.stderr
    main = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert main["id"].tolist() == ["C1", "T1", "RI1", "RI2", "T2", "RI3", "RI5", "RI4"]
    quotes = pd.read_csv(study_dir / "hierarchy.quotes.csv", dtype=str, keep_default_na=False)
    first = quotes[quotes["segment_id"] == "G1:2"]["text"].iat[0]
    assert first == '\'=HYPERLINK("http://x","click") ' + LONG
    for name in ("flags", "matrix", "leftovers"):
        assert (study_dir / f"hierarchy.{name}.csv").exists()
    one = cli("report", "hierarchy", *files(study_dir), "-f", "csv", "--table", "quotes")
    assert one.stdout.splitlines()[1].startswith("RI1,the medicine handles the body,1,")
    assert "'=HYPERLINK" in one.stdout


def test_xlsx_has_one_sheet_per_table_with_values_not_formulas(cli, study_dir):
    seg = pd.read_csv(study_dir / "segments.csv", dtype=str, keep_default_na=False)
    seg.loc[seg["segment_id"] == "G1:2", "text"] = "=1+1 " + LONG
    seg.to_csv(study_dir / "segments.csv", index=False)
    out = study_dir / "h.xlsx"
    result = cli("report", "hierarchy", *files(study_dir), "-o", out)
    assert result.exit_code == 0, result.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["hierarchy", "flags", "quotes", "matrix", "leftovers"]
    quotes = wb["quotes"]
    header = [c.value for c in quotes[1]]
    row = next(
        r for r in quotes.iter_rows(min_row=2) if r[header.index("segment_id")].value == "G1:2"
    )
    text = row[header.index("text")]
    assert text.value == "'=1+1 " + LONG and text.data_type == "s"


def test_existing_output_is_backed_up(cli, study_dir):
    out = study_dir / "t1.md"
    out.write_text("old")
    result = cli("report", "demographics", "--roster", study_dir / "roster.csv", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert out.read_text().startswith("# Table 1. Participant characteristics")
    assert [p.read_text() for p in study_dir.glob("t1.md.*.bak")] == ["old"]


def test_transcripts_as_sources(cli, tmp_path):
    (tmp_path / "G1.txt").write_text(
        "Facilitator: What helps?\n\nP1: The medicine takes the sickness away but not the "
        "cravings.\n\nP2: Yeah, the pills fix the body.\n"
    )
    (tmp_path / "G2.txt").write_text("Facilitator: And you?\n\nAnn: My mind still wants it.\n")
    (tmp_path / "codings.csv").write_text(
        "segment_id,code_id,coder\nG1:1,RI1,c\nG1:2,RI1,c\nG1:3,RI1,c\nG2:2,RI1,c\n"
    )
    result = cli(
        "report", "hierarchy", tmp_path / "G1.txt", tmp_path / "G2.txt",
        "--codings", tmp_path / "codings.csv", "--codebook", DATA / "codebook.yaml",
        "--roster", DATA / "roster.csv", "--min-words", "1", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = {r["id"]: r for r in json.loads(result.stdout)["tables"]["hierarchy"]}
    assert (rows["RI1"]["mentions"], rows["RI1"]["participants"], rows["RI1"]["groups"]) == (
        3,
        3,
        2,
    )


def test_order_option(cli, study_dir):
    result = cli(
        "report", "saturation", *files(study_dir), "--order", "G3,G1,G2", "--base", "1",
        "--run", "1", "--permutations", "0", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    events = json.loads(result.stdout)["tables"]["events"]
    assert [e["transcript_id"] for e in events] == ["G3", "G1", "G2"]


# --- errors ------------------------------------------------------------------------------------------
def test_several_coders_error_names_the_flag(cli, study_dir):
    path = study_dir / "codings.csv"
    path.write_text(path.read_text().replace("G1:2,RI1,consensus", "G1:2,RI1,ana"))
    result = cli("report", "cooccurrence", *files(study_dir))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {path}: codings file holds 2 coders (consensus, ana); a report uses one",
        "hint: report on the consensus file, or pick one coder with --coder NAME",
    ]
    ok = cli("report", "cooccurrence", *files(study_dir), "--coder", "ana", "-f", "json")
    assert ok.exit_code == 0


def test_unknown_event_order_error_names_the_flag(cli, study_dir):
    roster = pd.read_csv(study_dir / "roster.csv", dtype=str, keep_default_na=False)
    roster.drop(columns="event_order").to_csv(study_dir / "roster.csv", index=False)
    result = cli("report", "saturation", *files(study_dir))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {study_dir / 'roster.csv'}: the order of the events (transcripts) is unknown",
        "hint: add event_order or event_date to the roster, or pass --order T1,T2,...",
    ]


def test_unknown_table_is_an_error(cli, study_dir):
    result = cli("report", "cooccurrence", *files(study_dir), "-f", "csv", "--table", "nope")
    assert result.exit_code == 1
    assert "error: the cooccurrence report has no table 'nope'" in result.stderr
    assert "hint: tables: counts, jaccard, pairs" in result.stderr


def test_code_not_in_codebook_names_the_codings_line(cli, study_dir):
    path = study_dir / "codings.csv"
    path.write_text(path.read_text().replace("G1:2,RI1,", "G1:2,RI7,"))
    result = cli("report", "hierarchy", *files(study_dir))
    assert result.exit_code == 1
    assert f"error: {path}:3: code 'RI7' is not in the codebook" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hierarchy", "--codings", "c.csv", "--codebook", "cb.yaml"], "give transcripts"),
        (["cooccurrence", "--segments", "s.csv"], "give --codings"),
        (["hierarchy", "--segments", "s.csv", "--codings", "c.csv"], "needs --codebook"),
        (["demographics", "--roster", "r.csv", "-f", "xlsx"], "xlsx needs a file"),
        (["demographics", "--roster", "r.csv", "-o", "t1.pdf"], "cannot tell the format"),
        (["saturation", "--segments", "s.csv", "--threshold", "lots"], "not a share"),
        (["saturation", "--segments", "s.csv", "--threshold", "150%"], "outside 0%-100%"),
        (["saturation", "--segments", "s.csv", "--denominator", "all"], "choose base or"),
        (["saturation", "--segments", "s.csv", "--new", "third"], "choose first-mention"),
        (["saturation", "--segments", "s.csv", "--order", ","], "give the transcripts in"),
        (
            ["crosstab", "--by", "site", "--segments", "s.csv", "--count", "x"],
            "choose participants",
        ),
    ],
)
def test_usage_errors_exit_2(cli, args, message):
    result = cli("report", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_sources_and_segments_together_is_a_usage_error(cli, study_dir):
    result = cli("report", "cooccurrence", study_dir / "segments.csv", *files(study_dir))
    assert result.exit_code == 2
    assert "give transcripts or --segments, not both" in result.stderr


def test_every_report_command_has_help_with_an_example(cli):
    for kind in ("hierarchy", "saturation", "demographics", "crosstab", "cooccurrence"):
        result = cli("report", kind, "--help")
        assert result.exit_code == 0
        assert "Example: qualcode report " + kind in " ".join(result.stdout.split())
