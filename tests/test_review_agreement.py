"""Issue 12, item 0: what each coder reviewed is explicit, so a codings file that lists only coded
segments cannot inflate agreement; a code neither coder applied is "not observed", not 1.000.

Figures measured on the bundled study (sample_transcripts/codings): with every "reviewed, no code"
row removed, the codings rule leaves 192 of 310 turns double-coded and pooled kappa 0.854 (theme T1
1.000); `--reviewed all` gives back the full files' 310 turns and kappa 0.757 (T1 0.849).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The bundled study ingested, and each coder's file without its empty-code rows."""
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    folder = tmp_path_factory.mktemp("reviewed")
    seg = folder / "segments.csv"
    result = CliRunner().invoke(
        app, ["ingest", str(STUDY), "--roster", str(STUDY / "roster.csv"), "-o", str(seg)]
    )
    assert result.exit_code == 0, result.output
    files = {}
    for coder in ("coder_a", "coder_b"):
        df = pd.read_csv(STUDY / "codings" / f"{coder}.csv", dtype=str, keep_default_na=False)
        coded = df[df["code_id"] != ""]
        assert len(coded) < len(df)
        path = folder / f"{coder}.csv"
        coded.to_csv(path, index=False)
        files[coder] = path
    consensus = pd.read_csv(STUDY / "codings" / "coder_a.csv", dtype=str, keep_default_na=False)
    consensus.assign(coder="consensus").to_csv(folder / "consensus.csv", index=False)
    files["consensus"] = folder / "consensus.csv"
    return {"segments": seg, **files}


def _json(cli, *args, codebook=CODEBOOK):
    result = cli("compare", *args, "--codebook", codebook, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def _theme(d, theme_id):
    return next(r for r in d["per_theme"] if r["id"] == theme_id)


def test_coded_only_files_with_reviewed_all_match_the_full_files(cli, study):
    full, _ = _json(
        cli,
        STUDY / "codings" / "coder_a.csv",
        STUDY / "codings" / "coder_b.csv",
        "--segments",
        study["segments"],
    )
    given, stderr = _json(
        cli,
        study["coder_a"],
        study["coder_b"],
        "--segments",
        study["segments"],
        "--reviewed",
        "all",
    )
    assert "warning" not in stderr
    assert given["reviewed"]["both"] == full["reviewed"]["both"] == 310
    assert given["overall"]["pooled"] == full["overall"]["pooled"]
    assert given["per_code"] == full["per_code"]
    assert round(given["overall"]["pooled"]["cohen_kappa"], 3) == 0.757
    assert round(_theme(given, "T1")["cohen_kappa"], 3) == 0.849
    assert given["reviewed_rule"]["rule"] == "all"


def test_coded_only_files_warn_and_name_the_option(cli, study):
    d, stderr = _json(cli, study["coder_a"], study["coder_b"])
    # The codings rule: only the listed (coded) segments, so the double-coded set shrinks.
    assert d["reviewed"]["both"] == 192
    assert round(d["overall"]["pooled"]["cohen_kappa"], 3) == 0.854
    assert round(_theme(d, "T1")["cohen_kappa"], 3) == 1.0
    assert d["no_empty_code_rows"] == ["coder_a", "coder_b"]
    lines = [x for x in stderr.splitlines() if x.startswith("warning:")]
    assert len(lines) == 2
    assert all("no rows with an empty code_id" in x and "--reviewed all" in x for x in lines)


def test_full_files_do_not_warn(cli):
    _, stderr = _json(cli, STUDY / "codings" / "coder_a.csv", STUDY / "codings" / "coder_b.csv")
    assert "warning" not in stderr


def test_reviewed_transcripts_takes_the_transcripts_a_file_touches(cli, tmp_path, study):
    a = pd.read_csv(study["coder_a"], dtype=str, keep_default_na=False)
    b = pd.read_csv(study["coder_b"], dtype=str, keep_default_na=False)
    a[a["segment_id"].str.startswith("group1:")].to_csv(tmp_path / "a.csv", index=False)
    b[b["segment_id"].str.startswith("group1:")].to_csv(tmp_path / "b.csv", index=False)
    seg = pd.read_csv(study["segments"], dtype=str, keep_default_na=False)
    group1 = seg[(seg["transcript_id"] == "group1") & (seg["role"] != "facilitator")]
    d, _ = _json(
        cli,
        tmp_path / "a.csv",
        tmp_path / "b.csv",
        "--segments",
        study["segments"],
        "--reviewed",
        "transcripts",
    )
    assert d["reviewed"]["both"] == len(group1) == 79
    assert d["reviewed"]["a"] == d["reviewed"]["b"] == 79


def test_reviewed_all_needs_the_segments(cli, study):
    result = cli("compare", study["coder_a"], study["coder_b"], "--reviewed", "all")
    assert result.exit_code == 2
    assert "--segments" in result.stderr


def test_a_code_neither_coder_applied_is_not_observed(cli, tmp_path):
    codebook = tmp_path / "cb.yaml"
    codebook.write_text("title: t\ncodes:\n  - {id: A, label: a}\n  - {id: B, label: b}\n")
    header = "segment_id,code_id,coder,origin,memo,start_char,end_char\n"
    rows_a = ["g:1,A", "g:2,A", "g:3,", "g:4,"]
    rows_b = ["g:1,A", "g:2,", "g:3,", "g:4,"]
    for name, rows in (("ana", rows_a), ("ben", rows_b)):
        (tmp_path / f"{name}.csv").write_text(
            header + "".join(f"{r},{name},manual,,,\n" for r in rows)
        )
    d, _ = _json(cli, tmp_path / "ana.csv", tmp_path / "ben.csv", codebook=codebook)
    b = next(r for r in d["per_code"] if r["code_id"] == "B")
    assert (b["both"], b["only_a"], b["only_b"], b["neither"]) == (0, 0, 0, 4)
    for key in ("percent_agreement", "gwet_ac1", "brennan_prediger", "cohen_kappa"):
        assert b[key] is None, key
    assert b["reasons"]["gwet_ac1"].startswith("not observed")
    assert b["reasons"]["percent_agreement"].startswith("not observed")
    a = next(r for r in d["per_code"] if r["code_id"] == "A")
    assert a["percent_agreement"] == 0.75 and a["gwet_ac1"] is not None
    md = cli(
        "compare", tmp_path / "ana.csv", tmp_path / "ben.csv", "--codebook", codebook, "-f", "md"
    )
    assert "not observed: neither coder applied the code" in md.stdout
    assert (
        "| B | b |" in md.stdout and "1.000" not in md.stdout.split("| B | b |")[1].split("\n")[0]
    )


def test_methods_paragraph_names_the_reviewed_rule(cli, study):
    common = (
        "report",
        "methods",
        "--segments",
        study["segments"],
        "--codings",
        study["consensus"],
        "--codebook",
        CODEBOOK,
        "--roster",
        STUDY / "roster.csv",
        "--coder-a",
        study["coder_a"],
        "--coder-b",
        study["coder_b"],
        "-f",
        "json",
    )
    given = cli(*common, "--reviewed", "all")
    assert given.exit_code == 0, given.stderr
    text = json.loads(given.stdout)["summary"]["paragraph"]
    assert "reviewed every participant turn of the segments file" in text
    assert "310 of 310 participant turns (100%) were coded by both" in text
    assert "kappa 0.757" in text
    default = cli(*common)
    text = json.loads(default.stdout)["summary"]["paragraph"]
    assert "reviewed the segments listed in their codings file" in text
    assert "list only coded turns" in text


def test_a_theme_with_low_kappa_while_its_ideas_agree_gets_the_prevalence_note(cli, tmp_path):
    """10 turns: ideas X and Y agree everywhere (kappa 1), Z once each way (kappa -0.111); the
    theme is on 9 turns for each coder with 8 shared: 8/1/1/0, kappa 2(0 - 1)/(9 + 9) = -0.111."""
    codebook = tmp_path / "cb.yaml"
    codebook.write_text(
        "title: t\nthemes:\n  - id: T1\n    label: theme\n    repeating_ideas:\n"
        "      - {id: X, label: x}\n      - {id: Y, label: y}\n      - {id: Z, label: z}\n"
    )
    header = "segment_id,code_id,coder,origin,memo,start_char,end_char\n"
    shared = [f"g:{i},X" for i in range(1, 5)] + [f"g:{i},Y" for i in range(5, 9)]
    for name, rows in (("ana", [*shared, "g:9,Z", "g:10,"]), ("ben", [*shared, "g:9,", "g:10,Z"])):
        (tmp_path / f"{name}.csv").write_text(
            header + "".join(f"{r},{name},manual,,,\n" for r in rows)
        )
    d, _ = _json(cli, tmp_path / "ana.csv", tmp_path / "ben.csv", codebook=codebook)
    theme = d["per_theme"][0]
    assert (theme["both"], theme["only_a"], theme["only_b"], theme["neither"]) == (8, 1, 1, 0)
    assert round(theme["cohen_kappa"], 3) == -0.111
    assert theme["prevalence_paradox"] is True
    md = cli(
        "compare", tmp_path / "ana.csv", tmp_path / "ben.csv", "--codebook", codebook, "-f", "md"
    )
    assert "Prevalence note (T1): kappa is low while its ideas agree well" in md.stdout
    assert "Feinstein &amp; Cicchetti 1990" in md.stdout  # markdown escapes &
