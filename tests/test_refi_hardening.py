"""Hostile or extreme REFI-QDA files (issue 15, items 1, 6, 9 and 10): lying zip sizes, duplicate
members, very long turns, deeply nested codes. Each one fails with a clear error (or imports), never
with a traceback or unbounded memory."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest
from refi_helpers import make_zip, project_xml

from qualcode.interop.refi_import import split_turns

MAX_CODE_DEPTH = 100  # qualcode.interop.refi_import.MAX_CODE_DEPTH, documented in the README


def _lying_zip(path: Path, name: str, inflated: int, declared: int) -> Path:
    """A zip whose only member inflates to `inflated` zero bytes but declares `declared` bytes
    (local header and central directory agree on the lie; the CRC is of the real data)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1 << 20)
    crc, parts = 0, []
    for _ in range(inflated // len(block)):
        crc = zlib.crc32(block, crc)
        parts.append(comp.compress(block))
    parts.append(comp.flush())
    data = b"".join(parts)
    raw = name.encode()
    fields = (20, 0, 8, 0, 0x21, crc, len(data), declared, len(raw))
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + raw
    central = struct.pack("<IH", 0x02014B50, 20) + struct.pack(
        "<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0o644 << 16, 0
    )
    central += raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)
    return path


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc for VmHWM")
def test_lying_member_size_is_refused_with_bounded_memory(tmp_path):
    # 400 MB of zeros (about 0.4 MB compressed) that the zip directory says is 100 bytes.
    qdpx = _lying_zip(tmp_path / "liar.qdpx", "project.qde", 400 << 20, 100)
    assert qdpx.stat().st_size < 1 << 20
    script = textwrap.dedent(
        """
        import sys
        from qualcode.cli.main import run
        sys.argv = ["qualcode", "import", "qdpx", sys.argv[1], "-o", sys.argv[2]]
        try:
            run()
        except SystemExit as exc:
            code = exc.code
        # VmHWM: the peak RSS of this process image (ru_maxrss would carry pytest's own peak
        # across the fork and exec)
        with open("/proc/self/status") as fh:
            peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
        print(f"peak_kb={peak} exit={code}")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(qdpx), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = proc.stdout.strip().splitlines()[-1]
    peak_kb, code = (int(part.split("=")[1]) for part in last.split())
    assert code == 1, proc.stderr
    assert "cannot read zip member 'project.qde'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert peak_kb < 200 * 1024, f"peak RSS {peak_kb} KiB"
    print(f"peak RSS {peak_kb} KiB")


def test_duplicate_member_names_are_refused(cli, tmp_path):
    qdpx = tmp_path / "dup.qdpx"
    real = project_xml(
        '<Users><User guid="11111111-1111-1111-1111-111111111111" name="a"/></Users>'
    )
    import warnings
    import zipfile

    with zipfile.ZipFile(qdpx, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns "Duplicate name"
        zf.writestr("project.qde", real)
        zf.writestr("project.qde", project_xml(""))
    result = cli("import", "qdpx", qdpx, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "two members named 'project.qde' and 'project.qde'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_members_differing_only_in_case_are_refused(cli, tmp_path):
    qdpx = make_zip(
        tmp_path / "case.qdpx",
        {"project.qde": project_xml(""), "sources/a.txt": "x", "Sources/A.txt": "y"},
    )
    result = cli("import", "qdpx", qdpx, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "two members named 'sources/a.txt' and 'Sources/A.txt'" in result.stderr


def _split_seconds(lines: int) -> float:
    text = "Ana: hello\n" + "".join(f"and line {i} of one long turn\n" for i in range(lines))
    best = float("inf")
    for _ in range(3):
        start = time.process_time()  # CPU time: other processes on the machine count less
        turns, labelled = split_turns(text + "Ben: bye\n", "long.txt")
        best = min(best, time.process_time() - start)
    assert labelled and [t.speaker for t in turns] == ["Ana", "Ben"]
    return best


def test_a_long_turn_is_split_in_linear_time():
    # Re-joining the turn's text on each line made the work quadratic (40,000 lines: 7.5 s;
    # 80,000: 35 s): 8x the lines took ~40x the time. Linear work takes ~8x; the bound sits
    # between the two (the geometric mean of 8 and 64).
    small, large = _split_seconds(4_000), _split_seconds(32_000)
    assert large / small < 22, (small, large)


def _nested_codes(depth: int) -> str:
    opening = "".join(
        f'<Code guid="{i:08x}-0000-4000-8000-000000000000" name="c{i}" isCodable="true">'
        for i in range(depth)
    )
    return f"<CodeBook><Codes>{opening}{'</Code>' * depth}</Codes></CodeBook>"


def test_deep_code_nesting_is_a_clear_error(cli, tmp_path):
    qdc = tmp_path / "deep.qdc"
    qdc.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="t">'
        + _nested_codes(600)[len("<CodeBook>") :],
        encoding="utf-8",
    )
    result = cli("import", "qdc", qdc, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"codes are nested more than {MAX_CODE_DEPTH} levels deep" in result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    qdpx = make_zip(tmp_path / "deep.qdpx", {"project.qde": project_xml(_nested_codes(600))})
    result = cli("import", "qdpx", qdpx, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert f"codes are nested more than {MAX_CODE_DEPTH} levels deep" in result.stderr


def test_code_nesting_at_the_limit_imports(cli, tmp_path):
    qdc = tmp_path / "deep.qdc"
    qdc.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="t">'
        + _nested_codes(MAX_CODE_DEPTH)[len("<CodeBook>") :],
        encoding="utf-8",
    )
    result = cli("import", "qdc", qdc, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert "folded into their theme's repeating ideas" in result.stderr


# A code tree whose qualcode data note says "theme" but that holds no code under it (found by
# test_fuzz_refi): the codebook written was one the loader refuses ("defines no repeating ideas").
_EMPTY_THEME = (
    '<Code guid="00000001-0000-4000-8000-000000000001" name="Access" isCodable="false">'
    "<Description>Getting there.\n"
    '[qualcode] {"id": "T1", "level": "theme", "keywords": []}</Description></Code>'
)


def test_a_project_whose_code_tree_holds_only_empty_themes_writes_no_codebook(cli, tmp_path):
    source = "00000002-0000-4000-8000-000000000002"
    qdpx = make_zip(
        tmp_path / "empty-theme.qdpx",
        {
            "project.qde": project_xml(
                f"<CodeBook><Codes>{_EMPTY_THEME}</Codes></CodeBook><Sources>"
                f'<TextSource guid="{source}" name="fg1" plainTextPath="internal://{source}.txt"/>'
                "</Sources>"
            ),
            f"sources/{source}.txt": "Ana: I take the bus.\nBen: Me too.\n",
        },
    )
    result = cli("import", "qdpx", qdpx, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "only groups with no codes under them ('Access'): no codebook written" in result.output
    assert "the project has no codes: no codebook written" in result.output
    assert not (tmp_path / "out" / "codebook.yaml").exists()
    assert (tmp_path / "out" / "segments.csv").exists()


def test_a_codebook_file_holding_only_an_empty_theme_is_refused(cli, tmp_path):
    qdc = tmp_path / "empty-theme.qdc"
    qdc.write_text(
        '<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0" '
        f'origin="test"><Codes>{_EMPTY_THEME}</Codes></CodeBook>',
        encoding="utf-8",
    )
    result = cli("import", "qdc", qdc, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert "the codebook has no codes" in result.output
    assert not (tmp_path / "out" / "codebook.yaml").exists()
