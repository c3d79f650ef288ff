"""The Collaborative Care interview study (issue 16, Done-when) runs from the README as written: the
commands of its README section, on a copy of tests/data/collab_care, carry out the study (a code
found during coding is written into the working codebook, compared, reconciled and reported by
clinical role, and the methods paragraph says when and by whom it was added)."""

from __future__ import annotations

import datetime
import re
import shlex
import shutil
from pathlib import Path

from qualcode.cli.main import app
from qualcode.codebook import load_codebook
from qualcode.io import read_codings

SECTION = "## A Collaborative Care interview study"


def _section_commands(repo: Path) -> list[str]:
    text = (repo / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S).group(1).replace("\\\n", " ")
    return [" ".join(line[2:].split()) for line in block.splitlines() if line.startswith("$ ")]


def test_the_readme_section_carries_out_the_study(repo, tmp_path, runner, monkeypatch):
    shutil.copytree(repo / "tests" / "data" / "collab_care", tmp_path / "collab_care")
    data = tmp_path / "collab_care"
    scratch = tmp_path / "scratch"
    monkeypatch.setenv("COLUMNS", "120")
    commands = _section_commands(repo)
    assert commands[0] == "cd tests/data/collab_care"
    monkeypatch.chdir(data)
    outputs: dict[str, str] = {}  # "compare", "report crosstab", ... -> what it printed
    warnings: dict[str, str] = {}
    for command in commands[1:]:
        words = [w.replace("/tmp/", f"{scratch}/") for w in shlex.split(command)]
        if words[0] == "cp":
            Path(words[2]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(words[1], words[2])
            continue
        assert words[0] == "qualcode"
        result = runner.invoke(app, words[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"
        name = " ".join(words[1:3] if words[1] in ("codebook", "report") else words[1:2])
        outputs[name], warnings[name] = result.stdout, result.stderr
    cc = scratch / "cc"
    today = datetime.date.today().isoformat()
    # the code ana added in her sheet is in the working codebook, as the tool writes it
    book = load_codebook(cc / "codebook.yaml")
    code = book.code("CC7")
    assert (code.label, code.theme_id, code.origin, code.added_by, code.added_on) == (
        "Phones, rides and housing first",
        "T2",
        "inductive",
        "ana",
        today,
    )
    assert [c.origin or "deductive" for c in book.codes()].count("deductive") == 6
    assert load_codebook(data / "codebook_deductive.yaml").code_ids() == [
        f"CC{i}" for i in range(1, 7)
    ]
    assert "added   code   CC7  Phones, rides and housing first" in outputs["codebook diff"]
    # ben coded before CC7 existed: said as such, not as another codebook
    for name in ("compare", "reconcile"):
        assert (
            f"ben.csv: its rows were coded with an earlier version of this codebook, before the "
            f"inductive code CC7 (added by ana on {today}) existed"
        ) in " ".join(warnings[name].split())
    consensus = read_codings(cc / "consensus.csv")
    assert sorted(consensus.loc[consensus["code_id"] == "CC7", "segment_id"]) == [
        "int01_pcp:8",
        "int02_bhcm:6",
        "int04_pcp:8",
        "int06_cpp:6",
    ]
    # codes x clinical role
    crosstab = outputs["report crosstab"]
    assert re.search(
        r"CC7\s+Phones, rides and housing first\s+2 \(100%\)\s+1 \(50%\)\s+1 \(50%\)", crosstab
    )
    # the methods paragraph: deductive and inductive counts, who, when, where first (COREQ 26)
    methods = " ".join(outputs["report methods"].split())
    assert (
        "Of the 7 codes, 6 were written in advance (deductive) and 1 was added during coding, "
        f"from the data (inductive): CC7 'Phones, rides and housing first' (added on {today} by "
        "ana; first applied in int01_pcp)."
    ) in methods
    assert "The data are 6 interviews, with 6 participants." in methods
