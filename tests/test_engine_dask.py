"""`--engine dask` (issue 20) on a LocalCluster of worker processes, 20k segments: the codings and
the compare JSON are the same bytes as `--engine local`, also when a worker dies mid-run; a
partition that fails names itself and leaves nothing written. Skipped without the [dask] extra
(CI installs every extra: tests/test_dependencies.py)."""

from __future__ import annotations

import os

import pytest
from synthetic_study import second_coder, write_study

distributed = pytest.importorskip("distributed")

N_SEGMENTS = 20_000
PARTITION = "2500"  # 8 tasks: small partitions, so a run has several tasks per worker


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from typer.testing import CliRunner

    from qualcode.cli.main import app

    folder = tmp_path_factory.mktemp("dask-study")
    files = write_study(folder, N_SEGMENTS)
    run = CliRunner().invoke
    args = ["--codebook", str(files["codebook"]), "--coder", "auto", "--auto"]
    done = run(app, ["code", str(files["segments"]), *args, "-o", str(folder / "auto.csv")])
    assert done.exit_code == 0, done.output
    second_coder(folder / "auto.csv", folder / "bea.csv")
    compare = ["compare", str(folder / "auto.csv"), str(folder / "bea.csv")]
    compare += ["--codebook", str(files["codebook"]), "-f", "json"]
    done = run(app, [*compare, "-o", str(folder / "local.json")])
    assert done.exit_code == 0, done.output
    return files | {"folder": folder, "summary": done.output}


def _code(cli, study, source, output, *extra):
    return cli(
        "code", source, "--codebook", study["codebook"], "--coder", "auto", "--auto",
        "-o", output, "--engine", "dask", "--partition-size", PARTITION, *extra,
    )  # fmt: skip


def test_code_auto_on_the_cluster_writes_the_same_bytes(cli, study, cluster, tmp_path):
    out = tmp_path / "auto.csv"
    done = _code(cli, study, study["segments"], out, "--scheduler", cluster)
    assert done.exit_code == 0, done.output
    assert out.read_bytes() == (study["folder"] / "auto.csv").read_bytes()
    local = cli(
        "code", study["segments"], "--codebook", study["codebook"], "--coder", "auto", "--auto",
        "-o", tmp_path / "again.csv",
    )  # fmt: skip
    # The summary table is the same too (the figures summed over partitions).
    assert done.output.replace(str(out), "X") == local.output.replace(
        str(tmp_path / "again.csv"), "X"
    )


def test_part_files_read_by_the_workers_give_part_files_of_the_same_rows(
    cli, study, cluster, tmp_path
):
    lines = study["segments"].read_text(encoding="utf-8").splitlines(keepends=True)
    parts = tmp_path / "parts"
    parts.mkdir()
    step = 6_000
    for i, lo in enumerate(range(1, len(lines), step)):
        (parts / f"segments-{i:02d}.csv").write_text(
            lines[0] + "".join(lines[lo : lo + step]), encoding="utf-8"
        )
    out = tmp_path / "codings"
    done = _code(cli, study, parts, out, "--scheduler", cluster, "--output-parts")
    assert done.exit_code == 0, done.output
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"part-{i:05d}.csv" for i in range(4)]
    header, *rows = files[0].read_text(encoding="utf-8").splitlines(keepends=True)
    for f in files[1:]:
        first, *more = f.read_text(encoding="utf-8").splitlines(keepends=True)
        assert first == header
        rows += more
    assert header + "".join(rows) == (study["folder"] / "auto.csv").read_text(encoding="utf-8")


def test_compare_on_the_cluster_gives_the_same_json(cli, study, cluster, tmp_path):
    folder = study["folder"]
    out = tmp_path / "dask.json"
    done = cli(
        "compare", folder / "auto.csv", folder / "bea.csv", "--codebook", study["codebook"],
        "-f", "json", "-o", out, "--engine", "dask", "--scheduler", cluster,
        "--partition-size", "3000",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert out.read_bytes() == (folder / "local.json").read_bytes()


def test_a_worker_killed_mid_run_still_gives_the_same_codings(cli, study, cluster, tmp_path):
    from distributed import Client
    from distributed.diagnostics.plugin import WorkerPlugin

    marker = tmp_path / "killed"

    class KillOnce(WorkerPlugin):
        """The first worker to start an auto-coding task dies on the spot (as under the OOM
        killer); the file marks that it happened, so the restarted worker carries on."""

        name = "qualcode-test-kill-once"

        def __init__(self, path: str) -> None:
            self.path = path

        def transition(self, key, start, finish, **kwargs):
            if finish != "executing" or "autocode_task" not in str(key):
                return
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
            os._exit(1)

    with Client(cluster) as client:
        client.register_plugin(KillOnce(str(marker)))
        try:
            out = tmp_path / "auto.csv"
            done = _code(cli, study, study["segments"], out, "--scheduler", cluster)
        finally:
            client.unregister_worker_plugin(KillOnce.name)
            client.wait_for_workers(2, timeout=120)
    assert marker.exists()  # a worker did die while running a partition
    assert done.exit_code == 0, done.output
    assert out.read_bytes() == (study["folder"] / "auto.csv").read_bytes()


def test_a_failed_partition_is_named_and_nothing_is_written(cli, study, cluster, tmp_path):
    lines = study["segments"].read_text(encoding="utf-8").splitlines(keepends=True)
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "a.csv").write_text(lines[0] + "".join(lines[1:1000]), encoding="utf-8")
    bad = lines[1000].split(",")
    bad[2] = "three"  # the turn column
    (parts / "b.csv").write_text(lines[0] + ",".join(bad), encoding="utf-8")
    out = tmp_path / "auto.csv"
    done = _code(cli, study, parts, out, "--scheduler", cluster)
    assert done.exit_code == 1
    assert done.output.splitlines()[0] == (
        f"error: partition 2 of 2 (b.csv) failed on the cluster, nothing was written: "
        f"{parts / 'b.csv'}:2: turn must be a whole number, got 'three'"
    )
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parts"]


def test_an_unreachable_scheduler_is_one_clear_error(cli, study, tmp_path):
    done = _code(
        cli, study, study["segments"], tmp_path / "a.csv", "--scheduler", "tcp://127.0.0.1:1"
    )
    assert done.exit_code == 1
    assert done.output.startswith("error: cannot reach the Dask scheduler at tcp://127.0.0.1:1")
    assert not (tmp_path / "a.csv").exists()
