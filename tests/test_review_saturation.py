"""Issue 12, item 4: saturation that measures ideas emerging, from one set of parameters.

Measured on the bundled study (union consensus of coder_a and coder_b): with two-participant (the
default for this A&S codebook) the new ideas per group are 11, 1, 2, 0, 0 (coder_a alone 11, 1, 2,
0, 0; coder_b 10, 2, 2, 0, 0); with first-mention and leftovers never new, coder_a gives 12, 1, 1, 0,
0. Base 4, run 1, threshold 0% gives 4+1 either way; the defaults (base 4, run 2) give "not
assessable" (5 events) in both `report saturation` and `report methods`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STUDY = REPO / "sample_transcripts"
CODEBOOK = REPO / "codebooks" / "bup_group_visits.yaml"
ROSTER = STUDY / "roster.csv"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    folder = tmp_path_factory.mktemp("sat")
    run = CliRunner().invoke
    seg = folder / "segments.csv"
    assert run(app, ["ingest", str(STUDY), "--roster", str(ROSTER), "-o", str(seg)]).exit_code == 0
    cons = folder / "union.csv"
    a, b = STUDY / "codings" / "coder_a.csv", STUDY / "codings" / "coder_b.csv"
    assert (
        run(app, ["reconcile", str(a), str(b), "--strategy", "union", "-o", str(cons)]).exit_code
        == 0
    )
    return {"segments": seg, "consensus": cons}


def _json(cli, kind, bundled, *extra, codings=None, codebook=CODEBOOK):
    result = cli(
        "report", kind, "--segments", bundled["segments"],
        "--codings", codings or bundled["consensus"], "--codebook", codebook, "--roster", ROSTER,
        *extra, "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _methods_saturation(d):
    return d["summary"]["saturation"]


def test_two_participant_is_the_default_for_an_a_and_s_codebook(cli, bundled):
    d = _json(cli, "saturation", bundled, "--base", "4", "--run", "1", "--threshold", "0")
    assert d["summary"]["parameters"]["new"] == "two-participant"
    assert [e["new_codes"] for e in d["tables"]["events"]] == [11, 1, 2, 0, 0]
    assert d["summary"]["result"] == "4+1"
    for coder, u in (("coder_a", [11, 1, 2, 0, 0]), ("coder_b", [10, 2, 2, 0, 0])):
        c = _json(
            cli, "saturation", bundled, "--base", "4", "--run", "1", "--threshold", "0",
            codings=STUDY / "codings" / f"{coder}.csv",
        )  # fmt: skip
        assert [e["new_codes"] for e in c["tables"]["events"]] == u
        assert c["summary"]["result"] == "4+1"


def test_first_mention_is_an_option_and_leftovers_are_never_new(cli, bundled):
    d = _json(
        cli, "saturation", bundled, "--base", "4", "--run", "1", "--threshold", "0",
        "--new", "first-mention", codings=STUDY / "codings" / "coder_a.csv",
    )  # fmt: skip
    assert d["summary"]["parameters"]["new"] == "first-mention"
    assert [e["new_codes"] for e in d["tables"]["events"]] == [12, 1, 1, 0, 0]
    new_ids = ", ".join(e["new_code_ids"] for e in d["tables"]["events"]).split(", ")
    assert "RI8" not in new_ids and "RI16" not in new_ids  # the two leftovers


def test_a_flat_codebook_defaults_to_first_mention(cli, bundled, tmp_path):
    flat = tmp_path / "flat.yaml"
    ids = [f"RI{i}" for i in range(1, 17)]
    flat.write_text("title: flat\ncodes:\n" + "".join(f"  - {{id: {i}, label: x}}\n" for i in ids))
    d = _json(cli, "saturation", bundled, codebook=flat)
    assert d["summary"]["parameters"]["new"] == "first-mention"


def test_methods_and_saturation_agree_by_default(cli, bundled):
    s = _json(cli, "saturation", bundled)
    m = _methods_saturation(_json(cli, "methods", bundled))
    assert s["summary"]["result"] == m["result"] == "not assessable"
    keys = ("base", "run", "threshold", "denominator", "new")
    assert {k: s["summary"]["parameters"][k] for k in keys} == {k: m["parameters"][k] for k in keys}


def test_methods_and_saturation_agree_from_the_study_settings(cli, bundled, tmp_path, monkeypatch):
    (tmp_path / "qualcode.yaml").write_text("saturation:\n  base: 4\n  run: 1\n  threshold: 0%\n")
    monkeypatch.chdir(tmp_path)
    s = _json(cli, "saturation", bundled)
    m = _json(cli, "methods", bundled)
    assert s["summary"]["result"] == _methods_saturation(m)["result"] == "4+1"
    assert s["summary"]["parameters"]["run"] == _methods_saturation(m)["parameters"]["run"] == 1
    assert "was reached at 4+1" in m["summary"]["paragraph"]
    # the command line still wins
    assert _json(cli, "saturation", bundled, "--run", "2")["summary"]["result"] == "not assessable"


def test_bad_saturation_settings_are_reported(cli, bundled, tmp_path, monkeypatch):
    (tmp_path / "qualcode.yaml").write_text("saturation:\n  bse: 4\n")
    monkeypatch.chdir(tmp_path)
    result = cli("report", "saturation", "--segments", bundled["segments"])
    assert result.exit_code == 1
    assert "unknown saturation setting 'bse'" in result.stderr


def test_wording_thematic_not_theoretical_with_focus_group_citation(cli, bundled):
    s = _json(cli, "saturation", bundled, "--base", "4", "--run", "1", "--threshold", "0")
    notes = " ".join(s["notes"])
    assert "Thematic saturation after Guest, Namey & Chen (2020)" in notes
    assert "for focus groups, Guest, Namey & McKenna (2017)" in notes
    assert "it is not theoretical saturation (Saunders et al. 2018)" in notes
    m = _json(cli, "methods", bundled, "--base", "4", "--run", "1", "--threshold", "0")
    text = m["summary"]["paragraph"]
    assert (
        "Thematic saturation (new ideas emerging over the groups, after Guest, Namey & Chen 2020; "
        "for focus groups, Guest, Namey & McKenna 2017; not theoretical saturation, Saunders et "
        "al. 2018), assessed with base 4, run 1, threshold 0%" in text
    )
    assert "theoretical saturation was" not in text


def test_unequal_groups_are_a_stated_limitation(cli, bundled):
    s = _json(cli, "saturation", bundled, "--base", "4", "--run", "1", "--threshold", "0")
    assert s["summary"]["limitations"] == [
        "group sizes were very unequal (3 to 11 participants), so the number of new ideas per "
        "group partly reflects how many people took part",
        "the run that decides saturation is one small group (group5, 3 participants)",
    ]
    m = _json(cli, "methods", bundled, "--base", "4", "--run", "1", "--threshold", "0")
    assert (
        "Limitation: group sizes were very unequal (3 to 11 participants)"
        in (m["summary"]["paragraph"])
    )


def test_the_bundled_readme_states_the_measured_figures():
    """sample_transcripts/README.md states what the runs in tests/test_review_*.py measure."""
    readme = " ".join((STUDY / "README.md").read_text(encoding="utf-8").split())
    for text in (
        "new ideas per group are 11, 1, 2, 0, 0 in coder_a's file and in the union",
        "and 10, 2, 2, 0, 0 in coder_b's",
        "gives 12, 1, 1, 0, 0 for coder_a",
        "**4+1** (base total 14, run adds 0, 0.0%)",
        "group sizes are very unequal (3 to 11 participants)",
        "192 of 310 double-coded and kappa 0.854 (theme T1 1.000)",
        "gives back 310 of 310 and kappa 0.757",
        "kappa ranges from 0.451 to 1.000 (median 0.792)",
        "4 of 16 codes have alpha below 0.667",
        "T2 has 49 mentions",
        "RI2 is voiced by 11 participants, and 4 more only said",
        "(12 participant-idea pairs rest on assent alone)",
        "logs `decided_by: rule:union`",
    ):
        assert text in readme, text
    assert "diverse case" not in readme
