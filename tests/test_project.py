"""`qualcode init` and the study's qualcode.yaml defaults."""

from __future__ import annotations

import pytest

from qualcode.errors import QualcodeError
from qualcode.project import load_settings

TRANSCRIPT = (
    "Facilitator: What brings you here?\nAna: The group keeps me honest.\nBen: Same boat.\n"
)


def test_init_lays_out_a_study_that_the_codebook_checker_accepts(cli, tmp_path):
    result = cli("init", tmp_path / "study")
    assert result.exit_code == 0, result.stderr
    study = tmp_path / "study"
    assert sorted(p.name for p in study.iterdir()) == [
        "codebook.yaml",
        "codings",
        "qualcode.yaml",
        "roster.csv",
        "transcripts",
    ]
    check = cli("codebook", "check", study / "codebook.yaml")
    assert check.exit_code == 0, check.stdout + check.stderr


def test_init_never_overwrites(cli, tmp_path):
    (tmp_path / "codebook.yaml").write_text("title: mine\ncodes: [{id: X, label: x}]\n")
    result = cli("init", tmp_path)
    assert result.exit_code == 0
    assert "kept" in result.stdout and "codebook.yaml" in result.stdout
    assert (tmp_path / "codebook.yaml").read_text() == "title: mine\ncodes: [{id: X, label: x}]\n"


def test_init_refuses_a_file(cli, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("x")
    result = cli("init", target)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {target}: not a folder")


def test_settings_give_defaults_and_the_command_line_wins(cli, tmp_path, monkeypatch):
    assert cli("init", tmp_path).exit_code == 0
    (tmp_path / "transcripts" / "g1.txt").write_text(TRANSCRIPT)
    monkeypatch.chdir(tmp_path)
    assert cli("ingest", "transcripts", "-o", "segments.csv").exit_code == 0
    # no --codebook: qualcode.yaml names it
    check = cli("codebook", "check")
    assert check.exit_code == 0
    assert "1 construct, 1 theme, 2 repeating ideas" in check.stdout
    # an explicit option still wins
    other = tmp_path / "other.yaml"
    other.write_text("codes:\n  - id: A\n    label: a\n")
    assert "1 repeating idea" in cli("codebook", "check", other).stdout


def test_settings_apply_from_a_subfolder(cli, tmp_path, monkeypatch):
    assert cli("init", tmp_path).exit_code == 0
    monkeypatch.chdir(tmp_path / "codings")
    result = cli("codebook", "show")
    assert result.exit_code == 0
    assert "RI1" in result.stdout


def test_bad_settings_file_is_a_clear_error(cli, tmp_path, monkeypatch):
    (tmp_path / "qualcode.yaml").write_text("codebook: [unclosed\n")
    monkeypatch.chdir(tmp_path)
    result = cli("codebook", "check")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {tmp_path / 'qualcode.yaml'}:")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "text,message",
    [
        ("- codebook.yaml\n", "must be a mapping"),
        ("codebok: codebook.yaml\n", "unknown setting 'codebok'"),
        ("codebook: 3\n", "must be a path"),
    ],
)
def test_settings_errors(tmp_path, text, message):
    path = tmp_path / "qualcode.yaml"
    path.write_text(text)
    with pytest.raises(QualcodeError, match=message):
        load_settings(path)


def test_settings_paths_are_relative_to_the_file(tmp_path):
    path = tmp_path / "qualcode.yaml"
    path.write_text("codebook: books/cb.yaml\nroster:\n")
    settings = load_settings(path)
    assert settings.defaults == {"codebook": (tmp_path / "books" / "cb.yaml").resolve()}


def _alias_bomb(levels: int) -> str:
    """`codebook:` as a billion-laughs list: `levels` nested lists of 9 aliases each."""
    names = "abcdefghijklmnop"[:levels]
    items = [f"&{names[0]} [" + ",".join(['"lol"'] * 9) + "]"]
    for prev, name in zip(names, names[1:], strict=False):
        items.append(f"&{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "codebook: [" + ", ".join(items) + "]\n"


@pytest.mark.parametrize(
    "text,message",
    [
        (_alias_bomb(6), "setting 'codebook' must be a path, got a list"),
        ("roster: {a: 1}\n", "setting 'roster' must be a path, got a mapping"),
        ("segments: true\n", "setting 'segments' must be a path, got true/false"),
        ("x" * 1000 + ": 1\n", "unknown setting 'x{40}\\.\\.\\.'$"),
        ("3: codebook.yaml\n", "unknown setting a number"),
    ],
    ids=["alias-bomb", "mapping", "bool", "long-key", "number-key"],
)
def test_settings_errors_name_the_type_never_the_value(tmp_path, text, message):
    path = tmp_path / "qualcode.yaml"
    path.write_text(text)
    with pytest.raises(QualcodeError, match=message) as info:
        load_settings(path)
    assert len(str(info.value)) < 200


def test_an_alias_bomb_in_the_settings_fails_at_once(cli, tmp_path, monkeypatch):
    # 9**16 "lol"s once expanded: the old message repr'd the value and never finished.
    (tmp_path / "qualcode.yaml").write_text(_alias_bomb(16))
    monkeypatch.chdir(tmp_path)
    result = cli("codebook", "check")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {tmp_path / 'qualcode.yaml'}: setting 'codebook' must be a path, got a list"
    )
    assert len(result.stderr) < 500


def test_a_missing_roster_named_in_the_settings_is_reported_not_dropped(cli, tmp_path, monkeypatch):
    assert cli("init", tmp_path).exit_code == 0
    (tmp_path / "roster.csv").unlink()
    monkeypatch.chdir(tmp_path)
    result = cli("report", "demographics")
    assert result.exit_code == 1
    assert "Missing option" not in result.stderr
    assert result.stderr.startswith(f"error: {tmp_path / 'roster.csv'}: roster file not found")


def test_a_missing_codebook_named_in_the_settings_is_reported_not_dropped(
    cli, tmp_path, monkeypatch
):
    (tmp_path / "qualcode.yaml").write_text("codebook: books/cb.yaml\n")
    monkeypatch.chdir(tmp_path)
    result = cli("codebook", "check")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {tmp_path / 'books' / 'cb.yaml'}: codebook file not found"
    )


def test_a_missing_segments_file_is_no_default_before_ingest(cli, tmp_path, monkeypatch):
    # segments.csv does not exist until `qualcode ingest`: commands ask for it as usual.
    assert cli("init", tmp_path).exit_code == 0
    (tmp_path / "codings" / "a.csv").write_text(
        "segment_id,code_id,coder,origin,memo,start_char,end_char\n"
    )
    monkeypatch.chdir(tmp_path)
    result = cli("report", "cooccurrence", "--codings", "codings/a.csv")
    assert result.exit_code == 2
    assert "not found" not in result.stderr
    assert "--segments" in result.stderr
