"""Export then import gives the same study: segments, both coders' codings, the codebook."""

from __future__ import annotations

import zipfile

import pytest
from refi_helpers import export_args, schema, write_study

from qualcode.codebook import codebook_tree, load_codebook
from qualcode.io import read_codings, read_segments


def _tree(path):
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "line"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(codebook_tree(load_codebook(path)))


def _same_study(segments, codings: dict, codebook, out):
    assert read_segments(out / "segments.csv").equals(read_segments(segments))
    assert (out / "segments.csv").read_bytes() == segments.read_bytes()
    for name, original in codings.items():
        imported = read_codings(out / "codings" / f"{name}.csv")
        assert (imported["text_hash"] != "").all(), name  # what each coding was made on
        imported = imported.drop(columns=["text_hash", "codebook"])
        assert imported.equals(read_codings(original)), name
    assert _tree(out / "codebook.yaml") == _tree(codebook)


def test_small_study_round_trip(cli, tmp_path):
    study = write_study(tmp_path / "study")
    # segments.csv as qualcode writes it (the fixture is hand-typed)
    from qualcode.io import write_segments

    write_segments(read_segments(study["segments"]), study["segments"], backup=False)
    out = tmp_path / "study.qdpx"
    assert cli(*export_args(study, out)).exit_code == 0
    result = cli("import", "qdpx", out, "-o", tmp_path / "back")
    assert result.exit_code == 0, result.stderr
    assert "qualcode layout: turns, origins and spans restored exactly" in result.stdout
    _same_study(
        study["segments"],
        {"coder_a": study["coder_a"], "coder_b": study["coder_b"]},
        study["codebook"],
        tmp_path / "back",
    )
    tree = _tree(tmp_path / "back" / "codebook.yaml")
    assert tree["title"] == "Mini access study"
    assert tree["research_concerns"] == [{"id": "RC1", "text": "What keeps people from care?"}]


def test_bundled_study_round_trip_through_the_cli(cli, repo, tmp_path):
    transcripts = repo / "sample_transcripts"
    codebook = repo / "codebooks" / "bup_group_visits.yaml"
    codings = sorted((transcripts / "codings").glob("*.csv")) if transcripts.exists() else []
    if not (codebook.exists() and codings):
        pytest.skip("the bundled study is not in this checkout")
    segments = tmp_path / "segments.csv"
    roster = transcripts / "roster.csv"
    assert cli("ingest", transcripts, "--roster", roster, "-o", segments).exit_code == 0
    out = tmp_path / "study.qdpx"
    args = ["export", "qdpx", "--segments", segments, "--codebook", codebook, "-o", out]
    for path in codings:
        args += ["--codings", path]
    result = cli(*args, "--roster", roster)
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as zf:
        schema("Project-mrt2019.xsd").validate(zf.read("project.qde").decode("utf-8"))
    result = cli("import", "qdpx", out, "-o", tmp_path / "back")
    assert result.exit_code == 0, result.stderr
    _same_study(segments, {p.stem: p for p in codings}, codebook, tmp_path / "back")


def test_imported_codings_record_the_text_they_were_coded_on(cli, repo, tmp_path):
    # Issue 13.1: every codings file qualcode writes carries text_hash, imports included, so that a
    # re-ingest that moves turns is caught on the imported study as on any other.
    from qualcode.io import read_codings, read_segments
    from qualcode.provenance import text_hash

    transcripts = repo / "sample_transcripts"
    segments = tmp_path / "segments.csv"
    assert cli("ingest", transcripts, "-o", segments).exit_code == 0
    out = tmp_path / "study.qdpx"
    codings = sorted((transcripts / "codings").glob("*.csv"))
    args = ["export", "qdpx", "--segments", segments, "-o", out]
    for path in codings:
        args += ["--codings", path]
    assert cli(*args, "--codebook", repo / "codebooks" / "bup_group_visits.yaml").exit_code == 0
    assert cli("import", "qdpx", out, "-o", tmp_path / "back").exit_code == 0
    back = read_segments(tmp_path / "back" / "segments.csv")
    texts = dict(zip(back["segment_id"], back["text"], strict=True))
    files = sorted((tmp_path / "back" / "codings").glob("*.csv"))
    assert len(files) == 2
    for path in files:
        rows = read_codings(path)
        assert len(rows) and (rows["text_hash"] != "").all()
        assert all(
            digest == text_hash(texts[sid])
            for sid, digest in zip(rows["segment_id"], rows["text_hash"], strict=True)
        )
