"""The partition functions (issue 20): auto-coding and agreement counts run on any split of the
segments and give the same result as one pass, so the local chunked path, the Dask path and the
10M-segment path are one code path."""

from __future__ import annotations

import json

import pytest
from synthetic_study import second_coder, write_study

from qualcode.agreement.compare import compare_codings, comparison_to_dict
from qualcode.codebook import load_codebook
from qualcode.coding.autocode import (
    autocode,
    autocode_partition,
    combine_summaries,
    summarise_codings,
    summary_part,
)
from qualcode.io import read_codings, read_segments, write_codings, write_codings_parts


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    files = write_study(folder, 1_200)
    return files | {"folder": folder}


@pytest.mark.parametrize("size", [7, 250, 1_199, 10_000])
def test_autocode_partitions_concatenate_to_the_whole_run(study, size):
    import pandas as pd

    segments = read_segments(study["segments"])
    codebook = load_codebook(study["codebook"])
    whole = autocode(segments, codebook, coder="auto")
    parts = [
        autocode_partition(segments.iloc[lo : lo + size], codebook, coder="auto")
        for lo in range(0, len(segments), size)
    ]
    joined = pd.concat(parts, ignore_index=True)
    assert list(joined.itertuples(index=False)) == list(whole.itertuples(index=False))
    assert (whole["code_id"] != "").sum() > 500  # the data exercise the matcher
    # The summary of the parts is the summary of the whole.
    summaries = [
        summary_part(part, segments.iloc[lo : lo + size])
        for part, lo in zip(parts, range(0, len(segments), size), strict=True)
    ]
    summary, totals = combine_summaries(summaries, codebook)
    expected_summary, expected_totals = summarise_codings(whole, segments, codebook)
    assert totals == expected_totals
    assert list(summary.itertuples(index=False)) == list(expected_summary.itertuples(index=False))


def test_codings_written_in_parts_are_the_same_bytes(study, tmp_path):
    segments = read_segments(study["segments"])
    codebook = load_codebook(study["codebook"])
    whole = autocode(segments, codebook, coder="auto")
    write_codings(whole, tmp_path / "whole.csv")
    write_codings_parts(
        (whole.iloc[lo : lo + 333] for lo in range(0, len(whole), 333)), tmp_path / "parts.csv"
    )
    assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_a_failed_part_leaves_the_output_as_it_was(tmp_path):
    target = tmp_path / "codings.csv"
    target.write_text("kept\n", encoding="utf-8")

    def parts():
        import pandas as pd

        yield pd.DataFrame({"segment_id": ["g:1"], "code_id": [""]})
        raise RuntimeError("partition 2 failed")

    with pytest.raises(RuntimeError, match="partition 2"):
        write_codings_parts(parts(), target)
    assert target.read_text(encoding="utf-8") == "kept\n"
    assert [p.name for p in tmp_path.iterdir()] == ["codings.csv"]


def test_compare_in_ranges_equals_one_pass(study, cli):
    folder = study["folder"]
    auto = folder / "auto.csv"
    if not auto.exists():
        done = cli(
            "code", study["segments"], "--codebook", study["codebook"], "--coder", "auto",
            "--auto", "-o", auto,
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        second_coder(auto, folder / "bea.csv")
    a, b = read_codings(auto), read_codings(folder / "bea.csv")
    codebook = load_codebook(study["codebook"])
    segments = read_segments(study["segments"])
    for kwargs, chunk in (
        ({"codebook": codebook}, 1),
        ({}, 13),
        ({"segments": segments, "reviewed": "all"}, 400),
    ):
        whole = comparison_to_dict(compare_codings(a, b, **kwargs))
        ranged = comparison_to_dict(compare_codings(a, b, chunk_units=chunk, **kwargs))
        assert json.dumps(ranged) == json.dumps(whole)
        assert whole["overall"]["identical_share"] < 0.95  # there are disagreements to find
        assert whole["overall"]["set_alpha_masi"] is not None


def test_the_summary_noun_of_parts_is_the_noun_of_the_study(study):
    from qualcode.coding.autocode import summary_noun
    from qualcode.model import study_source_nouns

    segments = read_segments(study["segments"])
    codebook = load_codebook(study["codebook"])
    for types in (["interview"], ["interview", "focus_group"], ["focus_group", ""]):
        typed = segments.assign(source_type=[types[i % len(types)] for i in range(len(segments))])
        parts = [
            summary_part(autocode_partition(typed.iloc[lo : lo + 500], codebook, coder="a"),
                         typed.iloc[lo : lo + 500])
            for lo in range(0, len(typed), 500)
        ]  # fmt: skip
        assert summary_noun(parts) == study_source_nouns(typed)[1]
    untyped = [summary_part(autocode_partition(segments, codebook, coder="a"), segments)]
    assert summary_noun(untyped) == study_source_nouns(segments)[1] == "groups"


def test_a_folder_of_part_files_is_coded_one_part_at_a_time_with_the_same_bytes(
    study, cli, tmp_path
):
    lines = study["segments"].read_text(encoding="utf-8").splitlines(keepends=True)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, lo in enumerate(range(1, len(lines), 500)):
        (parts / f"segments-{i}.csv").write_text(
            lines[0] + "".join(lines[lo : lo + 500]), encoding="utf-8"
        )
    args = ["--codebook", study["codebook"], "--coder", "auto", "--auto"]
    whole = cli("code", study["segments"], *args, "-o", tmp_path / "whole.csv")
    parted = cli("code", parts, *args, "-o", tmp_path / "parts.csv")
    assert whole.exit_code == 0 and parted.exit_code == 0, parted.output
    assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert parted.output.replace("parts.csv", "X") == whole.output.replace("whole.csv", "X")


@pytest.mark.parametrize("size", [7, 250, 10_000])
@pytest.mark.parametrize("include_facilitator", [False, True])
def test_the_summary_counted_from_the_hits_is_the_summary_of_the_rows(
    study, size, include_facilitator
):
    from qualcode.coding.autocode import autocode_partition_stamped, autocode_partition_summarised

    segments = read_segments(study["segments"])
    codebook = load_codebook(study["codebook"])
    types = ["interview", "focus_group", ""]
    typed = segments.assign(source_type=[types[i % 3] for i in range(len(segments))])
    # Some turns by participants without an id, and one transcript id left empty.
    typed.loc[typed.index[::5], "participant_id"] = ""
    typed.loc[typed.index[:40], "transcript_id"] = ""
    settings = {"coder": "auto", "include_facilitator": include_facilitator}
    for lo in range(0, len(typed), size):
        chunk = typed.iloc[lo : lo + size]
        rows, got = autocode_partition_summarised(chunk, codebook, **settings)
        stamped = autocode_partition_stamped(chunk, codebook, **settings)
        assert list(rows.itertuples(index=False)) == list(stamped.itertuples(index=False))
        want = summary_part(rows, chunk)
        assert (got.code_names, got.n_segments) == (want.code_names, want.n_segments)
        assert (got.reviewed, got.coded, got.source_types) == (
            want.reviewed,
            want.coded,
            want.source_types,
        )
        for name in ("voiced", "groups"):
            assert list(getattr(got, name).columns) == list(getattr(want, name).columns)
            assert getattr(got, name).values.tolist() == getattr(want, name).values.tolist()
    assert sum(rows["code_id"] != "") > 0
