"""A study that would not fit in memory fails with one clear error before anything is read or
written, in every command that loads a study (issue 19 goal 2): QUALCODE_MEMORY_LIMIT set below
what Python and pandas alone take makes every estimate too big, so each command must refuse, name
the input sizes, the estimate and the limit, and leave the folder as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qualcode.capacity import (
    BASE,
    FOOTPRINTS,
    MARGIN,
    MB,
    StudySize,
    estimate,
    human_size,
    size_setting,
    study_size,
)

ENV = "QUALCODE_MEMORY_LIMIT"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    """The bundled study with its segments, a consensus, its decisions log and a coding sheet,
    made once through the real CLI with no limit set."""
    import os

    from conftest import REPO as repo
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    folder = tmp_path_factory.mktemp("bundled")
    shutil.copytree(repo / "sample_transcripts", folder / "transcripts")
    shutil.move(folder / "transcripts" / "codings", folder / "codings")
    shutil.move(folder / "transcripts" / "roster.csv", folder / "roster.csv")
    (folder / "transcripts" / "README.md").unlink(missing_ok=True)
    shutil.copy(repo / "codebooks" / "bup_group_visits.yaml", folder / "codebook.yaml")
    runner = CliRunner()
    here = Path.cwd()
    try:
        os.chdir(folder)
        for args in (
            ["ingest", "transcripts", "-o", "segments.csv", "--roster", "roster.csv"],
            ["reconcile", "codings/coder_a.csv", "codings/coder_b.csv", "--strategy", "union",
             "-o", "codings/consensus.csv"],
            ["code", "segments.csv", "--codebook", "codebook.yaml", "--coder", "coder_c",
             "--sheet", "sheet.csv", "-o", "codings/coder_c.csv"],
        ):  # fmt: skip
            result = runner.invoke(app, args)
            assert result.exit_code == 0, (args, result.output)
    finally:
        os.chdir(here)
    return folder


STUDY = ["--segments", "segments.csv", "--codings", "codings/consensus.csv"]
BOOK = ["--codebook", "codebook.yaml"]
PAIR = ["codings/coder_a.csv", "codings/coder_b.csv"]
COMMANDS = {
    "ingest": ["ingest", "transcripts", "-o", "out.csv", "--roster", "roster.csv"],
    "ingest table": ["ingest", "segments.csv", "-o", "out.csv", "--roster", "roster.csv"],
    "code --auto": ["code", "segments.csv", *BOOK, "--coder", "x", "--auto", "-o", "out.csv"],
    "code --auto transcripts": [
        "code", "transcripts", *BOOK, "--coder", "x", "--auto", "-o", "out.csv",
    ],
    "code --auto --roster": [
        "code", "segments.csv", *BOOK, "--coder", "x", "--auto", "--roster", "roster.csv",
        "-o", "out.csv",
    ],
    "code --sheet": [
        "code", "segments.csv", *BOOK, "--coder", "x", "--sheet", "out.csv", "-o", "x.csv",
    ],
    "code --from-sheet": [
        "code", "segments.csv", "--from-sheet", "sheet.csv", *BOOK, "--coder", "coder_c",
        "-o", "out.csv",
    ],
    "code --interactive": [
        "code", "segments.csv", *BOOK, "--coder", "x", "--interactive", "-o", "out.csv",
    ],
    "compare": ["compare", *PAIR, *BOOK, "-f", "json", "-o", "out.json"],
    "compare 3 coders": [
        "compare", *PAIR, "codings/consensus.csv", *BOOK, "-f", "json", "-o", "out.json",
    ],
    "reconcile": ["reconcile", *PAIR, "--strategy", "union", "-o", "out.csv"],
    "reconcile replay": [
        "reconcile", *PAIR, "--decisions", "codings/consensus.decisions.csv", "-o", "out.csv",
    ],
    "reconcile sheet": ["reconcile", *PAIR, "--sheet", "out.csv"],
    "reconcile majority": [
        "reconcile", *PAIR, "codings/consensus.csv", "--strategy", "majority", "-o", "out.csv",
    ],
    "report hierarchy": ["report", "hierarchy", *STUDY, *BOOK, "-o", "out.json"],
    "report saturation": [
        "report", "saturation", *STUDY, *BOOK, "--roster", "roster.csv", "-o", "out.json",
    ],
    "report cooccurrence": ["report", "cooccurrence", *STUDY, *BOOK, "-o", "out.json"],
    "report crosstab": [
        "report", "crosstab", "--by", "gender", *STUDY, *BOOK, "--roster", "roster.csv",
        "-o", "out.json",
    ],
    "report narrative": ["report", "narrative", *STUDY, *BOOK, "-o", "out.md"],
    "report methods": [
        "report", "methods", *STUDY, *BOOK, "--roster", "roster.csv", "--coder-a", PAIR[0],
        "--coder-b", PAIR[1], "-o", "out.json",
    ],
    "report all": ["report", "all", *STUDY, *BOOK, "--roster", "roster.csv", "-o", "out.html"],
    "report demographics": ["report", "demographics", "--roster", "roster.csv", "-o", "out.json"],
    "export qdpx": [
        "export", "qdpx", "--segments", "segments.csv", "--codings", PAIR[0], "--codings",
        PAIR[1], *BOOK, "-o", "out.qdpx",
    ],
    "suggest codes": ["suggest", "codes", "segments.csv", *BOOK, "-o", "out.csv"],
    "suggest ideas": ["suggest", "ideas", "segments.csv", *BOOK, "-o", "out.yaml"],
}  # fmt: skip
# What the error names: the step, and the kinds of input it counted.
NAMED = {
    "ingest": ("ingest", "of transcripts"),
    "ingest table": ("ingest", "of segments"),
    "code --auto": ("code --auto", "of segments"),
    "code --auto transcripts": ("code --auto", "of transcripts"),
    "code --auto --roster": ("code --auto", "of segments"),
    "code --sheet": ("code --sheet", "of segments"),
    "code --from-sheet": ("code --from-sheet", "of coding sheet"),
    "code --interactive": ("code --interactive", "of segments"),
    "compare": ("compare", "of codings"),
    "compare 3 coders": ("compare", "of codings"),
    "reconcile": ("reconcile", "of codings"),
    "reconcile replay": ("reconcile", "of codings"),
    "reconcile sheet": ("reconcile", "of codings"),
    "reconcile majority": ("reconcile", "of codings"),
    "report demographics": ("report demographics", "of roster"),
    "export qdpx": ("export qdpx", "of segments"),
    "suggest codes": ("suggest codes", "of segments"),
    "suggest ideas": ("suggest ideas", "of segments"),
}


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_study_that_would_not_fit_fails_before_writing_anything(
    name, bundled, cli, tmp_path, monkeypatch
):
    study = tmp_path / "study"
    shutil.copytree(bundled, study)
    monkeypatch.chdir(study)
    monkeypatch.setenv(ENV, "1M")
    before = _files(study)
    result = cli(*COMMANDS[name])
    assert result.exit_code == 1, result.output
    step, kind = NAMED.get(name, (name, "of segments"))
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr  # the error and its hint, nothing else
    error, hint = lines
    assert error.startswith(f"error: {step} of "), error
    assert kind in error
    assert "would need about " in error
    assert (
        "of memory, more than the 1.0 MB that QUALCODE_MEMORY_LIMIT allows; nothing was written"
        in error
    )
    assert hint.startswith(
        "hint: run it on a machine with more memory, or set QUALCODE_MEMORY_LIMIT="
    )
    assert "Traceback" not in result.output
    assert _files(study) == before  # no output, no backup, no lock or temp file left


def test_the_message_names_the_sizes_and_the_estimate(bundled, cli, monkeypatch):
    monkeypatch.chdir(bundled)
    monkeypatch.setenv(ENV, "1M")
    result = cli(*COMMANDS["report hierarchy"])
    size = study_size(segments="segments.csv", codings="codings/consensus.csv")
    needed = estimate("report", size)
    assert result.stderr.splitlines()[0] == (
        f"error: report hierarchy of {human_size(size.segments)} of segments and "
        f"{human_size(size.codings)} of codings would need about {human_size(needed)} of "
        "memory, more than the 1.0 MB that QUALCODE_MEMORY_LIMIT allows; nothing was written"
    )
    assert result.stderr.splitlines()[1] == (
        "hint: run it on a machine with more memory, or set "
        f"QUALCODE_MEMORY_LIMIT={size_setting(needed)} if you know it fits"
    )


def test_code_auto_names_the_part_files_path(bundled, cli, monkeypatch):
    monkeypatch.chdir(bundled)
    monkeypatch.setenv(ENV, "1M")
    result = cli(*COMMANDS["code --auto"])
    assert "a folder of segments part files" in result.stderr.splitlines()[1]


def test_a_study_that_fits_prints_nothing_more(bundled, cli, tmp_path, monkeypatch):
    """The limit set high enough, the command prints exactly what it prints without one."""
    outputs = []
    for limit in (None, "64G"):
        study = tmp_path / f"study-{limit}"
        shutil.copytree(bundled, study)
        monkeypatch.chdir(study)
        if limit is None:
            monkeypatch.delenv(ENV, raising=False)
        else:
            monkeypatch.setenv(ENV, limit)
        result = cli(*COMMANDS["report hierarchy"], "-f", "md")
        assert result.exit_code == 0, result.output
        outputs.append((result.stdout, result.stderr, (study / "out.json").read_bytes()))
    assert outputs[0] == outputs[1]


def test_the_bundled_study_fits_in_what_this_machine_has(bundled):
    """With no QUALCODE_MEMORY_LIMIT the machine's own figure is used; the bundled study is far
    below any machine's (the whole suite runs its commands that way)."""
    size = study_size(
        segments=bundled / "segments.csv",
        codings=[bundled / "codings" / "coder_a.csv", bundled / "codings" / "coder_b.csv"],
    )
    for step, footprint in FOOTPRINTS.items():  # the study's part of each estimate: a few MB
        assert estimate(step, size) < BASE + MARGIN * footprint.fixed + 64 * MB


def test_a_parts_folder_counts_its_largest_part(tmp_path, bundled):
    parts = tmp_path / "parts"
    parts.mkdir()
    text = (bundled / "segments.csv").read_text(encoding="utf-8")
    (parts / "part-0.csv").write_text(text, encoding="utf-8")
    (parts / "part-1.csv").write_text(text.splitlines()[0] + "\n", encoding="utf-8")
    size = study_size(sources=[parts], one_part=True)
    assert size == StudySize(segments=(parts / "part-0.csv").stat().st_size)
    every = study_size(sources=[parts])  # other steps read every part
    assert every == StudySize(transcripts=sum(p.stat().st_size for p in parts.iterdir()))


def test_a_folder_of_transcripts_counts_every_file(bundled):
    size = study_size(sources=[bundled / "transcripts"])
    files = [p for p in (bundled / "transcripts").iterdir() if p.is_file()]
    assert size == StudySize(transcripts=sum(p.stat().st_size for p in files))


@pytest.mark.parametrize(
    ("n", "text"), [(420 * 1024**2 + 1, "421M"), (int(1.44 * 1024**3), "1.5G"), (1024**3, "1G")]
)
def test_size_setting_rounds_up(n, text):
    assert size_setting(n) == text


# The input sizes of bench/scaling.py's studies (seed 7) and peaks measured on them (MB, binary;
# /usr/bin/time -v, see FOOTPRINTS in qualcode/capacity.py). Each estimate must be above the peak
# measured: it would refuse no study of that shape that fits.
S250 = dict(
    segments=59_331_310,
    transcripts=46_796_495,
    a=9_362_395,
    b=8_970_547,
    consensus=11_561_986,
    decisions=3_334_924,
)
S1M = dict(
    segments=238_532_379,
    transcripts=187_122_888,
    a=37_811_497,
    b=36_246_063,
    consensus=46_607_503,
    decisions=13_329_257,
)
MEASURED = [  # (footprint, the inputs read, sizes, peak MB)
    ("ingest", ("transcripts",), S250, 372), ("ingest", ("transcripts",), S1M, 1196),
    ("ingest", ("segments",), S250, 278),
    ("code --auto whole", ("segments",), S250, 260),
    ("code --auto whole", ("segments",), S1M, 716),
    ("code --auto", ("segments",), S250, 178), ("code --auto", ("segments",), S1M, 278),
    ("ingest", ("segments", "segments"), S250, 376),  # over an existing segments.csv
    ("ingest", ("transcripts",), S1M, 1204), ("ingest", ("segments",), S1M, 758),
    ("compare", ("a", "b"), S1M, 773), ("compare", ("a", "b", "segments"), S1M, 1219),
    ("compare", ("a", "b"), S250, 297), ("compare", ("a", "b"), S1M, 800),
    ("compare", ("a", "b", "segments"), S250, 428),
    ("compare 3+ coders", ("a", "b", "consensus"), S250, 2772),
    ("reconcile", ("a", "b"), S250, 450), ("reconcile", ("a", "b"), S1M, 1447),
    ("reconcile", ("a", "b", "decisions"), S250, 465),
    ("reconcile", ("a", "b", "decisions"), S1M, 1444),
    ("report hierarchy", ("segments", "consensus"), S250, 403),
    ("report hierarchy", ("segments", "consensus"), S1M, 1140),
    ("report cooccurrence", ("segments", "consensus"), S250, 425),
    ("report saturation", ("segments", "consensus"), S250, 510),
    ("report saturation", ("segments", "consensus"), S1M, 1406),
    ("report methods", ("segments", "consensus", "a", "b", "decisions"), S250, 507),
    ("report all", ("segments", "consensus", "a", "b"), S250, 596),
    ("code --sheet", ("segments",), S250, 1266),
    ("code --sheet csv", ("segments", "a"), S250, 333),
    ("code --sheet csv", ("segments", "a"), S1M, 934),
    ("export qdpx", ("segments", "a", "b"), S250, 389),
]  # fmt: skip


def _size(reads: tuple[str, ...], sizes: dict) -> StudySize:
    kinds = {"segments": "segments", "transcripts": "transcripts"}
    out = {"segments": 0, "transcripts": 0, "codings": 0}
    for r in reads:
        out[kinds.get(r, "codings")] += sizes[r]  # a kind named twice counts twice
    return StudySize(**out)


@pytest.mark.parametrize(("step", "reads", "sizes", "peak"), MEASURED)
def test_every_estimate_is_above_the_peak_measured(step, reads, sizes, peak):
    assert estimate(step, _size(reads, sizes)) > peak * MB


# The 10M study of the final benchmark is ten renamed copies of the 1M one: its files are a
# little over ten times the 1M ones (the renamed ids). Its measured peaks (bench/README.md): ingest
# of a segments table 6.0 GB, reconcile union 11.9 GB, report hierarchy 9.5 GB. On a 24 GB
# machine (MemAvailable about 22 GB) each estimate must be above its peak and leave room below.
S10M = {k: 10 * v for k, v in S1M.items()}


@pytest.mark.parametrize(
    ("step", "reads", "peak_gb"),
    [
        ("ingest", ("segments",), 6.0),
        ("reconcile", ("a", "b"), 11.9),
        ("report hierarchy", ("segments", "consensus"), 9.5),
        ("code --auto", ("segments",), None),
        ("compare", ("a", "b"), None),
    ],
)
def test_the_10m_study_fits_a_24_gb_machine(step, reads, peak_gb):
    needed = estimate(step, _size(reads, S10M))
    assert needed < 18 * 1024**3
    if peak_gb is not None:
        assert needed > peak_gb * 1000**3


def test_a_csv_sheet_of_the_4m_study_is_not_refused():
    """The 4M study's csv sheet (921.9 MB of segments, 148.2 MB of codings) needs about 3.7 GB;
    the xlsx footprint estimated 26.7 GB and refused it on a 24 GB machine."""
    size = StudySize(segments=966_700_000, transcripts=0, codings=155_400_000)
    assert 3.7 * 1000**3 < estimate("code --sheet csv", size) < 6 * 1024**3
    assert estimate("code --sheet", size) > 20 * 1024**3  # xlsx: still the measured footprint


def test_a_csv_sheet_is_estimated_as_csv(bundled, cli, monkeypatch, tmp_path):
    """Between the csv and the xlsx estimate of the bundled study, the csv sheet is written and
    the xlsx one refused."""
    size = StudySize(segments=(bundled / "segments.csv").stat().st_size, transcripts=0, codings=0)
    low, high = estimate("code --sheet csv", size), estimate("code --sheet", size)
    assert low < high
    monkeypatch.setenv("QUALCODE_MEMORY_LIMIT", str((low + high) // 2))
    common = ["code", str(bundled / "segments.csv"), "--codebook", str(bundled / "codebook.yaml"),
              "--coder", "ana", "-o", str(tmp_path / "ana.csv")]  # fmt: skip
    ok = cli(*common, "--sheet", str(tmp_path / "sheet.csv"))
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "sheet.csv").is_file()
    refused = cli(*common, "--sheet", str(tmp_path / "sheet.xlsx"))
    assert refused.exit_code == 1
    assert "nothing was written" in refused.stderr
    assert not (tmp_path / "sheet.xlsx").exists()
